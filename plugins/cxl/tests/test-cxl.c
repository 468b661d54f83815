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

#include <fwctld/plugin.h>

#include "cxl-proto.h"
#include "test-daemon.h"

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
        /* in_len above 16 + op_size: the driver ignores the tail, so it is accepted. */
        cxl_put_le32(b + 8, 8);
        assert_int_equal(classify(NULL, b, 48, &c, &why), 0);
        assert_string_equal(c.operation, "GET_SUPPORTED_FEATURES");
        /* in_len below it: the driver would read past its copy of the request. */
        assert_int_equal(classify(NULL, b, 23, &c, &why), -EINVAL);
        assert_string_equal(why, "GET_SUPPORTED_FEATURES: op_size 8 exceeds the 7 payload bytes sent (the driver "
                                 "would read past the request)");
        free(why);
        cxl_put_le32(b + 8, UINT32_MAX);
        assert_int_equal(classify(NULL, b, 48, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "op_size 4294967295 exceeds the 32 payload bytes"));
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
        /* Any selection byte: the driver passes it to the device. */
        n = cxl_build_get_feature(b, u, 0, 1, 3);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        n = cxl_build_get_feature(b, u, 0, 1, 0xff);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        n = cxl_build_get_feature(b, u, 0, 1, 2);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        /* A tail after the 21 bytes is ignored by the driver, so accepted; one byte short is not. */
        memset(b + n, 0xee, 11);
        assert_int_equal(classify(NULL, b, n + 11, &c, &why), 0);
        assert_int_equal(classify(NULL, b, n - 1, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "op_size 21 exceeds the 20 payload bytes"));
        free(why);
        /* op_size 20 for Get Feature */
        cxl_put_le32(b + 8, 20);
        assert_int_equal(classify(NULL, b, 36, &c, &why), -EINVAL);
        assert_non_null(strstr(why, "op_size must be 21"));
        free(why);
}

