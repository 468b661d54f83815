/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl-proto.h"
#include "plugin-util.h"

static_assert(CXL_RPC_HDR + 32u == CXL_RPC_STRUCT_SIZE, "fwctl_rpc_cxl is 48 bytes");
static_assert(CXL_GSF_OUT_HDR + CXL_FEAT_ENTRY_LEN == 56u, "GSF header + one entry");
static_assert(CXL_SF_HDR == 16u + 4u + 2u + 1u + 9u, "Set Feature header");
static_assert(CXL_GF_IN_LEN == 16u + 2u + 2u + 1u, "Get Feature input");

static const char *const scope_names[] = {
        "configuration", "debug-read-only", "debug-write", "debug-write-full",
};

/* Kernel-exclusive features (include/cxl/features.h): textual UUID byte order. */
static const struct {
        const char *name;
        uint8_t uuid[16];
} known_features[] = {
        { "patrol-scrub",
          { 0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b, 0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a } },
        { "ddr5-ecs",
          { 0xe5, 0xb1, 0x3f, 0x22, 0x23, 0x28, 0x4a, 0x14, 0xb8, 0xba, 0xb9, 0x69, 0x1e, 0x89, 0x33, 0x86 } },
        { "soft-ppr",
          { 0x89, 0x2b, 0xa4, 0x75, 0xfa, 0xd8, 0x47, 0x4e, 0x9d, 0x3e, 0x69, 0x2c, 0x91, 0x75, 0x68, 0xbb } },
        { "hard-ppr",
          { 0x80, 0xea, 0x45, 0x21, 0x78, 0x6f, 0x41, 0x27, 0xaf, 0xb1, 0xec, 0x74, 0x59, 0xfb, 0x0e, 0x24 } },
        { "cacheline-sparing",
          { 0x96, 0xc3, 0x33, 0x86, 0x91, 0xdd, 0x44, 0xc7, 0x9e, 0xcb, 0xfd, 0xaf, 0x65, 0x03, 0xba, 0xc4 } },
        { "row-sparing",
          { 0x45, 0x0e, 0xbf, 0x67, 0xb1, 0x35, 0x4f, 0x97, 0xa4, 0x98, 0xc2, 0xd5, 0x7f, 0x27, 0x9b, 0xed } },
        { "bank-sparing",
          { 0x78, 0xb7, 0x96, 0x36, 0x90, 0xac, 0x4b, 0x64, 0xa4, 0xef, 0xfa, 0xac, 0x5d, 0x18, 0xa8, 0x63 } },
        { "rank-sparing",
          { 0x34, 0xdb, 0xaf, 0xf5, 0x05, 0x52, 0x42, 0x81, 0x8f, 0x76, 0xda, 0x0b, 0x5e, 0x7a, 0x76, 0xa7 } },
};

/* CXL r3.1 Table 8-34, mailbox return codes. */
static const char *const mbox_rc_names[] = {
        "SUCCESS",
        "BACKGROUND_CMD_STARTED",
        "INVALID_INPUT",
        "UNSUPPORTED",
        "INTERNAL_ERROR",
        "RETRY_REQUIRED",
        "BUSY",
        "MEDIA_DISABLED",
        "FW_TRANSFER_IN_PROGRESS",
        "FW_TRANSFER_OUT_OF_ORDER",
        "FW_VERIFICATION_FAILED",
        "INVALID_SLOT",
        "ACTIVATION_FAILED_FW_ROLLED_BACK",
        "ACTIVATION_FAILED_COLD_RESET_REQUIRED",
        "INVALID_HANDLE",
        "INVALID_PHYSICAL_ADDRESS",
        "INJECT_POISON_LIMIT_REACHED",
        "PERMANENT_MEDIA_FAILURE",
        "ABORTED",
        "INVALID_SECURITY_STATE",
        "INCORRECT_PASSPHRASE",
        "UNSUPPORTED_MAILBOX_OR_CCI",
        "INVALID_PAYLOAD_LENGTH",
        "INVALID_LOG",
        "INTERRUPTED",
        "UNSUPPORTED_FEATURE_VERSION",
        "UNSUPPORTED_FEATURE_SELECTION_VALUE",
        "FEATURE_TRANSFER_IN_PROGRESS",
        "FEATURE_TRANSFER_OUT_OF_ORDER",
        "RESOURCES_EXHAUSTED",
        "INVALID_EXTENT_LIST",
};

static const char *const flag_names[32] = {
        [0] = "CHANGEABLE",
        [4] = "PERSIST_FW_UPDATE",
        [5] = "DEFAULT_SEL",
        [6] = "SAVED_SEL",
};

static const char *const effect_names[16] = {
        [0] = "COLD_RESET",        [1] = "CONFIG_IMMEDIATE",      [2] = "DATA_IMMEDIATE",
        [3] = "POLICY_IMMEDIATE",  [4] = "LOG_IMMEDIATE",         [5] = "SECURITY_STATE_CHANGE",
        [6] = "BACKGROUND",        [7] = "BGCMD_ABORT",           [9] = "EFFECTS_VALID",
        [10] = "CONV_RESET",       [11] = "CXL_RESET",
};

