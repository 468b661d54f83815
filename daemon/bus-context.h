/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "names.h"
#include "session.h"
#include "types.h"

/* Who a connected client is, asked of the bus once per connection (unique names are never reused). */
typedef struct BusCreds BusCreds;
struct BusCreds {
        char *sender;
        uid_t uid;
        pid_t pid;
        char *unit;
        BusCreds *prev, *next;
};

/* The bus layer's state, shared by bus-manager.c, bus-device.c and bus-session.c. */
typedef struct BusContext {
        Manager *manager;
        sd_bus *bus;
        sd_bus_slot *name_owner_slot;
        bool name_requested;
        BusCreds *creds; /* of connected clients; forgotten when they disconnect */
} BusContext;

/* A session's object path (malloc()ed). */
static inline int bus_session_path(const Session *s, char **ret) {
        return asprintf(ret, FWCTLD_SESSION_PATH_PREFIX "/%" PRIu64, s->id) < 0 ? -ENOMEM : 0;
}