/* What the driver writes, whatever out_len says, and that the scope is the driver's own. */
static void test_classify_kernel_out_min(void **state) {
        cxl_features *fs = make_features();
        fwctld_classification c;
        uint8_t b[128], u[16];
        char *why;
        size_t n;

        /* Get Feature: 16 + count. */
        assert_int_equal(cxl_uuid_from_string(U_RO, u), 0);
        n = cxl_build_get_feature(b, u, 0, 32, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_true(c.scope_exact);
        assert_int_equal(c.kernel_out_min, 48);
        n = cxl_build_get_feature(b, u, 0, 0xffff, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_int_equal(c.kernel_out_min, 16 + 0xffff);
        assert_int_equal(cxl_kernel_out_min(CXL_OP_GET_FEATURE, b), 65551);

        /* Set Feature: 16. */
        n = sf_req(b, U_RESET, 8);
        assert_int_equal(classify(fs, b, n, &c, &why), 0);
        assert_true(c.scope_exact);
        assert_int_equal(c.kernel_out_min, 16);

        /* Get Supported Features: the whole reply, 16 + 8 + 48 per whole entry the count asks for. */
        n = cxl_build_gsf(b, 0, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_true(c.scope_exact);
        assert_int_equal(c.kernel_out_min, 24);
        n = cxl_build_gsf(b, 3 * 48 + 47, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_int_equal(c.kernel_out_min, 24 + 3 * 48);
        /* ... never beyond the 2 MiB the core takes (the driver allocates its own reply). */
        n = cxl_build_gsf(b, UINT32_MAX, 0);
        assert_int_equal(classify(NULL, b, n, &c, &why), 0);
        assert_int_equal(c.kernel_out_min, 2 * 1024 * 1024);
        assert_int_equal(cxl_kernel_out_min(0x0503, b), 0);
        cxl_features_free(fs);
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
        assert_non_null(strstr(why, "op_size 37 exceeds the 36 payload bytes"));
        free(why);
        /* One less than sent: the last byte is a tail the driver ignores. */
        cxl_put_le32(b + 8, 35);
        assert_int_equal(classify(fs, b, n, &c, &why), 0);
        assert_int_equal(c.min_scope, FWCTLD_SCOPE_DEBUG_WRITE);
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
        why = NULL;
        assert_int_equal(cxl_check_out(b, 7, 24, &size, &retval, &why), -EBADMSG);
        free(why);
        why = NULL;
        /* size one past the buffer. */
        cxl_put_le32(b, 17);
        assert_int_equal(cxl_check_out(b, 24, 25, &size, &retval, &why), -EBADMSG);
        assert_non_null(strstr(why, "17"));
        free(why);
        why = NULL;
        /* size within the buffer but past what the kernel reported. */
        cxl_put_le32(b, 16);
        assert_int_equal(cxl_check_out(b, 24, 23, &size, &retval, &why), -EBADMSG);
        free(why);
        why = NULL;
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
        why = NULL;
        assert_int_equal(cxl_check_gsf_payload(p, 7, &num, &total, &why), -EBADMSG);
        free(why);
        why = NULL;
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

/* --- A fake firmware behind the rpc callback: it answers as fwctld_device_rpc() does,
 * in the Rpc format (size/retval header, then size bytes; *ret_out_len = 8 + size). --- */

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
        /* One strict object, as every plugin's operations take it. */
        expect_set_classify(fs, "null", -EINVAL, 0, "must be a JSON object, not null");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\"} x", -EINVAL, 0,
                            "text after the JSON object");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"dta\":\"02\"}", -EINVAL, 0,
                            "unknown field \"dta\"");
        expect_set_classify(fs, "{\"uuid\":\"" U_RESET "\",\"data\":\"01\",\"data\":\"0102\"}", -EINVAL, 0,
                            "field \"data\" appears more than once");
        cxl_features_free(fs);
}

static void expect_get_check(const cxl_features *fs, const char *params, int err, const char *needle) {
        char *why = NULL;

        assert_int_equal(cxl_get_feature_check(fs, params, &why), err);
        if (err == 0) {
                assert_null(why);
                return;
        }
        assert_non_null(why);
        if (!strstr(why, needle))
                fail_msg("%s: reason '%s' lacks '%s'", params, why, needle);
        free(why);
}

static void test_get_feature_params(void **state) {
        cxl_features *fs = make_features();

        (void) state;
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\"}", 0, NULL);
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\",\"offset\":7,\"selection\":\"default\"}", 0, NULL);
        expect_get_check(fs, "{\"uuid\":\"" U_UNKNOWN "\",\"count\":4}", 0, NULL);
        /* A feature the device does not list has no size to default "count" from: say so. */
        expect_get_check(fs, "{\"uuid\":\"" U_UNKNOWN "\"}", -EINVAL,
                         "\"uuid\" " U_UNKNOWN " is not in the device's supported feature list, so \"count\" is required");
        expect_get_check(fs, "{\"uuid\":\"" U_UNKNOWN "\",\"count\":null}", -EINVAL,
                         "not in the device's supported feature list");
        expect_get_check(NULL, "{\"uuid\":\"" U_RESET "\"}", -EINVAL,
                         "\"uuid\" " U_RESET ": the device's feature list could not be read at attach");
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\",\"offset\":8}", -EINVAL,
                         "\"offset\" 8 is not below the get size 8 of feature " U_RESET);
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\",\"offset\":8,\"count\":1}", 0, NULL);
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\",\"count\":0}", -EINVAL, "\"count\" must be between 1 and");
        expect_get_check(fs, "{\"selection\":1}", -EINVAL, "\"uuid\" is required");
        /* Strict: one object, known fields, each once. */
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\",\"cuont\":4}", -EINVAL, "unknown field \"cuont\"");
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\",\"uuid\":\"" U_RO "\"}", -EINVAL,
                         "field \"uuid\" appears more than once");
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\"} x", -EINVAL, "text after the JSON object");
        expect_get_check(fs, "{\"uuid\":\"" U_RESET "\"}{}", -EINVAL, "text after the JSON object");
        expect_get_check(fs, "null", -EINVAL, "must be a JSON object, not null");
        expect_get_check(fs, "", -EINVAL, "parameters are empty");
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

        /* Unknown feature: count is required, and the message says the device does not list it. */
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_UNKNOWN "\"}", &s, &why),
                         -EINVAL);
        assert_non_null(strstr(why, "\"count\""));
        assert_non_null(strstr(why, U_UNKNOWN " is not in the device's supported feature list"));
        free(why);
        why = NULL;
        /* Any selection byte the driver passes on; a name or 0-255. */
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\",\"selection\":3}", &s,
                                              &why),
                         0);
        assert_int_equal(fw.last_in[36], 3);
        o = parse(s);
        assert_int_equal(jint(o, "selection"), 3);
        json_object_put(o);
        free(s);
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\",\"selection\":256}", &s,
                                              &why),
                         -EINVAL);
        assert_non_null(strstr(why, "\"selection\""));
        free(why);
        why = NULL;
        assert_int_equal(cxl_exec_get_feature(fw_rpc, &fw, fw.fs, "{\"uuid\":\"" U_RO "\",\"selection\":\"live\"}",
                                              &s, &why),
                         -EINVAL);
        assert_non_null(strstr(why, "0-255"));
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