static const char *const selection_names[] = { "current", "default", "saved" };

uint16_t cxl_get_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

uint32_t cxl_get_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

void cxl_put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

void cxl_put_le32(uint8_t *p, uint32_t v) {
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

const char *cxl_mbox_rc_name(uint32_t rc) {
        return rc < sizeof(mbox_rc_names) / sizeof(mbox_rc_names[0]) ? mbox_rc_names[rc] : "UNKNOWN";
}

const char *cxl_opcode_name(uint32_t opcode) {
        switch (opcode) {
        case CXL_OP_GET_SUPPORTED_FEATURES:
                return "GET_SUPPORTED_FEATURES";
        case CXL_OP_GET_FEATURE:
                return "GET_FEATURE";
        case CXL_OP_SET_FEATURE:
                return "SET_FEATURE";
        default:
                return NULL;
        }
}

void cxl_uuid_to_string(const uint8_t uuid[16], char ret[37]) {
        static const char digits[] = "0123456789abcdef";
        size_t j = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        ret[j++] = '-';
                ret[j++] = digits[uuid[i] >> 4];
                ret[j++] = digits[uuid[i] & 0xf];
        }
        ret[j] = '\0';
}


/* Only the canonical 8-4-4-4-12 form. */
int cxl_uuid_from_string(const char *s, uint8_t ret[16]) {
        size_t n = 0;

        if (!s || strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36;) {
                int hi, lo;

                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -EINVAL;
                        i++;
                        continue;
                }
                hi = plugin_hex_digit(s[i]);
                lo = plugin_hex_digit(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                ret[n++] = (uint8_t) (hi << 4 | lo);
                i += 2;
        }
        return n == 16 ? 0 : -EINVAL;
}

bool cxl_uuid_is_kernel_exclusive(const uint8_t uuid[16]) {
        return cxl_feature_known_name(uuid) != NULL;
}

const char *cxl_feature_known_name(const uint8_t uuid[16]) {
        for (size_t i = 0; i < sizeof(known_features) / sizeof(known_features[0]); i++)
                if (memcmp(known_features[i].uuid, uuid, 16) == 0)
                        return known_features[i].name;
        return NULL;
}

cxl_set_verdict cxl_feature_set_verdict(const cxl_feature *f) {
        if (cxl_uuid_is_kernel_exclusive(f->uuid))
                return CXL_SET_KERNEL_EXCLUSIVE;
        if (!(f->flags & CXL_FEAT_F_CHANGEABLE))
                return CXL_SET_NOT_CHANGEABLE;
        if ((f->effects & (CXL_EFF_RESERVED | CXL_EFF_BACKGROUND)) ||
            !(f->effects & (CXL_EFF_IMMEDIATE | CXL_EFF_RESET)))
                return CXL_SET_BAD_EFFECTS;
        return (f->effects & CXL_EFF_IMMEDIATE) ? CXL_SET_DEBUG_WRITE_FULL : CXL_SET_DEBUG_WRITE;
}

cxl_set_verdict cxl_uuid_set_verdict(const cxl_features *fs, const uint8_t uuid[16], const cxl_feature **ret) {
        const cxl_feature *f = cxl_features_find(fs, uuid);

        if (ret)
                *ret = f;
        /* Checked first so the reason is the real one even if the kernel hid the entry. */
        if (cxl_uuid_is_kernel_exclusive(uuid))
                return CXL_SET_KERNEL_EXCLUSIVE;
        if (!f)
                return CXL_SET_NOT_CHANGEABLE;
        return cxl_feature_set_verdict(f);
}

const char *cxl_verdict_string(cxl_set_verdict v) {
        switch (v) {
        case CXL_SET_DEBUG_WRITE:
                return scope_names[FWCTLD_SCOPE_DEBUG_WRITE];
        case CXL_SET_DEBUG_WRITE_FULL:
                return scope_names[FWCTLD_SCOPE_DEBUG_WRITE_FULL];
        case CXL_SET_KERNEL_EXCLUSIVE:
                return "kernel-exclusive";
        default:
                return "not-settable";
        }
}

const cxl_feature *cxl_features_find(const cxl_features *fs, const uint8_t uuid[16]) {
        if (!fs)
                return NULL;
        for (size_t i = 0; i < fs->n; i++)
                if (memcmp(fs->entries[i].uuid, uuid, 16) == 0)
                        return &fs->entries[i];
        return NULL;
}

void cxl_features_free(cxl_features *fs) {
        if (!fs)
                return;
        free(fs->entries);
        free(fs);
}

size_t cxl_features_count_changeable(const cxl_features *fs) {
        size_t n = 0;

        for (size_t i = 0; fs && i < fs->n; i++)
                if (fs->entries[i].flags & CXL_FEAT_F_CHANGEABLE)
                        n++;
        return n;
}

static void put_header(uint8_t *p, uint32_t opcode, uint32_t op_size) {
        memset(p, 0, CXL_RPC_HDR);
        cxl_put_le32(p + CXL_RPC_OFF_OPCODE, opcode);
        cxl_put_le32(p + CXL_RPC_OFF_OP_SIZE, op_size);
}

