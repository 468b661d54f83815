/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mlx5-plugin.h"
#include "mlx5-prm.h"
#include "plugin-util.h"
#include "test-daemon.h"

/* --- the fake mlx5_fwctl + firmware behind the stand-in daemon (test-daemon.c) ---------- */

static unsigned n_ioctls;
static uint32_t last_scope;
static uint8_t last_in[64];
static size_t last_in_len, last_out_len;
static int fake_errno;           /* returned instead of running the command */
static size_t fake_reported = 0; /* 0: echo out_len as mlx5 does */
static uint8_t fake_status;
static uint32_t fake_syndrome;

static int fake_kernel(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out, size_t out_len,
                       size_t *ret_out_len) {
        const uint8_t *p = in;
        uint8_t *o = out;
        const Mlx5Opcode *op;

        n_ioctls++;
        last_scope = scope;
        last_in_len = in_len;
        last_out_len = out_len;
        memcpy(last_in, in, in_len < sizeof(last_in) ? in_len : sizeof(last_in));
        if (fake_errno)
                return -fake_errno;
        /* The driver's own checks: sizes, then the allowlist at the scope it runs at. */
        if (in_len < MLX5_HDR_LEN || out_len < MLX5_HDR_LEN)
                return -EMSGSIZE;
        op = mlx5_opcode_lookup(mlx5_get_be16(p));
        if (!op || scope < op->min_scope)
                return -EBADMSG;
        memset(out, 0, out_len);
        o[0] = fake_status;
        mlx5_put_be32(o + 4, fake_syndrome);
        if (mlx5_get_be16(p) == MLX5_OP_QUERY_ADAPTER && out_len >= MLX5_QUERY_ADAPTER_OUT_LEN) {
                o[MLX5_QA_IEEE_VENDOR_ID_OFF] = 0x00;
                o[MLX5_QA_IEEE_VENDOR_ID_OFF + 1] = 0x02;
                o[MLX5_QA_IEEE_VENDOR_ID_OFF + 2] = 0xc9;
                mlx5_put_be16(o + MLX5_QA_VSD_VENDOR_ID_OFF, 0x15b3);
                memcpy(o + MLX5_QA_PSID_OFF, "MT_0000000001", 13);
        }
        if (mlx5_get_be16(p) == MLX5_OP_ACCESS_REG && in_len > MLX5_HDR_LEN && out_len >= in_len)
                for (size_t i = MLX5_HDR_LEN; i < in_len; i++)
                        o[i] = (uint8_t) (p[i] ^ 0xff);
        if (mlx5_get_be16(p) == MLX5_OP_QUERY_DIAGNOSTIC_COUNTERS && out_len >= 32) {
                mlx5_put_be16(o + 16, 0x1001);
                mlx5_put_be16(o + 18, 7);
                mlx5_put_be32(o + 20, 1234);
                mlx5_put_be32(o + 24, 1);
                mlx5_put_be32(o + 28, 2);
        }
        *ret_out_len = fake_reported ? fake_reported : out_len;
        return 0;
}

/* --- fixtures ------------------------------------------------------------------------ */

typedef struct Fixture {
        fwctld_device *d;
        const fwctld_plugin *p;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->p = FWCTLD_PLUGIN_ENTRY();
        f->d = test_device_new(f->p, 1);
        test_daemon_set_kernel(fake_kernel, NULL);
        test_rpc_log_reset();
        n_ioctls = 0;
        fake_errno = 0;
        fake_reported = 0;
        fake_status = 0;
        fake_syndrome = 0;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        test_daemon_set_kernel(NULL, NULL);
        test_device_free(f->d);
        free(f);
        return 0;
}

static void req(uint8_t r[MLX5_HDR_LEN], uint16_t opcode, uint16_t op_mod) {
        mlx5_build_header(r, opcode, op_mod);
}

/* --- info ------------------------------------------------------------------------------ */

static void test_info_json(void **state) {
        uint8_t info[8];
        uint32_t uid = 0x112, caps = 0x4;
        char *json = NULL;

        memcpy(info, &uid, 4);
        memcpy(info + 4, &caps, 4);
        assert_int_equal(mlx5_plugin_info_to_json(NULL, info, sizeof(info), &json), 0);
        assert_string_equal(json, "{\"plugin\":\"mlx5\",\"uid\":274,\"uctx_caps\":4,\"tools_resources\":true}");
        free(json);

        caps = 0x3;
        memcpy(info + 4, &caps, 4);
        assert_int_equal(mlx5_info_json(info, sizeof(info), &json), 0);
        assert_string_equal(json, "{\"plugin\":\"mlx5\",\"uid\":274,\"uctx_caps\":3,\"tools_resources\":false}");
        free(json);

        json = NULL;
        assert_int_equal(mlx5_info_json(info, 7, &json), -EBADMSG);
        assert_null(json);
        assert_int_equal(mlx5_info_json(NULL, 0, &json), -EBADMSG);
}

/* --- classify ---------------------------------------------------------------------------- */

