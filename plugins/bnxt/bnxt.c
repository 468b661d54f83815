/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctld plugin for Broadcom bnxt (fwctl device type 3): raw HWRM requests,
 * classified against the driver's allowlist, with a pointer-free envelope for
 * DMA commands. See README.md and docs/plugin-bnxt.md.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <fwctld/plugin.h>

#include "bnxt-proto.h"

#define EXPORT __attribute__((visibility("default")))

static int bnxt_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        (void) device;
        if (!ret_json || (size > 0 && !data))
                return -EINVAL;
        return bnxt_info_json(data, size, ret_json);
}

static int bnxt_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        const BnxtCommand *c;
        int r;

        (void) device;
        (void) scope;
        r = bnxt_classify_request(request, size, &c, NULL, ret_reason);
        if (r < 0)
                return r;
        *ret = (fwctld_classification) {
                .min_scope = c->min_scope,
                .configuration_write = c->configuration_write,
        };
        (void) strncpy(ret->operation, c->name, sizeof(ret->operation) - 1);
        return 0;
}

/*
 * Kernel buffers: the request copy (with the daemon's DMA addresses), and one
 * block holding the HWRM response buffer followed by every read buffer, so
 * decode() finds the read data right after the response buffer.
 */
static int bnxt_marshal(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        const uint8_t *req;
        uint8_t *kin, *block, *p;
        BnxtEnvelope env;
        const BnxtCommand *c;
        size_t size, req_len;
        int r;

        (void) device;
        req = fwctld_rpc_get_request(rpc, &size);
        r = bnxt_classify_request(req, size, &c, &env, ret_reason);
        if (r < 0)
                return r;
        r = bnxt_check_max_response(fwctld_rpc_get_max_response(rpc), ret_reason);
        if (r < 0)
                return r;

        req_len = c->dma ? c->layout->req_size : size;
        kin = fwctld_rpc_alloc(rpc, req_len);
        block = fwctld_rpc_alloc(rpc, HWRM_RESP_BUF_LEN + env.read_bytes);
        if (!kin || !block)
                return -ENOMEM;
        memcpy(kin, req, req_len);

        p = block + HWRM_RESP_BUF_LEN;
        for (unsigned i = 0; i < env.n_buffers; i++) {
                uint8_t *buf;

                if (env.buffers[i].dir == BNXT_DMA_FROM_DEVICE) {
                        buf = p;
                        p += env.buffers[i].length;
                } else {
                        buf = fwctld_rpc_alloc(rpc, env.buffers[i].length);
                        if (!buf)
                                return -ENOMEM;
                        memcpy(buf, req + env.buffers[i].data_offset, env.buffers[i].length);
                }
                bnxt_put_le64(kin + env.buffers[i].addr_offset, (uint64_t) (uintptr_t) buf);
        }
        return fwctld_rpc_set_kernel_buffers(rpc, kin, req_len, block, HWRM_RESP_BUF_LEN);
}

static int bnxt_decode(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        const uint8_t *kout, *req;
        size_t bufsize, reported, size, total;
        const BnxtCommand *c;
        BnxtEnvelope env;
        BnxtResponse h;
        char name[32];
        uint8_t *out;
        int r;

        (void) device;
        kout = fwctld_rpc_get_kernel_response(rpc, &bufsize, &reported);
        /* The driver echoes out_len: what it wrote back says nothing about the length. */
        r = bnxt_parse_response(kout, bufsize, &h, ret_reason);
        if (r < 0)
                return r;
        req = fwctld_rpc_get_request(rpc, &size);
        r = bnxt_classify_request(req, size, &c, &env, ret_reason);
        if (r < 0)
                return r;

        /* Caller's view: the HWRM response (resp_len bytes), then the read buffers in order. */
        total = h.resp_len + env.read_bytes;
        out = malloc(total);
        if (!out)
                return -ENOMEM;
        memcpy(out, kout, h.resp_len);
        if (env.read_bytes > 0)
                memcpy(out + h.resp_len, kout + HWRM_RESP_BUF_LEN, env.read_bytes);
        r = fwctld_rpc_set_response(rpc, out, total);
        free(out);
        if (r < 0)
                return r;
        fwctld_rpc_set_response_length(rpc, total);
        fwctld_rpc_set_status(rpc, h.error_code, bnxt_error_name(h.error_code, name, sizeof(name)));
        return 0;
}

/* --- Named operations ---------------------------------------------------------------- */

static const fwctld_operation operations[] = {
        { "ver-get", "HWRM_VER_GET: firmware and HWRM interface versions, chip id", FWCTLD_SCOPE_DEBUG_READ_ONLY },
        { "func-qcaps", "HWRM_FUNC_QCAPS: function capabilities (params: optional fid, default 0xffff = self)",
          FWCTLD_SCOPE_DEBUG_READ_ONLY },
        { "temp-monitor-query", "HWRM_TEMP_MONITOR_QUERY: chip, PHY and module temperatures in degrees C",
          FWCTLD_SCOPE_DEBUG_READ_ONLY },
        { "nvm-get-dev-info", "HWRM_NVM_GET_DEV_INFO: NVRAM geometry and sizes", FWCTLD_SCOPE_DEBUG_READ_ONLY },
        { "nvm-read", "HWRM_NVM_READ (DMA): params dir_idx, offset, length (1..65536); data as hex",
          FWCTLD_SCOPE_DEBUG_READ_ONLY },
};

