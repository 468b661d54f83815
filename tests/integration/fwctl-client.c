/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctl-test-client: a tiny sd-bus client for the integration suite.
 *
 * busctl cannot send multi-megabyte byte arrays (argv limits) and does not
 * print D-Bus error names, so calls whose outcome is checked by error name
 * go through this program.
 *
 *   fwctl-test-client [--interactive] [--timeout-ms N] rpc DEVICE SCOPE MAX_RESPONSE PAYLOAD
 *
 * DEVICE is "fwctlN" or an object path. PAYLOAD is "hex:0101..." or
 * "fill:N" (N zero bytes) or "empty". Output is key=value lines:
 *   pid=...                      always (the caller pid the daemon sees)
 *   response_size=N / response_hex=... / result.KEY=VALUE   on success (exit 0)
 *   error=NAME / message=TEXT    on a D-Bus error (exit 1)
 * Exit 2 on usage or local failures.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define BUS_NAME "org.freedesktop.fwctl1"
#define DEVICE_IFACE "org.freedesktop.fwctl1.Device"
#define DEVICE_PREFIX "/org/freedesktop/fwctl1/device/"

#define _cleanup_(f) __attribute__((cleanup(f)))

typedef struct Args {
        bool interactive;
        uint64_t timeout_usec;
        uint32_t scope, max_response;
        uint8_t *payload;
        size_t payload_len;
        char path[256];
} Args;

static void args_done(Args *a) {
        free(a->payload);
}

static int parse_u32(const char *s, uint32_t *ret) {
        char *end = NULL;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno != 0 || !end || *end != '\0' || end == s || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int parse_payload(const char *spec, uint8_t **ret, size_t *ret_len) {
        uint8_t *buf;
        size_t n;

        if (strcmp(spec, "empty") == 0) {
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        if (strncmp(spec, "fill:", 5) == 0) {
                uint32_t len;

                if (parse_u32(spec + 5, &len) < 0)
                        return -EINVAL;
                buf = calloc(len ? len : 1, 1);
                if (!buf)
                        return -ENOMEM;
                *ret = buf;
                *ret_len = len;
                return 0;
        }
        if (strncmp(spec, "hex:", 4) == 0) {
                const char *h = spec + 4;
                size_t l = strlen(h);

                if (l % 2 != 0)
                        return -EINVAL;
                n = l / 2;
                buf = calloc(n ? n : 1, 1);
                if (!buf)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);

                        if (hi < 0 || lo < 0) {
                                free(buf);
                                return -EINVAL;
                        }
                        buf[i] = (uint8_t) (hi << 4 | lo);
                }
                *ret = buf;
                *ret_len = n;
                return 0;
        }
        return -EINVAL;
}

/* One basic value as result.KEY=VALUE, read through a union whatever its type. */
static int print_basic(sd_bus_message *m, char type, const char *key) {
        union {
                int b;
                uint8_t y;
                uint16_t q;
                int16_t n;
                uint32_t u;
                int32_t i;
                uint64_t t;
                int64_t x;
                const char *s;
        } v = {};
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        printf("result.%s=", key);
        switch (type) {
        case 'b':
                printf("%s\n", v.b ? "true" : "false");
                break;
        case 'y':
                printf("%u\n", v.y);
                break;
        case 'q':
                printf("%u\n", v.q);
                break;
        case 'n':
                printf("%d\n", v.n);
                break;
        case 'u':
                printf("%u\n", v.u);
                break;
        case 'i':
                printf("%d\n", v.i);
                break;
        case 't':
                printf("%llu\n", (unsigned long long) v.t);
                break;
        case 'x':
                printf("%lld\n", (long long) v.x);
                break;
        default: /* s, o */
                printf("%s\n", v.s);
                break;
        }
        return r;
}

static int print_variant(sd_bus_message *m, const char *key) {
        char type;
        const char *contents = NULL;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (!contents || strlen(contents) != 1) {
                printf("result.%s=<%s>\n", key, contents ? contents : "?");
                return sd_bus_message_skip(m, "v");
        }
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        if (strchr("byqnuitxso", contents[0]))
                r = print_basic(m, contents[0], key);
        else {
                printf("result.%s=<%s>\n", key, contents);
                r = sd_bus_message_skip(m, contents);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int print_reply(sd_bus_message *reply) {
        const void *data = NULL;
        size_t size = 0;
        int r;

        r = sd_bus_message_read_array(reply, 'y', &data, &size);
        if (r < 0)
                return r;
        printf("response_size=%zu\n", size);
        printf("response_hex=");
        for (size_t i = 0; i < size && i < 4096; i++)
                printf("%02x", ((const uint8_t *) data)[i]);
        printf("\n");

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;

                r = sd_bus_message_enter_container(reply, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read_basic(reply, 's', &key);
                if (r < 0)
                        return r;
                r = print_variant(reply, key);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(reply);
}

static void usage(void) {
        fprintf(stderr,
                "usage: fwctl-test-client [--interactive] [--timeout-ms N] rpc DEVICE SCOPE MAX_RESPONSE PAYLOAD\n"
                "       PAYLOAD: hex:HEX | fill:N | empty\n");
}

static int parse_args(int argc, char **argv, Args *a) {
        uint32_t ms;
        int i = 1;

        while (i < argc && strncmp(argv[i], "--", 2) == 0) {
                if (strcmp(argv[i], "--interactive") == 0)
                        a->interactive = true;
                else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc &&
                         parse_u32(argv[i + 1], &ms) == 0) {
                        a->timeout_usec = (uint64_t) ms * 1000ULL;
                        i++;
                } else
                        return -EINVAL;
                i++;
        }
        if (argc - i != 5 || strcmp(argv[i], "rpc") != 0)
                return -EINVAL;
        if (argv[i + 1][0] == '/')
                snprintf(a->path, sizeof(a->path), "%s", argv[i + 1]);
        else
                snprintf(a->path, sizeof(a->path), DEVICE_PREFIX "%s", argv[i + 1]);
        if (parse_u32(argv[i + 2], &a->scope) < 0 || parse_u32(argv[i + 3], &a->max_response) < 0 ||
            parse_payload(argv[i + 4], &a->payload, &a->payload_len) < 0)
                return -EINVAL;
        return 0;
}

/* Returns the exit status: 0 success, 1 D-Bus error, 2 local failure. */
static int call_rpc(const Args *a) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the system bus: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, a->path, DEVICE_IFACE, "Rpc");
        if (r >= 0)
                r = sd_bus_message_set_allow_interactive_authorization(m, a->interactive);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", a->scope);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', a->payload ? a->payload : (const uint8_t *) "",
                                                a->payload_len);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", a->max_response);
        if (r < 0) {
                fprintf(stderr, "cannot build the call: %s\n", strerror(-r));
                return 2;
        }

        r = sd_bus_call(bus, m, a->timeout_usec, &error, &reply);
        if (r < 0) {
                printf("error=%s\n", error.name ? error.name : "(none)");
                printf("message=%s\n", error.message ? error.message : strerror(-r));
                return 1;
        }
        r = print_reply(reply);
        if (r < 0) {
                fprintf(stderr, "cannot parse the reply: %s\n", strerror(-r));
                return 2;
        }
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_(args_done) Args a = { .timeout_usec = 60ULL * 1000000ULL };
        int ret;

        if (parse_args(argc, argv, &a) < 0) {
                usage();
                return 2;
        }

        printf("pid=%d\n", (int) getpid());
        fflush(stdout);

        ret = call_rpc(&a);
        fflush(stdout);
        return ret;
}
