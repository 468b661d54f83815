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

#include "plugin-util.h"

static const char *const fields_ab[] = { "a", "b", NULL };

static void expect_params(const char *json, const char *const *fields, int err, const char *needle) {
        json_object *o = (json_object *) 0x1;
        char *reason = NULL;

        assert_int_equal(plugin_parse_params(json, fields, &o, &reason), err);
        if (err == 0) {
                assert_null(reason);
                assert_true(json_object_is_type(o, json_type_object));
                json_object_put(o);
                return;
        }
        assert_ptr_equal(o, (json_object *) 0x1); /* untouched on failure */
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("%s: reason '%s' does not mention '%s'", json ? json : "(null)", reason, needle);
        free(reason);
}

static void test_params_accepted(void **state) {
        json_object *o = NULL, *v;

        (void) state;
        expect_params("{}", NULL, 0, NULL);
        expect_params(" {} ", NULL, 0, NULL);
        expect_params("\t\r\n{ }\n", NULL, 0, NULL);
        expect_params("{\"a\": 1, \"b\": \"x\"}", fields_ab, 0, NULL);
        expect_params("{\"b\": 1}", fields_ab, 0, NULL);
        /* Equal keys in different objects, and key-like text inside strings, are no duplicates. */
        expect_params("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}", fields_ab, 0, NULL);
        expect_params("{\"a\": [{\"x\": 1}, {\"x\": 2}], \"b\": [\"a\", \"a\"]}", fields_ab, 0, NULL);
        expect_params("{\"a\": \"\\\"a\\\": 2, \\\"b\\\": 3\", \"b\": \"a\"}", fields_ab, 0, NULL);

        assert_int_equal(plugin_parse_params("{\"a\": 7}", fields_ab, &o, NULL), 0);
        assert_true(json_object_object_get_ex(o, "a", &v));
        assert_int_equal(json_object_get_int(v), 7);
        json_object_put(o);
        /* No ret: only checked. */
        assert_int_equal(plugin_parse_params("{}", NULL, NULL, NULL), 0);
}

static void test_params_not_one_object(void **state) {
        (void) state;
        expect_params("{} x", NULL, -EINVAL, "text after the JSON object, at offset 3");
        expect_params("{}{}", NULL, -EINVAL, "text after the JSON object, at offset 2");
        expect_params("{\"a\": 1} {\"a\": 2}", fields_ab, -EINVAL, "text after the JSON object");
        expect_params("{}\n,", NULL, -EINVAL, "text after the JSON object");
        expect_params("null", NULL, -EINVAL, "must be a JSON object, not null");
        expect_params(" null ", NULL, -EINVAL, "must be a JSON object, not null");
        expect_params("[]", NULL, -EINVAL, "must be a JSON object, not an array");
        expect_params("\"x\"", NULL, -EINVAL, "must be a JSON object, not a string");
        expect_params("1", NULL, -EINVAL, "must be a JSON object, not a number");
        expect_params("true", NULL, -EINVAL, "must be a JSON object, not a boolean");
        expect_params("", NULL, -EINVAL, "parameters are empty");
        expect_params(" \n", NULL, -EINVAL, "parameters are empty");
        expect_params(NULL, NULL, -EINVAL, "parameters are empty");
}

static void test_params_not_json(void **state) {
        (void) state;
        expect_params("{", NULL, -EINVAL, "not valid JSON");
        expect_params("x", NULL, -EINVAL, "not valid JSON");
        expect_params("{\"a\": 1,}", fields_ab, -EINVAL, "not valid JSON");
        expect_params("{/* c */}", NULL, -EINVAL, "not valid JSON");
        expect_params("{'a': 1}", fields_ab, -EINVAL, "single-quoted string at offset 1");
        expect_params("{\"a\": 'x'}", fields_ab, -EINVAL, "not valid JSON");
        expect_params("{\"a\": \"\xff\"}", fields_ab, -EINVAL, "not valid JSON");
}

static void test_params_duplicate_keys(void **state) {
        (void) state;
        expect_params("{\"a\": 1, \"a\": 2}", fields_ab, -EINVAL, "field \"a\" appears more than once");
        expect_params("{\"a\" : 1, \"b\": 2, \"a\"\n: 3}", fields_ab, -EINVAL, "field \"a\" appears more than once");
        /* The same key once escaped: json-c would keep the second. */
        expect_params("{\"a\": 1, \"\\u0061\": 2}", fields_ab, -EINVAL, "field \"a\" appears more than once");
        expect_params("{\"a\\\"b\": 1, \"a\\\"b\": 2}", NULL, -EINVAL, "field \"a\"b\" appears more than once");
        /* Before the unknown-field check, whose message would hide the real mistake. */
        expect_params("{\"x\": 1, \"x\": 2}", fields_ab, -EINVAL, "field \"x\" appears more than once");
        expect_params("{\"a\": {\"x\": 1, \"x\": 2}}", fields_ab, -EINVAL, "field \"x\" appears more than once");
        expect_params("{\"a\": [{\"x\": 1}, {\"y\": 1, \"y\": 2}]}", fields_ab, -EINVAL,
                      "field \"y\" appears more than once");
}

static void test_params_unknown_fields(void **state) {
        (void) state;
        expect_params("{\"c\": 1}", fields_ab, -EINVAL, "unknown field \"c\"");
        expect_params("{\"a\": 1, \"A\": 1}", fields_ab, -EINVAL, "unknown field \"A\"");
        expect_params("{\"a\": 1}", NULL, -EINVAL, "unknown field \"a\": the operation takes no parameters");
        expect_params("{\"a\": 1}", (const char *const[]) { NULL }, -EINVAL, "takes no parameters");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_params_accepted),
                cmocka_unit_test(test_params_not_one_object),
                cmocka_unit_test(test_params_not_json),
                cmocka_unit_test(test_params_duplicate_keys),
                cmocka_unit_test(test_params_unknown_fields),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
