/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl-proto.h"

/* --- Test data ---------------------------------------------------------------- */

#define U_FULL "0e1d7b3a-5c2f-4b8e-9a61-2f3c4d5e6f70"
#define U_RESET "7a4c2e91-3b6d-4f08-8c15-9e2a7b3c4d51"
#define U_RO "c3f1a8d2-6e4b-4a7c-b239-5d8e1f0a2b64"
#define U_SCRUB "96dad7d6-fde8-482b-a733-75774e06db8a"
#define U_BG "5b9e0c47-a1d3-4e26-8f7b-3c0d9e8a1f22"
#define U_NONE "d24f6a10-8b3e-4c95-a7d1-0f6e5c4b3a29"
#define U_UNKNOWN "11111111-2222-3333-4444-555555555555"

static const char *const exclusive_uuids[] = {
        "96dad7d6-fde8-482b-a733-75774e06db8a", "e5b13f22-2328-4a14-b8ba-b9691e893386",
        "892ba475-fad8-474e-9d3e-692c917568bb", "80ea4521-786f-4127-afb1-ec7459fb0e24",
        "96c33386-91dd-44c7-9ecb-fdaf6503bac4", "450ebf67-b135-4f97-a498-c2d57f279bed",
        "78b79636-90ac-4b64-a4ef-faac5d18a863", "34dbaff5-0552-4281-8f76-da0b5e7a76a7",
};

static cxl_feature mkfeat(const char *uuid, uint16_t id, uint16_t gsz, uint16_t ssz, uint32_t flags,
                          uint16_t effects) {
        cxl_feature f = { .id = id, .get_size = gsz, .set_size = ssz, .flags = flags, .get_version = 1,
                          .set_version = 1, .effects = effects };

        assert_int_equal(cxl_uuid_from_string(uuid, f.uuid), 0);
        return f;
}

static cxl_features *make_features(void) {
        cxl_features *fs = calloc(1, sizeof(*fs));

        assert_non_null(fs);
        fs->entries = calloc(6, sizeof(cxl_feature));
        assert_non_null(fs->entries);
        fs->entries[0] = mkfeat(U_FULL, 0, 4, 4, CXL_FEAT_F_CHANGEABLE, CXL_EFF_CONFIG_IMMEDIATE | CXL_EFF_VALID);
        fs->entries[1] = mkfeat(U_RESET, 1, 8, 8, CXL_FEAT_F_CHANGEABLE, CXL_EFF_COLD_RESET | CXL_EFF_VALID);
        fs->entries[2] = mkfeat(U_RO, 2, 16, 0, 0, 0);
        /* As if a buggy kernel listed the scrub feature as changeable: still refused. */
        fs->entries[3] = mkfeat(U_SCRUB, 3, 7, 4, CXL_FEAT_F_CHANGEABLE, CXL_EFF_CONFIG_IMMEDIATE | CXL_EFF_VALID);
        fs->entries[4] = mkfeat(U_BG, 4, 4, 4, CXL_FEAT_F_CHANGEABLE,
                                CXL_EFF_CONFIG_IMMEDIATE | CXL_EFF_BACKGROUND | CXL_EFF_VALID);
        fs->entries[5] = mkfeat(U_NONE, 5, 2, 2, CXL_FEAT_F_CHANGEABLE, 0);
        fs->n = 6;
        return fs;
}

static size_t unhex(const char *s, uint8_t *out) {
        size_t n = strlen(s) / 2;

        for (size_t i = 0; i < n; i++) {
                unsigned v;
                assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
                out[i] = (uint8_t) v;
        }
        return n;
}

/* Set Feature request for uuid with n data bytes; op_size and in_len consistent. */
static size_t sf_req(uint8_t *buf, const char *uuid, size_t n) {
        uint8_t u[16], data[64] = { 0 };
        uint8_t *p;
        size_t len;

        assert_int_equal(cxl_uuid_from_string(uuid, u), 0);
        assert_int_equal(cxl_build_set_feature(u, 0, 0, 1, data, n, &p, &len), 0);
        memcpy(buf, p, len);
        free(p);
        return len;
}

static int classify(const cxl_features *fs, const uint8_t *req, size_t len, fwctld_classification *c, char **why) {
        *why = NULL;
        memset(c, 0xaa, sizeof(*c));
        return cxl_classify_request(fs, req, len, c, why);
}

