/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * A hash table from strings to pointers: O(1) put, get and remove. The keys are borrowed, not
 * copied: a key must stay valid and unchanged while its entry is in the table (the manager keys
 * each device by strings the device owns). One value per key. Open addressing with linear
 * probing and backward-shift removal (no tombstones); the table doubles at 3/4 full and never
 * shrinks. The hash is seeded per table from getrandom() (FNV-1a mixed with the seed), so a
 * caller's choice of key cannot be aimed at a known layout. Not thread-safe: loop thread only.
 */

typedef struct Hashmap Hashmap;

int hashmap_new(Hashmap **ret);
Hashmap *hashmap_free(Hashmap *h);

static inline void hashmap_freep(Hashmap **h) {
        if (*h)
                (void) hashmap_free(*h);
}

/* -EEXIST if key is in the table already (its value is left alone), -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
/* NULL if absent (or h is NULL). */
void *hashmap_get(const Hashmap *h, const char *key);
/* The removed value, NULL if absent. */
void *hashmap_remove(Hashmap *h, const char *key);
/* Removes key only while it maps to value: true if it did. */
bool hashmap_remove_value(Hashmap *h, const char *key, const void *value);
size_t hashmap_size(const Hashmap *h);
/* Removes some entry and returns its value; NULL when empty. For emptying a table. */
void *hashmap_steal_first(Hashmap *h);
