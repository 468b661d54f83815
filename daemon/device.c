/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fwctld/fwctl-uapi.h>

#include "device-type.h"
#include "device.h"
#include "fwctl-ioctl.h"
#include "log.h"
#include "names.h"
#include "plugin-loader.h"
#include "util.h"

static const char *const device_state_table[_DEVICE_STATE_MAX] = {
        [DEVICE_PROBING] = "probing",
        [DEVICE_READY] = "ready",
        [DEVICE_GONE] = "gone",
};

const char *device_state_to_string(DeviceState s) {
        return s >= 0 && s < _DEVICE_STATE_MAX ? device_state_table[s] : NULL;
}

int device_new(const DeviceIdentity *id, Policy *policy, Device **ret) {
        _cleanup_(device_unrefp) Device *d = NULL;
        DeviceIdentity copy;
        int r;

        assert(id);
        assert(ret);
        if (isempty(id->syspath) || isempty(id->name) || isempty(id->devnode))
                return -EINVAL;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->n_ref = 1;
        d->policy = policy;
        d->fd = -EBADF;
        d->state = DEVICE_PROBING;

        r = device_identity_copy(id, &copy);
        if (r < 0)
                return r;
        d->syspath = copy.syspath;
        d->name = copy.name;
        d->devnode = copy.devnode;
        d->devnum = copy.devnum;
        d->parent = copy.parent;
        d->pci_address = copy.pci_address;
        d->driver = copy.driver;

        *ret = TAKE_PTR(d);
        return 0;
}

Device *device_ref(Device *d) {
        if (d)
                d->n_ref++;
        return d;
}

Device *device_unref(Device *d) {
        if (!d)
                return NULL;
        if (--d->n_ref > 0)
                return NULL;

        d->fd = safe_close(d->fd);
        free(d->syspath);
        free(d->name);
        free(d->devnode);
        free(d->parent);
        free(d->pci_address);
        free(d->driver);
        free(d->info_data);
        free(d->info_json);
        free(d->metrics);
        free(d);
        return NULL;
}

static int find_umockdev_preload(struct dl_phdr_info *info, size_t size, void *userdata) {
        const char *slash = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
        const char *name = slash ? slash + 1 : strempty(info->dlpi_name);

        return strncmp(name, "libumockdev-preload.so", strlen("libumockdev-preload.so")) == 0;
}

/* umockdev emulates a node as a regular file and reports it as a character device, with its
 * emulated number, only to stat() by path: fstat() sees the plain file. Only when its preload is
 * mapped into this process (which whoever starts the daemon could use to run any code in it
 * anyway) take the emulated identity, and only if it describes the very file fd is open on. */
static void node_stat_emulated(const char *devnode, struct stat *st) {
        /* The preload looks the number up in static buffers without a lock: one probe at a time. */
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        struct stat emulated;
        int r;

        if (!S_ISREG(st->st_mode) || dl_iterate_phdr(find_umockdev_preload, NULL) == 0)
                return;
        pthread_mutex_lock(&lock);
        r = stat(devnode, &emulated);
        pthread_mutex_unlock(&lock);
        if (r < 0 || emulated.st_dev != st->st_dev || emulated.st_ino != st->st_ino)
                return;
        *st = emulated;
}

/* The node opened must be the character device udev announced: one swapped under the name
 * (another device's node, a regular file, a FIFO) is never served, and no ioctl reaches it. */
static int device_check_node(const Device *d, int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return log_device_warning_errno(d->name, errno, "Failed to stat '%s': %m", d->devnode);
        node_stat_emulated(d->devnode, &st);

        if (!S_ISCHR(st.st_mode))
                return log_device_warning_errno(d->name, ENXIO, "'%s' is not a character device, refusing it.",
                                                d->devnode);
        if (d->devnum == 0)
                return log_device_warning_errno(d->name, ENXIO,
                                                "udev announced no device number for '%s', cannot verify '%s', refusing it.",
                                                d->syspath, d->devnode);
        if (st.st_rdev != d->devnum)
                return log_device_warning_errno(d->name, ENXIO,
                                                "'%s' is device %u:%u, but udev announced %u:%u for '%s': not the same node, refusing it.",
                                                d->devnode, major(st.st_rdev), minor(st.st_rdev), major(d->devnum),
                                                minor(d->devnum), d->syspath);
        return 0;
}

