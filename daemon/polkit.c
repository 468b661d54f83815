/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "call.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "polkit.h"

/* An agent may keep an interactive check open while a human types a password. */
#define POLKIT_TIMEOUT_USEC (25ULL * 1000000ULL)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300ULL * 1000000ULL)

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        e = sd_bus_message_get_error(reply);
        if (e) {
                log_debug("polkit CheckAuthorization failed: %s: %s", e->name, strempty(e->message));
                call_authorization_done(c, -sd_bus_message_get_errno(reply) ?: -EACCES, false, false, e);
                return 0;
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                sd_bus_error bad = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_INVALID_ARGS, "malformed polkit reply");

                call_authorization_done(c, r, false, false, &bad);
                return 0;
        }
        call_authorization_done(c, 0, authorized, challenge, NULL);
        return 0;
}

int polkit_check_async(Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        Manager *mgr = c->manager;
        Device *d = c->device;
        char scope[16], type[16], id[64];
        int r;

        if (isempty(c->sender))
                return -EPERM;

        (void) snprintf(scope, sizeof(scope), "%" PRIu32, c->scope);
        (void) snprintf(type, sizeof(type), "%" PRIu32, d->type);
        (void) snprintf(id, sizeof(id), "fwctld-%" PRIu64, ++mgr->polkit_counter);
        c->polkit_cancel_id = strdup(id);
        if (!c->polkit_cancel_id)
                return -ENOMEM;

        r = sd_bus_message_new_method_call(mgr->bus, &m, FWCTLD_POLKIT_BUS_NAME, FWCTLD_POLKIT_PATH,
                                           FWCTLD_POLKIT_INTERFACE, "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s", c->sender,
                                  scope_to_action(c->scope));
        if (r < 0)
                return r;
        /* operation: the RPC names that reach the device, for Rpc and Execute alike. */
        r = sd_bus_message_append(m, "a{ss}", 7,
                                  "device", d->name,
                                  "device_type", device_type_to_string(d->type),
                                  "parent", d->parent,
                                  "scope", scope,
                                  "operation", isempty(c->cls.operation) ? "unknown" : c->cls.operation,
                                  "execute_operation", c->execute_operation,
                                  "configuration_write", c->cls.configuration_write ? "true" : "false");
        if (r < 0)
                return r;
        /* Flag 1 (AllowUserInteraction) only when the caller said it may be asked. */
        r = sd_bus_message_append(m, "us", (uint32_t) (c->interactive ? 1 : 0), c->polkit_cancel_id);
        if (r < 0)
                return r;

        return sd_bus_call_async(mgr->bus, &c->polkit_slot, m, on_check_reply, c,
                                 c->interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
}

void polkit_cancel(Call *c) {
        if (!c->polkit_slot)
                return;
        c->polkit_slot = sd_bus_slot_unref(c->polkit_slot);
        if (c->interactive && c->polkit_cancel_id)
                (void) sd_bus_call_method_async(c->manager->bus, NULL, FWCTLD_POLKIT_BUS_NAME, FWCTLD_POLKIT_PATH,
                                                FWCTLD_POLKIT_INTERFACE, "CancelCheckAuthorization", NULL, NULL,
                                                "s", c->polkit_cancel_id);
}
