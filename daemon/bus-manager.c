/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "bus.h"
#include "call.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"

#ifndef FWCTLD_VERSION
#error "FWCTLD_VERSION must be defined by the build"
#endif

/* Let sd-bus clients map our error names back to errnos. */
const sd_bus_error_map fwctld_bus_errors[] = {
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NO_SUCH_DEVICE, ENODEV),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_DEVICE_GONE, ENODEV),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_INVALID_SCOPE, EINVAL),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_SCOPE_TOO_LOW, EPERM),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_REQUEST_REJECTED, EINVAL),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_PAYLOAD_TOO_LARGE, EMSGSIZE),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NOT_AUTHORIZED, EACCES),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NOT_SUPPORTED, EOPNOTSUPP),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_BUSY, EBUSY),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_DEVICE_ERROR, EIO),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_INVALID_ARGUMENTS, EINVAL),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NO_SUCH_OPERATION, ENOENT),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_PLUGIN_MISSING, ENOPKG),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_AUDIT_FAILED, ENOLINK),
        SD_BUS_ERROR_MAP_END,
};

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", FWCTLD_VERSION);
}

static int property_get_tainted(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "b", m->tainted);
}

static int property_get_plugins(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sus)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_plugins; i++) {
                const fwctld_plugin *p = m->plugins[i]->desc;

                /* The fallback plugin is listed with type 0xffffffff: "any type nobody claims". */
                if (p->fallback) {
                        r = sd_bus_message_append(reply, "(sus)", p->name, UINT32_MAX, m->plugins[i]->path);
                        if (r < 0)
                                return r;
                }
                for (const uint32_t *t = p->device_types; t && *t != FWCTLD_DEVICE_TYPE_END; t++) {
                        r = sd_bus_message_append(reply, "(sus)", p->name, *t, m->plugins[i]->path);
                        if (r < 0)
                                return r;
                }
        }
        /* Known types whose plugin is not loaded, with an empty file: their devices are not served. */
        for (uint32_t t = 1; device_type_is_known(t); t++) {
                const Plugin *p = manager_find_plugin(m, t);

                if (p && !p->desc->fallback)
                        continue;
                r = sd_bus_message_append(reply, "(sus)", device_type_to_string(t), t, "");
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int method_get_device(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        Device *d;
        int r;

        r = sd_bus_message_read(message, "s", &name);
        if (r < 0)
                return r;

        d = manager_find_device(m, name);
        if (!d)
                return sd_bus_error_setf(error, FWCTLD_ERROR_NO_SUCH_DEVICE,
                                         "No fwctl device '%s' (give a name like fwctl0, a PCI address or a sysfs path).",
                                         name);
        return sd_bus_reply_method_return(message, "o", d->object_path);
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
        SD_BUS_VTABLE_END,
};

void bus_manager_emit_tainted_changed(Manager *m) {
        (void) sd_bus_emit_properties_changed(m->bus, FWCTLD_MANAGER_PATH, FWCTLD_MANAGER_INTERFACE,
                                              "KernelTainted", NULL);
}

static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        /* A unique name losing its owner is a client that disconnected. */
        if (name[0] == ':' && isempty(new_owner) && m->calls)
                manager_sender_gone(m, name);
        return 0;
}

int bus_setup(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");

        r = sd_bus_error_add_map(fwctld_bus_errors);
        if (r < 0)
                return log_error_errno(r, "Failed to register error map: %m");

        r = sd_bus_add_object_vtable(m->bus, NULL, FWCTLD_MANAGER_PATH, FWCTLD_MANAGER_INTERFACE,
                                     manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add manager object: %m");

        r = sd_bus_add_object_manager(m->bus, NULL, FWCTLD_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add object manager: %m");

        r = bus_device_setup(m);
        if (r < 0)
                return r;

        r = sd_bus_match_signal_async(m->bus, &m->name_owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch client disconnects: %m");

        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");

        /* Losing the bus means nobody can reach us: exit and let systemd restart. */
        (void) sd_bus_set_exit_on_disconnect(m->bus, true);
        return 0;
}
