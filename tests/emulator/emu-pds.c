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
 *
 * The input is the core's exact kvzalloc(in_len) copy, not padded: a request
 * too short for the fields the driver touches is a detected fault
 * (pds_check_access).
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

/*
 * pdsfc_fw_rpc() takes the core's kvzalloc(in_len) buffer as a struct fwctl_rpc_pds
 * without looking at in_len: validation reads op, ep, in.len and out.len (40
 * bytes), the copies read in.payload (@16) and out.payload (@40, 48 bytes), and
 * success writes out.retval (@24) and returns that buffer with *out_len = in_len.
 * A shorter request makes the kernel read, or write, beyond its allocation: a
 * detected fault. The emulator goes on with zeros for the missing bytes and never
 * writes past in_len.
 */
struct pds_access {
        size_t reads;           /* request bytes the driver reads */
        bool retval;            /* out.retval written (bytes 24-27) */
};

static void pds_check_access(const struct emu_rpc *r, uint32_t op, const struct pds_access *acc)
{
        if (acc->retval && r->in_len < 28)
                emu_report_fault(r->dev, op, r->in_len, r->user_out_len, "writes", 28,
                                 "pdsfc_fw_rpc() writes out.retval (bytes 24-27) into "
                                 "kvzalloc(in_len=%zu)%s",
                                 r->in_len, r->in_len ? ": kernel heap overflow"
                                                      : " = ZERO_SIZE_PTR: the kernel oopses");
        else if (acc->reads > r->in_len)
                emu_report_fault(r->dev, op, r->in_len, r->user_out_len, "reads", acc->reads,
                                 "pdsfc_fw_rpc() reads %zu bytes of struct fwctl_rpc_pds from "
                                 "kvzalloc(in_len=%zu)%s",
                                 acc->reads, r->in_len, r->in_len ? ": kernel heap over-read"
                                                                  : " = ZERO_SIZE_PTR: the kernel oopses");
}

/* A user pointer at @off of the caller's struct; EFAULT when the struct is too
 * short to hold it (the kernel would use heap garbage as the address). */
static int pds_user_buf(const struct emu_rpc *r, size_t off, uint32_t len, UMockdevIoctlData **ret)
{
        *ret = NULL;
        if (!len)
                return 0;
        if (!r->in_data || r->in_len < off + 8)
                return EFAULT;
        *ret = emu_resolve(r->in_data, off, len);
        return *ret ? 0 : EFAULT;
}

static const struct pds_op *pds_find_op(uint32_t ep, uint32_t op, bool *ep_known)
{
        uint16_t cmd = op & 0xffff;
        uint8_t ver = (op >> 16) & 0xff;
        const struct pds_op *found = NULL;

        *ep_known = false;
        for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
                if (ops[i].ep != ep)
                        continue;
                *ep_known = true;
                if (ops[i].cmd == cmd && ver <= ops[i].version)
                        found = &ops[i];
        }
        return found;
}

/* The firmware's answer: all out.len bytes (the first 8 echo the request payload). */
static void pds_fill_payload(uint8_t *p, uint32_t out_len, const UMockdevIoctlData *pin,
                             uint32_t in_len, uint16_t cmd, uint32_t ep)
{
        for (uint32_t i = 0; i < out_len; i++)
                p[i] = (uint8_t)(cmd + ep * 31 + i);
        if (pin)
                memcpy(p, pin->data, MIN(MIN(in_len, out_len), 8u));
}

static int pds_run(struct emu_rpc *r, const uint8_t *rq, struct pds_access *acc)
{
        uint32_t op = emu_get_le32(rq), ep = emu_get_le32(rq + 4);
        uint32_t in_len = emu_get_le32(rq + 12), out_len = emu_get_le32(rq + 36);
        const struct pds_op *found;
        bool ep_known;
        g_autoptr(UMockdevIoctlData) pin = NULL;
        g_autoptr(UMockdevIoctlData) pout = NULL;
        char fault[32];
        int err;

        acc->reads = 40;                                /* op, ep, in.len, out.len */
        if (in_len > PDS_MAX_REQ || out_len > PDS_MAX_RESP)
                return EINVAL;
        found = pds_find_op(ep, op, &ep_known);
        if (!ep_known || !found)
                return EINVAL;
        if (r->scope < attr_scope(found->attr))
                return EPERM;

        /* Nested user pointers come from the caller's own struct. */
        err = pds_user_buf(r, 16, in_len, &pin);
        if (err)
                return err;
        /* Firmware fault: the admin queue command fails. The driver returns that
         * errno; nothing is copied out and retval is not filled. */
        emu_dev_get_fault(r->dev, fault, sizeof(fault));
        if (strcmp(fault, "adminq-error") == 0)
                return EIO;
        if (out_len)
                acc->reads = PDS_RPC_LEN;               /* out.payload */
        err = pds_user_buf(r, 40, out_len, &pout);
        if (err)
                return err;
        if (pout)
                pds_fill_payload(pout->data, out_len, pin, in_len, op & 0xffff, ep);

        /* The kernel's copy of the input is the response, out_len = in_len (48 when
         * the caller sends the struct as it should); only out.retval changes, and
         * only inside the in_len bytes the kernel really owns. */
        acc->retval = true;
        r->out = g_malloc0(MAX(r->in_len, 1));
        if (r->in_len)
                memcpy(r->out, r->in, r->in_len);
        if (r->in_len >= 28)
                emu_put_le32(r->out + 24, found->fw_err);
        r->out_len = r->in_len;
        return 0;
}

static int pds_rpc(struct emu_rpc *r)
{
        g_autofree uint8_t *rq = emu_rpc_in_view(r, PDS_RPC_LEN);
        struct pds_access acc = { 0 };
        int err;

        err = pds_run(r, rq, &acc);
        pds_check_access(r, emu_get_le32(rq), &acc);
        return err;
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
