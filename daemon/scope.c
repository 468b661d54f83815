/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include <fwctld/fwctl-uapi.h>

#include "names.h"
#include "scope.h"
#include "util.h"

static const char *const scope_names[_FWCTLD_SCOPE_MAX] = {
        [FWCTLD_SCOPE_CONFIGURATION] = "configuration",
        [FWCTLD_SCOPE_DEBUG_READ_ONLY] = "debug-read-only",
        [FWCTLD_SCOPE_DEBUG_WRITE] = "debug-write",
        [FWCTLD_SCOPE_DEBUG_WRITE_FULL] = "debug-write-full",
};

static const char *const scope_actions[_FWCTLD_SCOPE_MAX] = {
        [FWCTLD_SCOPE_CONFIGURATION] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-configuration",
        [FWCTLD_SCOPE_DEBUG_READ_ONLY] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-debug-read-only",
        [FWCTLD_SCOPE_DEBUG_WRITE] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-debug-write",
        [FWCTLD_SCOPE_DEBUG_WRITE_FULL] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-debug-write-full",
};

const char *scope_to_string(uint32_t scope) {
        return scope_is_valid(scope) ? scope_names[scope] : NULL;
}

uint32_t scope_from_string(const char *s) {
        if (!s)
                return SCOPE_INVALID;
        for (uint32_t i = 0; i < _FWCTLD_SCOPE_MAX; i++) {
                char num[4];

                (void) snprintf(num, sizeof(num), "%u", i);
                if (streq(s, num) || streq(s, scope_names[i]))
                        return i;
        }
        return SCOPE_INVALID;
}

const char *scope_to_action(uint32_t scope) {
        return scope_is_valid(scope) ? scope_actions[scope] : NULL;
}

static const char *const device_type_names[] = {
        [FWCTL_DEVICE_TYPE_MLX5] = "mlx5",
        [FWCTL_DEVICE_TYPE_CXL] = "cxl",
        [FWCTLD_DEVICE_TYPE_BNXT] = "bnxt",
        [FWCTL_DEVICE_TYPE_PDS] = "pds",
};

const char *device_type_to_string(uint32_t type) {
        if (type < sizeof(device_type_names) / sizeof(device_type_names[0]) && device_type_names[type])
                return device_type_names[type];
        return "unknown";
}

bool device_type_is_known(uint32_t type) {
        return !streq(device_type_to_string(type), "unknown");
}

bool device_type_name_is_valid(const char *name) {
        if (!name)
                return false;
        if (streq(name, "unknown"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(device_type_names); i++)
                if (device_type_names[i] && streq(device_type_names[i], name))
                        return true;
        return false;
}
