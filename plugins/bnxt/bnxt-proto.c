/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnxt-proto.h"
#include "plugin-util.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#define CFG(t, n, w) { t, 0, false, w, n, NULL, NULL }
#define RD(t, n) { t, 1, false, false, n, NULL, NULL }
#define WR(t, n) { t, 2, false, true, n, NULL, NULL }

/*
 * DMA commands: one row per command of the driver's descriptor table
 * (drivers/fwctl/bnxt/main.c, bnxtctl_dma_cmds[]), with the exact input size
 * and the offsets of the HSI request structs (include/linux/bnxt/hsi.h; README.md
 * lists, per command, the struct, its size and offsets and the header version it was
 * checked against). Fields are listed in the driver's order, which is the envelope
 * order. LEN: address @a, length le16/le32 @o (width w) counting units of u bytes;
 * FIX: address @a, the driver's fixed length n.
 */
#define LEN(a, o, w, u, d) { .addr_offset = a, .len_offset = o, .len_width = w, .len_unit = u, .dir = d }
#define FIX(a, n, d) { .addr_offset = a, .fixed_len = n, .dir = d }
#define TO BNXT_DMA_TO_DEVICE
#define FROM BNXT_DMA_FROM_DEVICE
#define DMA(t, n, scope, w, size, nf, ...) \
        { t, scope, true, w, n, &(const BnxtDmaLayout) { size, nf, { __VA_ARGS__ } }, NULL }
/*
 * A DMA command whose request struct could not be checked against the header: a wrong
 * address offset would let the caller's bytes be taken as an address in the daemon, so
 * it is refused in classify(), naming the struct, until it is verified.
 */
#define DMA_UNVERIFIED(t, n, scope, w, s) \
        { t, scope, true, w, n, NULL, "struct " s " is not in " BNXT_HSI_CHECKED }

/* sizeof(struct tx_port_stats) and sizeof(struct rx_port_stats): PORT_QSTATS' fixed buffers. */
#define TX_PORT_STATS_LEN 408u
#define RX_PORT_STATS_LEN 528u

