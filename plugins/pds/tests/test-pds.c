/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include <fwctld/plugin.h>

#include "pds-proto.h"
#include "plugin-util.h"
#include "test-daemon.h"

/* The envelope of docs/plugin-pds.md, byte by byte: magic "PDSQ", version 1, reserved 0,
 * op 0x00010001 (command 1, version 1), ep 1, payload_len 4, response_len 16. */
static const uint8_t vec_req[] = {
        'P', 'D', 'S', 'Q', 0x01, 0x00, 0x00, 0x00, /* magic, version, reserved */
        0x01, 0x00, 0x01, 0x00,                         /* op */
        0x01, 0x00, 0x00, 0x00,                         /* ep */
        0x04, 0x00, 0x00, 0x00,                         /* payload_len */
        0x10, 0x00, 0x00, 0x00,                         /* response_len */
        0xde, 0xad, 0xbe, 0xef,                         /* payload */
};

static void expect_reject(const uint8_t *buf, size_t size, const char *needle) {
        struct pds_request req = { .op = 0xAAAA };
        char *reason = NULL;

        assert_int_equal(pds_request_parse(buf, size, &req, &reason), -EINVAL);
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("reason '%s' does not mention '%s'", reason, needle);
        assert_int_equal(req.op, 0xAAAA); /* untouched on failure */
        free(reason);
}

static void test_request_parse_valid(void **state) {
        struct pds_request req;
        char *reason = NULL;

        assert_int_equal(pds_request_parse(vec_req, sizeof(vec_req), &req, &reason), 0);
        assert_null(reason);
        assert_int_equal(req.op, 0x00010001);
        assert_int_equal(req.ep, 1);
        assert_int_equal(req.payload_len, 4);
        assert_int_equal(req.response_len, 16);
        assert_ptr_equal(req.payload, vec_req + 24);
        assert_int_equal(pds_get_le32(vec_req), PDS_ENV_REQ_MAGIC);
}

static void test_request_parse_empty_payload(void **state) {
        uint8_t b[24];
        struct pds_request req;

        memcpy(b, vec_req, 24);
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, 0);
        pds_put_le32(b + PDS_ENV_OFF_RESPONSE_LEN, 0);
        assert_int_equal(pds_request_parse(b, sizeof(b), &req, NULL), 0);
        assert_int_equal(req.payload_len, 0);
        assert_int_equal(req.response_len, 0);
        expect_reject(b, 23, "shorter than the 24-byte");
        expect_reject(NULL, 0, "shorter");
}

static void test_request_parse_header_faults(void **state) {
        uint8_t b[sizeof(vec_req)];

        memcpy(b, vec_req, sizeof(b));
        b[3] = 'R';
        expect_reject(b, sizeof(b), "bad envelope magic");

        memcpy(b, vec_req, sizeof(b));
        pds_put_le16(b + PDS_ENV_OFF_VERSION, 2);
        expect_reject(b, sizeof(b), "version 2");
        pds_put_le16(b + PDS_ENV_OFF_VERSION, 0);
        expect_reject(b, sizeof(b), "version 0");

        memcpy(b, vec_req, sizeof(b));
        b[PDS_ENV_OFF_RESERVED + 1] = 0x80;
        expect_reject(b, sizeof(b), "reserved");
}

static void test_request_parse_lengths(void **state) {
        uint8_t b[sizeof(vec_req)];
        struct pds_request req;

        /* payload_len one more / one less than the bytes that follow */
        memcpy(b, vec_req, sizeof(b));
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, 5);
        expect_reject(b, sizeof(b), "payload_len 5 does not match the 4");
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, 3);
        expect_reject(b, sizeof(b), "payload_len 3 does not match");
        /* size one byte longer than the header + payload */
        memcpy(b, vec_req, sizeof(b));
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, 3);
        expect_reject(b, sizeof(b) - 2, "payload_len 3 does not match the 2");

        /* response_len: 2 MiB is the limit */
        memcpy(b, vec_req, sizeof(b));
        pds_put_le32(b + PDS_ENV_OFF_RESPONSE_LEN, 2097152);
        assert_int_equal(pds_request_parse(b, sizeof(b), &req, NULL), 0);
        assert_int_equal(req.response_len, 2097152);
        pds_put_le32(b + PDS_ENV_OFF_RESPONSE_LEN, 2097153);
        expect_reject(b, sizeof(b), "response_len 2097153 exceeds");
        pds_put_le32(b + PDS_ENV_OFF_RESPONSE_LEN, UINT32_MAX);
        expect_reject(b, sizeof(b), "response_len 4294967295 exceeds");

        memcpy(b, vec_req, sizeof(b));
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, 2097153);
        expect_reject(b, sizeof(b), "payload_len 2097153 exceeds");
        /* 2^32 - 24: must not wrap around to match a 0-byte payload */
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, UINT32_MAX - 23);
        expect_reject(b, 24, "exceeds");
}

