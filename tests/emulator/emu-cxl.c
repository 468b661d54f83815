/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CXL features over fwctl (kernel-fwctl.md §3): Get Supported Features, Get
 * Feature and Set Feature, with the kernel's validation (op_size, effects to
 * scope, kernel-exclusive features) and its response wrapper {size, retval}.
 * No info op. The feature list below is the emulated device's firmware.
 *
 * Buffer sizes as Linux 7.3.4 checks them (seen on the real driver by
 * tests/kernel): cxlctl_fw_rpc() refuses in_len < 16 and op_size > in_len - 16,
 * Get Feature refuses out_len < 8 or count > out_len - 8, Set Feature out_len < 8,
 * all with EINVAL before anything is allocated or sent. The mainline code that
 * kernel-fwctl.md describes had none of these checks and overflowed or over-read
 * kernel buffers instead, so each such request is also logged as a fault
 * (emu_report_fault): a caller that sends one would corrupt an older kernel.
 */
#include "emu.h"

#include <errno.h>
#include <string.h>

#define CXL_OP_GET_SUPPORTED_FEATURES 0x0500
#define CXL_OP_GET_FEATURE 0x0501
#define CXL_OP_SET_FEATURE 0x0502

#define RPC_CXL_HDR 16        /* opcode, flags, op_size, reserved */
#define RPC_CXL_OUT_HDR 8     /* size, retval: the payload starts here */
#define RPC_CXL_OUT_STRUCT 16 /* sizeof(struct fwctl_rpc_cxl_out): header + 8-byte union */
#define GSF_IN_LEN 8
#define GSF_OUT_HDR 8
#define FEAT_ENTRY_LEN 48
#define GET_FEAT_IN_LEN 21
#define SET_FEAT_HDR 32

#define FEAT_F_CHANGEABLE (1u << 0)
#define FEAT_F_DEFAULT_SEL (1u << 5)
#define FEAT_F_SAVED_SEL (1u << 6)

#define EFF_COLD_RESET (1u << 0)
#define EFF_CONFIG_IMMEDIATE (1u << 1)
#define EFF_DATA_IMMEDIATE (1u << 2)
#define EFF_POLICY_IMMEDIATE (1u << 3)
#define EFF_LOG_IMMEDIATE (1u << 4)
#define EFF_BACKGROUND (1u << 6)
#define EFF_VALID (1u << 9)
#define EFF_CONV_RESET (1u << 10)
#define EFF_CXL_RESET (1u << 11)
#define EFF_RESERVED 0xf000u
#define EFF_IMMEDIATE (EFF_CONFIG_IMMEDIATE | EFF_DATA_IMMEDIATE | EFF_POLICY_IMMEDIATE | \
                       EFF_LOG_IMMEDIATE)
#define EFF_RESET (EFF_COLD_RESET | EFF_CONV_RESET | EFF_CXL_RESET)

/* CXL mailbox return codes. */
#define MBOX_RC_SUCCESS 0x0
#define MBOX_RC_INVALID_INPUT 0x2
#define MBOX_RC_UNSUPPORTED 0x3
#define MBOX_RC_BUSY 0x6

#define MAX_FEAT_SIZE 32

struct feature {
        const char *uuid;     /* canonical text form */
        uint16_t id;
        uint16_t get_size, set_size;
        uint32_t flags;
        uint16_t effects;
        bool kernel_exclusive;
        uint8_t dflt[MAX_FEAT_SIZE];
};

static const struct feature features[] = {
        /* Changeable, immediate effect: needs DEBUG_WRITE_FULL. */
        { "0e1d7b3a-5c2f-4b8e-9a61-2f3c4d5e6f70", 0, 4, 4,
          FEAT_F_CHANGEABLE | FEAT_F_DEFAULT_SEL | FEAT_F_SAVED_SEL,
          EFF_CONFIG_IMMEDIATE | EFF_VALID, false, { 0x10, 0x00, 0x00, 0x00 } },
        /* Changeable, takes effect after a cold reset: needs DEBUG_WRITE. */
        { "7a4c2e91-3b6d-4f08-8c15-9e2a7b3c4d51", 1, 8, 8,
          FEAT_F_CHANGEABLE | FEAT_F_DEFAULT_SEL | FEAT_F_SAVED_SEL,
          EFF_COLD_RESET | EFF_VALID, false, { 0x01, 0x02, 0x00, 0x00, 0x04, 0, 0, 0 } },
        /* Read-only. */
        { "c3f1a8d2-6e4b-4a7c-b239-5d8e1f0a2b64", 2, 16, 0, 0, 0, false,
          { 'E', 'M', 'U', '-', 'C', 'X', 'L', '-', 'T', 'E', 'L', 'E', 'M', 0, 0, 1 } },
        /* Patrol scrub control: kernel-exclusive (EDAC owns it). */
        { "96dad7d6-fde8-482b-a733-75774e06db8a", 3, 7, 4,
          FEAT_F_CHANGEABLE | FEAT_F_DEFAULT_SEL, EFF_CONFIG_IMMEDIATE | EFF_VALID, true,
          { 0x03, 0x0c, 0x01, 0x0c, 0x00, 0x00, 0x00 } },
        /* Changeable but runs in the background: the kernel refuses to set it. */
        { "5b9e0c47-a1d3-4e26-8f7b-3c0d9e8a1f22", 4, 4, 4, FEAT_F_CHANGEABLE,
          EFF_CONFIG_IMMEDIATE | EFF_BACKGROUND | EFF_VALID, false, { 0 } },
        /* Changeable with no declared effect: refused as well. */
        { "d24f6a10-8b3e-4c95-a7d1-0f6e5c4b3a29", 5, 2, 2, FEAT_F_CHANGEABLE, 0, false,
          { 0x00, 0x01 } },
};

