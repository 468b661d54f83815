/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctlctl batch DEVICE [--scope S] [--write] [--file FILE]: the calls of FILE (or stdin),
 * one a line, and rpc with several --in. At configuration and debug-read-only they share
 * one session (one polkit check); at a tainting scope each call keeps its own check.
 * The whole input is read and checked before the first call; the run stops at the first
 * call that fails.
 */
#include <ctype.h>

#include "fwctlctl.h"

void batch_calls_free(BatchCall *calls, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(calls[i].request);
                free(calls[i].operation);
                free(calls[i].parameters);
        }
        free(calls);
}

static int batch_run_one(Caller *c, const BatchCall *b, sd_bus_message **operations) {
        _cleanup_(rpc_reply_done) RpcReply reply = {};
        _cleanup_(freep) char *result = NULL;
        int r, scope;

        if (b->kind == BATCH_RPC) {
                r = caller_rpc(c, b->request, b->request_size, b->max_response, &reply);
                if (r < 0)
                        return r;
                return rpc_print(c, b->request_size, &reply, NULL, NULL);
        }

        scope = exec_operation_scope(c->bus, c->path, b->operation, operations);
        r = caller_execute(c, b->operation, b->parameters, scope, &result);
        if (r < 0)
                return r;
        return exec_print(c, b->operation, b->parameters, scope, result);
}

int batch_run(sd_bus *bus, const char *device, uint32_t scope, BatchCall *calls, size_t n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *operations = NULL;
        _cleanup_(caller_done) Caller c = {};
        int r;

        /* One compact document per call and line (JSON Lines), whatever --json= asked for. */
        arg_json_flags = JSON_C_TO_STRING_PLAIN;

        r = caller_init(&c, bus, device, scope);
        if (r < 0)
                return r;

        (void) polkit_agent_open_if_enabled();

        /* Every call at a tainting scope is a decision of its own: no sessions there. */
        if (n > 1 && arg_session && scope <= 1) {
                r = caller_open_session(&c, arg_write);
                if (r < 0)
                        return r;
        }

        /* --json promises one document: an empty run says so, with the keys of a call's. */
        if (n == 0 && arg_json) {
                _cleanup_(json_object_putp) json_object *j = caller_json_new(&c);

                if (!j)
                        return report_errno(-ENOMEM, "Failed to print the result");
                json_object_object_add(j, "session", NULL);
                json_object_object_add(j, "calls", json_object_new_int64(0));
                json_print(j);
        }

        for (size_t i = 0; i < n; i++) {
                report_call = (unsigned) i + 1;
                report_line = calls[i].line;
                r = batch_run_one(&c, &calls[i], &operations);
                if (r < 0)
                        return r;
        }
        report_call = report_line = 0;
        return 0;
}

/* The next word of *p, NUL-terminated in place; NULL at the end of the line. */
static char *next_word(char **p) {
        char *w = *p, *e;

        while (isspace((unsigned char) *w))
                w++;
        if (!*w)
                return NULL;
        for (e = w; *e && !isspace((unsigned char) *e); e++)
                ;
        *p = *e ? e + 1 : e;
        *e = '\0';
        return w;
}

/* rpc HEX|@FILE [MAX] */
static int parse_rpc(char *rest, BatchCall *b) {
        const char *in, *max;
        int r;

        in = next_word(&rest);
        max = next_word(&rest);
        if (!in || next_word(&rest))
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Expected 'rpc HEX|@FILE [MAX]'");
        b->kind = BATCH_RPC;
        b->max_response = arg_max;
        if (max) {
                r = parse_max(max, "MAX", &b->max_response);
                if (r < 0)
                        return r;
        }
        if (in[0] == '@')
                return rpc_read_input(in, &b->request, &b->request_size);
        r = hex_decode(in, &b->request, &b->request_size);
        if (r == -EINVAL)
                return report_error(r, EXIT_USAGE, "usage", "Not a hex string (use @FILE for binary input): %.40s", in);
        return r < 0 ? report_errno(r, "Failed to parse the request") : 0;
}

