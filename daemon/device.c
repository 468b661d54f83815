/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <systemd/sd-bus.h>

#include <fwctld/fwctl-uapi.h>

#include "device.h"
#include "fwctl-ioctl.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "util.h"

static int strdup_optional(const char *s, char **ret) {
        *ret = strdup(strempty(s));
        return *ret ? 0 : -ENOMEM;
}

int device_new(Manager *m, const char *syspath, const char *name, const char *devnode,
               const char *parent, const char *pci_address, const char *driver, Device **ret) {
        _cleanup_(device_unrefp) Device *d = NULL;
        int r;

        if (isempty(syspath) || isempty(name) || isempty(devnode))
                return -EINVAL;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->n_ref = 1;
        d->manager = m;
        d->fd = -EBADF;
        d->state = DEVICE_PROBING;

        if (strdup_optional(syspath, &d->syspath) < 0 || strdup_optional(name, &d->name) < 0 ||
            strdup_optional(devnode, &d->devnode) < 0 || strdup_optional(parent, &d->parent) < 0 ||
            strdup_optional(pci_address, &d->pci_address) < 0 ||
            strdup_optional(driver, &d->driver) < 0)
                return -ENOMEM;

        r = sd_bus_path_encode(FWCTLD_DEVICE_PATH_PREFIX, name, &d->object_path);
        if (r < 0)
                return r;

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
        free(d->object_path);
        free(d->info_data);
        free(d->info_json);
        free(d);
        return NULL;
}

int device_probe(Device *d) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) void *data = NULL;
        const Plugin *plugin;
        uint32_t type;
        size_t size;
        int r;

        fd = open(d->devnode, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_device_warning_errno(d->name, errno, "Failed to open '%s': %m", d->devnode);

        r = fwctl_ioctl_info(fd, &type, &data, &size);
        if (r < 0)
                return log_device_warning_errno(d->name, r, "FWCTL_INFO on '%s' failed: %m", d->devnode);

        plugin = manager_find_plugin(d->manager, type);
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

const char *device_type_to_string(uint32_t type) {
        switch (type) {
        case FWCTL_DEVICE_TYPE_MLX5:
                return "mlx5";
        case FWCTL_DEVICE_TYPE_CXL:
                return "cxl";
        case FWCTLD_DEVICE_TYPE_BNXT:
                return "bnxt";
        case FWCTL_DEVICE_TYPE_PDS:
                return "pds";
        default:
                return "unknown";
        }
}

const char *device_plugin_name(const Device *d) {
        return d->plugin ? d->plugin->desc->name : "";
}

static bool device_matches_exact(const Device *d, const char *s) {
        return streq(s, d->name) || streq(s, d->syspath) || streq(s, d->devnode) ||
               (!isempty(d->parent) && streq(s, d->parent)) ||
               (!isempty(d->pci_address) && streq(s, d->pci_address));
}

bool device_matches(const Device *d, const char *s) {
        _cleanup_(freep) char *resolved = NULL;

        if (isempty(s))
                return false;
        if (device_matches_exact(d, s))
                return true;
        /* Symlinked sysfs forms: /sys/class/fwctl/fwctl0, /sys/bus/pci/devices/0000:03:00.0. */
        if (strncmp(s, "/sys/", 5) != 0)
                return false;
        resolved = realpath(s, NULL);
        return resolved && device_matches_exact(d, resolved);
}
