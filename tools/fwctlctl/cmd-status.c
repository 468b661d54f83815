/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl status [DEVICE]: a device's properties and decoded Info, or fwctld's state. */
#include "fwctlctl.h"

static void print_field(const char *label, const char *value) {
        printf("%16s: %s\n", label, isempty(value) ? "-" : value);
}

/* Indents every line after the first of a multi-line value under the label. */
static void print_multiline(const char *label, const char *value) {
        printf("%16s: ", label);
        for (const char *p = value; *p; p++) {
                fputc(*p, stdout);
                if (*p == '\n' && p[1])
                        printf("%18s", "");
        }
        fputc('\n', stdout);
}

static int plugins_to_json(sd_bus_message *m, json_object *plugins) {
        const char *name, *file;
        uint32_t type;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(sus)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(sus)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(sus)", &name, &type, &file)) > 0) {
                json_object *p = json_object_new_object();

                if (!p)
                        return -ENOMEM;
                json_object_object_add(p, "name", json_object_new_string(name));
                json_object_object_add(p, "device_type", json_object_new_int64(type));
                json_object_object_add(p, "file", json_object_new_string(file));
                json_object_array_add(plugins, p);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

typedef struct ManagerStatus {
        json_object *j;
        json_object *plugins;
} ManagerStatus;

static int manager_property(sd_bus_message *m, const char *prop, void *userdata) {
        ManagerStatus *st = userdata;
        json_object *v = NULL;
        int r;

        if (streq(prop, "Plugins")) {
                r = plugins_to_json(m, st->plugins);
                return r < 0 ? r : 1;
        }
        if (!streq(prop, "Version") && !streq(prop, "KernelTainted"))
                return 0;
        r = json_from_bus_value(m, &v);
        if (r < 0)
                return r;
        json_object_object_add(st->j, streq(prop, "Version") ? "version" : "kernel_tainted", v);
        return 1;
}

static int print_manager_status(json_object *j, json_object *plugins) {
        int r;

        print_field("Version", json_str(j, "version"));
        print_field("Kernel tainted", json_object_get_boolean(json_object_object_get(j, "kernel_tainted")) ?
                                      "yes (TAINT_FWCTL)" : "no");
        for (size_t i = 0; i < json_object_array_length(plugins); i++) {
                json_object *p = json_object_array_get_idx(plugins, i);
                _cleanup_(freep) char *line = NULL;
                int64_t type = json_object_get_int64(json_object_object_get(p, "device_type"));

                if (type == UINT32_MAX)
                        r = asprintf(&line, "%s (any other type): %s", json_str(p, "name"), json_str(p, "file"));
                else
                        r = asprintf(&line, "%s (type %" PRIi64 "): %s", json_str(p, "name"), type,
                                     json_str(p, "file"));
                if (r < 0)
                        return report_errno(-ENOMEM, "Failed to show the status");
                /* one plugin a line, the others under the first without a label */
                if (i == 0)
                        print_field("Plugins", line);
                else
                        printf("%18s%s\n", "", line);
        }
        return 0;
}

static int status_manager(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL, *plugins = NULL;
        int r;

        r = sd_bus_call_method(bus, FWCTL_BUS, FWCTL_MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", FWCTL_MANAGER_IFACE);
        if (r < 0)
                return report_bus_error(&error, r, NULL);

        j = json_object_new_object();
        plugins = json_object_new_array();
        if (!j || !plugins)
                return report_errno(-ENOMEM, "Failed to show the status");

        r = bus_map_dict(reply, "sv", manager_property, &(ManagerStatus) { .j = j, .plugins = plugins });
        if (r == -ENOMEM)
                return report_errno(r, "Failed to show the status");
        if (r < 0)
                return report_errno(r, "Failed to parse fwctld's properties");
        json_object_object_add(j, "plugins", json_object_get(plugins));

        if (arg_json) {
                json_print(j);
                return 0;
        }
        return print_manager_status(j, plugins);
}

int cmd_status(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *props = NULL, *info = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL, *ji = NULL;
        _cleanup_(freep) char *path = NULL, *hex = NULL;
        const char *info_json;
        const void *data;
        uint32_t type;
        size_t size;
        CallContext ctx = { .device = argc > 0 ? argv[0] : NULL, .scope = -1 };
        int r;

        if (argc == 0)
                return status_manager(bus);

        r = resolve_device(bus, argv[0], &path, &ctx);
        if (r < 0)
                return r;

        r = sd_bus_call_method(bus, FWCTL_BUS, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &props, "s", FWCTL_DEVICE_IFACE);
        if (r < 0)
                return report_bus_error(&error, r, &ctx);
        r = device_properties_to_json(props, &j);
        if (r < 0)
                return report_errno(r, "Failed to parse the properties of %s", path);
        json_object_object_add(j, "object", json_object_new_string(path));

        r = sd_bus_call_method(bus, FWCTL_BUS, path, FWCTL_DEVICE_IFACE, "Info", &error, &info, NULL);
        if (r < 0)
                return report_bus_error(&error, r, &ctx);
        r = sd_bus_message_read(info, "u", &type);
        if (r >= 0)
                r = sd_bus_message_read_array(info, 'y', &data, &size);
        if (r >= 0)
                r = sd_bus_message_read(info, "s", &info_json);
        if (r < 0)
                return report_errno(r, "Failed to parse the Info reply");

        hex = hex_encode(data, size);
        ji = json_object_new_object();
        if (!hex || !ji)
                return report_errno(-ENOMEM, "Failed to show the status");
        json_object_object_add(ji, "device_type", json_object_new_int64(type));
        json_object_object_add(ji, "data", json_object_new_string(hex));
        json_object_object_add(ji, "decoded", json_parse_or_string(info_json));
        json_object_object_add(j, "info", json_object_get(ji));

        if (arg_json) {
                json_print(j);
                return 0;
        }

        printf("%s (%s)\n", json_str(j, "name"), json_str(j, "device_type_name"));
        print_field("Object", path);
        print_field("Device type", json_str(j, "device_type"));
        print_field("Driver", json_str(j, "driver"));
        print_field("Parent", json_str(j, "parent"));
        print_field("PCI address", json_str(j, "pci_address"));
        print_field("Device node", json_str(j, "device_node"));
        print_field("Plugin", json_str(j, "plugin"));
        if (size > 64)
                printf("%16s: %.128s... (%zu bytes)\n", "Info data", hex, size);
        else
                printf("%16s: %s (%zu bytes)\n", "Info data", size ? hex : "-", size);
        {
                json_object *dec = json_object_object_get(ji, "decoded");
                if (dec)
                        print_multiline("Info", json_object_to_json_string_ext(dec, JSON_C_TO_STRING_PRETTY |
                                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        print_field("Info", "");
        }
        return 0;
}