struct feat_state {
        uint8_t cur[G_N_ELEMENTS(features)][MAX_FEAT_SIZE];
        uint8_t saved[G_N_ELEMENTS(features)][MAX_FEAT_SIZE];
};

static void uuid_bytes(const char *s, uint8_t out[16])
{
        int n = 0;
        for (const char *p = s; *p && n < 16; p++) {
                if (*p == '-')
                        continue;
                out[n++] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
                p++;
        }
}

static int find_feature(const uint8_t *uuid)
{
        for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
                uint8_t u[16];
                uuid_bytes(features[i].uuid, u);
                if (memcmp(u, uuid, 16) == 0)
                        return (int)i;
        }
        return -1;
}

static void cxl_setup(struct emu_dev *dev)
{
        struct feat_state *st = g_new0(struct feat_state, 1);
        for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
                memcpy(st->cur[i], features[i].dflt, MAX_FEAT_SIZE);
                memcpy(st->saved[i], features[i].dflt, MAX_FEAT_SIZE);
        }
        dev->drv_state = st;
}

static void cxl_teardown(struct emu_dev *dev)
{
        g_free(dev->drv_state);
}

/*
 * The driver reports sizeof(struct fwctl_rpc_cxl_out) (16: size, retval and the
 * 8-byte union) plus the payload, although the payload starts at byte 8: every
 * reply's out_len is 8 more than size + 8 (Set Feature: always 16).
 */
static uint8_t *new_out(struct emu_rpc *r, size_t data_len)
{
        r->out = g_malloc0(RPC_CXL_OUT_STRUCT + data_len);
        r->out_len = RPC_CXL_OUT_STRUCT + data_len;
        return r->out;
}

static int get_supported(struct emu_rpc *r, const uint8_t *in)
{
        uint32_t count = emu_get_le32(in);
        uint16_t start = emu_get_le16(in + 4);
        size_t nfeat = G_N_ELEMENTS(features), requested;
        uint8_t *o;

        /* Served from the kernel's cache into a buffer the driver sizes itself
         * (header + requested entries): out_len plays no part, the core truncates.
         * start_idx is checked first, even with count 0 (fewer than 48 bytes: a
         * header only, with the total). */
        if (start >= nfeat)
                return EINVAL;
        requested = MIN(count / FEAT_ENTRY_LEN, nfeat - start);
        o = new_out(r, GSF_OUT_HDR + requested * FEAT_ENTRY_LEN);
        emu_put_le32(o, (uint32_t)(GSF_OUT_HDR + requested * FEAT_ENTRY_LEN));
        emu_put_le16(o + RPC_CXL_OUT_HDR, (uint16_t)requested);
        emu_put_le16(o + RPC_CXL_OUT_HDR + 2, (uint16_t)nfeat);
        for (size_t i = 0; i < requested; i++) {
                const struct feature *f = &features[start + i];
                uint8_t *e = o + RPC_CXL_OUT_HDR + GSF_OUT_HDR + i * FEAT_ENTRY_LEN;
                uint32_t flags = f->flags;
                uint16_t set_size = f->set_size;

                /* The kernel hides kernel-exclusive features from user space's view. */
                if (f->kernel_exclusive) {
                        flags &= ~FEAT_F_CHANGEABLE;
                        set_size = 0;
                }
                uuid_bytes(f->uuid, e);
                emu_put_le16(e + 16, f->id);
                emu_put_le16(e + 18, f->get_size);
                emu_put_le16(e + 20, set_size);
                emu_put_le32(e + 22, flags);
                e[26] = 1;
                e[27] = 1;
                emu_put_le16(e + 28, f->effects);
        }
        return 0;
}

