/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "types.h"

/*
 * An authorised session: one polkit check for a device and a scope (configuration or
 * debug-read-only only: each taint is a decision, so tainting scopes keep a check per
 * call), then calls without a check each, for the opening bus connection alone. Every call
 * in it still goes through classification, the deny list, the shares and the journal.
 * The manager owns sessions and ends them.
 */

typedef struct Session Session;

struct Session {
        uint64_t id;
        Device *device; /* ref */
        uint32_t scope;
        bool configuration_write; /* may the session's calls change the device */
        CallCaller owner;
        uint64_t opened_usec, used_usec;   /* CLOCK_MONOTONIC */
        uint64_t opened_realtime_usec;
        Session *prev, *next;
};

int session_new(uint64_t id, Device *d, uint32_t scope, bool configuration_write, const CallCaller *owner,
                uint64_t now_usec, uint64_t now_realtime_usec, Session **ret);
Session *session_free(Session *s);

static inline void session_freep(Session **s) {
        if (*s)
                (void) session_free(*s);
}

/* Sessions exist for these scopes only. */
static inline bool session_scope_allowed(uint32_t scope) {
        return scope <= FWCTLD_SCOPE_DEBUG_READ_ONLY;
}

/* When it ends by itself (CLOCK_REALTIME µs), given the idle and total limits. */
uint64_t session_expires_realtime(const Session *s, uint64_t idle_usec, uint64_t max_usec);
/* Has it outlived either limit? */
bool session_expired(const Session *s, uint64_t now_usec, uint64_t idle_usec, uint64_t max_usec);

/* May this call run in the session? 0, or the refusal set on c (-EACCES). */
int session_admit_call(const Session *s, Call *c);
