/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pds-proto.h"
#include "plugin-util.h"

/* Pin the kernel's layout (kernel-fwctl.md §3): the kernel reads it at these offsets. */
static_assert(sizeof(struct pds_kernel_rpc) == PDS_KERNEL_RPC_SIZE, "struct fwctl_rpc_pds is 48 bytes");
static_assert(_Alignof(struct pds_kernel_rpc) == 8, "struct fwctl_rpc_pds is 8-aligned");
static_assert(offsetof(struct pds_kernel_rpc, in_op) == 0, "in.op @0");
static_assert(offsetof(struct pds_kernel_rpc, in_ep) == 4, "in.ep @4");
static_assert(offsetof(struct pds_kernel_rpc, in_rsvd) == 8, "in.rsvd @8");
static_assert(offsetof(struct pds_kernel_rpc, in_len) == 12, "in.len @12");
static_assert(offsetof(struct pds_kernel_rpc, in_payload) == 16, "in.payload @16");
static_assert(offsetof(struct pds_kernel_rpc, out_retval) == 24, "out.retval @24");
static_assert(offsetof(struct pds_kernel_rpc, out_rsvd) == 28, "out.rsvd @28");
static_assert(offsetof(struct pds_kernel_rpc, out_len) == 36, "out.len @36");
static_assert(offsetof(struct pds_kernel_rpc, out_payload) == 40, "out.payload @40");

/* Pin the envelope (docs/plugin-pds.md): six fields, 24 bytes, no holes. */
static_assert(PDS_ENV_OFF_RESPONSE_LEN + 4 == PDS_ENV_HDR_SIZE, "request header is 24 bytes");
static_assert(PDS_RESP_OFF_EP + 4 == PDS_ENV_HDR_SIZE, "response header is 24 bytes");
static_assert(PDS_ENV_OFF_RESERVED + 2 == PDS_ENV_OFF_OP && PDS_RESP_OFF_RESERVED + 2 == PDS_RESP_OFF_RETVAL,
              "16-bit version and reserved fields");

uint32_t pds_get_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

uint16_t pds_get_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

void pds_put_le32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

void pds_put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

int pds_request_parse(const void *buf, size_t size, struct pds_request *ret, char **ret_reason) {
        const uint8_t *p = buf;
        uint32_t magic, payload_len, response_len;
        uint16_t version, reserved;

        if (!p || size < PDS_ENV_HDR_SIZE)
                return plugin_reason(ret_reason, -EINVAL,
                                     "request of %zu bytes is shorter than the %u-byte pds envelope header",
                                     p ? size : 0, PDS_ENV_HDR_SIZE);

        magic = pds_get_le32(p + PDS_ENV_OFF_MAGIC);
        if (magic != PDS_ENV_REQ_MAGIC)
                return plugin_reason(ret_reason, -EINVAL,
                                     "bad envelope magic 0x%08" PRIx32 " (expected 0x%08x, bytes \"PDSQ\")",
                                     magic, PDS_ENV_REQ_MAGIC);
        version = pds_get_le16(p + PDS_ENV_OFF_VERSION);
        if (version != PDS_ENV_VERSION)
                return plugin_reason(ret_reason, -EINVAL, "unsupported envelope version %u (expected %u)", version,
                                     PDS_ENV_VERSION);
        reserved = pds_get_le16(p + PDS_ENV_OFF_RESERVED);
        if (reserved != 0)
                return plugin_reason(ret_reason, -EINVAL, "envelope reserved field is 0x%04x, must be 0", reserved);

        payload_len = pds_get_le32(p + PDS_ENV_OFF_PAYLOAD_LEN);
        response_len = pds_get_le32(p + PDS_ENV_OFF_RESPONSE_LEN);
        if (payload_len > PDS_MAX_LEN)
                return plugin_reason(ret_reason, -EINVAL,
                                     "payload_len %" PRIu32 " exceeds %u bytes", payload_len, PDS_MAX_LEN);
        if (response_len > PDS_MAX_LEN)
                return plugin_reason(ret_reason, -EINVAL, "response_len %" PRIu32 " exceeds %u bytes", response_len,
                                     PDS_MAX_LEN);
        if ((size_t) payload_len + PDS_ENV_HDR_SIZE != size)
                return plugin_reason(ret_reason, -EINVAL,
                                     "payload_len %" PRIu32 " does not match the %zu payload bytes after the header",
                                     payload_len, size - PDS_ENV_HDR_SIZE);

        *ret = (struct pds_request) {
                .op = pds_get_le32(p + PDS_ENV_OFF_OP),
                .ep = pds_get_le32(p + PDS_ENV_OFF_EP),
                .payload_len = payload_len,
                .response_len = response_len,
                .payload = p + PDS_ENV_HDR_SIZE,
        };
        return 0;
}

