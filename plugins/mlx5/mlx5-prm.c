/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlx5-prm.h"
#include "plugin-util.h"

#define C FWCTLD_SCOPE_CONFIGURATION
#define R FWCTLD_SCOPE_DEBUG_READ_ONLY
#define W FWCTLD_SCOPE_DEBUG_WRITE

/*
 * drivers/fwctl/mlx5 (kernel-fwctl.md §3). ACCESS_REG and ACCESS_REGISTER_USER are
 * listed as writes (op_mod 0); mlx5_classify_request() turns any other op_mod into a
 * debug-read-only read.
 */
static const Mlx5Opcode opcodes[] = {
        /* CONFIGURATION */
        { 0x100, C, false, "QUERY_HCA_CAP" },
        { 0x101, C, false, "QUERY_ADAPTER" },
        { 0x109, C, true, "SET_HCA_CAP" },
        { 0x10e, C, false, "QUERY_OTHER_HCA_CAP" },
        { 0x760, C, false, "QUERY_ROCE_ADDRESS" },
        { 0x762, C, false, "QUERY_HCA_VPORT_CONTEXT" },
        { 0x740, C, false, "QUERY_ESW_FUNCTIONS" },
        { 0xb22, C, false, "QUERY_VUID" },
        { 0xb2e, C, true, "POSTPONE_CONNECTED_QP_TIMEOUT" },
        { 0x823, C, true, "MODIFY_CONG_STATUS" },
        { 0x731, C, true, "DELEGATE_VHCA_MANAGEMENT" },
        { 0x805, C, true, "ACCESS_REG" },
        { 0xb0c, C, true, "ACCESS_REGISTER_USER" },
        /* DEBUG_READ_ONLY */
        { 0x964, R, false, "FPGA_QUERY_QP_COUNTERS" },
        { 0x962, R, false, "FPGA_QUERY_QP" },
        { 0x80d, R, false, "NOP" },
        { 0x971, R, false, "QUERY_AFU" },
        { 0x813, R, false, "QUERY_BURST_SIZE" },
        { 0x981, R, false, "QUERY_CAPI_PEC" },
        { 0x824, R, false, "QUERY_CONG_PARAMS" },
        { 0x826, R, false, "QUERY_CONG_STATISTICS" },
        { 0x822, R, false, "QUERY_CONG_STATUS" },
        { 0x402, R, false, "QUERY_CQ" },
        { 0xb14, R, false, "QUERY_CRYPTO_STATE" },
        { 0x716, R, false, "QUERY_DC_CNAK_TRACE" },
        { 0x713, R, false, "QUERY_DCT" },
        { 0x911, R, false, "QUERY_DELAY_DROP_PARAMS" },
        { 0x821, R, false, "QUERY_DIAGNOSTIC_COUNTERS" },
        { 0x819, R, false, "QUERY_DIAGNOSTIC_PARAMS" },
        { 0xb28, R, false, "QUERY_DPA_PARTITION" },
        { 0xb2a, R, false, "QUERY_DPA_PARTITIONS" },
        { 0x10c, R, false, "QUERY_DRIVER_VERSION" },
        { 0xb03, R, false, "QUERY_EMULATED_FUNCTIONS_INFO" },
        { 0xb2f, R, false, "QUERY_EMULATED_RESOURCES_INFO" },
        { 0xb0f, R, false, "QUERY_EMULATION_DEVICE_EQ_MSIX_MAPPING" },
        { 0x303, R, false, "QUERY_EQ" },
        { 0x752, R, false, "QUERY_ESW_VPORT_CONTEXT" },
        { 0x93b, R, false, "QUERY_FLOW_COUNTER" },
        { 0x935, R, false, "QUERY_FLOW_GROUP" },
        { 0x937, R, false, "QUERY_FLOW_TABLE_ENTRY" },
        { 0x932, R, false, "QUERY_FLOW_TABLE" },
        { 0xa02, R, false, "QUERY_GENERAL_OBJECT" },
        { 0x764, R, false, "QUERY_HCA_VPORT_GID" },
        { 0x765, R, false, "QUERY_HCA_VPORT_PKEY" },
        { 0x10a, R, false, "QUERY_ISSI" },
        { 0x82a, R, false, "QUERY_L2_TABLE_ENTRY" },
        { 0x842, R, false, "QUERY_LAG" },
        { 0x80b, R, false, "QUERY_MAD_DEMUX" },
        { 0xb13, R, false, "QUERY_MATCH_SAMPLE_INFO" },
        { 0x201, R, false, "QUERY_MKEY" },
        { 0x942, R, false, "QUERY_MODIFY_HEADER_CONTEXT" },
        { 0x8001, R, false, "QUERY_MTT" },
        { 0x754, R, false, "QUERY_NIC_VPORT_CONTEXT" },
        { 0x722, R, false, "QUERY_NVMF_BACKEND_CONTROLLER" },
        { 0xb02, R, false, "QUERY_NVMF_CC_RESPONSE" },
        { 0x728, R, false, "QUERY_NVMF_NAMESPACE_CONTEXT" },
        { 0x93f, R, false, "QUERY_PACKET_REFORMAT_CONTEXT" },
        { 0x107, R, false, "QUERY_PAGES" },
        { 0x602, R, false, "QUERY_PSV" },
        { 0x773, R, false, "QUERY_Q_COUNTER" },
        { 0x50b, R, false, "QUERY_QP" },
        { 0x781, R, false, "QUERY_RATE_LIMIT" },
        { 0x512, R, false, "QUERY_RDB" },
        { 0xb05, R, false, "QUERY_REGEXP_PARAMS" },
        { 0xb07, R, false, "QUERY_REGEXP_REGISTER" },
        { 0x90f, R, false, "QUERY_RMP" },
        { 0x90b, R, false, "QUERY_RQ" },
        { 0x919, R, false, "QUERY_RQT" },
        { 0x8000, R, false, "QUERY_RSV_RESOURCES" },
        { 0x8006, R, false, "QUERY_SCHED_QUEUE" },
        { 0x784, R, false, "QUERY_SCHEDULING_ELEMENT" },
        { 0x111, R, false, "QUERY_SF_PARTITION" },
        { 0x203, R, false, "QUERY_SPECIAL_CONTEXTS" },
        { 0x907, R, false, "QUERY_SQ" },
        { 0x702, R, false, "QUERY_SRQ" },
        { 0x903, R, false, "QUERY_TIR" },
        { 0x915, R, false, "QUERY_TIS" },
        { 0xa05, R, false, "QUERY_UCTX" },
        { 0xa09, R, false, "QUERY_UMEM" },
        { 0x117, R, false, "QUERY_VHCA_MIGRATION_STATE" },
        { 0xb0d, R, false, "QUERY_VHCA_STATE" },
        { 0x76f, R, false, "QUERY_VNIC_ENV" },
        { 0x770, R, false, "QUERY_VPORT_COUNTER" },
        { 0x750, R, false, "QUERY_VPORT_STATE" },
        { 0x831, R, false, "QUERY_WOL_ROL" },
        { 0x707, R, false, "QUERY_XRC_SRQ" },
        { 0x725, R, false, "QUERY_XRQ_DC_PARAMS_ENTRY" },
        { 0x727, R, false, "QUERY_XRQ_ERROR_PARAMS" },
        { 0x719, R, false, "QUERY_XRQ" },
        { 0xb08, R, false, "USER_QUERY_XRQ_DC_PARAMS_ENTRY" },
        { 0xb0a, R, false, "USER_QUERY_XRQ_ERROR_PARAMS" },
        { 0x730, R, false, "QUERY_ADJACENT_FUNCTIONS_ID" },
        { 0x732, R, false, "QUERY_DELEGATED_VHCA" },
        /* DEBUG_WRITE: reconfigures which counters the firmware samples. */
        { 0x820, W, true, "SET_DIAGNOSTIC_PARAMS" },
};

