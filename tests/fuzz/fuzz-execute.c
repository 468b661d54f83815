/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Execute(): the parameter JSON of a named operation (classify_execute() on the main
 * thread, then execute() on the worker) with fuzzed firmware replies to every RPC the
 * operation makes. Input: operation index u8, JSON length u16, the JSON, then the
 * firmware stream (attach()'s replies first).
 */
#include <stdio.h>

#include "fuzz-plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzPlugin *fp = fuzz_plugin_get();
        FuzzData in = { data, size };
        const fwctld_operation *op;
        fwctld_classification cls = {};
        char *json, *reason = NULL;
        Call *c;
        int r = 0;

        if (fp->plugin->n_operations == 0)
                return 0;
        op = &fp->plugin->operations[fuzz_u8(&in) % fp->plugin->n_operations];
        json = fuzz_string(&in, fuzz_u16(&in));
        /* sd-bus delivers only valid UTF-8 strings (and never a NUL). */
        if (!fuzz_utf8_valid(json)) {
                free(json);
                return 0;
        }

        fuzz_firmware_set(&in);
        fuzz_plugin_attach(fp);

        /* call_classify(): the operation's scope and the names of the RPCs it declares. */
        cls.min_scope = op->min_scope;
        (void) snprintf(cls.operation, sizeof(cls.operation), "%s", op->rpc_operations ? op->rpc_operations : "");
        if (fp->plugin->classify_execute) {
                r = fp->plugin->classify_execute(fp->device, op, json, &cls, &reason);
                if (r < 0 && reason && !fuzz_utf8_valid(reason)) {
                        fprintf(stderr, "fuzz: classify_execute() reason is not UTF-8\n");
                        abort();
                }
                free(reason);
                if (r >= 0 && (cls.min_scope >= _FWCTLD_SCOPE_MAX || cls.min_scope < op->min_scope)) {
                        fprintf(stderr, "fuzz: classify_execute() returned scope %u\n", cls.min_scope);
                        abort();
                }
        }
        /* One name, every door: an accepted Execute names what it will send. */
        if (r >= 0 && (!memchr(cls.operation, 0, sizeof(cls.operation)) || cls.operation[0] == '\0' ||
                       !fuzz_utf8_valid(cls.operation))) {
                fprintf(stderr, "fuzz: operation '%s' names no RPCs\n", op->name);
                abort();
        }
        if (r >= 0) {
                if (call_new(fp->device, fp->device->policy, CALL_EXECUTE, &c) < 0)
                        abort();
                c->operation = op;
                (void) snprintf(c->execute_operation, sizeof(c->execute_operation), "%s", op->name);
                c->cls = cls;
                c->scope = cls.min_scope;
                c->parameters_json = json;
                json = NULL;
                call_run(c);
                fuzz_check_call(c);
                call_free(c);
        }
        free(json);

        fuzz_firmware_set(NULL);
        fuzz_plugin_detach(fp);
        return 0;
}
