/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctld plugin for AMD/Pensando pds_fwctl (device type 4).
 *
 * The kernel's request struct carries two user pointers, so callers send the
 * pointer-free envelope of docs/plugin-pds.md and this plugin builds the real
 * struct with the daemon's own buffers. The endpoint/operation table and each
 * operation's scope are known only to the kernel driver (there is no uAPI to
 * list them): the plugin passes the caller's scope through and the kernel is
 * the judge (EPERM when too low, EINVAL when unknown).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <fwctld/plugin.h>

#include "pds-proto.h"
#include "plugin-util.h"

#define PDS_DEVICE_TYPE 4u

/*
 * One allocation per Rpc: the kernel's in and out structs, then a trailer only
 * the plugin reads (kout_len is 48, so the kernel never sees or writes it). It
 * tells decode() where the response payload went without trusting the pointer
 * the kernel echoes back.
 */
struct pds_call_block {
        struct pds_kernel_rpc kin;
        struct pds_kernel_rpc kout;
        uint8_t *response;
        uint32_t response_len;
        uint32_t op;
        uint32_t ep;
};

static int pds_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        return pds_info_json(data, size, ret_json);
}

static int pds_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                        fwctld_classification *ret, char **ret_reason) {
        struct pds_request req;
        int r;

        r = pds_request_parse(request, size, &req, ret_reason);
        if (r < 0)
                return r;

        memset(ret, 0, sizeof(*ret));
        /* The operation's real scope is kernel-private: the caller's scope goes through as is. */
        ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
        ret->scope_exact = false;
        /* The kernel returns its 48-byte struct; marshal() gives it exactly that. */
        ret->kernel_out_min = PDS_KERNEL_RPC_SIZE;
        /* READ vs WRITE attributes are kernel-private too: never claim it cannot write. */
        ret->configuration_write = true;
        pds_operation_name(req.ep, req.op, ret->operation);
        return 0;
}

static int pds_marshal(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        struct pds_call_block *blk;
        struct pds_request req;
        const void *request;
        size_t size;
        uint8_t *in;
        int r;

        request = fwctld_rpc_get_request(rpc, &size);
        r = pds_request_parse(request, size, &req, ret_reason);
        if (r < 0)
                return r;

        /*
         * Every buffer is sized from what the kernel copies, never from max_response: in.len
         * bytes are read from the payload buffer and all out.len bytes written to the
         * response buffer. The daemon trims the envelope decode() builds to max_response.
         */
        blk = fwctld_rpc_alloc(rpc, sizeof(*blk));
        in = fwctld_rpc_alloc(rpc, req.payload_len);
        if (blk)
                blk->response = fwctld_rpc_alloc(rpc, req.response_len);
        if (!blk || !in || !blk->response)
                return -ENOMEM;
        if (req.payload_len > 0)
                memcpy(in, req.payload, req.payload_len);
        blk->response_len = req.response_len;
        blk->op = req.op;
        blk->ep = req.ep;

        pds_kernel_rpc_build(&blk->kin, req.op, req.ep, in, req.payload_len, blk->response, req.response_len);
        return fwctld_rpc_set_kernel_buffers(rpc, &blk->kin, PDS_KERNEL_RPC_SIZE, &blk->kout, PDS_KERNEL_RPC_SIZE);
}

static int pds_decode(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        char status[PDS_STATUS_NAME_MAX];
        const struct pds_call_block *blk;
        struct pds_kernel_rpc k;
        size_t buffer_size, reported, total;
        const uint8_t *kout;
        uint8_t *env;
        int r;

        kout = fwctld_rpc_get_kernel_response(rpc, &buffer_size, &reported);
        if (!kout)
                return -EPROTO;
        /* kout is &blk->kout from marshal(): our own memory, not a kernel pointer. */
        blk = (const struct pds_call_block *) (const void *) (kout - offsetof(struct pds_call_block, kout));

        r = pds_kernel_reply_check(kout, buffer_size, reported, blk->response_len, &k, ret_reason);
        if (r < 0)
                return r;

        /* pds reports no actual length: all out.len bytes were written. */
        total = pds_response_envelope_size(k.out_len);
        env = malloc(total);
        if (!env)
                return -ENOMEM;
        pds_response_header_pack(env, k.out_retval, k.out_len, blk->op, blk->ep);
        if (k.out_len > 0)
                memcpy(env + PDS_ENV_HDR_SIZE, blk->response, k.out_len);
        r = fwctld_rpc_set_response(rpc, env, total);
        free(env);
        if (r < 0)
                return r;
        fwctld_rpc_set_response_length(rpc, total);
        pds_status_name(k.out_retval, status);
        fwctld_rpc_set_status(rpc, k.out_retval, status);
        return 0;
}

