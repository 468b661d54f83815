/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <json-c/json.h>

#include <fwctld/plugin.h>

#include "bnxt-proto.h"
#include "test-daemon.h"

static void req16(uint8_t *r, uint16_t type) {
        memset(r, 0, HWRM_REQ_MAX_LEN);
        r[0] = (uint8_t) type;
        r[1] = (uint8_t) (type >> 8);
}

static void nvm_read_env(uint8_t *r, uint32_t len) {
        memset(r, 0, 64);
        r[0] = 0xfd, r[1] = 0xff;
        r[24] = 3;                                   /* dir_idx */
        r[28] = 0x10;                                /* offset */
        r[32] = (uint8_t) len, r[33] = (uint8_t) (len >> 8), r[34] = (uint8_t) (len >> 16),
        r[35] = (uint8_t) (len >> 24);
}

static int classify(const uint8_t *r, size_t n, const BnxtCommand **c, BnxtEnvelope *env, char **reason) {
        free(*reason);
        *reason = NULL;
        return bnxt_classify_request(r, n, c, env, reason);
}

/* The DMA commands whose request struct is not in the header the table was checked against. */
static const struct {
        uint16_t type;
        const char *name, *hsi_struct;
} unverified_cmds[] = {
        { 0xff0e, "DBG_SERDES_TEST", "hwrm_dbg_serdes_test_input" },
        { 0xff30, "DBG_TOKEN_CFG", "hwrm_dbg_token_cfg_input" },
        { 0x00e6, "STAT_QUERY_ROCE_STATS", "hwrm_stat_query_roce_stats_input" },
        { 0x00e7, "STAT_QUERY_ROCE_STATS_EXT", "hwrm_stat_query_roce_stats_ext_input" },
        { 0x0067, "PORT_EVENTS_LOG", "hwrm_port_events_log_input" },
        { 0x00ba, "PORT_QSTATS_EXT_PFC_ADV", "hwrm_port_qstats_ext_pfc_adv_input" },
        { 0x0073, "SCH_GRP_CFG", "hwrm_sch_grp_cfg_input" },
        { 0x0074, "SCH_GRP_QCFG", "hwrm_sch_grp_qcfg_input" },
        { 0xff2d, "DBG_PTRACE", "hwrm_dbg_ptrace_input" },
};

static bool unverified(uint16_t type) {
        for (size_t i = 0; i < sizeof(unverified_cmds) / sizeof(unverified_cmds[0]); i++)
                if (unverified_cmds[i].type == type)
                        return true;
        return false;
}

/* Each unverified command is refused before any ioctl, at every size, with the reason the issue asks for. */
static void test_unverified_refused(void **state) {
        uint8_t r[HWRM_REQ_MAX_LEN];
        const BnxtCommand *c = NULL;
        char *reason = NULL;

        (void) state;
        for (size_t i = 0; i < sizeof(unverified_cmds) / sizeof(unverified_cmds[0]); i++) {
                const BnxtCommand *d = bnxt_command_find(unverified_cmds[i].type);
                char want[320];

                assert_non_null(d);
                assert_string_equal(d->name, unverified_cmds[i].name);
                assert_true(d->dma);
                assert_null(d->layout);
                for (size_t n = 16; n <= HWRM_REQ_MAX_LEN; n += 8) {
                        req16(r, unverified_cmds[i].type);
                        assert_int_equal(classify(r, n, &c, NULL, &reason), -EOPNOTSUPP);
                }
                snprintf(want, sizeof(want),
                         "%s (0x%04x): DMA request layout not verified against the HSI header (struct %s is not "
                         "in include/linux/bnxt/hsi.h at torvalds/linux 82ee50252dc8); refused until verified, so "
                         "no unverified address field reaches the kernel",
                         unverified_cmds[i].name, unverified_cmds[i].type, unverified_cmds[i].hsi_struct);
                assert_string_equal(reason, want);
        }
        /* The scopes stay the driver's, for the day they are verified. */
        assert_int_equal(bnxt_command_find(0xff30)->min_scope, 3);
        assert_true(bnxt_command_find(0xff30)->configuration_write);
        assert_int_equal(bnxt_command_find(0x0073)->min_scope, 2);
        assert_true(bnxt_command_find(0x0073)->configuration_write);
        assert_int_equal(bnxt_command_find(0x0074)->min_scope, 1);
        free(reason);
}

/* Every allowlist entry of kernel-fwctl.md §3, with its scope. */
static void test_allowlist(void **state) {
        static const struct {
                uint16_t type;
                uint8_t scope;
        } cfg[] = { { 0x11, 0 },   { 0x25, 0 },   { 0xc0, 0 },   { 0xc3, 0 },   { 0xc8, 0 },   { 0xff0f, 0 },
                    { 0xff15, 0 }, { 0xff16, 0 }, { 0xffec, 0 }, { 0xffee, 0 }, { 0xfff0, 0 }, { 0xfff5, 0 },
                    { 0xfff7, 0 }, { 0xfff8, 0 }, { 0xfff9, 0 }, { 0x0, 1 },    { 0xc, 1 },    { 0x15, 1 },
                    { 0x16, 1 },   { 0x18, 1 },   { 0x27, 1 },   { 0x28, 1 },   { 0x2a, 1 },   { 0x2c, 1 },
                    { 0xb6, 1 },   { 0x37, 1 },   { 0x39, 1 },   { 0x47, 1 },   { 0x87, 1 },   { 0x88, 1 },
                    { 0x8a, 1 },   { 0x8c, 1 },   { 0x8d, 1 },   { 0x8f, 1 },   { 0xa0, 1 },   { 0xbc, 1 },
                    { 0xbe, 1 },   { 0xc1, 1 },   { 0xc2, 1 },   { 0xc9, 1 },   { 0xda, 1 },   { 0xdd, 1 },
                    { 0xdf, 1 },   { 0xe0, 1 },   { 0xe1, 1 },   { 0xe2, 1 },   { 0x112, 1 },  { 0x124, 1 },
                    { 0x190, 1 },  { 0x192, 1 },  { 0x194, 1 },  { 0x198, 1 },  { 0x19c, 1 },  { 0x1a1, 1 },
                    { 0x1a4, 1 },  { 0x1a8, 1 },  { 0x1ac, 1 },  { 0x1c3, 1 },  { 0x232, 1 },  { 0x200, 1 },
                    { 0xff1c, 1 }, { 0xff20, 1 }, { 0xff21, 1 }, { 0xff25, 1 }, { 0xff26, 1 }, { 0xff2e, 1 },
                    { 0xff2f, 1 }, { 0xff18, 1 }, { 0xfff6, 1 }, { 0xfffb, 1 }, { 0x2b, 2 },   { 0xb5, 2 } };
        static const struct {
                uint16_t type;
                uint8_t scope;
        } dma[] = { { 0xfff1, 0 }, { 0xfff2, 0 }, { 0xfffd, 1 }, { 0xfffa, 1 }, { 0xfffc, 1 }, { 0xcb, 1 },
                    { 0xff17, 1 }, { 0xff19, 1 }, { 0xff10, 1 }, { 0xff11, 1 }, { 0xff0e, 1 }, { 0x3c, 1 },
                    { 0x23, 1 },   { 0xb4, 1 },   { 0xba, 1 },   { 0x204, 1 },  { 0x218, 1 },  { 0xe6, 1 },
                    { 0xe7, 1 },   { 0x67, 1 },   { 0xd5, 1 },   { 0xd9, 1 },   { 0x74, 1 },   { 0x203, 1 },
                    { 0xfffe, 2 }, { 0xfff4, 2 }, { 0xca, 2 },   { 0x73, 2 },   { 0xff2d, 2 }, { 0xffff, 3 },
                    { 0xbf, 3 },   { 0xff30, 3 } };
        const BnxtCommand *c = NULL;
        uint8_t r[HWRM_REQ_MAX_LEN];
        char *reason = NULL;
        size_t n;

        (void) state;
        for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
                req16(r, cfg[i].type);
                assert_int_equal(classify(r, 16, &c, NULL, &reason), 0);
                assert_int_equal(c->req_type, cfg[i].type);
                assert_int_equal(c->min_scope, cfg[i].scope);
                assert_false(c->dma);
        }
        for (size_t i = 0; i < sizeof(dma) / sizeof(dma[0]); i++) {
                const BnxtCommand *d = bnxt_command_find(dma[i].type);

                assert_non_null(d);
                assert_int_equal(d->min_scope, dma[i].scope);
                assert_true(d->dma);
                if (unverified(dma[i].type)) {
                        /* Layout not verified against the HSI header: refused, naming command and struct. */
                        assert_null(d->layout);
                        req16(r, dma[i].type);
                        assert_int_equal(classify(r, 40, &c, NULL, &reason), -EOPNOTSUPP);
                        assert_non_null(strstr(reason, d->name));
                        assert_non_null(strstr(reason, "not verified"));
                } else
                        assert_non_null(d->layout);
        }
        bnxt_command_table(&n);
        assert_int_equal(n, sizeof(cfg) / sizeof(cfg[0]) + sizeof(dma) / sizeof(dma[0]));
        free(reason);
}

