/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <sys/sysmacros.h>

#include "device-identity.h"
#include "log.h"
#include "udev-watch.h"
#include "util.h"

struct UdevWatch {
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *source;
        UdevWatchCallback callback;
        void *userdata;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);
DEFINE_TRIVIAL_CLEANUP_FUNC(UdevWatch *, udev_watch_free);

static const char *const udev_action_table[_UDEV_ACTION_MAX] = {
        [UDEV_ACTION_ADD] = "add",
        [UDEV_ACTION_REMOVE] = "remove",
};

const char *udev_action_to_string(UdevAction a) {
        if (a < 0 || a >= _UDEV_ACTION_MAX)
                return NULL;
        return udev_action_table[a];
}

UdevAction udev_action_from_string(const char *s) {
        if (!s)
                return _UDEV_ACTION_INVALID;
        for (UdevAction a = 0; a < _UDEV_ACTION_MAX; a++)
                if (streq(udev_action_table[a], s))
                        return a;
        return _UDEV_ACTION_INVALID;
}

/* What a uevent means to us: a (re)bound or changed device is one to (re)serve. */
static UdevAction uevent_action(const char *action) {
        if (streq_ptr(action, "change") || streq_ptr(action, "bind"))
                return UDEV_ACTION_ADD;
        return udev_action_from_string(action);
}

static char *link_basename(const char *dir, const char *name) {
        char path[PATH_MAX], target[PATH_MAX];
        const char *slash;
        ssize_t n;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return NULL;
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
                return NULL;
        target[n] = '\0';
        slash = strrchr(target, '/');
        return strdup(slash ? slash + 1 : target);
}

char *udev_find_fwctl_driver(struct udev_device *parent) {
        _cleanup_(closedirp) DIR *dir = NULL;
        const char *syspath;
        struct dirent *de;

        if (!parent)
                return NULL;
        syspath = udev_device_get_syspath(parent);

        /* mlx5, bnxt, pds: the fwctl driver binds an auxiliary device "<core>.fwctl.<n>". */
        dir = syspath ? opendir(syspath) : NULL;
        while (dir && (de = readdir(dir))) {
                char sub[PATH_MAX];
                char *found;

                if (fnmatch("*.fwctl.*", de->d_name, 0) != 0)
                        continue;
                if ((size_t) snprintf(sub, sizeof(sub), "%s/%s", syspath, de->d_name) >= sizeof(sub))
                        continue;
                found = link_basename(sub, "driver");
                if (found)
                        return found;
        }

        return strdup(strempty(udev_device_get_driver(parent)));
}

static const char *find_pci_address(struct udev_device *dev) {
        for (struct udev_device *p = dev; p; p = udev_device_get_parent(p))
                if (streq_ptr(udev_device_get_subsystem(p), "pci"))
                        return udev_device_get_sysname(p);
        return "";
}

/* devnode: udev's DEVNAME, or NULL when the device has no node to serve. */
static const char *device_devnode(struct udev_device *dev, char *buf, size_t size) {
        const char *devnode = udev_device_get_devnode(dev), *sysname = udev_device_get_sysname(dev);

        if (devnode)
                return devnode;
        /* No DEVNAME from udev: the fwctl class always names its nodes fwctl/<name>. */
        if (major(udev_device_get_devnum(dev)) == 0 || !sysname)
                return NULL;
        if ((size_t) snprintf(buf, size, "/dev/fwctl/%s", sysname) >= size)
                return NULL;
        return buf;
}

