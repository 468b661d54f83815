/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

/*
 * A private dbus-daemon for a unit test: started in a fresh directory under $TMPDIR, with no
 * service directories (a name nobody owns fails at once) and a policy that allows everything,
 * eavesdropping and monitoring included. It dies with the test (PR_SET_PDEATHSIG).
 */

typedef struct PrivateBus {
        char dir[256];
        pid_t daemon;
        char address[256];
} PrivateBus;

/* -ENOENT when there is no dbus-daemon or it did not start: the test should skip (77).
 * name prefixes the directory. Call private_bus_stop() either way. */
int private_bus_start(PrivateBus *pb, const char *name);
void private_bus_stop(PrivateBus *pb);

struct CMUnitTest;
/* main() of a test program whose group needs the bus: starts pb (no bus: says why and
 * returns 77, skipped), runs the group with cmocka, stops pb. */
int private_bus_run_group(PrivateBus *pb, const char *name, const struct CMUnitTest *tests, size_t n_tests,
                          int (*group_setup)(void **state), int (*group_teardown)(void **state));

/* A client connection (cmocka-asserted), attached to event unless it is NULL. */
sd_bus *private_bus_connect(const PrivateBus *pb, sd_event *event);

/* Runs event until *counter reaches target; fails the test after 10 s. Returns the time it took. */
uint64_t private_bus_run_until(sd_event *event, const unsigned *counter, unsigned target);