static int classify(const uint8_t *r, size_t n, fwctld_classification *cls, char **reason) {
        memset(cls, 0xaa, sizeof(*cls));
        return mlx5_plugin_classify(NULL, r, n, 0, cls, reason);
}

static void test_classify_short(void **state) {
        uint8_t r[MLX5_HDR_LEN];
        fwctld_classification cls;
        char *reason = NULL;

        req(r, MLX5_OP_QUERY_ADAPTER, 0);
        assert_int_equal(classify(r, 15, &cls, &reason), -EINVAL);
        assert_non_null(strstr(reason, "15 bytes"));
        assert_non_null(strstr(reason, "EMSGSIZE"));
        free(reason);
        reason = NULL;
        assert_int_equal(classify(r, 16, &cls, &reason), 0);
        assert_null(reason);
        assert_int_equal(classify(NULL, 0, &cls, &reason), -EINVAL);
        free(reason);
}

static void test_classify_unknown(void **state) {
        static const uint16_t bad[] = { 0x0fff, 0x0000, 0x0102, 0x0999, 0x0806, 0x8002, 0xffff, 0x0b0b };
        uint8_t r[MLX5_HDR_LEN];
        fwctld_classification cls;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *reason = NULL, want[64];

                req(r, bad[i], 0);
                assert_int_equal(classify(r, sizeof(r), &cls, &reason), -EINVAL);
                snprintf(want, sizeof(want), "opcode 0x%04x is not allowed by mlx5_fwctl", bad[i]);
                assert_string_equal(reason, want);
                free(reason);
        }
}

static void expect(uint16_t opcode, uint16_t op_mod, uint32_t scope, bool write, const char *name) {
        uint8_t r[32] = {};
        fwctld_classification cls;
        char *reason = NULL;

        req(r, opcode, op_mod);
        /* Extra bytes after the header are command payload, never looked at. */
        memset(r + 16, 0xee, 16);
        assert_int_equal(classify(r, sizeof(r), &cls, &reason), 0);
        assert_null(reason);
        assert_int_equal(cls.min_scope, scope);
        assert_int_equal(cls.configuration_write, write);
        assert_string_equal(cls.operation, name);
        /* The allowlist is the driver's own check; the out buffer never below the header or
         * a command's fixed output. */
        assert_true(cls.scope_exact);
        assert_int_equal(cls.kernel_out_min, opcode == 0x101 ? 272 : opcode == 0x100 ? 4112 : 16);
}

static void test_classify_configuration(void **state) {
        expect(0x100, 0, 0, false, "QUERY_HCA_CAP");
        expect(0x100, 0xffff, 0, false, "QUERY_HCA_CAP");
        expect(0x101, 0, 0, false, "QUERY_ADAPTER");
        expect(0x109, 0, 0, true, "SET_HCA_CAP");
        expect(0x10e, 0, 0, false, "QUERY_OTHER_HCA_CAP");
        expect(0x760, 0, 0, false, "QUERY_ROCE_ADDRESS");
        expect(0x762, 0, 0, false, "QUERY_HCA_VPORT_CONTEXT");
        expect(0x740, 0, 0, false, "QUERY_ESW_FUNCTIONS");
        expect(0xb22, 0, 0, false, "QUERY_VUID");
        expect(0xb2e, 0, 0, true, "POSTPONE_CONNECTED_QP_TIMEOUT");
        expect(0x823, 0, 0, true, "MODIFY_CONG_STATUS");
        expect(0x731, 0, 0, true, "DELEGATE_VHCA_MANAGEMENT");
}

static void test_classify_access_reg(void **state) {
        expect(0x805, 0, 0, true, "ACCESS_REG");
        expect(0x805, 1, 1, false, "ACCESS_REG");
        expect(0x805, 2, 1, false, "ACCESS_REG");
        expect(0x805, 0x8000, 1, false, "ACCESS_REG");
        expect(0xb0c, 0, 0, true, "ACCESS_REGISTER_USER");
        expect(0xb0c, 1, 1, false, "ACCESS_REGISTER_USER");
        expect(0xb0c, 0xffff, 1, false, "ACCESS_REGISTER_USER");
}

static void test_classify_debug(void **state) {
        expect(0x80d, 0, 1, false, "NOP");
        expect(0x821, 0, 1, false, "QUERY_DIAGNOSTIC_COUNTERS");
        expect(0x8001, 0, 1, false, "QUERY_MTT");
        expect(0x8006, 0, 1, false, "QUERY_SCHED_QUEUE");
        expect(0x732, 0, 1, false, "QUERY_DELEGATED_VHCA");
        expect(0x820, 0, 2, true, "SET_DIAGNOSTIC_PARAMS");
}

