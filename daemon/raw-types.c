/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "log.h"
#include "raw-types.h"
#include "util.h"

RawTypes *raw_types_free(RawTypes *t) {
        if (!t)
                return NULL;
        free(t->types);
        free(t);
        return NULL;
}

/* The types a plugin of this tree exists for: never served raw, listed or not. */
static bool type_is_known(uint32_t type) {
        return type >= 1 && type <= 4;
}

static int parse_word(const char *w, uint32_t *ret) {
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(w, &end, 0);
        if (errno != 0 || end == w || *end != '\0' || w[0] == '-' || v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

static int raw_types_add(RawTypes *t, uint32_t type) {
        uint32_t *n;

        if (raw_types_contains(t, type))
                return 0;
        n = realloc(t->types, (t->n + 1) * sizeof(uint32_t));
        if (!n)
                return -ENOMEM;
        t->types = n;
        t->types[t->n++] = type;
        return 0;
}

int raw_types_parse(RawTypes *t, const char *text, const char *file) {
        _cleanup_(freep) char *copy = strdup(strempty(text));
        char *line, *save_line = NULL;
        unsigned lineno = 0;
        int skipped = 0;

        if (!copy)
                return -ENOMEM;
        for (line = strtok_r(copy, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
                char *hash = strchr(line, '#'), *word, *save_word = NULL;

                lineno++;
                if (hash)
                        *hash = '\0';
                for (word = strtok_r(line, " \t\r", &save_word); word; word = strtok_r(NULL, " \t\r", &save_word)) {
                        uint32_t type;
                        int r;

                        if (parse_word(word, &type) < 0 || type_is_known(type)) {
                                log_warning("%s:%u: '%s' is not an unknown device type number, ignoring.", file,
                                            lineno, word);
                                skipped++;
                                continue;
                        }
                        r = raw_types_add(t, type);
                        if (r < 0)
                                return r;
                }
        }
        return skipped;
}

int raw_types_load(const char *path, RawTypes **ret) {
        _cleanup_(raw_types_freep) RawTypes *t = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t size = 0;
        int r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TAKE_PTR(t);
                return 0;
        }
        text = calloc(1, 64 * 1024 + 1);
        if (!text)
                return -ENOMEM;
        size = fread(text, 1, 64 * 1024, f);
        if (ferror(f))
                return -EIO;
        text[size] = '\0';
        r = raw_types_parse(t, text, path);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

bool raw_types_contains(const RawTypes *t, uint32_t type) {
        if (!t)
                return false;
        for (size_t i = 0; i < t->n; i++)
                if (t->types[i] == type)
                        return true;
        return false;
}
