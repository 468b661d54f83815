/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "bus-device.h"
#include "bus-session.h"
#include "call.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "session.h"

static int session_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                        sd_bus_error *error) {
        BusContext *b = userdata;
        const char *id = path + strlen(FWCTLD_SESSION_PATH_PREFIX "/");
        uint64_t n;
        char *end;
        Session *s;

        if (strncmp(path, FWCTLD_SESSION_PATH_PREFIX "/", strlen(FWCTLD_SESSION_PATH_PREFIX "/")) != 0 ||
            !isdigit((unsigned char) *id))
                return 0;
        errno = 0;
        n = strtoull(id, &end, 10);
        if (errno != 0 || *end != '\0')
                return 0;
        s = manager_find_session(b->manager, n);
        if (!s)
                return 0;
        *ret_found = s;
        return 1;
}

/* Only the connection that opened a session may use it. */
static int session_check_owner(Session *s, sd_bus_message *message, sd_bus_error *error) {
        if (streq_ptr(sd_bus_message_get_sender(message), s->owner.sender))
                return 0;
        return sd_bus_error_set(error, FWCTLD_ERROR_NOT_AUTHORIZED,
                                "Only the connection that opened this session may use it.");
}

static int method_call(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = bus_device_current_context(message);
        Session *s = userdata;
        Call *c;
        int r;

        r = session_check_owner(s, message, error);
        if (r < 0)
                return r;
        r = bus_device_read_call(message, s->device, false, &c, error);
        if (r < 0)
                return r;
        return bus_device_submit(b, c, message, s->id);
}

static int method_close(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = bus_device_current_context(message);
        Session *s = userdata;
        int r;

        r = session_check_owner(s, message, error);
        if (r < 0)
                return r;
        manager_close_session(b->manager, s, "closed by its opener");
        return sd_bus_reply_method_return(message, NULL);
}

/* root may look at any session (an admin with busctl). Asked synchronously, but of the bus
 * on the control connection, whose answers never queue behind the calls held for the first
 * one; only a reader that did not open the session pays for it. */
static bool session_reader_is_root(BusContext *b, sd_bus_message *m) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(m);
        uid_t uid;

        if (!sender || sd_bus_get_name_creds(b->control, sender, SD_BUS_CREDS_EUID, &creds) < 0)
                return false;
        return sd_bus_creds_get_euid(creds, &uid) >= 0 && uid == 0;
}

/* Its properties too (who opened it, on which device, until when) are the opener's (and
 * root's): Get and GetAll from any other connection fail as its methods do, so one getter
 * checks once. Sessions are not enumerated: no GetManagedObjects asks for them. */
static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = sd_bus_slot_get_userdata(sd_bus_get_current_slot(bus));
        sd_bus_message *m = sd_bus_get_current_message(bus);
        _cleanup_(freep) char *p = NULL;
        Session *s = userdata;
        int r;

        if (!m)
                return -EINVAL;
        r = session_check_owner(s, m, error);
        if (r < 0 && session_reader_is_root(b, m)) {
                sd_bus_error_free(error);
                r = 0;
        }
        if (r < 0)
                return r;
        if (streq(property, "Device")) {
                r = bus_device_path(s->device, &p);
                return r < 0 ? r : sd_bus_message_append(reply, "o", p);
        }
        if (streq(property, "Scope"))
                return sd_bus_message_append(reply, "u", s->scope);
        if (streq(property, "Owner"))
                return sd_bus_message_append(reply, "s", s->owner.sender);
        if (streq(property, "ConfigurationWrite"))
                return sd_bus_message_append(reply, "b", s->configuration_write);
        if (streq(property, "Expires"))
                return sd_bus_message_append(reply, "t", manager_session_expires(b->manager, s));
        return -ENOENT;
}

static const sd_bus_vtable session_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "o", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Scope", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Owner", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ConfigurationWrite", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Expires", "t", property_get, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("Rpc",
                                SD_BUS_ARGS("ay", request, "u", max_response),
                                SD_BUS_RESULT("ay", response, "a{sv}", result),
                                method_call,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RpcFd",
                                SD_BUS_ARGS("h", request, "u", max_response),
                                SD_BUS_RESULT("h", response, "a{sv}", result),
                                method_call,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Execute",
                                SD_BUS_ARGS("s", operation, "s", parameters_json),
                                SD_BUS_RESULT("s", result_json),
                                method_call,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Close", NULL, NULL, method_close, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_session_setup(BusContext *b) {
        int r;

        r = sd_bus_add_fallback_vtable(b->bus, NULL, FWCTLD_SESSION_PATH_PREFIX, FWCTLD_SESSION_INTERFACE,
                                       session_vtable, session_find, b);
        if (r < 0)
                return log_error_errno(r, "Failed to add session objects: %m");
        return 0;
}