size_t cxl_build_gsf(uint8_t ret[CXL_RPC_HDR + CXL_GSF_IN_LEN], uint32_t count, uint16_t start_idx) {
        put_header(ret, CXL_OP_GET_SUPPORTED_FEATURES, CXL_GSF_IN_LEN);
        memset(ret + CXL_RPC_HDR, 0, CXL_GSF_IN_LEN);
        cxl_put_le32(ret + CXL_RPC_HDR, count);
        cxl_put_le16(ret + CXL_RPC_HDR + 4, start_idx);
        return CXL_RPC_HDR + CXL_GSF_IN_LEN;
}

size_t cxl_build_get_feature(uint8_t ret[CXL_RPC_HDR + CXL_GF_IN_LEN], const uint8_t uuid[16], uint16_t offset,
                             uint16_t count, uint8_t selection) {
        put_header(ret, CXL_OP_GET_FEATURE, CXL_GF_IN_LEN);
        memcpy(ret + CXL_RPC_HDR, uuid, 16);
        cxl_put_le16(ret + CXL_RPC_HDR + 16, offset);
        cxl_put_le16(ret + CXL_RPC_HDR + 18, count);
        ret[CXL_RPC_HDR + 20] = selection;
        return CXL_RPC_HDR + CXL_GF_IN_LEN;
}

int cxl_build_set_feature(const uint8_t uuid[16], uint32_t flags, uint16_t offset, uint8_t version,
                          const uint8_t *data, size_t len, uint8_t **ret, size_t *ret_len) {
        uint8_t *p;
        size_t n;

        if (len == 0 || len > 0xffffu)
                return -EINVAL;
        n = CXL_RPC_HDR + CXL_SF_HDR + len;
        p = calloc(1, n);
        if (!p)
                return -ENOMEM;
        put_header(p, CXL_OP_SET_FEATURE, (uint32_t) (CXL_SF_HDR + len));
        memcpy(p + CXL_RPC_HDR, uuid, 16);
        cxl_put_le32(p + CXL_RPC_HDR + 16, flags);
        cxl_put_le16(p + CXL_RPC_HDR + 20, offset);
        p[CXL_RPC_HDR + 22] = version;
        memcpy(p + CXL_RPC_HDR + CXL_SF_HDR, data, len);
        *ret = p;
        *ret_len = n;
        return 0;
}

void cxl_parse_entry(const uint8_t *e, cxl_feature *ret) {
        memcpy(ret->uuid, e, 16);
        ret->id = cxl_get_le16(e + 16);
        ret->get_size = cxl_get_le16(e + 18);
        ret->set_size = cxl_get_le16(e + 20);
        ret->flags = cxl_get_le32(e + 22);
        ret->get_version = e[26];
        ret->set_version = e[27];
        ret->effects = cxl_get_le16(e + 28);
}

int cxl_check_out(const uint8_t *buf, size_t buf_size, size_t reported, uint32_t *ret_size, uint32_t *ret_retval,
                  char **ret_reason) {
        size_t have = reported < buf_size ? reported : buf_size;
        uint32_t size;

        if (!buf || have < CXL_OUT_HDR)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "reply of %zu bytes (buffer %zu) lacks the 8-byte size/retval header",
                                     reported, buf_size);
        size = cxl_get_le32(buf + CXL_OUT_OFF_SIZE);
        /* Only what the kernel copied is real: min(buffer, reported out_len). */
        if ((size_t) size > have - CXL_OUT_HDR)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "reply claims %u payload bytes but only %zu arrived (buffer %zu, "
                                     "kernel out_len %zu)",
                                     size, have - CXL_OUT_HDR, buf_size, reported);
        *ret_size = size;
        *ret_retval = cxl_get_le32(buf + CXL_OUT_OFF_RETVAL);
        return 0;
}

int cxl_check_gsf_payload(const uint8_t *payload, uint32_t size, uint16_t *ret_num, uint16_t *ret_total,
                          char **ret_reason) {
        uint16_t num;

        if (size < CXL_GSF_OUT_HDR)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "Get Supported Features reply of %u bytes lacks its 8-byte header", size);
        num = cxl_get_le16(payload);
        if ((size_t) num * CXL_FEAT_ENTRY_LEN > size - CXL_GSF_OUT_HDR)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "Get Supported Features reply claims %u entries but carries %u bytes",
                                     num, size - CXL_GSF_OUT_HDR);
        if (ret_num)
                *ret_num = num;
        if (ret_total)
                *ret_total = cxl_get_le16(payload + 2);
        return 0;
}

