/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
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