/* exec OPERATION [JSON | KEY=VALUE...]: JSON is the rest of the line, spaces and all. */
static int parse_exec(char *rest, BatchCall *b) {
        _cleanup_(freep) char **words = NULL;
        const char *op, *w;
        size_t n = 0;
        int r;

        op = next_word(&rest);
        if (!op)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Expected 'exec OPERATION [JSON | KEY=VALUE...]'");
        b->kind = BATCH_EXEC;
        b->operation = strdup(op);
        if (!b->operation)
                return report_errno(-ENOMEM, "Failed to read the batch");
        while (isspace((unsigned char) *rest))
                rest++;
        if (rest[0] == '{')
                r = exec_build_parameters(1, &rest, &b->parameters);
        else {
                words = calloc(strlen(rest) / 2 + 1, sizeof(char *));
                if (!words)
                        return report_errno(-ENOMEM, "Failed to read the batch");
                while ((w = next_word(&rest)))
                        words[n++] = (char *) w;
                r = exec_build_parameters((int) n, words, &b->parameters);
        }
        return r == -ENOMEM ? report_errno(r, "Failed to build the parameters") : r;
}

static int parse_line(char *line, BatchCall *b) {
        const char *verb;

        verb = next_word(&line);
        if (streq(verb, "rpc"))
                return parse_rpc(line, b);
        if (streq(verb, "exec"))
                return parse_exec(line, b);
        return report_error(-EINVAL, EXIT_USAGE, "usage", "Unknown call '%s' (rpc or exec)", verb);
}

/* Blank lines and lines starting with '#' are skipped. */
static int batch_read(FILE *f, BatchCall **ret, size_t *ret_n) {
        _cleanup_(freep) char *line = NULL;
        BatchCall *calls = NULL;
        size_t cap = 0, n = 0;
        unsigned lineno = 0;
        int r = 0, k;

        while (r >= 0 && getline(&line, &cap, f) >= 0) {
                char *p = line;
                BatchCall *a;

                lineno++;
                for (size_t l = strlen(p); l > 0 && isspace((unsigned char) p[l - 1]); l--)
                        p[l - 1] = '\0';
                while (isspace((unsigned char) *p))
                        p++;
                if (!*p || *p == '#')
                        continue;
                a = realloc(calls, (n + 1) * sizeof(BatchCall));
                if (!a) {
                        r = report_errno(-ENOMEM, "Failed to read the batch");
                        break;
                }
                calls = a;
                calls[n] = (BatchCall) { .line = lineno };
                report_line = lineno;
                r = parse_line(p, &calls[n++]);
                report_line = 0;
        }
        /* getline()'s errno, e.g. EISDIR for --file DIRECTORY */
        k = errno;
        if (r >= 0 && ferror(f))
                r = report_error(-k, EXIT_USAGE, "usage", "Failed to read %s: %s", arg_file ?: "stdin", strerror(k));
        if (r < 0) {
                batch_calls_free(calls, n);
                return r;
        }
        *ret = calls;
        *ret_n = n;
        return 0;
}

int cmd_batch(sd_bus *bus, int argc, char **argv) {
        _cleanup_(fclosep) FILE *file = NULL;
        BatchCall *calls = NULL;
        size_t n = 0;
        int r;

        if (arg_file && !streq(arg_file, "-")) {
                file = fopen(arg_file, "re");
                if (!file)
                        return report_error(-errno, EXIT_USAGE, "usage", "Failed to open %s: %s", arg_file,
                                            strerror(errno));
        }

        r = batch_read(file ?: stdin, &calls, &n);
        if (r < 0)
                return r;
        r = batch_run(bus, argv[0], arg_scope < 0 ? 0 : (uint32_t) arg_scope, calls, n);
        batch_calls_free(calls, n);
        return r;
}