size_t pds_response_envelope_size(uint32_t response_len) {
        return (size_t) response_len + PDS_ENV_HDR_SIZE;
}

int pds_request_build(uint32_t op, uint32_t ep, const void *payload, uint32_t payload_len, uint32_t response_len,
                      uint8_t **ret, size_t *ret_size) {
        size_t size = (size_t) PDS_ENV_HDR_SIZE + payload_len;
        uint8_t *p;

        if (!ret || !ret_size || (payload_len > 0 && !payload))
                return -EINVAL;
        if (payload_len > PDS_MAX_LEN || response_len > PDS_MAX_LEN)
                return -EMSGSIZE;
        p = calloc(1, size);
        if (!p)
                return -ENOMEM;
        pds_put_le32(p + PDS_ENV_OFF_MAGIC, PDS_ENV_REQ_MAGIC);
        pds_put_le16(p + PDS_ENV_OFF_VERSION, PDS_ENV_VERSION);
        pds_put_le32(p + PDS_ENV_OFF_OP, op);
        pds_put_le32(p + PDS_ENV_OFF_EP, ep);
        pds_put_le32(p + PDS_ENV_OFF_PAYLOAD_LEN, payload_len);
        pds_put_le32(p + PDS_ENV_OFF_RESPONSE_LEN, response_len);
        if (payload_len > 0)
                memcpy(p + PDS_ENV_HDR_SIZE, payload, payload_len);
        *ret = p;
        *ret_size = size;
        return 0;
}

int pds_response_parse(const void *buf, size_t size, struct pds_response *ret, char **ret_reason) {
        const uint8_t *p = buf;
        uint32_t magic, response_len;
        uint16_t version, reserved;

        if (!p || size < PDS_ENV_HDR_SIZE)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "response of %zu bytes is shorter than the %u-byte envelope header",
                                     p ? size : 0, PDS_ENV_HDR_SIZE);
        magic = pds_get_le32(p + PDS_RESP_OFF_MAGIC);
        version = pds_get_le16(p + PDS_RESP_OFF_VERSION);
        reserved = pds_get_le16(p + PDS_RESP_OFF_RESERVED);
        if (magic != PDS_ENV_RESP_MAGIC || version != PDS_ENV_VERSION || reserved != 0)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "not a version %u \"PDSA\" response envelope (magic 0x%08" PRIx32 ", version %u, "
                                     "reserved 0x%04x)", PDS_ENV_VERSION, magic, version, reserved);
        response_len = pds_get_le32(p + PDS_RESP_OFF_RESPONSE_LEN);
        if ((size_t) response_len > size - PDS_ENV_HDR_SIZE)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "response envelope claims %" PRIu32 " bytes but carries %zu", response_len,
                                     size - PDS_ENV_HDR_SIZE);
        *ret = (struct pds_response) {
                .retval = pds_get_le32(p + PDS_RESP_OFF_RETVAL),
                .response_len = response_len,
                .op = pds_get_le32(p + PDS_RESP_OFF_OP),
                .ep = pds_get_le32(p + PDS_RESP_OFF_EP),
                .response = p + PDS_ENV_HDR_SIZE,
        };
        return 0;
}

