/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One Rpc() through the daemon's worker path (call_run(): marshal, FWCTL_RPC, decode)
 * with a fuzzed request and a fuzzed kernel/firmware reply. Input: scope u8,
 * max_response selector u16, request length u16, the request, then the firmware
 * stream (attach()'s replies first, then the Rpc's).
 */
#include <stdio.h>

#include <fwctld/fwctl-uapi.h>

#include "fuzz-plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzPlugin *fp = fuzz_plugin_get();
        FuzzData in = { data, size };
        char *reason = NULL;
        size_t max_response, n;
        const uint8_t *p;
        uint32_t scope;
        Call *c;
        int r;

        scope = fuzz_u8(&in) % _FWCTLD_SCOPE_MAX;
        max_response = fuzz_length(&in, 8192);
        n = fuzz_bytes(&in, fuzz_u16(&in), &p);
        /* call_validate(): these never reach the plugin. */
        if (n == 0 || max_response > FWCTLD_MAX_RPC_LEN)
                return 0;

        fuzz_firmware_set(&in);
        fuzz_plugin_attach(fp);

        if (call_new(fp->device, fp->device->policy, CALL_RPC, &c) < 0)
                abort();
        c->request = malloc(n);
        if (!c->request)
                abort();
        memcpy(c->request, p, n);
        c->request_size = n;
        c->max_response = max_response;

        r = fp->plugin->classify(fp->device, c->request, c->request_size, scope, &c->cls, &reason);
        free(reason);
        if (r >= 0) {
                if (c->cls.min_scope >= _FWCTLD_SCOPE_MAX)
                        abort();
                /* A caller asking too low gets ScopeTooLow; fuzz the one that asked high enough. */
                c->scope = c->cls.min_scope > scope ? c->cls.min_scope : scope;
                call_run(c);
                fuzz_check_call(c);
        }
        call_free(c);

        fuzz_firmware_set(NULL);
        fuzz_plugin_detach(fp);
        return 0;
}