/* --- The plugin through the daemon's path (test-daemon.c) and a fake CXL driver ----------- */

/*
 * The fake driver, after mainline drivers/cxl/core/features.c: Get Supported Features
 * builds its own reply (16 + 8 + 48 per entry) and the core copies what fits; Get
 * Feature and Set Feature write into a buffer of the caller's out_len without checking
 * it. Here an out buffer below what they write fails the test loudly, as the kernel
 * heap overflow it would be.
 */
typedef struct FakeCxl {
        cxl_features *fs;
        unsigned n;
        uint32_t scope;
        size_t in_len, out_len;
        uint8_t in[128];
        uint32_t retval;
} FakeCxl;

static void put_entry(uint8_t *e, const cxl_feature *f) {
        memcpy(e, f->uuid, 16);
        cxl_put_le16(e + 16, f->id);
        cxl_put_le16(e + 18, f->get_size);
        cxl_put_le16(e + 20, f->set_size);
        cxl_put_le32(e + 22, f->flags);
        e[26] = f->get_version;
        e[27] = f->set_version;
        cxl_put_le16(e + 28, f->effects);
}

static int fake_gsf(FakeCxl *k, const uint8_t *p, void *out, size_t out_len, size_t *ret_out_len) {
        uint32_t count = cxl_get_le32(p + 16), requested = count / 48;
        uint16_t start = cxl_get_le16(p + 20);
        size_t out_size;
        uint8_t *r;

        if (cxl_get_le32(p + 8) != 8 || start >= k->fs->n)
                return -EINVAL;
        if (requested > k->fs->n - start)
                requested = (uint32_t) (k->fs->n - start);
        out_size = 16 + 8 + (size_t) requested * 48;
        r = calloc(1, out_size);
        assert_non_null(r);
        cxl_put_le32(r, 8 + requested * 48);
        cxl_put_le16(r + 8, (uint16_t) requested);
        cxl_put_le16(r + 10, (uint16_t) k->fs->n);
        for (uint32_t i = 0; i < requested; i++)
                put_entry(r + 16 + i * 48, &k->fs->entries[start + i]);
        memcpy(out, r, out_size < out_len ? out_size : out_len);
        free(r);
        *ret_out_len = out_size;
        return 0;
}

static int fake_set(FakeCxl *k, uint32_t scope, const uint8_t *p, void *out, size_t out_len, size_t *ret_out_len) {
        const cxl_feature *f = cxl_features_find(k->fs, p + 16);

        if (cxl_get_le32(p + 8) <= 32 || !f || !(f->flags & CXL_FEAT_F_CHANGEABLE))
                return -EINVAL;
        if ((f->effects & CXL_EFF_IMMEDIATE) ? scope < 3 : scope < 2)
                return -EINVAL;
        if (out_len < 16)
                fail_msg("Set Feature with out_len %zu: the driver writes 8 bytes into kvzalloc(out_len)", out_len);
        memset(out, 0, 8);
        cxl_put_le32((uint8_t *) out + 4, k->retval);
        *ret_out_len = 16;
        return 0;
}