static void test_kernel_struct_layout(void **state) {
        struct pds_kernel_rpc k;
        uint8_t raw[48], in[4], out[16];
        uint32_t v;
        uint64_t p;

        assert_int_equal(sizeof(k), 48);
        pds_kernel_rpc_build(&k, 0x00010002, 7, in, sizeof(in), out, sizeof(out));
        memcpy(raw, &k, sizeof(raw));
        memcpy(&v, raw + 0, 4);
        assert_int_equal(v, 0x00010002);
        memcpy(&v, raw + 4, 4);
        assert_int_equal(v, 7);
        memcpy(&v, raw + 8, 4);
        assert_int_equal(v, 0);
        memcpy(&v, raw + 12, 4);
        assert_int_equal(v, 4);
        memcpy(&p, raw + 16, 8);
        assert_int_equal(p, (uint64_t) (uintptr_t) in);
        memcpy(&v, raw + 24, 4);
        assert_int_equal(v, 0);
        for (int i = 28; i < 36; i++)
                assert_int_equal(raw[i], 0);
        memcpy(&v, raw + 36, 4);
        assert_int_equal(v, 16);
        memcpy(&p, raw + 40, 8);
        assert_int_equal(p, (uint64_t) (uintptr_t) out);
}

static void test_reply_check(void **state) {
        struct pds_kernel_rpc k, got = { .out_retval = 0xAAAA };
        uint8_t out[16];
        char *reason = NULL;

        pds_kernel_rpc_build(&k, 1, 1, NULL, 0, out, sizeof(out));
        k.out_retval = 5;
        assert_int_equal(pds_kernel_reply_check(&k, 48, 48, 16, &got, &reason), 0);
        assert_null(reason);
        assert_int_equal(got.out_retval, 5);
        assert_int_equal(got.out_len, 16);

        /* kernel-reported out_len other than the struct */
        assert_int_equal(pds_kernel_reply_check(&k, 48, 47, 16, &got, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "out_len 47"));
        free(reason);
        reason = NULL;
        assert_int_equal(pds_kernel_reply_check(&k, 48, 0, 16, &got, &reason), -EBADMSG);
        free(reason);
        reason = NULL;
        assert_int_equal(pds_kernel_reply_check(&k, 48, 49, 16, &got, &reason), -EBADMSG);
        free(reason);
        reason = NULL;
        /* a buffer that cannot hold the struct */
        assert_int_equal(pds_kernel_reply_check(&k, 47, 48, 16, &got, &reason), -EBADMSG);
        free(reason);
        reason = NULL;
        /* out.len growing past what we allocated */
        assert_int_equal(pds_kernel_reply_check(&k, 48, 48, 15, &got, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "out.len 16 exceeds the 15-byte"));
        free(reason);
        reason = NULL;
        /* shrinking is within bounds */
        k.out_len = 8;
        assert_int_equal(pds_kernel_reply_check(&k, 48, 48, 16, &got, NULL), 0);
        assert_int_equal(got.out_len, 8);
        assert_int_equal(got.out_retval, 5);
}

static void test_response_header(void **state) {
        static const uint8_t expect[24] = {
                'P', 'D', 'S', 'A', 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
                0x10, 0x00, 0x00, 0x00, 0x13, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
        };
        uint8_t hdr[24];

        memset(hdr, 0xff, sizeof(hdr));
        pds_response_header_pack(hdr, 5, 16, 0x00010013, 2);
        assert_memory_equal(hdr, expect, sizeof(expect));
        assert_int_equal(pds_response_envelope_size(16), 40);
        assert_int_equal(pds_response_envelope_size(0), 24);
}

