/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "device-type.h"

static void test_device_type_to_string(void **state) {
        assert_string_equal(device_type_to_string(0), "unknown");
        assert_string_equal(device_type_to_string(1), "mlx5");
        assert_string_equal(device_type_to_string(2), "cxl");
        assert_string_equal(device_type_to_string(3), "bnxt");
        assert_string_equal(device_type_to_string(4), "pds");
        assert_string_equal(device_type_to_string(5), "unknown");
        assert_string_equal(device_type_to_string(8), "unknown");
        assert_string_equal(device_type_to_string(UINT32_MAX), "unknown");

        /* The names follow the kernel's numbers. */
        assert_string_equal(device_type_to_string(FWCTL_DEVICE_TYPE_ERROR), "unknown");
        assert_string_equal(device_type_to_string(FWCTL_DEVICE_TYPE_MLX5), "mlx5");
        assert_string_equal(device_type_to_string(FWCTL_DEVICE_TYPE_CXL), "cxl");
        assert_string_equal(device_type_to_string(FWCTLD_DEVICE_TYPE_BNXT), "bnxt");
        assert_string_equal(device_type_to_string(FWCTL_DEVICE_TYPE_PDS), "pds");
}

static void test_device_type_is_known(void **state) {
        assert_false(device_type_is_known(0));
        assert_true(device_type_is_known(1));
        assert_true(device_type_is_known(2));
        assert_true(device_type_is_known(3));
        assert_true(device_type_is_known(4));
        assert_false(device_type_is_known(5));
        assert_false(device_type_is_known(8));
        assert_false(device_type_is_known(0x100));
        assert_false(device_type_is_known(UINT32_MAX));

        /* Known exactly when it has a name. */
        for (uint32_t t = 0; t < 64; t++)
                assert_int_equal(device_type_is_known(t), strcmp(device_type_to_string(t), "unknown") != 0);
}

/* What a deny rule may name: the names above and "unknown"; nothing else, no case folding. */
static void test_device_type_name_is_valid(void **state) {
        for (uint32_t t = 0; t < 64; t++)
                assert_true(device_type_name_is_valid(device_type_to_string(t)));
        assert_true(device_type_name_is_valid("unknown"));
        assert_false(device_type_name_is_valid("mxl5"));
        assert_false(device_type_name_is_valid("MLX5"));
        assert_false(device_type_name_is_valid(""));
        assert_false(device_type_name_is_valid("*"));
        assert_false(device_type_name_is_valid(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_type_to_string),
                cmocka_unit_test(test_device_type_is_known),
                cmocka_unit_test(test_device_type_name_is_valid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