static int fake_cxl_kernel(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out, size_t out_len,
                           size_t *ret_out_len) {
        FakeCxl *k = userdata;
        const uint8_t *p = in;
        uint16_t count;
        uint8_t *o = out;

        k->n++;
        k->scope = scope;
        k->in_len = in_len;
        k->out_len = out_len;
        memcpy(k->in, in, in_len < sizeof(k->in) ? in_len : sizeof(k->in));
        switch (cxl_get_le16(p)) {
        case CXL_OP_GET_SUPPORTED_FEATURES:
                return fake_gsf(k, p, out, out_len, ret_out_len);
        case CXL_OP_GET_FEATURE:
                count = cxl_get_le16(p + 16 + 18);
                if (cxl_get_le32(p + 8) != 21 || count == 0)
                        return -EINVAL;
                if (out_len < 16u + count)
                        fail_msg("Get Feature count %u with out_len %zu: the driver overflows the kernel heap", count,
                                 out_len);
                cxl_put_le32(o, count);
                cxl_put_le32(o + 4, k->retval);
                for (unsigned i = 0; i < count; i++)
                        o[8 + i] = (uint8_t) (0x40 + i);
                *ret_out_len = 16u + count;
                return 0;
        case CXL_OP_SET_FEATURE:
                return fake_set(k, scope, p, out, out_len, ret_out_len);
        default:
                return -EINVAL;
        }
}

typedef struct CxlFixture {
        FakeCxl k;
        fwctld_device *d;
        const fwctld_plugin *p;
} CxlFixture;

static int cxl_setup(void **state) {
        CxlFixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->k.fs = make_features();
        f->p = FWCTLD_PLUGIN_ENTRY();
        f->d = test_device_new(f->p, 2);
        test_daemon_set_kernel(fake_cxl_kernel, &f->k);
        test_rpc_log_reset();
        assert_int_equal(test_attach(f->d), 0);
        *state = f;
        return 0;
}

static int cxl_teardown(void **state) {
        CxlFixture *f = *state;

        test_daemon_set_kernel(NULL, NULL);
        test_device_free(f->d);
        cxl_features_free(f->k.fs);
        free(f);
        return 0;
}

/* attach() pages the list through the daemon: header, then one page of 6. */
static void test_plugin_attach(void **state) {
        CxlFixture *f = *state;
        const cxl_features *fs = fwctld_device_get_plugin_data(f->d);
        char *json = NULL;

        assert_non_null(fs);
        assert_int_equal(fs->n, 6);
        assert_int_equal(test_rpc_log.n_calls, 2);
        assert_string_equal(test_rpc_log.operation, "GET_SUPPORTED_FEATURES");
        assert_int_equal(test_rpc_log.issued_scope, FWCTLD_SCOPE_CONFIGURATION);
        assert_int_equal(cxl_get_le32(test_rpc_log.request + 16), 6 * 48);
        /* The kernel had room for the whole page, whatever buffer the plugin passed. */
        assert_int_equal(test_rpc_log.kout_len, 24 + 6 * 48);
        assert_int_equal(f->p->info_to_json(f->d, NULL, 0, &json), 0);
        assert_string_equal(json, "{\"plugin\":\"cxl\",\"info\":null,\"note\":\"the CXL fwctl driver reports no device "
                                  "info\",\"features\":{\"count\":6,\"changeable\":5}}");
        free(json);
}

/* The reproducer: Get Feature count 32 at scope 0 with max_response 0, 4, 8, 20. */
static void test_rpc_get_feature_small_out(void **state) {
        static const size_t maxes[] = { 0, 4, 8, 20, 40, 4096 };
        CxlFixture *f = *state;
        uint8_t b[64], u[16], want[40];

        assert_int_equal(cxl_uuid_from_string(U_RO, u), 0);
        cxl_build_get_feature(b, u, 0, 32, 0);
        unhex("20000000" "00000000", want);
        for (unsigned i = 0; i < 32; i++)
                want[8 + i] = (uint8_t) (0x40 + i);
        for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
                fwctld_rpc *c = test_rpc_new(b, 37, FWCTLD_SCOPE_CONFIGURATION, maxes[i]);
                size_t got = maxes[i] < 40 ? maxes[i] : 40;

                assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
                assert_true(f->k.out_len >= 48);
                assert_int_equal(c->kout_len, maxes[i] > 48 ? maxes[i] : 48);
                assert_int_equal(c->reply_size, got);
                assert_int_equal(c->reply_length, 40);
                assert_int_equal(c->truncated, maxes[i] < 40);
                if (got > 0)
                        assert_memory_equal(c->reply, want, got);
                assert_true(c->status_set);
                assert_int_equal(c->status, 0);
                test_rpc_free(c);
        }
}

