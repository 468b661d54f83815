/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bnxt fwctl driver (kernel-fwctl.md §3): the input is a raw little-endian
 * HWRM request. Unknown commands and scopes too low get EPERM. The "firmware"
 * answers inline commands with a fixed-size response per command.
 *
 * DMA commands: only NVM_READ (0xfffd) is emulated with its real request layout
 * (host_dest_addr le64 @16, dir_idx le16 @24, offset le32 @28, len le32 @32;
 * 40 bytes): the kernel copies len bytes to the caller's host_dest_addr. The
 * other DMA commands pass the scope check like in the kernel but the firmware
 * answers HWRM CMD_NOT_SUPPORTED (0xffff) in error_code (no DMA is emulated).
 *
 * Replies with content: VER_GET (resp_len 104), FUNC_QCAPS (80), TEMP_MONITOR_QUERY
 * (16), NVM_GET_DEV_INFO (32); every other command gets a 16-byte success reply.
 *
 * Firmware faults ("emu fault fwctlN WORD"), applied to the next replies:
 *   resp-len-overflow  resp_len set beyond the out_len the caller passed
 *   short              a 4-byte response (resp_len 4): the kernel copies only
 *                      those 4 bytes, so the caller sees resp_len 0
 */
#include "emu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HWRM_MIN_IN 16
#define HWRM_MAX_IN 128
#define HWRM_MIN_OUT 8
#define HWRM_ERR_CMD_NOT_SUPPORTED 0xffff

#define HWRM_VER_GET 0x0
#define HWRM_FUNC_QCAPS 0x15
#define HWRM_TEMP_MONITOR_QUERY 0xe0
#define HWRM_NVM_GET_DEV_INFO 0xfff6
#define HWRM_NVM_READ 0xfffd
#define NVM_READ_REQ_LEN 40
#define NVM_READ_MAX_LEN (1u << 20)   /* emulated NVM directory entry size */

enum { INLINE, DMA };

struct cmd {
        uint16_t type;
        uint8_t scope;
        uint8_t dma;
};

static const struct cmd cmds[] = {
        /* CONFIGURATION */
        { 0x11, 0, INLINE }, { 0x25, 0, INLINE }, { 0xc0, 0, INLINE }, { 0xc3, 0, INLINE },
        { 0xc8, 0, INLINE }, { 0xff0f, 0, INLINE }, { 0xff15, 0, INLINE }, { 0xff16, 0, INLINE },
        { 0xffec, 0, INLINE }, { 0xffee, 0, INLINE }, { 0xfff0, 0, INLINE }, { 0xfff5, 0, INLINE },
        { 0xfff7, 0, INLINE }, { 0xfff8, 0, INLINE }, { 0xfff9, 0, INLINE },
        { 0xfff1, 0, DMA }, { 0xfff2, 0, DMA },
        /* DEBUG_READ_ONLY, inline */
        { 0x0, 1, INLINE }, { 0xc, 1, INLINE }, { 0x15, 1, INLINE }, { 0x16, 1, INLINE },
        { 0x18, 1, INLINE }, { 0x27, 1, INLINE }, { 0x28, 1, INLINE }, { 0x2a, 1, INLINE },
        { 0x2c, 1, INLINE }, { 0xb6, 1, INLINE }, { 0x37, 1, INLINE }, { 0x39, 1, INLINE },
        { 0x47, 1, INLINE }, { 0x87, 1, INLINE }, { 0x88, 1, INLINE }, { 0x8a, 1, INLINE },
        { 0x8c, 1, INLINE }, { 0x8d, 1, INLINE }, { 0x8f, 1, INLINE }, { 0xa0, 1, INLINE },
        { 0xbc, 1, INLINE }, { 0xbe, 1, INLINE }, { 0xc1, 1, INLINE }, { 0xc2, 1, INLINE },
        { 0xc9, 1, INLINE }, { 0xda, 1, INLINE }, { 0xdd, 1, INLINE }, { 0xdf, 1, INLINE },
        { 0xe0, 1, INLINE }, { 0xe1, 1, INLINE }, { 0xe2, 1, INLINE }, { 0x112, 1, INLINE },
        { 0x124, 1, INLINE }, { 0x190, 1, INLINE }, { 0x192, 1, INLINE }, { 0x194, 1, INLINE },
        { 0x198, 1, INLINE }, { 0x19c, 1, INLINE }, { 0x1a1, 1, INLINE }, { 0x1a4, 1, INLINE },
        { 0x1a8, 1, INLINE }, { 0x1ac, 1, INLINE }, { 0x1c3, 1, INLINE }, { 0x232, 1, INLINE },
        { 0x200, 1, INLINE }, { 0xff1c, 1, INLINE }, { 0xff20, 1, INLINE }, { 0xff21, 1, INLINE },
        { 0xff25, 1, INLINE }, { 0xff26, 1, INLINE }, { 0xff2e, 1, INLINE }, { 0xff2f, 1, INLINE },
        { 0xff18, 1, INLINE }, { 0xfff6, 1, INLINE }, { 0xfffb, 1, INLINE },
        /* DEBUG_READ_ONLY, DMA */
        { 0xfffd, 1, DMA }, { 0xfffa, 1, DMA }, { 0xfffc, 1, DMA }, { 0xcb, 1, DMA },
        { 0xff17, 1, DMA }, { 0xff19, 1, DMA }, { 0xff10, 1, DMA }, { 0xff11, 1, DMA },
        { 0xff0e, 1, DMA }, { 0x3c, 1, DMA }, { 0x23, 1, DMA }, { 0xb4, 1, DMA },
        { 0x204, 1, DMA }, { 0x218, 1, DMA }, { 0xe6, 1, DMA }, { 0xe7, 1, DMA },
        { 0xd5, 1, DMA }, { 0xd9, 1, DMA }, { 0x203, 1, DMA },
        { 0xba, 1, DMA },   /* PORT_QSTATS_EXT_PFC_ADV */
        { 0x67, 1, DMA },   /* PORT_EVENTS_LOG */
        /* DEBUG_WRITE */
        { 0x2b, 2, INLINE }, { 0xb5, 2, INLINE },
        { 0xfffe, 2, DMA }, { 0xfff4, 2, DMA }, { 0xca, 2, DMA }, { 0xff2d, 2, DMA },
        /* DEBUG_WRITE_FULL */
        { 0xffff, 3, DMA }, { 0xbf, 3, DMA }, { 0xff30, 3, DMA },
};