/*
 * The DMA table pinned byte for byte: input size and, per field, address
 * offset, length offset, width, unit (or fixed length) and direction, from the
 * driver's descriptor table and the HSI request structs.
 */
static const struct pinned_field {
        uint16_t addr, len_off;
        uint8_t width, unit;
        uint32_t fixed;
        BnxtDmaDir dir;
} NO_FIELD = { 0, 0, 0, 0, 0, 0 };

#define PF_LEN(a, o, w, u, d) { a, o, w, u, 0, d }
#define PF_FIX(a, n, d) { a, 0, 0, 0, n, d }
#define PF_TO BNXT_DMA_TO_DEVICE
#define PF_FROM BNXT_DMA_FROM_DEVICE

static const struct {
        uint16_t type;
        const char *name;
        uint8_t scope;
        uint16_t size;
        unsigned n;
        struct pinned_field f[2];
} pinned[] = {
        { 0xfff2, "NVM_SET_VARIABLE", 0, 40, 1, { PF_LEN(16, 24, 2, 1, PF_TO) } },
        { 0xfff1, "NVM_GET_VARIABLE", 0, 40, 1, { PF_LEN(16, 24, 2, 1, PF_FROM) } },
        { 0xfffd, "NVM_READ", 1, 40, 1, { PF_LEN(16, 32, 4, 1, PF_FROM) } },
        { 0xfffa, "NVM_GET_DIR_ENTRIES", 1, 24, 1, { PF_FIX(16, 65536, PF_FROM) } },
        { 0xfffe, "NVM_WRITE", 2, 56, 1, { PF_LEN(16, 32, 4, 1, PF_TO) } },
        { 0xfff4, "NVM_MODIFY", 2, 40, 1, { PF_LEN(16, 32, 4, 1, PF_TO) } },
        { 0xffff, "NVM_RAW_WRITE_BLK", 3, 40, 1, { PF_LEN(16, 28, 4, 1, PF_TO) } },
        { 0xfffc, "NVM_RAW_DUMP", 1, 40, 1, { PF_LEN(16, 28, 4, 1, PF_FROM) } },
        { 0x00cb, "FW_GET_STRUCTURED_DATA", 1, 32, 1, { PF_LEN(16, 24, 2, 1, PF_FROM) } },
        { 0x00ca, "FW_SET_STRUCTURED_DATA", 2, 32, 1, { PF_LEN(16, 24, 2, 1, PF_TO) } },
        { 0x00bf, "FW_LIVEPATCH", 3, 32, 1, { PF_LEN(24, 20, 4, 1, PF_TO) } },
        { 0xff17, "DBG_COREDUMP_LIST", 1, 32, 1, { PF_LEN(16, 24, 4, 1, PF_FROM) } },
        { 0xff19, "DBG_COREDUMP_RETRIEVE", 1, 56, 1, { PF_LEN(16, 24, 4, 1, PF_FROM) } },
        { 0xff10, "DBG_READ_DIRECT", 1, 32, 1, { PF_LEN(16, 28, 4, 4, PF_FROM) } },
        { 0xff11, "DBG_READ_INDIRECT", 1, 80, 1, { PF_LEN(16, 24, 4, 1, PF_FROM) } },
        { 0x003c, "QUEUE_DSCP2PRI_QCFG", 1, 32, 1, { PF_LEN(16, 26, 2, 1, PF_FROM) } },
        { 0x0023, "PORT_QSTATS", 1, 40, 2, { PF_FIX(24, 408, PF_FROM), PF_FIX(32, 528, PF_FROM) } },
        { 0x00b4, "PORT_QSTATS_EXT", 1, 40, 2, { PF_LEN(24, 18, 2, 1, PF_FROM), PF_LEN(32, 20, 2, 1, PF_FROM) } },
        { 0x0204, "PCIE_QSTATS", 1, 32, 1, { PF_LEN(24, 16, 2, 1, PF_FROM) } },
        { 0x0218, "STAT_GENERIC_QSTATS", 1, 32, 1, { PF_LEN(24, 16, 2, 1, PF_FROM) } },
        { 0x00d5, "PORT_PRBS_TEST", 1, 48, 1, { PF_LEN(16, 24, 2, 1, PF_FROM) } },
        { 0x00d9, "PORT_DSC_DUMP", 1, 40, 1, { PF_LEN(16, 24, 2, 1, PF_FROM) } },
        { 0x0203, "SELFTEST_RETRIEVE_SERDES_DATA", 1, 40, 1, { PF_LEN(16, 28, 2, 1, PF_FROM) } },
};

static void test_dma_table_pinned(void **state) {
        (void) state;
        assert_int_equal(BNXT_DMA_MAX_LEN, 65536);
        for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
                const BnxtCommand *c = bnxt_command_find(pinned[i].type);
                const BnxtDmaLayout *l;

                assert_non_null(c);
                assert_string_equal(c->name, pinned[i].name);
                assert_int_equal(c->min_scope, pinned[i].scope);
                assert_true(c->dma);
                l = c->layout;
                assert_non_null(l);
                assert_int_equal(l->req_size, pinned[i].size);
                assert_true(l->req_size <= HWRM_REQ_MAX_LEN);
                assert_int_equal(l->n_fields, pinned[i].n);
                for (unsigned k = 0; k < BNXT_MAX_DMA_FIELDS; k++) {
                        const BnxtDmaField *f = &l->fields[k];
                        const struct pinned_field *p = k < pinned[i].n ? &pinned[i].f[k] : &NO_FIELD;

                        if (k >= l->n_fields)
                                continue;
                        assert_int_equal(f->addr_offset, p->addr);
                        assert_int_equal(f->len_width, p->width);
                        assert_int_equal(f->dir, p->dir);
                        /* address and length inside the request, after the header, not overlapping */
                        assert_true(f->addr_offset >= HWRM_REQ_HDR_LEN && f->addr_offset + 8 <= l->req_size);
                        if (p->width) {
                                assert_int_equal(f->len_offset, p->len_off);
                                assert_int_equal(f->len_unit, p->unit);
                                assert_true(f->len_offset + f->len_width <= l->req_size);
                                assert_true(f->len_offset + f->len_width <= f->addr_offset ||
                                            f->len_offset >= f->addr_offset + 8);
                        } else
                                assert_int_equal(f->fixed_len, p->fixed);
                }
        }
}