static void test_names(void **state) {
        char s[PDS_STATUS_NAME_MAX], o[PDS_OPERATION_NAME_MAX];

        pds_status_name(0, s);
        assert_string_equal(s, "SUCCESS");
        pds_status_name(5, s);
        assert_string_equal(s, "ERROR_5");
        pds_status_name(UINT32_MAX, s);
        assert_string_equal(s, "ERROR_4294967295");

        pds_operation_name(1, 1, o);
        assert_string_equal(o, "ep1.op0x0001");
        pds_operation_name(2, 0x13, o);
        assert_string_equal(o, "ep2.op0x0013");
        pds_operation_name(1, 0x00010002, o);
        assert_string_equal(o, "ep1.op0x10002");
        pds_operation_name(UINT32_MAX, UINT32_MAX, o);
        assert_string_equal(o, "ep4294967295.op0xffffffff");
}

static void test_hex(void **state) {
        uint8_t *b = NULL;
        size_t n = 99;
        char *h;

        assert_int_equal(plugin_hex_decode("00aBfF", &b, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(b[0], 0x00);
        assert_int_equal(b[1], 0xab);
        assert_int_equal(b[2], 0xff);
        h = plugin_hex_encode(b, n);
        assert_string_equal(h, "00abff");
        free(h);
        free(b);
        assert_int_equal(plugin_hex_decode("", &b, &n), 0);
        assert_int_equal(n, 0);
        free(b);
        assert_int_equal(plugin_hex_decode("abc", &b, &n), -EINVAL);
        assert_int_equal(plugin_hex_decode("zz", &b, &n), -EINVAL);
        assert_int_equal(plugin_hex_decode("0x", &b, &n), -EINVAL);
}

static void expect_params_reject(const char *json, const char *needle) {
        struct pds_params p = { .ep = 0xAAAA };
        char *reason = NULL;

        assert_int_equal(pds_params_parse(json, &p, &reason), -EINVAL);
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("%s: reason '%s' does not mention '%s'", json, reason, needle);
        assert_int_equal(p.ep, 0xAAAA);
        free(reason);
}

static void test_params(void **state) {
        struct pds_params p;

        assert_int_equal(pds_params_parse("{\"endpoint\":2,\"operation\":65555,\"payload\":\"0102\","
                                          "\"response_size\":32,\"scope\":2}", &p, NULL), 0);
        assert_int_equal(p.ep, 2);
        assert_int_equal(p.op, 0x10013);
        assert_int_equal(p.response_size, 32);
        assert_int_equal(p.scope, 2);
        assert_int_equal(p.payload_len, 2);
        assert_int_equal(p.payload[1], 0x02);
        pds_params_done(&p);
        assert_null(p.payload);

        /* scope defaults to configuration; empty payload and response are allowed */
        assert_int_equal(pds_params_parse("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":0}",
                                          &p, NULL), 0);
        assert_int_equal(p.scope, 0);
        assert_int_equal(p.payload_len, 0);
        assert_non_null(p.payload);
        pds_params_done(&p);

        assert_int_equal(pds_params_parse("{\"endpoint\":4294967295,\"operation\":4294967295,\"payload\":\"\","
                                          "\"response_size\":2097152,\"scope\":3}", &p, NULL), 0);
        assert_int_equal(p.ep, UINT32_MAX);
        assert_int_equal(p.response_size, 2097152);
        pds_params_done(&p);

        expect_params_reject("{", "not valid JSON");
        expect_params_reject("", "parameters are empty");
        expect_params_reject("[1]", "must be a JSON object, not an array");
        expect_params_reject("null", "must be a JSON object, not null");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":0} x",
                             "text after the JSON object");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":0,\"endpoint\":2}",
                             "field \"endpoint\" appears more than once");
        expect_params_reject("{\"operation\":1,\"payload\":\"\",\"response_size\":0}", "missing field \"endpoint\"");
        expect_params_reject("{\"endpoint\":1,\"payload\":\"\",\"response_size\":0}", "missing field \"operation\"");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"response_size\":0}", "missing field \"payload\"");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\"}", "missing field \"response_size\"");
        expect_params_reject("{\"endpoint\":\"1\",\"operation\":1,\"payload\":\"\",\"response_size\":0}",
                             "\"endpoint\" must be an integer");
        expect_params_reject("{\"endpoint\":1.5,\"operation\":1,\"payload\":\"\",\"response_size\":0}",
                             "\"endpoint\" must be an integer");
        expect_params_reject("{\"endpoint\":-1,\"operation\":1,\"payload\":\"\",\"response_size\":0}",
                             "\"endpoint\" must be between 0 and 4294967295");
        expect_params_reject("{\"endpoint\":4294967296,\"operation\":1,\"payload\":\"\",\"response_size\":0}",
                             "\"endpoint\" must be between");
        expect_params_reject("{\"endpoint\":1,\"operation\":true,\"payload\":\"\",\"response_size\":0}",
                             "\"operation\" must be an integer");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":12,\"response_size\":0}",
                             "\"payload\" must be a hex string");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"abc\",\"response_size\":0}",
                             "\"payload\" must be an even number of hex digits");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"zz\",\"response_size\":0}",
                             "\"payload\" must be an even number of hex digits");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":2097153}",
                             "\"response_size\" must be between 0 and 2097152");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":0,\"scope\":4}",
                             "\"scope\" must be between 0 and 3");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":0,\"scope\":\"2\"}",
                             "\"scope\" must be an integer");
        expect_params_reject("{\"endpoint\":1,\"operation\":1,\"payload\":\"\",\"response_size\":0,\"endpiont\":2}",
                             "unknown field \"endpiont\"");
}

