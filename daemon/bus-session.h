/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bus-context.h"
#include "types.h"

/* org.freedesktop.fwctl1.Session objects, usable by the connection that opened them only. */
int bus_session_setup(BusContext *b);
