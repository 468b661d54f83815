/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The only place fwctld issues fwctl ioctls. Both calls block: worker threads only. */

/* FWCTL_INFO with a non-empty buffer, retried once the kernel tells the real length. */
int fwctl_ioctl_info(int fd, uint32_t *ret_type, void **ret_data, size_t *ret_size);

/* FWCTL_RPC; *ret_out_len is what the kernel wrote back (may exceed out_len). */
int fwctl_ioctl_rpc(int fd, uint32_t scope, const void *in, size_t in_len, void *out,
                    size_t out_len, size_t *ret_out_len);
