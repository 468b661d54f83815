/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include <fwctld/fwctl-uapi.h>
#include <fwctld/plugin.h>

#include "call.h"
#include "device.h"
#include "log.h"
#include "rpc-exchange.h"
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
        Call *current = call_get_current(), *sub = NULL;
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

        r = call_run_nested(device, device->policy, current, scope, request, request_size, response_size, &sub);
        if (r >= 0) {
                size_t n = MIN(sub->rpc.response_size, response_size);

                if (n > 0)
                        memcpy(response, sub->rpc.response, n);
                if (ret_reply)
                        *ret_reply = (fwctld_rpc_reply) {
                                .size = n,
                                .length = sub->rpc.response_length,
                                .issued_scope = sub->issued_scope,
                                .status_set = sub->rpc.status_set,
                                .status = sub->rpc.status,
                        };
        }
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

/* --- The plugin's view of one exchange with the kernel ------------------------------ */

uint32_t fwctld_rpc_get_scope(const fwctld_rpc *rpc) {
        return rpc->scope;
}

const void *fwctld_rpc_get_request(const fwctld_rpc *rpc, size_t *ret_size) {
        if (ret_size)
                *ret_size = rpc->request_size;
        return rpc->request;
}

size_t fwctld_rpc_get_max_response(const fwctld_rpc *rpc) {
        return rpc->max_response;
}

void *fwctld_rpc_alloc(fwctld_rpc *rpc, size_t size) {
        return rpc_exchange_alloc(rpc, size);
}

int fwctld_rpc_set_kernel_buffers(fwctld_rpc *rpc, void *in, size_t in_len, void *out, size_t out_len) {
        if (!in || in_len == 0 || !out || in_len > FWCTLD_MAX_RPC_LEN || out_len > FWCTLD_MAX_RPC_LEN)
                return -EINVAL;
        if (!rpc_exchange_owns(rpc, in, in_len) || !rpc_exchange_owns(rpc, out, out_len))
                return -EINVAL;
        rpc->kin = in;
        rpc->kin_len = in_len;
        rpc->kout = out;
        rpc->kout_len = out_len;
        return 0;
}

const void *fwctld_rpc_get_kernel_response(const fwctld_rpc *rpc, size_t *ret_buffer_size, size_t *ret_reported_len) {
        if (ret_buffer_size)
                *ret_buffer_size = rpc->kout_len;
        if (ret_reported_len)
                *ret_reported_len = rpc->reported_len;
        return rpc->kout;
}

int fwctld_rpc_set_response(fwctld_rpc *rpc, const void *data, size_t size) {
        return rpc_exchange_set_response(rpc, data, size);
}

void fwctld_rpc_set_response_length(fwctld_rpc *rpc, size_t length) {
        rpc->response_length = length;
        rpc->response_length_set = true;
}

void fwctld_rpc_set_status(fwctld_rpc *rpc, uint32_t status, const char *status_name) {
        rpc->status = status;
        free(rpc->status_name);
        rpc->status_name = status_name ? strdup(status_name) : NULL;
        rpc->status_set = true;
}
