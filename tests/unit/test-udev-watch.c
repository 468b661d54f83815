/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <systemd/sd-event.h>
#include <umockdev.h>
#include <cmocka.h>

#include "device-identity.h"
#include "udev-watch.h"

/*
 * UdevWatch against a umockdev testbed (the test runs under umockdev-wrapper): coldplug through
 * udev_watch_enumerate(), hotplug through the sd_event loop. umockdev delivers a device's uevents
 * to the monitors listening when it is added, in order, so a "change" of a known device serves
 * as a marker: once it is reported, everything sent before it has been too.
 */

#define PCI_A "/sys/devices/pci0000:00/0000:03:00.0"
#define PCI_B "/sys/devices/pci0000:00/0000:05:00.0"
#define FWCTL0 PCI_A "/fwctl/fwctl0"
#define FWCTL1 PCI_B "/fwctl/fwctl1"

typedef struct Event {
        UdevAction action;
        bool coldplug;
        DeviceIdentity id;
} Event;

static struct {
        UMockdevTestbed *tb;
        sd_event *event;
        UdevWatch *watch;
        Event events[16];
        unsigned n_events;
} T;

static void on_uevent(UdevAction action, const DeviceIdentity *id, bool coldplug, void *userdata) {
        Event *e;

        assert_ptr_equal(userdata, &T);
        assert_true(T.n_events < sizeof(T.events) / sizeof(T.events[0]));
        e = &T.events[T.n_events++];
        e->action = action;
        e->coldplug = coldplug;
        /* The identity is borrowed for the call: a caller keeping it copies it, as here. */
        assert_int_equal(device_identity_copy(id, &e->id), 0);
}

