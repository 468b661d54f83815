/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl rpc DEVICE --in HEX|@FILE [--in ...] [--scope S] [--max N] [--out FILE]: raw Rpc
 * calls, several in one session (cmd-batch.c) where the scope allows it. */
#include <ctype.h>
#include <fcntl.h>

#include "fwctlctl.h"

int rpc_read_input(const char *spec, uint8_t **ret, size_t *ret_len) {
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

/* out_file: opened for out before the call (atomic-file.c) */
int rpc_print(const Caller *c, size_t request_size, const RpcReply *reply, const char *out, AtomicFile *out_file) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_(freep) char *hex = NULL;
        int r;

        if (out) {
                r = atomic_file_commit(out_file, reply->response, reply->size);
                if (r < 0)
                        return report_errno(r, "Failed to write %s", out);
        }

        if (arg_json) {
                hex = hex_encode(reply->response, reply->size);
                j = caller_json_new(c);
                if (!hex || !j)
                        return report_errno(-ENOMEM, "Failed to print the result");
                json_object_object_add(j, "scope", json_object_new_int64(c->scope));
                json_object_object_add(j, "scope_name", json_object_new_string(scope_to_string(c->scope) ?: "unknown"));
                json_object_object_add(j, "request_size", json_object_new_int64((int64_t) request_size));
                json_object_object_add(j, "response_size", json_object_new_int64((int64_t) reply->size));
                json_object_object_add(j, "response", out ? NULL : json_object_new_string(hex));
                json_object_object_add(j, "response_file", out ? json_object_new_string(out) : NULL);
                json_object_object_add(j, "result", json_object_get(reply->result));
                json_print(j);
                return 0;
        }

        if (report_call > 0)
                printf("%scall %u: rpc, %zu bytes\n", report_call > 1 ? "\n" : "", report_call, request_size);
        json_object_object_foreach(reply->result, key, val)
                printf("%20s: %s\n", key, json_object_get_string(val));
        if (out)
                printf("%20s: %zu bytes written to %s\n", "response", reply->size, out);
        else {
                printf("%20s: %zu bytes\n", "response", reply->size);
                hexdump(reply->response, reply->size);
        }
        fflush(stdout);
        return 0;
}

/* Several --in: the requests are all read first, so that a bad one stops the run before
 * any call. */
static int rpc_several(sd_bus *bus, const char *device, uint32_t scope) {
        BatchCall *calls;
        int r = 0;

        if (arg_out)
                return report_error(-EINVAL, EXIT_USAGE, "usage",
                                    "--out takes the response of one call; with several --in use --json");
        calls = calloc(arg_n_in, sizeof(BatchCall));
        if (!calls)
                return report_errno(-ENOMEM, "Failed to read the requests");
        for (size_t i = 0; i < arg_n_in && r >= 0; i++) {
                calls[i] = (BatchCall) { .kind = BATCH_RPC, .max_response = arg_max };
                r = rpc_read_input(arg_in[i], &calls[i].request, &calls[i].request_size);
        }
        if (r >= 0)
                r = batch_run(bus, device, scope, calls, arg_n_in);
        batch_calls_free(calls, arg_n_in);
        return r;
}

int cmd_rpc(sd_bus *bus, int argc, char **argv) {
        _cleanup_(atomic_file_done) AtomicFile out_file = { .fd = -EBADF };
        _cleanup_(caller_done) Caller c = {};
        _cleanup_(rpc_reply_done) RpcReply reply = {};
        _cleanup_(freep) uint8_t *req = NULL;
        uint32_t scope = arg_scope < 0 ? 0 : (uint32_t) arg_scope;
        size_t req_len = 0;
        int r;

        if (arg_n_in == 0)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "rpc needs the request: --in HEX or --in @FILE");
        if (arg_n_in > 1)
                return rpc_several(bus, argv[0], scope);

        r = rpc_read_input(arg_in[0], &req, &req_len);
        if (r < 0)
                return r;
        /* Before the call: the answer of a call that ran (maybe a write) must have a place. */
        if (arg_out) {
                r = atomic_file_open(&out_file, arg_out);
                if (r < 0)
                        return report_errno(r, "Failed to create %s", arg_out);
        }
        r = caller_init(&c, bus, argv[0], scope);
        if (r < 0)
                return r;

        (void) polkit_agent_open_if_enabled();

        r = caller_rpc(&c, req, req_len, arg_max, &reply);
        if (r < 0)
                return r;
        return rpc_print(&c, req_len, &reply, arg_out, &out_file);
}