/* Every §3 debug-read-only opcode, by value: the table must hold exactly these. */
static void test_classify_all_debug_read_only(void **state) {
        static const uint16_t ro[] = {
                0x964, 0x962, 0x80d, 0x971, 0x813, 0x981, 0x824, 0x826, 0x822, 0x402, 0xb14,
                0x716, 0x713, 0x911, 0x821, 0x819, 0xb28, 0xb2a, 0x10c, 0xb03, 0xb2f, 0xb0f,
                0x303, 0x752, 0x93b, 0x935, 0x937, 0x932, 0xa02, 0x764, 0x765, 0x10a, 0x82a,
                0x842, 0x80b, 0xb13, 0x201, 0x942, 0x8001, 0x754, 0x722, 0xb02, 0x728, 0x93f,
                0x107, 0x602, 0x773, 0x50b, 0x781, 0x512, 0xb05, 0xb07, 0x90f, 0x90b, 0x919,
                0x8000, 0x8006, 0x784, 0x111, 0x203, 0x907, 0x702, 0x903, 0x915, 0xa05, 0xa09,
                0x117, 0xb0d, 0x76f, 0x770, 0x750, 0x831, 0x707, 0x725, 0x727, 0x719, 0xb08,
                0xb0a, 0x730, 0x732,
        };
        size_t n_ro = 0, n_cfg = 0, n_w = 0;

        assert_int_equal(sizeof(ro) / sizeof(ro[0]), 80);
        for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
                uint8_t r[MLX5_HDR_LEN];
                fwctld_classification cls;
                char *reason = NULL;

                req(r, ro[i], 0);
                assert_int_equal(classify(r, sizeof(r), &cls, &reason), 0);
                assert_int_equal(cls.min_scope, FWCTLD_SCOPE_DEBUG_READ_ONLY);
                assert_false(cls.configuration_write);
                assert_true(strncmp(cls.operation, "QUERY_", 6) == 0 || strstr(cls.operation, "QUERY") ||
                            strcmp(cls.operation, "NOP") == 0);
        }
        for (size_t i = 0; i < mlx5_opcode_count(); i++) {
                const Mlx5Opcode *op = mlx5_opcode_at(i);

                n_ro += op->min_scope == FWCTLD_SCOPE_DEBUG_READ_ONLY;
                n_cfg += op->min_scope == FWCTLD_SCOPE_CONFIGURATION;
                n_w += op->min_scope == FWCTLD_SCOPE_DEBUG_WRITE;
                /* No duplicates: the lookup finds this very entry. */
                assert_ptr_equal(mlx5_opcode_lookup(op->opcode), op);
        }
        assert_int_equal(n_ro, 80);
        assert_int_equal(n_cfg, 13);
        assert_int_equal(n_w, 1);
        assert_null(mlx5_opcode_at(mlx5_opcode_count()));
}

/* --- status ---------------------------------------------------------------------------- */

static void test_status_names(void **state) {
        char buf[64];

        assert_string_equal(mlx5_status_name(0x00), "OK");
        assert_string_equal(mlx5_status_name(0x01), "INTERNAL_ERR");
        assert_string_equal(mlx5_status_name(0x02), "BAD_OP");
        assert_string_equal(mlx5_status_name(0x03), "BAD_PARAM");
        assert_string_equal(mlx5_status_name(0x04), "BAD_SYS_STATE");
        assert_string_equal(mlx5_status_name(0x05), "BAD_RESOURCE");
        assert_string_equal(mlx5_status_name(0x06), "RESOURCE_BUSY");
        assert_string_equal(mlx5_status_name(0x07), "UNKNOWN");
        assert_string_equal(mlx5_status_name(0x08), "EXCEED_LIM");
        assert_string_equal(mlx5_status_name(0x09), "BAD_RES_STATE");
        assert_string_equal(mlx5_status_name(0x0a), "BAD_INDEX");
        assert_string_equal(mlx5_status_name(0x0f), "NO_RESOURCES");
        assert_string_equal(mlx5_status_name(0x10), "BAD_QP_STATE");
        assert_string_equal(mlx5_status_name(0x30), "BAD_PKT");
        assert_string_equal(mlx5_status_name(0x40), "BAD_SIZE_OUTS_CQES");
        assert_string_equal(mlx5_status_name(0x50), "BAD_INPUT_LEN");
        assert_string_equal(mlx5_status_name(0x51), "BAD_OUTPUT_LEN");
        assert_string_equal(mlx5_status_name(0x52), "UNKNOWN");
        assert_string_equal(mlx5_status_name(0xff), "UNKNOWN");

        mlx5_format_status(2, 0x5b7d2e11, buf, sizeof(buf));
        assert_string_equal(buf, "BAD_OP (syndrome 0x5b7d2e11)");
        mlx5_format_status(0, 0, buf, sizeof(buf));
        assert_string_equal(buf, "OK");
}

static void test_out_header(void **state) {
        uint8_t o[16] = { 0x03, 0xff, 0xff, 0xff, 0x12, 0x34, 0x56, 0x78 };
        uint8_t status = 0;
        uint32_t syndrome = 0;

        assert_int_equal(mlx5_parse_out_header(o, 15, &status, &syndrome), -EBADMSG);
        assert_int_equal(status, 0);
        assert_int_equal(mlx5_parse_out_header(o, 16, &status, &syndrome), 0);
        assert_int_equal(status, 3);
        assert_int_equal(syndrome, 0x12345678);
        assert_int_equal(mlx5_parse_out_header(NULL, 16, &status, &syndrome), -EBADMSG);
}

