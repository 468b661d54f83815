/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kernel's fwctl uAPI, as fwctld relies on it.
 *
 * The system header <fwctl/fwctl.h> is used when it exists (linux-libc-dev >= 6.15);
 * Debian 12 has none, so the layout is defined here from the documented uAPI. Either
 * way every size and offset fwctld depends on is pinned below, so a header that
 * disagrees with the ABI fails the build instead of corrupting ioctls.
 */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#if defined(__has_include) && __has_include(<fwctl/fwctl.h>) && !defined(FWCTLD_OWN_UAPI)
#include <fwctl/fwctl.h>
#define FWCTLD_HAVE_SYSTEM_UAPI 1
#else
#define FWCTLD_HAVE_SYSTEM_UAPI 0

#define FWCTL_TYPE 0x9A

enum {
        FWCTL_CMD_BASE = 0,
        FWCTL_CMD_INFO = 0,
        FWCTL_CMD_RPC = 1,
};

enum fwctl_device_type {
        FWCTL_DEVICE_TYPE_ERROR = 0,
        FWCTL_DEVICE_TYPE_MLX5 = 1,
        FWCTL_DEVICE_TYPE_CXL = 2,
        FWCTL_DEVICE_TYPE_PDS = 4,
};

struct fwctl_info {
        uint32_t size;
        uint32_t flags;
        uint32_t out_device_type;
        uint32_t device_data_len;
        uint64_t out_device_data __attribute__((aligned(8)));
};

enum fwctl_rpc_scope {
        FWCTL_RPC_CONFIGURATION = 0,
        FWCTL_RPC_DEBUG_READ_ONLY = 1,
        FWCTL_RPC_DEBUG_WRITE = 2,
        FWCTL_RPC_DEBUG_WRITE_FULL = 3,
};

struct fwctl_rpc {
        uint32_t size;
        uint32_t scope;
        uint32_t in_len;
        uint32_t out_len;
        uint64_t in __attribute__((aligned(8)));
        uint64_t out __attribute__((aligned(8)));
};

#define FWCTL_INFO _IO(FWCTL_TYPE, FWCTL_CMD_INFO)
#define FWCTL_RPC _IO(FWCTL_TYPE, FWCTL_CMD_RPC)
#endif

/* BNXT arrived after the first released header; it is a fixed number, not an enum guess. */
#define FWCTLD_DEVICE_TYPE_BNXT 3u

/* Kernel limits and taint facts (drivers/fwctl/main.c). */
#define FWCTLD_MAX_RPC_LEN (2u * 1024u * 1024u)
#define FWCTLD_INFO_MIN_SIZE 24u
#define FWCTLD_RPC_MIN_SIZE 32u
#define FWCTLD_TAINT_FWCTL_BIT 19u
#define FWCTLD_TAINT_FWCTL_MASK (1ull << FWCTLD_TAINT_FWCTL_BIT)

static_assert(FWCTL_INFO == 0x9A00, "FWCTL_INFO is _IO(0x9A, 0)");
static_assert(FWCTL_RPC == 0x9A01, "FWCTL_RPC is _IO(0x9A, 1)");

static_assert(FWCTL_DEVICE_TYPE_ERROR == 0, "device type ERROR");
static_assert(FWCTL_DEVICE_TYPE_MLX5 == 1, "device type MLX5");
static_assert(FWCTL_DEVICE_TYPE_CXL == 2, "device type CXL");
static_assert(FWCTL_DEVICE_TYPE_PDS == 4, "device type PDS");

static_assert(FWCTL_RPC_CONFIGURATION == 0, "scope CONFIGURATION");
static_assert(FWCTL_RPC_DEBUG_READ_ONLY == 1, "scope DEBUG_READ_ONLY");
static_assert(FWCTL_RPC_DEBUG_WRITE == 2, "scope DEBUG_WRITE");
static_assert(FWCTL_RPC_DEBUG_WRITE_FULL == 3, "scope DEBUG_WRITE_FULL");

static_assert(sizeof(struct fwctl_info) == 24, "struct fwctl_info is 24 bytes");
static_assert(_Alignof(struct fwctl_info) == 8, "struct fwctl_info is 8-aligned");
static_assert(offsetof(struct fwctl_info, size) == 0, "fwctl_info.size");
static_assert(offsetof(struct fwctl_info, flags) == 4, "fwctl_info.flags");
static_assert(offsetof(struct fwctl_info, out_device_type) == 8, "fwctl_info.out_device_type");
static_assert(offsetof(struct fwctl_info, device_data_len) == 12, "fwctl_info.device_data_len");
static_assert(offsetof(struct fwctl_info, out_device_data) == 16, "fwctl_info.out_device_data");

static_assert(sizeof(struct fwctl_rpc) == 32, "struct fwctl_rpc is 32 bytes");
static_assert(_Alignof(struct fwctl_rpc) == 8, "struct fwctl_rpc is 8-aligned");
static_assert(offsetof(struct fwctl_rpc, size) == 0, "fwctl_rpc.size");
static_assert(offsetof(struct fwctl_rpc, scope) == 4, "fwctl_rpc.scope");
static_assert(offsetof(struct fwctl_rpc, in_len) == 8, "fwctl_rpc.in_len");
static_assert(offsetof(struct fwctl_rpc, out_len) == 12, "fwctl_rpc.out_len");
static_assert(offsetof(struct fwctl_rpc, in) == 16, "fwctl_rpc.in");
static_assert(offsetof(struct fwctl_rpc, out) == 24, "fwctl_rpc.out");