/* --- Builders, byte-exact ----------------------------------------------------- */

static void test_build_gsf(void **state) {
        uint8_t b[24], want[24];

        assert_int_equal(cxl_build_gsf(b, 0x60, 3), 24);
        unhex("00050000" "00000000" "08000000" "00000000" "60000000" "0300" "0000", want);
        assert_memory_equal(b, want, 24);
}

static void test_build_get_feature(void **state) {
        uint8_t b[37], want[37], u[16];

        assert_int_equal(cxl_uuid_from_string(U_RESET, u), 0);
        assert_int_equal(cxl_build_get_feature(b, u, 2, 6, 1), 37);
        unhex("01050000" "00000000" "15000000" "00000000"
              "7a4c2e913b6d4f088c159e2a7b3c4d51" "0200" "0600" "01", want);
        assert_memory_equal(b, want, 37);
}

static void test_build_set_feature(void **state) {
        uint8_t u[16], data[2] = { 0xab, 0xcd }, want[50], *p = NULL;
        size_t len = 0;

        assert_int_equal(cxl_uuid_from_string(U_FULL, u), 0);
        assert_int_equal(cxl_build_set_feature(u, 8, 1, 2, data, 2, &p, &len), 0);
        assert_int_equal(len, 50);
        unhex("02050000" "00000000" "22000000" "00000000"
              "0e1d7b3a5c2f4b8e9a612f3c4d5e6f70" "08000000" "0100" "02" "000000000000000000" "abcd", want);
        assert_memory_equal(p, want, 50);
        free(p);
        assert_int_equal(cxl_build_set_feature(u, 0, 0, 0, data, 0, &p, &len), -EINVAL);
}

static void test_uuid(void **state) {
        uint8_t u[16];
        char s[37];

        assert_int_equal(cxl_uuid_from_string(U_SCRUB, u), 0);
        assert_int_equal(u[0], 0x96);
        assert_int_equal(u[15], 0x8a);
        cxl_uuid_to_string(u, s);
        assert_string_equal(s, U_SCRUB);
        assert_int_equal(cxl_uuid_from_string("96dad7d6fde8482ba73375774e06db8a", u), -EINVAL);
        assert_int_equal(cxl_uuid_from_string("96dad7d6-fde8-482b-a733-75774e06db8g", u), -EINVAL);
        assert_int_equal(cxl_uuid_from_string("96dad7d6-fde8-482b-a733_75774e06db8a", u), -EINVAL);
        assert_int_equal(cxl_uuid_from_string(NULL, u), -EINVAL);
}

static void test_kernel_exclusive_names(void **state) {
        static const char *const names[] = { "patrol-scrub", "ddr5-ecs", "soft-ppr", "hard-ppr",
                                             "cacheline-sparing", "row-sparing", "bank-sparing", "rank-sparing" };
        uint8_t u[16];

        for (size_t i = 0; i < 8; i++) {
                assert_int_equal(cxl_uuid_from_string(exclusive_uuids[i], u), 0);
                assert_true(cxl_uuid_is_kernel_exclusive(u));
                assert_string_equal(cxl_feature_known_name(u), names[i]);
        }
        assert_int_equal(cxl_uuid_from_string(U_FULL, u), 0);
        assert_false(cxl_uuid_is_kernel_exclusive(u));
        assert_null(cxl_feature_known_name(u));
}

static void test_mbox_rc_names(void **state) {
        assert_string_equal(cxl_mbox_rc_name(0), "SUCCESS");
        assert_string_equal(cxl_mbox_rc_name(1), "BACKGROUND_CMD_STARTED");
        assert_string_equal(cxl_mbox_rc_name(2), "INVALID_INPUT");
        assert_string_equal(cxl_mbox_rc_name(3), "UNSUPPORTED");
        assert_string_equal(cxl_mbox_rc_name(4), "INTERNAL_ERROR");
        assert_string_equal(cxl_mbox_rc_name(5), "RETRY_REQUIRED");
        assert_string_equal(cxl_mbox_rc_name(6), "BUSY");
        assert_string_equal(cxl_mbox_rc_name(7), "MEDIA_DISABLED");
        assert_string_equal(cxl_mbox_rc_name(0x19), "UNSUPPORTED_FEATURE_VERSION");
        assert_string_equal(cxl_mbox_rc_name(0x1e), "INVALID_EXTENT_LIST");
        assert_string_equal(cxl_mbox_rc_name(0x1f), "UNKNOWN");
        assert_string_equal(cxl_mbox_rc_name(UINT32_MAX), "UNKNOWN");
}

