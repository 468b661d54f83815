/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "names.h"
#include "plugin-loader.h"
#include "util.h"

int plugin_descriptor_check(const fwctld_plugin *desc, char **ret_reason) {
        const char *why = NULL;

        if (!desc)
                why = "entry point returned no descriptor";
        else if (desc->abi_version != FWCTLD_PLUGIN_ABI_VERSION)
                why = "ABI version mismatch";
        else if (desc->size != sizeof(fwctld_plugin))
                why = "descriptor size mismatch";
        else if (isempty(desc->name))
                why = "no name";
        else if (!desc->device_types && !desc->fallback)
                why = "serves no device type";
        else if (!desc->info_to_json || !desc->classify)
                why = "info_to_json or classify missing";
        else if (desc->n_operations > 0 && (!desc->operations || !desc->execute))
                why = "operations declared without execute";

        if (!why)
                return 0;
        if (ret_reason)
                *ret_reason = strdup(why);
        return desc && desc->abi_version != FWCTLD_PLUGIN_ABI_VERSION ? -EPROTO : -EINVAL;
}

Plugin *plugin_free(Plugin *p) {
        if (!p)
                return NULL;
        if (p->handle)
                (void) dlclose(p->handle);
        free(p->path);
        free(p);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Plugin *, plugin_free);

int plugin_load(const char *path, Plugin **ret) {
        _cleanup_(dlclosep) void *handle = NULL;
        _cleanup_(freep) char *reason = NULL;
        _cleanup_(plugin_freep) Plugin *p = NULL;
        fwctld_plugin_entry_func entry;
        const fwctld_plugin *desc;
        int r;

        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
                log_warning("Failed to load plugin '%s': %s, skipping", path, dlerror());
                return -ENOEXEC;
        }

        entry = (fwctld_plugin_entry_func) dlsym(handle, FWCTLD_PLUGIN_ENTRY_SYMBOL);
        if (!entry) {
                (void) log_full_errno(LOG_WARNING, ENOENT,
                                      "Plugin '%s' does not export '%s', skipping", path,
                                      FWCTLD_PLUGIN_ENTRY_SYMBOL);
                return -ENOENT;
        }

        desc = entry();
        r = plugin_descriptor_check(desc, &reason);
        if (r < 0)
                return log_full_errno(LOG_WARNING, r, "Plugin '%s' refused: %s (daemon ABI %u, plugin ABI %u), skipping",
                                      path, strempty(reason), FWCTLD_PLUGIN_ABI_VERSION,
                                      desc ? desc->abi_version : 0);

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->path = strdup(path);
        if (!p->path)
                return -ENOMEM;
        p->desc = desc;
        p->handle = TAKE_PTR(handle);
        *ret = TAKE_PTR(p);
        return 0;
}

void plugin_array_free(Plugin **plugins, size_t n) {
        for (size_t i = 0; i < n; i++)
                plugin_free(plugins[i]);
        free(plugins);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static bool is_plugin_file(const char *name) {
        size_t l = strlen(name);

        return name[0] != '.' && l > 3 && streq(name + l - 3, ".so");
}

int plugin_load_dir(const char *dir, Plugin ***ret_plugins, size_t *ret_n) {
        DIR *d;
        struct dirent *de;
        char **names = NULL;
        size_t n_names = 0;
        Plugin **plugins = NULL;
        size_t n = 0;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return -errno;

        while ((de = readdir(d))) {
                char **t;

                if (!is_plugin_file(de->d_name))
                        continue;
                t = realloc(names, (n_names + 1) * sizeof(char *));
                if (!t) {
                        r = -ENOMEM;
                        break;
                }
                names = t;
                names[n_names] = strdup(de->d_name);
                if (!names[n_names]) {
                        r = -ENOMEM;
                        break;
                }
                n_names++;
        }
        (void) closedir(d);

        if (r >= 0 && n_names > 0) {
                qsort(names, n_names, sizeof(char *), compare_names);
                plugins = calloc(n_names, sizeof(Plugin *));
                if (!plugins)
                        r = -ENOMEM;
        }

        for (size_t i = 0; r >= 0 && i < n_names; i++) {
                char path[PATH_MAX];
                Plugin *p;

                if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
                        continue;
                if (plugin_load(path, &p) < 0)
                        continue;
                plugins[n++] = p;
        }

        for (size_t i = 0; i < n_names; i++)
                free(names[i]);
        free(names);

        if (r < 0) {
                plugin_array_free(plugins, n);
                return r;
        }
        *ret_plugins = plugins;
        *ret_n = n;
        return 0;
}

static bool plugin_serves(const Plugin *p, uint32_t type) {
        if (!p->desc->device_types)
                return false;
        for (const uint32_t *t = p->desc->device_types; *t != FWCTLD_DEVICE_TYPE_END; t++)
                if (*t == type)
                        return true;
        return false;
}

const Plugin *plugin_find(Plugin *const *plugins, size_t n, uint32_t device_type) {
        const Plugin *fallback = NULL;

        for (size_t i = 0; i < n; i++) {
                if (plugin_serves(plugins[i], device_type))
                        return plugins[i];
                if (plugins[i]->desc->fallback && !fallback)
                        fallback = plugins[i];
        }
        return fallback;
}