size_t cxl_kernel_out_min(uint32_t opcode, const uint8_t *request) {
        uint64_t n;

        switch (opcode) {
        case CXL_OP_GET_SUPPORTED_FEATURES:
                /* The driver allocates its own reply (16 + 8 + 48 per entry, count / 48 entries
                 * at most) and the core copies what fits: any buffer is safe. This one holds all
                 * of it, so decode() never sees a cut reply. */
                n = CXL_OUT_STRUCT_SIZE + CXL_GSF_OUT_HDR +
                    (uint64_t) (cxl_get_le32(request + CXL_RPC_HDR) / CXL_FEAT_ENTRY_LEN) * CXL_FEAT_ENTRY_LEN;
                return n > CXL_MAX_RPC_LEN ? CXL_MAX_RPC_LEN : (size_t) n;
        case CXL_OP_GET_FEATURE:
                /* cxlctl_get_feature() writes size/retval and count bytes at offset 8 into a
                 * buffer of out_len bytes: unchecked before Linux 7.3.4, EINVAL since. */
                return CXL_OUT_STRUCT_SIZE + cxl_get_le16(request + CXL_RPC_HDR + 18);
        case CXL_OP_SET_FEATURE:
                /* cxlctl_set_feature(): 8 bytes into kvzalloc(out_len), unchecked before 7.3.4. */
                return CXL_OUT_STRUCT_SIZE;
        default:
                return 0;
        }
}

static int classify_set_feature(const cxl_features *fs, const uint8_t *p, uint32_t op_size,
                                fwctld_classification *ret, char **ret_reason) {
        const char *name = "SET_FEATURE";
        const uint8_t *uuid = p + CXL_RPC_HDR;
        const cxl_feature *f;
        char s[37];

        if (op_size <= CXL_SF_HDR)
                return plugin_reason(ret_reason, -EINVAL,
                                     "%s: op_size %u carries no data (must exceed %u)", name, op_size,
                                     CXL_SF_HDR);
        if (!fs)
                return plugin_reason(ret_reason, -EINVAL, "%s: the feature list could not be read at attach", name);
        cxl_uuid_to_string(uuid, s);
        switch (cxl_uuid_set_verdict(fs, uuid, &f)) {
        case CXL_SET_KERNEL_EXCLUSIVE:
                return plugin_reason(ret_reason, -EINVAL,
                                     "%s: feature %s (%s) is kernel-exclusive; the kernel refuses it", name, s,
                                     cxl_feature_known_name(uuid));
        case CXL_SET_NOT_CHANGEABLE:
                return plugin_reason(ret_reason, -EINVAL, "%s: feature %s is %s", name, s,
                                     f ? "not CHANGEABLE" : "not in the device's supported feature list");
        case CXL_SET_BAD_EFFECTS:
                return plugin_reason(ret_reason, -EINVAL,
                                     "%s: feature %s has set effects 0x%04x (reserved bits, BACKGROUND "
                                     "or none): the driver refuses to set it", name, s, f->effects);
        case CXL_SET_DEBUG_WRITE:
                ret->min_scope = FWCTLD_SCOPE_DEBUG_WRITE;
                break;
        case CXL_SET_DEBUG_WRITE_FULL:
                ret->min_scope = FWCTLD_SCOPE_DEBUG_WRITE_FULL;
                break;
        }
        ret->configuration_write = true;
        return 0;
}

int cxl_classify_request(const cxl_features *fs, const void *request, size_t size, fwctld_classification *ret,
                         char **ret_reason) {
        const uint8_t *p = request;
        uint32_t opcode, op_size;
        const char *name;
        int r;

        if (!p || size < CXL_RPC_HDR)
                return plugin_reason(ret_reason, -EINVAL,
                                     "request of %zu bytes is shorter than the 16-byte fwctl_rpc_cxl header",
                                     size);
        opcode = cxl_get_le32(p + CXL_RPC_OFF_OPCODE);
        op_size = cxl_get_le32(p + CXL_RPC_OFF_OP_SIZE);
        /* The kernel reads the opcode as u16; anything in the upper half is not a CXL opcode. */
        name = opcode <= 0xffffu ? cxl_opcode_name(opcode) : NULL;
        if (!name)
                return plugin_reason(ret_reason, -EINVAL, "opcode 0x%04x is not one the CXL fwctl driver accepts "
                                     "(0x0500 Get Supported Features, 0x0501 Get Feature, 0x0502 Set Feature)", opcode);
        /* The driver reads op_size bytes of mailbox input from its copy of in_len bytes without
         * checking in_len: shorter would read past it. Longer is what the driver accepts (the
         * tail is ignored). */
        if ((uint64_t) op_size > size - CXL_RPC_HDR)
                return plugin_reason(ret_reason, -EINVAL, "%s: op_size %u exceeds the %zu payload bytes sent "
                                     "(the driver would read past the request)", name, op_size, size - CXL_RPC_HDR);

        memset(ret, 0, sizeof(*ret));
        snprintf(ret->operation, sizeof(ret->operation), "%s", name);
        /* The scopes below are the driver's own checks. */
        ret->scope_exact = true;
        switch (opcode) {
        case CXL_OP_GET_SUPPORTED_FEATURES:
                if (op_size != CXL_GSF_IN_LEN)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s: op_size must be %u, not %u", name, CXL_GSF_IN_LEN, op_size);
                ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
                break;
        case CXL_OP_GET_FEATURE:
                if (op_size != CXL_GF_IN_LEN)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s: op_size must be %u, not %u", name, CXL_GF_IN_LEN, op_size);
                if (cxl_get_le16(p + CXL_RPC_HDR + 18) == 0)
                        return plugin_reason(ret_reason, -EINVAL, "%s: count 0 is rejected by the driver", name);
                /* Any selection byte: the driver passes it to the device, which judges it. */
                ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
                break;
        default:
                r = classify_set_feature(fs, p, op_size, ret, ret_reason);
                if (r < 0)
                        return r;
        }
        ret->kernel_out_min = cxl_kernel_out_min(opcode, p);
        return 0;
}