/* kernel-fwctl.md §3 bnxt for the inline commands; the DMA rows follow mainline. */
static const BnxtCommand commands[] = {
        /* CONFIGURATION */
        CFG(0x0011, "FUNC_RESET", true),
        CFG(0x0025, "PORT_CLR_STATS", true),
        CFG(0x00c0, "FW_RESET", true),
        CFG(0x00c3, "FW_SYNC", true),
        CFG(0x00c8, "FW_SET_TIME", true),
        CFG(0xff0f, "DBG_LOG_BUFFER_FLUSH", true),
        CFG(0xff15, "DBG_ERASE_NVM", true),
        CFG(0xff16, "DBG_CFG", true),
        CFG(0xffec, "NVM_DEFRAG", true),
        CFG(0xffee, "NVM_FACTORY_DEFAULTS", true),
        CFG(0xfff0, "NVM_FLUSH", true),
        CFG(0xfff5, "NVM_VERIFY_UPDATE", true),
        CFG(0xfff7, "NVM_ERASE_DIR_ENTRY", true),
        CFG(0xfff8, "NVM_MOD_DIR_ENTRY", true),
        CFG(0xfff9, "NVM_FIND_DIR_ENTRY", false), /* a lookup */
        /* DEBUG_READ_ONLY, inline */
        RD(0x0000, "VER_GET"),
        RD(0x000c, "ERROR_RECOVERY_QCFG"),
        RD(0x0015, "FUNC_QCAPS"),
        RD(0x0016, "FUNC_QCFG"),
        RD(0x0018, "FUNC_QSTATS"),
        RD(0x0027, "PORT_PHY_QCFG"),
        RD(0x0028, "PORT_MAC_QCFG"),
        RD(0x002a, "PORT_PHY_QCAPS"),
        RD(0x002c, "PORT_PHY_I2C_READ"),
        RD(0x00b6, "PORT_PHY_MDIO_READ"),
        RD(0x0037, "QUEUE_PRI2COS_QCFG"),
        RD(0x0039, "QUEUE_COS2BW_QCFG"),
        RD(0x0047, "VNIC_RSS_QCFG"),
        RD(0x0087, "QUEUE_GLOBAL_QCFG"),
        RD(0x0088, "QUEUE_ADPTV_QOS_RX_FEATURE_QCFG"),
        RD(0x008a, "QUEUE_ADPTV_QOS_TX_FEATURE_QCFG"),
        RD(0x008c, "QUEUE_QCAPS"),
        RD(0x008d, "QUEUE_ADPTV_QOS_RX_TUNING_QCFG"),
        RD(0x008f, "QUEUE_ADPTV_QOS_TX_TUNING_QCFG"),
        RD(0x00a0, "TUNNEL_DST_PORT_QUERY"),
        RD(0x00bc, "PORT_TX_FIR_QCFG"),
        RD(0x00be, "FW_LIVEPATCH_QUERY"),
        RD(0x00c1, "FW_QSTATUS"),
        RD(0x00c2, "FW_HEALTH_CHECK"),
        RD(0x00c9, "FW_GET_TIME"),
        RD(0x00da, "PORT_EP_TX_QCFG"),
        RD(0x00dd, "PORT_QCFG"),
        RD(0x00df, "PORT_MAC_QCAPS"),
        RD(0x00e0, "TEMP_MONITOR_QUERY"),
        RD(0x00e1, "REG_POWER_QUERY"),
        RD(0x00e2, "CORE_FREQUENCY_QUERY"),
        RD(0x0112, "CFA_REDIRECT_QUERY_TUNNEL_TYPE"),
        RD(0x0124, "CFA_ADV_FLOW_MGNT_QCAPS"),
        RD(0x0190, "FUNC_RESOURCE_QCAPS"),
        RD(0x0192, "FUNC_BACKING_STORE_QCAPS"),
        RD(0x0194, "FUNC_BACKING_STORE_QCFG"),
        RD(0x0198, "FUNC_QSTATS_EXT"),
        RD(0x019c, "FUNC_PTP_PIN_QCFG"),
        RD(0x01a1, "FUNC_PTP_EXT_QCFG"),
        RD(0x01a4, "FUNC_BACKING_STORE_QCFG_V2"),
        RD(0x01a8, "FUNC_BACKING_STORE_QCAPS_V2"),
        RD(0x01ac, "FUNC_SYNCE_QCFG"),
        RD(0x01c3, "FUNC_TTX_PACING_RATE_PROF_QUERY"),
        RD(0x0232, "PORT_PHY_FDRSTAT"),
        RD(0x0200, "SELFTEST_QLIST"),
        RD(0xff1c, "DBG_RING_INFO_GET"),
        RD(0xff20, "DBG_QCAPS"),
        RD(0xff21, "DBG_QCFG"),
        RD(0xff25, "DBG_USEQ_FLUSH"),
        RD(0xff26, "DBG_USEQ_QCAPS"),
        RD(0xff2e, "DBG_SIM_CABLE_STATE"),
        RD(0xff2f, "DBG_TOKEN_QUERY_AUTH_IDS"),
        RD(0xff18, "DBG_COREDUMP_INITIATE"),
        RD(0xfff6, "NVM_GET_DEV_INFO"),
        RD(0xfffb, "NVM_GET_DIR_INFO"),
        /* DEBUG_WRITE, inline */
        WR(0x002b, "PORT_PHY_I2C_WRITE"),
        WR(0x00b5, "PORT_PHY_MDIO_WRITE"),

        /* DMA, in the driver's table order: req_type, name, scope, configuration_write, input size, fields */
        DMA(0xfff2, "NVM_SET_VARIABLE", 0, true, 40, 1, LEN(16, 24, 2, 1, TO)),
        DMA(0xfff1, "NVM_GET_VARIABLE", 0, false, 40, 1, LEN(16, 24, 2, 1, FROM)),
        DMA(0xfffd, "NVM_READ", 1, false, NVM_READ_REQ_LEN, 1,
            LEN(NVM_READ_OFF_HOST_DEST_ADDR, NVM_READ_OFF_LEN, 4, 1, FROM)),
        DMA(0xfffa, "NVM_GET_DIR_ENTRIES", 1, false, 24, 1, FIX(16, BNXT_DMA_MAX_LEN, FROM)),
        DMA(0xfffe, "NVM_WRITE", 2, true, 56, 1, LEN(16, 32, 4, 1, TO)),
        DMA(0xfff4, "NVM_MODIFY", 2, true, 40, 1, LEN(16, 32, 4, 1, TO)),
        DMA(0xffff, "NVM_RAW_WRITE_BLK", 3, true, 40, 1, LEN(16, 28, 4, 1, TO)),
        DMA(0xfffc, "NVM_RAW_DUMP", 1, false, 40, 1, LEN(16, 28, 4, 1, FROM)),
        DMA(0x00cb, "FW_GET_STRUCTURED_DATA", 1, false, 32, 1, LEN(16, 24, 2, 1, FROM)),
        DMA(0x00ca, "FW_SET_STRUCTURED_DATA", 2, true, 32, 1, LEN(16, 24, 2, 1, TO)),
        DMA(0x00bf, "FW_LIVEPATCH", 3, true, 32, 1, LEN(24, 20, 4, 1, TO)),
        DMA(0xff17, "DBG_COREDUMP_LIST", 1, false, 32, 1, LEN(16, 24, 4, 1, FROM)),
        DMA(0xff19, "DBG_COREDUMP_RETRIEVE", 1, false, 56, 1, LEN(16, 24, 4, 1, FROM)),
        /* read_len32 counts 32-bit words */
        DMA(0xff10, "DBG_READ_DIRECT", 1, false, 32, 1, LEN(16, 28, 4, 4, FROM)),
        DMA(0xff11, "DBG_READ_INDIRECT", 1, false, 80, 1, LEN(16, 24, 4, 1, FROM)),
        DMA_UNVERIFIED(0xff0e, "DBG_SERDES_TEST", 1, false, "hwrm_dbg_serdes_test_input"),
        DMA_UNVERIFIED(0xff30, "DBG_TOKEN_CFG", 3, true, "hwrm_dbg_token_cfg_input"),
        DMA(0x003c, "QUEUE_DSCP2PRI_QCFG", 1, false, 32, 1, LEN(16, 26, 2, 1, FROM)),
        DMA(0x0023, "PORT_QSTATS", 1, false, 40, 2, FIX(24, TX_PORT_STATS_LEN, FROM),
            FIX(32, RX_PORT_STATS_LEN, FROM)),
        DMA(0x00b4, "PORT_QSTATS_EXT", 1, false, 40, 2, LEN(24, 18, 2, 1, FROM), LEN(32, 20, 2, 1, FROM)),
        /* 0xba is HWRM_RESERVED7 in the checked header */
        DMA_UNVERIFIED(0x00ba, "PORT_QSTATS_EXT_PFC_ADV", 1, false, "hwrm_port_qstats_ext_pfc_adv_input"),
        DMA(0x0204, "PCIE_QSTATS", 1, false, 32, 1, LEN(24, 16, 2, 1, FROM)),
        DMA(0x0218, "STAT_GENERIC_QSTATS", 1, false, 32, 1, LEN(24, 16, 2, 1, FROM)),
        DMA_UNVERIFIED(0x00e6, "STAT_QUERY_ROCE_STATS", 1, false, "hwrm_stat_query_roce_stats_input"),
        DMA_UNVERIFIED(0x00e7, "STAT_QUERY_ROCE_STATS_EXT", 1, false, "hwrm_stat_query_roce_stats_ext_input"),
        DMA_UNVERIFIED(0x0067, "PORT_EVENTS_LOG", 1, false, "hwrm_port_events_log_input"),
        DMA(0x00d5, "PORT_PRBS_TEST", 1, false, 48, 1, LEN(16, 24, 2, 1, FROM)),
        DMA(0x00d9, "PORT_DSC_DUMP", 1, false, 40, 1, LEN(16, 24, 2, 1, FROM)),
        /* req_type 0x73/0x74 are not defined in the checked header either */
        DMA_UNVERIFIED(0x0073, "SCH_GRP_CFG", 2, true, "hwrm_sch_grp_cfg_input"),
        DMA_UNVERIFIED(0x0074, "SCH_GRP_QCFG", 1, false, "hwrm_sch_grp_qcfg_input"),
        DMA(0x0203, "SELFTEST_RETRIEVE_SERDES_DATA", 1, false, 40, 1, LEN(16, 28, 2, 1, FROM)),
        DMA_UNVERIFIED(0xff2d, "DBG_PTRACE", 2, true, "hwrm_dbg_ptrace_input"),
};

