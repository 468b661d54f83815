/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The local deny list: requests an administrator refuses before polkit is even asked,
 * for a fast security response that needs neither a kernel nor a firmware update.
 * Files $sysconfdir/fwctld/deny.d/ *.conf, one rule per line:
 *
 *     DEVICE_TYPE  OPERATION  [SCOPE]
 *
 * DEVICE_TYPE is a DeviceTypeName ("mlx5", "cxl", "bnxt", "pds", "unknown") or "*";
 * OPERATION the plugin's operation name (an Rpc's "operation" result, or an Execute
 * operation) or "*"; SCOPE 0-3, a scope name, or "*" (the default): a rule with a scope
 * stops that scope and every higher one. '#' starts a comment. Reloaded on SIGHUP.
 * An Execute call is stopped by a rule naming the operation or any RPC it issues.
 */

typedef struct DenyRule {
        char *device_type;
        char *operation;
        int scope;      /* -1: any */
        char *origin;   /* "file:line", for the refusal message and the journal */
} DenyRule;

typedef struct DenyList {
        DenyRule *rules;
        size_t n;
} DenyList;

DenyList *deny_list_free(DenyList *l);

static inline void deny_list_freep(DenyList **l) {
        if (*l)
                (void) deny_list_free(*l);
}

/* Parse one file's text into l. Returns the number of bad lines skipped (>= 0) or -errno. */
int deny_list_parse(DenyList *l, const char *text, const char *file);

/* Every *.conf in dir, in name order; a missing dir is an empty list. */
int deny_list_load_dir(const char *dir, DenyList **ret);

const DenyRule *deny_list_match(const DenyList *l, const char *device_type, const char *operation, uint32_t scope);
/* Any name of a comma-separated list. */
const DenyRule *deny_list_match_any(const DenyList *l, const char *device_type, const char *operations,
                                    uint32_t scope);
