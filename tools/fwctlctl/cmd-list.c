/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl list: every device fwctld serves, from one GetManagedObjects call. */
#include "fwctlctl.h"

static const struct {
        const char *property;
        const char *key;
} device_keys[] = {
        { "Name",           "name"             },
        { "DeviceType",     "device_type"      },
        { "DeviceTypeName", "device_type_name" },
        { "Driver",         "driver"           },
        { "Parent",         "parent"           },
        { "PciAddress",     "pci_address"      },
        { "DeviceNode",     "device_node"      },
        { "Plugin",         "plugin"           },
};

/* Reads an a{sv} of org.freedesktop.fwctl1.Device properties into the stable JSON keys;
 * properties this version does not know are skipped. */
int device_properties_to_json(sd_bus_message *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        int r;

        j = json_object_new_object();
        if (!j)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                _cleanup_(json_object_putp) json_object *v = NULL;
                const char *prop, *key = NULL;

                r = sd_bus_message_read(m, "s", &prop);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(device_keys); i++)
                        if (streq(prop, device_keys[i].property))
                                key = device_keys[i].key;
                if (key) {
                        r = json_from_bus_value(m, &v);
                        if (r < 0)
                                return r;
                        json_object_object_add(j, key, TAKE_PTR(v));
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

static const char *jstr(json_object *j, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_string))
                return "";
        return json_object_get_string(v);
}

static int compare_devices(const void *a, const void *b) {
        json_object *const *x = a, *const *y = b;

        return strverscmp(jstr(*x, "name"), jstr(*y, "name"));
}

int cmd_list(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *devices = NULL, *out = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        int tainted = 0, r;
        size_t n;

        r = sd_bus_call_method(bus, FWCTL_BUS, FWCTL_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", &error, &reply, NULL);
        if (r < 0)
                return report_bus_error(&error, r, NULL);

        devices = json_object_new_array();
        if (!devices)
                return report_errno(-ENOMEM, "Failed to list devices");

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                goto parse_error;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        goto parse_error;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        goto parse_error;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;

                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r < 0)
                                goto parse_error;
                        if (streq(iface, FWCTL_DEVICE_IFACE)) {
                                _cleanup_(json_object_putp) json_object *d = NULL;

                                r = device_properties_to_json(reply, &d);
                                if (r < 0)
                                        goto parse_error;
                                json_object_object_add(d, "object", json_object_new_string(path));
                                json_object_array_add(devices, TAKE_PTR(d));
                        } else {
                                r = sd_bus_message_skip(reply, "a{sv}");
                                if (r < 0)
                                        goto parse_error;
                        }
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto parse_error;
                }
                if (r < 0)
                        goto parse_error;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto parse_error;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto parse_error;
        }
        if (r < 0)
                goto parse_error;

        json_object_array_sort(devices, compare_devices);
        n = json_object_array_length(devices);

        sd_bus_error_free(&error);
        r = sd_bus_get_property_trivial(bus, FWCTL_BUS, FWCTL_MANAGER_PATH, FWCTL_MANAGER_IFACE,
                                        "KernelTainted", &error, 'b', &tainted);
        if (r < 0)
                return report_bus_error(&error, r, NULL);

        if (arg_json) {
                out = json_object_new_object();
                if (!out)
                        return report_errno(-ENOMEM, "Failed to list devices");
                json_object_object_add(out, "devices", TAKE_PTR(devices));
                json_object_object_add(out, "kernel_tainted", json_object_new_boolean(tainted));
                json_print(out);
                return 0;
        }

        t = table_new(5, "DEVICE", "TYPE", "DRIVER", "ADDRESS", "PLUGIN");
        if (!t)
                return report_errno(-ENOMEM, "Failed to list devices");
        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_array_get_idx(devices, i);
                const char *addr = jstr(d, "pci_address");

                r = table_add_row(t, jstr(d, "name"), jstr(d, "device_type_name"), jstr(d, "driver"),
                                  isempty(addr) ? jstr(d, "parent") : addr, jstr(d, "plugin"));
                if (r < 0)
                        return report_errno(r, "Failed to list devices");
        }
        table_print(t);
        if (arg_legend)
                printf("\n%zu device%s listed.%s\n", n, n == 1 ? "" : "s",
                       tainted ? " The kernel is tainted by fwctl (TAINT_FWCTL)." : "");
        return 0;

parse_error:
        return report_errno(r, "Failed to parse the device list");
}