static void test_info_json(void **state) {
        const fwctld_plugin *p = FWCTLD_PLUGIN_ENTRY();
        json_object *o, *v;
        char *s = NULL;
        uint8_t data[2] = { 0xab, 0xcd };

        assert_int_equal(p->info_to_json(NULL, NULL, 0, &s), 0);
        o = json_tokener_parse(s);
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "plugin", &v));
        assert_string_equal(json_object_get_string(v), "pds");
        assert_true(json_object_object_get_ex(o, "info", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(o, "note", &v));
        assert_non_null(strstr(json_object_get_string(v), "device_data_len is never set"));
        json_object_put(o);
        free(s);

        s = NULL;
        assert_int_equal(p->info_to_json(NULL, data, sizeof(data), &s), 0);
        o = json_tokener_parse(s);
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "device_data_hex", &v));
        assert_string_equal(json_object_get_string(v), "abcd");
        assert_true(json_object_object_get_ex(o, "device_data_length", &v));
        assert_int_equal(json_object_get_int(v), 2);
        json_object_put(o);
        free(s);
}

static void test_result_json(void **state) {
        uint8_t r[3] = { 1, 2, 0xff };
        char *s = NULL;

        assert_int_equal(pds_result_json(5, r, sizeof(r), &s), 0);
        assert_string_equal(s, "{\"retval\":5,\"status_name\":\"ERROR_5\",\"response_length\":3,\"response\":\"0102ff\"}");
        free(s);
        assert_int_equal(pds_result_json(0, NULL, 0, &s), 0);
        assert_string_equal(s, "{\"retval\":0,\"status_name\":\"SUCCESS\",\"response_length\":0,\"response\":\"\"}");
        free(s);
}

/* --- envelopes built and parsed for Execute ---------------------------------------- */

static void test_request_build(void **state) {
        static const uint8_t payload[4] = { 0xde, 0xad, 0xbe, 0xef };
        uint8_t *p = NULL;
        size_t n = 0;

        assert_int_equal(pds_request_build(0x00010001, 1, payload, 4, 16, &p, &n), 0);
        assert_int_equal(n, sizeof(vec_req));
        assert_memory_equal(p, vec_req, sizeof(vec_req));
        free(p);
        assert_int_equal(pds_request_build(1, 2, NULL, 0, 0, &p, &n), 0);
        assert_int_equal(n, 24);
        free(p);
        assert_int_equal(pds_request_build(1, 2, NULL, 4, 0, &p, &n), -EINVAL);
        assert_int_equal(pds_request_build(1, 2, payload, 4, PDS_MAX_LEN + 1, &p, &n), -EMSGSIZE);
}