static const struct cmd *find_cmd(uint16_t type)
{
        for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++)
                if (cmds[i].type == type)
                        return &cmds[i];
        return NULL;
}

static uint8_t *bnxt_info(struct emu_dev *dev G_GNUC_UNUSED, UMockdevIoctlClient *client G_GNUC_UNUSED, size_t *len)
{
        uint8_t *d = g_malloc0(4);
        emu_put_le32(d, 0xF);
        *len = 4;
        return d;
}

/*
 * Fill the response header; the HWRM "valid" byte is the response's last byte.
 * The out buffer holds MAX(user_out_len, 128) bytes. Then do what
 * bnxt_send_msg() does: copy min(resp_len, out_len) bytes of the firmware's
 * response into the zeroed buffer the caller gets (nothing beyond resp_len).
 */
static void resp_header(struct emu_rpc *r, uint16_t err, uint16_t resp_len)
{
        uint8_t *o = r->out;
        size_t alloc = MAX(r->user_out_len, 128), copied;
        char fault[32];

        emu_put_le16(o, err);
        memcpy(o + 2, r->in, 2);       /* req_type */
        memcpy(o + 4, r->in + 4, 2);   /* seq_id */
        emu_dev_get_fault(r->dev, fault, sizeof(fault));
        if (strcmp(fault, "resp-len-overflow") == 0)
                resp_len = (uint16_t)MIN(r->user_out_len + 8, 0xffff);
        else if (strcmp(fault, "short") == 0)
                resp_len = 4;
        emu_put_le16(o + 6, resp_len);
        if ((size_t)resp_len - 1 < alloc)
                o[resp_len - 1] = 1;
        copied = MIN((size_t)resp_len, r->user_out_len);
        memset(o + copied, 0, alloc - copied);
}