enum { OP_VER_GET, OP_FUNC_QCAPS, OP_TEMP, OP_NVM_DEV_INFO, OP_NVM_READ, _OP_MAX };
static_assert(sizeof(operations) / sizeof(operations[0]) == _OP_MAX, "one enum value per operation");

static int op_index(const fwctld_operation *op) {
        for (int i = 0; i < _OP_MAX; i++)
                if (op == &operations[i] || strcmp(op->name, operations[i].name) == 0)
                        return i;
        return -1;
}

static int bnxt_classify_execute(fwctld_device *device, const fwctld_operation *operation, const char *params,
                                 fwctld_classification *ret, char **ret_reason) {
        BnxtNvmReadParams nr;
        uint16_t fid;

        (void) device;
        (void) ret;
        switch (op_index(operation)) {
        case OP_FUNC_QCAPS:
                return bnxt_parse_func_qcaps_params(params, &fid, ret_reason);
        case OP_NVM_READ:
                return bnxt_parse_nvm_read_params(params, &nr, ret_reason);
        case OP_VER_GET:
        case OP_TEMP:
        case OP_NVM_DEV_INFO:
                return bnxt_parse_no_params(params, ret_reason);
        default:
                return -EOPNOTSUPP;
        }
}

static int bnxt_execute(fwctld_device *device, const fwctld_operation *operation, const char *params,
                        char **ret_result_json, char **ret_reason) {
        uint8_t req[HWRM_REQ_MAX_LEN], *resp = NULL, *data = NULL;
        size_t len = 0, out_len = 0;
        BnxtNvmReadParams nr = {};
        uint16_t fid = 0xffff;
        int op, r;

        op = op_index(operation);
        switch (op) {
        case OP_VER_GET:
                r = bnxt_parse_no_params(params, ret_reason);
                len = bnxt_build_ver_get(req);
                break;
        case OP_FUNC_QCAPS:
                r = bnxt_parse_func_qcaps_params(params, &fid, ret_reason);
                len = bnxt_build_func_qcaps(req, fid);
                break;
        case OP_TEMP:
                r = bnxt_parse_no_params(params, ret_reason);
                len = bnxt_build_simple(req, HWRM_TEMP_MONITOR_QUERY);
                break;
        case OP_NVM_DEV_INFO:
                r = bnxt_parse_no_params(params, ret_reason);
                len = bnxt_build_simple(req, HWRM_NVM_GET_DEV_INFO);
                break;
        case OP_NVM_READ:
                r = bnxt_parse_nvm_read_params(params, &nr, ret_reason);
                if (r >= 0) {
                        data = calloc(1, nr.length);
                        if (!data)
                                return -ENOMEM;
                        len = bnxt_build_nvm_read(req, (uint64_t) (uintptr_t) data, nr.dir_idx, nr.offset,
                                                  nr.length);
                }
                break;
        default:
                return -EOPNOTSUPP;
        }
        if (r < 0) {
                free(data);
                return r;
        }

        resp = calloc(1, HWRM_RESP_BUF_LEN);
        if (!resp) {
                free(data);
                return -ENOMEM;
        }
        r = fwctld_device_rpc(device, operation->min_scope, req, len, resp, HWRM_RESP_BUF_LEN, &out_len);
        if (r >= 0) {
                switch (op) {
                case OP_VER_GET:
                        r = bnxt_ver_get_json(resp, HWRM_RESP_BUF_LEN, ret_result_json, ret_reason);
                        break;
                case OP_FUNC_QCAPS:
                        r = bnxt_func_qcaps_json(resp, HWRM_RESP_BUF_LEN, ret_result_json, ret_reason);
                        break;
                case OP_TEMP:
                        r = bnxt_temp_monitor_json(resp, HWRM_RESP_BUF_LEN, ret_result_json, ret_reason);
                        break;
                case OP_NVM_DEV_INFO:
                        r = bnxt_nvm_dev_info_json(resp, HWRM_RESP_BUF_LEN, ret_result_json, ret_reason);
                        break;
                case OP_NVM_READ:
                        r = bnxt_nvm_read_json(resp, HWRM_RESP_BUF_LEN, data, nr.length, nr.dir_idx, nr.offset,
                                               ret_result_json, ret_reason);
                        break;
                }
        } else
                fwctld_log(device, LOG_DEBUG, "bnxt %s: RPC failed: %s", operation->name, strerror(-r));
        free(resp);
        free(data);
        return r;
}

static const uint32_t device_types[] = { BNXT_DEVICE_TYPE, FWCTLD_DEVICE_TYPE_END };

static const fwctld_plugin bnxt_plugin = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "bnxt",
        .device_types = device_types,
        .fallback = false,
        .info_to_json = bnxt_info_to_json,
        .classify = bnxt_classify,
        .marshal = bnxt_marshal,
        .decode = bnxt_decode,
        .operations = operations,
        .n_operations = _OP_MAX,
        .classify_execute = bnxt_classify_execute,
        .execute = bnxt_execute,
};

EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &bnxt_plugin;
}