/* One GSF round trip: returns payload copy bounds-checked. */
static int gsf_call(cxl_rpc_func rpc, void *userdata, uint32_t count, uint16_t start, uint8_t *out, size_t out_len,
                    uint16_t *ret_num, uint16_t *ret_total, char **ret_reason) {
        uint8_t req[CXL_RPC_HDR + CXL_GSF_IN_LEN];
        uint32_t size, retval;
        size_t reported = 0;
        int r;

        memset(out, 0, out_len);
        r = rpc(userdata, FWCTLD_SCOPE_CONFIGURATION, req, cxl_build_gsf(req, count, start), out, out_len, &reported);
        if (r < 0)
                return plugin_reason(ret_reason, r, "Get Supported Features (start %u) failed: %s", start,
                                     strerror(-r));
        r = cxl_check_out(out, out_len, reported, &size, &retval, ret_reason);
        if (r < 0)
                return r;
        if (retval != 0)
                return plugin_reason(ret_reason, -EIO, "Get Supported Features returned mailbox status %u (%s)",
                                     retval, cxl_mbox_rc_name(retval));
        return cxl_check_gsf_payload(out + CXL_OUT_HDR, size, ret_num, ret_total, ret_reason);
}

int cxl_fetch_features(cxl_rpc_func rpc, void *userdata, cxl_features **ret, char **ret_reason) {
        uint8_t out[CXL_OUT_HDR + CXL_GSF_OUT_HDR + CXL_GSF_PAGE_ENTRIES * CXL_FEAT_ENTRY_LEN];
        uint16_t num, total, total_now;
        cxl_features *fs;
        int r;

        /* count 0: header only, supported_feats tells how far to page. */
        r = gsf_call(rpc, userdata, 0, 0, out, CXL_OUT_HDR + CXL_GSF_OUT_HDR, NULL, &total, ret_reason);
        if (r < 0)
                return r;

        fs = calloc(1, sizeof(*fs));
        if (!fs)
                return -ENOMEM;
        if (total > 0) {
                fs->entries = calloc(total, sizeof(cxl_feature));
                if (!fs->entries) {
                        cxl_features_free(fs);
                        return -ENOMEM;
                }
        }
        while (fs->n < total) {
                size_t want = total - fs->n;

                if (want > CXL_GSF_PAGE_ENTRIES)
                        want = CXL_GSF_PAGE_ENTRIES;
                r = gsf_call(rpc, userdata, (uint32_t) (want * CXL_FEAT_ENTRY_LEN), (uint16_t) fs->n, out,
                             CXL_OUT_HDR + CXL_GSF_OUT_HDR + want * CXL_FEAT_ENTRY_LEN, &num, &total_now, ret_reason);
                if (r < 0) {
                        cxl_features_free(fs);
                        return r;
                }
                /* No progress or more than asked: the firmware is confused; stop rather than loop. */
                if (num == 0 || num > want || total_now != total) {
                        r = plugin_reason(ret_reason, -EBADMSG,
                                          "Get Supported Features page at %zu returned %u entries "
                                          "(asked %zu, total %u then %u)",
                                          fs->n, num, want, total, total_now);
                        cxl_features_free(fs);
                        return r;
                }
                for (size_t i = 0; i < num; i++)
                        cxl_parse_entry(out + CXL_OUT_HDR + CXL_GSF_OUT_HDR + i * CXL_FEAT_ENTRY_LEN,
                                        &fs->entries[fs->n + i]);
                fs->n += num;
        }
        *ret = fs;
        return 0;
}


int cxl_info_json(const cxl_features *fs, char **ret_json) {
        json_object *o = json_object_new_object(), *sum;

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "plugin", json_object_new_string("cxl"));
        json_object_object_add(o, "info", NULL);
        json_object_object_add(o, "note", json_object_new_string("the CXL fwctl driver reports no device info"));
        if (fs) {
                sum = json_object_new_object();
                json_object_object_add(sum, "count", json_object_new_int64((int64_t) fs->n));
                json_object_object_add(sum, "changeable",
                                       json_object_new_int64((int64_t) cxl_features_count_changeable(fs)));
                json_object_object_add(o, "features", sum);
        } else
                json_object_object_add(o, "features", NULL);
        return plugin_json_finish(o, ret_json);
}

static json_object *bits_json(uint32_t v, const char *const *names, unsigned nbits) {
        json_object *a = json_object_new_array();
        char buf[32];

        for (unsigned i = 0; i < nbits; i++) {
                if (!(v & (1u << i)))
                        continue;
                if (names[i])
                        json_object_array_add(a, json_object_new_string(names[i]));
                else {
                        snprintf(buf, sizeof(buf), "bit%u", i);
                        json_object_array_add(a, json_object_new_string(buf));
                }
        }
        return a;
}

