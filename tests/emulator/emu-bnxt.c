/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bnxt fwctl driver (kernel-fwctl.md §3): the input is a raw little-endian
 * HWRM request. Unknown commands and scopes too low get EPERM. The "firmware"
 * answers inline commands with a fixed-size response per command.
 *
 * DMA commands (drivers/fwctl/bnxt/main.c, bnxtctl_fw_rpc): the driver's
 * per-command descriptor table, written here from the same facts: exact input
 * size, up to four host-address fields, each with a length read from the
 * request (le16/le32 times a unit) or fixed by the driver. Checks in the
 * driver's order: 16 <= in_len <= 128 and out_len >= 8, then for a DMA
 * command in_len == input size and every length non-zero and at most
 * FWCTL_BNXT_MAX_DMABUF (64 KiB), all EINVAL; then the scope (EPERM; the DMA
 * table's scope wins); then every to-device buffer is read from the caller's
 * address (EFAULT, the firmware does not run); the firmware runs; every
 * from-device buffer is written to the caller's address (EFAULT after the
 * firmware ran). DBG_PTRACE is one of them (two buffers sized by the same
 * pdi_req_buf_len, DEBUG_WRITE); its request layout is the one HSI struct not in
 * any header this emulator could check, see PTRACE_* below.
 *
 * Emulated firmware data: NVM_READ byte i of entry dir_idx at offset is
 * (offset + i) * 13 + dir_idx; any other from-device buffer k (0-based, field
 * order) of command T has byte i = i * 7 + k * 0x51 + (T & 0xff). NVM_WRITE's
 * response carries dir_item_length = bytes received and dir_idx = the 16-bit
 * sum of those bytes (so tests can see the data really crossed). DBG_PTRACE's
 * response buffer echoes the command buffer with every byte XOR 0xff. DMA replies
 * have the HSI output sizes: 16 bytes, 24 for the two SerDes data commands,
 * 72 for SCH_GRP_QCFG.
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

#define HWRM_VER_GET 0x0
#define HWRM_FUNC_QCAPS 0x15
#define HWRM_TEMP_MONITOR_QUERY 0xe0
#define HWRM_NVM_GET_DEV_INFO 0xfff6
#define HWRM_NVM_READ 0xfffd
#define HWRM_NVM_WRITE 0xfffe
#define HWRM_PORT_QSTATS 0x23
#define HWRM_PORT_QSTATS_EXT 0xb4
#define HWRM_DBG_PTRACE 0xff2d
#define BNXT_MAX_DMABUF 0x10000u       /* FWCTL_BNXT_MAX_DMABUF, include/uapi/fwctl/bnxt.h */

/*
 * DBG_PTRACE (mainline table: CMD_DMAS(HWRM_DBG_PTRACE, FWCTL_RPC_DEBUG_WRITE,
 * struct hwrm_dbg_ptrace_input, 2, pdi_cmd_buf_addr to-device and pdi_resp_buf_addr
 * from-device, both pdi_req_buf_len bytes)). UNVERIFIED LAYOUT: struct
 * hwrm_dbg_ptrace_input is in no HSI header that could be checked (mainline
 * include/linux/bnxt/hsi.h as stored, DPDK, FreeBSD, the out-of-tree bnxt_en), so
 * its size and offsets are an assumption in the HSI's usual shape: the 16-byte
 * header, the two le64 addresses, then a le32 length. Replace these four numbers
 * once the header is available; everything else follows the driver's table.
 */
#define PTRACE_IN_SIZE 40
#define PTRACE_CMD_ADDR 16
#define PTRACE_RESP_ADDR 24
#define PTRACE_REQ_BUF_LEN 32
#define BNXT_DMA_SLOTS 4               /* BNXTCTL_MAX_DMA_FIELDS */

/* One host-address field: where the address sits, how long the buffer is. */
struct dma_slot {
        uint8_t addr_at;       /* le64 user address */
        uint8_t len_at;        /* length field; unused when fixed != 0 */
        uint8_t len_bytes;     /* 2 or 4 */
        uint8_t per_unit;      /* bytes per unit of the length field */
        uint32_t fixed;        /* driver-fixed length (no length field) */
        bool to_device;
};

struct dma_desc {
        uint16_t type;
        uint8_t scope;
        uint8_t in_size;       /* sizeof(struct hwrm_xxx_input) */
        uint16_t reply_len;    /* sizeof(struct hwrm_xxx_output) */
        uint8_t n;
        struct dma_slot slot[BNXT_DMA_SLOTS];
};