/* Set Feature: 16 bytes for the driver whatever max_response is, at exactly the feature's scope. */
static void test_rpc_set_feature(void **state) {
        CxlFixture *f = *state;
        fwctld_rpc *c;
        uint8_t b[128];
        size_t n;

        n = sf_req(b, U_RESET, 8);
        c = test_rpc_new(b, n, FWCTLD_SCOPE_DEBUG_WRITE_FULL, 0);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(f->k.out_len, 16);
        assert_int_equal(f->k.scope, FWCTLD_SCOPE_DEBUG_WRITE); /* reset-only effects: no write-full taint */
        assert_int_equal(c->reply_size, 0);
        assert_int_equal(c->reply_length, 8);
        assert_true(c->truncated);
        test_rpc_free(c);

        f->k.retval = 6;
        c = test_rpc_new(b, n, FWCTLD_SCOPE_DEBUG_WRITE, 64);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(c->reply_size, 8);
        assert_memory_equal(c->reply, "\x00\x00\x00\x00\x06\x00\x00\x00", 8);
        assert_string_equal(c->status_name, "BUSY");
        test_rpc_free(c);

        /* Below the feature's scope: no ioctl. */
        n = sf_req(b, U_FULL, 4);
        c = test_rpc_new(b, n, FWCTLD_SCOPE_DEBUG_WRITE, 64);
        assert_int_equal(test_rpc_run(f->d, c, NULL), -EACCES);
        assert_int_equal(f->k.n, 2 + 2);
        test_rpc_free(c);
}

/* Get Supported Features: the kernel always gets room for the whole reply; the caller gets max_response. */
static void test_rpc_gsf_small_out(void **state) {
        CxlFixture *f = *state;
        uint8_t b[24];
        fwctld_rpc *c;

        cxl_build_gsf(b, 3 * 48, 1);
        c = test_rpc_new(b, 24, FWCTLD_SCOPE_CONFIGURATION, 8);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(f->k.out_len, 24 + 3 * 48);
        assert_int_equal(c->reply_size, 8);
        assert_int_equal(c->reply_length, 16 + 3 * 48);
        assert_true(c->truncated);
        assert_memory_equal(c->reply, "\x98\x00\x00\x00\x00\x00\x00\x00", 8);
        test_rpc_free(c);
}

/* What the driver accepts and is safe: a longer in_len, any selection; never a shorter in_len. */
static void test_rpc_lenient(void **state) {
        CxlFixture *f = *state;
        uint8_t b[64], u[16];
        char *why = NULL;
        fwctld_rpc *c;

        assert_int_equal(cxl_uuid_from_string(U_RO, u), 0);
        cxl_build_get_feature(b, u, 0, 4, 7);
        memset(b + 37, 0, 11);
        c = test_rpc_new(b, 48, FWCTLD_SCOPE_CONFIGURATION, 64);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(f->k.in_len, 48);
        assert_int_equal(f->k.in[36], 7);
        assert_int_equal(c->reply_size, 12);
        test_rpc_free(c);

        c = test_rpc_new(b, 36, FWCTLD_SCOPE_CONFIGURATION, 64);
        assert_int_equal(test_rpc_run(f->d, c, &why), -EINVAL);
        assert_non_null(strstr(why, "read past the request"));
        free(why);
        assert_int_equal(f->k.n, 2 + 1);
        test_rpc_free(c);
}

