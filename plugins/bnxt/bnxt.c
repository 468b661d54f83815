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
#include "plugin-util.h"

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
                /* The allowlist and the DMA table are the driver's own scope checks. */
                .scope_exact = true,
                /* The driver refuses out_len < 8 and writes no more than out_len; marshal()
                 * offers HWRM_RESP_BUF_LEN whatever max_response is. */
                .kernel_out_min = HWRM_RESP_HDR_LEN,
        };
        (void) strncpy(ret->operation, c->name, sizeof(ret->operation) - 1);
        return 0;
}

static unsigned from_device_buffers(const BnxtEnvelope *env) {
        unsigned n = 0;

        for (unsigned i = 0; i < env->n_buffers; i++)
                n += env->buffers[i].dir == BNXT_DMA_FROM_DEVICE;
        return n;
}

/*
 * Kernel buffers: the request copy (with the daemon's DMA addresses), and one block
 * holding the HWRM response buffer followed by one BNXT_DMA_MAX_LEN slot per read
 * buffer, so decode() finds read buffer k at HWRM_RESP_BUF_LEN + k * BNXT_DMA_MAX_LEN.
 * Every DMA buffer, read or write, is the kernel's per-buffer maximum whatever the
 * request's length fields say: the kernel can never copy past one of them.
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

        req_len = c->dma ? c->layout->req_size : size;
        kin = fwctld_rpc_alloc(rpc, req_len);
        block = fwctld_rpc_alloc(rpc, HWRM_RESP_BUF_LEN + (size_t) from_device_buffers(&env) * BNXT_DMA_MAX_LEN);
        if (!kin || !block)
                return -ENOMEM;
        memcpy(kin, req, req_len);

        p = block + HWRM_RESP_BUF_LEN;
        for (unsigned i = 0; i < env.n_buffers; i++) {
                uint8_t *buf;

                if (env.buffers[i].dir == BNXT_DMA_FROM_DEVICE) {
                        buf = p;
                        p += BNXT_DMA_MAX_LEN;
                } else {
                        buf = fwctld_rpc_alloc(rpc, BNXT_DMA_MAX_LEN);
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
        size_t bufsize, reported, size, total, at;
        const BnxtCommand *c;
        BnxtEnvelope env;
        BnxtResponse h;
        unsigned k = 0;
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

        /* Caller's view: the HWRM response (resp_len bytes), then each read buffer as long
         * as its request field said, in field order. */
        total = h.resp_len + env.read_bytes;
        out = malloc(total);
        if (!out)
                return -ENOMEM;
        memcpy(out, kout, h.resp_len);
        at = h.resp_len;
        for (unsigned i = 0; i < env.n_buffers; i++) {
                if (env.buffers[i].dir != BNXT_DMA_FROM_DEVICE)
                        continue;
                memcpy(out + at, kout + HWRM_RESP_BUF_LEN + (size_t) k++ * BNXT_DMA_MAX_LEN, env.buffers[i].length);
                at += env.buffers[i].length;
        }
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
        { "ver-get", "HWRM_VER_GET: firmware and HWRM interface versions, chip id", FWCTLD_SCOPE_DEBUG_READ_ONLY,
          "VER_GET" },
        { "func-qcaps", "HWRM_FUNC_QCAPS: function capabilities (params: optional fid, default 0xffff = self)",
          FWCTLD_SCOPE_DEBUG_READ_ONLY, "FUNC_QCAPS" },
        { "temp-monitor-query", "HWRM_TEMP_MONITOR_QUERY: chip, PHY and module temperatures in degrees C",
          FWCTLD_SCOPE_DEBUG_READ_ONLY, "TEMP_MONITOR_QUERY" },
        { "nvm-get-dev-info", "HWRM_NVM_GET_DEV_INFO: NVRAM geometry and sizes", FWCTLD_SCOPE_DEBUG_READ_ONLY,
          "NVM_GET_DEV_INFO" },
        { "nvm-read", "HWRM_NVM_READ (DMA): params dir_idx, offset, length (1..65536); data as hex",
          FWCTLD_SCOPE_DEBUG_READ_ONLY, "NVM_READ" },
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