static json_object *feature_json(const cxl_feature *f) {
        json_object *o = json_object_new_object();
        const char *known = cxl_feature_known_name(f->uuid);
        char s[37];

        cxl_uuid_to_string(f->uuid, s);
        json_object_object_add(o, "uuid", json_object_new_string(s));
        json_object_object_add(o, "name", known ? json_object_new_string(known) : NULL);
        json_object_object_add(o, "id", json_object_new_int(f->id));
        json_object_object_add(o, "get_size", json_object_new_int(f->get_size));
        json_object_object_add(o, "set_size", json_object_new_int(f->set_size));
        json_object_object_add(o, "flags", json_object_new_int64(f->flags));
        json_object_object_add(o, "flags_decoded", bits_json(f->flags, flag_names, 32));
        json_object_object_add(o, "get_version", json_object_new_int(f->get_version));
        json_object_object_add(o, "set_version", json_object_new_int(f->set_version));
        json_object_object_add(o, "effects", json_object_new_int(f->effects));
        json_object_object_add(o, "effects_decoded", bits_json(f->effects, effect_names, 16));
        json_object_object_add(o, "set_scope", json_object_new_string(cxl_verdict_string(cxl_feature_set_verdict(f))));
        return o;
}

int cxl_features_json(const cxl_features *fs, char **ret_json) {
        json_object *o = json_object_new_object(), *a = json_object_new_array();

        if (!o || !a) {
                json_object_put(o);
                json_object_put(a);
                return -ENOMEM;
        }
        for (size_t i = 0; fs && i < fs->n; i++)
                json_object_array_add(a, feature_json(&fs->entries[i]));
        json_object_object_add(o, "count", json_object_new_int64(fs ? (int64_t) fs->n : 0));
        json_object_object_add(o, "changeable", json_object_new_int64((int64_t) cxl_features_count_changeable(fs)));
        json_object_object_add(o, "features", a);
        return plugin_json_finish(o, ret_json);
}

/* --- Parameters ------------------------------------------------------------- */

/* Integer field in [min, max]; missing: *ret = def unless required. */
static int get_uint(json_object *o, const char *key, bool required, int64_t def, int64_t min, int64_t max,
                    int64_t *ret, char **ret_reason) {
        json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (required)
                        return plugin_reason(ret_reason, -EINVAL, "\"%s\" is required", key);
                *ret = def;
                return 0;
        }
        if (!json_object_is_type(v, json_type_int))
                return plugin_reason(ret_reason, -EINVAL, "\"%s\" must be an integer", key);
        errno = 0;
        n = json_object_get_int64(v);
        if (errno != 0 || n < min || n > max)
                return plugin_reason(ret_reason, -EINVAL, "\"%s\" must be between %lld and %lld", key, (long long) min,
                                     (long long) max);
        *ret = n;
        return 0;
}

static int get_uuid(json_object *o, uint8_t uuid[16], char **ret_reason) {
        json_object *v;

        if (!json_object_object_get_ex(o, "uuid", &v))
                return plugin_reason(ret_reason, -EINVAL, "\"uuid\" is required");
        if (!json_object_is_type(v, json_type_string))
                return plugin_reason(ret_reason, -EINVAL, "\"uuid\" must be a string");
        if (cxl_uuid_from_string(json_object_get_string(v), uuid) < 0)
                return plugin_reason(ret_reason, -EINVAL,
                                     "\"uuid\" must be a UUID like 01234567-89ab-cdef-0123-456789abcdef");
        return 0;
}

static int get_selection(json_object *o, uint8_t *ret, char **ret_reason) {
        json_object *v;

        if (!json_object_object_get_ex(o, "selection", &v) || json_object_is_type(v, json_type_null)) {
                *ret = 0;
                return 0;
        }
        if (json_object_is_type(v, json_type_string)) {
                for (uint8_t i = 0; i < 3; i++)
                        if (strcmp(json_object_get_string(v), selection_names[i]) == 0) {
                                *ret = i;
                                return 0;
                        }
                return plugin_reason(ret_reason, -EINVAL,
                                     "\"selection\" must be \"current\", \"default\", \"saved\" or 0-255");
        }
        /* Any byte, as the driver passes it on: values above 2 are the device's to judge. */
        if (json_object_is_type(v, json_type_int)) {
                int64_t n = json_object_get_int64(v);

                if (n >= 0 && n <= 0xff) {
                        *ret = (uint8_t) n;
                        return 0;
                }
        }
        return plugin_reason(ret_reason, -EINVAL, "\"selection\" must be \"current\", \"default\", \"saved\" or 0-255");
}

static json_object *selection_json(uint8_t sel) {
        return sel < 3 ? json_object_new_string(selection_names[sel]) : json_object_new_int(sel);
}

static int get_hex(json_object *o, const char *key, uint8_t **ret, size_t *ret_len, char **ret_reason) {
        json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v))
                return plugin_reason(ret_reason, -EINVAL, "\"%s\" is required", key);
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
                return plugin_reason(ret_reason, -EINVAL, "\"%s\" must be a non-empty hex string of whole bytes", key);
        r = plugin_hex_decode(json_object_get_string(v), ret, ret_len);
        if (r == -EINVAL)
                return plugin_reason(ret_reason, -EINVAL, "\"%s\" must be a non-empty hex string of whole bytes", key);
        return r;
}

