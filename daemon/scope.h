/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <fwctld/plugin.h>

/*
 * Names of scopes, shared by the daemon and fwctlctl. The scope numbers are the kernel's
 * (and the plugin ABI's enum fwctld_scope): 0 .. _FWCTLD_SCOPE_MAX - 1.
 */

#define SCOPE_INVALID UINT32_MAX

const char *scope_to_string(uint32_t scope);
/* "debug-write" or "2"; SCOPE_INVALID otherwise. */
uint32_t scope_from_string(const char *s);
/* The polkit action that authorises the scope. */
const char *scope_to_action(uint32_t scope);

static inline bool scope_is_valid(uint32_t scope) {
        return scope < _FWCTLD_SCOPE_MAX;
}

/* The kernel taints itself for these, before the driver validates anything. */
static inline bool scope_taints(uint32_t scope) {
        return scope >= FWCTLD_SCOPE_DEBUG_WRITE;
}
