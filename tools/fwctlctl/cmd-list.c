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

static int device_property(sd_bus_message *m, const char *prop, void *userdata) {
        _cleanup_(json_object_putp) json_object *v = NULL;
        json_object *j = userdata;
        const char *key = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(device_keys); i++)
                if (streq(prop, device_keys[i].property))
                        key = device_keys[i].key;
        if (!key)
                return 0;
        r = json_from_bus_value(m, &v);
        if (r < 0)
                return r;
        json_object_object_add(j, key, TAKE_PTR(v));
        return 1;
}

/* Reads an a{sv} of org.freedesktop.fwctl1.Device properties into the stable JSON keys;
 * properties this version does not know are skipped. */
int device_properties_to_json(sd_bus_message *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        int r;

        j = json_object_new_object();
        if (!j)
                return -ENOMEM;
        r = bus_map_dict(m, "sv", device_property, j);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

static int device_interface(sd_bus_message *m, const char *iface, void *userdata) {
        json_object **dev = userdata;
        int r;

        /* An object has each interface once; should a second Device show up, skip it. */
        if (!streq(iface, FWCTL_DEVICE_IFACE) || *dev)
                return 0;
        r = device_properties_to_json(m, dev);
        return r < 0 ? r : 1;
}

int device_object_to_json(sd_bus_message *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *dev = NULL;
        int r;

        r = bus_map_dict(m, "sa{sv}", device_interface, &dev);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(dev);
        return *ret ? 1 : 0;
}

static int list_object(sd_bus_message *m, const char *path, void *userdata) {
        _cleanup_(json_object_putp) json_object *d = NULL;
        json_object *devices = userdata;
        int r;

        r = device_object_to_json(m, &d);
        if (r < 0)
                return r;
        if (d) {
                json_object_object_add(d, "object", json_object_new_string(path));
                json_object_array_add(devices, TAKE_PTR(d));
        }
        return 1;
}

static int compare_devices(const void *a, const void *b) {
        json_object *const *x = a, *const *y = b;

        return strverscmp(json_str(*x, "name"), json_str(*y, "name"));
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

        r = bus_map_dict(reply, "oa{sa{sv}}", list_object, devices);
        if (r < 0)
                return report_errno(r, "Failed to parse the device list");

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
                const char *addr = json_str(d, "pci_address");

                r = table_add_row(t, json_str(d, "name"), json_str(d, "device_type_name"), json_str(d, "driver"),
                                  isempty(addr) ? json_str(d, "parent") : addr, json_str(d, "plugin"));
                if (r < 0)
                        return report_errno(r, "Failed to list devices");
        }
        table_print(t);
        if (arg_legend)
                printf("\n%zu device%s listed.%s\n", n, n == 1 ? "" : "s",
                       tainted ? " The kernel is tainted by fwctl (TAINT_FWCTL)." : "");
        return 0;
}