#define W16(a, l) { .addr_at = a, .len_at = l, .len_bytes = 2, .per_unit = 1 }
#define W32(a, l) { .addr_at = a, .len_at = l, .len_bytes = 4, .per_unit = 1 }
#define W16_TO(a, l) { .addr_at = a, .len_at = l, .len_bytes = 2, .per_unit = 1, .to_device = true }
#define W32_TO(a, l) { .addr_at = a, .len_at = l, .len_bytes = 4, .per_unit = 1, .to_device = true }
#define FIXED(a, n) { .addr_at = a, .fixed = n }

/* Input sizes and offsets: HSI structs of include/linux/bnxt/hsi.h; scopes and
 * fields: the driver's table. tx_port_stats is 408 bytes, rx_port_stats 528. */
static const struct dma_desc dma_descs[] = {
        { 0xfff2, 0, 40, 16, 1, { W16_TO(16, 24) } },                    /* NVM_SET_VARIABLE */
        { 0xfff1, 0, 40, 16, 1, { W16(16, 24) } },                       /* NVM_GET_VARIABLE */
        { 0xfffd, 1, 40, 16, 1, { W32(16, 32) } },                       /* NVM_READ */
        { 0xfffa, 1, 24, 16, 1, { FIXED(16, BNXT_MAX_DMABUF) } },        /* NVM_GET_DIR_ENTRIES */
        { 0xfffe, 2, 56, 16, 1, { W32_TO(16, 32) } },                    /* NVM_WRITE: dir_data_length */
        { 0xfff4, 2, 40, 16, 1, { W32_TO(16, 32) } },                    /* NVM_MODIFY */
        { 0xffff, 3, 40, 16, 1, { W32_TO(16, 28) } },                    /* NVM_RAW_WRITE_BLK */
        { 0xfffc, 1, 40, 16, 1, { W32(16, 28) } },                       /* NVM_RAW_DUMP */
        { 0xcb, 1, 32, 16, 1, { W16(16, 24) } },                         /* FW_GET_STRUCTURED_DATA */
        { 0xca, 2, 32, 16, 1, { W16_TO(16, 24) } },                      /* FW_SET_STRUCTURED_DATA */
        { 0xbf, 3, 32, 16, 1, { W32_TO(24, 20) } },                      /* FW_LIVEPATCH */
        { 0xff17, 1, 32, 16, 1, { W32(16, 24) } },                       /* DBG_COREDUMP_LIST */
        { 0xff19, 1, 56, 16, 1, { W32(16, 24) } },                       /* DBG_COREDUMP_RETRIEVE */
        { 0xff10, 1, 32, 16, 1,                                          /* DBG_READ_DIRECT: 32-bit words */
          { { .addr_at = 16, .len_at = 28, .len_bytes = 4, .per_unit = 4 } } },
        { 0xff11, 1, 80, 16, 1, { W32(16, 24) } },                       /* DBG_READ_INDIRECT */
        { 0xff0e, 1, 40, 24, 1, { W16(16, 28) } },                       /* DBG_SERDES_TEST */
        { 0xff30, 3, 32, 16, 1, { W32_TO(24, 20) } },                    /* DBG_TOKEN_CFG */
        { 0x3c, 1, 32, 16, 1, { W16(16, 26) } },                         /* QUEUE_DSCP2PRI_QCFG */
        { 0x23, 1, 40, 16, 2, { FIXED(24, 408), FIXED(32, 528) } },      /* PORT_QSTATS */
        { 0xb4, 1, 40, 16, 2, { W16(24, 18), W16(32, 20) } },            /* PORT_QSTATS_EXT */
        { 0xba, 1, 40, 16, 2, { W16(24, 18), W16(32, 18) } },            /* PORT_QSTATS_EXT_PFC_ADV */
        { 0x204, 1, 32, 16, 1, { W16(24, 16) } },                        /* PCIE_QSTATS */
        { 0x218, 1, 32, 16, 1, { W16(24, 16) } },                        /* STAT_GENERIC_QSTATS */
        { 0xe6, 1, 32, 16, 1, { W16(24, 16) } },                         /* STAT_QUERY_ROCE_STATS */
        { 0xe7, 1, 32, 16, 1, { W16(24, 16) } },                         /* STAT_QUERY_ROCE_STATS_EXT */
        { 0x67, 1, 32, 16, 1, { W32(16, 24) } },                         /* PORT_EVENTS_LOG */
        { 0xd5, 1, 48, 16, 1, { W16(16, 24) } },                         /* PORT_PRBS_TEST */
        { 0xd9, 1, 40, 16, 1, { W16(16, 24) } },                         /* PORT_DSC_DUMP */
        { 0x73, 2, 88, 16, 1,                                            /* SCH_GRP_CFG: 16-bit FIDs */
          { { .addr_at = 24, .len_at = 18, .len_bytes = 2, .per_unit = 2, .to_device = true } } },
        { 0x74, 1, 32, 72, 1, { W16(24, 18) } },                         /* SCH_GRP_QCFG */
        { 0x203, 1, 40, 24, 1, { W16(16, 28) } },                        /* SELFTEST_RETRIEVE_SERDES_DATA */
        { HWRM_DBG_PTRACE, 2, PTRACE_IN_SIZE, 16, 2,                     /* DBG_PTRACE: layout unverified */
          { W32_TO(PTRACE_CMD_ADDR, PTRACE_REQ_BUF_LEN), W32(PTRACE_RESP_ADDR, PTRACE_REQ_BUF_LEN) } },
};

