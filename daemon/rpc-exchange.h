/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memfd-stock.h"
#include "types.h"

/* One exchange with the kernel: the buffers it sees and the response the caller gets. */

typedef struct RpcBuffer RpcBuffer;

/* The plugin ABI's view of one RPC: what the plugin's marshal()/decode() read and write. */
struct fwctld_rpc {
        uint32_t scope; /* authorised */
        const void *request;
        size_t request_size;
        size_t max_response;

        RpcBuffer *buffers; /* fwctld_rpc_alloc() */
        void *kin;
        size_t kin_len;
        void *kout;
        size_t kout_len;
        size_t reported_len; /* the kernel's out_len */

        void *response;
        size_t response_size;
        bool response_set;
        bool response_borrowed; /* the head of kout: not ours to free */
        size_t response_length;
        bool response_length_set;
        uint32_t status;
        char *status_name;
        bool status_set;

        /* RpcFd: the response goes to a memfd of ours (memfd is valid while memfd_open; a zeroed
         * exchange has none), sealed once it holds exactly the response. */
        bool memfd_open;
        int memfd;
        size_t memfd_allocated; /* from the stock: its size before the response */
        bool memfd_sealed;
};


void rpc_exchange_init(RpcExchange *x, uint32_t scope, const void *request, size_t request_size, size_t max_response);
void rpc_exchange_done(RpcExchange *x);

/* Zeroed memory that lives as long as the exchange; NULL over 2 MiB or on ENOMEM. */
void *rpc_exchange_alloc(RpcExchange *x, size_t size);
bool rpc_exchange_owns(const RpcExchange *x, const void *p, size_t len);

/* RpcFd, before the buffers: the response goes to a new memfd, from the stock if it has one
 * (NULL: none). */
int rpc_exchange_open_memfd(RpcExchange *x, MemfdStock *stock);

/* No marshal(): the request as it is, and an out buffer of what the driver writes
 * (kernel_out_min) when that is more than the caller asked for: drivers trust out_len. */
int rpc_exchange_default_buffers(RpcExchange *x, size_t kernel_out_min);
/* Copies, trimmed to max_response. */
int rpc_exchange_set_response(RpcExchange *x, const void *data, size_t size);
/* Without decode(): the kernel's out buffer up to what it reported, trimmed; not copied. */
int rpc_exchange_default_response(RpcExchange *x);
/* RpcFd, after the response: the memfd holds exactly it, sealed. */
int rpc_exchange_seal_memfd(RpcExchange *x);