static void test_execute_cxl(void **state) {
        CxlFixture *f = *state;
        fwctld_classification cls;
        char *json = NULL, *reason = NULL;
        json_object *o;

        assert_string_equal(f->p->operations[0].rpc_operations, "GET_SUPPORTED_FEATURES");
        assert_string_equal(f->p->operations[1].rpc_operations, "GET_FEATURE");
        assert_string_equal(f->p->operations[2].rpc_operations, "SET_FEATURE");

        assert_int_equal(test_execute(f->d, &f->p->operations[0], "{}", &cls, &json, &reason), 0);
        assert_string_equal(cls.operation, "GET_SUPPORTED_FEATURES");
        assert_string_equal(test_rpc_log.operation, "GET_SUPPORTED_FEATURES");
        o = parse(json);
        assert_int_equal(jint(o, "count"), 6);
        json_object_put(o);
        free(json);

        assert_int_equal(test_execute(f->d, &f->p->operations[1], "{\"uuid\":\"" U_RESET "\",\"selection\":9}", &cls,
                                      &json, &reason), 0);
        assert_string_equal(test_rpc_log.operation, "GET_FEATURE");
        assert_int_equal(test_rpc_log.kout_len, 16 + 8);
        assert_string_equal(json, "{\"uuid\":\"" U_RESET "\",\"selection\":9,\"offset\":0,\"count\":8,\"length\":8,"
                                  "\"data\":\"4041424344454647\",\"retval\":0,\"status\":\"SUCCESS\"}");
        free(json);

        /* set-feature: classify_execute() raises the scope for an immediate effect; the RPC runs there. */
        assert_int_equal(test_execute(f->d, &f->p->operations[2], "{\"uuid\":\"" U_FULL "\",\"data\":\"01\"}", &cls,
                                      &json, &reason), 0);
        assert_int_equal(cls.min_scope, FWCTLD_SCOPE_DEBUG_WRITE_FULL);
        assert_true(cls.configuration_write);
        assert_string_equal(cls.operation, "SET_FEATURE");
        assert_string_equal(test_rpc_log.operation, "SET_FEATURE");
        assert_int_equal(f->k.scope, FWCTLD_SCOPE_DEBUG_WRITE_FULL);
        assert_int_equal(test_rpc_log.kout_len, 16);
        assert_false(f->d->refused);
        free(json);
}

/* get-supported-features takes no parameters, and still takes them strictly: nothing reaches the device. */
static void test_execute_cxl_no_params(void **state) {
        static const struct {
                const char *params, *needle;
        } bad[] = {
                { "null", "must be a JSON object, not null" },
                { "{} x", "text after the JSON object" },
                { "{}{}", "text after the JSON object" },
                { "{\"x\":1}", "unknown field \"x\": the operation takes no parameters" },
                { "", "parameters are empty" },
                { "[]", "must be a JSON object, not an array" },
        };
        CxlFixture *f = *state;
        char *json = NULL, *reason = NULL;
        size_t n = f->k.n;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(test_execute(f->d, &f->p->operations[0], bad[i].params, NULL, &json, &reason),
                                 -EINVAL);
                assert_null(json);
                assert_non_null(reason);
                if (!strstr(reason, bad[i].needle))
                        fail_msg("%s: reason '%s' lacks '%s'", bad[i].params, reason, bad[i].needle);
                free(reason);
                reason = NULL;
                /* The execute hook on its own (past classify_execute) refuses them too. */
                assert_int_equal(f->p->execute(f->d, &f->p->operations[0], bad[i].params, &json, &reason), -EINVAL);
                assert_null(json);
                free(reason);
                reason = NULL;
        }
        assert_int_equal(f->k.n, n);
        assert_int_equal(test_execute(f->d, &f->p->operations[0], " {} ", NULL, &json, &reason), 0);
        assert_non_null(json);
        free(json);
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
                cmocka_unit_test(test_classify_kernel_out_min),
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
                cmocka_unit_test(test_get_feature_params),
                cmocka_unit_test(test_exec_get_feature),
                cmocka_unit_test(test_exec_set_feature),
                cmocka_unit_test_setup_teardown(test_plugin_attach, cxl_setup, cxl_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_get_feature_small_out, cxl_setup, cxl_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_set_feature, cxl_setup, cxl_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_gsf_small_out, cxl_setup, cxl_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_lenient, cxl_setup, cxl_teardown),
                cmocka_unit_test_setup_teardown(test_execute_cxl, cxl_setup, cxl_teardown),
                cmocka_unit_test_setup_teardown(test_execute_cxl_no_params, cxl_setup, cxl_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
