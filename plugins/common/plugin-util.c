/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin-util.h"

int plugin_reason(char **ret_reason, int error, const char *format, ...) {
        va_list ap;
        char *s;

        if (!ret_reason)
                return error;
        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*ret_reason);
        *ret_reason = s;
        return error;
}

char *plugin_hex_encode(const void *data, size_t size) {
        static const char digits[] = "0123456789abcdef";
        const uint8_t *p = data;
        char *hex;

        if (size > (SIZE_MAX - 1) / 2)
                return NULL;
        hex = malloc(size * 2 + 1);
        if (!hex)
                return NULL;
        for (size_t i = 0; i < size; i++) {
                hex[2 * i] = digits[p[i] >> 4];
                hex[2 * i + 1] = digits[p[i] & 0xf];
        }
        hex[2 * size] = '\0';
        return hex;
}

int plugin_hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int plugin_hex_decode(const char *hex, uint8_t **ret, size_t *ret_size) {
        size_t len, n;
        uint8_t *buf;

        if (!hex || !ret || !ret_size)
                return -EINVAL;
        len = strlen(hex);
        if (len % 2 != 0)
                return -EINVAL;
        n = len / 2;
        buf = malloc(n > 0 ? n : 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int hi = plugin_hex_digit(hex[2 * i]), lo = plugin_hex_digit(hex[2 * i + 1]);

                if (hi < 0 || lo < 0) {
                        free(buf);
                        return -EINVAL;
                }
                buf[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

int plugin_json_finish(json_object *o, char **ret_json) {
        const char *s;

        if (!o)
                return -ENOMEM;
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        *ret_json = s ? strdup(s) : NULL;
        json_object_put(o);
        return *ret_json ? 0 : -ENOMEM;
}

int plugin_json_finish_unless(json_object *o, int r, char **ret_json) {
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return plugin_json_finish(o, ret_json);
}

/* --- Execute parameters ----------------------------------------------------------- */

/* json-c's own default; parameters are flat, so this only bounds the key scan below. */
#define PARAMS_MAX_DEPTH JSON_TOKENER_DEFAULT_DEPTH

static bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *json_type_article(json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "a boolean";
        case json_type_int:
        case json_type_double:
                return "a number";
        case json_type_string:
                return "a string";
        case json_type_array:
                return "an array";
        default:
                return "an object";
        }
}

/* Index of the quote that closes the string opening at json[start]; end if none before it. */
static size_t string_close(const char *json, size_t start, size_t end) {
        size_t i;

        for (i = start + 1; i < end && json[i] != '"'; i++)
                if (json[i] == '\\')
                        i++;
        return i < end ? i : end;
}

/* The key a quoted string (quotes included) names, unescaped as json-c stores it. */
static int key_unescape(const char *quoted, size_t len, char **ret) {
        _cleanup_free_ char *copy = NULL;
        json_object *k;

        if (!memchr(quoted, '\\', len)) {
                *ret = strndup(quoted + 1, len - 2);
                return *ret ? 0 : -ENOMEM;
        }
        copy = strndup(quoted, len);
        if (!copy)
                return -ENOMEM;
        /* Already validated as part of the document: only allocation can fail here. */
        k = json_tokener_parse(copy);
        *ret = json_object_is_type(k, json_type_string) ? strdup(json_object_get_string(k)) : NULL;
        json_object_put(k);
        return *ret ? 0 : -ENOMEM;
}

static int key_add(json_object *seen, const char *quoted, size_t len, char **ret_reason) {
        _cleanup_free_ char *key = NULL;
        int r;

        r = key_unescape(quoted, len, &key);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(seen, key, NULL))
                return plugin_reason(ret_reason, -EINVAL, "field \"%s\" appears more than once", key);
        return json_object_object_add(seen, key, NULL) < 0 ? -ENOMEM : 0;
}

/*
 * json-c keeps the last of two equal keys and has no flag to refuse them, so scan the
 * text json-c accepted: one set of keys per open object, none for an array. A string
 * followed by ':' is a key. json-c 0.16's strict mode still takes a single-quoted key,
 * which is not JSON: refused here, which also keeps the scan to '"' strings.
 */
static int check_unique_keys(const char *json, size_t end, char **ret_reason) {
        json_object *seen[PARAMS_MAX_DEPTH + 1] = {};
        size_t depth = 0;
        int r = 0;

        for (size_t i = 0; i < end && r >= 0; i++) {
                switch (json[i]) {
                case '{':
                case '[':
                        if (depth >= sizeof(seen) / sizeof(seen[0])) {
                                r = plugin_reason(ret_reason, -EINVAL, "parameters nest too deeply");
                                break;
                        }
                        seen[depth] = json[i] == '{' ? json_object_new_object() : NULL;
                        if (json[i] == '{' && !seen[depth])
                                r = -ENOMEM;
                        depth++;
                        break;
                case '}':
                case ']':
                        if (depth > 0) {
                                depth--;
                                json_object_put(seen[depth]);
                                seen[depth] = NULL;
                        }
                        break;
                case '"': {
                        size_t close = string_close(json, i, end), next = close + 1;

                        while (next < end && is_json_space(json[next]))
                                next++;
                        if (next < end && json[next] == ':' && depth > 0 && seen[depth - 1])
                                r = key_add(seen[depth - 1], json + i, close - i + 1, ret_reason);
                        i = close;
                        break;
                }
                case '\'':
                        r = plugin_reason(ret_reason, -EINVAL,
                                          "parameters are not valid JSON: single-quoted string at offset %zu", i);
                        break;
                }
        }
        for (size_t d = 0; d < depth; d++)
                json_object_put(seen[d]);
        return r;
}

static int check_fields(json_object *o, const char *const *fields, char **ret_reason) {
        json_object_object_foreach(o, key, val) {
                bool known = false;

                (void) val;
                for (const char *const *f = fields; f && *f && !known; f++)
                        known = strcmp(key, *f) == 0;
                /* A misspelt optional field would otherwise be silently ignored. */
                if (!known)
                        return plugin_reason(ret_reason, -EINVAL, "unknown field \"%s\"%s", key,
                                             fields && *fields ? "" : ": the operation takes no parameters");
        }
        return 0;
}

/* One JSON value, strictly, with no length limit of its own (the daemon caps it). */
static int parse_value(const char *json, size_t len, json_object **ret, size_t *ret_end, char **ret_reason) {
        enum json_tokener_error jerr;
        struct json_tokener *tok;
        json_object *o;
        size_t end;

        if (len >= INT32_MAX)
                return plugin_reason(ret_reason, -EINVAL, "parameters are too long");
        tok = json_tokener_new_ex(PARAMS_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        /* Trailing text is checked below, to say so rather than "unexpected character". */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                            JSON_TOKENER_VALIDATE_UTF8);
        /* The NUL ends the document: without it a top-level number or null stays incomplete. */
        o = json_tokener_parse_ex(tok, json, (int) len + 1);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr != json_tokener_success) {
                json_object_put(o);
                return plugin_reason(ret_reason, -EINVAL, "parameters are not valid JSON: %s at offset %zu",
                                     json_tokener_error_desc(jerr), end);
        }
        /* json-c gives NULL, with success, for the literal null. */
        *ret = o;
        *ret_end = end;
        return 0;
}

int plugin_parse_params(const char *json, const char *const *fields, json_object **ret, char **ret_reason) {
        size_t len, end = 0;
        json_object *o;
        int r;

        len = json ? strlen(json) : 0;
        if (strspn(json ? json : "", " \t\n\r") == len)
                return plugin_reason(ret_reason, -EINVAL,
                                     "parameters are empty: an operation without parameters takes {}");
        r = parse_value(json, len, &o, &end, ret_reason);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                r = plugin_reason(ret_reason, -EINVAL, "parameters must be a JSON object, not %s",
                                  json_type_article(o));
        for (size_t i = end; r >= 0 && i < len; i++)
                if (!is_json_space(json[i]))
                        r = plugin_reason(ret_reason, -EINVAL,
                                          "parameters have text after the JSON object, at offset %zu", i);
        if (r >= 0)
                r = check_unique_keys(json, end, ret_reason);
        if (r >= 0)
                r = check_fields(o, fields, ret_reason);
        if (r < 0 || !ret) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}
