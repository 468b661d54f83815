/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <sys/mman.h>

#include <fwctld/fwctl-uapi.h>

#include "rpc-exchange.h"
#include "util.h"

struct RpcBuffer {
        RpcBuffer *next;
        size_t size;
        unsigned char data[];
};

void rpc_exchange_init(RpcExchange *x, uint32_t scope, const void *request, size_t request_size, size_t max_response) {
        assert(x);
        x->scope = scope;
        x->request = request;
        x->request_size = request_size;
        x->max_response = max_response;
}

void rpc_exchange_done(RpcExchange *x) {
        assert(x);
        while (x->buffers) {
                RpcBuffer *b = x->buffers;

                x->buffers = b->next;
                free(b);
        }
        if (x->memfd_open)
                (void) safe_close(x->memfd);
        if (!x->response_borrowed)
                free(x->response);
        free(x->status_name);
        *x = (RpcExchange) {};
}

void *rpc_exchange_alloc(RpcExchange *x, size_t size) {
        RpcBuffer *b;

        assert(x);
        if (size > FWCTLD_MAX_RPC_LEN)
                return NULL;
        b = calloc(1, sizeof(RpcBuffer) + MAX(size, (size_t) 1));
        if (!b)
                return NULL;
        b->size = size;
        b->next = x->buffers;
        x->buffers = b;
        return b->data;
}

bool rpc_exchange_owns(const RpcExchange *x, const void *p, size_t len) {
        for (const RpcBuffer *b = x->buffers; b; b = b->next)
                if ((const unsigned char *) p >= b->data && len <= b->size &&
                    (size_t) ((const unsigned char *) p - b->data) <= b->size - len)
                        return true;
        return false;
}

/* Made before anything reaches the device: running out of fds fails the call, not its answer. */
int rpc_exchange_open_memfd(RpcExchange *x, MemfdStock *stock) {
        int r;

        assert(x);
        assert(!x->memfd_open);
        r = memfd_stock_take(stock, &x->memfd, &x->memfd_allocated);
        if (r < 0)
                return r;
        x->memfd_open = true;
        return 0;
}

int rpc_exchange_default_buffers(RpcExchange *x, size_t kernel_out_min) {
        assert(x);
        x->kin = (void *) x->request;
        x->kin_len = x->request_size;
        x->kout_len = MAX(x->max_response, kernel_out_min);
        /* The kernel wants a buffer even for 0; keep one byte so the pointer is real. */
        x->kout = rpc_exchange_alloc(x, MAX(x->kout_len, (size_t) 1));
        return x->kout ? 0 : -ENOMEM;
}

int rpc_exchange_set_response(RpcExchange *x, const void *data, size_t size) {
        void *copy;

        assert(x);
        size = MIN(size, x->max_response);
        copy = malloc(MAX(size, (size_t) 1));
        if (!copy)
                return -ENOMEM;
        if (size > 0)
                memcpy(copy, data, size);
        if (!x->response_borrowed)
                free(x->response);
        x->response = copy;
        x->response_size = size;
        x->response_set = true;
        x->response_borrowed = false;
        return 0;
}

int rpc_exchange_default_response(RpcExchange *x) {
        assert(x);
        if (!x->response_set) {
                /* The out buffer is the exchange's own (ours or fwctld_rpc_alloc()ed) and lives as
                 * long as the response: no copy. */
                assert(x->kout == NULL || rpc_exchange_owns(x, x->kout, x->kout_len));
                x->response = x->kout;
                x->response_size = MIN(MIN(x->reported_len, x->kout_len), x->max_response);
                x->response_set = true;
                x->response_borrowed = true;
        }
        if (!x->response_length_set) {
                x->response_length = x->reported_len;
                x->response_length_set = true;
        }
        return 0;
}

int rpc_exchange_seal_memfd(RpcExchange *x) {
        const uint8_t *p = x->response;
        size_t done = 0;

        assert(x);
        assert(x->memfd_open && !x->memfd_sealed && x->response_set);
        /* write() fills fresh shmem pages without zeroing them first, which a shared mapping
         * the kernel wrote into would do: cheaper than the copy it saves. A stocked memfd's
         * pages are there already: write() only copies. */
        while (done < x->response_size) {
                ssize_t n = pwrite(x->memfd, p + done, x->response_size - done, (off_t) done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                done += (size_t) n;
        }
        /* A stocked memfd may be larger: it must hold exactly the response. */
        if (x->memfd_allocated > x->response_size && ftruncate(x->memfd, (off_t) x->response_size) < 0)
                return -errno;
        if (fcntl(x->memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        /* pwrite() left the offset at 0, where the caller reads from. */
        x->memfd_sealed = true;
        return 0;
}
