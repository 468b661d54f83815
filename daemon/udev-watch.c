/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "manager.h"
#include "udev-watch.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);

static char *link_basename(const char *dir, const char *name) {
        char path[PATH_MAX], target[PATH_MAX];
        ssize_t n;
        const char *slash;

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
        const char *syspath, *drv;
        DIR *dir;
        struct dirent *de;
        char *found = NULL;

        if (!parent)
                return NULL;
        syspath = udev_device_get_syspath(parent);

        /* mlx5, bnxt, pds: the fwctl driver binds an auxiliary device "<core>.fwctl.<n>". */
        dir = syspath ? opendir(syspath) : NULL;
        if (dir) {
                while (!found && (de = readdir(dir))) {
                        char sub[PATH_MAX];

                        if (fnmatch("*.fwctl.*", de->d_name, 0) != 0)
                                continue;
                        if ((size_t) snprintf(sub, sizeof(sub), "%s/%s", syspath, de->d_name) >= sizeof(sub))
                                continue;
                        found = link_basename(sub, "driver");
                }
                (void) closedir(dir);
        }
        if (found)
                return found;

        drv = udev_device_get_driver(parent);
        return strdup(strempty(drv));
}

static const char *find_pci_address(struct udev_device *dev) {
        for (struct udev_device *p = dev; p; p = udev_device_get_parent(p))
                if (streq_ptr(udev_device_get_subsystem(p), "pci"))
                        return udev_device_get_sysname(p);
        return "";
}

static int handle_device(Manager *m, struct udev_device *dev, const char *action, bool coldplug) {
        const char *syspath = udev_device_get_syspath(dev);
        _cleanup_(freep) char *driver = NULL;
        struct udev_device *parent;
        const char *devnode;
        char fallback[PATH_MAX];

        if (!syspath)
                return -EINVAL;

        if (streq_ptr(action, "remove")) {
                Device *d = manager_find_device_by_syspath(m, syspath);

                if (d)
                        manager_remove_device(m, d);
                return 0;
        }
        if (action && !streq(action, "add") && !streq(action, "change") && !streq(action, "bind"))
                return 0;

        devnode = udev_device_get_devnode(dev);
        if (!devnode) {
                /* No DEVNAME from udev: the fwctl class always names its nodes fwctl/<name>. */
                if (major(udev_device_get_devnum(dev)) == 0 || !udev_device_get_sysname(dev)) {
                        log_debug("fwctl device '%s' has no device node, ignoring.", syspath);
                        return 0;
                }
                if ((size_t) snprintf(fallback, sizeof(fallback), "/dev/fwctl/%s",
                                      udev_device_get_sysname(dev)) >= sizeof(fallback))
                        return -ENAMETOOLONG;
                devnode = fallback;
        }

        parent = udev_device_get_parent(dev);
        driver = udev_find_fwctl_driver(parent);
        /* The probe checks the opened node against this number. */
        return manager_add_device(m, syspath, udev_device_get_sysname(dev), devnode, udev_device_get_devnum(dev),
                                  parent ? udev_device_get_syspath(parent) : "", find_pci_address(dev),
                                  driver, coldplug);
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        _cleanup_(udev_device_unrefp) struct udev_device *dev = NULL;

        dev = udev_monitor_receive_device(m->monitor);
        if (!dev)
                return 0;
        log_debug("uevent '%s' for '%s'.", strempty(udev_device_get_action(dev)),
                  strempty(udev_device_get_syspath(dev)));
        (void) handle_device(m, dev, udev_device_get_action(dev), false);
        return 0;
}

static int udev_coldplug(Manager *m) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        struct udev_list_entry *entry;
        int r;

        e = udev_enumerate_new(m->udev);
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

                dev = udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(entry));
                if (!dev)
                        continue;
                (void) handle_device(m, dev, NULL, true);
        }
        return 0;
}

int udev_watch_start(Manager *m) {
        int r;

        m->udev = udev_new();
        if (!m->udev)
                return log_error_errno(ENOMEM, "Failed to allocate udev context.");

        /* Listen before enumerating so nothing added in between is missed. */
        m->monitor = udev_monitor_new_from_netlink(m->udev, "udev");
        if (!m->monitor)
                return log_error_errno(EIO, "Failed to create udev monitor.");
        r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "fwctl", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to enable udev monitor: %m");

        r = sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor), EPOLLIN,
                            on_monitor, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch udev monitor: %m");

        r = udev_coldplug(m);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate fwctl devices: %m");
        return 0;
}
