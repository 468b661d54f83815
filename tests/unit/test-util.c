/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

static void test_errno_name_fwctl(void **state) {
        /* The errnos drivers/fwctl and its drivers hand back (kernel-fwctl.md). */
        assert_string_equal(errno_name(ENOTTY), "ENOTTY");
        assert_string_equal(errno_name(E2BIG), "E2BIG");
        assert_string_equal(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
        assert_string_equal(errno_name(EINVAL), "EINVAL");
        assert_string_equal(errno_name(ENOMEM), "ENOMEM");
        assert_string_equal(errno_name(ENODEV), "ENODEV");
        assert_string_equal(errno_name(EMSGSIZE), "EMSGSIZE");
        assert_string_equal(errno_name(EPERM), "EPERM");
        assert_string_equal(errno_name(EBADMSG), "EBADMSG");
        assert_string_equal(errno_name(ENXIO), "ENXIO");
        assert_string_equal(errno_name(EBUSY), "EBUSY");
        assert_string_equal(errno_name(EFAULT), "EFAULT");
        assert_string_equal(errno_name(EIO), "EIO");
}

static void test_errno_name_ok(void **state) {
        assert_string_equal(errno_name(0), "ok");
}

static void test_errno_name_negative(void **state) {
        assert_string_equal(errno_name(-ENOTTY), "ENOTTY");
        assert_string_equal(errno_name(-EMSGSIZE), "EMSGSIZE");
        assert_string_equal(errno_name(-EPERM), "EPERM");
        assert_string_equal(errno_name(-ENODEV), "ENODEV");
}

static void test_errno_name_unknown(void **state) {
        assert_string_equal(errno_name(4095), "EUNKNOWN");
        assert_string_equal(errno_name(-4095), "EUNKNOWN");
}

static void test_hexdump(void **state) {
        static const unsigned char data[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
        char *s = NULL;

        assert_int_equal(hexdump_to_string(data, sizeof(data), &s), 0);
        assert_non_null(s);
        assert_string_equal(s, "00017f80abcdefff");
        free(s);

        s = NULL;
        assert_int_equal(hexdump_to_string(data + 4, 1, &s), 0);
        assert_string_equal(s, "ab");
        free(s);
}

static void test_hexdump_empty(void **state) {
        char *s = NULL;

        assert_int_equal(hexdump_to_string(NULL, 0, &s), 0);
        assert_non_null(s);
        assert_string_equal(s, "");
        free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_name_fwctl),
                cmocka_unit_test(test_errno_name_ok),
                cmocka_unit_test(test_errno_name_negative),
                cmocka_unit_test(test_errno_name_unknown),
                cmocka_unit_test(test_hexdump),
                cmocka_unit_test(test_hexdump_empty),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
