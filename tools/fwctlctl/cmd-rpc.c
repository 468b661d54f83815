/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl rpc DEVICE --in HEX|@FILE [--scope S] [--max N] [--out FILE]: one raw Rpc. */
#include <ctype.h>
#include <fcntl.h>

#include "fwctlctl.h"

static int read_input(const char *spec, uint8_t **ret, size_t *ret_len) {
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) uint8_t *buf = NULL;
        size_t n = 0, cap = FWCTL_MAX_PAYLOAD + 1;
        int r;

        if (spec[0] != '@') {
                r = hex_decode(spec, ret, ret_len);
                if (r == -EINVAL)
                        return report_error(r, EXIT_USAGE, "usage",
                                            "--in: not a hex string (use @FILE for binary input): %.40s", spec);
                if (r < 0)
                        return report_errno(r, "Failed to parse --in");
                return 0;
        }

        if (streq(spec, "@-"))
                fd = dup(STDIN_FILENO);
        else
                fd = open(spec + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return report_error(-errno, EXIT_USAGE, "usage", "Failed to open %s: %s", spec + 1, strerror(errno));

        /* Read at most one byte more than the daemon takes: it names the limit itself. */
        buf = malloc(cap);
        if (!buf)
                return report_errno(-ENOMEM, "Failed to read %s", spec + 1);
        while (n < cap) {
                ssize_t k = read(fd, buf + n, cap - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return report_error(-errno, EXIT_USAGE, "usage", "Failed to read %s: %s", spec + 1,
                                            strerror(errno));
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

static int write_output(const char *path, const void *p, size_t n) {
        _cleanup_(closep) int fd = -EBADF;
        const uint8_t *b = p;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return report_errno(-errno, "Failed to create %s", path);
        while (n > 0) {
                ssize_t k = write(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return report_errno(-errno, "Failed to write %s", path);
                b += k;
                n -= (size_t) k;
        }
        return 0;
}

static void hexdump(const uint8_t *p, size_t n) {
        for (size_t off = 0; off < n; off += 16) {
                printf("%08zx ", off);
                for (size_t i = 0; i < 16; i++) {
                        if (off + i < n)
                                printf(" %02x", p[off + i]);
                        else
                                printf("   ");
                        if (i == 7)
                                putchar(' ');
                }
                printf("  |");
                for (size_t i = 0; i < 16 && off + i < n; i++)
                        putchar(isprint(p[off + i]) ? p[off + i] : '.');
                printf("|\n");
        }
}

int cmd_rpc(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL, *result = NULL;
        _cleanup_(freep) char *path = NULL, *hex = NULL;
        _cleanup_(freep) uint8_t *req = NULL;
        int scope = arg_scope < 0 ? 0 : arg_scope;
        CallContext ctx = { .device = argv[0], .scope = scope };
        const void *resp;
        size_t req_len = 0, resp_len;
        int r;

        if (!arg_in)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "rpc needs the request: --in HEX or --in @FILE");
        r = read_input(arg_in, &req, &req_len);
        if (r < 0)
                return r;

        r = resolve_device(bus, argv[0], &path, &ctx);
        if (r < 0)
                return r;

        (void) polkit_agent_open_if_enabled();

        r = sd_bus_message_new_method_call(bus, &m, FWCTL_BUS, path, FWCTL_DEVICE_IFACE, "Rpc");
        if (r >= 0)
                r = sd_bus_message_append(m, "u", (uint32_t) scope);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', req ?: (const void *) "", req_len);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", arg_max);
        if (r < 0)
                return report_errno(r, "Failed to build the Rpc call");

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return report_bus_error(&error, r, &ctx);

        r = sd_bus_message_read_array(reply, 'y', &resp, &resp_len);
        if (r >= 0)
                r = json_from_bus_value(reply, &result);
        if (r < 0)
                return report_errno(r, "Failed to parse the Rpc reply");

        if (arg_out) {
                r = write_output(arg_out, resp, resp_len);
                if (r < 0)
                        return r;
        }

        if (arg_json) {
                hex = hex_encode(resp, resp_len);
                j = json_object_new_object();
                if (!hex || !j)
                        return report_errno(-ENOMEM, "Failed to print the result");
                json_object_object_add(j, "device", json_object_new_string(argv[0]));
                json_object_object_add(j, "object", json_object_new_string(path));
                json_object_object_add(j, "scope", json_object_new_int(scope));
                json_object_object_add(j, "scope_name", json_object_new_string(scope_to_string(scope) ?: "unknown"));
                json_object_object_add(j, "request_size", json_object_new_int64(req_len));
                json_object_object_add(j, "response_size", json_object_new_int64(resp_len));
                json_object_object_add(j, "response", arg_out ? NULL : json_object_new_string(hex));
                json_object_object_add(j, "response_file", arg_out ? json_object_new_string(arg_out) : NULL);
                json_object_object_add(j, "result", json_object_get(result));
                json_print(j);
                return 0;
        }

        json_object_object_foreach(result, key, val)
                printf("%20s: %s\n", key, json_object_get_string(val));
        if (arg_out)
                printf("%20s: %zu bytes written to %s\n", "response", resp_len, arg_out);
        else {
                printf("%20s: %zu bytes\n", "response", resp_len);
                hexdump(resp, resp_len);
        }
        return 0;
}
