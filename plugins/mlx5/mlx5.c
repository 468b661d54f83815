/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <fwctld/plugin.h>

#include "mlx5-plugin.h"
#include "mlx5-prm.h"
#include "plugin-util.h"

int mlx5_plugin_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        return mlx5_info_json(data, size, ret_json);
}

int mlx5_plugin_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        return mlx5_classify_request(request, size, ret, ret_reason);
}

/*
 * mlx5 requests carry no pointers and the driver writes no more than out_len, so there
 * is no marshal(): the request goes to the kernel as is, and classify()'s kernel_out_min
 * keeps the out buffer at or above the 16-byte header (the driver's EMSGSIZE rule) and
 * a fixed-size command's whole output, whatever max_response the caller asked for.
 */

int mlx5_plugin_decode(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        size_t buffer_size, reported, avail, length, req_size;
        const uint8_t *request = fwctld_rpc_get_request(rpc, &req_size);
        const uint8_t *reply = fwctld_rpc_get_kernel_response(rpc, &buffer_size, &reported);
        char name[64];
        uint8_t status;
        uint32_t syndrome;
        uint16_t opcode;

        avail = reported < buffer_size ? reported : buffer_size;
        if (mlx5_parse_out_header(reply, avail, &status, &syndrome) < 0)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "reply of %zu bytes is shorter than the 16-byte mlx5 output header", reported);
        mlx5_format_status(status, syndrome, name, sizeof(name));
        fwctld_rpc_set_status(rpc, status, name);

        /* mlx5 echoes out_len: trim to the command's fixed output size where known. */
        opcode = request && req_size >= 2 ? mlx5_get_be16(request) : 0;
        length = mlx5_true_response_len(opcode, reported);
        fwctld_rpc_set_response_length(rpc, length);
        if (length < avail)
                return fwctld_rpc_set_response(rpc, reply, length);
        return 0;
}

int mlx5_plugin_classify_execute(fwctld_device *device, const fwctld_operation *operation,
                                 const char *parameters_json, fwctld_classification *ret, char **ret_reason) {
        Mlx5Operation op = mlx5_operation_from_name(operation ? operation->name : NULL);
        Mlx5Params p = {};
        int r;

        if (op < 0)
                return -EINVAL;
        r = mlx5_params_parse(op, parameters_json, &p, ret_reason);
        mlx5_params_done(&p);
        return r;
}

int mlx5_plugin_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                        char **ret_result_json, char **ret_reason) {
        Mlx5Operation op = mlx5_operation_from_name(operation ? operation->name : NULL);
        fwctld_rpc_reply reply = {};
        Mlx5Params p = {};
        uint8_t *in = NULL, *out = NULL;
        size_t in_len, out_len;
        int r;

        if (op < 0)
                return -EINVAL;
        r = mlx5_params_parse(op, parameters_json, &p, ret_reason);
        if (r < 0)
                return r;
        r = mlx5_operation_request(op, &p, &in, &in_len, &out_len);
        if (r >= 0) {
                out = calloc(1, out_len);
                if (!out)
                        r = -ENOMEM;
        }
        /* The request is what Rpc takes (a raw PRM command); the answer what Rpc returns. */
        if (r >= 0)
                r = fwctld_device_rpc(device, mlx5_operations[op].min_scope, in, in_len, out, out_len, &reply);
        if (r < 0 && r != -ENOMEM && r != -EACCES && ret_reason && !*ret_reason)
                (void) plugin_reason(ret_reason, r, "%s: the device refused the command (%s)",
                                     mlx5_operations[op].name, strerror(-r));
        if (r >= 0)
                r = mlx5_operation_result(op, &p, out, reply.size < out_len ? reply.size : out_len, ret_result_json,
                                          ret_reason);
        free(in);
        free(out);
        mlx5_params_done(&p);
        return r;
}

static const uint32_t mlx5_device_types[] = { MLX5_DEVICE_TYPE, FWCTLD_DEVICE_TYPE_END };

static const fwctld_plugin mlx5_plugin = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "mlx5",
        .device_types = mlx5_device_types,
        .info_to_json = mlx5_plugin_info_to_json,
        .classify = mlx5_plugin_classify,
        .decode = mlx5_plugin_decode,
        .operations = mlx5_operations,
        .n_operations = _MLX5_OPERATION_MAX,
        .classify_execute = mlx5_plugin_classify_execute,
        .execute = mlx5_plugin_execute,
};

FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &mlx5_plugin;
}