static const char *const set_fields[] = { "uuid", "data", "offset", "version", NULL };

typedef struct set_params {
        uint8_t uuid[16];
        const cxl_feature *feature;
        uint32_t scope;
        int64_t offset;
        int64_t version;
        uint8_t *data;
        size_t len;
} set_params;

static int set_params_parse(const cxl_features *fs, json_object *o, set_params *p, char **ret_reason) {
        const cxl_feature *f;
        char s[37];
        int r;

        memset(p, 0, sizeof(*p));
        r = get_uuid(o, p->uuid, ret_reason);
        if (r < 0)
                return r;
        if (!fs)
                return plugin_reason(ret_reason, -EINVAL, "\"uuid\": the feature list could not be read at attach");
        cxl_uuid_to_string(p->uuid, s);
        switch (cxl_uuid_set_verdict(fs, p->uuid, &f)) {
        case CXL_SET_KERNEL_EXCLUSIVE:
                return plugin_reason(ret_reason, -EINVAL, "\"uuid\" %s names a kernel-exclusive feature (%s)", s,
                                     cxl_feature_known_name(p->uuid));
        case CXL_SET_NOT_CHANGEABLE:
                return plugin_reason(ret_reason, -EINVAL, "\"uuid\" %s is %s", s,
                                     f ? "not CHANGEABLE" : "not in the device's supported feature list");
        case CXL_SET_BAD_EFFECTS:
                return plugin_reason(ret_reason, -EINVAL,
                                     "\"uuid\" %s has set effects 0x%04x the driver refuses", s, f->effects);
        case CXL_SET_DEBUG_WRITE:
                p->scope = FWCTLD_SCOPE_DEBUG_WRITE;
                break;
        case CXL_SET_DEBUG_WRITE_FULL:
                p->scope = FWCTLD_SCOPE_DEBUG_WRITE_FULL;
                break;
        }
        p->feature = f;
        r = get_uint(o, "offset", false, 0, 0, 0xffff, &p->offset, ret_reason);
        if (r < 0)
                return r;
        r = get_uint(o, "version", false, f->set_version, 0, 0xff, &p->version, ret_reason);
        if (r < 0)
                return r;
        r = get_hex(o, "data", &p->data, &p->len, ret_reason);
        if (r < 0)
                return r;
        if ((size_t) p->offset + p->len > f->set_size) {
                free(p->data);
                p->data = NULL;
                return plugin_reason(ret_reason, -EINVAL,
                                     "\"data\": %zu bytes at offset %lld exceed the feature's set size %u",
                                     p->len, (long long) p->offset, f->set_size);
        }
        return 0;
}

int cxl_set_feature_classify(const cxl_features *fs, const char *params_json, uint32_t *ret_scope,
                             char **ret_reason) {
        json_object *o;
        set_params p;
        int r;

        r = plugin_parse_params(params_json, set_fields, &o, ret_reason);
        if (r < 0)
                return r;
        r = set_params_parse(fs, o, &p, ret_reason);
        json_object_put(o);
        if (r < 0)
                return r;
        free(p.data);
        *ret_scope = p.scope;
        return 0;
}

static json_object *status_json(json_object *o, uint32_t retval) {
        json_object_object_add(o, "retval", json_object_new_int64(retval));
        json_object_object_add(o, "status", json_object_new_string(cxl_mbox_rc_name(retval)));
        return o;
}

typedef struct get_params {
        uint8_t uuid[16];
        uint8_t sel;
        int64_t offset;
        int64_t count;
} get_params;

static bool has_field(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null);
}

/* Without "count", the read runs to the end of the feature: only a listed one has an end. */
static int count_needed(const cxl_features *fs, const get_params *p, char **ret_reason) {
        const cxl_feature *f = cxl_features_find(fs, p->uuid);
        char s[37];

        cxl_uuid_to_string(p->uuid, s);
        if (!fs)
                return plugin_reason(ret_reason, -EINVAL,
                                     "\"uuid\" %s: the device's feature list could not be read at attach, "
                                     "so \"count\" is required", s);
        if (!f)
                return plugin_reason(ret_reason, -EINVAL,
                                     "\"uuid\" %s is not in the device's supported feature list, "
                                     "so \"count\" is required", s);
        return plugin_reason(ret_reason, -EINVAL,
                             "\"offset\" %lld is not below the get size %u of feature %s, so \"count\" is required",
                             (long long) p->offset, f->get_size, s);
}

static int get_params_parse(const cxl_features *fs, const char *params_json, get_params *p, char **ret_reason) {
        static const char *const fields[] = { "uuid", "selection", "offset", "count", NULL };
        const cxl_feature *f;
        int64_t def_count = -1;
        json_object *o;
        int r;

        memset(p, 0, sizeof(*p));
        r = plugin_parse_params(params_json, fields, &o, ret_reason);
        if (r < 0)
                return r;
        r = get_uuid(o, p->uuid, ret_reason);
        if (r >= 0)
                r = get_selection(o, &p->sel, ret_reason);
        if (r >= 0)
                r = get_uint(o, "offset", false, 0, 0, 0xffff, &p->offset, ret_reason);
        f = cxl_features_find(fs, p->uuid);
        if (r >= 0 && f && f->get_size > p->offset)
                def_count = f->get_size - p->offset;
        if (r >= 0 && def_count < 0 && !has_field(o, "count"))
                r = count_needed(fs, p, ret_reason);
        if (r >= 0)
                r = get_uint(o, "count", false, def_count, 1, 0xffff, &p->count, ret_reason);
        json_object_put(o);
        return r;
}

