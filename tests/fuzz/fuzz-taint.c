/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* taint_parse(): the contents of /proc/sys/kernel/tainted (taint_read() NUL-terminates). */
#include <stdio.h>

#include "fuzz-util.h"
#include "taint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzData in = { data, size };
        bool tainted = false;
        char *s;
        int r;

        s = fuzz_string(&in, size);
        r = taint_parse(s, &tainted);
        if (r > 0) {
                fprintf(stderr, "fuzz: taint_parse() returned %d\n", r);
                abort();
        }
        free(s);
        return 0;
}