void pds_kernel_rpc_build(struct pds_kernel_rpc *ret, uint32_t op, uint32_t ep, const void *in, uint32_t in_len,
                          void *out, uint32_t out_len) {
        *ret = (struct pds_kernel_rpc) {
                .in_op = op,
                .in_ep = ep,
                .in_len = in_len,
                .in_payload = (uint64_t) (uintptr_t) in,
                .out_len = out_len,
                .out_payload = (uint64_t) (uintptr_t) out,
        };
}

int pds_kernel_reply_check(const void *kout, size_t buffer_size, size_t reported_len, uint32_t sent_out_len,
                           struct pds_kernel_rpc *ret, char **ret_reason) {
        struct pds_kernel_rpc k;

        if (!kout || buffer_size < PDS_KERNEL_RPC_SIZE)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "response buffer of %zu bytes cannot hold the %u-byte struct",
                                     kout ? buffer_size : 0, PDS_KERNEL_RPC_SIZE);
        /* pds returns its whole struct: anything else means the reply is not one. */
        if (reported_len != PDS_KERNEL_RPC_SIZE)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "kernel reported out_len %zu, expected the %u-byte struct fwctl_rpc_pds",
                                     reported_len, PDS_KERNEL_RPC_SIZE);
        memcpy(&k, kout, sizeof(k));
        /* The data went to our buffer of sent_out_len bytes; never read past it. */
        if (k.out_len > sent_out_len)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "returned out.len %" PRIu32 " exceeds the %" PRIu32 "-byte response buffer",
                                     k.out_len, sent_out_len);
        *ret = k;
        return 0;
}

void pds_response_header_pack(uint8_t hdr[PDS_ENV_HDR_SIZE], uint32_t retval, uint32_t response_len, uint32_t op,
                              uint32_t ep) {
        memset(hdr, 0, PDS_ENV_HDR_SIZE);
        pds_put_le32(hdr + PDS_RESP_OFF_MAGIC, PDS_ENV_RESP_MAGIC);
        pds_put_le16(hdr + PDS_RESP_OFF_VERSION, PDS_ENV_VERSION);
        pds_put_le32(hdr + PDS_RESP_OFF_RETVAL, retval);
        pds_put_le32(hdr + PDS_RESP_OFF_RESPONSE_LEN, response_len);
        pds_put_le32(hdr + PDS_RESP_OFF_OP, op);
        pds_put_le32(hdr + PDS_RESP_OFF_EP, ep);
}

void pds_status_name(uint32_t retval, char buf[PDS_STATUS_NAME_MAX]) {
        if (retval == 0)
                (void) snprintf(buf, PDS_STATUS_NAME_MAX, "SUCCESS");
        else
                (void) snprintf(buf, PDS_STATUS_NAME_MAX, "ERROR_%" PRIu32, retval);
}

void pds_operation_name(uint32_t ep, uint32_t op, char buf[PDS_OPERATION_NAME_MAX]) {
        (void) snprintf(buf, PDS_OPERATION_NAME_MAX, "ep%" PRIu32 ".op0x%04" PRIx32, ep, op);
}

/* A required or optional unsigned field within [0, max]. 0: found, 1: absent. */
static int get_u32_field(json_object *o, const char *key, bool required, uint32_t max, uint32_t *ret,
                         char **ret_reason) {
        json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(o, key, &v)) {
                if (required)
                        return plugin_reason(ret_reason, -EINVAL, "missing field \"%s\"", key);
                return 1;
        }
        if (!json_object_is_type(v, json_type_int))
                return plugin_reason(ret_reason, -EINVAL, "field \"%s\" must be an integer", key);
        n = json_object_get_int64(v);
        if (n < 0 || (uint64_t) n > max)
                return plugin_reason(ret_reason, -EINVAL, "field \"%s\" must be between 0 and %" PRIu32, key, max);
        *ret = (uint32_t) n;
        return 0;
}

void pds_params_done(struct pds_params *p) {
        if (!p)
                return;
        free(p->payload);
        p->payload = NULL;
        p->payload_len = 0;
}

