/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <fwctld/fwctl-uapi.h>

#include "fwctl-ioctl.h"
#include "scope.h"
#include "util.h"

/* Drivers' info blobs are a few bytes; anything beyond this is not an info blob. */
#define INFO_SIZE_INITIAL 256u
#define INFO_SIZE_MAX (64u * 1024u)

int fwctl_ioctl_info(int fd, uint32_t *ret_type, void **ret_data, size_t *ret_size) {
        size_t size = INFO_SIZE_INITIAL;

        if (fd < 0 || !ret_type || !ret_data || !ret_size)
                return -EINVAL;

        /* A zero-length probe always reads back 0, so pass a buffer and grow it once. */
        for (unsigned attempt = 0; attempt < 3; attempt++) {
                _cleanup_(freep) void *buf = calloc(1, size);
                struct fwctl_info info = {
                        .size = sizeof(info),
                        .device_data_len = (uint32_t) size,
                };

                if (!buf)
                        return -ENOMEM;
                info.out_device_data = (uint64_t) (uintptr_t) buf;

                if (ioctl(fd, FWCTL_INFO, &info) < 0)
                        return -errno;

                if (info.device_data_len <= size) {
                        *ret_type = info.out_device_type;
                        *ret_size = info.device_data_len;
                        *ret_data = TAKE_PTR(buf);
                        return 0;
                }
                if (info.device_data_len > INFO_SIZE_MAX)
                        return -EOVERFLOW;
                size = info.device_data_len;
        }
        return -EAGAIN;
}

int fwctl_ioctl_rpc(int fd, uint32_t scope, const void *in, size_t in_len, void *out,
                    size_t out_len, size_t *ret_out_len) {
        struct fwctl_rpc rpc = {
                .size = sizeof(rpc),
                .scope = scope,
                .in_len = (uint32_t) in_len,
                .out_len = (uint32_t) out_len,
                .in = (uint64_t) (uintptr_t) in,
                .out = (uint64_t) (uintptr_t) out,
        };

        if (fd < 0 || !ret_out_len)
                return -EINVAL;
        /* The kernel would say EMSGSIZE; never let a size wrap on the way there. */
        if (in_len > FWCTLD_MAX_RPC_LEN || out_len > FWCTLD_MAX_RPC_LEN)
                return -EMSGSIZE;
        if (!scope_is_valid(scope))
                return -EOPNOTSUPP;

        if (ioctl(fd, FWCTL_RPC, &rpc) < 0)
                return -errno;

        *ret_out_len = rpc.out_len;
        return 0;
}
