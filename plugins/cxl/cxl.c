/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctld plugin for CXL memory devices (fwctl device type 2): Get Supported
 * Features, Get Feature and Set Feature. The protocol logic lives in
 * cxl-proto.c; this file binds it to the daemon's ABI.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <fwctld/plugin.h>

#include "cxl-proto.h"

static const uint32_t cxl_types[] = { 2, FWCTLD_DEVICE_TYPE_END };

/* The request goes through the daemon as a raw Rpc would: classify, scope, deny list,
 * journal, the kernel buffer from kernel_out_min, decode(). */
static int device_rpc(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out, size_t out_len,
                      size_t *ret_out_len) {
        fwctld_rpc_reply reply = {};
        int r;

        r = fwctld_device_rpc(userdata, scope, in, in_len, out, out_len, &reply);
        if (r < 0)
                return r;
        *ret_out_len = reply.size;
        return 0;
}

/* The list is read once; a device whose list cannot be read still serves the Gets. */
static int cxl_attach(fwctld_device *device) {
        cxl_features *fs = NULL;
        char *reason = NULL;
        int r;

        r = cxl_fetch_features(device_rpc, device, &fs, &reason);
        if (r < 0) {
                fwctld_log(device, LOG_WARNING, "Could not read the supported feature list: %s; Set Feature "
                           "will be refused.", reason ? reason : strerror(-r));
                free(reason);
                return 0;
        }
        fwctld_device_set_plugin_data(device, fs);
        fwctld_log(device, LOG_DEBUG, "%zu features, %zu changeable.", fs->n, cxl_features_count_changeable(fs));
        return 0;
}

static void cxl_detach(fwctld_device *device) {
        cxl_features_free(fwctld_device_get_plugin_data(device));
        fwctld_device_set_plugin_data(device, NULL);
}

static int cxl_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        if (!ret_json)
                return -EINVAL;
        return cxl_info_json(fwctld_device_get_plugin_data(device), ret_json);
}

static int cxl_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                        fwctld_classification *ret, char **ret_reason) {
        return cxl_classify_request(fwctld_device_get_plugin_data(device), request, size, ret, ret_reason);
}

static int cxl_decode(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason) {
        const uint8_t *buf, *req;
        size_t buf_size, reported, req_size;
        uint32_t size, retval;
        int r;

        buf = fwctld_rpc_get_kernel_response(rpc, &buf_size, &reported);
        r = cxl_check_out(buf, buf_size, reported, &size, &retval, ret_reason);
        if (r < 0)
                return r;
        req = fwctld_rpc_get_request(rpc, &req_size);
        if (retval == 0 && req && req_size >= CXL_RPC_HDR &&
            cxl_get_le32(req + CXL_RPC_OFF_OPCODE) == CXL_OP_GET_SUPPORTED_FEATURES) {
                r = cxl_check_gsf_payload(buf + CXL_OUT_HDR, size, NULL, NULL, ret_reason);
                if (r < 0)
                        return r;
        }
        r = fwctld_rpc_set_response(rpc, buf, CXL_OUT_HDR + (size_t) size);
        if (r < 0)
                return r;
        fwctld_rpc_set_response_length(rpc, CXL_OUT_HDR + (size_t) size);
        fwctld_rpc_set_status(rpc, retval, cxl_mbox_rc_name(retval));
        return 0;
}

static const fwctld_operation cxl_operations[] = {
        { "get-supported-features", "List every feature with its sizes, flags, effects and the scope a Set needs",
          FWCTLD_SCOPE_CONFIGURATION, "GET_SUPPORTED_FEATURES" },
        { "get-feature", "Read a feature's current, default or saved value", FWCTLD_SCOPE_CONFIGURATION,
          "GET_FEATURE" },
        { "set-feature", "Write a feature; needs debug-write or debug-write-full depending on its effects",
          FWCTLD_SCOPE_DEBUG_WRITE, "SET_FEATURE" },
};

static int cxl_classify_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                                fwctld_classification *ret, char **ret_reason) {
        const cxl_features *cached = fwctld_device_get_plugin_data(device);
        uint32_t scope;
        int r;

        /* Bad parameters are refused here, before polkit is asked, for every operation. */
        if (strcmp(operation->name, "get-supported-features") == 0)
                return cxl_check_no_params(parameters_json, ret_reason);
        if (strcmp(operation->name, "get-feature") == 0)
                return cxl_get_feature_check(cached, parameters_json, ret_reason);
        if (strcmp(operation->name, "set-feature") != 0)
                return 0;
        r = cxl_set_feature_classify(cached, parameters_json, &scope, ret_reason);
        if (r < 0)
                return r;
        if (scope > ret->min_scope)
                ret->min_scope = scope;
        ret->configuration_write = true;
        return 0;
}

static int cxl_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                       char **ret_result_json, char **ret_reason) {
        const cxl_features *cached = fwctld_device_get_plugin_data(device);

        if (strcmp(operation->name, "get-supported-features") == 0) {
                cxl_features *fs = NULL;
                int r;

                r = cxl_check_no_params(parameters_json, ret_reason);
                if (r < 0)
                        return r;
                /* Fresh from the device, not the attach-time cache. */
                r = cxl_fetch_features(device_rpc, device, &fs, ret_reason);
                if (r < 0)
                        return r == -EINVAL ? -EIO : r;
                r = cxl_features_json(fs, ret_result_json);
                cxl_features_free(fs);
                return r;
        }
        if (strcmp(operation->name, "get-feature") == 0)
                return cxl_exec_get_feature(device_rpc, device, cached, parameters_json, ret_result_json,
                                            ret_reason);
        if (strcmp(operation->name, "set-feature") == 0)
                return cxl_exec_set_feature(device_rpc, device, cached, parameters_json, ret_result_json,
                                            ret_reason);
        return -EOPNOTSUPP;
}

static const fwctld_plugin cxl_plugin = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "cxl",
        .device_types = cxl_types,
        .fallback = false,
        .attach = cxl_attach,
        .detach = cxl_detach,
        .info_to_json = cxl_info_to_json,
        .classify = cxl_classify,
        .decode = cxl_decode,
        .operations = cxl_operations,
        .n_operations = sizeof(cxl_operations) / sizeof(cxl_operations[0]),
        .classify_execute = cxl_classify_execute,
        .execute = cxl_execute,
};

FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &cxl_plugin;
}
