/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "deny-list.h"
#include "raw-types.h"

/*
 * The administrator's local policy: the deny list and the device types served raw to
 * non-root callers, plus where the kernel's taint flags are read. Reloaded on the loop
 * (SIGHUP), read by the loop and by workers (the RPCs of named operations): locked.
 */
typedef struct Policy {
        char *deny_dir;       /* NULL: no deny list */
        char *raw_types_path; /* NULL: nothing opted in */
        char *tainted_path;

        pthread_mutex_t lock;
        DenyList *deny;
        RawTypes *raw_types;
} Policy;

int policy_new(const char *deny_dir, const char *raw_types_path, const char *tainted_path, Policy **ret);
Policy *policy_free(Policy *p);

static inline void policy_freep(Policy **p) {
        if (*p)
                (void) policy_free(*p);
}

/* (Re)read both files; on failure the previous list stays in force. */
void policy_reload(Policy *p);

/* Any thread. 1 (and the rule's "file:line", malloc()ed) when (type, any of the comma-separated
 * operations, scope) is denied, 0 otherwise. */
int policy_deny_check(Policy *p, uint32_t device_type, const char *operations, uint32_t scope, char **ret_origin);
bool policy_raw_type_allowed(Policy *p, uint32_t device_type);
/* The kernel's fwctl taint flag now; the previous answer on a read error. */
bool policy_read_taint(Policy *p, bool previous);