#undef CFG
#undef RD
#undef WR
#undef LEN
#undef FIX
#undef TO
#undef FROM
#undef DMA
#undef DMA_UNVERIFIED

static_assert(NVM_READ_OFF_LEN + 4 <= NVM_READ_REQ_LEN, "nvm_read len inside the request");

const BnxtCommand *bnxt_command_find(uint16_t req_type) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (commands[i].req_type == req_type)
                        return &commands[i];
        return NULL;
}

const BnxtCommand *bnxt_command_table(size_t *ret_n) {
        *ret_n = ELEMENTSOF(commands);
        return commands;
}

uint64_t bnxt_dma_field_length(const uint8_t *req, const BnxtDmaField *f) {
        uint64_t v;

        if (f->len_width == 0)
                return f->fixed_len;
        v = f->len_width == 2 ? bnxt_le16(req + f->len_offset) : bnxt_le32(req + f->len_offset);
        /* A 32-bit field times its unit fits 64 bits: a product the driver's u32 buffer length could not
         * hold is caught by the limit below, never wrapped. */
        return v * f->len_unit;
}

/* The envelope: the exact request with zero address fields, then the contents of each
 * TO_DEVICE buffer in field order. */
static int parse_envelope(const uint8_t *req, size_t size, const BnxtCommand *c, BnxtEnvelope *env,
                          char **ret_reason) {
        const BnxtDmaLayout *l = c->layout;
        size_t expect = l->req_size;

        if (size < l->req_size)
                return plugin_reason(ret_reason, -EINVAL,
                                     "%s (0x%04x) request must be exactly %u bytes (plus write data), got %zu",
                                     c->name, c->req_type, l->req_size, size);

        *env = (BnxtEnvelope) { .command = c, .n_buffers = l->n_fields };
        for (unsigned i = 0; i < l->n_fields; i++) {
                const BnxtDmaField *f = &l->fields[i];
                uint64_t len = bnxt_dma_field_length(req, f);

                if (bnxt_le64(req + f->addr_offset) != 0)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s (0x%04x): host address field at offset %u must be zero in the "
                                             "envelope (the daemon supplies its own buffer)",
                                             c->name, c->req_type, f->addr_offset);
                if (len == 0)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s (0x%04x): DMA length field at offset %u is 0 (the driver's EINVAL)",
                                             c->name, c->req_type, f->len_offset);
                if (len > BNXT_DMA_MAX_LEN && f->len_unit > 1)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s (0x%04x): DMA length field at offset %u (%llu units of %u bytes = "
                                             "%llu bytes) exceeds the per-buffer limit of %u bytes "
                                             "(the driver's EINVAL)",
                                             c->name, c->req_type, f->len_offset,
                                             (unsigned long long) (len / f->len_unit), f->len_unit,
                                             (unsigned long long) len, BNXT_DMA_MAX_LEN);
                if (len > BNXT_DMA_MAX_LEN)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s (0x%04x): DMA length %llu exceeds the per-buffer limit of %u bytes "
                                             "(the driver's EINVAL)",
                                             c->name, c->req_type, (unsigned long long) len, BNXT_DMA_MAX_LEN);
                env->buffers[i].length = (uint32_t) len;
                env->buffers[i].dir = f->dir;
                env->buffers[i].addr_offset = f->addr_offset;
                if (f->dir == BNXT_DMA_TO_DEVICE) {
                        env->buffers[i].data_offset = expect;
                        expect += len;
                } else {
                        env->read_bytes += len;
                }
        }
        if (size != expect)
                return plugin_reason(ret_reason, -EINVAL,
                                     "%s (0x%04x) envelope must be %zu bytes (%u-byte request + write data), got %zu",
                                     c->name, c->req_type, expect, l->req_size, size);
        return 0;
}

