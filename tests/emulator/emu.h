/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * fwctl-emu: a umockdev testbed that answers fwctl ioctls the way the mainline
 * kernel core (drivers/fwctl/main.c) and its drivers do, so fwctld can be tested
 * on machines without fwctl hardware.
 */

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <umockdev.h>

#include <fwctld/fwctl-uapi.h>

/* One emulated fwctl driver (kernel-fwctl.md §3) plus how its sysfs tree looks. */
struct emu_dev;
struct emu_rpc;

struct emu_driver {
        const char *type;          /* control-protocol name: mlx5, cxl, bnxt, pds, sample */
        uint32_t fwctl_type;       /* enum fwctl_device_type */
        const char *pci_vendor, *pci_device, *pci_class, *pci_driver;
        const char *aux_prefix;    /* e.g. "mlx5_core.fwctl"; NULL: CXL memdev parent */
        const char *aux_driver;
        void (*setup)(struct emu_dev *dev);
        void (*teardown)(struct emu_dev *dev);
        /* NULL: no info op (the core then returns length 0, as for CXL). */
        uint8_t *(*info)(struct emu_dev *dev, UMockdevIoctlClient *client, size_t *len);
        /* Returns 0 or a positive errno; on success sets rpc->out / rpc->out_len. */
        int (*rpc)(struct emu_rpc *rpc);
};

struct emu_dev {
        gint refcount;
        const struct emu_driver *drv;
        unsigned int num;          /* N of fwctlN */
        unsigned int sub_id;       /* K of <aux>.K, or M of memM */
        char name[32];
        char pci[64];
        char *pci_syspath, *mid_syspath, *fwctl_syspath;
        char *node_file;           /* the node file inside the testbed root */
        char *devnode;             /* /dev/fwctl/fwctlN */
        UMockdevIoctlBase *handler;

        /* Guarded by emu_lock: touched by the control thread and the ioctl worker. */
        bool registered;           /* false once "remove" started: ioctls get ENODEV */
        bool removed;              /* sysfs gone; the number stays taken while fds are open */
        unsigned int inflight;
        unsigned int open_fds;
        uint64_t n_info, n_rpc;
        bool have_last;
        uint32_t last_scope, last_in_len, last_out_len;
        unsigned int delay_ms;
        /* Firmware fault to inject, set by "fault NAME WORD" ("" = none); each driver
         * documents the words it understands (e.g. "short-reply"). Never a kernel feature:
         * it makes the emulated firmware misbehave so plugins' bounds checks get tested. */
        char fault[32];

        /* Only used from the ioctl worker thread. */
        uint32_t next_uid;
        void *drv_state;
};

/* An RPC as the driver sees it after the core did its checks. */
struct emu_rpc {
        struct emu_dev *dev;
        UMockdevIoctlClient *client;
        uint32_t scope;
        uint8_t *in;               /* the "kernel" copy of the input: exactly in_len bytes, as
                                    * the core's kvzalloc(in_len); NULL when in_len is 0 */
        size_t in_len;             /* length the caller passed */
        UMockdevIoctlData *in_data; /* caller's input buffer: for embedded user pointers */
        size_t user_out_len;       /* out_len the caller passed */
        uint8_t *out;              /* driver response (g_malloc'd) */
        size_t out_len;            /* length the driver reports (written back) */
};

extern GMutex emu_lock;

/* Copy of dev->fault taken under emu_lock (for driver rpc handlers). */
void emu_dev_get_fault(struct emu_dev *dev, char *buf, size_t size);
extern GPid emu_command_pid;
extern const char *emu_taint_file;

extern const struct emu_driver emu_mlx5_driver;
extern const struct emu_driver emu_bnxt_driver;
extern const struct emu_driver emu_cxl_driver;
extern const struct emu_driver emu_pds_driver;
extern const struct emu_driver emu_sample_driver;

/* emu-core.c */
UMockdevIoctlBase *emu_core_new_handler(struct emu_dev *dev);
struct emu_dev *emu_dev_ref(struct emu_dev *dev);
void emu_dev_unref(struct emu_dev *dev);
void emu_dev_fds_changed(struct emu_dev *dev);  /* emu-main.c: number may become free */

/* Resolve a user pointer stored at @offset of @parent, @len bytes. NULL: EFAULT. */
UMockdevIoctlData *emu_resolve(UMockdevIoctlData *parent, size_t offset, size_t len);

/*
 * A detected fault: the request makes the mainline driver read or write kernel memory
 * it does not own (heap overflow, over-read, ZERO_SIZE_PTR dereference). Printed to
 * stderr as one "EMULATOR FAULT: ..." line and appended to $FWCTL_EMU_FAULT_LOG, so the
 * test that sent it fails. @access is "writes" or "reads", @bytes how far the driver
 * goes; the caller then completes the ioctl as mainline reports it, without touching
 * anything beyond the client's buffers.
 */
void emu_report_fault(const struct emu_dev *dev, uint32_t opcode, size_t in_len, size_t out_len,
                      const char *access, size_t bytes, const char *fmt, ...) G_GNUC_PRINTF(7, 8);

/* A zero-extended copy of the request (at least @need bytes) for a driver that reads
 * fixed fields whatever in_len is; the bytes past in_len are what the emulator uses
 * where the kernel would read someone else's heap. g_free() it. */
uint8_t *emu_rpc_in_view(const struct emu_rpc *r, size_t need);

/* Little/big-endian helpers for firmware formats. */
static inline uint16_t emu_get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t emu_get_le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t emu_get_le64(const uint8_t *p)
{
        return (uint64_t)emu_get_le32(p) | (uint64_t)emu_get_le32(p + 4) << 32;
}
static inline void emu_put_le16(uint8_t *p, uint16_t v) { p[0] = v & 0xff; p[1] = v >> 8; }
static inline void emu_put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t emu_get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void emu_put_be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static inline void emu_put_be32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (24 - 8 * i));
}