/* 11 + 2 configuration, 80 debug-read-only, 1 debug-write. */
static_assert(sizeof(opcodes) / sizeof(opcodes[0]) == 94, "mlx5 allowlist size");
static_assert(MLX5_QA_PSID_OFF + MLX5_QA_PSID_LEN == MLX5_QUERY_ADAPTER_OUT_LEN, "query_adapter_out layout");

const Mlx5Opcode *mlx5_opcode_lookup(uint16_t opcode) {
        for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++)
                if (opcodes[i].opcode == opcode)
                        return &opcodes[i];
        return NULL;
}

size_t mlx5_opcode_count(void) {
        return sizeof(opcodes) / sizeof(opcodes[0]);
}

const Mlx5Opcode *mlx5_opcode_at(size_t i) {
        return i < mlx5_opcode_count() ? &opcodes[i] : NULL;
}

int mlx5_classify_request(const void *request, size_t size, fwctld_classification *ret, char **ret_reason) {
        const uint8_t *p = request;
        const Mlx5Opcode *op;
        uint16_t opcode, op_mod;

        if (!ret)
                return -EINVAL;
        if (!request || size < MLX5_HDR_LEN)
                return plugin_reason(ret_reason, -EINVAL,
                                     "request of %zu bytes is shorter than the 16-byte mlx5 command header "
                                     "(the driver would return EMSGSIZE)", request ? size : (size_t) 0);

        opcode = mlx5_get_be16(p);
        op_mod = mlx5_get_be16(p + 6);
        op = mlx5_opcode_lookup(opcode);
        if (!op)
                return plugin_reason(ret_reason, -EINVAL, "opcode 0x%04x is not allowed by mlx5_fwctl", opcode);

        memset(ret, 0, sizeof(*ret));
        ret->min_scope = op->min_scope;
        ret->configuration_write = op->configuration_write;
        /* The table is the driver's own check: the ioctl can run at exactly this scope. */
        ret->scope_exact = true;
        ret->kernel_out_min = mlx5_kernel_out_min(opcode);
        /* ACCESS_REG*: op_mod 0 writes the register, anything else reads it. */
        if ((opcode == MLX5_OP_ACCESS_REG || opcode == MLX5_OP_ACCESS_REGISTER_USER) &&
            op_mod != MLX5_ACCESS_REG_OP_MOD_WRITE) {
                ret->min_scope = FWCTLD_SCOPE_DEBUG_READ_ONLY;
                ret->configuration_write = false;
        }
        (void) snprintf(ret->operation, sizeof(ret->operation), "%s", op->name);
        return 0;
}

