/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pds fwctl driver (kernel-fwctl.md §3): a 48-byte request carrying two user
 * pointers (payload in, payload out), an endpoint/operation table only the
 * driver knows, attribute -> scope, and the request struct returned as the
 * response with out.retval filled. Info comes back empty (mainline bug).
 *
 * The endpoint/operation table is private to this emulator's "firmware"; the
 * uAPI offers no way to list it, and nothing here pretends otherwise.
 *
 * Firmware fault ("emu fault fwctlN WORD"): "adminq-error" makes the admin queue
 * command fail after validation: the ioctl returns EIO, retval is not filled.
 */
#include "emu.h"

#include <errno.h>
#include <string.h>

#define PDS_RPC_LEN 48
#define PDS_MAX_REQ 4096
#define PDS_MAX_RESP 4096

/* Operation attributes as the firmware reports them. */
#define ATTR_READ 0x00
#define ATTR_DEBUG_READ 0x02
#define ATTR_WRITE 0x04
#define ATTR_DEBUG_WRITE 0x08
#define ATTR_SYNC 0x10
#define ATTR_PRIVILEGED 0x20    /* anything else: DEBUG_WRITE_FULL */

struct pds_op {
        uint32_t ep;
        uint16_t cmd;
        uint8_t version;        /* firmware's version of this operation */
        uint8_t attr;
        uint32_t fw_err;        /* non-zero: firmware reports this in retval */
};

static const struct pds_op ops[] = {
        { 1, 0x0001, 1, ATTR_READ, 0 },         /* ep 1: device identity, read */
        { 1, 0x0002, 2, ATTR_WRITE, 0 },        /* ep 1: set a config value */
        { 1, 0x0003, 1, ATTR_SYNC, 0 },         /* ep 1: sync config */
        { 2, 0x0010, 1, ATTR_DEBUG_READ, 0 },   /* ep 2: read debug counters */
        { 2, 0x0011, 1, ATTR_DEBUG_WRITE, 0 },  /* ep 2: clear debug counters */
        { 2, 0x0012, 1, ATTR_PRIVILEGED, 0 },   /* ep 2: raw register poke */
        { 2, 0x0013, 1, ATTR_DEBUG_READ, 0x5 }, /* ep 2: firmware says "busy" */
};

static uint32_t attr_scope(uint8_t attr)
{
        switch (attr) {
        case ATTR_READ:
        case ATTR_WRITE:
        case ATTR_SYNC:
                return FWCTL_RPC_CONFIGURATION;
        case ATTR_DEBUG_READ:
                return FWCTL_RPC_DEBUG_READ_ONLY;
        case ATTR_DEBUG_WRITE:
                return FWCTL_RPC_DEBUG_WRITE;
        default:
                return FWCTL_RPC_DEBUG_WRITE_FULL;
        }
}

static uint8_t *pds_info(struct emu_dev *dev G_GNUC_UNUSED, UMockdevIoctlClient *client G_GNUC_UNUSED, size_t *len)
{
        /* Mainline fills a struct but never sets the length. */
        *len = 0;
        return g_malloc0(8);
}

static int pds_rpc(struct emu_rpc *r)
{
        uint32_t op = emu_get_le32(r->in), ep = emu_get_le32(r->in + 4);
        uint32_t in_len = emu_get_le32(r->in + 12), out_len = emu_get_le32(r->in + 36);
        uint16_t cmd = op & 0xffff;
        uint8_t ver = (op >> 16) & 0xff;
        const struct pds_op *found = NULL;
        bool ep_known = false;
        UMockdevIoctlData *pin = NULL, *pout = NULL;
        char fault[32];

        if (in_len > PDS_MAX_REQ || out_len > PDS_MAX_RESP)
                return EINVAL;
        for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
                if (ops[i].ep != ep)
                        continue;
                ep_known = true;
                if (ops[i].cmd == cmd && ver <= ops[i].version)
                        found = &ops[i];
        }
        if (!ep_known || !found)
                return EINVAL;
        if (r->scope < attr_scope(found->attr))
                return EPERM;

        /* Nested user pointers come from the caller's own struct. */
        if (in_len) {
                pin = emu_resolve(r->in_data, 16, in_len);
                if (!pin)
                        return EFAULT;
        }
        /* Firmware fault: the admin queue command fails. The driver returns that
         * errno; nothing is copied out and retval is not filled. */
        emu_dev_get_fault(r->dev, fault, sizeof(fault));
        if (strcmp(fault, "adminq-error") == 0) {
                g_clear_object(&pin);
                return EIO;
        }
        if (out_len) {
                pout = emu_resolve(r->in_data, 40, out_len);
                if (!pout) {
                        g_clear_object(&pin);
                        return EFAULT;
                }
                /* All out.len bytes are copied: the firmware's answer, zero padded. */
                memset(pout->data, 0, out_len);
                for (uint32_t i = 0; i < out_len; i++)
                        pout->data[i] = (uint8_t)(cmd + ep * 31 + i);
                if (pin)
                        memcpy(pout->data, pin->data, MIN(in_len, out_len) > 8 ? 8 : MIN(in_len, out_len));
        }
        g_clear_object(&pin);
        g_clear_object(&pout);

        /* The kernel's copy of the input is the response, out_len = in_len (48 when
         * the caller sends the struct as it should); only out.retval changes. */
        r->out = g_memdup2(r->in, r->in_alloc);
        emu_put_le32(r->out + 24, found->fw_err);
        r->out_len = r->in_len;
        return 0;
}

const struct emu_driver emu_pds_driver = {
        .type = "pds",
        .fwctl_type = FWCTL_DEVICE_TYPE_PDS,
        .pci_vendor = "0x1dd8",
        .pci_device = "0x1003",
        .pci_class = "0x020000",
        .pci_driver = "pds_core",
        .aux_prefix = "pds_core.fwctl",
        .aux_driver = "pds_fwctl",
        .info = pds_info,
        .rpc = pds_rpc,
};
