/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "call.h"
#include "device.h"
#include "session.h"
#include "util.h"

int session_new(uint64_t id, Device *d, uint32_t scope, bool configuration_write, const CallCaller *owner,
                uint64_t now_usec, uint64_t now_realtime_usec, Session **ret) {
        _cleanup_(session_freep) Session *s = NULL;

        assert(d);
        assert(owner);
        assert(ret);
        if (!session_scope_allowed(scope))
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->id = id;
        s->device = device_ref(d);
        s->scope = scope;
        s->configuration_write = configuration_write;
        s->owner.uid = owner->uid;
        s->owner.pid = owner->pid;
        s->owner.sender = strdup(strempty(owner->sender));
        s->owner.unit = strdup(strempty(owner->unit));
        if (!s->owner.sender || !s->owner.unit)
                return -ENOMEM;
        s->opened_usec = s->used_usec = now_usec;
        s->opened_realtime_usec = now_realtime_usec;
        *ret = TAKE_PTR(s);
        return 0;
}

Session *session_free(Session *s) {
        if (!s)
                return NULL;
        device_unref(s->device);
        free(s->owner.sender);
        free(s->owner.unit);
        free(s);
        return NULL;
}

uint64_t session_expires_realtime(const Session *s, uint64_t idle_usec, uint64_t max_usec) {
        uint64_t end = MIN(s->used_usec + idle_usec, s->opened_usec + max_usec);

        return s->opened_realtime_usec + (end - s->opened_usec);
}

bool session_expired(const Session *s, uint64_t now_usec, uint64_t idle_usec, uint64_t max_usec) {
        return now_usec >= s->used_usec + idle_usec || now_usec >= s->opened_usec + max_usec;
}

int session_admit_call(const Session *s, Call *c) {
        assert(s);
        assert(c);
        if (c->device != s->device)
                return call_fail(c, CALL_ERROR_NOT_AUTHORIZED, "The session is for another device.");
        if (c->cls.min_scope > s->scope)
                return call_fail(c, CALL_ERROR_SCOPE_TOO_LOW,
                                 "%s needs scope %s; the session was authorised for %s only.",
                                 isempty(c->cls.operation) ? "The request" : c->cls.operation,
                                 strempty(scope_to_string(c->cls.min_scope)), strempty(scope_to_string(s->scope)));
        if (c->cls.configuration_write && !s->configuration_write)
                return call_fail(c, CALL_ERROR_NOT_AUTHORIZED,
                                 "%s changes the device; the session was opened without configuration_write.",
                                 isempty(c->cls.operation) ? "The request" : c->cls.operation);
        return 0;
}