static void events_clear(void) {
        for (unsigned i = 0; i < T.n_events; i++)
                device_identity_done(&T.events[i].id);
        T.n_events = 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void run_until_events(unsigned n) {
        uint64_t start = now_usec();

        while (T.n_events < n) {
                assert_true(now_usec() - start < 10 * 1000000u);
                assert_true(sd_event_run(T.event, 100 * 1000) >= 0);
        }
}

/* Sends a "change" for syspath and runs the loop until it is reported: the events before it are in. */
static void marker(const char *syspath) {
        unsigned before = T.n_events;

        umockdev_testbed_uevent(T.tb, syspath, "change");
        run_until_events(before + 1);
        assert_int_equal(T.n_events, before + 1);
        assert_int_equal(T.events[before].action, UDEV_ACTION_ADD);
        assert_false(T.events[before].coldplug);
        assert_string_equal(T.events[before].id.syspath, syspath);
        device_identity_done(&T.events[--T.n_events].id);
}

static void make_dir(const char *rel) {
        g_autofree char *root = umockdev_testbed_get_root_dir(T.tb);
        g_autofree char *path = g_build_filename(root, rel, NULL);

        assert_int_equal(g_mkdir_with_parents(path, 0755), 0);
}

static void add_record(const char *record) {
        g_autoptr(GError) error = NULL;

        if (!umockdev_testbed_add_from_string(T.tb, record, &error))
                fail_msg("umockdev: %s", error->message);
}

/* A PCI function bound to pci_driver; with aux_driver, the "<core>.fwctl.0" auxiliary device too. */
static void add_pci(const char *syspath, const char *pci_driver, const char *aux_driver) {
        g_autofree char *drv_dir = g_strdup_printf("sys/bus/pci/drivers/%s", pci_driver);
        g_autofree char *rec = NULL;

        make_dir(drv_dir);
        rec = g_strdup_printf("P: %s\nE: SUBSYSTEM=pci\nE: DRIVER=%s\nE: PCI_SLOT_NAME=%s\n"
                              "L: driver=../../../bus/pci/drivers/%s\n",
                              syspath + 4, pci_driver, strrchr(syspath, '/') + 1, pci_driver);
        add_record(rec);

        if (aux_driver) {
                g_autofree char *aux_dir = g_strdup_printf("sys/bus/auxiliary/drivers/%s", aux_driver);
                g_autofree char *aux = NULL;

                make_dir(aux_dir);
                aux = g_strdup_printf("P: %s/%s.fwctl.0\nE: SUBSYSTEM=auxiliary\nE: DRIVER=%s\n"
                                      "L: driver=../../../../bus/auxiliary/drivers/%s\n",
                                      syspath + 4, pci_driver, aux_driver, aux_driver);
                add_record(aux);
        }
}

/* The fwctl class device; devname NULL: udev gave no DEVNAME. minor < 0: no device number at all. */
static void add_fwctl(const char *syspath, int minor, const char *devname) {
        g_autofree char *rec = NULL;
        g_autofree char *num = minor >= 0 ? g_strdup_printf("E: MAJOR=240\nE: MINOR=%d\nA: dev=240:%d\n",
                                                           minor, minor) : g_strdup("");
        g_autofree char *name = devname ? g_strdup_printf("E: DEVNAME=%s\n", devname) : g_strdup("");

        rec = g_strdup_printf("P: %s\nE: SUBSYSTEM=fwctl\n%s%sL: device=../..\n", syspath + 4, num, name);
        add_record(rec);
}

static int setup(void **state) {
        T.tb = umockdev_testbed_new();
        assert_non_null(T.tb);
        assert_int_equal(sd_event_new(&T.event), 0);
        return 0;
}

static int teardown(void **state) {
        events_clear();
        T.watch = udev_watch_free(T.watch);
        T.event = sd_event_unref(T.event);
        g_clear_object(&T.tb);
        return 0;
}

static void assert_fwctl0(const Event *e, bool coldplug) {
        assert_int_equal(e->action, UDEV_ACTION_ADD);
        assert_int_equal(e->coldplug, coldplug);
        assert_string_equal(e->id.syspath, FWCTL0);
        assert_string_equal(e->id.name, "fwctl0");
        assert_string_equal(e->id.devnode, "/dev/fwctl/fwctl0");
        assert_int_equal(major(e->id.devnum), 240);
        assert_int_equal(minor(e->id.devnum), 0);
        assert_string_equal(e->id.parent, PCI_A);
        assert_string_equal(e->id.pci_address, "0000:03:00.0");
        /* The auxiliary "<core>.fwctl.N" child's driver, not the PCI function's. */
        assert_string_equal(e->id.driver, "mlx5_fwctl");
}

static void test_action_strings(void **state) {
        assert_string_equal(udev_action_to_string(UDEV_ACTION_ADD), "add");
        assert_string_equal(udev_action_to_string(UDEV_ACTION_REMOVE), "remove");
        assert_null(udev_action_to_string(_UDEV_ACTION_MAX));
        assert_null(udev_action_to_string(_UDEV_ACTION_INVALID));
        assert_int_equal(udev_action_from_string("add"), UDEV_ACTION_ADD);
        assert_int_equal(udev_action_from_string("remove"), UDEV_ACTION_REMOVE);
        /* The table's inverse only: change and bind mean ADD in the uevent handler, not here. */
        assert_int_equal(udev_action_from_string("change"), _UDEV_ACTION_INVALID);
        assert_int_equal(udev_action_from_string("bind"), _UDEV_ACTION_INVALID);
        assert_int_equal(udev_action_from_string(""), _UDEV_ACTION_INVALID);
        assert_int_equal(udev_action_from_string(NULL), _UDEV_ACTION_INVALID);
        assert_null(udev_find_fwctl_driver(NULL));
}

static void test_coldplug(void **state) {
        /* Present before the watch: only the enumeration can report it. */
        add_pci(PCI_A, "mlx5_core", "mlx5_fwctl");
        add_fwctl(FWCTL0, 0, "/dev/fwctl/fwctl0");
        /* No device number and no DEVNAME: nothing to open, not reported. */
        add_pci(PCI_B, "pds_core", NULL);
        add_fwctl(FWCTL1, -1, NULL);

        assert_int_equal(udev_watch_new(T.event, on_uevent, &T, &T.watch), 0);
        assert_int_equal(T.n_events, 0);
        assert_int_equal(udev_watch_enumerate(T.watch), 0);
        assert_int_equal(T.n_events, 1);
        assert_fwctl0(&T.events[0], true);

        /* Nothing queued on the monitor from before it existed. */
        marker(FWCTL0);
        assert_int_equal(T.n_events, 1);
}

static void test_hotplug(void **state) {
        assert_int_equal(udev_watch_new(T.event, on_uevent, &T, &T.watch), 0);
        assert_int_equal(udev_watch_enumerate(T.watch), 0);
        assert_int_equal(T.n_events, 0);

        /* The PCI and auxiliary uevents are filtered out: only the fwctl one is reported. */
        add_pci(PCI_A, "mlx5_core", "mlx5_fwctl");
        add_fwctl(FWCTL0, 0, "/dev/fwctl/fwctl0");
        run_until_events(1);
        assert_fwctl0(&T.events[0], false);

        /* change and bind: a device to (re)serve, with its full identity. */
        umockdev_testbed_uevent(T.tb, FWCTL0, "bind");
        umockdev_testbed_uevent(T.tb, FWCTL0, "change");
        run_until_events(3);
        assert_fwctl0(&T.events[1], false);
        assert_fwctl0(&T.events[2], false);

        /* Other actions are not ours to report. */
        umockdev_testbed_uevent(T.tb, FWCTL0, "unbind");
        umockdev_testbed_uevent(T.tb, FWCTL0, "offline");
        umockdev_testbed_uevent(T.tb, FWCTL0, "move");
        marker(FWCTL0);
        assert_int_equal(T.n_events, 3);

        umockdev_testbed_uevent(T.tb, FWCTL0, "remove");
        umockdev_testbed_remove_device(T.tb, FWCTL0);
        run_until_events(4);
        assert_int_equal(T.events[3].action, UDEV_ACTION_REMOVE);
        assert_false(T.events[3].coldplug);
        assert_string_equal(T.events[3].id.syspath, FWCTL0);
        assert_string_equal(T.events[3].id.name, "fwctl0");
        /* Gone from sysfs: syspath and name are all a removal carries. */
        assert_string_equal(T.events[3].id.devnode, "");
        assert_string_equal(T.events[3].id.parent, "");
        assert_string_equal(T.events[3].id.driver, "");
        assert_int_equal(T.events[3].id.devnum, 0);

        /* A gone device is gone from the enumeration too. */
        assert_int_equal(udev_watch_enumerate(T.watch), 0);
        assert_int_equal(T.n_events, 4);
}

static void test_devnode_fallback(void **state) {
        assert_int_equal(udev_watch_new(T.event, on_uevent, &T, &T.watch), 0);

        /* No DEVNAME from udev: the fwctl class always names its nodes fwctl/<name>. */
        add_pci(PCI_B, "pds_core", NULL);
        add_fwctl(FWCTL1, 1, NULL);
        run_until_events(1);
        assert_int_equal(T.events[0].action, UDEV_ACTION_ADD);
        assert_string_equal(T.events[0].id.devnode, "/dev/fwctl/fwctl1");
        assert_int_equal(T.events[0].id.devnum, makedev(240, 1));
        assert_string_equal(T.events[0].id.parent, PCI_B);
        assert_string_equal(T.events[0].id.pci_address, "0000:05:00.0");
        /* No auxiliary fwctl child: the parent's own driver serves it. */
        assert_string_equal(T.events[0].id.driver, "pds_core");

        assert_int_equal(udev_watch_enumerate(T.watch), 0);
        assert_int_equal(T.n_events, 2);
        assert_true(T.events[1].coldplug);
        assert_string_equal(T.events[1].id.devnode, "/dev/fwctl/fwctl1");

        /* Neither DEVNAME nor a device number: no node to serve, hotplugged or not. */
        add_pci(PCI_A, "mlx5_core", NULL);
        add_fwctl(FWCTL0, -1, NULL);
        marker(FWCTL1);
        assert_int_equal(T.n_events, 2);
}

/* Listening starts in udev_watch_new(): a device added before the enumeration is reported by both. */
static void test_no_gap(void **state) {
        assert_int_equal(udev_watch_new(T.event, on_uevent, &T, &T.watch), 0);
        add_pci(PCI_A, "mlx5_core", "mlx5_fwctl");
        add_fwctl(FWCTL0, 0, "/dev/fwctl/fwctl0");

        assert_int_equal(udev_watch_enumerate(T.watch), 0);
        assert_int_equal(T.n_events, 1);
        assert_fwctl0(&T.events[0], true);
        run_until_events(2);
        assert_fwctl0(&T.events[1], false);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_action_strings),
                cmocka_unit_test_setup_teardown(test_coldplug, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hotplug, setup, teardown),
                cmocka_unit_test_setup_teardown(test_devnode_fallback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_gap, setup, teardown),
        };
        const char *preload = getenv("LD_PRELOAD");

        /* Without the preload, libudev would see the real /sys and no uevents. */
        if (!preload || !strstr(preload, "umockdev-preload")) {
                fprintf(stderr, "test-udev-watch: not under umockdev-wrapper, skipping\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