static void test_true_length(void **state) {
        assert_int_equal(mlx5_fixed_out_len(0x101), 272);
        assert_int_equal(mlx5_fixed_out_len(0x100), 4112);
        assert_int_equal(mlx5_fixed_out_len(0x80d), 0);
        assert_int_equal(mlx5_true_response_len(0x101, 64), 272);
        assert_int_equal(mlx5_true_response_len(0x101, 272), 272);
        assert_int_equal(mlx5_true_response_len(0x101, 2097152), 272);
        assert_int_equal(mlx5_true_response_len(0x100, 8192), 4112);
        assert_int_equal(mlx5_true_response_len(0x80d, 8192), 8192);
}

/* --- builders ----------------------------------------------------------------------------- */

static void test_builders(void **state) {
        static const uint8_t want_hca[16] = { 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x03 };
        static const uint8_t want_diag[16] = { 0x08, 0x21, 0, 0, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x05 };
        static const uint8_t want_reg[20] = { 0x08, 0x05, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 0x90, 0x07,
                                              0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
        static const uint8_t data[4] = { 1, 2, 3, 4 };
        uint8_t r[16], *reg = NULL;
        size_t len = 0;

        mlx5_build_header(r, 0x100, 3);
        assert_memory_equal(r, want_hca, 16);
        mlx5_build_query_diag_counters(r, 2, 5);
        assert_memory_equal(r, want_diag, 16);
        assert_int_equal(mlx5_build_access_reg(1, 0x9007, 0xdeadbeef, data, 4, &reg, &len), 0);
        assert_int_equal(len, 20);
        assert_memory_equal(reg, want_reg, 20);
        free(reg);
        assert_int_equal(mlx5_build_access_reg(1, 1, 0, data, MLX5_MAX_RPC_LEN - 15, &reg, &len), -EMSGSIZE);
}

static void test_hex(void **state) {
        static const uint8_t want[4] = { 0x00, 0xab, 0xcd, 0xff };
        uint8_t *p = NULL;
        size_t n = 0;
        char *s;

        assert_int_equal(plugin_hex_decode("00abCDff", &p, &n), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(p, want, 4);
        s = plugin_hex_encode(p, n);
        assert_string_equal(s, "00abcdff");
        free(s);
        free(p);
        assert_int_equal(plugin_hex_decode("abc", &p, &n), -EINVAL);
        assert_int_equal(plugin_hex_decode("zz", &p, &n), -EINVAL);
        assert_int_equal(plugin_hex_decode("", &p, &n), 0);
        assert_int_equal(n, 0);
        free(p);
}

/* --- parameters ---------------------------------------------------------------------------- */

static void expect_bad_params(Mlx5Operation op, const char *json, const char *needle) {
        Mlx5Params p = {};
        char *reason = NULL;

        assert_int_equal(mlx5_params_parse(op, json, &p, &reason), -EINVAL);
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("reason '%s' does not name '%s'", reason, needle);
        assert_null(p.payload);
        free(reason);
}

static void test_params(void **state) {
        Mlx5Params p = {};
        char *reason = NULL;

        assert_int_equal(mlx5_params_parse(MLX5_OPERATION_QUERY_ADAPTER, "{}", &p, &reason), 0);
        assert_int_equal(mlx5_params_parse(MLX5_OPERATION_QUERY_ADAPTER, " {}\n", &p, &reason), 0);
        assert_int_equal(mlx5_params_parse(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": 65535}", &p, &reason), 0);
        assert_int_equal(p.op_mod, 0xffff);
        assert_int_equal(mlx5_params_parse(MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS, "{}", &p, &reason), 0);
        assert_int_equal(p.num_of_samples, 1);
        assert_int_equal(p.sample_index, 0);
        assert_int_equal(p.max_counters, 16);
        assert_int_equal(mlx5_params_parse(MLX5_OPERATION_ACCESS_REG_READ,
                                           "{\"register_id\": 36871, \"payload\": \"00010000\"}", &p, &reason), 0);
        assert_int_equal(p.register_id, 0x9007);
        assert_int_equal(p.payload_len, 4);
        assert_int_equal(p.payload[1], 1);
        mlx5_params_done(&p);
        assert_null(p.payload);
        assert_null(reason);

        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{", "not valid JSON");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "[1]", "JSON object");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{}", "'op_mod'");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": \"1\"}", "'op_mod'");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": 65536}", "'op_mod'");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": -1}", "'op_mod'");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": 1.5}", "'op_mod'");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": 1, \"x\": 2}", "unknown field \"x\"");
        expect_bad_params(MLX5_OPERATION_QUERY_ADAPTER, "{\"op_mod\": 1}", "unknown field \"op_mod\"");
        /* One JSON object and nothing else: the daemon, not the plugin, reads "" as {}. */
        expect_bad_params(MLX5_OPERATION_QUERY_ADAPTER, "", "parameters are empty");
        expect_bad_params(MLX5_OPERATION_QUERY_ADAPTER, "{} x", "text after the JSON object");
        expect_bad_params(MLX5_OPERATION_QUERY_ADAPTER, "{}{}", "text after the JSON object");
        expect_bad_params(MLX5_OPERATION_QUERY_ADAPTER, "null", "must be a JSON object, not null");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": 1} {\"op_mod\": 2}", "text after");
        expect_bad_params(MLX5_OPERATION_QUERY_HCA_CAP, "{\"op_mod\": 1, \"op_mod\": 2}",
                          "field \"op_mod\" appears more than once");
        expect_bad_params(MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS, "{\"max_counters\": 0}", "'max_counters'");
        expect_bad_params(MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS, "{\"max_counters\": 4097}", "'max_counters'");
        expect_bad_params(MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS, "{\"num_of_samples\": 0}", "'num_of_samples'");
        expect_bad_params(MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS, "{\"sample_index\": true}", "'sample_index'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"payload\": \"00\"}", "'register_id'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 1}", "'payload'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 1, \"payload\": 5}", "'payload'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 1, \"payload\": \"0\"}", "'payload'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 1, \"payload\": \"xy\"}", "'payload'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 1, \"payload\": \"\"}", "'payload'");
        expect_bad_params(MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 70000, \"payload\": \"00\"}",
                          "'register_id'");
}