int bnxt_classify_request(const void *request, size_t size, const BnxtCommand **ret_command,
                          BnxtEnvelope *ret_envelope, char **ret_reason) {
        const uint8_t *req = request;
        const BnxtCommand *c;
        BnxtEnvelope env;
        uint16_t type;
        int r;

        if (!request || size < HWRM_REQ_HDR_LEN)
                return plugin_reason(ret_reason, -EINVAL,
                                     "HWRM request of %zu bytes is shorter than the %u-byte header", size,
                                     HWRM_REQ_HDR_LEN);
        type = bnxt_le16(req);
        c = bnxt_command_find(type);
        if (!c)
                return plugin_reason(ret_reason, -EINVAL,
                                     "req_type 0x%04x is not in the bnxt fwctl allowlist (the driver answers EPERM)",
                                     type);
        if (c->dma && !c->layout)
                return plugin_reason(ret_reason, -EOPNOTSUPP,
                                     "%s (0x%04x): DMA request layout not verified against the HSI header (%s); "
                                     "refused until verified, so no unverified address field reaches the kernel",
                                     c->name, type, c->no_layout_reason ? c->no_layout_reason : "no layout");
        if (c->dma) {
                r = parse_envelope(req, size, c, &env, ret_reason);
                if (r < 0)
                        return r;
        } else {
                if (size > HWRM_REQ_MAX_LEN)
                        return plugin_reason(ret_reason, -EINVAL,
                                             "%s (0x%04x) request of %zu bytes exceeds the %u-byte HWRM limit",
                                             c->name, type, size, HWRM_REQ_MAX_LEN);
                env = (BnxtEnvelope) { .command = c };
        }
        if (ret_envelope)
                *ret_envelope = env;
        *ret_command = c;
        return 0;
}