/* A Get Feature that ends in a mailbox return code: size 0, nothing in the payload. */
static int get_feature_rc(struct emu_rpc *r, uint32_t rc)
{
        uint8_t *o = new_out(r, 0);

        emu_put_le32(o + 4, rc);
        return 0;
}

static int get_feature(struct emu_rpc *r, const uint8_t *in)
{
        struct feat_state *st = r->dev->drv_state;
        uint16_t offset = emu_get_le16(in + 16), count = emu_get_le16(in + 18);
        uint8_t sel = in[20];
        int idx;
        const uint8_t *src;
        char fault[sizeof(r->dev->fault)];

        if (count == 0)
                return EINVAL;
        /* 7.3.4: the out buffer must hold the 8-byte header and count bytes. */
        if (r->user_out_len < RPC_CXL_OUT_HDR || count > r->user_out_len - RPC_CXL_OUT_HDR) {
                emu_report_fault(r->dev, CXL_OP_GET_FEATURE, r->in_len, r->user_out_len, "writes",
                                 RPC_CXL_OUT_HDR + (size_t)count,
                                 "cxlctl_get_feature(): out_len %zu cannot hold the 8-byte header "
                                 "and count %u: Linux 7.3.4 refuses it (EINVAL), older mainline "
                                 "wrote up to %zu bytes into kvzalloc(out_len=%zu)%s",
                                 r->user_out_len, count, RPC_CXL_OUT_HDR + (size_t)count,
                                 r->user_out_len,
                                 r->user_out_len ? ": kernel heap overflow" : " = ZERO_SIZE_PTR: an oops");
                return EINVAL;
        }
        idx = find_feature(in);
        emu_dev_get_fault(r->dev, fault, sizeof(fault));
        /* From here on the mailbox answers: failures are a retval, not an errno. */
        if (strcmp(fault, "busy") == 0)
                return get_feature_rc(r, MBOX_RC_BUSY);
        if (idx < 0)
                return get_feature_rc(r, MBOX_RC_UNSUPPORTED);
        const struct feature *f = &features[idx];
        if (offset >= f->get_size || sel > 2 || (sel == 1 && !(f->flags & FEAT_F_DEFAULT_SEL)) ||
            (sel == 2 && !(f->flags & FEAT_F_SAVED_SEL)))
                return get_feature_rc(r, MBOX_RC_INVALID_INPUT);
        src = sel == 0 ? st->cur[idx] : sel == 1 ? f->dflt : st->saved[idx];
        /* The firmware returns what is left of the feature's data (one byte less
         * with the "short-data" fault), and the mailbox copies it to payload @8... */
        size_t n = MIN((size_t)count, (size_t)(f->get_size - offset));
        if (strcmp(fault, "short-data") == 0)
                n--;
        /* ...but the kernel asks the mailbox for at least count bytes (min_out):
         * a shorter answer is a failed command, reported as size 0 with the
         * mailbox's own return code, which was success. */
        if (n < count)
                return get_feature_rc(r, MBOX_RC_SUCCESS);
        uint8_t *o = new_out(r, n);
        emu_put_le32(o, (uint32_t)n);
        memcpy(o + RPC_CXL_OUT_HDR, src + offset, n);
        return 0;
}

/* cxlctl_validate_set_features(): false means EINVAL, whatever went wrong. */
static int set_feature_validate(const struct emu_rpc *r, const uint8_t *in, uint32_t op_size)
{
        uint16_t eff;
        uint32_t need;
        int idx;

        if (op_size < 16)
                return -1;
        idx = find_feature(in);
        if (idx < 0 || !(features[idx].flags & FEAT_F_CHANGEABLE))
                return -1;
        eff = features[idx].effects;
        if ((eff & (EFF_RESERVED | EFF_BACKGROUND)) || !(eff & (EFF_IMMEDIATE | EFF_RESET)))
                return -1;
        need = (eff & EFF_IMMEDIATE) ? FWCTL_RPC_DEBUG_WRITE_FULL : FWCTL_RPC_DEBUG_WRITE;
        if (r->scope < need)
                return -1;
        return idx;
}