/* Build a DMA request of the command's exact size with each length field set to lens[k]. */
static size_t dma_req(uint8_t *r, size_t cap, uint16_t type, const uint32_t *lens) {
        const BnxtCommand *c = bnxt_command_find(type);
        const BnxtDmaLayout *l = c->layout;

        memset(r, 0, cap);
        r[0] = (uint8_t) type, r[1] = (uint8_t) (type >> 8);
        for (unsigned k = 0; k < l->n_fields; k++) {
                const BnxtDmaField *f = &l->fields[k];

                if (f->len_width == 2)
                        r[f->len_offset] = (uint8_t) lens[k], r[f->len_offset + 1] = (uint8_t) (lens[k] >> 8);
                else if (f->len_width == 4)
                        for (int b = 0; b < 4; b++)
                                r[f->len_offset + b] = (uint8_t) (lens[k] >> (8 * b));
        }
        return l->req_size;
}

/* Set field k's count, and that of every field sharing its length field (PORT_QSTATS_EXT_PFC_ADV). */
static void set_count(uint32_t *lens, const BnxtDmaLayout *l, unsigned k, uint32_t v) {
        for (unsigned j = 0; j < l->n_fields; j++)
                if (l->fields[j].len_width && l->fields[j].len_offset == l->fields[k].len_offset)
                        lens[j] = v;
}

/* Every length rule on every command with a length field: 0, the largest count, one more. */
static void test_dma_length_rules(void **state) {
        static uint8_t r[HWRM_REQ_MAX_LEN + BNXT_DMA_MAX_LEN + 8];
        const BnxtCommand *c = NULL;
        BnxtEnvelope env;
        char *reason = NULL;

        (void) state;
        for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
                const BnxtDmaLayout *l = bnxt_command_find(pinned[i].type)->layout;

                for (unsigned k = 0; k < l->n_fields; k++) {
                        const BnxtDmaField *f = &l->fields[k];
                        uint32_t lens[BNXT_MAX_DMA_FIELDS] = { 1, 1, 1, 1 }, max_count;
                        size_t n, data = 0;

                        if (f->len_width == 0)
                                continue;
                        max_count = BNXT_DMA_MAX_LEN / f->len_unit;
                        if (f->len_width == 2 && max_count > 0xffff)
                                max_count = 0xffff; /* a 16-bit byte count cannot reach the limit */
                        /* 0 */
                        set_count(lens, l, k, 0);
                        n = dma_req(r, sizeof(r), pinned[i].type, lens);
                        assert_int_equal(classify(r, n + 64, &c, &env, &reason), -EINVAL);
                        assert_non_null(strstr(reason, "is 0"));
                        /* the largest count is accepted (write data included in the envelope) */
                        set_count(lens, l, k, max_count);
                        n = dma_req(r, sizeof(r), pinned[i].type, lens);
                        for (unsigned j = 0; j < l->n_fields; j++)
                                if (l->fields[j].dir == BNXT_DMA_TO_DEVICE)
                                        data += bnxt_dma_field_length(r, &l->fields[j]);
                        assert_int_equal(classify(r, n + data, &c, &env, &reason), 0);
                        assert_int_equal(env.buffers[k].length, (uint64_t) max_count * f->len_unit);
                        /* one more unit is beyond the per-buffer limit */
                        if (max_count == 0xffff)
                                continue;
                        set_count(lens, l, k, max_count + 1);
                        n = dma_req(r, sizeof(r), pinned[i].type, lens);
                        assert_int_equal(classify(r, n + data + f->len_unit, &c, &env, &reason), -EINVAL);
                        assert_non_null(strstr(reason, "limit of 65536"));
                }
        }
        free(reason);
}

/* A 32-bit count times its unit must not wrap: read_len32 0x40000001 is 4 bytes in 32-bit arithmetic. */
static void test_dma_unit_overflow(void **state) {
        uint8_t r[64];
        uint32_t lens[BNXT_MAX_DMA_FIELDS] = { 0x40000001 };
        const BnxtCommand *c = NULL;
        BnxtEnvelope env;
        char *reason = NULL;
        size_t n;

        (void) state;
        n = dma_req(r, sizeof(r), 0xff10, lens);
        assert_int_equal(n, 32);
        assert_int_equal(classify(r, n, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "1073741825 units of 4 bytes = 4294967300 bytes"));
        lens[0] = 0xffffffff;
        dma_req(r, sizeof(r), 0xff10, lens);
        assert_int_equal(classify(r, n, &c, &env, &reason), -EINVAL);
        /* 16384 words = 65536 bytes is the most */
        lens[0] = 16384;
        dma_req(r, sizeof(r), 0xff10, lens);
        assert_int_equal(classify(r, n, &c, &env, &reason), 0);
        assert_int_equal(env.buffers[0].length, 65536);
        lens[0] = 3;
        dma_req(r, sizeof(r), 0xff10, lens);
        assert_int_equal(classify(r, n, &c, &env, &reason), 0);
        assert_int_equal(env.read_bytes, 12);
        free(reason);
}

/* Byte-exact envelopes of the multi-buffer and fixed-length commands. */
static void test_dma_envelopes(void **state) {
        /* PORT_QSTATS port 1: 40 bytes, both addresses zero. */
        static const uint8_t qstats[40] = { 0x23, 0x00, 0xff, 0xff, 0x42, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
                                            0,    0,    0x01, 0x00 };
        /* PORT_QSTATS_EXT port 0, tx_stat_size 256, rx_stat_size 488. */
        static const uint8_t qext[40] = { 0xb4, 0x00, 0xff, 0xff, 0x42, 0x00, 0xff, 0xff, 0, 0,    0,    0, 0, 0,
                                          0,    0,    0x00, 0x00, 0x00, 0x01, 0xe8, 0x01 };
        /* NVM_WRITE dir_type 0x0e, 4 bytes of data 01 02 03 04 after the 56-byte request. */
        uint8_t nvw[60] = { 0xfe, 0xff, 0xff, 0xff, 0x42, 0x00, 0xff, 0xff };
        /* NVM_GET_DIR_ENTRIES: 24 bytes, no length field. */
        static const uint8_t dirent[24] = { 0xfa, 0xff, 0xff, 0xff, 0x42, 0x00, 0xff, 0xff };
        const BnxtCommand *c = NULL;
        BnxtEnvelope env;
        char *reason = NULL;
        uint8_t bad[41];

        (void) state;
        assert_int_equal(classify(qstats, 40, &c, &env, &reason), 0);
        assert_string_equal(c->name, "PORT_QSTATS");
        assert_int_equal(env.n_buffers, 2);
        assert_int_equal(env.buffers[0].addr_offset, 24);
        assert_int_equal(env.buffers[0].length, 408);
        assert_int_equal(env.buffers[1].addr_offset, 32);
        assert_int_equal(env.buffers[1].length, 528);
        assert_int_equal(env.read_bytes, 936);
        /* exact size: 39 and 41 bytes */
        assert_int_equal(classify(qstats, 39, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "exactly 40"));
        memcpy(bad, qstats, 40);
        bad[40] = 0;
        assert_int_equal(classify(bad, 41, &c, &env, &reason), -EINVAL);
        /* the second address field must be zero too */
        bad[39] = 1;
        assert_int_equal(classify(bad, 40, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "offset 32 must be zero"));

        assert_int_equal(classify(qext, 40, &c, &env, &reason), 0);
        assert_int_equal(env.buffers[0].length, 256);
        assert_int_equal(env.buffers[1].length, 488);
        assert_int_equal(env.read_bytes, 744);
        memcpy(bad, qext, 40);
        bad[20] = bad[21] = 0; /* rx_stat_size 0 */
        assert_int_equal(classify(bad, 40, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "offset 20 is 0"));

        nvw[24] = 0x0e;                      /* dir_type */
        nvw[32] = 4;                         /* dir_data_length */
        nvw[56] = 1, nvw[57] = 2, nvw[58] = 3, nvw[59] = 4;
        assert_int_equal(classify(nvw, 60, &c, &env, &reason), 0);
        assert_string_equal(c->name, "NVM_WRITE");
        assert_true(c->configuration_write);
        assert_int_equal(c->min_scope, 2);
        assert_int_equal(env.buffers[0].dir, BNXT_DMA_TO_DEVICE);
        assert_int_equal(env.buffers[0].data_offset, 56);
        assert_int_equal(env.buffers[0].length, 4);
        assert_int_equal(env.read_bytes, 0);
        assert_int_equal(classify(nvw, 59, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "must be 60 bytes"));
        assert_int_equal(classify(nvw, 56, &c, &env, &reason), -EINVAL);

        assert_int_equal(classify(dirent, 24, &c, &env, &reason), 0);
        assert_int_equal(env.buffers[0].length, 65536);
        assert_int_equal(env.read_bytes, 65536);
        assert_int_equal(classify(dirent, 16, &c, &env, &reason), -EINVAL);
        free(reason);
}