#undef W16
#undef W32
#undef W16_TO
#undef W32_TO
#undef FIXED

/* Inline commands (no host addresses): the driver's switch. */
struct cmd {
        uint16_t type;
        uint8_t scope;
};

static const struct cmd cmds[] = {
        /* CONFIGURATION */
        { 0x11, 0 }, { 0x25, 0 }, { 0xc0, 0 }, { 0xc3, 0 },
        { 0xc8, 0 }, { 0xff0f, 0 }, { 0xff15, 0 }, { 0xff16, 0 },
        { 0xffec, 0 }, { 0xffee, 0 }, { 0xfff0, 0 }, { 0xfff5, 0 },
        { 0xfff7, 0 }, { 0xfff8, 0 }, { 0xfff9, 0 },
        /* DEBUG_READ_ONLY, inline */
        { 0x0, 1 }, { 0xc, 1 }, { 0x15, 1 }, { 0x16, 1 },
        { 0x18, 1 }, { 0x27, 1 }, { 0x28, 1 }, { 0x2a, 1 },
        { 0x2c, 1 }, { 0xb6, 1 }, { 0x37, 1 }, { 0x39, 1 },
        { 0x47, 1 }, { 0x87, 1 }, { 0x88, 1 }, { 0x8a, 1 },
        { 0x8c, 1 }, { 0x8d, 1 }, { 0x8f, 1 }, { 0xa0, 1 },
        { 0xbc, 1 }, { 0xbe, 1 }, { 0xc1, 1 }, { 0xc2, 1 },
        { 0xc9, 1 }, { 0xda, 1 }, { 0xdd, 1 }, { 0xdf, 1 },
        { 0xe0, 1 }, { 0xe1, 1 }, { 0xe2, 1 }, { 0x112, 1 },
        { 0x124, 1 }, { 0x190, 1 }, { 0x192, 1 }, { 0x194, 1 },
        { 0x198, 1 }, { 0x19c, 1 }, { 0x1a1, 1 }, { 0x1a4, 1 },
        { 0x1a8, 1 }, { 0x1ac, 1 }, { 0x1c3, 1 }, { 0x232, 1 },
        { 0x200, 1 }, { 0xff1c, 1 }, { 0xff20, 1 }, { 0xff21, 1 },
        { 0xff25, 1 }, { 0xff26, 1 }, { 0xff2e, 1 }, { 0xff2f, 1 },
        { 0xff18, 1 }, { 0xfff6, 1 }, { 0xfffb, 1 },
        /* DEBUG_WRITE */
        { 0x2b, 2 }, { 0xb5, 2 },
};

static const struct dma_desc *find_dma(uint16_t type)
{
        for (size_t i = 0; i < G_N_ELEMENTS(dma_descs); i++)
                if (dma_descs[i].type == type)
                        return &dma_descs[i];
        return NULL;
}

/* The buffer length in bytes, in 64 bits: a 32-bit count times its unit cannot wrap. */
static uint64_t slot_bytes(const struct dma_slot *s, const uint8_t *in)
{
        uint64_t count;

        if (s->fixed)
                return s->fixed;
        count = s->len_bytes == 2 ? emu_get_le16(in + s->len_at) : emu_get_le32(in + s->len_at);
        return count * s->per_unit;
}

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

