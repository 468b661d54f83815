/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "types.h"

/* Structured journal records; the MESSAGE_IDs are in names.h and the catalog. */
void audit_rpc_attempt(const Call *c);
void audit_rpc_result(const Call *c, bool tainted_after);
void audit_auth_denied(const Call *c, const char *why);
void audit_device_event(const Device *d, bool added);
void audit_started(const Manager *m);