static void test_names_and_writes(void **state) {
        (void) state;
        assert_string_equal(bnxt_command_find(0x0)->name, "VER_GET");
        assert_string_equal(bnxt_command_find(0xfffd)->name, "NVM_READ");
        assert_string_equal(bnxt_command_find(0x2b)->name, "PORT_PHY_I2C_WRITE");
        assert_string_equal(bnxt_command_find(0xe0)->name, "TEMP_MONITOR_QUERY");
        assert_true(bnxt_command_find(0x11)->configuration_write);   /* FUNC_RESET */
        assert_true(bnxt_command_find(0xc0)->configuration_write);   /* FW_RESET */
        assert_true(bnxt_command_find(0xff16)->configuration_write); /* DBG_CFG */
        assert_true(bnxt_command_find(0xfff0)->configuration_write); /* NVM_FLUSH */
        assert_true(bnxt_command_find(0xfff2)->configuration_write); /* NVM_SET_VARIABLE */
        assert_false(bnxt_command_find(0xfff9)->configuration_write);
        assert_false(bnxt_command_find(0xfff1)->configuration_write);
        assert_false(bnxt_command_find(0x0)->configuration_write);
        assert_false(bnxt_command_find(0xfffd)->configuration_write);
        assert_true(bnxt_command_find(0x2b)->configuration_write);
        assert_null(bnxt_command_find(0x1234));
        assert_null(bnxt_command_find(0x0017)); /* FUNC_CFG: not allowed */
}

static void test_sizes_and_unknown(void **state) {
        const BnxtCommand *c = NULL;
        uint8_t r[HWRM_REQ_MAX_LEN + 8];
        char *reason = NULL;

        (void) state;
        memset(r, 0, sizeof(r));
        assert_int_equal(classify(r, 15, &c, NULL, &reason), -EINVAL);
        assert_non_null(strstr(reason, "15 bytes"));
        assert_int_equal(classify(r, 16, &c, NULL, &reason), 0);
        assert_string_equal(c->name, "VER_GET");
        assert_int_equal(classify(r, 128, &c, NULL, &reason), 0);
        assert_int_equal(classify(r, 129, &c, NULL, &reason), -EINVAL);
        assert_non_null(strstr(reason, "129"));
        assert_int_equal(classify(NULL, 0, &c, NULL, &reason), -EINVAL);
        r[0] = 0x34, r[1] = 0x12;
        assert_int_equal(classify(r, 16, &c, NULL, &reason), -EINVAL);
        assert_non_null(strstr(reason, "0x1234"));
        assert_non_null(strstr(reason, "EPERM"));
        free(reason);
}

static void test_nvm_read_envelope(void **state) {
        const BnxtCommand *c = NULL;
        BnxtEnvelope env;
        uint8_t r[64];
        char *reason = NULL;

        (void) state;
        nvm_read_env(r, 64);
        assert_int_equal(classify(r, 40, &c, &env, &reason), 0);
        assert_string_equal(c->name, "NVM_READ");
        assert_int_equal(env.n_buffers, 1);
        assert_int_equal(env.buffers[0].length, 64);
        assert_int_equal(env.buffers[0].addr_offset, 16);
        assert_int_equal(env.buffers[0].dir, BNXT_DMA_FROM_DEVICE);
        assert_int_equal(env.read_bytes, 64);
        /* exact size */
        assert_int_equal(classify(r, 39, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "exactly 40"));
        assert_int_equal(classify(r, 41, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "41"));
        /* length rules */
        nvm_read_env(r, 0);
        assert_int_equal(classify(r, 40, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "is 0"));
        nvm_read_env(r, BNXT_DMA_MAX_LEN);
        assert_int_equal(classify(r, 40, &c, &env, &reason), 0);
        assert_int_equal(env.read_bytes, BNXT_DMA_MAX_LEN);
        nvm_read_env(r, BNXT_DMA_MAX_LEN + 1);
        assert_int_equal(classify(r, 40, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "65537"));
        nvm_read_env(r, UINT32_MAX);
        assert_int_equal(classify(r, 40, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "4294967295"));
        /* the address field must be left zero */
        nvm_read_env(r, 8);
        r[23] = 0x7f;
        assert_int_equal(classify(r, 40, &c, &env, &reason), -EINVAL);
        assert_non_null(strstr(reason, "offset 16 must be zero"));
        free(reason);
}

static void test_parse_response(void **state) {
        uint8_t b[32] = { 0x02, 0x00, 0x15, 0x00, 0x42, 0x00, 0x10, 0x00 };
        BnxtResponse h;
        char *reason = NULL;

        (void) state;
        assert_int_equal(bnxt_parse_response(b, 16, &h, &reason), 0);
        assert_int_equal(h.error_code, 2);
        assert_int_equal(h.req_type, 0x15);
        assert_int_equal(h.seq_id, 0x42);
        assert_int_equal(h.resp_len, 16);
        assert_int_equal(bnxt_parse_response(b, 15, &h, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "beyond"));
        b[6] = 8;
        assert_int_equal(bnxt_parse_response(b, 8, &h, &reason), 0);
        b[6] = 7;
        free(reason);
        reason = NULL;
        assert_int_equal(bnxt_parse_response(b, 32, &h, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "resp_len 7"));
        assert_int_equal(bnxt_parse_response(b, 7, &h, &reason), -EBADMSG);
        b[6] = 0, b[7] = 0x01; /* 256 > 32 */
        assert_int_equal(bnxt_parse_response(b, 32, &h, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "resp_len 256"));
        free(reason);
}

static void test_error_names(void **state) {
        char buf[32];

        (void) state;
        assert_string_equal(bnxt_error_name(0, buf, sizeof(buf)), "SUCCESS");
        assert_string_equal(bnxt_error_name(1, buf, sizeof(buf)), "FAIL");
        assert_string_equal(bnxt_error_name(2, buf, sizeof(buf)), "INVALID_PARAMS");
        assert_string_equal(bnxt_error_name(3, buf, sizeof(buf)), "RESOURCE_ACCESS_DENIED");
        assert_string_equal(bnxt_error_name(9, buf, sizeof(buf)), "UNSUPPORTED_OPTION_ERR");
        assert_string_equal(bnxt_error_name(0xa, buf, sizeof(buf)), "HOT_RESET_PROGRESS");
        assert_string_equal(bnxt_error_name(0xb, buf, sizeof(buf)), "HOT_RESET_FAIL");
        assert_string_equal(bnxt_error_name(0xc, buf, sizeof(buf)), "NO_FLOW_COUNTER_DURING_ALLOC");
        assert_string_equal(bnxt_error_name(0xd, buf, sizeof(buf)), "KEY_HASH_COLLISION");
        assert_string_equal(bnxt_error_name(0xf, buf, sizeof(buf)), "HWRM_ERROR");
        assert_string_equal(bnxt_error_name(0x10, buf, sizeof(buf)), "BUSY");
        assert_string_equal(bnxt_error_name(0x8000, buf, sizeof(buf)), "TLV_ENCAPSULATED_RESPONSE");
        assert_string_equal(bnxt_error_name(0xfffe, buf, sizeof(buf)), "UNKNOWN_ERR");
        assert_string_equal(bnxt_error_name(0xffff, buf, sizeof(buf)), "CMD_NOT_SUPPORTED");
        assert_string_equal(bnxt_error_name(0xff92, buf, sizeof(buf)), "DRIVER_ERRNO_110");
        assert_string_equal(bnxt_error_name(0x15, buf, sizeof(buf)), "UNKNOWN_0x0015");
}