static int identity_from_device(struct udev_device *dev, UdevAction action, DeviceIdentity *ret) {
        _cleanup_(freep) char *driver = NULL;
        struct udev_device *parent;
        char fallback[PATH_MAX];
        const char *devnode;

        /* The device is gone from sysfs: the uevent's syspath and name are all there is. */
        if (action == UDEV_ACTION_REMOVE)
                return device_identity_copy(&(const DeviceIdentity) {
                                .syspath = (char *) udev_device_get_syspath(dev),
                                .name = (char *) udev_device_get_sysname(dev),
                        }, ret);

        devnode = device_devnode(dev, fallback, sizeof(fallback));
        if (!devnode)
                return -ENODEV;
        parent = udev_device_get_parent(dev);
        driver = udev_find_fwctl_driver(parent);

        /* A borrowed view; the copy owns its strings and turns missing ones into "". */
        return device_identity_copy(&(const DeviceIdentity) {
                        .syspath = (char *) udev_device_get_syspath(dev),
                        .name = (char *) udev_device_get_sysname(dev),
                        .devnode = (char *) devnode,
                        /* The probe checks the opened node against this number. */
                        .devnum = udev_device_get_devnum(dev),
                        .parent = parent ? (char *) udev_device_get_syspath(parent) : NULL,
                        .pci_address = (char *) find_pci_address(dev),
                        .driver = driver,
                }, ret);
}

static void handle_device(UdevWatch *w, struct udev_device *dev, UdevAction action, bool coldplug) {
        _cleanup_(device_identity_done) DeviceIdentity id = {};
        const char *syspath = udev_device_get_syspath(dev);
        int r;

        if (!syspath)
                return;
        r = identity_from_device(dev, action, &id);
        if (r == -ENODEV) {
                log_debug("fwctl device '%s' has no device node, ignoring.", syspath);
                return;
        }
        if (r < 0) {
                (void) log_debug_errno(r, "Failed to read fwctl device '%s', ignoring: %m", syspath);
                return;
        }
        w->callback(action, &id, coldplug, w->userdata);
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;
        UdevWatch *w = userdata;
        const char *action;
        UdevAction a;

        assert(w);

        dev = udev_monitor_receive_device(w->monitor);
        if (!dev)
                return 0;
        action = udev_device_get_action(dev);
        log_debug("uevent '%s' for '%s'.", strempty(action), strempty(udev_device_get_syspath(dev)));

        a = uevent_action(action);
        if (a < 0)
                return 0;
        handle_device(w, dev, a, /* coldplug= */ false);
        return 0;
}

int udev_watch_new(sd_event *e, UdevWatchCallback callback, void *userdata, UdevWatch **ret) {
        _cleanup_(udev_watch_freep) UdevWatch *w = NULL;
        int r;

        assert(e);
        assert(callback);
        assert(ret);

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->callback = callback;
        w->userdata = userdata;

        w->udev = udev_new();
        if (!w->udev)
                return log_debug_errno(errno ?: ENOMEM, "Failed to allocate udev context: %m");
        w->monitor = udev_monitor_new_from_netlink(w->udev, "udev");
        if (!w->monitor)
                return log_debug_errno(errno ?: EIO, "Failed to create udev monitor: %m");
        r = udev_monitor_filter_add_match_subsystem_devtype(w->monitor, "fwctl", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(w->monitor);
        if (r < 0)
                return log_debug_errno(r, "Failed to enable udev monitor: %m");

        r = sd_event_add_io(e, &w->source, udev_monitor_get_fd(w->monitor), EPOLLIN, on_monitor, w);
        if (r < 0)
                return log_debug_errno(r, "Failed to watch udev monitor: %m");
        (void) sd_event_source_set_description(w->source, "udev-monitor");

        *ret = TAKE_PTR(w);
        return 0;
}

UdevWatch *udev_watch_free(UdevWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        udev_monitor_unref(w->monitor);
        udev_unref(w->udev);
        free(w);
        return NULL;
}

int udev_watch_enumerate(UdevWatch *w) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        struct udev_list_entry *entry;
        int r;

        assert(w);

        e = udev_enumerate_new(w->udev);
        if (!e)
                return -ENOMEM;
        r = udev_enumerate_add_match_subsystem(e, "fwctl");
        if (r < 0)
                return r;
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;

        udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e)) {
                _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;

                dev = udev_device_new_from_syspath(w->udev, udev_list_entry_get_name(entry));
                if (!dev)
                        continue;
                handle_device(w, dev, UDEV_ACTION_ADD, /* coldplug= */ true);
        }
        return 0;
}