static int bnxt_rpc(struct emu_rpc *r)
{
        uint16_t type;
        const struct cmd *c;
        uint16_t resp_len = 16;

        if (r->in_len < HWRM_MIN_IN || r->in_len > HWRM_MAX_IN)
                return EINVAL;
        if (r->user_out_len < HWRM_MIN_OUT)
                return EINVAL;
        type = emu_get_le16(r->in);
        c = find_cmd(type);
        /* DMA buffer checks come before the scope check, as in the driver. */
        if (c && type == HWRM_NVM_READ) {
                uint32_t len = emu_get_le32(r->in + 32);
                if (r->in_len != NVM_READ_REQ_LEN || len == 0 || len > NVM_READ_MAX_LEN)
                        return EINVAL;
        }
        if (!c || r->scope < c->scope)
                return EPERM;

        /* Firmware writes a full response; the caller sees out_len bytes of it
         * (whole buffer returned, out_len echoed). */
        r->out = g_malloc0(MAX(r->user_out_len, 128));
        r->out_len = r->user_out_len;

        if (c->dma && type != HWRM_NVM_READ) {
                resp_header(r, HWRM_ERR_CMD_NOT_SUPPORTED, 16);
                return 0;
        }
        if (type == HWRM_NVM_READ) {
                uint32_t len = emu_get_le32(r->in + 32), off = emu_get_le32(r->in + 28);
                uint16_t dir = emu_get_le16(r->in + 24);
                UMockdevIoctlData *dst = emu_resolve(r->in_data, 16, len);

                if (!dst)
                        return EFAULT;
                for (uint32_t i = 0; i < len; i++)
                        dst->data[i] = (uint8_t)((off + i) * 13 + dir);
                g_object_unref(dst);
        } else if (type == HWRM_VER_GET) {
                resp_len = 104;
                /* hwrm interface 1.10.2, firmware 224.0.123.0 */
                /* hwrm_ver_get_output: interface @8, firmware @12, hwrm_fw_name[16] @32,
                 * active_pkg_name[16] @80. */
                r->out[8] = 1, r->out[9] = 10, r->out[10] = 2;
                r->out[12] = 224, r->out[13] = 0, r->out[14] = 123, r->out[15] = 0;
                snprintf((char *)r->out + 32, 16, "224.0.123.0");
                snprintf((char *)r->out + 80, 16, "224.1.0.0");
        } else if (type == HWRM_FUNC_QCAPS) {
                /* hwrm_func_qcaps_output (80 bytes): fid @8, port_id @10, flags @12,
                 * mac_address @16, le16 maxima from @22. */
                static const uint8_t mac[6] = { 0x00, 0x0a, 0xf7, 0x12, 0x34, 0x56 };
                resp_len = 80;
                emu_put_le16(r->out + 8, 0);       /* fid of this PF */
                emu_put_le16(r->out + 10, 0);      /* port 0 */
                emu_put_le32(r->out + 12, 0x14);   /* PTP, ROCE_V2 */
                memcpy(r->out + 16, mac, 6);
                emu_put_le16(r->out + 22, 64);     /* max_rsscos_ctx */
                emu_put_le16(r->out + 24, 128);    /* max_cmpl_rings */
                emu_put_le16(r->out + 26, 64);     /* max_tx_rings */
                emu_put_le16(r->out + 28, 64);     /* max_rx_rings */
                emu_put_le16(r->out + 30, 256);    /* max_l2_ctxs */
                emu_put_le16(r->out + 32, 128);    /* max_vnics */
                emu_put_le16(r->out + 34, 128);    /* first_vf_id */
                emu_put_le16(r->out + 36, 16);     /* max_vfs */
                emu_put_le16(r->out + 38, 128);    /* max_stat_ctx */
        } else if (type == HWRM_NVM_GET_DEV_INFO) {
                /* hwrm_nvm_get_dev_info_output (32 bytes): manufacturer_id @8, device_id @10,
                 * sector_size @12, nvram_size @16, reserved_size @20, available_size @24,
                 * nvm_cfg_ver maj/min/upd @28. */
                resp_len = 32;
                emu_put_le16(r->out + 8, 0x00c2);
                emu_put_le16(r->out + 10, 0x2019);
                emu_put_le32(r->out + 12, 4096);
                emu_put_le32(r->out + 16, 16u << 20);
                emu_put_le32(r->out + 20, 1u << 20);
                emu_put_le32(r->out + 24, 9u << 20);
                r->out[28] = 0, r->out[29] = 2, r->out[30] = 1;
        } else if (type == HWRM_TEMP_MONITOR_QUERY) {
                r->out[8] = 47;   /* chip temperature, degrees C */
                r->out[9] = 52;   /* phy temperature */
                r->out[10] = 40;  /* om temperature */
        }
        resp_header(r, 0, resp_len);
        return 0;
}

const struct emu_driver emu_bnxt_driver = {
        .type = "bnxt",
        .fwctl_type = FWCTLD_DEVICE_TYPE_BNXT,
        .pci_vendor = "0x14e4",
        .pci_device = "0x1750",
        .pci_class = "0x020000",
        .pci_driver = "bnxt_en",
        .aux_prefix = "bnxt_en.fwctl",
        .aux_driver = "bnxt_fwctl",
        .info = bnxt_info,
        .rpc = bnxt_rpc,
};
