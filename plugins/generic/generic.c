/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include <fwctld/plugin.h>

#include "plugin-util.h"

static const char *type_name(uint32_t type) {
        switch (type) {
        case 1:
                return "mlx5";
        case 2:
                return "cxl";
        case 3:
                return "bnxt";
        case 4:
                return "pds";
        default:
                return "unknown";
        }
}

/* The fallback only serves a known type when that type's own plugin is not loaded. */
static bool type_is_known(uint32_t type) {
        return type >= 1 && type <= 4;
}

static int generic_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        _cleanup_free_ char *hex = NULL;
        uint32_t type = fwctld_device_get_type(device);
        json_object *o;

        if (!ret_json || (size > 0 && !data))
                return -EINVAL;

        hex = plugin_hex_encode(data, size);
        o = json_object_new_object();
        if (!hex || !o) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (json_object_object_add(o, "plugin", json_object_new_string("generic")) < 0 ||
            json_object_object_add(o, "device_type", json_object_new_int64(type)) < 0 ||
            json_object_object_add(o, "device_type_name", json_object_new_string(type_name(type))) < 0 ||
            json_object_object_add(o, "decoded", json_object_new_boolean(0)) < 0 ||
            json_object_object_add(o, "device_data_length", json_object_new_int64((int64_t) size)) < 0 ||
            json_object_object_add(o, "device_data_hex", json_object_new_string(hex)) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        if (type_is_known(type) &&
            json_object_object_add(o, "plugin_missing", json_object_new_string(type_name(type))) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return plugin_json_finish(o, ret_json);
}

/*
 * Nothing is known about the protocol: accept it at the caller's scope and let the kernel
 * decide (scope_exact false), and count it as a possible change to the device, so every
 * call is journaled. kernel_out_min 0: nothing is known about what the driver writes
 * either; the daemon decides who may send raw requests at all.
 */
static int generic_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                            fwctld_classification *ret, char **ret_reason) {
        if (!request || size == 0)
                return plugin_reason(ret_reason, -EINVAL, "empty request");
        memset(ret, 0, sizeof(*ret));
        ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
        ret->configuration_write = true;
        ret->scope_exact = false;
        ret->kernel_out_min = 0;
        strncpy(ret->operation, "raw", sizeof(ret->operation) - 1);
        return 0;
}

static const fwctld_plugin generic_plugin = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "generic",
        .device_types = NULL,
        .fallback = true,
        .info_to_json = generic_info_to_json,
        .classify = generic_classify,
};

FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &generic_plugin;
}
