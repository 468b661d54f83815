/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Fair shares under overload: what each uid may hold while its calls wait, and how many
 * polkit checks may be in flight. Bus connections are free to open, so nothing here is
 * keyed on the bus name. A flood by one uid never takes root's share or another uid's
 * guaranteed floor. Loop thread only.
 */

typedef struct ShareLimits {
        unsigned calls_per_uid;    /* calls in progress (waiting, queued or running) */
        uint64_t bytes_per_uid;    /* what they hold: request, parameters, message, reply buffer */
        uint64_t bytes_total;      /* all uids together ... */
        uint64_t bytes_guaranteed; /* ... except that each uid may always hold this much; root is exempt */
        unsigned checks_per_uid;   /* polkit checks in flight */
        unsigned checks_total;     /* all uids together: well below the bus's 128 pending replies */
        unsigned checks_reserve;   /* above checks_total, for uids with fewer than 2 checks */
} ShareLimits;

typedef struct Shares Shares;

/* The daemon's limits (names.h), documented in docs/dbus-api.md and fwctld(8). */
extern const ShareLimits shares_limits_default;

int shares_new(const ShareLimits *limits, Shares **ret);
Shares *shares_free(Shares *s);

static inline void shares_freep(Shares **s) {
        if (*s)
                (void) shares_free(*s);
}

/* 0, or -EBUSY with *ret_why saying which limit (a static string). */
int shares_admit_call(Shares *s, uid_t uid, uint64_t bytes, const char **ret_why);
/* More bytes for a call already admitted (released with it: pass the total to release). */
int shares_admit_bytes(Shares *s, uid_t uid, uint64_t bytes, const char **ret_why);
void shares_release_call(Shares *s, uid_t uid, uint64_t bytes);
int shares_admit_check(Shares *s, uid_t uid, const char **ret_why);
void shares_release_check(Shares *s, uid_t uid);

/* For tests and metrics. */
unsigned shares_calls(const Shares *s, uid_t uid);
uint64_t shares_bytes(const Shares *s, uid_t uid);
unsigned shares_checks(const Shares *s, uid_t uid);
uint64_t shares_total_bytes(const Shares *s);
unsigned shares_total_checks(const Shares *s);
