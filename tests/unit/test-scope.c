/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "scope.h"

static const struct {
        uint32_t scope;
        const char *name;
        const char *number;
        const char *action;
} scopes[] = {
        { FWCTLD_SCOPE_CONFIGURATION, "configuration", "0", "org.freedesktop.fwctl1.rpc-configuration" },
        { FWCTLD_SCOPE_DEBUG_READ_ONLY, "debug-read-only", "1", "org.freedesktop.fwctl1.rpc-debug-read-only" },
        { FWCTLD_SCOPE_DEBUG_WRITE, "debug-write", "2", "org.freedesktop.fwctl1.rpc-debug-write" },
        { FWCTLD_SCOPE_DEBUG_WRITE_FULL, "debug-write-full", "3", "org.freedesktop.fwctl1.rpc-debug-write-full" },
};

/* One SCOPE_MAX: the table above is the kernel's, and the plugin ABI's enum agrees. */
static void test_scope_max(void **state) {
        assert_int_equal(_FWCTLD_SCOPE_MAX, 4);
        assert_int_equal(sizeof(scopes) / sizeof(scopes[0]), _FWCTLD_SCOPE_MAX);
        assert_int_equal(SCOPE_INVALID, UINT32_MAX);
}

static void test_scope_to_string(void **state) {
        for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
                assert_string_equal(scope_to_string(scopes[i].scope), scopes[i].name);

        assert_null(scope_to_string(_FWCTLD_SCOPE_MAX));
        assert_null(scope_to_string(4));
        assert_null(scope_to_string(255));
        assert_null(scope_to_string(SCOPE_INVALID));
}

static void test_scope_from_string(void **state) {
        /* Both ways round, by name and by number. */
        for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
                assert_int_equal(scope_from_string(scopes[i].name), scopes[i].scope);
                assert_int_equal(scope_from_string(scopes[i].number), scopes[i].scope);
                assert_int_equal(scope_from_string(scope_to_string(scopes[i].scope)), scopes[i].scope);
        }
        assert_int_equal(scope_from_string("2"), FWCTLD_SCOPE_DEBUG_WRITE);
        assert_int_equal(scope_from_string("debug-write"), FWCTLD_SCOPE_DEBUG_WRITE);

        assert_int_equal(scope_from_string(NULL), SCOPE_INVALID);
        assert_int_equal(scope_from_string(""), SCOPE_INVALID);
        assert_int_equal(scope_from_string("4"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("-1"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("02"), SCOPE_INVALID);
        assert_int_equal(scope_from_string(" 2"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("2 "), SCOPE_INVALID);
        assert_int_equal(scope_from_string("0x2"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("4294967295"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("debug"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("debug-write-"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("Debug-Write"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("debug_write"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("*"), SCOPE_INVALID);
        assert_int_equal(scope_from_string("unknown"), SCOPE_INVALID);
}

/* The action names must be those of polkit/org.freedesktop.fwctl1.policy. */
static void test_scope_to_action(void **state) {
        for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
                assert_string_equal(scope_to_action(scopes[i].scope), scopes[i].action);

        assert_null(scope_to_action(_FWCTLD_SCOPE_MAX));
        assert_null(scope_to_action(SCOPE_INVALID));
}

static void test_scope_is_valid(void **state) {
        for (uint32_t s = 0; s < _FWCTLD_SCOPE_MAX; s++)
                assert_true(scope_is_valid(s));
        assert_false(scope_is_valid(_FWCTLD_SCOPE_MAX));
        assert_false(scope_is_valid(100));
        assert_false(scope_is_valid(SCOPE_INVALID));
        assert_false(scope_is_valid(scope_from_string("bogus")));
}

/* The kernel taints itself from debug-write up. */
static void test_scope_taints(void **state) {
        assert_false(scope_taints(FWCTLD_SCOPE_CONFIGURATION));
        assert_false(scope_taints(FWCTLD_SCOPE_DEBUG_READ_ONLY));
        assert_true(scope_taints(FWCTLD_SCOPE_DEBUG_WRITE));
        assert_true(scope_taints(FWCTLD_SCOPE_DEBUG_WRITE_FULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scope_max),
                cmocka_unit_test(test_scope_to_string),
                cmocka_unit_test(test_scope_from_string),
                cmocka_unit_test(test_scope_to_action),
                cmocka_unit_test(test_scope_is_valid),
                cmocka_unit_test(test_scope_taints),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
