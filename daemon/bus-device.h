/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-context.h"
#include "call.h"
#include "manager.h"
#include "types.h"

/* org.freedesktop.fwctl1.Device objects, the Rpc/Execute doors, and the polkit adapter. */
int bus_device_setup(BusContext *b);

/* The object path of a device (malloc()ed). */
int bus_device_path(const Device *d, char **ret);
void bus_device_emit_added(BusContext *b, Device *d);
void bus_device_emit_removed(BusContext *b, Device *d);

/* The manager's authorizer: polkit for the caller, with the call's details. */
void bus_device_authorizer(BusContext *b, ManagerAuthorizer *ret);

/* Read an Rpc, RpcFd or Execute call (by the message's member); with_scope:
 * the Device doors carry a scope, the Session's use the session's. */
int bus_device_read_call(sd_bus_message *message, Device *d, bool with_scope, Call **ret, sd_bus_error *error);
/* Fill the caller (asked of the bus once per connection, asynchronously) and hand the call to
 * the manager: to the Device doors (session_id 0) or to that session. Takes c. */
int bus_device_submit(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id);
/* Every call's completion: the answer, then the message ref it holds is dropped. */
void bus_device_call_done(Call *c, void *userdata);
/* The BusContext of the vtable being dispatched. */
BusContext *bus_device_current_context(sd_bus_message *message);

/* The D-Bus error name of a domain error. */
const char *bus_device_error_name(CallError e);

extern const sd_bus_error_map fwctld_bus_errors[];