const char *mlx5_status_name(uint8_t status) {
        switch (status) {
        case 0x00: return "OK";
        case 0x01: return "INTERNAL_ERR";
        case 0x02: return "BAD_OP";
        case 0x03: return "BAD_PARAM";
        case 0x04: return "BAD_SYS_STATE";
        case 0x05: return "BAD_RESOURCE";
        case 0x06: return "RESOURCE_BUSY";
        case 0x08: return "EXCEED_LIM";
        case 0x09: return "BAD_RES_STATE";
        case 0x0a: return "BAD_INDEX";
        case 0x0f: return "NO_RESOURCES";
        case 0x10: return "BAD_QP_STATE";
        case 0x30: return "BAD_PKT";
        case 0x40: return "BAD_SIZE_OUTS_CQES";
        case 0x50: return "BAD_INPUT_LEN";
        case 0x51: return "BAD_OUTPUT_LEN";
        default: return "UNKNOWN";
        }
}

void mlx5_format_status(uint8_t status, uint32_t syndrome, char *buf, size_t size) {
        if (syndrome == 0)
                (void) snprintf(buf, size, "%s", mlx5_status_name(status));
        else
                (void) snprintf(buf, size, "%s (syndrome 0x%08x)", mlx5_status_name(status), syndrome);
}

int mlx5_parse_out_header(const void *reply, size_t size, uint8_t *ret_status, uint32_t *ret_syndrome) {
        const uint8_t *p = reply;

        if (!reply || size < MLX5_HDR_LEN)
                return -EBADMSG;
        if (ret_status)
                *ret_status = p[0];
        if (ret_syndrome)
                *ret_syndrome = mlx5_get_be32(p + 4);
        return 0;
}

size_t mlx5_fixed_out_len(uint16_t opcode) {
        switch (opcode) {
        case MLX5_OP_QUERY_ADAPTER:
                return MLX5_QUERY_ADAPTER_OUT_LEN;
        case MLX5_OP_QUERY_HCA_CAP:
                return MLX5_QUERY_HCA_CAP_OUT_LEN;
        default:
                return 0;
        }
}

