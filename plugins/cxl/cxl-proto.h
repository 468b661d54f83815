/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pure half of the CXL plugin: wire formats of the CXL fwctl driver
 * (kernel-fwctl.md §3), request builders, reply decoders, classification and
 * the JSON of the named operations. No I/O: device access goes through a
 * cxl_rpc_func the caller supplies, so unit tests can play the firmware.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fwctld/plugin.h>

/* struct fwctl_rpc_cxl: opcode, flags, op_size, reserved, then the mailbox input. */
#define CXL_RPC_HDR 16u
#define CXL_RPC_OFF_OPCODE 0u
#define CXL_RPC_OFF_FLAGS 4u
#define CXL_RPC_OFF_OP_SIZE 8u
#define CXL_RPC_OFF_RESERVED 12u
#define CXL_RPC_STRUCT_SIZE 48u
/* struct fwctl_rpc_cxl_out: size, retval, payload. */
#define CXL_OUT_HDR 8u
#define CXL_OUT_OFF_SIZE 0u
#define CXL_OUT_OFF_RETVAL 4u

#define CXL_OP_GET_SUPPORTED_FEATURES 0x0500u
#define CXL_OP_GET_FEATURE 0x0501u
#define CXL_OP_SET_FEATURE 0x0502u

/* Get Supported Features input (8) and output header (8); 48-byte entries. */
#define CXL_GSF_IN_LEN 8u
#define CXL_GSF_OUT_HDR 8u
#define CXL_FEAT_ENTRY_LEN 48u
/* Get Feature input: uuid, offset, count, selection. */
#define CXL_GF_IN_LEN 21u
/* Set Feature input header before the data. */
#define CXL_SF_HDR 32u

#define CXL_FEAT_F_CHANGEABLE (1u << 0)
#define CXL_FEAT_F_PERSIST_FW_UPDATE (1u << 4)
#define CXL_FEAT_F_DEFAULT_SEL (1u << 5)
#define CXL_FEAT_F_SAVED_SEL (1u << 6)

#define CXL_EFF_COLD_RESET (1u << 0)
#define CXL_EFF_CONFIG_IMMEDIATE (1u << 1)
#define CXL_EFF_DATA_IMMEDIATE (1u << 2)
#define CXL_EFF_POLICY_IMMEDIATE (1u << 3)
#define CXL_EFF_LOG_IMMEDIATE (1u << 4)
#define CXL_EFF_SECURITY_STATE_CHANGE (1u << 5)
#define CXL_EFF_BACKGROUND (1u << 6)
#define CXL_EFF_BGCMD_ABORT (1u << 7)
#define CXL_EFF_VALID (1u << 9)
#define CXL_EFF_CONV_RESET (1u << 10)
#define CXL_EFF_CXL_RESET (1u << 11)
#define CXL_EFF_RESERVED 0xf000u
#define CXL_EFF_IMMEDIATE (CXL_EFF_CONFIG_IMMEDIATE | CXL_EFF_DATA_IMMEDIATE | CXL_EFF_POLICY_IMMEDIATE | \
                           CXL_EFF_LOG_IMMEDIATE)
#define CXL_EFF_RESET (CXL_EFF_COLD_RESET | CXL_EFF_CONV_RESET | CXL_EFF_CXL_RESET)

/* Entries fetched per Get Supported Features page. */
#define CXL_GSF_PAGE_ENTRIES 16u

/* The fwctl core's MAX_RPC_LEN: no kernel buffer is ever larger. */
#define CXL_MAX_RPC_LEN (2u * 1024u * 1024u)
/*
 * sizeof(struct fwctl_rpc_cxl_out): size, retval and the 8-byte Get Supported Features
 * output header of its union. The driver's Gets allocate and report from it, so what
 * it writes is measured from 16 bytes, not from the 8-byte size/retval header.
 */
#define CXL_OUT_STRUCT_SIZE 16u

typedef struct cxl_feature {
        uint8_t uuid[16];
        uint16_t id;
        uint16_t get_size;
        uint16_t set_size;
        uint32_t flags;
        uint8_t get_version;
        uint8_t set_version;
        uint16_t effects;
} cxl_feature;

typedef struct cxl_features {
        size_t n;
        cxl_feature *entries;
} cxl_features;

/*
 * One request through fwctld_device_rpc() at most at `scope`: `in` is what a caller
 * would send to Rpc (the struct fwctl_rpc_cxl prefix); `out` receives what Rpc would
 * return (the 8-byte size/retval header, then `size` payload bytes), at most out_len
 * bytes, and *ret_out_len says how many were written.
 */
typedef int (*cxl_rpc_func)(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out,
                            size_t out_len, size_t *ret_out_len);