static void test_info_json(void **state) {
        uint8_t caps[4] = { 0x0f, 0, 0, 0 };
        char *j = NULL;

        (void) state;
        assert_int_equal(bnxt_info_json(caps, 4, &j), 0);
        assert_string_equal(j, "{\"plugin\":\"bnxt\",\"uctx_caps\":15,\"command_classes\":[\"inline\",\"query\","
                               "\"send\",\"dma\"],\"advisory\":true}");
        free(j);
        caps[0] = 0x25;
        assert_int_equal(bnxt_info_json(caps, 4, &j), 0);
        assert_string_equal(j, "{\"plugin\":\"bnxt\",\"uctx_caps\":37,\"command_classes\":[\"inline\",\"send\"],"
                               "\"unknown_caps\":32,\"advisory\":true}");
        free(j);
        assert_int_equal(bnxt_info_json(NULL, 0, &j), 0);
        assert_string_equal(j, "{\"plugin\":\"bnxt\",\"device_data_length\":0}");
        free(j);
}

static void test_builders(void **state) {
        static const uint8_t ver[24] = { 0x00, 0x00, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0, 0,
                                         0,    0,    0,    0,    1, 10, 2,    0,    0, 0, 0, 0 };
        /* The pointer-free envelope: host_dest_addr @16 is zero. */
        static const uint8_t nvm[40] = { 0xfd, 0xff, 0xff, 0xff, 0,    0,    0xff, 0xff, 0,    0,
                                         0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
                                         0,    0,    0,    0,    0x05, 0x00, 0,    0,    0x00, 0x01,
                                         0,    0,    0x40, 0,    0,    0,    0,    0,    0,    0 };
        uint8_t r[HWRM_REQ_MAX_LEN];

        (void) state;
        assert_int_equal(bnxt_build_ver_get(r), 24);
        assert_memory_equal(r, ver, 24);
        assert_int_equal(bnxt_build_nvm_read(r, 5, 0x100, 64), 40);
        assert_memory_equal(r, nvm, 40);
        assert_int_equal(bnxt_build_func_qcaps(r, 0xffff), 24);
        assert_int_equal(r[0], 0x15);
        assert_int_equal(r[16], 0xff);
        assert_int_equal(r[17], 0xff);
        assert_int_equal(bnxt_build_simple(r, 0xe0), 16);
        assert_int_equal(r[0], 0xe0);
        assert_int_equal(r[1], 0);
}

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v, p[1] = (uint8_t) (v >> 8);
}

static void resp_hdr(uint8_t *b, uint16_t err, uint16_t type, uint16_t len) {
        put16(b, err);
        put16(b + 2, type);
        put16(b + 6, len);
}

static void test_ver_get_json(void **state) {
        uint8_t b[256] = { 0 };
        char *j = NULL, *reason = NULL;

        (void) state;
        resp_hdr(b, 0, 0, 104);
        b[8] = 1, b[9] = 10, b[10] = 2;
        b[12] = 224, b[13] = 0, b[14] = 123, b[15] = 0;
        memcpy(b + 32, "224.0.123.0", 11);
        memcpy(b + 80, "224.1.0.0", 9);
        memcpy(b + 96, "roce", 4); /* beyond resp_len 104: not decoded */
        assert_int_equal(bnxt_ver_get_json(b, sizeof(b), &j, &reason), 0);
        assert_string_equal(j, "{\"status\":0,\"status_name\":\"SUCCESS\",\"response_length\":104,"
                               "\"hwrm_interface_version\":\"1.10.2\",\"hwrm_firmware_version\":\"224.0.123.0\","
                               "\"management_firmware_version\":\"0.0.0.0\",\"netctrl_firmware_version\":"
                               "\"0.0.0.0\",\"roce_firmware_version\":\"0.0.0.0\",\"dev_caps_cfg\":0,"
                               "\"hwrm_firmware_name\":\"224.0.123.0\",\"management_firmware_name\":\"\","
                               "\"netctrl_firmware_name\":\"\",\"active_package_name\":\"224.1.0.0\"}");
        free(j);
        /* error status: no fields */
        resp_hdr(b, 0xffff, 0, 16);
        assert_int_equal(bnxt_ver_get_json(b, sizeof(b), &j, &reason), 0);
        assert_string_equal(j, "{\"status\":65535,\"status_name\":\"CMD_NOT_SUPPORTED\",\"response_length\":16}");
        free(j);
        /* malformed */
        resp_hdr(b, 0, 0, 300);
        assert_int_equal(bnxt_ver_get_json(b, sizeof(b), &j, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "resp_len 300"));
        resp_hdr(b, 0, 0x15, 104);
        assert_int_equal(bnxt_ver_get_json(b, sizeof(b), &j, &reason), -EBADMSG);
        assert_non_null(strstr(reason, "0x0015"));
        free(reason);
}

static void test_other_json(void **state) {
        uint8_t b[128] = { 0 }, data[4] = { 0x00, 0x0d, 0x1a, 0xff };
        char *j = NULL, *reason = NULL;

        (void) state;
        resp_hdr(b, 0, 0xe0, 16);
        b[8] = 47, b[9] = 52, b[10] = 40;
        assert_int_equal(bnxt_temp_monitor_json(b, sizeof(b), &j, &reason), 0);
        assert_string_equal(j, "{\"status\":0,\"status_name\":\"SUCCESS\",\"response_length\":16,"
                               "\"temperature_c\":47,\"phy_temperature_c\":52,\"om_temperature_c\":40}");
        free(j);
        resp_hdr(b, 0, 0xe0, 8);
        assert_int_equal(bnxt_temp_monitor_json(b, sizeof(b), &j, &reason), -EBADMSG);

        memset(b, 0, sizeof(b));
        resp_hdr(b, 0, 0x15, 40);
        put16(b + 8, 0xffff);
        put16(b + 10, 1);
        b[12] = 0x14;
        memcpy(b + 16, "\x00\x0a\xf7\x01\x02\x03", 6);
        put16(b + 26, 8);
        assert_int_equal(bnxt_func_qcaps_json(b, sizeof(b), &j, &reason), 0);
        assert_string_equal(j, "{\"status\":0,\"status_name\":\"SUCCESS\",\"response_length\":40,\"fid\":65535,"
                               "\"port_id\":1,\"max_rsscos_ctx\":0,\"max_cmpl_rings\":0,\"max_tx_rings\":8,"
                               "\"max_rx_rings\":0,\"max_l2_ctxs\":0,\"max_vnics\":0,\"first_vf_id\":0,"
                               "\"max_vfs\":0,\"max_stat_ctx\":0,\"flags\":20,\"mac_address\":\"00:0a:f7:01:02:03\"}");
        free(j);

        memset(b, 0, sizeof(b));
        resp_hdr(b, 0, 0xfff6, 32);
        put16(b + 8, 0x14e4);
        put16(b + 10, 0x1750);
        b[14] = 1;       /* sector 64 KiB */
        b[18] = 0x80;    /* nvram 8 MiB */
        b[28] = 1, b[29] = 2, b[30] = 3;
        assert_int_equal(bnxt_nvm_dev_info_json(b, sizeof(b), &j, &reason), 0);
        assert_string_equal(j, "{\"status\":0,\"status_name\":\"SUCCESS\",\"response_length\":32,"
                               "\"manufacturer_id\":5348,\"device_id\":5968,\"sector_size\":65536,"
                               "\"nvram_size\":8388608,\"reserved_size\":0,\"available_size\":0,"
                               "\"nvm_cfg_version\":\"1.2.3\"}");
        free(j);

        memset(b, 0, sizeof(b));
        resp_hdr(b, 0, 0xfffd, 16);
        assert_int_equal(bnxt_nvm_read_json(b, sizeof(b), data, 4, 3, 16, &j, &reason), 0);
        assert_string_equal(j, "{\"status\":0,\"status_name\":\"SUCCESS\",\"response_length\":16,\"dir_idx\":3,"
                               "\"offset\":16,\"length\":4,\"data\":\"000d1aff\"}");
        free(j);
        resp_hdr(b, 0, 0xfffd, 4);
        assert_int_equal(bnxt_nvm_read_json(b, sizeof(b), data, 4, 3, 16, &j, &reason), -EBADMSG);
        free(reason);
}

