/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A device of a type fwctld has no plugin for: it stands for a future fwctl
 * driver and is NOT a mainline driver. It uses device type 8 (the number an
 * unmerged sample driver uses) and the driver name "fwctl_sample", so tests can
 * see how the daemon serves an unknown type through its generic path.
 *
 * FWCTL_INFO returns a small fixed blob (SAMPLE_INFO_LEN bytes: le32 magic
 * "SMPL", le32 version 1). FWCTL_RPC goes through the core's rules like every
 * other device (sizes, scope, CAP_SYS_RAWIO, taint before the driver runs,
 * truncating copy-out); the driver accepts any scope and any input, and answers
 * with the input itself: out_len reported = in_len, the caller gets
 * min(in_len, out_len) bytes of it.
 */
#include "emu.h"

#include <string.h>

#define SAMPLE_FWCTL_TYPE 8
#define SAMPLE_INFO_LEN 8
#define SAMPLE_INFO_MAGIC 0x4c504d53u   /* "SMPL" little-endian */
#define SAMPLE_INFO_VERSION 1u

static uint8_t *sample_info(struct emu_dev *dev G_GNUC_UNUSED, UMockdevIoctlClient *client G_GNUC_UNUSED,
                            size_t *len)
{
        uint8_t *d = g_malloc0(SAMPLE_INFO_LEN);

        emu_put_le32(d, SAMPLE_INFO_MAGIC);
        emu_put_le32(d + 4, SAMPLE_INFO_VERSION);
        *len = SAMPLE_INFO_LEN;
        return d;
}

static int sample_rpc(struct emu_rpc *r)
{
        /* The response buffer is a copy of the kernel's input: the core copies
         * min(out_len, in_len) of it and reports in_len. */
        r->out = g_malloc0(MAX(r->in_len, 1));
        if (r->in_len)
                memcpy(r->out, r->in, r->in_len);
        r->out_len = r->in_len;
        return 0;
}

const struct emu_driver emu_sample_driver = {
        .type = "sample",
        .fwctl_type = SAMPLE_FWCTL_TYPE,
        /* Synthetic ids (QEMU's vendor id, an unused device id, class "other"): no
         * real hardware claims this device. */
        .pci_vendor = "0x1b36",
        .pci_device = "0x0f17",
        .pci_class = "0xff0000",
        .pci_driver = "fwctl_sample_core",
        .aux_prefix = "fwctl_sample_core.fwctl",
        .aux_driver = "fwctl_sample",
        .info = sample_info,
        .rpc = sample_rpc,
};