static void test_response_parse(void **state) {
        uint8_t b[24 + 3];
        struct pds_response r;
        char *reason = NULL;

        pds_response_header_pack(b, 5, 3, 0x10, 2);
        memcpy(b + 24, "\x01\x02\x03", 3);
        assert_int_equal(pds_response_parse(b, sizeof(b), &r, &reason), 0);
        assert_null(reason);
        assert_int_equal(r.retval, 5);
        assert_int_equal(r.response_len, 3);
        assert_int_equal(r.op, 0x10);
        assert_int_equal(r.ep, 2);
        assert_ptr_equal(r.response, b + 24);
        /* One byte short of what it claims. */
        assert_int_equal(pds_response_parse(b, sizeof(b) - 1, &r, &reason), -EBADMSG);
        assert_string_equal(reason, "response envelope claims 3 bytes but carries 2");
        free(reason);
        reason = NULL;
        assert_int_equal(pds_response_parse(b, 23, &r, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "shorter than the 24-byte"));
        free(reason);
        reason = NULL;
        b[0] = 'X';
        assert_int_equal(pds_response_parse(b, sizeof(b), &r, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "PDSA"));
        free(reason);
        reason = NULL;
        assert_int_equal(pds_response_parse(NULL, 0, &r, &reason), -EBADMSG);
        free(reason);
}

/* --- the plugin through the daemon's path (test-daemon.c) and a fake pds_fwctl ------------ */

/*
 * The fake driver, after mainline pds_fwctl: in_len is the 48-byte struct, in.len bytes
 * are read from in.payload and all out.len bytes written to out.payload, then the struct
 * comes back with out.retval and out_len 48. A payload or response buffer smaller than
 * those lengths fails the test (the kernel would copy past it in the daemon).
 */
typedef struct FakePds {
        unsigned n;
        uint32_t scope;
        size_t in_len, out_len;
        struct pds_kernel_rpc k;
        uint8_t payload[16];
        uint32_t retval;
        int fail;
        size_t reported; /* 0: 48 */
        uint32_t out_len_override;
} FakePds;

static int fake_pds_kernel(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out,
                           size_t out_len, size_t *ret_out_len) {
        FakePds *f = userdata;
        uint8_t *resp;

        f->n++;
        f->scope = scope;
        f->in_len = in_len;
        f->out_len = out_len;
        if (f->fail)
                return -f->fail;
        assert_int_equal(in_len, 48);
        memcpy(&f->k, in, sizeof(f->k));
        if (f->k.in_len > 0) {
                if (test_daemon_room((const void *) (uintptr_t) f->k.in_payload) < f->k.in_len)
                        fail_msg("in.payload holds fewer than in.len %u bytes", f->k.in_len);
                memcpy(f->payload, (const void *) (uintptr_t) f->k.in_payload,
                       f->k.in_len < sizeof(f->payload) ? f->k.in_len : sizeof(f->payload));
        }
        resp = (uint8_t *) (uintptr_t) f->k.out_payload;
        if (f->k.out_len > 0 && test_daemon_room(resp) < f->k.out_len)
                fail_msg("out.payload holds fewer than out.len %u bytes", f->k.out_len);
        for (uint32_t i = 0; i < f->k.out_len; i++)
                resp[i] = (uint8_t) (0xa0 + i);
        f->k.out_retval = f->retval;
        if (f->out_len_override)
                f->k.out_len = f->out_len_override;
        memcpy(out, &f->k, out_len < sizeof(f->k) ? out_len : sizeof(f->k));
        *ret_out_len = f->reported ? f->reported : 48;
        return 0;
}