/* The Rpc request of an operation (NVM_READ: the pointer-free envelope); its length, or < 0. */
static int build_request(int op, const char *params, uint8_t req[HWRM_REQ_MAX_LEN], size_t *ret_len,
                         BnxtNvmReadParams *nr, char **ret_reason) {
        uint16_t fid = 0xffff;
        int r;

        switch (op) {
        case OP_VER_GET:
                r = bnxt_parse_no_params(params, ret_reason);
                *ret_len = bnxt_build_ver_get(req);
                return r;
        case OP_FUNC_QCAPS:
                r = bnxt_parse_func_qcaps_params(params, &fid, ret_reason);
                *ret_len = bnxt_build_func_qcaps(req, fid);
                return r;
        case OP_TEMP:
                r = bnxt_parse_no_params(params, ret_reason);
                *ret_len = bnxt_build_simple(req, HWRM_TEMP_MONITOR_QUERY);
                return r;
        case OP_NVM_DEV_INFO:
                r = bnxt_parse_no_params(params, ret_reason);
                *ret_len = bnxt_build_simple(req, HWRM_NVM_GET_DEV_INFO);
                return r;
        case OP_NVM_READ:
                r = bnxt_parse_nvm_read_params(params, nr, ret_reason);
                if (r >= 0)
                        *ret_len = bnxt_build_nvm_read(req, nr->dir_idx, nr->offset, nr->length);
                return r;
        default:
                return -EOPNOTSUPP;
        }
}

/* NVM_READ's Rpc response: the HWRM response (resp_len bytes), then the data read. */
static int nvm_read_result(const uint8_t *resp, size_t size, const BnxtNvmReadParams *nr, char **ret_json,
                           char **ret_reason) {
        BnxtResponse h;
        int r;

        r = bnxt_parse_response(resp, size, &h, ret_reason);
        if (r < 0)
                return r;
        if (size - h.resp_len < nr->length)
                return plugin_reason(ret_reason, -EBADMSG, "NVM_READ reply carries %zu data bytes, %u were asked for",
                                     size - h.resp_len, nr->length);
        return bnxt_nvm_read_json(resp, size, resp + h.resp_len, nr->length, nr->dir_idx, nr->offset, ret_json,
                                  ret_reason);
}

static int bnxt_execute(fwctld_device *device, const fwctld_operation *operation, const char *params,
                        char **ret_result_json, char **ret_reason) {
        uint8_t req[HWRM_REQ_MAX_LEN], *resp;
        fwctld_rpc_reply reply = {};
        BnxtNvmReadParams nr = {};
        size_t len = 0, resp_size;
        int op, r;

        op = op_index(operation);
        r = build_request(op, params, req, &len, &nr, ret_reason);
        if (r < 0)
                return r;

        /* What Rpc returns: the HWRM response, then (NVM_READ) the data read. */
        resp_size = HWRM_RESP_BUF_LEN + (op == OP_NVM_READ ? nr.length : 0);
        resp = calloc(1, resp_size);
        if (!resp)
                return -ENOMEM;
        r = fwctld_device_rpc(device, operation->min_scope, req, len, resp, resp_size, &reply);
        if (r < 0) {
                fwctld_log(device, LOG_DEBUG, "bnxt %s: RPC failed: %s", operation->name, strerror(-r));
                free(resp);
                return r;
        }
        switch (op) {
        case OP_VER_GET:
                r = bnxt_ver_get_json(resp, reply.size, ret_result_json, ret_reason);
                break;
        case OP_FUNC_QCAPS:
                r = bnxt_func_qcaps_json(resp, reply.size, ret_result_json, ret_reason);
                break;
        case OP_TEMP:
                r = bnxt_temp_monitor_json(resp, reply.size, ret_result_json, ret_reason);
                break;
        case OP_NVM_DEV_INFO:
                r = bnxt_nvm_dev_info_json(resp, reply.size, ret_result_json, ret_reason);
                break;
        default:
                r = nvm_read_result(resp, reply.size, &nr, ret_result_json, ret_reason);
                break;
        }
        free(resp);
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

FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &bnxt_plugin;
}
