/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Pure parts of the bnxt plugin: the HWRM command table, request
 * classification, the DMA envelope, response decoding and the JSON of the
 * named operations. No I/O and no daemon symbols, so unit tests link this
 * file directly.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BNXT_DEVICE_TYPE 3u

#define HWRM_REQ_HDR_LEN 16u       /* req_type, cmpl_ring, seq_id, target_id, resp_addr */
#define HWRM_REQ_MAX_LEN 128u      /* the driver's in_len limit */
#define HWRM_RESP_HDR_LEN 8u       /* error_code, req_type, seq_id, resp_len */
/*
 * The kernel out buffer marshal() always offers. The driver (bnxtctl_fw_rpc() through
 * bnxt_send_msg()) copies min(resp_len, out_len) into a buffer of out_len bytes and
 * never more; resp_len is bounded by the HSI's HWRM_MAX_RESP_LEN (a few hundred bytes)
 * and by the driver's response area (BNXT_HWRM_RESP_RESERVED, one page). A longer
 * resp_len is reported as a malformed reply, never read past this buffer.
 */
#define HWRM_RESP_BUF_LEN 4096u
/* Per-buffer DMA limit: FWCTL_BNXT_MAX_DMABUF in include/uapi/fwctl/bnxt.h (0x10000, 64 KiB).
 * marshal() allocates every DMA buffer at this size, whatever the length fields say. */
#define BNXT_DMA_MAX_LEN 0x10000u

/* The header the DMA layouts were checked against (README.md). */
#define BNXT_HSI_CHECKED "include/linux/bnxt/hsi.h at torvalds/linux 82ee50252dc8"

/* req_type values the plugin builds requests for. */
#define HWRM_VER_GET 0x0000u
#define HWRM_FUNC_QCAPS 0x0015u
#define HWRM_PORT_PHY_I2C_WRITE 0x002bu
#define HWRM_TEMP_MONITOR_QUERY 0x00e0u
#define HWRM_NVM_GET_DEV_INFO 0xfff6u
#define HWRM_NVM_READ 0xfffdu

/* hwrm_nvm_read_input, 40 bytes (little endian). */
#define NVM_READ_REQ_LEN 40u
#define NVM_READ_OFF_HOST_DEST_ADDR 16u
#define NVM_READ_OFF_DIR_IDX 24u
#define NVM_READ_OFF_OFFSET 28u
#define NVM_READ_OFF_LEN 32u

/* Info bits (enum fwctl_bnxt_commands; the DMA bit is the fourth). */
#define BNXT_CAP_INLINE 0u
#define BNXT_CAP_QUERY 1u
#define BNXT_CAP_SEND 2u
#define BNXT_CAP_DMA 3u

typedef enum BnxtDmaDir {
        BNXT_DMA_FROM_DEVICE, /* read: the firmware fills the buffer */
        BNXT_DMA_TO_DEVICE,   /* write: the caller supplies the contents */
} BnxtDmaDir;

/*
 * One host-address field of a DMA command whose layout the plugin defines.
 * The buffer length is either read from the request (len_width 2 or 4, times
 * len_unit) or, with len_width 0, fixed by the driver (fixed_len bytes).
 */
typedef struct BnxtDmaField {
        uint16_t addr_offset; /* le64 host address inside the request */
        uint16_t len_offset;  /* length field inside the request */
        uint8_t len_width;    /* 2 or 4 bytes; 0: fixed length */
        uint8_t len_unit;     /* bytes per unit of the length field */
        uint32_t fixed_len;   /* len_width 0: the driver's fixed buffer size */
        BnxtDmaDir dir;
} BnxtDmaField;

/* The driver's limit of address fields per command (BNXTCTL_MAX_DMA_FIELDS). */
#define BNXT_MAX_DMA_FIELDS 4

typedef struct BnxtDmaLayout {
        uint16_t req_size;    /* exact sizeof(hwrm_xxx_input): in_len must equal it */
        unsigned n_fields;
        BnxtDmaField fields[BNXT_MAX_DMA_FIELDS];
} BnxtDmaLayout;

typedef struct BnxtCommand {
        uint16_t req_type;
        uint8_t min_scope;
        bool dma;                    /* embeds host addresses */
        bool configuration_write;
        const char *name;            /* HWRM command name without the HWRM_ prefix */
        const BnxtDmaLayout *layout; /* DMA commands whose layout is verified, else NULL */
        const char *no_layout_reason; /* DMA commands without a verified layout: why */
} BnxtCommand;