static void test_params(void **state) {
        BnxtNvmReadParams p;
        char *reason = NULL;
        uint16_t fid = 0;

        (void) state;
        assert_int_equal(bnxt_parse_nvm_read_params("{\"dir_idx\":2,\"offset\":16,\"length\":64}", &p, &reason), 0);
        assert_int_equal(p.dir_idx, 2);
        assert_int_equal(p.offset, 16);
        assert_int_equal(p.length, 64);
#define BAD(json, needle)                                                              \
        do {                                                                           \
                free(reason);                                                          \
                reason = NULL;                                                         \
                assert_int_equal(bnxt_parse_nvm_read_params(json, &p, &reason), -EINVAL); \
                assert_non_null(strstr(reason, needle));                               \
        } while (0)
        BAD("{\"offset\":0,\"length\":4}", "missing parameter 'dir_idx'");
        BAD("{\"dir_idx\":0,\"length\":4}", "missing parameter 'offset'");
        BAD("{\"dir_idx\":0,\"offset\":0}", "missing parameter 'length'");
        BAD("{\"dir_idx\":\"0\",\"offset\":0,\"length\":4}", "'dir_idx' must be an integer");
        BAD("{\"dir_idx\":65536,\"offset\":0,\"length\":4}", "'dir_idx' must be between 0 and 65535");
        BAD("{\"dir_idx\":0,\"offset\":-1,\"length\":4}", "'offset'");
        /* One range, whichever side is crossed. */
        BAD("{\"dir_idx\":0,\"offset\":0,\"length\":0}", "'length' must be between 1 and 65536");
        BAD("{\"dir_idx\":0,\"offset\":0,\"length\":65537}", "'length' must be between 1 and 65536");
        BAD("{\"dir_idx\":0,\"offset\":0,\"length\":4,\"x\":1}", "unknown field \"x\"");
        BAD("{nope", "not valid JSON");
        BAD("[1]", "must be a JSON object, not an array");
        BAD("{\"dir_idx\":0,\"offset\":0,\"length\":4} x", "text after the JSON object");
        BAD("{\"dir_idx\":0,\"offset\":0,\"length\":4}{}", "text after the JSON object");
        BAD("{\"dir_idx\":0,\"offset\":0,\"length\":4,\"length\":8}", "field \"length\" appears more than once");
#undef BAD
        free(reason);
        reason = NULL;
        assert_int_equal(bnxt_parse_func_qcaps_params("{}", &fid, &reason), 0);
        assert_int_equal(fid, 0xffff);
        assert_int_equal(bnxt_parse_func_qcaps_params("{\"fid\":3}", &fid, &reason), 0);
        assert_int_equal(fid, 3);
        assert_int_equal(bnxt_parse_func_qcaps_params("{\"fid\":70000}", &fid, &reason), -EINVAL);
        assert_non_null(strstr(reason, "'fid'"));
        free(reason);
        reason = NULL;
        assert_int_equal(bnxt_parse_no_params("{}", &reason), 0);
        assert_int_equal(bnxt_parse_no_params(" {}\n", &reason), 0);
        assert_int_equal(bnxt_parse_no_params("{\"a\":1}", &reason), -EINVAL);
        assert_non_null(strstr(reason, "unknown field \"a\": the operation takes no parameters"));
        free(reason);
        reason = NULL;
        /* ver-get and the others ran with any of these. */
        assert_int_equal(bnxt_parse_no_params("{} x", &reason), -EINVAL);
        assert_non_null(strstr(reason, "text after the JSON object"));
        assert_int_equal(bnxt_parse_no_params("{}{}", &reason), -EINVAL);
        assert_non_null(strstr(reason, "text after the JSON object"));
        assert_int_equal(bnxt_parse_no_params("null", &reason), -EINVAL);
        assert_non_null(strstr(reason, "must be a JSON object, not null"));
        assert_int_equal(bnxt_parse_no_params("", &reason), -EINVAL);
        assert_non_null(strstr(reason, "parameters are empty"));
        free(reason);
}

/* --- The plugin through the daemon's path (test-daemon.c) and a fake bnxt_fwctl ------------ */

/*
 * The fake driver, after mainline bnxtctl_fw_rpc(): size checks, the DMA descriptor's
 * exact in_len and lengths, the scope, then every DMA buffer read (to-device) or filled
 * (from-device) through the address in the request, and the HWRM response copied as
 * min(resp_len, out_len) with out_len echoed. It also fails any DMA buffer with less room
 * than BNXT_DMA_MAX_LEN: one sized from the request's length field rather than the
 * kernel's per-buffer maximum.
 */
typedef struct FakeBnxt {
        unsigned n;
        uint32_t scope;
        uint8_t in[HWRM_REQ_MAX_LEN];
        size_t in_len, out_len;
        uint16_t error_code;
        uint16_t resp_len;   /* of the HWRM response written; 0: 16 */
        uint8_t body[256];   /* response bytes after the 8-byte header */
        uint64_t addr[BNXT_MAX_DMA_FIELDS];
        uint8_t to_data[BNXT_MAX_DMA_FIELDS][16];
        int fail;
} FakeBnxt;

static int fake_dma(FakeBnxt *k, const BnxtCommand *c, const uint8_t *req, size_t in_len) {
        const BnxtDmaLayout *l = c->layout;

        if (!l)
                fail_msg("%s reached the kernel without a verified layout", c->name);
        if (in_len != l->req_size)
                return -EINVAL;
        for (unsigned i = 0; i < l->n_fields; i++) {
                uint64_t len = bnxt_dma_field_length(req, &l->fields[i]);
                uint8_t *buf;

                if (len == 0 || len > BNXT_DMA_MAX_LEN)
                        return -EINVAL;
                k->addr[i] = bnxt_le64(req + l->fields[i].addr_offset);
                assert_true(k->addr[i] != 0);
                buf = (uint8_t *) (uintptr_t) k->addr[i];
                /* The whole per-buffer maximum is the daemon's, whatever the length field says. */
                if (test_daemon_room(buf) < BNXT_DMA_MAX_LEN)
                        fail_msg("%s buffer %u: %zu bytes, not the kernel's %u", c->name, i, test_daemon_room(buf),
                                 BNXT_DMA_MAX_LEN);
                if (l->fields[i].dir == BNXT_DMA_TO_DEVICE)
                        memcpy(k->to_data[i], buf, len < 16 ? len : 16);
                else
                        for (uint64_t j = 0; j < len; j++)
                                buf[j] = (uint8_t) (0x10 * (i + 1) + j);
        }
        return 0;
}