/* The firmware side of a DMA command; bufs[k] holds buffer k (to-device: the user's data). */
static uint16_t dma_firmware(struct emu_rpc *r, const struct dma_desc *d, uint8_t **bufs, const uint32_t *lens)
{
        uint16_t type = d->type;

        for (unsigned k = 0; k < d->n; k++) {
                if (d->slot[k].to_device)
                        continue;
                if (type == HWRM_NVM_READ) {
                        uint32_t off = emu_get_le32(r->in + 28);
                        uint16_t dir = emu_get_le16(r->in + 24);

                        for (uint32_t i = 0; i < lens[k]; i++)
                                bufs[k][i] = (uint8_t)((off + i) * 13 + dir);
                } else {
                        for (uint32_t i = 0; i < lens[k]; i++)
                                bufs[k][i] = (uint8_t)(i * 7 + k * 0x51 + (type & 0xff));
                }
        }
        if (type == HWRM_DBG_PTRACE) {
                for (uint32_t i = 0; i < lens[1]; i++)
                        bufs[1][i] = bufs[0][i] ^ 0xff;
        }
        if (type == HWRM_NVM_WRITE) {
                uint32_t sum = 0;

                for (uint32_t i = 0; i < lens[0]; i++)
                        sum += bufs[0][i];
                emu_put_le32(r->out + 8, lens[0]);           /* dir_item_length */
                emu_put_le16(r->out + 12, (uint16_t)sum);    /* dir_idx: the emulator's checksum */
        } else if (type == HWRM_PORT_QSTATS || type == HWRM_PORT_QSTATS_EXT) {
                emu_put_le16(r->out + 8, (uint16_t)lens[0]); /* tx_stat_size */
                emu_put_le16(r->out + 10, (uint16_t)lens[1]); /* rx_stat_size */
        }
        return d->reply_len;
}

/* Map: to-device buffers are copied from the caller first; EFAULT stops before the firmware. */
static int dma_map(struct emu_rpc *r, const struct dma_desc *d, const uint32_t *lens, uint8_t **bufs)
{
        for (unsigned k = 0; k < d->n; k++) {
                UMockdevIoctlData *src;

                bufs[k] = g_malloc0(lens[k]);
                if (!d->slot[k].to_device)
                        continue;
                src = emu_resolve(r->in_data, d->slot[k].addr_at, lens[k]);
                if (!src)
                        return EFAULT;
                memcpy(bufs[k], src->data, lens[k]);
                g_object_unref(src);
        }
        return 0;
}

/* Unmap: from-device buffers go back to the caller; a failure is EFAULT after the firmware ran. */
static int dma_unmap(struct emu_rpc *r, const struct dma_desc *d, const uint32_t *lens, uint8_t **bufs)
{
        int err = 0;

        for (unsigned k = 0; k < d->n; k++) {
                UMockdevIoctlData *dst;

                if (d->slot[k].to_device)
                        continue;
                dst = emu_resolve(r->in_data, d->slot[k].addr_at, lens[k]);
                if (!dst) {
                        err = EFAULT;
                        continue;
                }
                memcpy(dst->data, bufs[k], lens[k]);
                g_object_unref(dst);
        }
        return err;
}

static int bnxt_dma_rpc(struct emu_rpc *r, const struct dma_desc *d, const uint32_t *lens)
{
        uint8_t *bufs[BNXT_DMA_SLOTS] = { NULL };
        int err;

        err = dma_map(r, d, lens, bufs);
        if (!err) {
                r->out = g_malloc0(MAX(r->user_out_len, 128));
                r->out_len = r->user_out_len;
                resp_header(r, 0, dma_firmware(r, d, bufs, lens));
                err = dma_unmap(r, d, lens, bufs);
                if (err) {
                        g_clear_pointer(&r->out, g_free);
                        r->out_len = 0;
                }
        }
        for (unsigned k = 0; k < d->n; k++)
                g_free(bufs[k]);
        return err;
}

static int bnxt_rpc(struct emu_rpc *r)
{
        uint32_t lens[BNXT_DMA_SLOTS] = { 0 };
        const struct dma_desc *d;
        const struct cmd *c;
        uint16_t resp_len = 16, type;

        if (r->in_len < HWRM_MIN_IN || r->in_len > HWRM_MAX_IN)
                return EINVAL;
        if (r->user_out_len < HWRM_MIN_OUT)
                return EINVAL;
        type = emu_get_le16(r->in);
        d = find_dma(type);
        /* DMA buffer checks come before the scope check, as in the driver. */
        if (d) {
                if (r->in_len != d->in_size)
                        return EINVAL;
                for (unsigned k = 0; k < d->n; k++) {
                        uint64_t n = slot_bytes(&d->slot[k], r->in);

                        if (n == 0 || n > BNXT_MAX_DMABUF)
                                return EINVAL;
                        lens[k] = (uint32_t)n;
                }
                if (r->scope < d->scope)
                        return EPERM;
                return bnxt_dma_rpc(r, d, lens);
        }
        c = find_cmd(type);
        if (!c || r->scope < c->scope)
                return EPERM;

        /* Firmware writes a full response; the caller sees out_len bytes of it
         * (whole buffer returned, out_len echoed). */
        r->out = g_malloc0(MAX(r->user_out_len, 128));
        r->out_len = r->user_out_len;

        if (type == HWRM_VER_GET) {
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