int cxl_check_no_params(const char *params_json, char **ret_reason) {
        return plugin_parse_params(params_json, NULL, NULL, ret_reason);
}

int cxl_get_feature_check(const cxl_features *fs, const char *params_json, char **ret_reason) {
        get_params p;

        return get_params_parse(fs, params_json, &p, ret_reason);
}

int cxl_exec_get_feature(cxl_rpc_func rpc, void *userdata, const cxl_features *fs, const char *params_json,
                         char **ret_json, char **ret_reason) {
        uint8_t req[CXL_RPC_HDR + CXL_GF_IN_LEN], *out;
        uint32_t size, retval;
        size_t reported = 0, out_len;
        json_object *res;
        char s[37], *hex;
        get_params p;
        int r;

        r = get_params_parse(fs, params_json, &p, ret_reason);
        if (r < 0)
                return r;
        /* What Rpc returns: the size/retval header and at most count bytes. The kernel's own
         * buffer (16 + count) is the daemon's business, from classify()'s kernel_out_min. */
        out_len = CXL_OUT_HDR + (size_t) p.count;
        out = calloc(1, out_len);
        if (!out)
                return -ENOMEM;
        r = rpc(userdata, FWCTLD_SCOPE_CONFIGURATION, req,
                cxl_build_get_feature(req, p.uuid, (uint16_t) p.offset, (uint16_t) p.count, p.sel), out, out_len, &reported);
        if (r < 0) {
                free(out);
                /* EINVAL from the kernel is a device refusal, not a bad parameter. */
                return plugin_reason(ret_reason, r == -EINVAL ? -EIO : r, "Get Feature failed: %s", strerror(-r));
        }
        r = cxl_check_out(out, out_len, reported, &size, &retval, ret_reason);
        if (r >= 0 && size > p.count)
                r = plugin_reason(ret_reason, -EBADMSG, "Get Feature returned %u bytes, more than the %lld asked",
                                  size, (long long) p.count);
        if (r < 0) {
                free(out);
                return r;
        }
        hex = plugin_hex_encode(out + CXL_OUT_HDR, size);
        free(out);
        if (!hex)
                return -ENOMEM;
        res = json_object_new_object();
        cxl_uuid_to_string(p.uuid, s);
        json_object_object_add(res, "uuid", json_object_new_string(s));
        json_object_object_add(res, "selection", selection_json(p.sel));
        json_object_object_add(res, "offset", json_object_new_int64(p.offset));
        json_object_object_add(res, "count", json_object_new_int64(p.count));
        json_object_object_add(res, "length", json_object_new_int64(size));
        json_object_object_add(res, "data", json_object_new_string(hex));
        free(hex);
        return plugin_json_finish(status_json(res, retval), ret_json);
}

int cxl_exec_set_feature(cxl_rpc_func rpc, void *userdata, const cxl_features *fs, const char *params_json,
                         char **ret_json, char **ret_reason) {
        uint8_t *req = NULL, out[CXL_OUT_HDR];
        size_t req_len = 0, reported = 0;
        uint32_t size, retval;
        json_object *o, *res;
        set_params p;
        char s[37];
        int r;

        r = plugin_parse_params(params_json, set_fields, &o, ret_reason);
        if (r < 0)
                return r;
        r = set_params_parse(fs, o, &p, ret_reason);
        json_object_put(o);
        if (r < 0)
                return r;
        /* Transfer flags 0 (full transfer); the kernel forces "saved across reset" anyway. */
        r = cxl_build_set_feature(p.uuid, 0, (uint16_t) p.offset, (uint8_t) p.version, p.data, p.len, &req, &req_len);
        free(p.data);
        if (r < 0)
                return r;
        memset(out, 0, sizeof(out));
        r = rpc(userdata, p.scope, req, req_len, out, sizeof(out), &reported);
        free(req);
        if (r < 0)
                return plugin_reason(ret_reason, r == -EINVAL ? -EIO : r, "Set Feature failed: %s", strerror(-r));
        r = cxl_check_out(out, sizeof(out), reported, &size, &retval, ret_reason);
        if (r < 0)
                return r;
        res = json_object_new_object();
        cxl_uuid_to_string(p.uuid, s);
        json_object_object_add(res, "uuid", json_object_new_string(s));
        json_object_object_add(res, "offset", json_object_new_int64(p.offset));
        json_object_object_add(res, "version", json_object_new_int64(p.version));
        json_object_object_add(res, "length", json_object_new_int64((int64_t) p.len));
        json_object_object_add(res, "scope", json_object_new_string(scope_names[p.scope]));
        return plugin_json_finish(status_json(res, retval), ret_json);
}
