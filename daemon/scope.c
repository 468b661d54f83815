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
