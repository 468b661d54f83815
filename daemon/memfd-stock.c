/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <fwctld/fwctl-uapi.h>

#include "memfd-stock.h"
#include "util.h"

struct MemfdStock {
        pthread_mutex_t lock;
        int fd; /* -EBADF: none */
        size_t size;
        size_t wanted;
};

int memfd_stock_new(MemfdStock **ret) {
        MemfdStock *s;

        assert(ret);
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        s->fd = -EBADF;
        *ret = s;
        return 0;
}

MemfdStock *memfd_stock_free(MemfdStock *s) {
        if (!s)
                return NULL;
        (void) safe_close(s->fd);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
}

static int memfd_response_new(void) {
        int fd = memfd_create("fwctl-response", MFD_CLOEXEC | MFD_ALLOW_SEALING);

        return fd < 0 ? -errno : fd;
}

int memfd_stock_take(MemfdStock *s, int *ret_fd, size_t *ret_size) {
        int fd = -EBADF;
        size_t size = 0;

        assert(ret_fd);
        assert(ret_size);
        if (s) {
                pthread_mutex_lock(&s->lock);
                fd = TAKE_FD(s->fd);
                size = s->size;
                s->size = 0;
                pthread_mutex_unlock(&s->lock);
        }
        if (fd < 0) {
                fd = memfd_response_new();
                if (fd < 0)
                        return fd;
                size = 0;
        }
        *ret_fd = fd;
        *ret_size = size;
        return 0;
}

int memfd_stock_want(MemfdStock *s, size_t size) {
        assert(s);
        if (size < MEMFD_STOCK_MIN_SIZE || size > FWCTLD_MAX_RPC_LEN)
                return -ENOBUFS;
        pthread_mutex_lock(&s->lock);
        s->wanted = size;
        pthread_mutex_unlock(&s->lock);
        return 0;
}

int memfd_stock_refill(MemfdStock *s) {
        _cleanup_(closep) int fd = -EBADF;
        size_t size;

        assert(s);
        pthread_mutex_lock(&s->lock);
        size = s->fd < 0 ? s->wanted : 0;
        pthread_mutex_unlock(&s->lock);
        if (size == 0)
                return 0;

        fd = memfd_response_new();
        if (fd < 0)
                return fd;
        /* Allocates the pages without writing them: the response's write only copies. */
        if (fallocate(fd, 0, 0, (off_t) size) < 0)
                return -errno;

        pthread_mutex_lock(&s->lock);
        if (s->fd < 0) {
                s->fd = TAKE_FD(fd);
                s->size = size;
        }
        pthread_mutex_unlock(&s->lock);
        return 0;
}

void memfd_stock_drop(MemfdStock *s) {
        int fd;

        assert(s);
        pthread_mutex_lock(&s->lock);
        fd = TAKE_FD(s->fd);
        s->size = 0;
        pthread_mutex_unlock(&s->lock);
        (void) safe_close(fd);
}
