/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * classify(): the raw request bytes a D-Bus caller sends to Rpc(), for the plugin
 * compiled in. Input: scope u8, firmware length u16, the firmware replies attach()
 * reads (CXL's feature list), then the request.
 */
#include <stdio.h>

#include <fwctld/fwctl-uapi.h>

#include "fuzz-plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzPlugin *fp = fuzz_plugin_get();
        FuzzData in = { data, size }, fw;
        fwctld_classification cls = {};
        char *reason = NULL;
        const uint8_t *p;
        uint8_t *request;
        uint32_t scope;
        int r;

        scope = fuzz_u8(&in);
        fw.n = fuzz_bytes(&in, fuzz_u16(&in), &fw.p);
        fuzz_firmware_set(&fw);
        fuzz_plugin_attach(fp);

        /* The daemon refuses empty requests before classify(). */
        if (in.n > 0) {
                /* An exact-size copy: an over-read is an ASan report, not a read of the next field. */
                size_t n = fuzz_bytes(&in, in.n, &p);

                request = malloc(n);
                if (!request)
                        abort();
                memcpy(request, p, n);
                r = fp->plugin->classify(fp->device, request, n, scope, &cls, &reason);
                if (r >= 0) {
                        if (cls.min_scope >= _FWCTLD_SCOPE_MAX) {
                                fprintf(stderr, "fuzz: classify() returned scope %u\n", cls.min_scope);
                                abort();
                        }
                        if (!memchr(cls.operation, 0, sizeof(cls.operation)) || !fuzz_utf8_valid(cls.operation)) {
                                fprintf(stderr, "fuzz: classify() returned a bad operation name\n");
                                abort();
                        }
                        /* The daemon refuses a kernel_out_min above the core's 2 MiB limit. */
                        if (cls.kernel_out_min > FWCTLD_MAX_RPC_LEN) {
                                fprintf(stderr, "fuzz: classify() returned kernel_out_min %zu\n", cls.kernel_out_min);
                                abort();
                        }
                } else if (reason && !fuzz_utf8_valid(reason)) {
                        fprintf(stderr, "fuzz: classify() reason is not UTF-8\n");
                        abort();
                }
                free(reason);
                free(request);
        }

        fuzz_firmware_set(NULL);
        fuzz_plugin_detach(fp);
        return 0;
}
