/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include <fwctld/fwctl-uapi.h>

#include "memfd-stock.h"
#include "util.h"

/*
 * The stock of RpcFd response memfds: what is taken is a memfd nobody has seen, either new
 * and empty or allocated ahead and reading as zeroes; never one given out before.
 */

static unsigned count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        unsigned n = 0;

        assert_non_null(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* A memfd for a response: sealable, no seals yet, close-on-exec, at offset 0. */
static void assert_fresh_memfd(int fd, size_t size) {
        struct stat st;

        assert_true(fd >= 0);
        assert_int_equal(fcntl(fd, F_GET_SEALS), 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_size, size);
        assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
}

static MemfdStock *stock_new(void) {
        MemfdStock *s = NULL;

        assert_int_equal(memfd_stock_new(&s), 0);
        return s;
}

static void test_take_empty(void **state) {
        MemfdStock *s = stock_new();
        size_t size = 1;
        int fd = -1;

        assert_int_equal(memfd_stock_take(s, &fd, &size), 0);
        assert_int_equal(size, 0);
        assert_fresh_memfd(fd, 0);
        safe_close(fd);
        /* No stock at all: a new memfd too. */
        size = 1;
        assert_int_equal(memfd_stock_take(NULL, &fd, &size), 0);
        assert_int_equal(size, 0);
        assert_fresh_memfd(fd, 0);
        safe_close(fd);
        memfd_stock_free(s);
}

/* Small responses are not worth pages kept ready; nothing over what an RPC may carry. */
static void test_want_range(void **state) {
        MemfdStock *s = stock_new();
        size_t size = 1;
        int fd = -1;

        assert_int_equal(memfd_stock_want(s, MEMFD_STOCK_MIN_SIZE - 1), -ENOBUFS);
        assert_int_equal(memfd_stock_want(s, FWCTLD_MAX_RPC_LEN + 1), -ENOBUFS);
        assert_int_equal(memfd_stock_want(s, 0), -ENOBUFS);
        /* Nothing wanted: a refill makes nothing. */
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(memfd_stock_take(s, &fd, &size), 0);
        assert_int_equal(size, 0);
        safe_close(fd);
        assert_int_equal(memfd_stock_want(s, MEMFD_STOCK_MIN_SIZE), 0);
        assert_int_equal(memfd_stock_want(s, FWCTLD_MAX_RPC_LEN), 0);
        memfd_stock_free(s);
}

/* Refilled: the pages are allocated, read as zeroes, and the memfd is handed out once. */
static void test_refill_take_once(void **state) {
        MemfdStock *s = stock_new();
        size_t size = 0, want = FWCTLD_MAX_RPC_LEN;
        uint8_t *buf;
        struct stat st;
        int fd = -1, fd2 = -1;

        assert_int_equal(memfd_stock_want(s, want), 0);
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(memfd_stock_take(s, &fd, &size), 0);
        assert_int_equal(size, want);
        assert_fresh_memfd(fd, want);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true((uint64_t) st.st_blocks * 512u >= want);
        buf = malloc(want);
        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, want, 0), want);
        for (size_t i = 0; i < want; i++)
                if (buf[i] != 0)
                        fail_msg("byte %zu of a stocked memfd is %u", i, buf[i]);
        free(buf);

        /* Taken: the next one is new, and not the same file. */
        assert_int_equal(memfd_stock_take(s, &fd2, &size), 0);
        assert_int_equal(size, 0);
        assert_fresh_memfd(fd2, 0);
        struct stat st2;
        assert_int_equal(fstat(fd2, &st2), 0);
        assert_true(st.st_ino != st2.st_ino);
        safe_close(fd);
        safe_close(fd2);
        memfd_stock_free(s);
}

/* One at most: a refill with one stocked keeps it, at its size. */
static void test_refill_keeps_one(void **state) {
        MemfdStock *s = stock_new();
        unsigned before = count_fds();
        size_t size = 0;
        int fd = -1;

        assert_int_equal(memfd_stock_want(s, 128 * 1024), 0);
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(count_fds(), before + 1);
        assert_int_equal(memfd_stock_want(s, 256 * 1024), 0);
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(count_fds(), before + 1);
        assert_int_equal(memfd_stock_take(s, &fd, &size), 0);
        assert_int_equal(size, 128 * 1024);
        safe_close(fd);
        /* The next refill is at the size wanted last. */
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(memfd_stock_take(s, &fd, &size), 0);
        assert_int_equal(size, 256 * 1024);
        assert_fresh_memfd(fd, 256 * 1024);
        safe_close(fd);
        assert_int_equal(count_fds(), before);
        memfd_stock_free(s);
}

/* Dropped (idle) or freed: the stocked memfd is closed. */
static void test_drop_and_free_close(void **state) {
        MemfdStock *s = stock_new();
        unsigned before = count_fds();
        size_t size = 1;
        int fd = -1;

        assert_int_equal(memfd_stock_want(s, MEMFD_STOCK_MIN_SIZE), 0);
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(count_fds(), before + 1);
        memfd_stock_drop(s);
        assert_int_equal(count_fds(), before);
        assert_int_equal(memfd_stock_take(s, &fd, &size), 0);
        assert_int_equal(size, 0);
        safe_close(fd);
        memfd_stock_drop(s); /* nothing stocked: nothing to do */
        assert_int_equal(memfd_stock_refill(s), 0);
        assert_int_equal(count_fds(), before + 1);
        memfd_stock_free(s);
        assert_int_equal(count_fds(), before);
}

/* Pool threads take and refill at once: every memfd taken is whole and used once. */
static void *taker(void *userdata) {
        MemfdStock *s = userdata;

        for (unsigned i = 0; i < 200; i++) {
                size_t size = 1;
                int fd = -1;

                if (memfd_stock_take(s, &fd, &size) < 0)
                        return (void *) 1;
                if ((size != 0 && size != MEMFD_STOCK_MIN_SIZE) || fcntl(fd, F_GET_SEALS) != 0)
                        return (void *) 2;
                /* What a response does to it: then nobody may take it again. */
                if (ftruncate(fd, 1) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                        return (void *) 3;
                safe_close(fd);
                (void) memfd_stock_refill(s);
        }
        return NULL;
}

static void test_threads(void **state) {
        MemfdStock *s = stock_new();
        unsigned before = count_fds();
        pthread_t t[4];
        void *ret;

        assert_int_equal(memfd_stock_want(s, MEMFD_STOCK_MIN_SIZE), 0);
        for (unsigned i = 0; i < 4; i++)
                assert_int_equal(pthread_create(&t[i], NULL, taker, s), 0);
        for (unsigned i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(t[i], &ret), 0);
                assert_null(ret);
        }
        assert_true(count_fds() <= before + 1);
        memfd_stock_free(s);
        assert_int_equal(count_fds(), before);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_take_empty),
                cmocka_unit_test(test_want_range),
                cmocka_unit_test(test_refill_take_once),
                cmocka_unit_test(test_refill_keeps_one),
                cmocka_unit_test(test_drop_and_free_close),
                cmocka_unit_test(test_threads),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