/* --- Classification ----------------------------------------------------------- */

static void test_classify_gets(void **state) {
        fwctld_classification c;
        uint8_t b[64], u[16];
        char *why;
        size_t n;

        n = cxl_build_gsf(b, 0, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_int_equal(c.min_scope, 0);
        assert_false(c.configuration_write);
        assert_string_equal(c.operation, "GET_SUPPORTED_FEATURES");

        /* op_size 7 with in_len 23, op_size 9 with in_len 25: wrong size for GSF. */
        cxl_put_le32(b + 8, 7);
        assert_int_equal(classify(NULL, b, 23, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "op_size must be 8"));
        free(why);
        cxl_put_le32(b + 8, 9);
        b[24] = 0;
        assert_int_equal(classify(NULL, b, 25, &c, &why), -EINVAL);
        free(why);
        /* in_len != 16 + op_size */
        cxl_put_le32(b + 8, 8);
        assert_int_equal(classify(NULL, b, 48, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "in_len must be 16 + op_size"));
        free(why);

        assert_int_equal(cxl_uuid_from_string(U_RO, u), 0);
        n = cxl_build_get_feature(b, u, 0, 16, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_int_equal(c.min_scope, 0);
        assert_false(c.configuration_write);
        assert_string_equal(c.operation, "GET_FEATURE");
        n = cxl_build_get_feature(b, u, 0, 0, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "count 0"));
        free(why);
        n = cxl_build_get_feature(b, u, 0, 1, 3);
        assert_int_equal(classify(NULL, b, n, &c, &why), -EINVAL);
        free(why);
        n = cxl_build_get_feature(b, u, 0, 1, 2);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        /* op_size 20 for Get Feature */
        cxl_put_le32(b + 8, 20);
        assert_int_equal(classify(NULL, b, 36, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "op_size must be 21"));
        free(why);
}

static void test_classify_other_opcodes(void **state) {
        fwctld_classification c;
        uint8_t b[24];
        char *why;

        cxl_build_gsf(b, 0, 0);
        cxl_put_le32(b, 0x0503);
        assert_int_equal(classify(NULL, b, 24, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "0x0503"));
        free(why);
        cxl_put_le32(b, 0x10500);
        assert_int_equal(classify(NULL, b, 24, &c, &why), -EINVAL);
        free(why);
        cxl_put_le32(b, 0x0400);
        assert_int_equal(classify(NULL, b, 24, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "0x0400"));
        free(why);
        assert_int_equal(classify(NULL, b, 15, &c, &why), -EINVAL);
        free(why);
        assert_int_equal(classify(NULL, NULL, 0, &c, &why), -EINVAL);
        free(why);
}

static void test_classify_set_scopes(void **state) {
        cxl_features *fs = make_features();
        fwctld_classification c;
        uint8_t b[128];
        char *why;
        size_t n;

        n = sf_req(b, U_RESET, 8);
        assert_int_equal(classify(fs, b, n, &c, &why), 0);
        assert_int_equal(c.min_scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_true(c.configuration_write);
        assert_string_equal(c.operation, "SET_FEATURE");

        n = sf_req(b, U_FULL, 1);
        assert_int_equal(classify(fs, b, n, &c, &why), 0);
        assert_int_equal(c.min_scope, FWCTLD_SCOPE_DEBUG_WRITE_FULL);
        assert_true(c.configuration_write);

        /* Every immediate bit alone, and with a reset bit, needs write-full. */
        for (unsigned bit = 1; bit <= 4; bit++) {
                fs->entries[0].effects = (uint16_t) (1u << bit);
                assert_int_equal(classify(fs, b, n, &c, &why), 0);
                assert_int_equal(c.min_scope, FWCTLD_SCOPE_DEBUG_WRITE_FULL);
                fs->entries[0].effects = (uint16_t) (1u << bit | CXL_EFF_CXL_RESET);
                assert_int_equal(classify(fs, b, n, &c, &why), 0);
                assert_int_equal(c.min_scope, FWCTLD_SCOPE_DEBUG_WRITE_FULL);
        }
        /* Each reset-only bit: write. */
        for (unsigned bit = 0; bit <= 11; bit += (bit == 0 ? 10 : 1)) {
                fs->entries[0].effects = (uint16_t) (1u << bit | CXL_EFF_VALID);
                assert_int_equal(classify(fs, b, n, &c, &why), 0);
                assert_int_equal(c.min_scope, FWCTLD_SCOPE_DEBUG_WRITE);
        }
        /* Reserved bits 12-15 refuse even with a valid effect. */
        for (unsigned bit = 12; bit <= 15; bit++) {
                fs->entries[0].effects = (uint16_t) (1u << bit | CXL_EFF_CONFIG_IMMEDIATE);
                assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
                assert_non_null(strstr(why, "set effects"));
                free(why);
        }
        /* Security-state change or abort alone: no immediate or reset effect. */
        fs->entries[0].effects = CXL_EFF_SECURITY_STATE_CHANGE | CXL_EFF_BGCMD_ABORT | CXL_EFF_VALID;
        assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
        free(why);
        cxl_features_free(fs);
}

static void test_classify_set_refusals(void **state) {
        cxl_features *fs = make_features();
        fwctld_classification c;
        uint8_t b[128];
        char *why;
        size_t n;

        n = sf_req(b, U_BG, 4);
        assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "0x0242"));
        free(why);
        n = sf_req(b, U_NONE, 2);
        assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "0x0000"));
        free(why);
        n = sf_req(b, U_RO, 2);
        assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "not CHANGEABLE"));
        free(why);
        n = sf_req(b, U_UNKNOWN, 2);
        assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "not in the device's supported feature list"));
        free(why);
        for (size_t i = 0; i < 8; i++) {
                n = sf_req(b, exclusive_uuids[i], 4);
                assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
                assert_non_null(strstr(why, "kernel-exclusive"));
                free(why);
        }
        /* No data: op_size 32. */
        n = sf_req(b, U_RESET, 1);
        cxl_put_le32(b + 8, 32);
        assert_int_equal(classify(fs, b, n - 1, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "carries no data"));
        free(why);
        /* op_size one more than sent. */
        n = sf_req(b, U_RESET, 4);
        cxl_put_le32(b + 8, 37);
        assert_int_equal(classify(fs, b, n, &c, &why), -EINVAL);
        free(why);
        /* Without a cached list nothing can be set. */
        n = sf_req(b, U_RESET, 4);
        assert_int_equal(classify(NULL, b, n, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "could not be read"));
        free(why);
        cxl_features_free(fs);
}

