/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "list.h"
#include "names.h"
#include "shares.h"
#include "util.h"

const ShareLimits shares_limits_default = {
        .calls_per_uid = FWCTLD_MAX_CALLS_PER_UID,
        .bytes_per_uid = FWCTLD_MAX_BYTES_PER_UID,
        .bytes_total = FWCTLD_MAX_PENDING_BYTES,
        .bytes_guaranteed = FWCTLD_GUARANTEED_BYTES_PER_UID,
        .checks_per_uid = FWCTLD_MAX_CHECKS_PER_UID,
        .checks_total = FWCTLD_MAX_CHECKS,
        .checks_reserve = FWCTLD_CHECKS_RESERVE,
};

typedef struct Share Share;

struct Share {
        uid_t uid;
        unsigned calls;
        uint64_t bytes;
        unsigned checks;
        Share *prev, *next;
};

struct Shares {
        ShareLimits limits;
        Share *shares;
        uint64_t total_bytes;
        unsigned total_checks;
};

int shares_new(const ShareLimits *limits, Shares **ret) {
        Shares *s;

        assert(limits);
        assert(ret);
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->limits = *limits;
        *ret = s;
        return 0;
}

Shares *shares_free(Shares *s) {
        if (!s)
                return NULL;
        while (s->shares) {
                Share *x = s->shares;

                LIST_REMOVE(s->shares, x);
                free(x);
        }
        free(s);
        return NULL;
}

static Share *share_find(const Shares *s, uid_t uid) {
        for (Share *x = s->shares; x; x = x->next)
                if (x->uid == uid)
                        return x;
        return NULL;
}

static Share *share_get(Shares *s, uid_t uid) {
        Share *x = share_find(s, uid);

        if (x)
                return x;
        x = calloc(1, sizeof(*x));
        if (!x)
                return NULL;
        x->uid = uid;
        LIST_PREPEND(s->shares, x);
        return x;
}

/* A uid that holds nothing any more is forgotten: the table stays as small as the load. */
static void share_put(Shares *s, Share *x) {
        if (x->calls > 0 || x->checks > 0)
                return;
        LIST_REMOVE(s->shares, x);
        free(x);
}

static int refuse(const char **ret_why, const char *why) {
        if (ret_why)
                *ret_why = why;
        return -EBUSY;
}

/* Room for bytes more in uid's share, under the per-uid and the global caps? */
static const char *shares_no_room(const Shares *s, const Share *x, uid_t uid, uint64_t bytes) {
        const ShareLimits *l = &s->limits;
        uint64_t mine = x ? x->bytes : 0;

        if (mine + bytes > l->bytes_per_uid)
                return "this user's calls in progress hold too much data";
        /* The global cap, but never at the expense of root or of another uid's floor. */
        if (uid != 0 && s->total_bytes + bytes > l->bytes_total && mine + bytes > l->bytes_guaranteed)
                return "too much data in flight";
        return NULL;
}

static const char *shares_no_call(const Shares *s, const Share *x) {
        if (x && x->calls >= s->limits.calls_per_uid)
                return "too many calls in progress for this user";
        return NULL;
}

/* Could uid start one more polkit check? */
static const char *shares_no_check(const Shares *s, const Share *x) {
        const ShareLimits *l = &s->limits;
        unsigned mine = x ? x->checks : 0;

        if (mine >= l->checks_per_uid)
                return "too many authorisation checks in flight for this user";
        if (s->total_checks >= l->checks_total && (mine >= 2 || s->total_checks >= l->checks_total + l->checks_reserve))
                return "too many authorisation checks in flight";
        return NULL;
}

int shares_admit_call(Shares *s, uid_t uid, uint64_t bytes, const char **ret_why) {
        const char *why;
        Share *x;

        assert(s);
        x = share_find(s, uid);
        why = shares_no_call(s, x) ?: shares_no_room(s, x, uid, bytes);
        if (why)
                return refuse(ret_why, why);

        x = share_get(s, uid);
        if (!x)
                return -ENOMEM;
        x->calls++;
        x->bytes += bytes;
        s->total_bytes += bytes;
        return 0;
}

int shares_admit_bytes(Shares *s, uid_t uid, uint64_t bytes, const char **ret_why) {
        Share *x;
        const char *why;

        assert(s);
        x = share_find(s, uid);
        assert(x && x->calls > 0);
        why = shares_no_room(s, x, uid, bytes);
        if (why)
                return refuse(ret_why, why);
        x->bytes += bytes;
        s->total_bytes += bytes;
        return 0;
}

void shares_release_call(Shares *s, uid_t uid, uint64_t bytes) {
        Share *x = share_find(s, uid);

        assert(x && x->calls > 0 && x->bytes >= bytes);
        x->calls--;
        x->bytes -= bytes;
        s->total_bytes -= bytes;
        share_put(s, x);
}

int shares_admit_check(Shares *s, uid_t uid, const char **ret_why) {
        const char *why;
        Share *x;

        assert(s);
        why = shares_no_check(s, share_find(s, uid));
        if (why)
                return refuse(ret_why, why);

        x = share_get(s, uid);
        if (!x)
                return -ENOMEM;
        x->checks++;
        s->total_checks++;
        return 0;
}

void shares_release_check(Shares *s, uid_t uid) {
        Share *x = share_find(s, uid);

        assert(x && x->checks > 0);
        x->checks--;
        s->total_checks--;
        share_put(s, x);
}

unsigned shares_calls(const Shares *s, uid_t uid) {
        const Share *x = share_find(s, uid);

        return x ? x->calls : 0;
}

uint64_t shares_bytes(const Shares *s, uid_t uid) {
        const Share *x = share_find(s, uid);

        return x ? x->bytes : 0;
}

unsigned shares_checks(const Shares *s, uid_t uid) {
        const Share *x = share_find(s, uid);

        return x ? x->checks : 0;
}

uint64_t shares_total_bytes(const Shares *s) {
        return s->total_bytes;
}

unsigned shares_total_checks(const Shares *s) {
        return s->total_checks;
}
