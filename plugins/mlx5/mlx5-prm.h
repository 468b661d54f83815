/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pure half of the mlx5 plugin: the driver's opcode allowlist, PRM command
 * headers, status names, request builders and reply decoders. No I/O and no
 * daemon calls, so the unit tests drive it directly.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fwctld/plugin.h>

#define MLX5_DEVICE_TYPE 1u
#define MLX5_HDR_LEN 16u      /* PRM command input and output headers */
#define MLX5_INFO_LEN 8u      /* struct fwctl_info_mlx5 */
#define MLX5_UCTX_CAP_TOOLS_RESOURCES 0x4u
#define MLX5_MAX_RPC_LEN (2u * 1024u * 1024u)

#define MLX5_OP_QUERY_HCA_CAP 0x100
#define MLX5_OP_QUERY_ADAPTER 0x101
#define MLX5_OP_SET_HCA_CAP 0x109
#define MLX5_OP_ACCESS_REG 0x805
#define MLX5_OP_NOP 0x80d
#define MLX5_OP_SET_DIAGNOSTIC_PARAMS 0x820
#define MLX5_OP_QUERY_DIAGNOSTIC_COUNTERS 0x821
#define MLX5_OP_ACCESS_REGISTER_USER 0xb0c

/* ACCESS_REG op_mod: 0 writes the register, anything else reads it. */
#define MLX5_ACCESS_REG_OP_MOD_WRITE 0
#define MLX5_ACCESS_REG_OP_MOD_READ 1

/* Fixed output sizes (PRM query_adapter_out, query_hca_cap_out). */
#define MLX5_QUERY_ADAPTER_OUT_LEN 0x110u
#define MLX5_QUERY_HCA_CAP_OUT_LEN 0x1010u
/* query_adapter_out: header, then query_adapter_struct. */
#define MLX5_QA_IEEE_VENDOR_ID_OFF (16u + 25u) /* BE24 */
#define MLX5_QA_VSD_VENDOR_ID_OFF (16u + 30u)  /* BE16 */
#define MLX5_QA_PSID_OFF (16u + 240u)          /* 16 bytes, NUL padded */
#define MLX5_QA_PSID_LEN 16u
/* One query_diagnostic_counters_out entry after the header. */
#define MLX5_DIAG_COUNTER_LEN 16u
#define MLX5_DIAG_MAX_COUNTERS 4096u

typedef struct Mlx5Opcode {
        uint16_t opcode;
        uint8_t min_scope;
        bool configuration_write;
        const char *name;
} Mlx5Opcode;

const Mlx5Opcode *mlx5_opcode_lookup(uint16_t opcode);
size_t mlx5_opcode_count(void);
const Mlx5Opcode *mlx5_opcode_at(size_t i);

static inline uint16_t mlx5_get_be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}
static inline uint32_t mlx5_get_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static inline void mlx5_put_be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}
static inline void mlx5_put_be32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

/* The driver's allowlist: minimum scope, PRM name, write or not; -EINVAL + reason otherwise. */
int mlx5_classify_request(const void *request, size_t size, fwctld_classification *ret, char **ret_reason);

/* PRM command status name, "UNKNOWN" for values the PRM does not define. */
const char *mlx5_status_name(uint8_t status);
/* "BAD_OP (syndrome 0x5b7d2e11)", or the bare name when the syndrome is 0. */
void mlx5_format_status(uint8_t status, uint32_t syndrome, char *buf, size_t size);

/* Output header of a reply; -EBADMSG when it is shorter than 16 bytes. */
int mlx5_parse_out_header(const void *reply, size_t size, uint8_t *ret_status, uint32_t *ret_syndrome);

/* The fixed output size of a command, 0 when the plugin does not know it. */
size_t mlx5_fixed_out_len(uint16_t opcode);
/* The smallest out buffer the kernel gets for a command: its fixed output, at least the header. */
size_t mlx5_kernel_out_min(uint16_t opcode);
/* Length of the reply the caller gets: the fixed size when known and smaller. */
size_t mlx5_true_response_len(uint16_t opcode, size_t reported);

int mlx5_info_json(const void *data, size_t size, char **ret_json);

/* Request builders: a 16-byte header, plus register data for ACCESS_REG. */
void mlx5_build_header(uint8_t out[MLX5_HDR_LEN], uint16_t opcode, uint16_t op_mod);
void mlx5_build_query_diag_counters(uint8_t out[MLX5_HDR_LEN], uint16_t num_of_samples, uint16_t sample_index);
int mlx5_build_access_reg(uint16_t op_mod, uint16_t register_id, uint32_t argument, const uint8_t *data,
                          size_t data_len, uint8_t **ret, size_t *ret_len);

/* Named operations. */
typedef enum Mlx5Operation {
        MLX5_OPERATION_QUERY_ADAPTER,
        MLX5_OPERATION_QUERY_HCA_CAP,
        MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS,
        MLX5_OPERATION_ACCESS_REG_READ,
        _MLX5_OPERATION_MAX,
        _MLX5_OPERATION_INVALID = -EINVAL,
} Mlx5Operation;

extern const fwctld_operation mlx5_operations[_MLX5_OPERATION_MAX];
Mlx5Operation mlx5_operation_from_name(const char *name);

typedef struct Mlx5Params {
        uint16_t op_mod;         /* query-hca-cap */
        uint16_t num_of_samples; /* query-diagnostic-counters */
        uint16_t sample_index;
        uint32_t max_counters;
        uint16_t register_id;    /* access-reg-read */
        uint32_t argument;
        uint8_t *payload;
        size_t payload_len;
} Mlx5Params;

void mlx5_params_done(Mlx5Params *p);
/* Parse and check an Execute parameter object; -EINVAL with a reason naming the field. */
int mlx5_params_parse(Mlx5Operation op, const char *json, Mlx5Params *ret, char **ret_reason);

/* The request an operation sends and the output buffer it needs (malloc()ed). */
int mlx5_operation_request(Mlx5Operation op, const Mlx5Params *p, uint8_t **ret_in, size_t *ret_in_len,
                           size_t *ret_out_len);
/* The result JSON of an operation from the firmware's reply; -EBADMSG for a short reply. */
int mlx5_operation_result(Mlx5Operation op, const Mlx5Params *p, const uint8_t *reply, size_t reply_len,
                          char **ret_json, char **ret_reason);