int bnxt_parse_response(const void *buffer, size_t buffer_size, BnxtResponse *ret, char **ret_reason) {
        const uint8_t *p = buffer;

        if (!buffer || buffer_size < HWRM_RESP_HDR_LEN)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "response buffer of %zu bytes is shorter than the %u-byte header",
                                     buffer_size, HWRM_RESP_HDR_LEN);
        *ret = (BnxtResponse) {
                .error_code = bnxt_le16(p),
                .req_type = bnxt_le16(p + 2),
                .seq_id = bnxt_le16(p + 4),
                .resp_len = bnxt_le16(p + 6),
        };
        if (ret->resp_len < HWRM_RESP_HDR_LEN)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "firmware resp_len %u is shorter than the %u-byte response header",
                                     ret->resp_len, HWRM_RESP_HDR_LEN);
        if (ret->resp_len > buffer_size)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "firmware resp_len %u is beyond the %zu-byte response buffer", ret->resp_len,
                                     buffer_size);
        return 0;
}

const char *bnxt_error_name(uint16_t error_code, char *buf, size_t size) {
        /* ret_codes in bnxt_hsi.h (HWRM 1.10.x). */
        static const char *const low[] = {
                [0x0] = "SUCCESS",
                [0x1] = "FAIL",
                [0x2] = "INVALID_PARAMS",
                [0x3] = "RESOURCE_ACCESS_DENIED",
                [0x4] = "RESOURCE_ALLOC_ERROR",
                [0x5] = "INVALID_FLAGS",
                [0x6] = "INVALID_ENABLES",
                [0x7] = "UNSUPPORTED_TLV",
                [0x8] = "NO_BUFFER",
                [0x9] = "UNSUPPORTED_OPTION_ERR",
                [0xa] = "HOT_RESET_PROGRESS",
                [0xb] = "HOT_RESET_FAIL",
                [0xc] = "NO_FLOW_COUNTER_DURING_ALLOC",
                [0xd] = "KEY_HASH_COLLISION",
                [0xe] = "KEY_ALREADY_EXISTS",
                [0xf] = "HWRM_ERROR",
                [0x10] = "BUSY",
                [0x11] = "RESOURCE_LOCKED",
                [0x12] = "PF_UNAVAILABLE",
                [0x13] = "ENTITY_NOT_PRESENT",
                [0x14] = "SECURE_SOC_ERROR",
        };

        if (error_code < ELEMENTSOF(low))
                return low[error_code];
        switch (error_code) {
        case 0x8000:
                return "TLV_ENCAPSULATED_RESPONSE";
        case 0xfffe:
                return "UNKNOWN_ERR";
        case 0xffff:
                return "CMD_NOT_SUPPORTED";
        }
        /* The driver stores a negative errno when sending failed before the firmware answered. */
        if (error_code >= 0xff00)
                (void) snprintf(buf, size, "DRIVER_ERRNO_%d", 0x10000 - (int) error_code);
        else
                (void) snprintf(buf, size, "UNKNOWN_0x%04x", error_code);
        return buf;
}

/* --- JSON ------------------------------------------------------------------------ */

static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_int(json_object *o, const char *key, int64_t v) {
        return add(o, key, json_object_new_int64(v));
}

static int add_str(json_object *o, const char *key, const char *v) {
        return add(o, key, json_object_new_string(v));
}

int bnxt_info_json(const void *data, size_t size, char **ret_json) {
        static const char *const classes[] = {
                [BNXT_CAP_INLINE] = "inline",
                [BNXT_CAP_QUERY] = "query",
                [BNXT_CAP_SEND] = "send",
                [BNXT_CAP_DMA] = "dma",
        };
        json_object *o, *a;
        uint32_t caps;
        int r = 0;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = add_str(o, "plugin", "bnxt");
        if (r >= 0 && size < 4) {
                /* A driver without the info field: say so rather than invent capabilities. */
                r = add_int(o, "device_data_length", (int64_t) size);
                return r < 0 ? (json_object_put(o), r) : plugin_json_finish(o, ret_json);
        }
        caps = bnxt_le32(data);
        if (r >= 0)
                r = add_int(o, "uctx_caps", caps);
        a = json_object_new_array();
        if (r >= 0 && !a)
                r = -ENOMEM;
        for (unsigned i = 0; r >= 0 && i < ELEMENTSOF(classes); i++)
                if (caps & (1u << i) && json_object_array_add(a, json_object_new_string(classes[i])) < 0)
                        r = -ENOMEM;
        if (r >= 0)
                r = add(o, "command_classes", a);
        else
                json_object_put(a);
        if (r >= 0 && (caps & ~0xfu))
                r = add_int(o, "unknown_caps", caps & ~0xfu);
        if (r >= 0)
                r = add(o, "advisory", json_object_new_boolean(1));
        if (r >= 0 && size > 4)
                r = add_int(o, "device_data_length", (int64_t) size);
        return plugin_json_finish_unless(o, r, ret_json);
}

