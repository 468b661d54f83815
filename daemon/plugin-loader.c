/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
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

/* Whoever can write the file or its directory decides what code runs as root in the daemon: only
 * the owner may, never group or others. Checked on the open fd, so what is checked is what gets
 * mapped. */
static int check_trusted(int fd, const char *path, uid_t owner, bool dir) {
        const char *kind = dir ? "plugin directory" : "plugin";
        struct stat st;

        if (fstat(fd, &st) < 0)
                return log_warning_errno(errno, "Failed to stat %s '%s': %m", kind, path);
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return log_warning_errno(EPERM, "Refusing %s '%s': not a %s.", kind, path,
                                         dir ? "directory" : "regular file");
        if (st.st_uid != owner)
                return log_warning_errno(EPERM, "Refusing %s '%s': owned by uid %u, not by uid %u.", kind,
                                         path, (unsigned) st.st_uid, (unsigned) owner);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_warning_errno(EPERM, "Refusing %s '%s': writable by group or others (mode %04o).",
                                         kind, path, (unsigned) (st.st_mode & 07777));
        return 0;
}

static int loaded_object_named(struct dl_phdr_info *info, size_t size, void *userdata) {
        return streq_ptr(info->dlpi_name, userdata);
}

/* dlopen() returns an already loaded object whose name matches before it opens anything, and every
 * plugin loaded through "/proc/self/fd/N" keeps that name after N is closed: move the fd to a number
 * no loaded object is named after, so the next plugin is never answered with the previous one. */
static int fd_unused_name(int *fd, char *buf, size_t size) {
        for (unsigned i = 0; i < 1024; i++) {
                int copy;

                (void) snprintf(buf, size, "/proc/self/fd/%i", *fd);
                if (dl_iterate_phdr(loaded_object_named, buf) == 0)
                        return 0;
                copy = fcntl(*fd, F_DUPFD_CLOEXEC, *fd + 1);
                if (copy < 0)
                        return -errno;
                (void) safe_close(*fd);
                *fd = copy;
        }
        return -EMFILE;
}

/* Takes fd, opened O_NOFOLLOW on path. */
static int plugin_load_fd(int fd, const char *path, uid_t owner, Plugin **ret) {
        _cleanup_(closep) int fd_owned = fd;
        _cleanup_(dlclosep) void *handle = NULL;
        _cleanup_(freep) char *reason = NULL;
        _cleanup_(plugin_freep) Plugin *p = NULL;
        fwctld_plugin_entry_func entry;
        const fwctld_plugin *desc;
        char fd_path[sizeof("/proc/self/fd/") + 12];
        int r;

        r = check_trusted(fd_owned, path, owner, false);
        if (r < 0)
                return r;
        r = fd_unused_name(&fd_owned, fd_path, sizeof(fd_path));
        if (r < 0)
                return log_warning_errno(r, "Failed to load plugin '%s': %m, skipping", path);

        handle = dlopen(fd_path, RTLD_NOW | RTLD_LOCAL);
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

static int open_plugin_at(int dir_fd, const char *name, const char *path) {
        int fd;

        /* O_NOFOLLOW: a symlink would point the checks at a file of someone else's choosing.
         * O_NONBLOCK: a FIFO under a plugin's name must not hang the start (it is refused). */
        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return log_warning_errno(errno, "Failed to open plugin '%s'%s: %m, skipping", path,
                                         errno == ELOOP ? " (a symbolic link)" : "");
        return fd;
}

int plugin_load(const char *path, uid_t owner, Plugin **ret) {
        int fd;

        fd = open_plugin_at(AT_FDCWD, path, path);
        if (fd < 0)
                return fd;
        return plugin_load_fd(fd, path, owner, ret);
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

/* The sorted names of the candidate files, read through its own copy of dir_fd. */
static int read_plugin_names(int dir_fd, char ***ret_names, size_t *ret_n) {
        struct dirent *de;
        char **names = NULL;
        size_t n_names = 0;
        int fd, r = 0;
        DIR *d;

        fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) safe_close(fd);
                return r;
        }

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

        if (r < 0) {
                for (size_t i = 0; i < n_names; i++)
                        free(names[i]);
                free(names);
                return r;
        }
        if (n_names > 0)
                qsort(names, n_names, sizeof(char *), compare_names);
        *ret_names = names;
        *ret_n = n_names;
        return 0;
}

int plugin_load_dir(const char *dir, uid_t owner, Plugin ***ret_plugins, size_t *ret_n) {
        _cleanup_(closep) int dir_fd = -EBADF;
        char **names = NULL;
        size_t n_names = 0;
        Plugin **plugins = NULL;
        size_t n = 0;
        int r;

        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        /* Plugins are opened relative to the checked fd, so the checked directory is the one read. */
        r = check_trusted(dir_fd, dir, owner, true);
        if (r < 0)
                return r;

        r = read_plugin_names(dir_fd, &names, &n_names);
        if (r >= 0 && n_names > 0) {
                plugins = calloc(n_names, sizeof(Plugin *));
                if (!plugins)
                        r = -ENOMEM;
        }

        for (size_t i = 0; r >= 0 && i < n_names; i++) {
                char path[PATH_MAX];
                Plugin *p;
                int fd;

                if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
                        continue;
                fd = open_plugin_at(dir_fd, names[i], path);
                if (fd < 0)
                        continue;
                if (plugin_load_fd(fd, path, owner, &p) < 0)
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
