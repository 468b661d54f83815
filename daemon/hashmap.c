/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hashmap.h"
#include "util.h"

#define HASHMAP_MIN_BUCKETS 16U

/* 16 bytes: a bucket per key at 4096 devices costs 8192 x 16 B per table. */
typedef struct HashmapEntry {
        const char *key; /* NULL: free */
        void *value;
} HashmapEntry;

struct Hashmap {
        HashmapEntry *entries;
        size_t n_buckets; /* a power of two */
        size_t n_entries;
        uint64_t seed;
};

static uint64_t hashmap_seed(void) {
        struct timespec ts;
        uint64_t seed;

        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t) sizeof(seed))
                return seed;
        /* Early boot without entropy: anything that differs from run to run. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t) (uintptr_t) &ts;
}

/* FNV-1a over the seed's bytes and the key, then a 64-bit finaliser (splitmix64's). */
static uint64_t hashmap_hash(const Hashmap *h, const char *key) {
        uint64_t x = 0xcbf29ce484222325ULL;

        for (unsigned i = 0; i < 8; i++) {
                x ^= (h->seed >> (8 * i)) & 0xff;
                x *= 0x100000001b3ULL;
        }
        for (const unsigned char *p = (const unsigned char *) key; *p; p++) {
                x ^= *p;
                x *= 0x100000001b3ULL;
        }
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}

int hashmap_new(Hashmap **ret) {
        Hashmap *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->entries = calloc(HASHMAP_MIN_BUCKETS, sizeof(HashmapEntry));
        if (!h->entries) {
                free(h);
                return -ENOMEM;
        }
        h->n_buckets = HASHMAP_MIN_BUCKETS;
        h->seed = hashmap_seed();
        *ret = h;
        return 0;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        free(h->entries);
        free(h);
        return NULL;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->n_entries : 0;
}

/* The bucket holding key, or the free one where it would go. */
static size_t hashmap_slot(const Hashmap *h, const char *key, uint64_t hash) {
        size_t mask = h->n_buckets - 1;

        for (size_t i = hash & mask;; i = (i + 1) & mask) {
                const HashmapEntry *e = &h->entries[i];

                if (!e->key || streq(e->key, key))
                        return i;
        }
}

static int hashmap_grow(Hashmap *h) {
        size_t n = h->n_buckets * 2, mask = n - 1;
        HashmapEntry *entries;

        if (n < h->n_buckets || n > SIZE_MAX / sizeof(HashmapEntry))
                return -ENOMEM;
        entries = calloc(n, sizeof(HashmapEntry));
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_buckets; i++) {
                const HashmapEntry *e = &h->entries[i];
                size_t j;

                if (!e->key)
                        continue;
                for (j = hashmap_hash(h, e->key) & mask; entries[j].key; j = (j + 1) & mask)
                        ;
                entries[j] = *e;
        }
        free(h->entries);
        h->entries = entries;
        h->n_buckets = n;
        return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        uint64_t hash = hashmap_hash(h, key);
        size_t i = hashmap_slot(h, key, hash);
        int r;

        if (h->entries[i].key)
                return -EEXIST;
        /* At most 3/4 full after this put: probes stay short. */
        if ((h->n_entries + 1) * 4 > h->n_buckets * 3) {
                r = hashmap_grow(h);
                if (r < 0)
                        return r;
                i = hashmap_slot(h, key, hash);
        }
        h->entries[i] = (HashmapEntry) { .key = key, .value = value };
        h->n_entries++;
        return 0;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        const HashmapEntry *e;

        if (!h || !key)
                return NULL;
        e = &h->entries[hashmap_slot(h, key, hashmap_hash(h, key))];
        return e->key ? e->value : NULL;
}

/* Empty bucket i, then pull back the entries after it that a probe would no longer reach. */
static void hashmap_delete_at(Hashmap *h, size_t i) {
        size_t mask = h->n_buckets - 1;

        for (size_t j = (i + 1) & mask; h->entries[j].key; j = (j + 1) & mask) {
                size_t home = hashmap_hash(h, h->entries[j].key) & mask;

                /* j stays if its home lies cyclically in (i, j]. */
                if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                        continue;
                h->entries[i] = h->entries[j];
                i = j;
        }
        h->entries[i] = (HashmapEntry) {};
        h->n_entries--;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        size_t i;
        void *value;

        if (!h || !key)
                return NULL;
        i = hashmap_slot(h, key, hashmap_hash(h, key));
        if (!h->entries[i].key)
                return NULL;
        value = h->entries[i].value;
        hashmap_delete_at(h, i);
        return value;
}

bool hashmap_remove_value(Hashmap *h, const char *key, const void *value) {
        size_t i;

        if (!h || !key)
                return false;
        i = hashmap_slot(h, key, hashmap_hash(h, key));
        if (!h->entries[i].key || h->entries[i].value != value)
                return false;
        hashmap_delete_at(h, i);
        return true;
}

void *hashmap_steal_first(Hashmap *h) {
        if (!h || h->n_entries == 0)
                return NULL;
        for (size_t i = 0; i < h->n_buckets; i++)
                if (h->entries[i].key) {
                        void *value = h->entries[i].value;

                        hashmap_delete_at(h, i);
                        return value;
                }
        return NULL;
}
