/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fwctld/fwctl-uapi.h>

#include "device-identity.h"
#include "device.h"
#include "policy.h"
#include "util.h"

#define SYSPATH "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/fwctl/fwctl0"
#define PARENT "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0"
#define PCI "0000:03:00.0"
#define DEVNODE "/dev/fwctl/fwctl0"

/* The identity udev reports for a device; any field may be NULL. */
static int new_device_full(const char *syspath, const char *name, const char *devnode, const char *parent,
                           const char *pci, const char *driver, Device **ret) {
        const DeviceIdentity id = {
                .syspath = (char *) syspath,
                .name = (char *) name,
                .devnode = (char *) devnode,
                .parent = (char *) parent,
                .pci_address = (char *) pci,
                .driver = (char *) driver,
        };

        return device_new(&id, NULL, ret);
}

static Device *new_device(void) {
        Device *d = NULL;

        assert_int_equal(new_device_full(SYSPATH, "fwctl0", DEVNODE, PARENT, PCI, "mlx5_fwctl", &d), 0);
        assert_non_null(d);
        return d;
}

static void test_device_new(void **state) {
        Device *d = new_device();

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
        assert_null(d->policy);
        assert_int_equal(d->devnum, 0);
        assert_false(d->attached);
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
        assert_int_equal(new_device_full("/sys/devices/virtual/fwctl/fwctl7", "fwctl7", "/dev/fwctl/fwctl7", NULL, NULL,
                                         NULL, &d),
                         0);
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

        assert_int_equal(new_device_full(NULL, "fwctl0", DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(new_device_full("", "fwctl0", DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(new_device_full(SYSPATH, NULL, DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(new_device_full(SYSPATH, "", DEVNODE, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(new_device_full(SYSPATH, "fwctl0", NULL, PARENT, PCI, NULL, &d), -EINVAL);
        assert_int_equal(new_device_full(SYSPATH, "fwctl0", "", PARENT, PCI, NULL, &d), -EINVAL);
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

static void test_device_matches_sysfs_forms(void **state) {
        Device *d = new_device();

        /* The class and bus links, read as names: nothing on this host has to exist. */
        assert_true(device_matches(d, "/sys/class/fwctl/fwctl0"));
        assert_true(device_matches(d, "/sys/bus/pci/devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/class/fwctl/fwctl1"));
        assert_false(device_matches(d, "/sys/class/fwctl/fwctl0/device"));
        assert_false(device_matches(d, "/sys/class/fwctl/"));
        assert_false(device_matches(d, "/sys/class/fwctl"));
        assert_false(device_matches(d, "/sys/class/net/fwctl0"));
        assert_false(device_matches(d, "/sys/bus/pci/devices/0000:04:00.0"));
        assert_false(device_matches(d, "/sys/bus/pci/devices/0000:03:00.0/fwctl"));
        assert_false(device_matches(d, "/sys/bus/pci/drivers/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/bus/pci/devices/"));
        assert_false(device_matches(d, "/sys/bus/pci"));
        assert_false(device_matches(d, "/sys/bus/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/devices/pci0000:00/0000:00:02.0"));
        assert_false(device_matches(d, "/sys/fwctl0"));
        assert_false(device_matches(d, "/dev/fwctl0"));

        /* Never resolved: any ".", ".." or empty component names nothing, whatever it would reach. */
        assert_false(device_matches(d, "/sys/class/fwctl/../fwctl/fwctl0"));
        assert_false(device_matches(d, "/sys/class/fwctl/./fwctl0"));
        assert_false(device_matches(d, "/sys/class/fwctl//fwctl0"));
        assert_false(device_matches(d, "/sys/class/fwctl/fwctl0/"));
        assert_false(device_matches(d, "/sys/class/fwctl/fwctl0/."));
        assert_false(device_matches(d, "/sys//class/fwctl/fwctl0"));
        assert_false(device_matches(d, "/sys/../sys/class/fwctl/fwctl0"));
        assert_false(device_matches(d, "/sys/../dev/fwctl/fwctl0"));
        assert_false(device_matches(d, "/sys/../etc/passwd"));
        assert_false(device_matches(d, "/sys/.."));
        assert_false(device_matches(d, "/sys/bus/pci/devices/../devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/bus/./devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/bus//devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/fwctl/../fwctl/fwctl0"));
        assert_false(device_matches(d, "/sys/devices/pci0000:00/0000:00:02.0/../0000:00:02.0/0000:03:00.0"));
        assert_false(device_matches(d, SYSPATH "/"));
        assert_false(device_matches(d, SYSPATH "/.."));
        assert_false(device_matches(d, PARENT "/."));
        assert_false(device_matches(d, PARENT "/fwctl/fwctl0/../fwctl0"));
        assert_false(device_matches(d, "/dev/fwctl/../fwctl/fwctl0"));
        assert_false(device_matches(d, "//sys/class/fwctl/fwctl0"));
        assert_false(device_matches(d, "/"));
        device_unref(d);
}

static void test_device_matches_auxiliary_parent(void **state) {
        Device *d = NULL;

        /* mlx5, bnxt, pds: the parent is the auxiliary device below the PCI function. */
        assert_int_equal(new_device_full("/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/mlx5_core.fwctl.0/fwctl/fwctl2",
                                         "fwctl2", "/dev/fwctl/fwctl2",
                                         "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/mlx5_core.fwctl.0", PCI,
                                         "mlx5_fwctl", &d),
                         0);
        assert_true(device_matches(d, "/sys/bus/auxiliary/devices/mlx5_core.fwctl.0"));
        assert_true(device_matches(d, "/sys/bus/pci/devices/0000:03:00.0"));
        assert_true(device_matches(d, "/sys/class/fwctl/fwctl2"));
        assert_true(device_matches(d, PCI));
        /* The PCI address names the device on the pci bus only. */
        assert_false(device_matches(d, "/sys/bus/auxiliary/devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/bus/pcie/devices/0000:03:00.0"));
        assert_false(device_matches(d, "/sys/bus/pci/devices/mlx5_core.fwctl.1"));
        device_unref(d);

        /* No parent, no PCI address: only the name, the node and the syspath forms. */
        assert_int_equal(new_device_full("/sys/devices/virtual/fwctl/fwctl7", "fwctl7", "/dev/fwctl/fwctl7", NULL, NULL,
                                         NULL, &d),
                         0);
        assert_true(device_matches(d, "/sys/class/fwctl/fwctl7"));
        assert_true(device_matches(d, "/sys/devices/virtual/fwctl/fwctl7"));
        assert_false(device_matches(d, "/sys/bus/pci/devices/"));
        assert_false(device_matches(d, "/sys/bus/virtual/devices/fwctl7"));
        device_unref(d);
}

/* A device whose syspath is a real directory of this host's sysfs: the old realpath() lookup
 * followed ".." (and symlinks) there; a lexical match must not. */
static void test_device_matches_never_resolves(void **state) {
        char *real = realpath("/sys/class/net/lo", NULL), *dotdot = NULL;
        Device *d = NULL;

        if (!real || strncmp(real, "/sys/devices/", 13) != 0) {
                free(real);
                skip();
        }
        assert_int_equal(new_device_full(real, "fwctl9", "/dev/fwctl/fwctl9", NULL, NULL, NULL, &d), 0);
        assert_true(device_matches(d, real));

        assert_false(device_matches(d, "/sys/class/net/lo"));
        assert_false(device_matches(d, "/sys/class/net/../net/lo"));
        assert_true(asprintf(&dotdot, "/sys/../sys%s", real + 4) > 0);
        assert_false(device_matches(d, dotdot));
        free(dotdot);
        assert_true(asprintf(&dotdot, "%s/../%s", real, strrchr(real, '/') + 1) > 0);
        assert_false(device_matches(d, dotdot));
        free(dotdot);

        device_unref(d);
        free(real);
}

/* A probe of a device on a given node and device number; returns device_probe()'s result. */
static int probe(const char *devnode, dev_t devnum) {
        Device *d = NULL;
        int r;

        assert_int_equal(new_device_full(SYSPATH, "fwctl0", devnode, PARENT, PCI, "mlx5_fwctl", &d), 0);
        d->devnum = devnum;
        /* Every case here fails before a plugin is looked up: no plugins needed. */
        r = device_probe(d, NULL, 0);
        /* Refused or failed: the device holds no fd. */
        assert_true(d->fd < 0);
        device_unref(d);
        return r;
}

static void test_device_probe_checks_node(void **state) {
        struct stat st;
        char path[PATH_MAX];
        const char *tmp = getenv("TMPDIR");
        int fd;

        if (stat("/dev/null", &st) < 0 || !S_ISCHR(st.st_mode))
                skip();

        /* The node udev announced: the probe goes on to FWCTL_INFO, which /dev/null answers ENOTTY. */
        assert_int_equal(probe("/dev/null", st.st_rdev), -ENOTTY);

        /* Another device number than the one udev announced: refused before any ioctl. */
        assert_int_equal(probe("/dev/null", makedev(major(st.st_rdev), minor(st.st_rdev) + 1)), -ENXIO);
        assert_int_equal(probe("/dev/null", makedev(238, 0)), -ENXIO);
        /* No number from udev: nothing to check against, so not served. */
        assert_int_equal(probe("/dev/null", 0), -ENXIO);

        /* A regular file where the node should be, with or without a number. */
        assert_true((size_t) snprintf(path, sizeof(path), "%s/test-device-node.XXXXXX",
                                      tmp && *tmp ? tmp : "/tmp") < sizeof(path));
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(probe(path, st.st_rdev), -ENXIO);
        assert_int_equal(probe(path, 0), -ENXIO);
        assert_int_equal(unlink(path), 0);

        /* A missing node fails the open, as before. */
        assert_int_equal(probe("/nonexistent/fwctl/fwctl0", st.st_rdev), -ENOENT);
}

/* The identity is copied whole, the device number included; the policy is borrowed. */
static void test_device_new_identity(void **state) {
        char syspath[] = SYSPATH, name[] = "fwctl0", devnode[] = DEVNODE;
        DeviceIdentity id = {
                .syspath = syspath,
                .name = name,
                .devnode = devnode,
                .devnum = makedev(511, 3),
                .parent = (char *) PARENT,
                .pci_address = (char *) PCI,
                .driver = (char *) "cxl_fwctl",
        };
        Policy *policy = NULL;
        Device *d = NULL;

        assert_int_equal(policy_new(NULL, NULL, "/nonexistent/tainted", &policy), 0);
        assert_int_equal(device_new(&id, policy, &d), 0);
        assert_ptr_equal(d->policy, policy);
        assert_true(d->devnum == makedev(511, 3));
        assert_string_equal(d->driver, "cxl_fwctl");

        /* The caller's strings may go away: the device holds copies. */
        assert_ptr_not_equal(d->syspath, syspath);
        assert_ptr_not_equal(d->name, name);
        assert_ptr_not_equal(d->devnode, devnode);
        memset(syspath, 'x', sizeof(syspath) - 1);
        memset(name, 'x', sizeof(name) - 1);
        memset(devnode, 'x', sizeof(devnode) - 1);
        assert_string_equal(d->syspath, SYSPATH);
        assert_string_equal(d->name, "fwctl0");
        assert_string_equal(d->devnode, DEVNODE);
        assert_true(device_matches(d, "fwctl0"));
        device_unref(d);
        policy_free(policy);
}

static void test_device_identity_copy(void **state) {
        const DeviceIdentity src = {
                .syspath = (char *) SYSPATH,
                .name = (char *) "fwctl0",
                .devnode = (char *) DEVNODE,
                .devnum = makedev(511, 0),
        };
        DeviceIdentity copy;

        assert_int_equal(device_identity_copy(&src, &copy), 0);
        assert_string_equal(copy.syspath, SYSPATH);
        assert_ptr_not_equal(copy.syspath, src.syspath);
        assert_string_equal(copy.name, "fwctl0");
        assert_string_equal(copy.devnode, DEVNODE);
        assert_true(copy.devnum == makedev(511, 0));
        /* NULL strings become "". */
        assert_string_equal(copy.parent, "");
        assert_string_equal(copy.pci_address, "");
        assert_string_equal(copy.driver, "");

        device_identity_done(&copy);
        assert_null(copy.syspath);
        assert_null(copy.driver);
        assert_int_equal(copy.devnum, 0);
        /* Idempotent. */
        device_identity_done(&copy);
}

static void test_device_state_to_string(void **state) {
        assert_string_equal(device_state_to_string(DEVICE_PROBING), "probing");
        assert_string_equal(device_state_to_string(DEVICE_READY), "ready");
        assert_string_equal(device_state_to_string(DEVICE_GONE), "gone");
        for (DeviceState s = 0; s < _DEVICE_STATE_MAX; s++)
                assert_non_null(device_state_to_string(s));
        assert_null(device_state_to_string(_DEVICE_STATE_MAX));
        assert_null(device_state_to_string(_DEVICE_STATE_INVALID));
        assert_null(device_state_to_string((DeviceState) -1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_new),
                cmocka_unit_test(test_device_new_optional),
                cmocka_unit_test(test_device_new_invalid),
                cmocka_unit_test(test_device_new_identity),
                cmocka_unit_test(test_device_identity_copy),
                cmocka_unit_test(test_device_state_to_string),
                cmocka_unit_test(test_device_matches),
                cmocka_unit_test(test_device_matches_sysfs_forms),
                cmocka_unit_test(test_device_matches_auxiliary_parent),
                cmocka_unit_test(test_device_matches_never_resolves),
                cmocka_unit_test(test_device_probe_checks_node),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