/* Why a Set Feature of a feature is (not) possible. */
typedef enum cxl_set_verdict {
        CXL_SET_DEBUG_WRITE,      /* reset-only effects */
        CXL_SET_DEBUG_WRITE_FULL, /* an immediate effect */
        CXL_SET_KERNEL_EXCLUSIVE, /* the kernel owns it (EDAC) */
        CXL_SET_NOT_CHANGEABLE,
        CXL_SET_BAD_EFFECTS,      /* reserved bits, BACKGROUND, or no effect */
} cxl_set_verdict;

uint16_t cxl_get_le16(const uint8_t *p);
uint32_t cxl_get_le32(const uint8_t *p);
void cxl_put_le16(uint8_t *p, uint16_t v);
void cxl_put_le32(uint8_t *p, uint32_t v);

const char *cxl_mbox_rc_name(uint32_t rc);
const char *cxl_opcode_name(uint32_t opcode);

void cxl_uuid_to_string(const uint8_t uuid[16], char ret[37]);
int cxl_uuid_from_string(const char *s, uint8_t ret[16]);
bool cxl_uuid_is_kernel_exclusive(const uint8_t uuid[16]);
const char *cxl_feature_known_name(const uint8_t uuid[16]);

cxl_set_verdict cxl_feature_set_verdict(const cxl_feature *f);
/* The verdict for a uuid that may be missing from the list (f NULL). */
cxl_set_verdict cxl_uuid_set_verdict(const cxl_features *fs, const uint8_t uuid[16], const cxl_feature **ret);
const char *cxl_verdict_string(cxl_set_verdict v);

const cxl_feature *cxl_features_find(const cxl_features *fs, const uint8_t uuid[16]);
void cxl_features_free(cxl_features *fs);
size_t cxl_features_count_changeable(const cxl_features *fs);

/* Request builders: the full struct fwctl_rpc_cxl prefix, in_len = 16 + op_size. */
size_t cxl_build_gsf(uint8_t ret[CXL_RPC_HDR + CXL_GSF_IN_LEN], uint32_t count, uint16_t start_idx);
size_t cxl_build_get_feature(uint8_t ret[CXL_RPC_HDR + CXL_GF_IN_LEN], const uint8_t uuid[16], uint16_t offset,
                             uint16_t count, uint8_t selection);
/* malloc()ed request in *ret. */
int cxl_build_set_feature(const uint8_t uuid[16], uint32_t flags, uint16_t offset, uint8_t version,
                          const uint8_t *data, size_t len, uint8_t **ret, size_t *ret_len);

/* Parse one 48-byte Get Supported Features entry. */
void cxl_parse_entry(const uint8_t *e, cxl_feature *ret);

/*
 * Check a fwctl_rpc_cxl_out in a buffer of buf_size bytes of which the kernel
 * reported `reported`: header present, size within the buffer. -EBADMSG + reason.
 */
int cxl_check_out(const uint8_t *buf, size_t buf_size, size_t reported, uint32_t *ret_size, uint32_t *ret_retval,
                  char **ret_reason);
/* A Get Supported Features payload of `size` bytes: num_entries must fit. */
int cxl_check_gsf_payload(const uint8_t *payload, uint32_t size, uint16_t *ret_num, uint16_t *ret_total,
                          char **ret_reason);

/* Bytes the driver writes into its out buffer for a request (classify()'s kernel_out_min). */
size_t cxl_kernel_out_min(uint32_t opcode, const uint8_t *request);

/* Classify a raw Rpc request against the cached list (NULL: not read). */
int cxl_classify_request(const cxl_features *fs, const void *request, size_t size, fwctld_classification *ret,
                         char **ret_reason);

/* Page through Get Supported Features at scope 0. */
int cxl_fetch_features(cxl_rpc_func rpc, void *userdata, cxl_features **ret, char **ret_reason);

/* JSON. All return malloc()ed strings. */
int cxl_info_json(const cxl_features *fs, char **ret_json);
int cxl_features_json(const cxl_features *fs, char **ret_json);

/* Every operation's parameters, checked on the main thread (no I/O) before authorisation. */
/* get-supported-features: takes none, so "{}". */
int cxl_check_no_params(const char *params_json, char **ret_reason);
/* get-feature: the count must be known, from the parameters or the cached list. */
int cxl_get_feature_check(const cxl_features *fs, const char *params_json, char **ret_reason);
/* set-feature: parameters -> scope it needs. */
int cxl_set_feature_classify(const cxl_features *fs, const char *params_json, uint32_t *ret_scope,
                             char **ret_reason);
int cxl_exec_get_feature(cxl_rpc_func rpc, void *userdata, const cxl_features *fs, const char *params_json,
                         char **ret_json, char **ret_reason);
int cxl_exec_set_feature(cxl_rpc_func rpc, void *userdata, const cxl_features *fs, const char *params_json,
                         char **ret_json, char **ret_reason);
