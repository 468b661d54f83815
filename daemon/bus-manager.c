/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stddef.h>
#include <systemd/sd-daemon.h>

#include "bus-caller.h"
#include "bus-device.h"
#include "bus-metrics.h"
#include "bus-session.h"
#include "bus-manager.h"
#include "device-type.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "scope.h"

#ifndef FWCTLD_VERSION
#error "FWCTLD_VERSION must be defined by the build"
#endif

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", FWCTLD_VERSION);
}

static int property_get_tainted(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;

        return sd_bus_message_append(reply, "b", manager_tainted(b->manager));
}

static int property_get_plugins(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        Plugin *const *plugins;
        size_t n;
        int r;

        plugins = manager_plugins(b->manager, &n);
        r = sd_bus_message_open_container(reply, 'a', "(sus)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const fwctld_plugin *p = plugins[i]->desc;

                /* The fallback plugin is listed with type 0xffffffff: "any type nobody claims". */
                if (p->fallback) {
                        r = sd_bus_message_append(reply, "(sus)", p->name, UINT32_MAX, plugins[i]->path);
                        if (r < 0)
                                return r;
                }
                for (const uint32_t *t = p->device_types; t && *t != FWCTLD_DEVICE_TYPE_END; t++) {
                        r = sd_bus_message_append(reply, "(sus)", p->name, *t, plugins[i]->path);
                        if (r < 0)
                                return r;
                }
        }
        /* Known types whose plugin is not loaded, with an empty file: their devices are not served. */
        for (uint32_t t = 1; device_type_is_known(t); t++) {
                const Plugin *p = plugin_find(plugins, n, t);

                if (p && !p->desc->fallback)
                        continue;
                r = sd_bus_message_append(reply, "(sus)", device_type_to_string(t), t, "");
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int method_get_device(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *path = NULL;
        BusContext *b = userdata;
        const char *name;
        Device *d;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;

        d = manager_find_device(b->manager, name);
        if (!d)
                return sd_bus_error_setf(error, FWCTLD_ERROR_NO_SUCH_DEVICE,
                                         "No fwctl device '%s' (give a name like fwctl0, a PCI address or a sysfs path).",
                                         name);
        r = bus_device_path(d, &path);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "o", path);
}

static int method_get_metrics(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(freep) char *json = NULL;
        BusContext *b = userdata;
        int r;

        r = bus_metrics_json(b->manager, &json);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "s", json);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelTainted", "b", property_get_tainted, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Plugins", "a(sus)", property_get_plugins, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("GetDevice",
                                SD_BUS_ARGS("s", name_or_parent),
                                SD_BUS_RESULT("o", device),
                                method_get_device,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetMetrics",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", metrics_json),
                                method_get_metrics,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        /* A unique name losing its owner is a client that disconnected. */
        if (name[0] == ':' && isempty(new_owner)) {
                manager_cancel_sender(b->manager, name);
                bus_caller_forget(b, name);
        }
        return 0;
}

/* --- The manager's events ------------------------------------------------------------ */

static void on_device_added(Device *d, void *userdata) {
        bus_device_emit_added(userdata, d);
}

static void on_device_removed(Device *d, void *userdata) {
        bus_device_emit_removed(userdata, d);
}

static void on_tainted_changed(bool tainted, void *userdata) {
        BusContext *b = userdata;

        (void) sd_bus_emit_properties_changed(b->bus, FWCTLD_MANAGER_PATH, FWCTLD_MANAGER_INTERFACE, "KernelTainted",
                                              NULL);
}

/* The devices found at start are published: a client that sees the name sees them too. */
static void on_ready(void *userdata) {
        BusContext *b = userdata;
        int r;

        if (b->name_requested)
                return;
        b->name_requested = true;
        r = sd_bus_request_name(b->bus, FWCTLD_BUS_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to acquire bus name '%s': %m", FWCTLD_BUS_NAME);
                (void) sd_event_exit(sd_bus_get_event(b->bus), r);
                return;
        }
        (void) sd_notify(false, "READY=1\nSTATUS=Serving fwctl devices.");
}

/*
 * Both connections, on the loop at their priorities. Losing either means nobody can reach us
 * (or we cannot ask): exit and let systemd restart. Neither is closed when the loop exits:
 * manager_stop() answers every call after that (the in-flight ioctls' results, Busy for what
 * did not run, polkit checks cancelled), and bus_manager_free() flushes before it closes.
 */
static int bus_attach(sd_bus *bus, sd_event *e, int64_t priority) {
        int r;

        r = sd_bus_attach_event(bus, e, priority);
        if (r < 0)
                return r;
        (void) sd_bus_set_exit_on_disconnect(bus, true);
        (void) sd_bus_set_close_on_exit(bus, false);
        return 0;
}

static int bus_context_connect(BusContext *b, sd_event *e) {
        int r;

        r = sd_bus_open_system(&b->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_error_add_map(fwctld_bus_errors);
        if (r < 0)
                return log_error_errno(r, "Failed to register error map: %m");
        r = sd_bus_add_object_vtable(b->bus, NULL, FWCTLD_MANAGER_PATH, FWCTLD_MANAGER_INTERFACE, manager_vtable, b);
        if (r < 0)
                return log_error_errno(r, "Failed to add manager object: %m");
        r = sd_bus_add_object_manager(b->bus, NULL, FWCTLD_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add object manager: %m");
        r = bus_device_setup(b);
        if (r < 0)
                return r;
        r = bus_session_setup(b);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(b->bus, &b->name_owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, NULL, b);
        if (r < 0)
                return log_error_errno(r, "Failed to watch client disconnects: %m");
        r = bus_attach(b->bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");

        r = sd_bus_open_system(&b->control);
        if (r < 0)
                return log_error_errno(r, "Failed to open the control connection to the system bus: %m");
        (void) sd_bus_set_description(b->control, "control");
        /* Answers that release waiting calls go before the next call is read. */
        r = bus_attach(b->control, e, SD_EVENT_PRIORITY_NORMAL - 1);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the control connection to the event loop: %m");
        return 0;
}

int bus_manager_new(Manager *m, sd_event *e, BusContext **ret) {
        _cleanup_(bus_manager_freep) BusContext *b = NULL;
        ManagerAuthorizer authorizer;
        int r;

        assert(m);
        assert(e);
        assert(ret);

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->manager = m;
        r = hashmap_new(&b->callers);
        if (r < 0)
                return r;
        r = bus_context_connect(b, e);
        if (r < 0)
                return r;

        manager_set_listener(m, &(ManagerListener) {
                .device_added = on_device_added,
                .device_removed = on_device_removed,
                .tainted_changed = on_tainted_changed,
                .ready = on_ready,
                .userdata = b,
        });
        bus_device_authorizer(b, &authorizer);
        manager_set_authorizer(m, &authorizer);
        *ret = TAKE_PTR(b);
        return 0;
}

BusContext *bus_manager_free(BusContext *b) {
        if (!b)
                return NULL;
        if (b->manager) {
                manager_set_listener(b->manager, NULL);
                manager_set_authorizer(b->manager, NULL);
        }
        bus_caller_forget_all(b);
        hashmap_free(b->callers);
        sd_bus_slot_unref(b->name_owner_slot);
        if (b->control)
                sd_bus_flush_close_unref(b->control);
        if (b->bus)
                sd_bus_flush_close_unref(b->bus);
        free(b);
        return NULL;
}