size_t mlx5_kernel_out_min(uint16_t opcode) {
        size_t fixed = mlx5_fixed_out_len(opcode);

        /* Below the 16-byte header the driver answers EMSGSIZE; a command with a fixed output
         * gets all of it, so a small max_response is a trimmed reply, not a firmware error. */
        return fixed > MLX5_HDR_LEN ? fixed : MLX5_HDR_LEN;
}

size_t mlx5_true_response_len(uint16_t opcode, size_t reported) {
        size_t fixed = mlx5_fixed_out_len(opcode);

        /* The command's size is the truth; what the kernel echoes is only the buffer size. */
        return fixed > 0 ? fixed : reported;
}


/* json_object_object_add() takes the value even on failure; NULL values mean ENOMEM. */
static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

int mlx5_info_json(const void *data, size_t size, char **ret_json) {
        uint32_t uid, caps;
        json_object *o;

        if (!ret_json)
                return -EINVAL;
        if (!data || size < MLX5_INFO_LEN)
                return -EBADMSG;
        /* struct fwctl_info_mlx5 is in host byte order, unlike the PRM. */
        memcpy(&uid, data, 4);
        memcpy(&caps, (const uint8_t *) data + 4, 4);

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (add(o, "plugin", json_object_new_string("mlx5")) < 0 ||
            add(o, "uid", json_object_new_int64(uid)) < 0 ||
            add(o, "uctx_caps", json_object_new_int64(caps)) < 0 ||
            add(o, "tools_resources", json_object_new_boolean(!!(caps & MLX5_UCTX_CAP_TOOLS_RESOURCES))) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return plugin_json_finish(o, ret_json);
}

void mlx5_build_header(uint8_t out[MLX5_HDR_LEN], uint16_t opcode, uint16_t op_mod) {
        memset(out, 0, MLX5_HDR_LEN);
        mlx5_put_be16(out, opcode);
        /* uid @2 stays 0: the kernel stamps the fd's UID itself. */
        mlx5_put_be16(out + 6, op_mod);
}

void mlx5_build_query_diag_counters(uint8_t out[MLX5_HDR_LEN], uint16_t num_of_samples, uint16_t sample_index) {
        mlx5_build_header(out, MLX5_OP_QUERY_DIAGNOSTIC_COUNTERS, 0);
        mlx5_put_be16(out + 8, num_of_samples);
        mlx5_put_be16(out + 10, sample_index);
}

int mlx5_build_access_reg(uint16_t op_mod, uint16_t register_id, uint32_t argument, const uint8_t *data,
                          size_t data_len, uint8_t **ret, size_t *ret_len) {
        uint8_t *p;

        if (!ret || !ret_len || (data_len > 0 && !data))
                return -EINVAL;
        if (data_len > MLX5_MAX_RPC_LEN - MLX5_HDR_LEN)
                return -EMSGSIZE;
        p = calloc(1, MLX5_HDR_LEN + data_len);
        if (!p)
                return -ENOMEM;
        mlx5_build_header(p, MLX5_OP_ACCESS_REG, op_mod);
        mlx5_put_be16(p + 10, register_id);
        mlx5_put_be32(p + 12, argument);
        if (data_len > 0)
                memcpy(p + MLX5_HDR_LEN, data, data_len);
        *ret = p;
        *ret_len = MLX5_HDR_LEN + data_len;
        return 0;
}

const fwctld_operation mlx5_operations[_MLX5_OPERATION_MAX] = {
        [MLX5_OPERATION_QUERY_ADAPTER] = {
                .name = "query-adapter",
                .description = "QUERY_ADAPTER: board PSID and vendor IDs",
                .min_scope = FWCTLD_SCOPE_CONFIGURATION,
                .rpc_operations = "QUERY_ADAPTER",
        },
        [MLX5_OPERATION_QUERY_HCA_CAP] = {
                .name = "query-hca-cap",
                .description = "QUERY_HCA_CAP {\"op_mod\": type<<1 | current}: one capability page",
                .min_scope = FWCTLD_SCOPE_CONFIGURATION,
                .rpc_operations = "QUERY_HCA_CAP",
        },
        [MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS] = {
                .name = "query-diagnostic-counters",
                .description = "QUERY_DIAGNOSTIC_COUNTERS {\"num_of_samples\", \"sample_index\", \"max_counters\"}",
                .min_scope = FWCTLD_SCOPE_DEBUG_READ_ONLY,
                .rpc_operations = "QUERY_DIAGNOSTIC_COUNTERS",
        },
        [MLX5_OPERATION_ACCESS_REG_READ] = {
                .name = "access-reg-read",
                .description = "ACCESS_REG read {\"register_id\": N, \"payload\": \"hex\"}",
                .min_scope = FWCTLD_SCOPE_DEBUG_READ_ONLY,
                .rpc_operations = "ACCESS_REG",
        },
};

Mlx5Operation mlx5_operation_from_name(const char *name) {
        for (int i = 0; i < _MLX5_OPERATION_MAX; i++)
                if (name && strcmp(mlx5_operations[i].name, name) == 0)
                        return (Mlx5Operation) i;
        return _MLX5_OPERATION_INVALID;
}

void mlx5_params_done(Mlx5Params *p) {
        if (!p)
                return;
        free(p->payload);
        p->payload = NULL;
        p->payload_len = 0;
}

/* An optional (or required) integer field within [min, max]. */
static int get_uint(json_object *o, const char *key, bool required, uint64_t min, uint64_t max, uint64_t *ret,
                    char **ret_reason) {
        json_object *v;
        int64_t i;

        if (!json_object_object_get_ex(o, key, &v)) {
                if (required)
                        return plugin_reason(ret_reason, -EINVAL, "missing field '%s'", key);
                return 0;
        }
        if (!json_object_is_type(v, json_type_int))
                return plugin_reason(ret_reason, -EINVAL, "field '%s' must be an integer", key);
        errno = 0;
        i = json_object_get_int64(v);
        if (errno != 0 || i < 0 || (uint64_t) i < min || (uint64_t) i > max)
                return plugin_reason(ret_reason, -EINVAL, "field '%s' must be between %llu and %llu", key,
                                     (unsigned long long) min, (unsigned long long) max);
        *ret = (uint64_t) i;
        return 0;
}

static int params_parse_object(Mlx5Operation op, json_object *o, Mlx5Params *p, char **ret_reason) {
        uint64_t v;
        int r;

        switch (op) {
        case MLX5_OPERATION_QUERY_ADAPTER:
                return 0;
        case MLX5_OPERATION_QUERY_HCA_CAP:
                r = get_uint(o, "op_mod", true, 0, UINT16_MAX, &v, ret_reason);
                if (r < 0)
                        return r;
                p->op_mod = (uint16_t) v;
                return 0;
        case MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS:
                v = 1;
                r = get_uint(o, "num_of_samples", false, 1, UINT16_MAX, &v, ret_reason);
                if (r < 0)
                        return r;
                p->num_of_samples = (uint16_t) v;
                v = 0;
                r = get_uint(o, "sample_index", false, 0, UINT16_MAX, &v, ret_reason);
                if (r < 0)
                        return r;
                p->sample_index = (uint16_t) v;
                v = 16;
                r = get_uint(o, "max_counters", false, 1, MLX5_DIAG_MAX_COUNTERS, &v, ret_reason);
                if (r < 0)
                        return r;
                p->max_counters = (uint32_t) v;
                return 0;
        case MLX5_OPERATION_ACCESS_REG_READ: {
                json_object *s;

                r = get_uint(o, "register_id", true, 0, UINT16_MAX, &v, ret_reason);
                if (r < 0)
                        return r;
                p->register_id = (uint16_t) v;
                v = 0;
                r = get_uint(o, "argument", false, 0, UINT32_MAX, &v, ret_reason);
                if (r < 0)
                        return r;
                p->argument = (uint32_t) v;
                if (!json_object_object_get_ex(o, "payload", &s))
                        return plugin_reason(ret_reason, -EINVAL, "missing field 'payload' (the register layout, hex)");
                if (!json_object_is_type(s, json_type_string))
                        return plugin_reason(ret_reason, -EINVAL, "field 'payload' must be a hex string");
                r = plugin_hex_decode(json_object_get_string(s), &p->payload, &p->payload_len);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return plugin_reason(ret_reason, -EINVAL, "field 'payload' is not an even-length hex string");
                if (p->payload_len == 0 || p->payload_len > MLX5_MAX_RPC_LEN - MLX5_HDR_LEN)
                        return plugin_reason(ret_reason, -EINVAL, "field 'payload' must hold 1 to %u bytes",
                                             MLX5_MAX_RPC_LEN - MLX5_HDR_LEN);
                return 0;
        }
        default:
                return -EINVAL;
        }
}

int mlx5_params_parse(Mlx5Operation op, const char *json, Mlx5Params *ret, char **ret_reason) {
        static const char *const fields[_MLX5_OPERATION_MAX][5] = {
                [MLX5_OPERATION_QUERY_ADAPTER] = { NULL },
                [MLX5_OPERATION_QUERY_HCA_CAP] = { "op_mod", NULL },
                [MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS] = { "num_of_samples", "sample_index", "max_counters", NULL },
                [MLX5_OPERATION_ACCESS_REG_READ] = { "register_id", "payload", "argument", NULL },
        };
        Mlx5Params p = {};
        json_object *o;
        int r;

        if (op < 0 || op >= _MLX5_OPERATION_MAX || !ret)
                return -EINVAL;
        r = plugin_parse_params(json, fields[op], &o, ret_reason);
        if (r < 0)
                return r;
        r = params_parse_object(op, o, &p, ret_reason);
        json_object_put(o);
        if (r < 0) {
                mlx5_params_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

int mlx5_operation_request(Mlx5Operation op, const Mlx5Params *p, uint8_t **ret_in, size_t *ret_in_len,
                           size_t *ret_out_len) {
        uint8_t *in;

        if (!p || !ret_in || !ret_in_len || !ret_out_len)
                return -EINVAL;
        if (op == MLX5_OPERATION_ACCESS_REG_READ) {
                int r = mlx5_build_access_reg(MLX5_ACCESS_REG_OP_MOD_READ, p->register_id, p->argument, p->payload,
                                              p->payload_len, ret_in, ret_in_len);
                if (r < 0)
                        return r;
                /* The firmware answers with the register in the layout it was asked with. */
                *ret_out_len = MLX5_HDR_LEN + p->payload_len;
                return 0;
        }

        in = calloc(1, MLX5_HDR_LEN);
        if (!in)
                return -ENOMEM;
        switch (op) {
        case MLX5_OPERATION_QUERY_ADAPTER:
                mlx5_build_header(in, MLX5_OP_QUERY_ADAPTER, 0);
                *ret_out_len = MLX5_QUERY_ADAPTER_OUT_LEN;
                break;
        case MLX5_OPERATION_QUERY_HCA_CAP:
                mlx5_build_header(in, MLX5_OP_QUERY_HCA_CAP, p->op_mod);
                *ret_out_len = MLX5_QUERY_HCA_CAP_OUT_LEN;
                break;
        case MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS:
                if (p->max_counters < 1 || p->max_counters > MLX5_DIAG_MAX_COUNTERS) {
                        free(in);
                        return -EINVAL;
                }
                mlx5_build_query_diag_counters(in, p->num_of_samples, p->sample_index);
                *ret_out_len = MLX5_HDR_LEN + (size_t) p->max_counters * MLX5_DIAG_COUNTER_LEN;
                break;
        default:
                free(in);
                return -EINVAL;
        }
        *ret_in = in;
        *ret_in_len = MLX5_HDR_LEN;
        return 0;
}

static int add_hex(json_object *o, const char *key, const uint8_t *p, size_t n) {
        char *hex = plugin_hex_encode(p, n);
        int r;

        if (!hex)
                return -ENOMEM;
        r = add(o, key, json_object_new_string(hex));
        free(hex);
        return r;
}

static int result_query_adapter(json_object *o, const uint8_t *reply, size_t len) {
        char psid[MLX5_QA_PSID_LEN + 1];
        size_t n = 0;

        if (len < MLX5_QUERY_ADAPTER_OUT_LEN)
                return -EBADMSG;
        /* NUL padded ASCII; anything unprintable is shown as '?'. */
        for (; n < MLX5_QA_PSID_LEN && reply[MLX5_QA_PSID_OFF + n] != 0; n++) {
                uint8_t c = reply[MLX5_QA_PSID_OFF + n];
                psid[n] = c >= 0x20 && c < 0x7f ? (char) c : '?';
        }
        psid[n] = '\0';
        if (add(o, "psid", json_object_new_string(psid)) < 0 ||
            add(o, "ieee_vendor_id",
                json_object_new_int64((int64_t) (mlx5_get_be32(reply + MLX5_QA_IEEE_VENDOR_ID_OFF - 1) & 0xffffffu))) < 0 ||
            add(o, "vsd_vendor_id", json_object_new_int64(mlx5_get_be16(reply + MLX5_QA_VSD_VENDOR_ID_OFF))) < 0)
                return -ENOMEM;
        return 0;
}

static int result_query_hca_cap(json_object *o, const Mlx5Params *p, const uint8_t *reply, size_t len) {
        if (len < MLX5_QUERY_HCA_CAP_OUT_LEN)
                return -EBADMSG;
        if (add(o, "capability_type", json_object_new_int64(p->op_mod >> 1)) < 0 ||
            add(o, "current", json_object_new_boolean(p->op_mod & 1)) < 0)
                return -ENOMEM;
        return add_hex(o, "capability", reply + MLX5_HDR_LEN, MLX5_QUERY_HCA_CAP_OUT_LEN - MLX5_HDR_LEN);
}

static int result_diag_counters(json_object *o, const Mlx5Params *p, const uint8_t *reply, size_t len) {
        size_t n = (len - MLX5_HDR_LEN) / MLX5_DIAG_COUNTER_LEN;
        json_object *a;

        if (n > p->max_counters)
                n = p->max_counters;
        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const uint8_t *e = reply + MLX5_HDR_LEN + i * MLX5_DIAG_COUNTER_LEN;
                json_object *c = json_object_new_object();

                if (!c || json_object_array_add(a, c) < 0) {
                        json_object_put(c);
                        json_object_put(a);
                        return -ENOMEM;
                }
                if (add(c, "counter_id", json_object_new_int64(mlx5_get_be16(e))) < 0 ||
                    add(c, "sample_id", json_object_new_int64(mlx5_get_be16(e + 2))) < 0 ||
                    add(c, "time_stamp", json_object_new_int64(mlx5_get_be32(e + 4))) < 0 ||
                    add(c, "value", json_object_new_uint64((uint64_t) mlx5_get_be32(e + 8) << 32 |
                                                           mlx5_get_be32(e + 12))) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        return add(o, "counters", a);
}

int mlx5_operation_result(Mlx5Operation op, const Mlx5Params *p, const uint8_t *reply, size_t reply_len,
                          char **ret_json, char **ret_reason) {
        uint8_t status;
        uint32_t syndrome;
        json_object *o;
        int r;

        if (!p || !ret_json)
                return -EINVAL;
        if (mlx5_parse_out_header(reply, reply_len, &status, &syndrome) < 0)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "reply of %zu bytes is shorter than the 16-byte mlx5 output header",
                                     reply ? reply_len : (size_t) 0);

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = add(o, "status", json_object_new_int64(status));
        if (r >= 0)
                r = add(o, "status_name", json_object_new_string(mlx5_status_name(status)));
        if (r >= 0)
                r = add(o, "syndrome", json_object_new_int64(syndrome));
        /* A failed command carries only the header: nothing more to decode. */
        if (r >= 0 && status == 0) {
                switch (op) {
                case MLX5_OPERATION_QUERY_ADAPTER:
                        r = result_query_adapter(o, reply, reply_len);
                        break;
                case MLX5_OPERATION_QUERY_HCA_CAP:
                        r = result_query_hca_cap(o, p, reply, reply_len);
                        break;
                case MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS:
                        r = result_diag_counters(o, p, reply, reply_len);
                        break;
                case MLX5_OPERATION_ACCESS_REG_READ:
                        r = add(o, "register_id", json_object_new_int64(p->register_id));
                        if (r >= 0)
                                r = add_hex(o, "data", reply + MLX5_HDR_LEN, reply_len - MLX5_HDR_LEN);
                        break;
                default:
                        r = -EINVAL;
                }
                if (r == -EBADMSG)
                        (void) plugin_reason(ret_reason, r, "reply of %zu bytes is too short for %s", reply_len,
                                             mlx5_operations[op].name);
        }
        return plugin_json_finish_unless(o, r, ret_json);
}