typedef struct Fixture {
        FakePds k;
        fwctld_device *d;
        const fwctld_plugin *p;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->p = FWCTLD_PLUGIN_ENTRY();
        f->d = test_device_new(f->p, 4);
        test_daemon_set_kernel(fake_pds_kernel, &f->k);
        test_rpc_log_reset();
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

static fwctld_rpc *run(Fixture *f, const uint8_t *req, size_t size, uint32_t scope, size_t max_response, int want,
                       char **reason) {
        fwctld_rpc *c = test_rpc_new(req, size, scope, max_response);

        assert_int_equal(test_rpc_run(f->d, c, reason), want);
        return c;
}

static void test_descriptor(void **state) {
        const fwctld_plugin *p = FWCTLD_PLUGIN_ENTRY();

        assert_int_equal(p->abi_version, FWCTLD_PLUGIN_ABI_VERSION);
        assert_int_equal(p->size, sizeof(fwctld_plugin));
        assert_string_equal(p->name, "pds");
        assert_int_equal(p->device_types[0], 4);
        assert_int_equal(p->device_types[1], FWCTLD_DEVICE_TYPE_END);
        assert_false(p->fallback);
        assert_int_equal(p->n_operations, 1);
        assert_string_equal(p->operations[0].name, "rpc");
        assert_int_equal(p->operations[0].min_scope, FWCTLD_SCOPE_CONFIGURATION);
        /* Named from the parameters by classify_execute(). */
        assert_null(p->operations[0].rpc_operations);
        assert_non_null(p->marshal);
        assert_non_null(p->decode);
        assert_non_null(p->classify_execute);
        assert_non_null(p->execute);
}

static void test_classify(void **state) {
        Fixture *f = *state;
        fwctld_classification cls;
        char *reason = NULL;
        uint32_t s;

        /* Every scope passes through: the kernel is the judge. */
        for (s = 0; s < 4; s++) {
                memset(&cls, 0xff, sizeof(cls));
                assert_int_equal(f->p->classify(f->d, vec_req, sizeof(vec_req), s, &cls, &reason), 0);
                assert_null(reason);
                assert_int_equal(cls.min_scope, FWCTLD_SCOPE_CONFIGURATION);
                assert_false(cls.scope_exact);
                assert_int_equal(cls.kernel_out_min, 48);
                assert_true(cls.configuration_write);
                assert_string_equal(cls.operation, "ep1.op0x10001");
        }
        assert_int_equal(f->p->classify(f->d, vec_req, sizeof(vec_req) - 1, 0, &cls, &reason), -EINVAL);
        assert_non_null(strstr(reason, "payload_len 4 does not match the 3"));
        free(reason);
}

static void test_marshal_decode(void **state) {
        Fixture *f = *state;
        const uint8_t *r;
        fwctld_rpc *c;

        f->k.retval = 5;
        c = run(f, vec_req, sizeof(vec_req), 0, 64, 0, NULL);
        assert_int_equal(f->k.in_len, 48);
        assert_int_equal(f->k.out_len, 48);
        assert_int_equal(f->k.k.in_op, 0x00010001);
        assert_int_equal(f->k.k.in_ep, 1);
        assert_int_equal(f->k.k.in_rsvd, 0);
        assert_int_equal(f->k.k.in_len, 4);
        assert_int_equal(f->k.k.out_len, 16);
        /* The payload was copied into a daemon buffer, not pointed at the caller's request. */
        assert_true((const uint8_t *) (uintptr_t) f->k.k.in_payload != c->request + 24);
        assert_memory_equal(f->k.payload, vec_req + 24, 4);
        assert_true(c->response_set);
        assert_int_equal(c->reply_size, 40);
        assert_int_equal(c->reply_length, 40);
        assert_false(c->truncated);
        r = c->reply;
        assert_memory_equal(r, "PDSA", 4);
        assert_int_equal(pds_get_le16(r + 4), 1);
        assert_int_equal(pds_get_le16(r + 6), 0);
        assert_int_equal(pds_get_le32(r + 8), 5);
        assert_int_equal(pds_get_le32(r + 12), 16);
        assert_int_equal(pds_get_le32(r + 16), 0x00010001);
        assert_int_equal(pds_get_le32(r + 20), 1);
        for (int i = 0; i < 16; i++)
                assert_int_equal(r[24 + i], 0xa0 + i);
        assert_true(c->status_set);
        assert_int_equal(c->status, 5);
        assert_string_equal(c->status_name, "ERROR_5");
        test_rpc_free(c);
}

/* pds scopes are the kernel's: the caller's scope is what the ioctl runs at. */
static void test_issued_scope(void **state) {
        Fixture *f = *state;
        fwctld_rpc *c;

        c = run(f, vec_req, sizeof(vec_req), FWCTLD_SCOPE_DEBUG_WRITE, 64, 0, NULL);
        assert_int_equal(f->k.scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_int_equal(c->issued_scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_string_equal(c->status_name, "SUCCESS");
        test_rpc_free(c);
}

/* The response buffer is sized from response_len (what the kernel writes), not max_response. */
static void test_small_max_response(void **state) {
        static const size_t maxes[] = { 0, 10, 39 };
        Fixture *f = *state;

        for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
                fwctld_rpc *c = run(f, vec_req, sizeof(vec_req), 0, maxes[i], 0, NULL);

                assert_int_equal(f->k.k.out_len, 16);
                assert_int_equal(c->reply_size, maxes[i]);
                assert_int_equal(c->reply_length, 40);
                assert_true(c->truncated);
                if (maxes[i] >= 4)
                        assert_memory_equal(c->reply, "PDSA", 4);
                test_rpc_free(c);
        }
}

static void test_decode_malformed(void **state) {
        Fixture *f = *state;
        char *reason = NULL;
        fwctld_rpc *c;

        f->k.reported = 40;
        c = run(f, vec_req, sizeof(vec_req), 0, 64, -EBADMSG, &reason);
        assert_non_null(strstr(reason, "out_len 40"));
        assert_false(c->response_set);
        free(reason);
        reason = NULL;
        test_rpc_free(c);

        /* a returned out.len larger than the buffer the daemon passed */
        f->k.reported = 0;
        f->k.out_len_override = 17;
        c = run(f, vec_req, sizeof(vec_req), 0, 64, -EBADMSG, &reason);
        assert_non_null(strstr(reason, "out.len 17"));
        assert_false(c->response_set);
        free(reason);
        test_rpc_free(c);
}

static void test_marshal_bad_envelope(void **state) {
        Fixture *f = *state;
        uint8_t b[sizeof(vec_req)];
        char *reason = NULL;
        fwctld_rpc *c;

        memcpy(b, vec_req, sizeof(b));
        b[0] = 'X';
        c = run(f, b, sizeof(b), 0, 64, -EINVAL, &reason);
        assert_non_null(strstr(reason, "magic"));
        free(reason);
        assert_int_equal(f->k.n, 0);
        test_rpc_free(c);
}

static void test_marshal_empty_payload(void **state) {
        Fixture *f = *state;
        uint8_t b[24];
        fwctld_rpc *c;

        memcpy(b, vec_req, 24);
        pds_put_le32(b + PDS_ENV_OFF_PAYLOAD_LEN, 0);
        pds_put_le32(b + PDS_ENV_OFF_RESPONSE_LEN, 0);
        c = run(f, b, 24, 0, 24, 0, NULL);
        assert_int_equal(f->k.k.in_len, 0);
        assert_int_equal(f->k.k.out_len, 0);
        assert_int_equal(c->reply_size, 24);
        assert_int_equal(pds_get_le32(c->reply + 12), 0);
        test_rpc_free(c);
}

static void test_classify_execute(void **state) {
        Fixture *f = *state;
        const fwctld_operation *op = &f->p->operations[0];
        fwctld_classification cls = { .min_scope = op->min_scope };
        char *reason = NULL;

        assert_int_equal(f->p->classify_execute(f->d, op, "{\"endpoint\":2,\"operation\":16,\"payload\":\"\","
                                                "\"response_size\":8,\"scope\":2}", &cls, &reason), 0);
        assert_int_equal(cls.min_scope, 2);
        /* What reaches the device, named as a raw Rpc of it is named. */
        assert_string_equal(cls.operation, "ep2.op0x0010");
        cls.min_scope = 0;
        assert_int_equal(f->p->classify_execute(f->d, op, "{\"endpoint\":7,\"operation\":65537,\"payload\":\"\","
                                                "\"response_size\":8}", &cls, &reason), 0);
        assert_int_equal(cls.min_scope, 0);
        assert_string_equal(cls.operation, "ep7.op0x10001");
        /* never lowers a scope */
        cls.min_scope = 1;
        assert_int_equal(f->p->classify_execute(f->d, op, "{\"endpoint\":2,\"operation\":16,\"payload\":\"\","
                                                "\"response_size\":8,\"scope\":0}", &cls, &reason), 0);
        assert_int_equal(cls.min_scope, 1);
        assert_null(reason);
        assert_int_equal(f->p->classify_execute(f->d, op, "{\"endpoint\":2}", &cls, &reason), -EINVAL);
        assert_non_null(strstr(reason, "operation"));
        free(reason);
}

/* Execute sends the envelope a caller would send to Rpc, byte for byte, under the declared name. */
static void test_execute_rpc(void **state) {
        Fixture *f = *state;
        fwctld_classification cls;
        char *result = NULL, *reason = NULL;

        f->k.retval = 5;
        assert_int_equal(test_execute(f->d, &f->p->operations[0],
                                      "{\"endpoint\":1,\"operation\":65537,\"payload\":\"deadbeef\","
                                      "\"response_size\":16,\"scope\":1}", &cls, &result, &reason), 0);
        assert_null(reason);
        assert_string_equal(cls.operation, "ep1.op0x10001");
        assert_int_equal(cls.min_scope, 1);
        assert_int_equal(test_rpc_log.n_calls, 1);
        assert_int_equal(test_rpc_log.request_size, sizeof(vec_req));
        assert_memory_equal(test_rpc_log.request, vec_req, sizeof(vec_req));
        assert_string_equal(test_rpc_log.operation, "ep1.op0x10001");
        assert_int_equal(f->k.scope, 1);
        assert_false(f->d->refused);
        assert_string_equal(result, "{\"retval\":5,\"status_name\":\"ERROR_5\",\"response_length\":16,\"response\":"
                                    "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"}");
        free(result);
}

static void test_execute_errors(void **state) {
        Fixture *f = *state;
        const fwctld_operation *op = &f->p->operations[0];
        char *result = NULL, *reason = NULL;

        f->k.fail = EPERM;
        assert_int_equal(test_execute(f->d, op, "{\"endpoint\":1,\"operation\":1,\"payload\":\"00\","
                                      "\"response_size\":8}", NULL, &result, &reason), -EPERM);
        assert_non_null(strstr(reason, "EPERM"));
        assert_null(result);
        free(reason);
        reason = NULL;
        f->k.fail = EINVAL;
        assert_int_equal(test_execute(f->d, op, "{\"endpoint\":1,\"operation\":1,\"payload\":\"00\","
                                      "\"response_size\":8}", NULL, &result, &reason), -EINVAL);
        assert_non_null(strstr(reason, "EINVAL"));
        free(reason);
        reason = NULL;
        assert_int_equal(test_execute(f->d, op, "{\"endpoint\":1}", NULL, &result, &reason), -EINVAL);
        assert_non_null(strstr(reason, "missing field \"operation\""));
        assert_null(result);
        free(reason);
        assert_int_equal(f->k.n, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_request_parse_valid),
                cmocka_unit_test(test_request_parse_empty_payload),
                cmocka_unit_test(test_request_parse_header_faults),
                cmocka_unit_test(test_request_parse_lengths),
                cmocka_unit_test(test_kernel_struct_layout),
                cmocka_unit_test(test_reply_check),
                cmocka_unit_test(test_response_header),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_hex),
                cmocka_unit_test(test_params),
                cmocka_unit_test(test_info_json),
                cmocka_unit_test(test_result_json),
                cmocka_unit_test(test_request_build),
                cmocka_unit_test(test_response_parse),
                cmocka_unit_test(test_descriptor),
                cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_marshal_decode, setup, teardown),
                cmocka_unit_test_setup_teardown(test_issued_scope, setup, teardown),
                cmocka_unit_test_setup_teardown(test_small_max_response, setup, teardown),
                cmocka_unit_test_setup_teardown(test_decode_malformed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_marshal_bad_envelope, setup, teardown),
                cmocka_unit_test_setup_teardown(test_marshal_empty_payload, setup, teardown),
                cmocka_unit_test_setup_teardown(test_classify_execute, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_rpc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_errors, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
