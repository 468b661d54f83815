/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "types.h"

/* The only files that read or build D-Bus messages: bus-manager.c and bus-device.c. */

int bus_setup(Manager *m);
int bus_device_setup(Manager *m);

void bus_manager_emit_tainted_changed(Manager *m);
void bus_device_emit_added(Device *d);
void bus_device_emit_removed(Device *d);

void bus_call_reply_error(Call *c, const char *name, const char *message);
void bus_call_reply_rpc(Call *c);
void bus_call_reply_execute(Call *c);

extern const sd_bus_error_map fwctld_bus_errors[];
