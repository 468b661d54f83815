/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * info_to_json(): the FWCTL_INFO device data (and, for CXL, the feature list attach()
 * paged in). Input: firmware length u16, the firmware replies, then the device data.
 */
#include "fuzz-plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzPlugin *fp = fuzz_plugin_get();
        FuzzData in = { data, size }, fw;
        char *json = NULL;
        uint8_t *info;
        const uint8_t *p;
        size_t n;

        fw.n = fuzz_bytes(&in, fuzz_u16(&in), &fw.p);
        fuzz_firmware_set(&fw);
        fuzz_plugin_attach(fp);

        n = fuzz_bytes(&in, in.n, &p);
        info = malloc(n > 0 ? n : 1); /* fwctl_ioctl_info() never hands out NULL */
        if (!info)
                abort();
        if (n > 0)
                memcpy(info, p, n);
        if (fp->plugin->info_to_json(fp->device, info, n, &json) >= 0) {
                fuzz_check_json(json, true);
                free(json);
        }
        free(info);

        fuzz_firmware_set(NULL);
        fuzz_plugin_detach(fp);
        return 0;
}
