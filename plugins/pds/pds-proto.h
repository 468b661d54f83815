/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pds plugin's pure parts: the pointer-free envelope a D-Bus caller sends
 * (docs/plugin-pds.md), the kernel's struct fwctl_rpc_pds with its two user
 * pointers, the reply checks, the Execute parameters and the JSON. No I/O here:
 * everything is a plain function the unit tests call directly.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request envelope, little-endian, 24-byte header followed by payload_len bytes. */
#define PDS_ENV_REQ_MAGIC 0x51534450u  /* bytes "PDSQ" */
#define PDS_ENV_RESP_MAGIC 0x41534450u /* bytes "PDSA" */
#define PDS_ENV_VERSION 1u
#define PDS_ENV_HDR_SIZE 24u

#define PDS_ENV_OFF_MAGIC 0
#define PDS_ENV_OFF_VERSION 4
#define PDS_ENV_OFF_RESERVED 6
#define PDS_ENV_OFF_OP 8
#define PDS_ENV_OFF_EP 12
#define PDS_ENV_OFF_PAYLOAD_LEN 16
#define PDS_ENV_OFF_RESPONSE_LEN 20

/* Response envelope, little-endian, 24-byte header followed by response_len bytes. */
#define PDS_RESP_OFF_MAGIC 0
#define PDS_RESP_OFF_VERSION 4
#define PDS_RESP_OFF_RESERVED 6
#define PDS_RESP_OFF_RETVAL 8
#define PDS_RESP_OFF_RESPONSE_LEN 12
#define PDS_RESP_OFF_OP 16
#define PDS_RESP_OFF_EP 20

/* The kernel's MAX_RPC_LEN: neither payload may be larger. */
#define PDS_MAX_LEN (2u * 1024u * 1024u)

/* struct fwctl_rpc_pds (kernel-fwctl.md §3): native endian, 48 bytes, 8-aligned. */
#define PDS_KERNEL_RPC_SIZE 48u

struct pds_kernel_rpc {
        uint32_t in_op;
        uint32_t in_ep;
        uint32_t in_rsvd;
        uint32_t in_len;
        uint64_t in_payload __attribute__((aligned(8)));  /* user pointer */
        uint32_t out_retval;
        uint32_t out_rsvd[2];
        uint32_t out_len;
        uint64_t out_payload __attribute__((aligned(8))); /* user pointer */
};

/* A parsed request envelope. */
struct pds_request {
        uint32_t op;
        uint32_t ep;
        uint32_t payload_len;
        uint32_t response_len;
        const uint8_t *payload; /* points into the caller's buffer */
};

/* Execute "rpc" parameters. */
struct pds_params {
        uint32_t ep;
        uint32_t op;
        uint32_t response_size;
        uint32_t scope;
        uint8_t *payload; /* malloc()ed, never NULL on success */
        size_t payload_len;
};

#define PDS_OPERATION_NAME_MAX 64
#define PDS_STATUS_NAME_MAX 24

uint32_t pds_get_le32(const uint8_t *p);
uint16_t pds_get_le16(const uint8_t *p);
void pds_put_le32(uint8_t *p, uint32_t v);
void pds_put_le16(uint8_t *p, uint16_t v);

/* Validate a request envelope. -EINVAL with *ret_reason (malloc()ed) on any fault. */
int pds_request_parse(const void *buf, size_t size, struct pds_request *ret, char **ret_reason);

/* The response envelope of response_len bytes: header + response. */
size_t pds_response_envelope_size(uint32_t response_len);

/* Build a request envelope (what a caller sends to Rpc), malloc()ed into *ret. */
int pds_request_build(uint32_t op, uint32_t ep, const void *payload, uint32_t payload_len, uint32_t response_len,
                      uint8_t **ret, size_t *ret_size);

/* A parsed response envelope. */
struct pds_response {
        uint32_t retval;
        uint32_t response_len;
        uint32_t op;
        uint32_t ep;
        const uint8_t *response; /* points into the buffer */
};

/*
 * Validate a response envelope of `size` bytes (what Rpc returned): magic "PDSA",
 * version, reserved 0, and response_len bytes present. -EBADMSG with a reason.
 */
int pds_response_parse(const void *buf, size_t size, struct pds_response *ret, char **ret_reason);

/* Fill the kernel struct with the daemon's own buffers. */
void pds_kernel_rpc_build(struct pds_kernel_rpc *ret, uint32_t op, uint32_t ep, const void *in,
                          uint32_t in_len, void *out, uint32_t out_len);

/*
 * Check what the kernel returned: out_len must be the 48-byte struct, and the
 * returned out.len may not exceed the response buffer that was passed. -EBADMSG
 * with a reason otherwise. On success *ret is a copy of the returned struct.
 */
int pds_kernel_reply_check(const void *kout, size_t buffer_size, size_t reported_len, uint32_t sent_out_len,
                           struct pds_kernel_rpc *ret, char **ret_reason);

/* Write the 24-byte response envelope header. */
void pds_response_header_pack(uint8_t hdr[PDS_ENV_HDR_SIZE], uint32_t retval, uint32_t response_len, uint32_t op,
                              uint32_t ep);

/* "SUCCESS" for 0, else "ERROR_<n>": pds retval names are not public. */
void pds_status_name(uint32_t retval, char buf[PDS_STATUS_NAME_MAX]);

/* "ep1.op0x0001": the endpoint and the operation word exactly as sent. */
void pds_operation_name(uint32_t ep, uint32_t op, char buf[PDS_OPERATION_NAME_MAX]);

/* Execute "rpc" parameters; -EINVAL with a reason naming the field. */
int pds_params_parse(const char *json, struct pds_params *ret, char **ret_reason);
void pds_params_done(struct pds_params *p);

/* {"retval":N,"status_name":"...","response":"hex"} */
int pds_result_json(uint32_t retval, const void *response, size_t size, char **ret_json);

/* Info JSON: mainline returns no device data. */
int pds_info_json(const void *data, size_t size, char **ret_json);