/* --- Requests --------------------------------------------------------------------- */

static size_t build_header(uint8_t *req, uint16_t req_type, size_t len) {
        memset(req, 0, len);
        bnxt_put_le16(req, req_type);
        bnxt_put_le16(req + 2, 0xffff); /* cmpl_ring: no completion ring, poll */
        bnxt_put_le16(req + 6, 0xffff); /* target_id: the firmware itself */
        return len;
}

size_t bnxt_build_simple(uint8_t *req, uint16_t req_type) {
        return build_header(req, req_type, HWRM_REQ_HDR_LEN);
}

size_t bnxt_build_ver_get(uint8_t *req) {
        size_t n = build_header(req, HWRM_VER_GET, 24);

        /* The HWRM interface version this plugin was written against. */
        req[16] = 1;
        req[17] = 10;
        req[18] = 2;
        return n;
}

size_t bnxt_build_func_qcaps(uint8_t *req, uint16_t fid) {
        size_t n = build_header(req, HWRM_FUNC_QCAPS, 24);

        bnxt_put_le16(req + 16, fid);
        return n;
}

size_t bnxt_build_nvm_read(uint8_t *req, uint16_t dir_idx, uint32_t offset, uint32_t length) {
        size_t n = build_header(req, HWRM_NVM_READ, NVM_READ_REQ_LEN);

        /* host_dest_addr @16 stays zero: the envelope never carries an address. */
        bnxt_put_le16(req + NVM_READ_OFF_DIR_IDX, dir_idx);
        bnxt_put_le32(req + NVM_READ_OFF_OFFSET, offset);
        bnxt_put_le32(req + NVM_READ_OFF_LEN, length);
        return n;
}

/* --- Replies ---------------------------------------------------------------------- */

/* Common start of every operation result: status and name; NULL on ENOMEM. */
static int reply_start(const void *resp, size_t size, uint16_t req_type, json_object **ret, BnxtResponse *ret_hdr,
                       char **ret_reason) {
        char buf[32];
        json_object *o;
        int r;

        r = bnxt_parse_response(resp, size, ret_hdr, ret_reason);
        if (r < 0)
                return r;
        if (ret_hdr->req_type != req_type && ret_hdr->error_code == 0)
                return plugin_reason(ret_reason, -EBADMSG,
                                     "response req_type 0x%04x does not match the request's 0x%04x",
                                     ret_hdr->req_type, req_type);
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = add_int(o, "status", ret_hdr->error_code);
        if (r >= 0)
                r = add_str(o, "status_name", bnxt_error_name(ret_hdr->error_code, buf, sizeof(buf)));
        if (r >= 0)
                r = add_int(o, "response_length", ret_hdr->resp_len);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

/* A fixed-size char field: up to the first NUL, printable ASCII only. */
static int add_fw_string(json_object *o, const char *key, const uint8_t *p, size_t n) {
        char s[17];
        size_t l = 0;

        if (n >= sizeof(s))
                n = sizeof(s) - 1;
        while (l < n && p[l] != 0) {
                s[l] = (p[l] >= 0x20 && p[l] < 0x7f) ? (char) p[l] : '?';
                l++;
        }
        s[l] = '\0';
        return add_str(o, key, s);
}

static int add_version(json_object *o, const char *key, const uint8_t *p, unsigned parts) {
        char s[32];

        if (parts == 3)
                (void) snprintf(s, sizeof(s), "%u.%u.%u", p[0], p[1], p[2]);
        else
                (void) snprintf(s, sizeof(s), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
        return add_str(o, key, s);
}

/* Whether [off, off+len) is inside the firmware's response. */
static bool covered(const BnxtResponse *h, size_t off, size_t len) {
        return off + len <= h->resp_len;
}

int bnxt_ver_get_json(const void *resp, size_t size, char **ret_json, char **ret_reason) {
        /* hwrm_ver_get_output: interface @8, hwrm fw @12, mgmt @16, netctrl @20, dev_caps_cfg @24,
         * roce @28, then 16-char names: hwrm_fw @32, mgmt @48, netctrl @64, active_pkg @80, roce @96;
         * chip_num le16 @112, chip_rev @114, chip_metal @115. */
        static const struct {
                const char *key;
                size_t off;
                unsigned parts;
        } versions[] = {
                { "hwrm_interface_version", 8, 3 },
                { "hwrm_firmware_version", 12, 4 },
                { "management_firmware_version", 16, 4 },
                { "netctrl_firmware_version", 20, 4 },
                { "roce_firmware_version", 28, 4 },
        };
        static const struct {
                const char *key;
                size_t off;
        } names[] = {
                { "hwrm_firmware_name", 32 },    { "management_firmware_name", 48 },
                { "netctrl_firmware_name", 64 }, { "active_package_name", 80 },
                { "roce_firmware_name", 96 },
        };
        const uint8_t *p = resp;
        BnxtResponse h;
        json_object *o = NULL;
        int r;

        r = reply_start(resp, size, HWRM_VER_GET, &o, &h, ret_reason);
        if (r < 0)
                return r;
        if (h.error_code == 0) {
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(versions); i++)
                        if (covered(&h, versions[i].off, 4))
                                r = add_version(o, versions[i].key, p + versions[i].off, versions[i].parts);
                if (r >= 0 && covered(&h, 24, 4))
                        r = add_int(o, "dev_caps_cfg", bnxt_le32(p + 24));
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(names); i++)
                        if (covered(&h, names[i].off, 16))
                                r = add_fw_string(o, names[i].key, p + names[i].off, 16);
                if (r >= 0 && covered(&h, 112, 4)) {
                        r = add_int(o, "chip_num", bnxt_le16(p + 112));
                        if (r >= 0)
                                r = add_int(o, "chip_rev", p[114]);
                        if (r >= 0)
                                r = add_int(o, "chip_metal", p[115]);
                }
        }
        return plugin_json_finish_unless(o, r, ret_json);
}