/* --- Reply decoding ----------------------------------------------------------- */

static void test_check_out(void **state) {
        uint8_t b[24] = { 0 };
        uint32_t size = 99, retval = 99;
        char *why = NULL;

        cxl_put_le32(b, 16);
        cxl_put_le32(b + 4, 6);
        assert_int_equal(cxl_check_out(b, 24, 24, &size, &retval, &why), 0);
        assert_int_equal(size, 16);
        assert_int_equal(retval, 6);
        /* Header missing: reported 7. */
        assert_int_equal(cxl_check_out(b, 24, 7, &size, &retval, &why), -EBADMSG);
        free(why);
        assert_int_equal(cxl_check_out(b, 7, 24, &size, &retval, &why), -EBADMSG);
        free(why);
        /* size one past the buffer. */
        cxl_put_le32(b, 17);
        assert_int_equal(cxl_check_out(b, 24, 25, &size, &retval, &why), -EBADMSG);
        assert_non_null(strstr(why, "17"));
        free(why);
        /* size within the buffer but past what the kernel reported. */
        cxl_put_le32(b, 16);
        assert_int_equal(cxl_check_out(b, 24, 23, &size, &retval, &why), -EBADMSG);
        free(why);
        cxl_put_le32(b, 0xffffffffu);
        assert_int_equal(cxl_check_out(b, 24, 24, &size, &retval, &why), -EBADMSG);
        free(why);
}

