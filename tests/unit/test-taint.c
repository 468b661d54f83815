/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fwctld/fwctl-uapi.h>

#include "taint.h"

static void test_taint_parse_zero(void **state) {
        bool t = true;

        assert_int_equal(taint_parse("0\n", &t), 0);
        assert_false(t);
        t = true;
        assert_int_equal(taint_parse("0", &t), 0);
        assert_false(t);
}

static void test_taint_parse_fwctl_only(void **state) {
        bool t = false;

        assert_int_equal(FWCTLD_TAINT_FWCTL_MASK, 524288ull);
        assert_int_equal(taint_parse("524288\n", &t), 0);
        assert_true(t);
        t = false;
        assert_int_equal(taint_parse("  524288  \n", &t), 0);
        assert_true(t);
}

static void test_taint_parse_other_bits(void **state) {
        bool t = true;

        /* Every bit but 19: proprietary module, unsigned module, OOT, ... */
        assert_int_equal(taint_parse("4096\n", &t), 0);
        assert_false(t);
        t = true;
        assert_int_equal(taint_parse("262144\n", &t), 0); /* bit 18 */
        assert_false(t);
        t = true;
        assert_int_equal(taint_parse("1048576\n", &t), 0); /* bit 20 */
        assert_false(t);
        t = true;
        assert_int_equal(taint_parse("18446744073709027327\n", &t), 0); /* ~(1 << 19) */
        assert_false(t);
}

static void test_taint_parse_combined(void **state) {
        bool t = false;

        /* bit 0 (P) + bit 12 (O) + bit 19 (fwctl) */
        assert_int_equal(taint_parse("528385\n", &t), 0);
        assert_true(t);
        t = false;
        assert_int_equal(taint_parse("18446744073709551615\n", &t), 0); /* all bits */
        assert_true(t);
}

static void test_taint_parse_garbage(void **state) {
        bool t = false;

        assert_int_equal(taint_parse("abc\n", &t), -EINVAL);
        assert_int_equal(taint_parse("524288abc\n", &t), -EINVAL);
        assert_int_equal(taint_parse("524288 1\n", &t), -EINVAL);
        assert_int_equal(taint_parse("0x80000\n", &t), -EINVAL);
        assert_int_equal(taint_parse("+524288\n", &t), -EINVAL);
        assert_false(t);
        assert_int_equal(taint_parse(NULL, &t), -EINVAL);
}

static void test_taint_parse_empty(void **state) {
        bool t = true;

        assert_int_equal(taint_parse("", &t), -EINVAL);
        assert_int_equal(taint_parse("\n", &t), -EINVAL);
        assert_int_equal(taint_parse("   ", &t), -EINVAL);
        /* Untouched on failure. */
        assert_true(t);
}

static void test_taint_parse_negative(void **state) {
        bool t = false;

        /* strtoull() would accept "-1" as ULLONG_MAX, i.e. "tainted". */
        assert_int_equal(taint_parse("-1\n", &t), -EINVAL);
        assert_int_equal(taint_parse("-524288\n", &t), -EINVAL);
        assert_false(t);
}

static void test_taint_parse_overflow(void **state) {
        bool t = false;

        assert_int_equal(taint_parse("18446744073709551616\n", &t), -ERANGE);
        assert_int_equal(taint_parse("99999999999999999999999999\n", &t), -ERANGE);
        assert_false(t);
}

static char *write_temp(const char *contents) {
        const char *tmp = getenv("TMPDIR");
        char *path;
        int fd;

        assert_true(asprintf(&path, "%s/test-taint.XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, contents, strlen(contents)), (ssize_t) strlen(contents));
        assert_int_equal(close(fd), 0);
        return path;
}

static void test_taint_read_file(void **state) {
        char *path;
        bool t;

        path = write_temp("524288\n");
        t = false;
        assert_int_equal(taint_read(path, &t), 0);
        assert_true(t);
        assert_int_equal(unlink(path), 0);
        free(path);

        path = write_temp("4097\n");
        t = true;
        assert_int_equal(taint_read(path, &t), 0);
        assert_false(t);
        assert_int_equal(unlink(path), 0);
        free(path);

        path = write_temp("");
        assert_int_equal(taint_read(path, &t), -EINVAL);
        assert_int_equal(unlink(path), 0);
        free(path);
}

static void test_taint_read_missing(void **state) {
        bool t = false;

        assert_int_equal(taint_read("/nonexistent/fwctld-test/tainted", &t), -ENOENT);
        assert_false(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_taint_parse_zero),
                cmocka_unit_test(test_taint_parse_fwctl_only),
                cmocka_unit_test(test_taint_parse_other_bits),
                cmocka_unit_test(test_taint_parse_combined),
                cmocka_unit_test(test_taint_parse_garbage),
                cmocka_unit_test(test_taint_parse_empty),
                cmocka_unit_test(test_taint_parse_negative),
                cmocka_unit_test(test_taint_parse_overflow),
                cmocka_unit_test(test_taint_read_file),
                cmocka_unit_test(test_taint_read_missing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
