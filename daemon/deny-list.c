/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>

#include "deny-list.h"
#include "device-type.h"
#include "log.h"
#include "scope.h"
#include "util.h"

DenyList *deny_list_free(DenyList *l) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                free(l->rules[i].device_type);
                free(l->rules[i].operation);
                free(l->rules[i].origin);
        }
        free(l->rules);
        free(l);
        return NULL;
}

static int parse_scope(const char *s, int *ret) {
        uint32_t scope;

        if (!s || streq(s, "*")) {
                *ret = -1;
                return 0;
        }
        scope = scope_from_string(s);
        if (!scope_is_valid(scope))
                return -EINVAL;
        *ret = (int) scope;
        return 0;
}

static int deny_list_add(DenyList *l, const char *type, const char *op, int scope, const char *file,
                         unsigned line) {
        DenyRule *rules, *r;

        rules = realloc(l->rules, (l->n + 1) * sizeof(DenyRule));
        if (!rules)
                return -ENOMEM;
        l->rules = rules;
        r = &l->rules[l->n];
        *r = (DenyRule) { .scope = scope };
        r->device_type = strdup(type);
        r->operation = strdup(op);
        if (asprintf(&r->origin, "%s:%u", file, line) < 0)
                r->origin = NULL;
        if (!r->device_type || !r->operation || !r->origin) {
                free(r->device_type);
                free(r->operation);
                free(r->origin);
                return -ENOMEM;
        }
        l->n++;
        return 0;
}

int deny_list_parse(DenyList *l, const char *text, const char *file) {
        _cleanup_(freep) char *copy = NULL;
        char *word, *save = NULL;
        unsigned lineno = 0;
        int bad = 0, r;

        copy = strdup(strempty(text));
        if (!copy)
                return -ENOMEM;

        /* Split lines by hand, so empty ones still count for the line numbers. */
        for (char *p = copy, *next; p; p = next, lineno++) {
                char *words[4], *hash;
                unsigned n = 0;
                int scope;

                next = strchr(p, '\n');
                if (next)
                        *next++ = '\0';
                hash = strchr(p, '#');
                if (hash)
                        *hash = '\0';
                for (word = strtok_r(p, " \t\r", &save); word && n < ELEMENTSOF(words);
                     word = strtok_r(NULL, " \t\r", &save))
                        words[n++] = word;
                if (n == 0)
                        continue;
                if (n < 2 || n > 3 || parse_scope(n == 3 ? words[2] : NULL, &scope) < 0) {
                        log_warning("%s:%u: expected 'DEVICE_TYPE OPERATION [SCOPE]', ignoring line.", file,
                                    lineno + 1);
                        bad++;
                        continue;
                }
                /* A misspelt type would never match: say so rather than keep a rule that
                 * stops nothing. */
                if (!streq(words[0], "*") && !device_type_name_is_valid(words[0])) {
                        log_warning("%s:%u: unknown device type '%s' (mlx5, cxl, bnxt, pds, unknown or *), "
                                    "ignoring line.", file, lineno + 1, words[0]);
                        bad++;
                        continue;
                }
                r = deny_list_add(l, words[0], words[1], scope, file, lineno + 1);
                if (r < 0)
                        return r;
        }
        return bad;
}

static int read_file(const char *path, char **ret) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        /* A deny list is a few lines; refuse anything that is clearly not one. */
        buf = calloc(1, 64 * 1024 + 1);
        if (!buf)
                return -ENOMEM;
        size = fread(buf, 1, 64 * 1024 + 1, f);
        if (ferror(f))
                return -EIO;
        if (size > 64 * 1024)
                return -EFBIG;
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool is_conf(const char *name) {
        size_t l = strlen(name);

        return name[0] != '.' && l > 5 && streq(name + l - 5, ".conf");
}

int deny_list_load_dir(const char *dir, DenyList **ret) {
        _cleanup_(deny_list_freep) DenyList *l = NULL;
        struct dirent **entries = NULL;
        int n, r = 0;

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;

        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TAKE_PTR(l);
                return 0;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_(freep) char *text = NULL;
                char path[PATH_MAX];

                if (r >= 0 && is_conf(entries[i]->d_name) &&
                    (size_t) snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name) < sizeof(path)) {
                        /* A rule file that cannot be read fails the load: its rules must not
                         * silently stop applying (the previous list stays in force). */
                        r = read_file(path, &text);
                        if (r < 0)
                                log_error_errno(r, "Failed to read '%s': %m", path);
                        else
                                r = deny_list_parse(l, text, path);
                }
                free(entries[i]);
        }
        free(entries);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static bool word_matches(const char *pattern, const char *value) {
        return streq(pattern, "*") || streq(pattern, strempty(value));
}

/* A rule's scope is a floor: it stops that scope and every higher one. */
const DenyRule *deny_list_match(const DenyList *l, const char *device_type, const char *operation, uint32_t scope) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                const DenyRule *r = &l->rules[i];

                if (word_matches(r->device_type, device_type) && word_matches(r->operation, operation) &&
                    (r->scope < 0 || scope >= (uint32_t) r->scope))
                        return r;
        }
        return NULL;
}

const DenyRule *deny_list_match_any(const DenyList *l, const char *device_type, const char *operations,
                                    uint32_t scope) {
        const char *p = strempty(operations);

        /* An empty list still meets rules for "*". */
        do {
                size_t n = strcspn(p, ",");
                char name[128];
                const DenyRule *r;

                if (n >= sizeof(name))
                        n = sizeof(name) - 1;
                memcpy(name, p, n);
                name[n] = '\0';
                r = deny_list_match(l, device_type, name, scope);
                if (r)
                        return r;
                p += strcspn(p, ",");
                if (*p == ',')
                        p++;
        } while (*p);
        return NULL;
}