static void test_check_gsf_payload(void **state) {
        uint8_t p[8 + 2 * 48] = { 0 };
        uint16_t num = 0, total = 0;
        char *why = NULL;

        cxl_put_le16(p, 2);
        cxl_put_le16(p + 2, 6);
        assert_int_equal(cxl_check_gsf_payload(p, sizeof(p), &num, &total, &why), 0);
        assert_int_equal(num, 2);
        assert_int_equal(total, 6);
        assert_int_equal(cxl_check_gsf_payload(p, sizeof(p) - 1, &num, &total, &why), -EBADMSG);
        assert_non_null(strstr(why, "claims 2 entries"));
        free(why);
        assert_int_equal(cxl_check_gsf_payload(p, 7, &num, &total, &why), -EBADMSG);
        free(why);
        cxl_put_le16(p, 0);
        assert_int_equal(cxl_check_gsf_payload(p, 8, &num, &total, &why), 0);
        assert_int_equal(num, 0);
}

static void test_parse_entry(void **state) {
        uint8_t e[48];
        cxl_feature f;

        memset(e, 0, sizeof(e));
        unhex("7a4c2e913b6d4f088c159e2a7b3c4d51" "0100" "0800" "0800" "61000000" "02" "03" "0102", e);
        cxl_parse_entry(e, &f);
        assert_int_equal(f.id, 1);
        assert_int_equal(f.get_size, 8);
        assert_int_equal(f.set_size, 8);
        assert_int_equal(f.flags, 0x61);
        assert_int_equal(f.get_version, 2);
        assert_int_equal(f.set_version, 3);
        assert_int_equal(f.effects, 0x0201);
        assert_int_equal(cxl_feature_set_verdict(&f), CXL_SET_DEBUG_WRITE);
}

/* --- A fake firmware behind the rpc callback ---------------------------------- */

typedef struct Fw {
        cxl_features *fs;
        const char *fault;    /* "short-gsf", "oversized-size", "zero-entries", "retval", "errno" */
        unsigned calls;
        uint32_t last_scope;
        uint8_t last_in[256];
        size_t last_in_len;
        uint8_t value[32];
} Fw;

static int fw_rpc(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out, size_t out_len,
                  size_t *ret_out_len) {
        Fw *fw = userdata;
        const uint8_t *p = in;
        uint8_t *o = out;
        uint32_t opcode = cxl_get_le32(p), size = 0;

        fw->calls++;
        fw->last_scope = scope;
        fw->last_in_len = in_len;
        memcpy(fw->last_in, in, in_len < sizeof(fw->last_in) ? in_len : sizeof(fw->last_in));
        if (fw->fault && strcmp(fw->fault, "errno") == 0)
                return -EINVAL;
        memset(out, 0, out_len);
        if (opcode == CXL_OP_GET_SUPPORTED_FEATURES) {
                uint32_t count = cxl_get_le32(p + 16);
                uint16_t start = cxl_get_le16(p + 20);
                size_t n = count / 48;

                if (count != 0 && start >= fw->fs->n)
                        return -EINVAL;
                if (count == 0)
                        n = 0;
                else if (n > fw->fs->n - start)
                        n = fw->fs->n - start;
                assert_true(8 + 8 + n * 48 <= out_len);
                cxl_put_le16(o + 8, (uint16_t) n);
                cxl_put_le16(o + 10, (uint16_t) fw->fs->n);
                for (size_t i = 0; i < n; i++) {
                        const cxl_feature *f = &fw->fs->entries[start + i];
                        uint8_t *e = o + 16 + i * 48;

                        memcpy(e, f->uuid, 16);
                        cxl_put_le16(e + 16, f->id);
                        cxl_put_le16(e + 18, f->get_size);
                        cxl_put_le16(e + 20, f->set_size);
                        cxl_put_le32(e + 22, f->flags);
                        e[26] = f->get_version;
                        e[27] = f->set_version;
                        cxl_put_le16(e + 28, f->effects);
                }
                size = (uint32_t) (8 + n * 48);
                if (fw->fault && count != 0 && strcmp(fw->fault, "short-gsf") == 0)
                        cxl_put_le16(o + 8, (uint16_t) (n + 1));
                if (fw->fault && count != 0 && strcmp(fw->fault, "zero-entries") == 0) {
                        cxl_put_le16(o + 8, 0);
                        size = 8;
                }
        } else if (opcode == CXL_OP_GET_FEATURE) {
                uint16_t count = cxl_get_le16(p + 16 + 18);

                size = count < sizeof(fw->value) ? count : sizeof(fw->value);
                memcpy(o + 8, fw->value, size);
        }
        if (fw->fault && strcmp(fw->fault, "retval") == 0)
                cxl_put_le32(o + 4, 6);
        if (fw->fault && strcmp(fw->fault, "oversized-size") == 0)
                size = (uint32_t) out_len + 64;
        cxl_put_le32(o, size);
        *ret_out_len = 8 + (size_t) size;
        return 0;
}

