/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "bus-context.h"
#include "types.h"

/*
 * The system bus side of the Manager object: connects, serves org.freedesktop.fwctl1.Manager
 * and the ObjectManager, listens to the manager's events, and takes the bus name once the
 * manager is ready. Device objects live in bus-device.c.
 */
int bus_manager_new(Manager *m, sd_event *e, BusContext **ret);
BusContext *bus_manager_free(BusContext *b);

static inline void bus_manager_freep(BusContext **b) {
        if (*b)
                (void) bus_manager_free(*b);
}
