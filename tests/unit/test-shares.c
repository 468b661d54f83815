/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "names.h"
#include "shares.h"
#include "util.h"

/* Fair shares: per-uid calls, bytes and checks, the global caps, root's and the floors' exemptions. */

#define MIB (1024ull * 1024ull)

static const ShareLimits small = {
        .calls_per_uid = 4,
        .bytes_per_uid = 40 * MIB,
        .bytes_total = 64 * MIB,
        .bytes_guaranteed = 8 * MIB,
        .checks_per_uid = 3,
        .checks_total = 6,
        .checks_reserve = 2,
};

static void test_calls_per_uid(void **state) {
        Shares *s = NULL;
        const char *why = NULL;

        assert_int_equal(shares_new(&small, &s), 0);
        for (unsigned i = 0; i < 4; i++)
                assert_int_equal(shares_admit_call(s, 1000, 1, &why), 0);
        assert_int_equal(shares_admit_call(s, 1000, 1, &why), -EBUSY);
        assert_non_null(strstr(why, "too many calls"));
        /* root is limited too, on its own share */
        for (unsigned i = 0; i < 4; i++)
                assert_int_equal(shares_admit_call(s, 0, 1, NULL), 0);
        assert_int_equal(shares_admit_call(s, 0, 1, NULL), -EBUSY);
        assert_int_equal(shares_calls(s, 1000), 4);

        shares_release_call(s, 1000, 1);
        assert_int_equal(shares_admit_call(s, 1000, 1, NULL), 0);
        for (unsigned i = 0; i < 4; i++) {
                shares_release_call(s, 1000, 1);
                shares_release_call(s, 0, 1);
        }
        assert_int_equal(shares_calls(s, 1000), 0);
        assert_int_equal(shares_total_bytes(s), 0);
        shares_free(s);
}

static void test_bytes(void **state) {
        Shares *s = NULL;
        const char *why = NULL;

        assert_int_equal(shares_new(&small, &s), 0);
        /* per uid */
        assert_int_equal(shares_admit_call(s, 1000, 30 * MIB, NULL), 0);
        assert_int_equal(shares_admit_call(s, 1000, 11 * MIB, &why), -EBUSY);
        assert_non_null(strstr(why, "hold too much"));
        /* all together: 1001 fills the rest of the 64 MiB ... */
        assert_int_equal(shares_admit_call(s, 1001, 30 * MIB, NULL), 0);
        assert_int_equal(shares_admit_call(s, 1001, 5 * MIB, &why), -EBUSY);
        assert_non_null(strstr(why, "in flight"));
        /* ... but a third uid still gets its guaranteed floor, and root its whole share */
        assert_int_equal(shares_admit_call(s, 1002, 8 * MIB, NULL), 0);
        assert_int_equal(shares_admit_call(s, 1002, 1, NULL), -EBUSY);
        assert_int_equal(shares_admit_call(s, 0, 40 * MIB, NULL), 0);
        assert_int_equal(shares_total_bytes(s), 108 * MIB);

        shares_release_call(s, 1000, 30 * MIB);
        shares_release_call(s, 1001, 30 * MIB);
        shares_release_call(s, 1002, 8 * MIB);
        shares_release_call(s, 0, 40 * MIB);
        assert_int_equal(shares_total_bytes(s), 0);
        assert_int_equal(shares_bytes(s, 1000), 0);
        shares_free(s);
}

/* A call admitted may grow (its reply buffer, once classified) under the same caps. */
static void test_admit_bytes(void **state) {
        Shares *s = NULL;
        const char *why = NULL;

        assert_int_equal(shares_new(&small, &s), 0);
        assert_int_equal(shares_admit_call(s, 1000, 10 * MIB, NULL), 0);
        assert_int_equal(shares_admit_bytes(s, 1000, 20 * MIB, NULL), 0);
        assert_int_equal(shares_calls(s, 1000), 1);
        assert_int_equal(shares_bytes(s, 1000), 30 * MIB);
        assert_int_equal(shares_admit_bytes(s, 1000, 11 * MIB, &why), -EBUSY);
        assert_non_null(strstr(why, "hold too much"));
        assert_int_equal(shares_bytes(s, 1000), 30 * MIB);
        /* the global cap, with the floor of another uid */
        assert_int_equal(shares_admit_call(s, 1001, 30 * MIB, NULL), 0);
        assert_int_equal(shares_admit_call(s, 1002, 1 * MIB, NULL), 0);
        assert_int_equal(shares_admit_bytes(s, 1002, 7 * MIB, NULL), 0);
        assert_int_equal(shares_admit_bytes(s, 1002, 1, &why), -EBUSY);
        assert_non_null(strstr(why, "in flight"));
        /* released with the total */
        shares_release_call(s, 1000, 30 * MIB);
        shares_release_call(s, 1001, 30 * MIB);
        shares_release_call(s, 1002, 8 * MIB);
        assert_int_equal(shares_total_bytes(s), 0);
        assert_int_equal(shares_calls(s, 1002), 0);
        shares_free(s);
}

static void test_checks(void **state) {
        Shares *s = NULL;
        const char *why = NULL;

        assert_int_equal(shares_new(&small, &s), 0);
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(shares_admit_check(s, 1000, NULL), 0);
        assert_int_equal(shares_admit_check(s, 1000, &why), -EBUSY);
        assert_non_null(strstr(why, "for this user"));
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(shares_admit_check(s, 1001, NULL), 0);
        assert_int_equal(shares_total_checks(s), 6);
        /* the total is reached: a uid with fewer than 2 checks may use the reserve */
        assert_int_equal(shares_admit_check(s, 1002, NULL), 0);
        assert_int_equal(shares_admit_check(s, 1002, NULL), 0);
        assert_int_equal(shares_admit_check(s, 1002, &why), -EBUSY);
        assert_non_null(strstr(why, "in flight"));
        /* the reserve is finite */
        assert_int_equal(shares_admit_check(s, 1003, NULL), -EBUSY);
        assert_int_equal(shares_checks(s, 1002), 2);

        for (unsigned i = 0; i < 3; i++) {
                shares_release_check(s, 1000);
                shares_release_check(s, 1001);
        }
        shares_release_check(s, 1002);
        shares_release_check(s, 1002);
        assert_int_equal(shares_total_checks(s), 0);
        shares_free(s);
}

/* The daemon's defaults keep polkit checks well below dbus-daemon's 128 pending replies. */
static void test_defaults(void **state) {
        assert_true(shares_limits_default.checks_total + shares_limits_default.checks_reserve < 128);
        assert_true(shares_limits_default.checks_per_uid <= shares_limits_default.checks_total);
        assert_true(shares_limits_default.bytes_guaranteed < shares_limits_default.bytes_per_uid);
        assert_int_equal(shares_limits_default.calls_per_uid, FWCTLD_MAX_CALLS_PER_UID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_calls_per_uid),
                cmocka_unit_test(test_bytes),
                cmocka_unit_test(test_admit_bytes),
                cmocka_unit_test(test_checks),
                cmocka_unit_test(test_defaults),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