static void test_fetch_pages(void **state) {
        Fw fw = { 0 };
        cxl_features *got = NULL;
        char *why = NULL;

        /* 20 features: header call + a page of 16 + a page of 4. */
        fw.fs = calloc(1, sizeof(cxl_features));
        fw.fs->entries = calloc(20, sizeof(cxl_feature));
        fw.fs->n = 20;
        for (size_t i = 0; i < 20; i++) {
                fw.fs->entries[i] = mkfeat(U_RESET, (uint16_t) i, 8, 8, CXL_FEAT_F_CHANGEABLE, CXL_EFF_COLD_RESET);
                fw.fs->entries[i].uuid[15] = (uint8_t) i;
        }
        assert_int_equal(cxl_fetch_features(fw_rpc, &fw, &got, &why), 0);
        assert_int_equal(fw.calls, 3);
        assert_int_equal(fw.last_scope, 0);
        /* Last page: count 4 * 48 = 192, start 16. */
        assert_int_equal(cxl_get_le32(fw.last_in + 16), 192);
        assert_int_equal(cxl_get_le16(fw.last_in + 20), 16);
        assert_int_equal(got->n, 20);
        for (size_t i = 0; i < 20; i++) {
                assert_int_equal(got->entries[i].id, i);
                assert_memory_equal(got->entries[i].uuid, fw.fs->entries[i].uuid, 16);
        }
        cxl_features_free(got);
        cxl_features_free(fw.fs);
}

static void test_fetch_faults(void **state) {
        static const struct {
                const char *fault;
                int err;
        } cases[] = {
                { "short-gsf", -EBADMSG },
                { "zero-entries", -EBADMSG },
                { "oversized-size", -EBADMSG },
                { "retval", -EIO },
                { "errno", -EINVAL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                Fw fw = { .fs = make_features(), .fault = cases[i].fault };
                cxl_features *got = NULL;
                char *why = NULL;

                assert_int_equal(cxl_fetch_features(fw_rpc, &fw, &got, &why), cases[i].err);
                assert_null(got);
                assert_non_null(why);
                free(why);
                cxl_features_free(fw.fs);
        }
}

/* --- JSON --------------------------------------------------------------------- */

static json_object *parse(const char *s) {
        json_object *o = json_tokener_parse(s);

        assert_non_null(o);
        return o;
}

static const char *jstr(json_object *o, const char *key) {
        json_object *v;

        assert_true(json_object_object_get_ex(o, key, &v));
        return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *key) {
        json_object *v;

        assert_true(json_object_object_get_ex(o, key, &v));
        assert_true(json_object_is_type(v, json_type_int));
        return json_object_get_int64(v);
}

static void test_info_json(void **state) {
        cxl_features *fs = make_features();
        json_object *o, *v, *sum;
        char *s = NULL;

        assert_int_equal(cxl_info_json(NULL, &s), 0);
        o = parse(s);
        assert_string_equal(jstr(o, "plugin"), "cxl");
        assert_true(json_object_object_get_ex(o, "info", &v));
        assert_null(v);
        assert_string_equal(jstr(o, "note"), "the CXL fwctl driver reports no device info");
        json_object_put(o);
        free(s);

        assert_int_equal(cxl_info_json(fs, &s), 0);
        o = parse(s);
        assert_true(json_object_object_get_ex(o, "features", &sum));
        assert_int_equal(jint(sum, "count"), 6);
        assert_int_equal(jint(sum, "changeable"), 5);
        json_object_put(o);
        free(s);
        cxl_features_free(fs);
}

static void test_features_json(void **state) {
        static const char *const scopes[] = { "debug-write-full", "debug-write", "not-settable", "kernel-exclusive",
                                              "not-settable", "not-settable" };
        cxl_features *fs = make_features();
        json_object *o, *a, *e, *v;
        char *s = NULL;

        assert_int_equal(cxl_features_json(fs, &s), 0);
        o = parse(s);
        assert_int_equal(jint(o, "count"), 6);
        assert_true(json_object_object_get_ex(o, "features", &a));
        assert_int_equal(json_object_array_length(a), 6);
        for (size_t i = 0; i < 6; i++) {
                e = json_object_array_get_idx(a, i);
                assert_string_equal(jstr(e, "set_scope"), scopes[i]);
                assert_int_equal(jint(e, "id"), i);
        }
        e = json_object_array_get_idx(a, 3);
        assert_string_equal(jstr(e, "uuid"), U_SCRUB);
        assert_string_equal(jstr(e, "name"), "patrol-scrub");
        e = json_object_array_get_idx(a, 1);
        assert_true(json_object_object_get_ex(e, "name", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(e, "effects_decoded", &v));
        assert_int_equal(json_object_array_length(v), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "COLD_RESET");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "EFFECTS_VALID");
        assert_true(json_object_object_get_ex(e, "flags_decoded", &v));
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "CHANGEABLE");
        json_object_put(o);
        free(s);
        cxl_features_free(fs);
}

