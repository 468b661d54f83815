/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "types.h"

/* The bus layer's state, shared by bus-manager.c and bus-device.c. */
typedef struct BusContext {
        Manager *manager;
        sd_bus *bus;
        sd_bus_slot *name_owner_slot;
        bool name_requested;
} BusContext;