static int fake_bnxt_kernel(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out,
                            size_t out_len, size_t *ret_out_len) {
        FakeBnxt *k = userdata;
        const uint8_t *req = in;
        const BnxtCommand *c;
        uint16_t resp_len;
        uint8_t resp[8 + sizeof(k->body)];
        int r;

        k->n++;
        k->scope = scope;
        k->in_len = in_len;
        k->out_len = out_len;
        memcpy(k->in, in, in_len < sizeof(k->in) ? in_len : sizeof(k->in));
        if (k->fail)
                return -k->fail;
        if (in_len < HWRM_REQ_HDR_LEN || in_len > HWRM_REQ_MAX_LEN || out_len < HWRM_RESP_HDR_LEN)
                return -EINVAL;
        c = bnxt_command_find(bnxt_le16(req));
        if (c && c->dma) {
                r = fake_dma(k, c, req, in_len);
                if (r < 0)
                        return r;
        }
        if (!c || scope < c->min_scope)
                return -EPERM;
        resp_len = k->resp_len ? k->resp_len : 16;
        memset(resp, 0, sizeof(resp));
        memcpy(resp + 8, k->body, sizeof(k->body));
        bnxt_put_le16(resp, k->error_code);
        bnxt_put_le16(resp + 2, bnxt_le16(req));
        bnxt_put_le16(resp + 6, resp_len);
        memset(out, 0, out_len);
        memcpy(out, resp, resp_len < out_len ? resp_len : out_len);
        *ret_out_len = out_len;
        return 0;
}

typedef struct BnxtFixture {
        FakeBnxt k;
        fwctld_device *d;
        const fwctld_plugin *p;
} BnxtFixture;

static int bnxt_setup(void **state) {
        BnxtFixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->p = FWCTLD_PLUGIN_ENTRY();
        f->d = test_device_new(f->p, BNXT_DEVICE_TYPE);
        test_daemon_set_kernel(fake_bnxt_kernel, &f->k);
        test_rpc_log_reset();
        *state = f;
        return 0;
}

static int bnxt_teardown(void **state) {
        BnxtFixture *f = *state;

        test_daemon_set_kernel(NULL, NULL);
        test_device_free(f->d);
        free(f);
        return 0;
}

static void test_plugin_descriptor(void **state) {
        BnxtFixture *f = *state;

        assert_int_equal(f->p->abi_version, 2);
        assert_int_equal(f->p->size, sizeof(fwctld_plugin));
        assert_string_equal(f->p->name, "bnxt");
        assert_int_equal(f->p->n_operations, 5);
        /* Every operation names the RPC it issues, as classify() names it. */
        assert_string_equal(f->p->operations[0].rpc_operations, "VER_GET");
        assert_string_equal(f->p->operations[1].rpc_operations, "FUNC_QCAPS");
        assert_string_equal(f->p->operations[2].rpc_operations, "TEMP_MONITOR_QUERY");
        assert_string_equal(f->p->operations[3].rpc_operations, "NVM_GET_DEV_INFO");
        assert_string_equal(f->p->operations[4].rpc_operations, "NVM_READ");
}

static void test_plugin_classify_v2(void **state) {
        BnxtFixture *f = *state;
        fwctld_classification cls;
        uint8_t r[HWRM_REQ_MAX_LEN];
        char *reason = NULL;

        req16(r, 0x0000);
        memset(&cls, 0xaa, sizeof(cls));
        assert_int_equal(f->p->classify(f->d, r, 24, 3, &cls, &reason), 0);
        assert_int_equal(cls.min_scope, 1);
        assert_true(cls.scope_exact);
        assert_int_equal(cls.kernel_out_min, 8);
        assert_false(cls.configuration_write);
        assert_string_equal(cls.operation, "VER_GET");

        req16(r, 0x00c0); /* FW_RESET: configuration, a write */
        assert_int_equal(f->p->classify(f->d, r, 24, 0, &cls, &reason), 0);
        assert_int_equal(cls.min_scope, 0);
        assert_true(cls.scope_exact);
        assert_true(cls.configuration_write);
        assert_string_equal(cls.operation, "FW_RESET");

        req16(r, 0xff30); /* DBG_TOKEN_CFG: refused before any ioctl */
        assert_int_equal(f->p->classify(f->d, r, 32, 3, &cls, &reason), -EOPNOTSUPP);
        assert_non_null(strstr(reason, "DBG_TOKEN_CFG"));
        assert_non_null(strstr(reason, "hwrm_dbg_token_cfg_input"));
        free(reason);
}

/* A debug-write-full caller's VER_GET runs at debug-read-only: no needless taint. */
static void test_rpc_issued_scope(void **state) {
        BnxtFixture *f = *state;
        uint8_t r[HWRM_REQ_MAX_LEN];
        fwctld_rpc *c;

        bnxt_build_ver_get(r);
        c = test_rpc_new(r, 24, FWCTLD_SCOPE_DEBUG_WRITE_FULL, 4096);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(f->k.scope, FWCTLD_SCOPE_DEBUG_READ_ONLY);
        assert_int_equal(c->issued_scope, FWCTLD_SCOPE_DEBUG_READ_ONLY);
        assert_int_equal(f->k.out_len, HWRM_RESP_BUF_LEN);
        assert_int_equal(c->reply_size, 16);
        assert_false(c->truncated);
        test_rpc_free(c);

        /* Too low: no ioctl at all. */
        c = test_rpc_new(r, 24, FWCTLD_SCOPE_CONFIGURATION, 4096);
        assert_int_equal(test_rpc_run(f->d, c, NULL), -EACCES);
        assert_int_equal(f->k.n, 1);
        test_rpc_free(c);
}

/* max_response below the 8-byte header no longer fails: the kernel still gets its buffer. */
static void test_rpc_small_max_response(void **state) {
        BnxtFixture *f = *state;
        uint8_t r[HWRM_REQ_MAX_LEN];
        fwctld_rpc *c;

        bnxt_build_ver_get(r);
        f->k.resp_len = 104;
        c = test_rpc_new(r, 24, FWCTLD_SCOPE_DEBUG_READ_ONLY, 4);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(f->k.out_len, HWRM_RESP_BUF_LEN);
        assert_int_equal(c->reply_size, 4);
        assert_int_equal(c->reply_length, 104);
        assert_true(c->truncated);
        assert_memory_equal(c->reply, "\x00\x00\x00\x00", 4);
        assert_true(c->status_set);
        assert_int_equal(c->status, 0);
        test_rpc_free(c);
}

/* Two read buffers: each the kernel's maximum, the reply holding only what the lengths said. */
static void test_rpc_dma_read_buffers(void **state) {
        /* PORT_QSTATS_EXT port 0, tx_stat_size 4, rx_stat_size 3. */
        static const uint8_t qext[40] = { 0xb4, 0x00, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0x00, 0x00, 0x04, 0x00, 0x03, 0x00 };
        static const uint8_t want[16 + 4 + 3] = { 0x00, 0x00, 0xb4, 0x00, 0x00, 0x00, 0x10, 0x00,
                                                  0,    0,    0,    0,    0,    0,    0,    0,
                                                  0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22 };
        BnxtFixture *f = *state;
        uint8_t sent[40];
        fwctld_rpc *c;

        c = test_rpc_new(qext, sizeof(qext), FWCTLD_SCOPE_DEBUG_READ_ONLY, 4096);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(f->k.in_len, 40);
        /* The daemon's own addresses, two different buffers; everything else as sent. */
        assert_true(f->k.addr[0] != 0 && f->k.addr[1] != 0 && f->k.addr[0] != f->k.addr[1]);
        memcpy(sent, f->k.in, 40);
        memset(sent + 24, 0, 16);
        assert_memory_equal(sent, qext, 40);
        assert_int_equal(c->reply_size, sizeof(want));
        assert_memory_equal(c->reply, want, sizeof(want));
        assert_int_equal(c->reply_length, sizeof(want));
        test_rpc_free(c);

        /* A small max_response trims the same reply and says so. */
        c = test_rpc_new(qext, sizeof(qext), FWCTLD_SCOPE_DEBUG_READ_ONLY, 18);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(c->reply_size, 18);
        assert_int_equal(c->reply_length, sizeof(want));
        assert_true(c->truncated);
        assert_memory_equal(c->reply, want, 18);
        test_rpc_free(c);
}

