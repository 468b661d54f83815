/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "hashmap.h"
#include "names.h"
#include "session.h"
#include "types.h"

/* The bus layer's state, shared by bus-manager.c, bus-device.c and bus-session.c. */
typedef struct BusContext {
        Manager *manager;
        sd_bus *bus;             /* the name, the objects, the calls */
        /* What fwctld asks the bus and polkit (who a caller is, CheckAuthorization) goes out
         * on a connection of its own: their answers must not queue behind the calls that
         * the bus holds for the first connection, which a flood of 2 MiB calls fills. */
        sd_bus *control;
        sd_bus_slot *name_owner_slot;
        bool name_requested;
        Hashmap *callers;        /* who each client is, by unique name (bus-caller.c) */
        uint64_t waiting_bytes;  /* held by calls whose caller is not known yet */
} BusContext;

/* A session's object path (malloc()ed). */
static inline int bus_session_path(const Session *s, char **ret) {
        return asprintf(ret, FWCTLD_SESSION_PATH_PREFIX "/%" PRIu64, s->id) < 0 ? -ENOMEM : 0;
}