int device_probe(Device *d, Plugin *const *plugins, size_t n_plugins) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) void *data = NULL;
        const Plugin *plugin;
        uint32_t type;
        size_t size;
        int r;

        fd = open(d->devnode, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_device_warning_errno(d->name, errno, "Failed to open '%s': %m", d->devnode);
        /* On the fd, not the name: what is checked is what the ioctls go to. */
        r = device_check_node(d, fd);
        if (r < 0)
                return r;

        r = fwctl_ioctl_info(fd, &type, &data, &size);
        if (r < 0)
                return log_device_warning_errno(d->name, r, "FWCTL_INFO on '%s' failed: %m", d->devnode);

        plugin = plugin_find(plugins, n_plugins, type);
        if (!plugin)
                return log_device_warning_errno(d->name, ENOENT,
                                                "No plugin for device type %u and no fallback plugin installed", type);

        /* From here the device owns the fd: device_shutdown()/device_unref() close it. */
        d->fd = TAKE_FD(fd);
        d->type = type;
        d->info_data = TAKE_PTR(data);
        d->info_size = size;
        d->plugin = plugin;

        /* Attach first: what it learns from the device (CXL's feature list) belongs in Info. */
        if (plugin->desc->attach) {
                r = plugin->desc->attach(d);
                if (r < 0)
                        return log_device_warning_errno(d->name, r, "Plugin '%s' failed to attach: %m",
                                                        plugin->desc->name);
        }
        d->attached = true;

        r = plugin->desc->info_to_json(d, d->info_data, d->info_size, &d->info_json);
        if (r < 0 || !d->info_json)
                return log_device_warning_errno(d->name, r < 0 ? r : EBADMSG,
                                                "Plugin '%s' could not decode Info: %m", plugin->desc->name);
        return 0;
}

void device_shutdown(Device *d) {
        if (d->attached && d->plugin->desc->detach)
                d->plugin->desc->detach(d);
        d->attached = false;
        d->fd = safe_close(d->fd);
}

AuditDevice device_to_audit(const Device *d) {
        return (AuditDevice) {
                .name = d->name,
                .type_name = device_type_to_string(d->type),
                .parent = d->parent,
                .pci_address = d->pci_address,
                .plugin = device_plugin_name(d),
        };
}

const char *device_plugin_name(const Device *d) {
        return d->plugin ? d->plugin->desc->name : "";
}

/* An absolute path made of plain names only: no empty, "." or ".." component (so no trailing
 * slash either). Such a path means what it spells, so it can be compared as a string. */
static bool path_is_plain(const char *s) {
        if (s[0] != '/')
                return false;
        for (const char *p = s + 1;;) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                if (p[n] == '\0')
                        return true;
                p += n + 1;
        }
}

static const char *path_after(const char *s, const char *prefix) {
        size_t l = strlen(prefix);

        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

const char *device_parent_name(const Device *d) {
        const char *slash = d->parent ? strrchr(d->parent, '/') : NULL;

        return slash ? slash + 1 : NULL;
}

const char *device_bus_link_name(const char *rest, bool *ret_pci) {
        const char *slash = strchr(rest, '/'), *x;

        x = slash ? path_after(slash + 1, "devices/") : NULL;
        if (!x || strchr(x, '/'))
                return NULL;
        *ret_pci = path_after(rest, "pci/");
        return x;
}

/* /sys/bus/<bus>/devices/<X>: the parent by its name on its bus, or the PCI function by its
 * address (also when the fwctl parent is an auxiliary device below it). */
static bool device_matches_bus_link(const Device *d, const char *rest) {
        const char *x, *parent_name = device_parent_name(d);
        bool pci;

        x = device_bus_link_name(rest, &pci);
        if (!x)
                return false;
        if (parent_name && streq(x, parent_name))
                return true;
        return pci && !isempty(d->pci_address) && streq(x, d->pci_address);
}

bool device_matches(const Device *d, const char *s) {
        const char *rest;

        if (isempty(s))
                return false;
        if (s[0] != '/')
                return streq(s, d->name) || (!isempty(d->pci_address) && streq(s, d->pci_address));

        /* Paths are read lexically, never resolved: realpath() of a caller's string on the main loop
         * let "/sys/../" reach anything and let an automount stall the daemon. */
        if (!path_is_plain(s))
                return false;
        if (streq(s, d->syspath) || streq(s, d->devnode) || (!isempty(d->parent) && streq(s, d->parent)))
                return true;
        rest = path_after(s, "/sys/class/fwctl/");
        if (rest)
                return streq(rest, d->name);
        rest = path_after(s, "/sys/bus/");
        if (rest)
                return device_matches_bus_link(d, rest);
        return false;
}
