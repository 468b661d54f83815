/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Device types an administrator opted in to raw service for non-root callers.
 * fwctld cannot know whether an unknown driver's format embeds pointers (which
 * would make a raw request a read/write primitive into the daemon), so the
 * generic plugin serves unknown types to root only, unless listed in
 * $sysconfdir/fwctld/raw-types.conf: device type numbers (decimal or 0x hex),
 * separated by white space, '#' to the end of a line is a comment. Known types
 * (mlx5, cxl, bnxt, pds) cannot be listed: they are never served raw.
 */

typedef struct RawTypes {
        uint32_t *types;
        size_t n;
} RawTypes;

RawTypes *raw_types_free(RawTypes *t);

static inline void raw_types_freep(RawTypes **t) {
        if (*t)
                (void) raw_types_free(*t);
}

/* Returns the number of words skipped as invalid (>= 0), or -errno. */
int raw_types_parse(RawTypes *t, const char *text, const char *file);

/* A missing file is an empty list. */
int raw_types_load(const char *path, RawTypes **ret);

bool raw_types_contains(const RawTypes *t, uint32_t type);