static void test_operations_table(void **state) {
        assert_int_equal(mlx5_operation_from_name("query-adapter"), MLX5_OPERATION_QUERY_ADAPTER);
        assert_int_equal(mlx5_operation_from_name("query-hca-cap"), MLX5_OPERATION_QUERY_HCA_CAP);
        assert_int_equal(mlx5_operation_from_name("query-diagnostic-counters"),
                         MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS);
        assert_int_equal(mlx5_operation_from_name("access-reg-read"), MLX5_OPERATION_ACCESS_REG_READ);
        assert_int_equal(mlx5_operation_from_name("nope"), _MLX5_OPERATION_INVALID);
        assert_int_equal(mlx5_operations[MLX5_OPERATION_QUERY_ADAPTER].min_scope, 0);
        assert_int_equal(mlx5_operations[MLX5_OPERATION_QUERY_HCA_CAP].min_scope, 0);
        assert_int_equal(mlx5_operations[MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS].min_scope, 1);
        assert_int_equal(mlx5_operations[MLX5_OPERATION_ACCESS_REG_READ].min_scope, 1);
}

/* --- results --------------------------------------------------------------------------------- */

static json_object *parse(const char *s) {
        json_object *o = json_tokener_parse(s);

        assert_non_null(o);
        return o;
}

static const char *jstr(json_object *o, const char *k) {
        json_object *v;

        assert_true(json_object_object_get_ex(o, k, &v));
        return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *k) {
        json_object *v;

        assert_true(json_object_object_get_ex(o, k, &v));
        return json_object_get_int64(v);
}

static void test_result_query_adapter(void **state) {
        uint8_t o[MLX5_QUERY_ADAPTER_OUT_LEN] = {};
        Mlx5Params p = {};
        char *json = NULL, *reason = NULL;
        json_object *j;

        o[MLX5_QA_IEEE_VENDOR_ID_OFF - 1] = 0xff; /* reserved: not part of the OUI */
        o[MLX5_QA_IEEE_VENDOR_ID_OFF + 1] = 0x02;
        o[MLX5_QA_IEEE_VENDOR_ID_OFF + 2] = 0xc9;
        mlx5_put_be16(o + MLX5_QA_VSD_VENDOR_ID_OFF, 0x15b3);
        memcpy(o + 256, "MT_\x01" "0000000001", 14); /* unprintable byte shown as '?' */
        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_QUERY_ADAPTER, &p, o, sizeof(o), &json, &reason), 0);
        j = parse(json);
        assert_int_equal(jint(j, "status"), 0);
        assert_string_equal(jstr(j, "status_name"), "OK");
        assert_int_equal(jint(j, "syndrome"), 0);
        assert_string_equal(jstr(j, "psid"), "MT_?0000000001");
        assert_int_equal(jint(j, "ieee_vendor_id"), 0x2c9);
        assert_int_equal(jint(j, "vsd_vendor_id"), 0x15b3);
        json_object_put(j);
        free(json);
        json = NULL;

        /* A PSID filling all 16 bytes has no NUL: still bounded. */
        memset(o + 256, 'A', 16);
        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_QUERY_ADAPTER, &p, o, sizeof(o), &json, &reason), 0);
        j = parse(json);
        assert_string_equal(jstr(j, "psid"), "AAAAAAAAAAAAAAAA");
        json_object_put(j);
        free(json);
        json = NULL;

        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_QUERY_ADAPTER, &p, o, sizeof(o) - 1, &json, &reason),
                         -EBADMSG);
        assert_non_null(strstr(reason, "271 bytes"));
        assert_null(json);
        free(reason);
        reason = NULL;
        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_QUERY_ADAPTER, &p, o, 15, &json, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "16-byte"));
        free(reason);
}

