/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl ops DEVICE: the named operations of the device's plugin, with their minimum scope. */
#include "fwctlctl.h"

int list_operations(sd_bus *bus, const char *path, const CallContext *ctx, json_object **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *ops = NULL;
        const char *name, *description;
        uint32_t scope;
        int r;

        r = sd_bus_call_method(bus, FWCTL_BUS, path, FWCTL_DEVICE_IFACE, "ListOperations", &error, &reply, NULL);
        if (r < 0)
                return report_bus_error(&error, r, ctx);

        ops = json_object_new_array();
        if (!ops)
                return report_errno(-ENOMEM, "Failed to list operations");
        r = sd_bus_message_enter_container(reply, 'a', "(ssu)");
        if (r < 0)
                return report_errno(r, "Failed to parse the operations");
        while ((r = sd_bus_message_read(reply, "(ssu)", &name, &description, &scope)) > 0) {
                json_object *o = json_object_new_object();

                if (!o)
                        return report_errno(-ENOMEM, "Failed to list operations");
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "description", json_object_new_string(description));
                json_object_object_add(o, "scope", json_object_new_int64(scope));
                json_object_object_add(o, "scope_name", json_object_new_string(scope_to_string(scope) ?: "unknown"));
                json_object_array_add(ops, o);
        }
        if (r < 0)
                return report_errno(r, "Failed to parse the operations");

        *ret = TAKE_PTR(ops);
        return 0;
}

int cmd_ops(sd_bus *bus, int argc, char **argv) {
        _cleanup_(json_object_putp) json_object *ops = NULL, *j = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(freep) char *path = NULL;
        CallContext ctx = { .device = argv[0], .scope = -1 };
        size_t n;
        int r;

        r = resolve_device(bus, argv[0], &path, &ctx);
        if (r < 0)
                return r;
        r = list_operations(bus, path, &ctx, &ops);
        if (r < 0)
                return r;
        n = json_object_array_length(ops);

        if (arg_json) {
                j = json_object_new_object();
                if (!j)
                        return report_errno(-ENOMEM, "Failed to list operations");
                json_object_object_add(j, "device", json_object_new_string(argv[0]));
                json_object_object_add(j, "object", json_object_new_string(path));
                json_object_object_add(j, "operations", json_object_get(ops));
                json_print(j);
                return 0;
        }

        t = table_new(3, "OPERATION", "SCOPE", "DESCRIPTION");
        if (!t)
                return report_errno(-ENOMEM, "Failed to list operations");
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(ops, i);

                r = table_add_row(t, json_object_get_string(json_object_object_get(o, "name")),
                                  json_object_get_string(json_object_object_get(o, "scope_name")),
                                  json_object_get_string(json_object_object_get(o, "description")));
                if (r < 0)
                        return report_errno(r, "Failed to list operations");
        }
        table_print(t);
        if (arg_legend)
                printf("\n%zu operation%s.\n", n, n == 1 ? "" : "s");
        return 0;
}