int pds_params_parse(const char *json, struct pds_params *ret, char **ret_reason) {
        static const char *const fields[] = { "endpoint", "operation", "payload", "response_size", "scope", NULL };
        struct pds_params p = { .scope = 0 };
        json_object *o, *v;
        int r;

        r = plugin_parse_params(json, fields, &o, ret_reason);
        if (r < 0)
                return r;

        r = get_u32_field(o, "endpoint", true, UINT32_MAX, &p.ep, ret_reason);
        if (r >= 0)
                r = get_u32_field(o, "operation", true, UINT32_MAX, &p.op, ret_reason);
        if (r >= 0)
                r = get_u32_field(o, "response_size", true, PDS_MAX_LEN, &p.response_size, ret_reason);
        if (r >= 0)
                r = get_u32_field(o, "scope", false, 3, &p.scope, ret_reason);
        if (r >= 0) {
                if (!json_object_object_get_ex(o, "payload", &v))
                        r = plugin_reason(ret_reason, -EINVAL, "missing field \"payload\"");
                else if (!json_object_is_type(v, json_type_string))
                        r = plugin_reason(ret_reason, -EINVAL, "field \"payload\" must be a hex string");
                else {
                        r = plugin_hex_decode(json_object_get_string(v), &p.payload, &p.payload_len);
                        if (r == -EINVAL)
                                r = plugin_reason(ret_reason, -EINVAL,
                                                  "field \"payload\" must be an even number of hex digits");
                        else if (r >= 0 && p.payload_len > PDS_MAX_LEN)
                                r = plugin_reason(ret_reason, -EINVAL,
                                                  "field \"payload\" exceeds %u bytes", PDS_MAX_LEN);
                }
        }
        json_object_put(o);
        if (r < 0) {
                pds_params_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

int pds_result_json(uint32_t retval, const void *response, size_t size, char **ret_json) {
        char status[PDS_STATUS_NAME_MAX];
        json_object *o;
        char *hex;
        int r = 0;

        hex = plugin_hex_encode(response, size);
        if (!hex)
                return -ENOMEM;
        o = json_object_new_object();
        if (!o) {
                free(hex);
                return -ENOMEM;
        }
        pds_status_name(retval, status);
        if (json_object_object_add(o, "retval", json_object_new_int64(retval)) < 0 ||
            json_object_object_add(o, "status_name", json_object_new_string(status)) < 0 ||
            json_object_object_add(o, "response_length", json_object_new_int64((int64_t) size)) < 0 ||
            json_object_object_add(o, "response", json_object_new_string(hex)) < 0)
                r = -ENOMEM;
        free(hex);
        return plugin_json_finish_unless(o, r, ret_json);
}

int pds_info_json(const void *data, size_t size, char **ret_json) {
        json_object *o;
        int r = 0;

        if (!ret_json || (size > 0 && !data))
                return -EINVAL;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (json_object_object_add(o, "plugin", json_object_new_string("pds")) < 0 ||
            json_object_object_add(o, "device_data_length", json_object_new_int64((int64_t) size)) < 0)
                r = -ENOMEM;
        if (r >= 0 && size == 0) {
                if (json_object_object_add(o, "info", NULL) < 0 ||
                    json_object_object_add(o, "note",
                                           json_object_new_string("pds_fwctl reports no device info "
                                                                  "(device_data_len is never set)")) < 0)
                        r = -ENOMEM;
        } else if (r >= 0) {
                /* A fixed kernel may one day send data; its layout is not documented: show it raw. */
                char *hex = plugin_hex_encode(data, size);

                if (!hex ||
                    json_object_object_add(o, "info", NULL) < 0 ||
                    json_object_object_add(o, "device_data_hex", json_object_new_string(hex)) < 0 ||
                    json_object_object_add(o, "note",
                                           json_object_new_string("pds device data has no documented layout; "
                                                                  "shown raw, not decoded")) < 0)
                        r = -ENOMEM;
                free(hex);
        }
        return plugin_json_finish_unless(o, r, ret_json);
}