static void test_result_failure_header_only(void **state) {
        uint8_t o[16] = { 0x02, 0, 0, 0, 0x5b, 0x7d, 0x2e, 0x11 };
        Mlx5Params p = { .op_mod = 0x4a };
        char *json = NULL, *reason = NULL;
        json_object *j;

        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_QUERY_HCA_CAP, &p, o, sizeof(o), &json, &reason), 0);
        j = parse(json);
        assert_int_equal(jint(j, "status"), 2);
        assert_string_equal(jstr(j, "status_name"), "BAD_OP");
        assert_int_equal(jint(j, "syndrome"), 0x5b7d2e11);
        assert_false(json_object_object_get_ex(j, "capability", NULL));
        json_object_put(j);
        free(json);
}

static void test_result_diag_and_reg(void **state) {
        uint8_t o[16 + 3 * 16] = {};
        Mlx5Params p = { .max_counters = 2, .register_id = 7 };
        char *json = NULL, *reason = NULL;
        json_object *j, *a, *c;

        mlx5_put_be16(o + 16, 0x1001);
        mlx5_put_be16(o + 18, 3);
        mlx5_put_be32(o + 20, 99);
        mlx5_put_be32(o + 24, 0x1);
        mlx5_put_be32(o + 28, 0x2);
        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS, &p, o, sizeof(o), &json,
                                               &reason), 0);
        j = parse(json);
        assert_true(json_object_object_get_ex(j, "counters", &a));
        assert_int_equal(json_object_array_length(a), 2); /* capped at max_counters */
        c = json_object_array_get_idx(a, 0);
        assert_int_equal(jint(c, "counter_id"), 0x1001);
        assert_int_equal(jint(c, "sample_id"), 3);
        assert_int_equal(jint(c, "time_stamp"), 99);
        assert_int_equal(jint(c, "value"), 0x100000002LL);
        json_object_put(j);
        free(json);
        json = NULL;

        assert_int_equal(mlx5_operation_result(MLX5_OPERATION_ACCESS_REG_READ, &p, o, 20, &json, &reason), 0);
        j = parse(json);
        assert_int_equal(jint(j, "register_id"), 7);
        assert_string_equal(jstr(j, "data"), "10010003");
        json_object_put(j);
        free(json);
}

/* --- raw Rpc through the daemon's path (test-daemon.c) ------------------------------------- */

static fwctld_rpc *run_rpc(Fixture *f, uint16_t opcode, uint16_t op_mod, uint32_t scope, size_t max_response,
                           int want) {
        uint8_t r[MLX5_HDR_LEN];
        fwctld_rpc *c;

        req(r, opcode, op_mod);
        c = test_rpc_new(r, sizeof(r), scope, max_response);
        assert_int_equal(test_rpc_run(f->d, c, NULL), want);
        return c;
}

/* No marshal(): the request goes as is, the out buffer from max_response and kernel_out_min. */
static void test_no_marshal(void **state) {
        Fixture *f = *state;

        assert_null(f->p->marshal);
        assert_non_null(f->p->decode);
        assert_string_equal(f->p->operations[MLX5_OPERATION_QUERY_ADAPTER].rpc_operations, "QUERY_ADAPTER");
        assert_string_equal(f->p->operations[MLX5_OPERATION_QUERY_HCA_CAP].rpc_operations, "QUERY_HCA_CAP");
        assert_string_equal(f->p->operations[MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS].rpc_operations,
                            "QUERY_DIAGNOSTIC_COUNTERS");
        assert_string_equal(f->p->operations[MLX5_OPERATION_ACCESS_REG_READ].rpc_operations, "ACCESS_REG");
        assert_int_equal(mlx5_kernel_out_min(0x101), 272);
        assert_int_equal(mlx5_kernel_out_min(0x100), 4112);
        assert_int_equal(mlx5_kernel_out_min(0x80d), 16);
        assert_int_equal(mlx5_kernel_out_min(0xffff), 16);
}

/* A caller at debug-write asking QUERY_ADAPTER: the ioctl runs at configuration, no taint. */
static void test_rpc_issued_scope(void **state) {
        Fixture *f = *state;
        fwctld_rpc *c;

        c = run_rpc(f, MLX5_OP_QUERY_ADAPTER, 0, FWCTLD_SCOPE_DEBUG_WRITE, 512, 0);
        assert_int_equal(last_scope, FWCTLD_SCOPE_CONFIGURATION);
        assert_int_equal(c->issued_scope, FWCTLD_SCOPE_CONFIGURATION);
        test_rpc_free(c);
        c = run_rpc(f, MLX5_OP_SET_DIAGNOSTIC_PARAMS, 0, FWCTLD_SCOPE_DEBUG_WRITE_FULL, 64, 0);
        assert_int_equal(last_scope, FWCTLD_SCOPE_DEBUG_WRITE);
        test_rpc_free(c);
        /* ACCESS_REG read at debug-read-only even for a write-full caller. */
        c = run_rpc(f, MLX5_OP_ACCESS_REG, 1, FWCTLD_SCOPE_DEBUG_WRITE_FULL, 64, 0);
        assert_int_equal(last_scope, FWCTLD_SCOPE_DEBUG_READ_ONLY);
        test_rpc_free(c);
        /* Too low: ScopeTooLow, no ioctl. */
        c = run_rpc(f, MLX5_OP_NOP, 0, FWCTLD_SCOPE_CONFIGURATION, 64, -EACCES);
        assert_int_equal(n_ioctls, 3);
        test_rpc_free(c);
}

