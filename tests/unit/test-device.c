/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "device.h"
#include "util.h"

#define SYSPATH "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/fwctl/fwctl0"
#define PARENT "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0"
#define PCI "0000:03:00.0"
#define DEVNODE "/dev/fwctl/fwctl0"

static Device *new_device(void) {
        Device *d = NULL;

        assert_int_equal(device_new(NULL, SYSPATH, "fwctl0", DEVNODE, PARENT, PCI, "mlx5_fwctl", &d), 0);
        assert_non_null(d);
        return d;
}

static void test_device_new(void **state) {
        Device *d = new_device();

        assert_string_equal(d->object_path, "/org/freedesktop/fwctl1/device/fwctl0");
        assert_string_equal(d->name, "fwctl0");
        assert_string_equal(d->syspath, SYSPATH);
        assert_string_equal(d->devnode, DEVNODE);
        assert_string_equal(d->parent, PARENT);
        assert_string_equal(d->pci_address, PCI);
        assert_string_equal(d->driver, "mlx5_fwctl");
        assert_int_equal(d->state, DEVICE_PROBING);
        assert_true(d->fd < 0);
        assert_int_equal(d->n_ref, 1);
        assert_null(d->plugin);
        assert_string_equal(device_plugin_name(d), "");

        assert_ptr_equal(device_ref(d), d);
        assert_int_equal(d->n_ref, 2);
        assert_null(device_unref(d));
        assert_int_equal(d->n_ref, 1);
        assert_null(device_unref(d));
        assert_null(device_unref(NULL));
}

static void test_device_new_optional(void **state) {
        Device *d = NULL;

        /* Parent, PCI address and driver may be missing (a non-PCI parent). */
        assert_int_equal(device_new(NULL, "/sys/devices/virtual/fwctl/fwctl7", "fwctl7", "/dev/fwctl/fwctl7", NULL,
                                    NULL, NULL, &d),
                         0);
        assert_string_equal(d->object_path, "/org/freedesktop/fwctl1/device/fwctl7");
        assert_string_equal(d->parent, "");
        assert_string_equal(d->pci_address, "");
        assert_string_equal(d->driver, "");
        /* Empty parent/PCI fields must not match an empty or unrelated string. */
        assert_false(device_matches(d, ""));
        assert_false(device_matches(d, PCI));
        assert_true(device_matches(d, "fwctl7"));
        device_unref(d);
}

static void test_device_new_invalid(void **state) {
        Device *d = NULL;

        assert_int_equal(device_new(NULL, NULL, "fwctl0", DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(device_new(NULL, "", "fwctl0", DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(device_new(NULL, SYSPATH, NULL, DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(device_new(NULL, SYSPATH, "", DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(device_new(NULL, SYSPATH, "fwctl0", NULL, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(device_new(NULL, SYSPATH, "fwctl0", "", PARENT, PCI, NULL, &d), -EINVAL);
        /* Output untouched on failure. */
        assert_null(d);
}

static void test_device_matches(void **state) {
        Device *d = new_device();

        assert_true(device_matches(d, "fwctl0"));
        assert_true(device_matches(d, PCI));
        assert_true(device_matches(d, PARENT));
        assert_true(device_matches(d, SYSPATH));
        assert_true(device_matches(d, DEVNODE));

        assert_false(device_matches(d, ""));
        assert_false(device_matches(d, NULL));
        assert_false(device_matches(d, "0000:04:00.0"));
        assert_false(device_matches(d, "fwctl1"));
        assert_false(device_matches(d, "fwctl"));
        assert_false(device_matches(d, "0000:03:00"));
        assert_false(device_matches(d, PARENT "/"));
        assert_false(device_matches(d, "mlx5_fwctl"));
        device_unref(d);
}

static void test_device_type_to_string(void **state) {
        assert_string_equal(device_type_to_string(0), "unknown");
        assert_string_equal(device_type_to_string(1), "mlx5");
        assert_string_equal(device_type_to_string(2), "cxl");
        assert_string_equal(device_type_to_string(3), "bnxt");
        assert_string_equal(device_type_to_string(4), "pds");
        assert_string_equal(device_type_to_string(5), "unknown");
        assert_string_equal(device_type_to_string(8), "unknown");
        assert_string_equal(device_type_to_string(UINT32_MAX), "unknown");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_new),
                cmocka_unit_test(test_device_new_optional),
                cmocka_unit_test(test_device_new_invalid),
                cmocka_unit_test(test_device_matches),
                cmocka_unit_test(test_device_type_to_string),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
