/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "types.h"

struct Plugin {
        void *handle;
        const fwctld_plugin *desc;
        char *path;
};

/* Validate a descriptor: ABI version, size, required hooks. Returns 0 or -EPROTO/-EINVAL. */
int plugin_descriptor_check(const fwctld_plugin *desc, char **ret_reason);

/* dlopen one .so; a plugin that fails the checks is refused with a log line. The file must be a
 * regular file owned by owner (the daemon passes 0) and not writable by group or others: it is
 * checked on an open fd before dlopen() runs any of its code (-EPERM otherwise). */
int plugin_load(const char *path, uid_t owner, Plugin **ret);
Plugin *plugin_free(Plugin *p);

/* Every *.so in dir, sorted by name. A bad plugin never stops the others; a directory that is not
 * owned by owner or is writable by group or others loads nothing (-EPERM). */
int plugin_load_dir(const char *dir, uid_t owner, Plugin ***ret_plugins, size_t *ret_n);
void plugin_array_free(Plugin **plugins, size_t n);

/* The plugin that claims type, else the fallback one, else NULL. */
const Plugin *plugin_find(Plugin *const *plugins, size_t n, uint32_t device_type);