static const fwctld_operation pds_operations[] = {
        {
                .name = "rpc",
                .description = "Send one pds endpoint operation (the kernel checks the scope named in \"scope\")",
                .min_scope = FWCTLD_SCOPE_CONFIGURATION,
                /* Named from the parameters by classify_execute(): "ep<N>.op0x<op>". */
                .rpc_operations = NULL,
        },
};

static int pds_classify_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                                fwctld_classification *ret, char **ret_reason) {
        struct pds_params p;
        int r;

        if (!operation || strcmp(operation->name, "rpc") != 0)
                return -EOPNOTSUPP;
        r = pds_params_parse(parameters_json, &p, ret_reason);
        if (r < 0)
                return r;
        /* The operation's minimum scope is unknowable: authorise what the caller names. */
        if (p.scope > ret->min_scope)
                ret->min_scope = p.scope;
        ret->configuration_write = true;
        /* What reaches the device, named as classify() names a raw Rpc of it. */
        pds_operation_name(p.ep, p.op, ret->operation);
        pds_params_done(&p);
        return 0;
}

static int execute_reason(const struct pds_params *p, int r, char **ret_reason) {
        if (r == -EPERM)
                return plugin_reason(ret_reason, r,
                                     "the device refused endpoint %u operation 0x%04x at scope %u "
                                     "(EPERM: the operation needs a higher scope)", p->ep, p->op, p->scope);
        if (r == -EINVAL)
                return plugin_reason(ret_reason, r,
                                     "the device rejected endpoint %u operation 0x%04x (EINVAL: unknown endpoint or "
                                     "operation, or payload/response_size over the firmware's limits)", p->ep, p->op);
        return r;
}

/* The same envelope a caller would send to Rpc, through the daemon's whole Rpc path. */
static int pds_execute_rpc(fwctld_device *device, const struct pds_params *p, char **ret_result_json,
                           char **ret_reason) {
        fwctld_rpc_reply reply = {};
        struct pds_response resp = {};
        uint8_t *request = NULL, *response;
        size_t request_size = 0, response_size;
        int r;

        r = pds_request_build(p->op, p->ep, p->payload, (uint32_t) p->payload_len, p->response_size, &request,
                              &request_size);
        if (r < 0)
                return r;
        response_size = pds_response_envelope_size(p->response_size);
        response = calloc(1, response_size);
        if (!response) {
                free(request);
                return -ENOMEM;
        }
        r = fwctld_device_rpc(device, p->scope, request, request_size, response, response_size, &reply);
        if (r < 0)
                r = execute_reason(p, r, ret_reason);
        else if (reply.length > reply.size)
                r = plugin_reason(ret_reason, -EBADMSG,
                                  "the response envelope is longer than the response_size asked for");
        else
                r = pds_response_parse(response, reply.size, &resp, ret_reason);
        if (r >= 0)
                r = pds_result_json(resp.retval, resp.response, resp.response_len, ret_result_json);
        free(request);
        free(response);
        return r;
}

static int pds_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                       char **ret_result_json, char **ret_reason) {
        struct pds_params p;
        int r;

        if (!operation || strcmp(operation->name, "rpc") != 0)
                return -EOPNOTSUPP;
        r = pds_params_parse(parameters_json, &p, ret_reason);
        if (r < 0)
                return r;
        r = pds_execute_rpc(device, &p, ret_result_json, ret_reason);
        pds_params_done(&p);
        return r;
}

static const uint32_t pds_device_types[] = { PDS_DEVICE_TYPE, FWCTLD_DEVICE_TYPE_END };

static const fwctld_plugin pds_plugin = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "pds",
        .device_types = pds_device_types,
        .fallback = false,
        .info_to_json = pds_info_to_json,
        .classify = pds_classify,
        .marshal = pds_marshal,
        .decode = pds_decode,
        .operations = pds_operations,
        .n_operations = sizeof(pds_operations) / sizeof(pds_operations[0]),
        .classify_execute = pds_classify_execute,
        .execute = pds_execute,
};

FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &pds_plugin;
}