const BnxtCommand *bnxt_command_find(uint16_t req_type);
const BnxtCommand *bnxt_command_table(size_t *ret_n);

/* Length in bytes of DMA field f for request req (64-bit: unit products never wrap). */
uint64_t bnxt_dma_field_length(const uint8_t *req, const BnxtDmaField *f);

/* The DMA buffers of one parsed envelope. */
typedef struct BnxtEnvelope {
        const BnxtCommand *command;
        unsigned n_buffers;
        struct {
                uint32_t length;          /* bytes */
                BnxtDmaDir dir;
                uint16_t addr_offset;
                size_t data_offset;       /* TO_DEVICE: where its contents start in the envelope */
        } buffers[BNXT_MAX_DMA_FIELDS];
        size_t read_bytes;                /* sum of FROM_DEVICE lengths */
} BnxtEnvelope;

/*
 * Classify a raw Rpc request (or DMA envelope). 0 and *ret_command, or
 * -EINVAL / -EOPNOTSUPP with a malloc()ed reason. For DMA commands the whole
 * envelope is validated here (exact size, zero address fields, buffer lengths)
 * and described in *ret_envelope (may be NULL).
 */
int bnxt_classify_request(const void *request, size_t size, const BnxtCommand **ret_command,
                          BnxtEnvelope *ret_envelope, char **ret_reason);

/* Response header. */
typedef struct BnxtResponse {
        uint16_t error_code;
        uint16_t req_type;
        uint16_t seq_id;
        uint16_t resp_len;
} BnxtResponse;

/*
 * Parse and bounds-check a response from a buffer of buffer_size bytes the
 * kernel filled. -EBADMSG with a reason if resp_len is < 8 or beyond the buffer.
 */
int bnxt_parse_response(const void *buffer, size_t buffer_size, BnxtResponse *ret, char **ret_reason);

/* HWRM error_code name (SUCCESS, CMD_NOT_SUPPORTED, ...); writes into buf. */
const char *bnxt_error_name(uint16_t error_code, char *buf, size_t size);

/* Info: 4-byte uctx_caps. */
int bnxt_info_json(const void *data, size_t size, char **ret_json);

/* Request builders (buffers of HWRM_REQ_MAX_LEN bytes); return the length. */
size_t bnxt_build_ver_get(uint8_t *req);
size_t bnxt_build_func_qcaps(uint8_t *req, uint16_t fid);
size_t bnxt_build_simple(uint8_t *req, uint16_t req_type); /* 16-byte header-only request */
/* NVM_READ as a pointer-free envelope: host_dest_addr stays 0, the daemon supplies the buffer. */
size_t bnxt_build_nvm_read(uint8_t *req, uint16_t dir_idx, uint32_t offset, uint32_t length);

/* Reply decoders to JSON (malloc()ed); -EBADMSG with a reason on a bad reply. */
int bnxt_ver_get_json(const void *resp, size_t size, char **ret_json, char **ret_reason);
int bnxt_func_qcaps_json(const void *resp, size_t size, char **ret_json, char **ret_reason);
int bnxt_temp_monitor_json(const void *resp, size_t size, char **ret_json, char **ret_reason);
int bnxt_nvm_dev_info_json(const void *resp, size_t size, char **ret_json, char **ret_reason);
int bnxt_nvm_read_json(const void *resp, size_t size, const void *data, uint32_t length, uint16_t dir_idx,
                       uint32_t offset, char **ret_json, char **ret_reason);

/* Parameters of the named operations. -EINVAL with a reason naming the field. */
typedef struct BnxtNvmReadParams {
        uint16_t dir_idx;
        uint32_t offset;
        uint32_t length;
} BnxtNvmReadParams;

int bnxt_parse_no_params(const char *json, char **ret_reason);
int bnxt_parse_func_qcaps_params(const char *json, uint16_t *ret_fid, char **ret_reason);
int bnxt_parse_nvm_read_params(const char *json, BnxtNvmReadParams *ret, char **ret_reason);

static inline uint16_t bnxt_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}
static inline uint32_t bnxt_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}
static inline uint64_t bnxt_le64(const uint8_t *p) {
        return (uint64_t) bnxt_le32(p) | (uint64_t) bnxt_le32(p + 4) << 32;
}
static inline void bnxt_put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
static inline void bnxt_put_le32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}
static inline void bnxt_put_le64(uint8_t *p, uint64_t v) {
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}
