/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <fwctld/fwctl-uapi.h>

#include "device-type.h"
#include "util.h"

static const char *const device_type_names[] = {
        [FWCTL_DEVICE_TYPE_MLX5] = "mlx5",
        [FWCTL_DEVICE_TYPE_CXL] = "cxl",
        [FWCTLD_DEVICE_TYPE_BNXT] = "bnxt",
        [FWCTL_DEVICE_TYPE_PDS] = "pds",
};

const char *device_type_to_string(uint32_t type) {
        if (type < ELEMENTSOF(device_type_names) && device_type_names[type])
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
