/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mlx5 fwctl driver (kernel-fwctl.md §3): raw big-endian PRM mailbox commands,
 * an opcode allowlist with a minimum scope each, EBADMSG for anything else.
 * The "firmware" answers every allowed command with a deterministic payload;
 * QUERY_ADAPTER, QUERY_DIAGNOSTIC_COUNTERS and ACCESS_REG* in their PRM layouts.
 * Faults ("emu fault fwctlN WORD"): "cmd-timeout" makes the firmware never
 * complete the command: mlx5_cmd_do() fails with ETIMEDOUT, which the driver
 * returns as the ioctl's errno (out is not written). The reported out_len is the
 * driver's (it echoes the caller's), so no fault can change it.
 */
#include "emu.h"

#include <errno.h>
#include <string.h>

#define MLX5_HDR_LEN 16
#define MLX5_UCTX_CAP_TOOLS_RESOURCES 0x4u

#define MLX5_OP_QUERY_HCA_CAP 0x100
#define MLX5_OP_QUERY_ADAPTER 0x101
#define MLX5_OP_ACCESS_REG 0x805
#define MLX5_OP_ACCESS_REGISTER_USER 0xb0c
#define MLX5_OP_SET_DIAGNOSTIC_PARAMS 0x820
#define MLX5_OP_QUERY_DIAGNOSTIC_COUNTERS 0x821

/* query_adapter_out: 16-byte header, then query_adapter_struct (272 bytes in all). */
#define MLX5_QUERY_ADAPTER_OUT_LEN 0x110
#define MLX5_QA_IEEE_VENDOR_ID_OFF (16 + 25)
#define MLX5_QA_VSD_VENDOR_ID_OFF (16 + 30)
#define MLX5_QA_PSID_OFF (16 + 240)

#define MLX5_STATUS_BAD_OP 0x2
#define MLX5_SYNDROME_BAD_OP_MOD 0x5b7d2e11u

/* Opcodes allowed at CONFIGURATION (ACCESS_REG* handled separately: op_mod). */
static const uint16_t config_ops[] = {
        0x100, 0x101, 0x109, 0x10e, 0x760, 0x762, 0x740, 0xb22, 0xb2e, 0x823, 0x731,
};

/* Opcodes allowed at DEBUG_READ_ONLY. */
static const uint16_t debug_ro_ops[] = {
        0x964, 0x962, 0x80d, 0x971, 0x813, 0x981, 0x824, 0x826, 0x822, 0x402, 0xb14,
        0x716, 0x713, 0x911, 0x821, 0x819, 0xb28, 0xb2a, 0x10c, 0xb03, 0xb2f, 0xb0f,
        0x303, 0x752, 0x93b, 0x935, 0x937, 0x932, 0xa02, 0x764, 0x765, 0x10a, 0x82a,
        0x842, 0x80b, 0xb13, 0x201, 0x942, 0x8001, 0x754, 0x722, 0xb02, 0x728, 0x93f,
        0x107, 0x602, 0x773, 0x50b, 0x781, 0x512, 0xb05, 0xb07, 0x90f, 0x90b, 0x919,
        0x8000, 0x8006, 0x784, 0x111, 0x203, 0x907, 0x702, 0x903, 0x915, 0xa05, 0xa09,
        0x117, 0xb0d, 0x76f, 0x770, 0x750, 0x831, 0x707, 0x725, 0x727, 0x719, 0xb08,
        0xb0a, 0x730, 0x732,
};

static bool in_list(const uint16_t *l, size_t n, uint16_t op)
{
        for (size_t i = 0; i < n; i++)
                if (l[i] == op)
                        return true;
        return false;
}

/* Minimum scope for an opcode, or -1 when the driver rejects it outright. */
static int min_scope(uint16_t opcode, uint16_t op_mod)
{
        if (opcode == MLX5_OP_ACCESS_REG || opcode == MLX5_OP_ACCESS_REGISTER_USER)
                return op_mod == 0 ? FWCTL_RPC_CONFIGURATION : FWCTL_RPC_DEBUG_READ_ONLY;
        if (in_list(config_ops, G_N_ELEMENTS(config_ops), opcode))
                return FWCTL_RPC_CONFIGURATION;
        if (in_list(debug_ro_ops, G_N_ELEMENTS(debug_ro_ops), opcode))
                return FWCTL_RPC_DEBUG_READ_ONLY;
        if (opcode == MLX5_OP_SET_DIAGNOSTIC_PARAMS)
                return FWCTL_RPC_DEBUG_WRITE;
        return -1;
}

static void mlx5_setup(struct emu_dev *dev)
{
        /* Firmware UIDs: one per open(), distinct per device for readability. */
        dev->next_uid = 0x100 + dev->num * 0x10;
}

static uint8_t *mlx5_info(struct emu_dev *dev G_GNUC_UNUSED, UMockdevIoctlClient *client, size_t *len)
{
        uint8_t *d = g_malloc0(8);
        uint32_t uid = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(client), "emu-uid"));
        uint32_t caps = MLX5_UCTX_CAP_TOOLS_RESOURCES;

        memcpy(d, &uid, 4);
        memcpy(d + 4, &caps, 4);
        *len = 8;
        return d;
}