int bnxt_func_qcaps_json(const void *resp, size_t size, char **ret_json, char **ret_reason) {
        /* hwrm_func_qcaps_output: fid @8, port_id @10, flags le32 @12, mac_address @16,
         * then le16 maxima from @22. */
        static const struct {
                const char *key;
                size_t off;
        } u16s[] = {
                { "fid", 8 },
                { "port_id", 10 },
                { "max_rsscos_ctx", 22 },
                { "max_cmpl_rings", 24 },
                { "max_tx_rings", 26 },
                { "max_rx_rings", 28 },
                { "max_l2_ctxs", 30 },
                { "max_vnics", 32 },
                { "first_vf_id", 34 },
                { "max_vfs", 36 },
                { "max_stat_ctx", 38 },
        };
        const uint8_t *p = resp;
        BnxtResponse h;
        json_object *o = NULL;
        int r;

        r = reply_start(resp, size, HWRM_FUNC_QCAPS, &o, &h, ret_reason);
        if (r < 0)
                return r;
        if (h.error_code == 0) {
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(u16s); i++)
                        if (covered(&h, u16s[i].off, 2))
                                r = add_int(o, u16s[i].key, bnxt_le16(p + u16s[i].off));
                if (r >= 0 && covered(&h, 12, 4))
                        r = add_int(o, "flags", bnxt_le32(p + 12));
                if (r >= 0 && covered(&h, 16, 6)) {
                        char mac[18];

                        (void) snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p[16], p[17], p[18],
                                        p[19], p[20], p[21]);
                        r = add_str(o, "mac_address", mac);
                }
        }
        return plugin_json_finish_unless(o, r, ret_json);
}

int bnxt_temp_monitor_json(const void *resp, size_t size, char **ret_json, char **ret_reason) {
        /* hwrm_temp_monitor_query_output: temp @8, phy_temp @9, om_temp @10 (u8, degrees C). */
        const uint8_t *p = resp;
        BnxtResponse h;
        json_object *o = NULL;
        int r;

        r = reply_start(resp, size, HWRM_TEMP_MONITOR_QUERY, &o, &h, ret_reason);
        if (r < 0)
                return r;
        if (h.error_code == 0) {
                if (!covered(&h, 8, 1)) {
                        json_object_put(o);
                        return plugin_reason(ret_reason, -EBADMSG,
                                             "TEMP_MONITOR_QUERY resp_len %u carries no temperature", h.resp_len);
                }
                r = add_int(o, "temperature_c", p[8]);
                if (r >= 0 && covered(&h, 9, 1))
                        r = add_int(o, "phy_temperature_c", p[9]);
                if (r >= 0 && covered(&h, 10, 1))
                        r = add_int(o, "om_temperature_c", p[10]);
        }
        return plugin_json_finish_unless(o, r, ret_json);
}