static void expect_set_classify(const cxl_features *fs, const char *params, int err, uint32_t scope,
                                const char *needle) {
        uint32_t got = 99;
        char *why = NULL;

        assert_int_equal(cxl_set_feature_classify(fs, params, &got, &why), err);
        if (err == 0)
                assert_int_equal(got, scope);
        else {
                assert_non_null(why);
                if (!strstr(why, needle))
                        fail_msg("reason '%s' lacks '%s'", why, needle);
        }
        free(why);
}

static void test_set_feature_params(void **state) {
        cxl_features *fs = make_features();

        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"0102\"}", 0, 2, NULL);
        expect_set_classify(fs, "{\"uuid\":\"" U_FULL "\",\"data\":\"01020304\"}", 0, 3, NULL);
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"offset\":7,\"version\":2}", 0, 2, NULL);
        expect_set_classify(fs, "{", -EINVAL, 0, "not valid JSON");
        expect_set_classify(fs, "[1]", -EINVAL, 0, "JSON object");
        expect_set_classify(fs, "{\"data\":\"01\"}", -EINVAL, 0, "\"uuid\" is required");
        expect_set_classify(fs, "{\"uuid\":5,\"data\":\"01\"}", -EINVAL, 0, "\"uuid\" must be a string");
        expect_set_classify(fs, "{\"uuid\":\"nope\",\"data\":\"01\"}", -EINVAL, 0, "\"uuid\" must be a UUID");
        expect_set_classify(fs, "{\"uuid\":\"" U_SCRUB "\",\"data\":\"01\"}", -EINVAL, 0, "kernel-exclusive");
        expect_set_classify(fs, "{\"uuid\":\"" U_RO "\",\"data\":\"01\"}", -EINVAL, 0, "\"uuid\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_BG "\",\"data\":\"01\"}", -EINVAL, 0, "\"uuid\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_UNKNOWN "\",\"data\":\"01\"}", -EINVAL, 0, "\"uuid\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\"}", -EINVAL, 0, "\"data\" is required");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"012\"}", -EINVAL, 0, "\"data\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"zz\"}", -EINVAL, 0, "\"data\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"\"}", -EINVAL, 0, "\"data\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":7}", -EINVAL, 0, "\"data\"");
        /* 8-byte feature: 9 bytes, or 1 byte at offset 8, is too much. */
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"010203040506070809\"}", -EINVAL, 0, "\"data\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"offset\":8}", -EINVAL, 0, "\"data\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"offset\":-1}", -EINVAL, 0,
                            "\"offset\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"offset\":\"1\"}", -EINVAL, 0,
                            "\"offset\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"version\":256}", -EINVAL, 0,
                            "\"version\"");
        expect_set_classify(NULL, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\"}", -EINVAL, 0, "\"uuid\"");
        cxl_features_free(fs);
}

