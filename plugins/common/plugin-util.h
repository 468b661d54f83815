/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small helpers every plugin needs (reasons, hex for JSON payloads, JSON to a malloc()ed
 * string), compiled into each plugin: plugins stay single self-contained .so files
 * that export nothing but their entry point.
 */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline void plugin_freep(void *p) {
        free(*(void **) p);
}
/* Frees a malloc()ed local when it goes out of scope. */
#define _cleanup_free_ __attribute__((cleanup(plugin_freep)))

/*
 * The reason a hook fails with: a malloc()ed printf-style string in *ret_reason (when
 * ret_reason is not NULL), freeing any earlier one, so *ret_reason must be NULL or a
 * reason; NULL when out of memory. Returns error, so a check reads
 *         return plugin_reason(ret_reason, -EINVAL, "op_size %u is too short", op_size);
 */
int plugin_reason(char **ret_reason, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Lower-case hex of size bytes; NULL on allocation failure. */
char *plugin_hex_encode(const void *data, size_t size);

/* Whole bytes of hex (either case, "" allowed); -EINVAL on anything else. */
int plugin_hex_decode(const char *hex, uint8_t **ret, size_t *ret_size);

/* 0-15 for a hex digit, -1 otherwise. */
int plugin_hex_digit(char c);

/* Serialise o compactly into a malloc()ed string and drop o (also on failure). */
int plugin_json_finish(json_object *o, char **ret_json);

/* The same after building o step by step: r < 0 (a step failed) drops o and returns r. */
int plugin_json_finish_unless(json_object *o, int r, char **ret_json);

/*
 * Execute parameters, the same rules in every plugin: json is exactly one JSON object
 * (strict JSON, whitespace around it allowed), no key appears twice in an object, and
 * every top-level key is in fields (NULL-terminated; NULL for an operation that takes
 * none, which then still needs "{}"). On success *ret (when ret is not NULL) owns the
 * object. -EINVAL with a reason that says what is wrong and where, or -ENOMEM.
 */
int plugin_parse_params(const char *json, const char *const *fields, json_object **ret, char **ret_reason);