int bnxt_nvm_dev_info_json(const void *resp, size_t size, char **ret_json, char **ret_reason) {
        /* hwrm_nvm_get_dev_info_output: manufacturer_id @8, device_id @10, sector_size @12,
         * nvram_size @16, reserved_size @20, available_size @24, nvm_cfg_ver maj/min/upd @28. */
        static const struct {
                const char *key;
                size_t off;
                unsigned width;
        } fields[] = {
                { "manufacturer_id", 8, 2 },  { "device_id", 10, 2 },     { "sector_size", 12, 4 },
                { "nvram_size", 16, 4 },      { "reserved_size", 20, 4 }, { "available_size", 24, 4 },
        };
        const uint8_t *p = resp;
        BnxtResponse h;
        json_object *o = NULL;
        int r;

        r = reply_start(resp, size, HWRM_NVM_GET_DEV_INFO, &o, &h, ret_reason);
        if (r < 0)
                return r;
        if (h.error_code == 0) {
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fields); i++)
                        if (covered(&h, fields[i].off, fields[i].width))
                                r = add_int(o, fields[i].key,
                                            fields[i].width == 2 ? bnxt_le16(p + fields[i].off)
                                                                 : bnxt_le32(p + fields[i].off));
                if (r >= 0 && covered(&h, 28, 3))
                        r = add_version(o, "nvm_cfg_version", p + 28, 3);
        }
        return plugin_json_finish_unless(o, r, ret_json);
}

int bnxt_nvm_read_json(const void *resp, size_t size, const void *data, uint32_t length, uint16_t dir_idx,
                       uint32_t offset, char **ret_json, char **ret_reason) {
        BnxtResponse h;
        json_object *o = NULL;
        char *hex;
        int r;

        r = reply_start(resp, size, HWRM_NVM_READ, &o, &h, ret_reason);
        if (r < 0)
                return r;
        r = add_int(o, "dir_idx", dir_idx);
        if (r >= 0)
                r = add_int(o, "offset", offset);
        if (r >= 0)
                r = add_int(o, "length", length);
        if (r >= 0 && h.error_code == 0) {
                hex = plugin_hex_encode(data, length);
                r = hex ? add_str(o, "data", hex) : -ENOMEM;
                free(hex);
        }
        return plugin_json_finish_unless(o, r, ret_json);
}

/* --- Parameters ------------------------------------------------------------------- */

/* An integer parameter within [min, max]: 1 when found, 0 when absent and optional. */
static int get_uint(json_object *o, const char *key, bool required, uint64_t min, uint64_t max, uint64_t *ret,
                    char **ret_reason) {
        json_object *v;
        int64_t x;

        if (!json_object_object_get_ex(o, key, &v)) {
                if (!required)
                        return 0;
                return plugin_reason(ret_reason, -EINVAL, "missing parameter '%s'", key);
        }
        if (!json_object_is_type(v, json_type_int))
                return plugin_reason(ret_reason, -EINVAL, "parameter '%s' must be an integer", key);
        errno = 0;
        x = json_object_get_int64(v);
        if (x < 0 || (uint64_t) x < min || (uint64_t) x > max || (x == INT64_MAX && errno != 0))
                return plugin_reason(ret_reason, -EINVAL, "parameter '%s' must be between %llu and %llu", key,
                                     (unsigned long long) min, (unsigned long long) max);
        *ret = (uint64_t) x;
        return 1;
}

int bnxt_parse_no_params(const char *json, char **ret_reason) {
        return plugin_parse_params(json, NULL, NULL, ret_reason);
}

int bnxt_parse_func_qcaps_params(const char *json, uint16_t *ret_fid, char **ret_reason) {
        static const char *const fields[] = { "fid", NULL };
        uint64_t fid = 0xffff; /* this function */
        json_object *o;
        int r;

        r = plugin_parse_params(json, fields, &o, ret_reason);
        if (r < 0)
                return r;
        r = get_uint(o, "fid", false, 0, UINT16_MAX, &fid, ret_reason);
        json_object_put(o);
        if (r < 0)
                return r;
        *ret_fid = (uint16_t) fid;
        return 0;
}

int bnxt_parse_nvm_read_params(const char *json, BnxtNvmReadParams *ret, char **ret_reason) {
        static const char *const fields[] = { "dir_idx", "offset", "length", NULL };
        uint64_t dir_idx = 0, offset = 0, length = 0;
        json_object *o;
        int r;

        r = plugin_parse_params(json, fields, &o, ret_reason);
        if (r < 0)
                return r;
        r = get_uint(o, "dir_idx", true, 0, UINT16_MAX, &dir_idx, ret_reason);
        if (r >= 0)
                r = get_uint(o, "offset", true, 0, UINT32_MAX, &offset, ret_reason);
        /* 0 is no read at all; the DMA envelope refuses it too. */
        if (r >= 0)
                r = get_uint(o, "length", true, 1, BNXT_DMA_MAX_LEN, &length, ret_reason);
        json_object_put(o);
        if (r < 0)
                return r;
        *ret = (BnxtNvmReadParams) {
                .dir_idx = (uint16_t) dir_idx,
                .offset = (uint32_t) offset,
                .length = (uint32_t) length,
        };
        return 0;
}