static void test_exec_get_feature(void **state) {
        Fw fw = { .fs = make_features() };
        uint8_t want[37], u[16];
        json_object *o;
        char *s = NULL, *why = NULL;

        memcpy(fw.value, "\x01\x02\x00\x00\x04\x00\x00\x00", 8);
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs,
                                              "{\"uuid\":\"" U_RESET "\",\"selection\":\"saved\"}", &s, &why),
                         0);
        assert_int_equal(fw.last_scope, 0);
        assert_int_equal(fw.last_in_len, 37);
        assert_int_equal(cxl_uuid_from_string(U_RESET, u), 0);
        cxl_build_get_feature(want, u, 0, 8, 2);
        assert_memory_equal(fw.last_in, want, 37);
        o = parse(s);
        assert_string_equal(jstr(o, "data"), "0102000004000000");
        assert_string_equal(jstr(o, "status"), "SUCCESS");
        assert_int_equal(jint(o, "retval"), 0);
        assert_int_equal(jint(o, "length"), 8);
        json_object_put(o);
        free(s);

        /* Unknown feature: count is required; selection by number. */
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_UNKNOWN "\"}", &s, &why),
                         -EINVAL);
        assert_non_null(strstr(why, "\"count\""));
        free(why);
        why = NULL;
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\",\"selection\":3}", &s,
                                              &why),
                         -EINVAL);
        assert_non_null(strstr(why, "\"selection\""));
        free(why);
        why = NULL;
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\",\"count\":0}", &s,
                                              &why),
                         -EINVAL);
        assert_non_null(strstr(why, "\"count\""));
        free(why);
        why = NULL;
        fw.fault = "oversized-size";
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\",\"selection\":1}", &s,
                                              &why),
                         -EBADMSG);
        free(why);
        why = NULL;
        fw.fault = "retval";
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\"}", &s, &why), 0);
        o = parse(s);
        assert_string_equal(jstr(o, "status"), "BUSY");
        json_object_put(o);
        free(s);
        cxl_features_free(fw.fs);
}

static void test_exec_set_feature(void **state) {
        Fw fw = { .fs = make_features() };
        uint8_t want[64], u[16], data[2] = { 0xbe, 0xef };
        uint8_t *p = NULL;
        size_t len = 0;
        json_object *o;
        char *s = NULL, *why = NULL;

        assert_int_equal(cxl_exec_set_feature(fw_rpc, &fw, fw.fs,
                                              "{\"uuid\":\"" U_RESET "\",\"data\":\"beef\",\"offset\":2}", &s, &why),
                         0);
        assert_int_equal(fw.last_scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_int_equal(cxl_uuid_from_string(U_RESET, u), 0);
        assert_int_equal(cxl_build_set_feature(u, 0, 2, 1, data, 2, &p, &len), 0);
        assert_int_equal(fw.last_in_len, len);
        memcpy(want, p, len);
        free(p);
        assert_memory_equal(fw.last_in, want, len);
        o = parse(s);
        assert_string_equal(jstr(o, "scope"), "debug-write");
        assert_string_equal(jstr(o, "status"), "SUCCESS");
        json_object_put(o);
        free(s);

        assert_int_equal(cxl_exec_set_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_FULL "\",\"data\":\"01\"}", &s,
                                              &why),
                         0);
        assert_int_equal(fw.last_scope, FWCTLD_SCOPE_DEBUG_WRITE_FULL);
        free(s);
        fw.calls = 0;
        assert_int_equal(cxl_exec_set_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_SCRUB "\",\"data\":\"01\"}", &s,
                                              &why),
                         -EINVAL);
        assert_int_equal(fw.calls, 0);
        free(why);
        cxl_features_free(fw.fs);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_gsf),
                cmocka_unit_test(test_build_get_feature),
                cmocka_unit_test(test_build_set_feature),
                cmocka_unit_test(test_uuid),
                cmocka_unit_test(test_kernel_exclusive_names),
                cmocka_unit_test(test_mbox_rc_names),
                cmocka_unit_test(test_classify_gets),
                cmocka_unit_test(test_classify_other_opcodes),
                cmocka_unit_test(test_classify_set_scopes),
                cmocka_unit_test(test_classify_set_refusals),
                cmocka_unit_test(test_check_out),
                cmocka_unit_test(test_check_gsf_payload),
                cmocka_unit_test(test_parse_entry),
                cmocka_unit_test(test_fetch_pages),
                cmocka_unit_test(test_fetch_faults),
                cmocka_unit_test(test_info_json),
                cmocka_unit_test(test_features_json),
                cmocka_unit_test(test_set_feature_params),
                cmocka_unit_test(test_exec_get_feature),
                cmocka_unit_test(test_exec_set_feature),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