static void test_decode_ok_and_trim(void **state) {
        Fixture *f = *state;
        fwctld_rpc *c;

        /* A 4 KiB buffer for a 272-byte command: the reply is trimmed to 272. */
        c = run_rpc(f, MLX5_OP_QUERY_ADAPTER, 0, 0, 4096, 0);
        assert_int_equal(last_out_len, 4096);
        assert_int_equal(c->reported_len, 4096);
        assert_true(c->status_set);
        assert_int_equal(c->status, 0);
        assert_string_equal(c->status_name, "OK");
        assert_int_equal(c->reply_length, 272);
        assert_int_equal(c->reply_size, 272);
        assert_false(c->truncated);
        assert_memory_equal(c->reply + 256, "MT_0000000001", 13);
        test_rpc_free(c);

        /* A smaller max_response: the kernel still gets all 272 bytes; the caller a prefix. */
        c = run_rpc(f, MLX5_OP_QUERY_ADAPTER, 0, 0, 64, 0);
        assert_int_equal(last_out_len, 272);
        assert_int_equal(c->reply_length, 272);
        assert_int_equal(c->reply_size, 64);
        assert_true(c->truncated);
        test_rpc_free(c);

        /* Below the 16-byte header (the driver's EMSGSIZE): the kernel gets 16, the caller 4 bytes. */
        fake_status = 3;
        c = run_rpc(f, MLX5_OP_NOP, 0, 1, 4, 0);
        assert_int_equal(last_out_len, 16);
        assert_int_equal(c->reply_size, 4);
        assert_int_equal(c->reply_length, 16);
        assert_true(c->truncated);
        assert_memory_equal(c->reply, "\x03\x00\x00\x00", 4);
        assert_string_equal(c->status_name, "BAD_PARAM");
        test_rpc_free(c);
}

static void test_decode_failure_status(void **state) {
        Fixture *f = *state;
        fwctld_rpc *c;

        fake_status = 2;
        fake_syndrome = 0x5b7d2e11;
        c = run_rpc(f, MLX5_OP_QUERY_HCA_CAP, 0xffff, 0, 64, 0);
        assert_int_equal(c->status, 2);
        assert_string_equal(c->status_name, "BAD_OP (syndrome 0x5b7d2e11)");
        assert_int_equal(last_out_len, 4112);
        test_rpc_free(c);
}

static void test_decode_short_reply(void **state) {
        Fixture *f = *state;
        uint8_t r[MLX5_HDR_LEN];
        char *reason = NULL;
        fwctld_rpc *c;

        req(r, MLX5_OP_NOP, 0);
        c = test_rpc_new(r, sizeof(r), 1, 64);
        fake_reported = 8;
        assert_int_equal(test_rpc_run(f->d, c, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "8 bytes"));
        assert_false(c->status_set);
        free(reason);
        test_rpc_free(c);
}

/* --- execute through fwctld_device_rpc() ------------------------------------------------------ */

static int execute(Fixture *f, Mlx5Operation op, const char *params, char **json, char **reason) {
        return test_execute(f->d, &mlx5_operations[op], params, NULL, json, reason);
}

static void test_execute_query_adapter(void **state) {
        static const uint8_t want[16] = { 0x01, 0x01 };
        Fixture *f = *state;
        char *json = NULL, *reason = NULL;
        json_object *j;

        assert_int_equal(execute(f, MLX5_OPERATION_QUERY_ADAPTER, "{}", &json, &reason), 0);
        assert_int_equal(n_ioctls, 1);
        assert_int_equal(last_scope, 0);
        assert_int_equal(last_in_len, 16);
        assert_int_equal(test_rpc_log.n_calls, 1);
        assert_int_equal(test_rpc_log.request_size, 16);
        assert_memory_equal(test_rpc_log.request, want, 16);
        assert_string_equal(test_rpc_log.operation, "QUERY_ADAPTER");
        assert_false(f->d->refused);
        j = parse(json);
        assert_string_equal(jstr(j, "psid"), "MT_0000000001");
        assert_int_equal(jint(j, "ieee_vendor_id"), 0x2c9);
        json_object_put(j);
        free(json);
}

