/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-context.h"
#include "call.h"
#include "names.h"

/*
 * Who sent a call: asked of the bus daemon (GetConnectionCredentials), never taken from
 * anything the caller says; asked once per connection, without blocking the loop, and
 * remembered until the connection goes. Until the answer comes, that connection's calls
 * wait here in their order: a bounded number per connection and a bounded number of bytes
 * in all, because nothing can be charged to a uid before the uid is known.
 */

/* A connection may pipeline as many calls as its uid may have in progress (a client that
 * sends them all at once must not see Busy just because the bus has not answered yet). */
#define BUS_CALLER_WAITING_PER_SENDER FWCTLD_MAX_CALLS_PER_UID
#define BUS_CALLER_WAITING_BYTES_MAX (64ull * 1024 * 1024)
/* Below the D-Bus default method timeout (25 s): a caller stuck behind a congested bus
 * gets Busy from us, not a timeout from its library. */
#define BUS_CALLER_QUERY_TIMEOUT_USEC (20ull * 1000 * 1000)

/* Where a call goes once its caller is filled in. */
typedef void (*BusCallerDispatch)(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id);

/* Fill c's caller and dispatch it, now or when the bus answers; or answer message with an
 * error (Busy when the waiting room is full). Takes c. */
int bus_caller_submit(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id,
                      BusCallerDispatch dispatch);
/* A client left: forget who it was, drop what it has waiting. */
void bus_caller_forget(BusContext *b, const char *sender);
/* fwctld stops: answer what waits (Busy: it did not run), forget everyone. */
void bus_caller_forget_all(BusContext *b);