static void mlx5_query_adapter(uint8_t *out, size_t len)
{
        static const char psid[16] = "MT_0000000001";

        /* The rest of the output is zero (reserved) except these fields. */
        if (len < MLX5_QUERY_ADAPTER_OUT_LEN)
                return;
        memset(out + MLX5_HDR_LEN, 0, MLX5_QUERY_ADAPTER_OUT_LEN - MLX5_HDR_LEN);
        out[MLX5_QA_IEEE_VENDOR_ID_OFF - 1] = 0;
        out[MLX5_QA_IEEE_VENDOR_ID_OFF] = 0x00; /* Mellanox OUI 00:02:c9 */
        out[MLX5_QA_IEEE_VENDOR_ID_OFF + 1] = 0x02;
        out[MLX5_QA_IEEE_VENDOR_ID_OFF + 2] = 0xc9;
        emu_put_be16(out + MLX5_QA_VSD_VENDOR_ID_OFF, 0x15b3);
        memcpy(out + MLX5_QA_PSID_OFF, psid, sizeof(psid));
}

/* 16-byte entries: counter_id BE16, sample_id BE16, time_stamp BE32, value BE64. */
static void mlx5_diag_counters(const struct emu_rpc *r, uint8_t *out)
{
        uint16_t sample_index = emu_get_be16(r->in + 10);

        for (size_t i = 0; MLX5_HDR_LEN + (i + 1) * 16 <= r->out_len; i++) {
                uint8_t *e = out + MLX5_HDR_LEN + i * 16;

                emu_put_be16(e, (uint16_t)(0x1001 + i));
                emu_put_be16(e + 2, sample_index);
                emu_put_be32(e + 4, (uint32_t)(1000 + i));
                emu_put_be32(e + 8, 0);
                emu_put_be32(e + 12, (uint32_t)(0x100 * (i + 1)));
        }
}

/* Register data follows the 16-byte header in both directions: the firmware echoes
 * the layout it was given (index fields included); a read fills the rest. */
static void mlx5_access_reg(const struct emu_rpc *r, uint8_t *out, uint16_t op_mod)
{
        uint16_t reg = emu_get_be16(r->in + 10);
        size_t n = r->in_len > MLX5_HDR_LEN ? r->in_len - MLX5_HDR_LEN : 0;

        memset(out + MLX5_HDR_LEN, 0, r->out_len - MLX5_HDR_LEN);
        if (n > r->out_len - MLX5_HDR_LEN)
                n = r->out_len - MLX5_HDR_LEN;
        memcpy(out + MLX5_HDR_LEN, r->in + MLX5_HDR_LEN, n);
        if (op_mod == 0)
                return;
        for (size_t i = 4; i < n; i++)
                out[MLX5_HDR_LEN + i] = (uint8_t)((reg >> 8) ^ reg ^ i);
}

static int mlx5_rpc(struct emu_rpc *r)
{
        uint16_t opcode, op_mod;
        int need;
        uint8_t *out;

        if (r->in_len < MLX5_HDR_LEN || r->user_out_len < MLX5_HDR_LEN)
                return EMSGSIZE;
        opcode = emu_get_be16(r->in);
        op_mod = emu_get_be16(r->in + 6);
        need = min_scope(opcode, op_mod);
        if (need < 0 || r->scope < (uint32_t)need)
                return EBADMSG;

        char fault[32];
        emu_dev_get_fault(r->dev, fault, sizeof(fault));
        if (strcmp(fault, "cmd-timeout") == 0)
                return ETIMEDOUT;

        /* The kernel stamps the fd's UID into its copy of the command. */
        uint32_t uid = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(r->client), "emu-uid"));
        emu_put_be16(r->in + 2, (uint16_t)uid);

        /* mlx5 allocates the full out_len and echoes it. */
        out = g_malloc0(r->user_out_len);
        r->out = out;
        r->out_len = r->user_out_len;

        if (opcode == MLX5_OP_QUERY_HCA_CAP && (op_mod >> 1) > 0x24) {
                /* Firmware failure: status in the header, the ioctl itself succeeds. */
                out[0] = MLX5_STATUS_BAD_OP;
                emu_put_be32(out + 4, MLX5_SYNDROME_BAD_OP_MOD);
                return 0;
        }
        for (size_t i = MLX5_HDR_LEN; i < r->out_len; i++)
                out[i] = (uint8_t)((opcode >> 4) ^ (opcode & 0xff) ^ (i * 7));
        if (opcode == MLX5_OP_QUERY_ADAPTER)
                mlx5_query_adapter(out, r->out_len);
        else if (opcode == MLX5_OP_QUERY_DIAGNOSTIC_COUNTERS)
                mlx5_diag_counters(r, out);
        else if (opcode == MLX5_OP_ACCESS_REG || opcode == MLX5_OP_ACCESS_REGISTER_USER)
                mlx5_access_reg(r, out, op_mod);
        return 0;
}

const struct emu_driver emu_mlx5_driver = {
        .type = "mlx5",
        .fwctl_type = FWCTL_DEVICE_TYPE_MLX5,
        .pci_vendor = "0x15b3",
        .pci_device = "0x101d",
        .pci_class = "0x020000",
        .pci_driver = "mlx5_core",
        .aux_prefix = "mlx5_core.fwctl",
        .aux_driver = "mlx5_fwctl",
        .setup = mlx5_setup,
        .info = mlx5_info,
        .rpc = mlx5_rpc,
};
