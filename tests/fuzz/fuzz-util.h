/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A cursor over a fuzz input: every read is bounded and yields zeros once the input runs out. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct FuzzData {
        const uint8_t *p;
        size_t n;
} FuzzData;

static inline uint8_t fuzz_u8(FuzzData *f) {
        uint8_t v;

        if (f->n == 0)
                return 0;
        v = f->p[0];
        f->p++;
        f->n--;
        return v;
}

static inline uint16_t fuzz_u16(FuzzData *f) {
        uint16_t lo = fuzz_u8(f);

        return (uint16_t) (lo | fuzz_u8(f) << 8);
}

static inline uint32_t fuzz_u32(FuzzData *f) {
        uint32_t lo = fuzz_u16(f);

        return lo | (uint32_t) fuzz_u16(f) << 16;
}

/* Up to len bytes, pointing into the input; returns how many there were. */
static inline size_t fuzz_bytes(FuzzData *f, size_t len, const uint8_t **ret) {
        if (len > f->n)
                len = f->n;
        *ret = f->p;
        f->p += len;
        f->n -= len;
        return len;
}

/* A NUL-terminated malloc()ed copy of up to len bytes, cut at the first NUL (D-Bus strings hold none). */
static inline char *fuzz_string(FuzzData *f, size_t len) {
        const uint8_t *p;
        char *s;

        len = fuzz_bytes(f, len, &p);
        s = malloc(len + 1);
        if (!s)
                abort();
        if (len > 0)
                memcpy(s, p, len);
        s[len] = '\0';
        return s;
}

/* Read every byte, so ASan sees a region that is not really ours. */
static inline void fuzz_touch(const void *p, size_t n) {
        const volatile uint8_t *b = p;
        uint8_t x = 0;

        for (size_t i = 0; i < n; i++)
                x ^= b[i];
        (void) x;
}

/* A request length or max_response: mostly small, sometimes one of the interesting edges. */
static inline size_t fuzz_length(FuzzData *f, size_t small_max) {
        static const size_t edges[] = {
                0, 1, 7, 8, 15, 16, 17, 24, 47, 48, 49, 127, 128, 129, 4095, 4096, 4097,
                65535, 65536, 1048576, 2097151, 2097152, 2097153,
        };
        uint16_t v = fuzz_u16(f);

        if (v & 0x8000)
                return edges[(v & 0x7fff) % (sizeof(edges) / sizeof(edges[0]))];
        return v % (small_max + 1);
}

bool fuzz_utf8_valid(const char *s);
/* Abort unless s is a well-formed JSON document (of an object, if want_object). */
void fuzz_check_json(const char *s, bool want_object);
