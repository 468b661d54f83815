/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/*
 * Asynchronous org.freedesktop.PolicyKit1.Authority.CheckAuthorization for a bus sender.
 * Knows nothing of calls or devices: the caller names the action and the details.
 */

typedef struct PolkitCheck PolkitCheck;

/*
 * r < 0: polkit could not be asked or failed (error_message says why, may be NULL);
 * otherwise authorized/challenge as polkitd answered. Called exactly once unless the check
 * is cancelled first; the check is freed right after the callback returns.
 */
typedef void (*PolkitCallback)(int r, bool authorized, bool challenge, const char *error_message, void *userdata);

/*
 * details: key, value, key, value, ..., NULL. interactive sets AllowUserInteraction and a
 * longer timeout (an agent may wait for a human). The subject is ("system-bus-name", sender).
 */
int polkit_check(sd_bus *bus,
                 const char *sender,
                 const char *action,
                 char *const *details,
                 bool interactive,
                 PolkitCallback callback,
                 void *userdata,
                 PolkitCheck **ret);

/* Drop a pending check without calling back; an interactive one is cancelled in polkitd too. */
PolkitCheck *polkit_check_cancel(PolkitCheck *check);
