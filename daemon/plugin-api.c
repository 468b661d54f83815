/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include <fwctld/fwctl-uapi.h>
#include <fwctld/plugin.h>

#include "call.h"
#include "device.h"
#include "fwctl-ioctl.h"
#include "log.h"
#include "manager.h"

/* The daemon's side of the plugin ABI: exported from fwctld for dlopen()ed plugins. */

const char *fwctld_device_get_name(const fwctld_device *device) {
        return device ? device->name : NULL;
}

uint32_t fwctld_device_get_type(const fwctld_device *device) {
        return device ? device->type : 0;
}

const char *fwctld_device_get_parent(const fwctld_device *device) {
        return device ? device->parent : NULL;
}

void *fwctld_device_get_plugin_data(const fwctld_device *device) {
        return device ? device->plugin_data : NULL;
}

void fwctld_device_set_plugin_data(fwctld_device *device, void *data) {
        if (device)
                device->plugin_data = data;
}

int fwctld_device_rpc(fwctld_device *device, uint32_t scope, const void *in, size_t in_len, void *out,
                      size_t out_len, size_t *ret_out_len) {
        Call *current = manager_get_thread_call();
        uint32_t limit;

        if (!device || !in || in_len == 0 || !out || !ret_out_len)
                return -EINVAL;
        if (device->fd < 0)
                return -ENODEV;
        if (in_len > FWCTLD_MAX_RPC_LEN || out_len > FWCTLD_MAX_RPC_LEN)
                return -EMSGSIZE;

        /* A plugin may never go above what the caller was authorised for (attach: read-only). */
        limit = current ? current->scope : FWCTLD_SCOPE_DEBUG_READ_ONLY;
        if (scope > limit) {
                fwctld_log(device, LOG_ERR, "Plugin asked for scope %u above the authorised %u, refused.",
                           scope, limit);
                return -EPERM;
        }
        if (current) {
                if (current->device != device)
                        return -EINVAL;
                current->n_ioctls++;
        }
        return fwctl_ioctl_rpc(device->fd, scope, in, in_len, out, out_len, ret_out_len);
}

void fwctld_log(const fwctld_device *device, int priority, const char *format, ...) {
        char buf[1024];
        va_list ap;

        if (!format)
                return;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        (void) log_device_full_errno(device ? device->name : NULL, priority & LOG_PRIMASK, 0, "%s", buf);
}