static void test_execute_access_reg(void **state) {
        Fixture *f = *state;
        char *json = NULL, *reason = NULL;
        json_object *j;

        assert_int_equal(execute(f, MLX5_OPERATION_ACCESS_REG_READ, "{\"register_id\": 36871, \"payload\": \"0011\"}",
                                 &json, &reason), 0);
        assert_int_equal(last_scope, 1);
        assert_int_equal(last_in_len, 18);
        assert_int_equal(mlx5_get_be16(last_in), 0x805);
        assert_int_equal(mlx5_get_be16(last_in + 6), 1);
        assert_int_equal(mlx5_get_be16(last_in + 10), 0x9007);
        assert_string_equal(test_rpc_log.operation, "ACCESS_REG");
        j = parse(json);
        assert_string_equal(jstr(j, "data"), "ffee");
        json_object_put(j);
        free(json);
}

static void test_execute_diag(void **state) {
        Fixture *f = *state;
        char *json = NULL, *reason = NULL;
        json_object *j, *a;

        assert_int_equal(execute(f, MLX5_OPERATION_QUERY_DIAGNOSTIC_COUNTERS,
                                 "{\"num_of_samples\": 2, \"sample_index\": 1, \"max_counters\": 1}", &json, &reason), 0);
        assert_int_equal(last_scope, 1);
        assert_int_equal(mlx5_get_be16(last_in + 8), 2);
        assert_int_equal(mlx5_get_be16(last_in + 10), 1);
        assert_string_equal(test_rpc_log.operation, "QUERY_DIAGNOSTIC_COUNTERS");
        j = parse(json);
        assert_true(json_object_object_get_ex(j, "counters", &a));
        assert_int_equal(json_object_array_length(a), 1);
        assert_int_equal(jint(json_object_array_get_idx(a, 0), "counter_id"), 0x1001);
        json_object_put(j);
        free(json);
}

/* Every operation issues the name it declares: what polkit, the deny list and the journal see. */
static void test_execute_names(void **state) {
        static const char *const params[_MLX5_OPERATION_MAX] = {
                "{}", "{\"op_mod\": 1}", "{}", "{\"register_id\": 1, \"payload\": \"00\"}",
        };
        Fixture *f = *state;

        for (int op = 0; op < _MLX5_OPERATION_MAX; op++) {
                char *json = NULL, *reason = NULL;

                assert_int_equal(execute(f, (Mlx5Operation) op, params[op], &json, &reason), 0);
                assert_false(f->d->refused);
                assert_string_equal(test_rpc_log.operation, mlx5_operations[op].rpc_operations);
                assert_int_equal(test_rpc_log.issued_scope, mlx5_operations[op].min_scope);
                free(json);
        }
}

static void test_execute_errors(void **state) {
        Fixture *f = *state;
        fwctld_classification cls = {};
        char *json = NULL, *reason = NULL;

        /* Bad parameters: no ioctl. */
        assert_int_equal(mlx5_plugin_classify_execute(f->d, &mlx5_operations[MLX5_OPERATION_QUERY_HCA_CAP],
                                                      "{\"op_mod\": \"x\"}", &cls, &reason), -EINVAL);
        assert_non_null(strstr(reason, "'op_mod'"));
        free(reason);
        reason = NULL;
        assert_int_equal(execute(f, MLX5_OPERATION_QUERY_HCA_CAP, "{}", &json, &reason), -EINVAL);
        assert_non_null(strstr(reason, "'op_mod'"));
        free(reason);
        reason = NULL;
        assert_int_equal(n_ioctls, 0);

        /* A short reply: decode() refuses it, the operation gets the errno. */
        fake_reported = 8;
        assert_int_equal(execute(f, MLX5_OPERATION_QUERY_ADAPTER, "{}", &json, &reason), -EBADMSG);
        assert_null(json);
        free(reason);
        reason = NULL;

        /* The kernel refuses. */
        fake_reported = 0;
        fake_errno = EIO;
        assert_int_equal(execute(f, MLX5_OPERATION_QUERY_ADAPTER, "{}", &json, &reason), -EIO);
        assert_non_null(strstr(reason, "query-adapter"));
        free(reason);
        assert_null(json);
        assert_int_equal(n_ioctls, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_info_json),
                cmocka_unit_test(test_classify_short),
                cmocka_unit_test(test_classify_unknown),
                cmocka_unit_test(test_classify_configuration),
                cmocka_unit_test(test_classify_access_reg),
                cmocka_unit_test(test_classify_debug),
                cmocka_unit_test(test_classify_all_debug_read_only),
                cmocka_unit_test(test_status_names),
                cmocka_unit_test(test_out_header),
                cmocka_unit_test(test_true_length),
                cmocka_unit_test(test_builders),
                cmocka_unit_test(test_hex),
                cmocka_unit_test(test_params),
                cmocka_unit_test(test_operations_table),
                cmocka_unit_test(test_result_query_adapter),
                cmocka_unit_test(test_result_failure_header_only),
                cmocka_unit_test(test_result_diag_and_reg),
                cmocka_unit_test_setup_teardown(test_no_marshal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rpc_issued_scope, setup, teardown),
                cmocka_unit_test_setup_teardown(test_decode_ok_and_trim, setup, teardown),
                cmocka_unit_test_setup_teardown(test_decode_failure_status, setup, teardown),
                cmocka_unit_test_setup_teardown(test_decode_short_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_query_adapter, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_access_reg, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_diag, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_errors, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