/* A write buffer: its contents from the envelope, in a buffer of the kernel's maximum. */
static void test_rpc_dma_write_buffer(void **state) {
        BnxtFixture *f = *state;
        uint8_t nvw[60] = { 0xfe, 0xff, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff };
        fwctld_rpc *c;

        nvw[24] = 0x0e;
        nvw[32] = 4;
        memcpy(nvw + 56, "\x01\x02\x03\x04", 4);
        c = test_rpc_new(nvw, sizeof(nvw), FWCTLD_SCOPE_DEBUG_WRITE_FULL, 64);
        assert_int_equal(test_rpc_run(f->d, c, NULL), 0);
        assert_int_equal(c->cls.min_scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_true(c->cls.configuration_write);
        assert_int_equal(f->k.scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_int_equal(f->k.in_len, 56);
        assert_memory_equal(f->k.to_data[0], "\x01\x02\x03\x04", 4);
        assert_int_equal(c->reply_size, 16);
        test_rpc_free(c);
}

/* Unverified layouts never reach the kernel, at any scope. */
static void test_rpc_unverified_no_ioctl(void **state) {
        BnxtFixture *f = *state;
        uint8_t r[HWRM_REQ_MAX_LEN];
        char *reason = NULL;
        fwctld_rpc *c;

        for (size_t i = 0; i < sizeof(unverified_cmds) / sizeof(unverified_cmds[0]); i++) {
                req16(r, unverified_cmds[i].type);
                c = test_rpc_new(r, 88, FWCTLD_SCOPE_DEBUG_WRITE_FULL, 4096);
                assert_int_equal(test_rpc_run(f->d, c, &reason), -EOPNOTSUPP);
                assert_non_null(strstr(reason, "not verified"));
                free(reason);
                reason = NULL;
                test_rpc_free(c);
        }
        assert_int_equal(f->k.n, 0);
}

static json_object *parse_json(const char *s) {
        json_object *o = json_tokener_parse(s);

        if (!o)
                fail_msg("not JSON: %s", s);
        return o;
}

/* nvm-read sends the pointer-free envelope, byte for byte, and reads the data after the response. */
static void test_execute_nvm_read(void **state) {
        static const uint8_t want[40] = { 0xfd, 0xff, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0,    0,    0,    0,    0,    0,    0,    0,    0x02, 0x00, 0, 0,
                                          0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
        BnxtFixture *f = *state;
        fwctld_classification cls;
        char *json = NULL, *reason = NULL;

        assert_int_equal(test_execute(f->d, &f->p->operations[4], "{\"dir_idx\":2,\"offset\":16,\"length\":8}", &cls,
                                      &json, &reason), 0);
        assert_null(reason);
        assert_string_equal(cls.operation, "NVM_READ");
        assert_int_equal(test_rpc_log.n_calls, 1);
        assert_int_equal(test_rpc_log.request_size, 40);
        assert_memory_equal(test_rpc_log.request, want, 40); /* no address in what the plugin sent */
        assert_string_equal(test_rpc_log.operation, "NVM_READ");
        assert_int_equal(test_rpc_log.issued_scope, FWCTLD_SCOPE_DEBUG_READ_ONLY);
        assert_true(f->k.addr[0] != 0); /* the daemon's buffer reached the kernel */
        assert_string_equal(json, "{\"status\":0,\"status_name\":\"SUCCESS\",\"response_length\":16,\"dir_idx\":2,"
                                  "\"offset\":16,\"length\":8,\"data\":\"1011121314151617\"}");
        free(json);
}

static void test_execute_ver_get(void **state) {
        BnxtFixture *f = *state;
        char *json = NULL, *reason = NULL;
        json_object *o, *v;

        f->k.resp_len = 40;
        f->k.body[0] = 1, f->k.body[1] = 10, f->k.body[2] = 3;
        assert_int_equal(test_execute(f->d, &f->p->operations[0], "{}", NULL, &json, &reason), 0);
        assert_string_equal(test_rpc_log.operation, "VER_GET");
        assert_int_equal(test_rpc_log.request_size, 24);
        o = parse_json(json);
        assert_true(json_object_object_get_ex(o, "hwrm_interface_version", &v));
        assert_string_equal(json_object_get_string(v), "1.10.3");
        assert_true(json_object_object_get_ex(o, "response_length", &v));
        assert_int_equal(json_object_get_int(v), 40);
        json_object_put(o);
        free(json);
}

/* Every operation issues exactly the name it declares (the daemon would refuse any other). */
static void test_execute_names(void **state) {
        static const char *const params[] = { "{}", "{\"fid\":1}", "{}", "{}",
                                              "{\"dir_idx\":1,\"offset\":0,\"length\":1}" };
        BnxtFixture *f = *state;

        for (size_t i = 0; i < f->p->n_operations; i++) {
                char *json = NULL, *reason = NULL;

                f->k.resp_len = 16;
                assert_int_equal(test_execute(f->d, &f->p->operations[i], params[i], NULL, &json, &reason), 0);
                assert_false(f->d->refused);
                assert_string_equal(test_rpc_log.operation, f->p->operations[i].rpc_operations);
                assert_non_null(json);
                free(json);
                free(reason);
        }
}

static void test_execute_errors(void **state) {
        BnxtFixture *f = *state;
        char *json = NULL, *reason = NULL;

        f->k.fail = EIO;
        assert_int_equal(test_execute(f->d, &f->p->operations[0], "{}", NULL, &json, &reason), -EIO);
        assert_null(json);
        f->k.fail = 0;
        assert_int_equal(test_execute(f->d, &f->p->operations[4], "{\"dir_idx\":1}", NULL, &json, &reason), -EINVAL);
        assert_non_null(strstr(reason, "'offset'"));
        free(reason);
        assert_int_equal(f->k.n, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_allowlist),       cmocka_unit_test(test_names_and_writes),
                cmocka_unit_test(test_sizes_and_unknown), cmocka_unit_test(test_nvm_read_envelope),
                cmocka_unit_test(test_unverified_refused), cmocka_unit_test(test_parse_response),
                cmocka_unit_test(test_error_names),     cmocka_unit_test(test_info_json),
                cmocka_unit_test(test_builders),        cmocka_unit_test(test_ver_get_json),
                cmocka_unit_test(test_other_json),      cmocka_unit_test(test_params),
                cmocka_unit_test(test_dma_table_pinned), cmocka_unit_test(test_dma_length_rules),
                cmocka_unit_test(test_dma_unit_overflow), cmocka_unit_test(test_dma_envelopes),
                cmocka_unit_test_setup_teardown(test_plugin_descriptor, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_plugin_classify_v2, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_issued_scope, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_small_max_response, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_dma_read_buffers, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_dma_write_buffer, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_rpc_unverified_no_ioctl, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_execute_nvm_read, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_execute_ver_get, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_execute_names, bnxt_setup, bnxt_teardown),
                cmocka_unit_test_setup_teardown(test_execute_errors, bnxt_setup, bnxt_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
