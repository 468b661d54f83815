/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "types.h"

/* Structured journal records; the MESSAGE_IDs are in names.h and the catalog. */
/* Attempt record of a call that changes the device; < 0: not recorded, the call must not run. */
int audit_rpc_attempt(const Call *c);
void audit_rpc_result(const Call *c, bool tainted_after);
/* Rate-limited per uid; see audit_flush_suppressed_denials(). */
void audit_auth_denied(const Call *c, const char *why);
void audit_flush_suppressed_denials(bool force);
void audit_device_event(const Device *d, bool added);
void audit_started(const Manager *m);
