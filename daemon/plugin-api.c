/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include <fwctld/fwctl-uapi.h>
#include <fwctld/plugin.h>

#include "call.h"
#include "device.h"
#include "fwctl-ioctl.h"
#include "log.h"
#include "manager.h"
#include "util.h"

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

int fwctld_device_rpc(fwctld_device *device, uint32_t scope, const void *request, size_t request_size,
                      void *response, size_t response_size, fwctld_rpc_reply *ret_reply) {
        Call *current = manager_get_thread_call(), *sub = NULL;
        uint32_t limit;
        int r;

        if (!device || !request || request_size == 0 || (!response && response_size > 0))
                return -EINVAL;
        if (device->fd < 0)
                return -ENODEV;
        if (request_size > FWCTLD_MAX_RPC_LEN || response_size > FWCTLD_MAX_RPC_LEN)
                return -EMSGSIZE;
        if (current && current->device != device)
                return -EINVAL;

        /* A plugin may never go above what the caller was authorised for (attach: read-only). */
        limit = current ? current->scope : FWCTLD_SCOPE_DEBUG_READ_ONLY;
        if (scope > limit) {
                fwctld_log(device, LOG_ERR, "Plugin asked for scope %u above the authorised %u, refused.",
                           scope, limit);
                return -EACCES;
        }

        r = call_run_nested(device->manager, device, current, scope, request, request_size, response_size, &sub);
        if (r >= 0 && ret_reply) {
                size_t n = MIN(sub->response_size, response_size);

                if (n > 0)
                        memcpy(response, sub->response, n);
                *ret_reply = (fwctld_rpc_reply) {
                        .size = n,
                        .length = sub->response_length,
                        .issued_scope = sub->issued_scope,
                        .status_set = sub->status_set,
                        .status = sub->status,
                };
        } else if (r >= 0 && response_size > 0)
                memcpy(response, sub->response, MIN(sub->response_size, response_size));
        call_free(sub);
        return r;
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