static int set_feature(struct emu_rpc *r, const uint8_t *in, uint32_t op_size)
{
        struct feat_state *st = r->dev->drv_state;
        int idx = set_feature_validate(r, in, op_size);

        if (idx < 0 || op_size <= SET_FEAT_HDR)
                return EINVAL;
        /* Valid request, but the kernel keeps these features to itself. */
        if (features[idx].kernel_exclusive)
                return EPERM;
        /* 7.3.4: the out buffer must hold the 8-byte size/retval header. */
        if (r->user_out_len < RPC_CXL_OUT_HDR) {
                emu_report_fault(r->dev, CXL_OP_SET_FEATURE, r->in_len, r->user_out_len, "writes",
                                 RPC_CXL_OUT_HDR,
                                 "cxlctl_set_feature(): out_len %zu cannot hold the 8-byte header: "
                                 "Linux 7.3.4 refuses it (EINVAL), older mainline wrote 8 bytes "
                                 "into kvzalloc(out_len=%zu)%s",
                                 r->user_out_len, r->user_out_len,
                                 r->user_out_len ? ": kernel heap overflow" : " = ZERO_SIZE_PTR: an oops");
                return EINVAL;
        }

        const struct feature *f = &features[idx];
        uint16_t offset = emu_get_le16(in + 20);
        size_t len = op_size - SET_FEAT_HDR;
        uint8_t *o = new_out(r, 0);
        char fault[sizeof(r->dev->fault)];

        emu_dev_get_fault(r->dev, fault, sizeof(fault));
        if (strcmp(fault, "busy") == 0) {
                emu_put_le32(o + 4, MBOX_RC_BUSY);
                return 0;
        }
        if ((size_t)offset + len > f->set_size) {
                emu_put_le32(o + 4, MBOX_RC_INVALID_INPUT);
                return 0;
        }
        /* offset + len <= set_size <= 32: inside the emulator's zero-extended view. */
        memcpy(st->cur[idx] + offset, in + SET_FEAT_HDR, len);
        /* The kernel forces "saved across reset". */
        memcpy(st->saved[idx] + offset, in + SET_FEAT_HDR, len);
        return 0;
}

/*
 * cxlctl_fw_rpc() in 7.3.4: the 16-byte header and op_size payload bytes must be
 * inside in_len. Older mainline read them from kvzalloc(in_len) unchecked.
 */
static bool cxl_input_fits(const struct emu_rpc *r, uint16_t opcode, uint32_t op_size)
{
        size_t need = r->in_len < RPC_CXL_HDR ? RPC_CXL_HDR : RPC_CXL_HDR + (size_t)op_size;

        if (need <= r->in_len)
                return true;
        emu_report_fault(r->dev, opcode, r->in_len, r->user_out_len, "reads", need,
                         "cxlctl_fw_rpc(): in_len %zu below the %zu bytes the request names: "
                         "Linux 7.3.4 refuses it (EINVAL), older mainline read them from "
                         "kvzalloc(in_len=%zu)%s",
                         r->in_len, need, r->in_len,
                         r->in_len ? ": kernel heap over-read" : " = ZERO_SIZE_PTR: an oops");
        return false;
}

/*
 * Firmware faults ("emu fault fwctlN WORD"). Get Supported Features is served
 * from the kernel's cache and the size/num_entries fields are the kernel's own,
 * so only the mailbox answers of Get/Set Feature can misbehave:
 *   busy        the mailbox answers Busy (0x6): size 0, retval 6, ioctl succeeds
 *   short-data  Get Feature returns one byte less than asked: the kernel reports
 *               size 0 with retval 0 (its min_out check failed)
 *
 * Buffers too small for what older mainline drivers read or wrote are refused
 * as 7.3.4 refuses them and logged, never injected (see the top of this file).
 */
static int cxl_rpc(struct emu_rpc *r)
{
        /* in_len is checked below before any field past it is used. */
        g_autofree uint8_t *in = emu_rpc_in_view(r, RPC_CXL_HDR + SET_FEAT_HDR + MAX_FEAT_SIZE);
        uint16_t opcode = (uint16_t)emu_get_le32(in);
        uint32_t op_size = emu_get_le32(in + 8);
        const uint8_t *payload = in + RPC_CXL_HDR;

        if (!cxl_input_fits(r, opcode, op_size))
                return EINVAL;
        switch (opcode) {
        case CXL_OP_GET_SUPPORTED_FEATURES:
                if (op_size != GSF_IN_LEN)
                        return EINVAL;
                return get_supported(r, payload);
        case CXL_OP_GET_FEATURE:
                if (op_size != GET_FEAT_IN_LEN)
                        return EINVAL;
                return get_feature(r, payload);
        case CXL_OP_SET_FEATURE:
                return set_feature(r, payload, op_size);
        default:
                return EINVAL;
        }
}

const struct emu_driver emu_cxl_driver = {
        .type = "cxl",
        .fwctl_type = FWCTL_DEVICE_TYPE_CXL,
        .pci_vendor = "0x8086",
        .pci_device = "0x0d93",
        .pci_class = "0x050210",
        .pci_driver = "cxl_pci",
        .aux_prefix = NULL,
        .aux_driver = NULL,
        .setup = cxl_setup,
        .teardown = cxl_teardown,
        .info = NULL,
        .rpc = cxl_rpc,
};
