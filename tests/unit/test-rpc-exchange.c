/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fwctld/fwctl-uapi.h>

#include "rpc-exchange.h"
#include "util.h"

/*
 * One exchange's buffers and response, the kernel played by the test: it writes into kout and
 * sets reported_len. The response is the head of kout unless a plugin set its own; RpcFd's
 * memfd holds exactly the response, sealed, whichever way it was made.
 */

#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static const uint8_t request[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* The kernel: writes n bytes of a pattern into the out buffer and reports reported. */
static void kernel_writes(RpcExchange *x, size_t n, size_t reported) {
        uint8_t *out = x->kout;

        assert_true(n <= x->kout_len);
        for (size_t i = 0; i < n; i++)
                out[i] = (uint8_t) (i * 7 + 3);
        x->reported_len = reported;
}

/* The sealed memfd holds exactly size bytes of the kernel's pattern, from offset 0. */
static void assert_memfd_holds(const RpcExchange *x, size_t size) {
        struct stat st;
        uint8_t *buf;

        assert_true(x->memfd_sealed);
        assert_int_equal(fcntl(x->memfd, F_GET_SEALS), ALL_SEALS);
        assert_int_equal(fstat(x->memfd, &st), 0);
        assert_int_equal(st.st_size, size);
        assert_int_equal(lseek(x->memfd, 0, SEEK_CUR), 0);
        buf = malloc(size + 1);
        assert_non_null(buf);
        assert_int_equal(pread(x->memfd, buf, size + 1, 0), size);
        for (size_t i = 0; i < size; i++)
                assert_int_equal(buf[i], (uint8_t) (i * 7 + 3));
        free(buf);
}

/* RpcFd with fwctld's own buffers: the memfd first, then the out buffer. */
static void memfd_exchange(RpcExchange *x, size_t max_response, size_t kernel_out_min) {
        rpc_exchange_init(x, 0, request, sizeof(request), max_response);
        assert_int_equal(rpc_exchange_open_memfd(x, NULL), 0);
        assert_int_equal(rpc_exchange_default_buffers(x, kernel_out_min), 0);
}

/* After the ioctl (and decode()): the response is size bytes, and the memfd exactly those. */
static void assert_answer(RpcExchange *x, size_t size) {
        assert_int_equal(rpc_exchange_default_response(x), 0);
        assert_int_equal(x->response_size, size);
        assert_int_equal(rpc_exchange_seal_memfd(x), 0);
        assert_memfd_holds(x, size);
}

static void assert_fd_closed(int fd) {
        assert_int_equal(fcntl(fd, F_GETFD), -1);
        assert_int_equal(errno, EBADF);
}

/* Without decode(): the response is the head of the out buffer, not a copy of it. */
static void test_default_response_borrows(void **state) {
        RpcExchange x = {};

        rpc_exchange_init(&x, 0, request, sizeof(request), 16);
        assert_int_equal(rpc_exchange_default_buffers(&x, 64), 0);
        assert_ptr_equal(x.kin, request);
        assert_int_equal(x.kin_len, sizeof(request));
        assert_int_equal(x.kout_len, 64);
        assert_true(rpc_exchange_owns(&x, x.kout, x.kout_len));
        kernel_writes(&x, 64, 64);
        assert_int_equal(rpc_exchange_default_response(&x), 0);
        assert_ptr_equal(x.response, x.kout);
        assert_true(x.response_borrowed);
        assert_int_equal(x.response_size, 16);
        assert_int_equal(x.response_length, 64);
        assert_false(x.memfd_open);
        rpc_exchange_done(&x);
}

/* A response set over a borrowed one is a copy of its own; the out buffer stays the exchange's. */
static void test_set_response_over_borrowed(void **state) {
        RpcExchange x = {};
        uint8_t *kout;

        rpc_exchange_init(&x, 0, request, sizeof(request), 64);
        assert_int_equal(rpc_exchange_default_buffers(&x, 0), 0);
        kernel_writes(&x, 64, 64);
        kout = x.kout;
        assert_int_equal(rpc_exchange_default_response(&x), 0);
        assert_int_equal(rpc_exchange_set_response(&x, kout + 8, 8), 0);
        assert_false(x.response_borrowed);
        assert_ptr_not_equal(x.response, kout);
        assert_memory_equal(x.response, kout + 8, 8);
        rpc_exchange_done(&x);
}

/* The driver writes more than max_response (kernel_out_min): the memfd holds exactly the
 * response, sealed for good, read from 0; the bytes past it never reach it. */
static void test_memfd_holds_exactly_response(void **state) {
        RpcExchange x = {};
        int fd;

        memfd_exchange(&x, 100, 272);
        fd = x.memfd;
        assert_int_equal(x.kout_len, 272);
        kernel_writes(&x, 272, 272);
        assert_answer(&x, 100);
        assert_int_equal(x.response_length, 272);

        /* Sealed for good: no write, no resize, no writable mapping. */
        assert_true(write(fd, "x", 1) < 0);
        assert_true(ftruncate(fd, 0) < 0);
        assert_ptr_equal(mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
        rpc_exchange_done(&x);
        assert_fd_closed(fd);
}

/* A driver that reports more than the buffer holds: the response is the buffer, no more. */
static void test_memfd_reported_beyond_buffer(void **state) {
        RpcExchange x = {};

        memfd_exchange(&x, 4096, 0);
        assert_int_equal(x.kout_len, 4096);
        kernel_writes(&x, 4096, 2 * 1024 * 1024);
        assert_answer(&x, 4096);
        rpc_exchange_done(&x);
}

/* max_response 0: the kernel still gets a real byte, the caller an empty sealed memfd. */
static void test_memfd_empty_response(void **state) {
        RpcExchange x = {};

        memfd_exchange(&x, 0, 0);
        assert_non_null(x.kout);
        assert_int_equal(x.kout_len, 0);
        x.reported_len = 8;
        assert_answer(&x, 0);
        rpc_exchange_done(&x);
}

/* decode() set a response of its own (a copy): that is what the memfd holds. */
static void test_memfd_plugin_response(void **state) {
        RpcExchange x = {};
        uint8_t mine[40];

        memfd_exchange(&x, 512, 16);
        memset(x.kout, 0xAA, 512);
        x.reported_len = 512;
        for (size_t i = 0; i < sizeof(mine); i++)
                mine[i] = (uint8_t) (i * 7 + 3);
        assert_int_equal(rpc_exchange_set_response(&x, mine, sizeof(mine)), 0);
        assert_answer(&x, sizeof(mine));
        assert_false(x.response_borrowed);
        rpc_exchange_done(&x);
}

/* marshal()'s own buffers (fwctld_rpc_alloc()): the response is the head of its out buffer. */
static void test_memfd_plugin_buffers(void **state) {
        RpcExchange x = {};
        void *in, *out;

        rpc_exchange_init(&x, 0, request, sizeof(request), 48);
        assert_int_equal(rpc_exchange_open_memfd(&x, NULL), 0);
        in = rpc_exchange_alloc(&x, 24);
        out = rpc_exchange_alloc(&x, 64);
        assert_non_null(in);
        assert_non_null(out);
        x.kin = in;
        x.kin_len = 24;
        x.kout = out;
        x.kout_len = 64;
        kernel_writes(&x, 64, 64);
        assert_answer(&x, 48);
        assert_ptr_equal(x.response, out);
        rpc_exchange_done(&x);
}

/* A call that fails between the memfd and its seals (the ioctl, decode()): the fd goes too. */
static void test_memfd_done_unsealed(void **state) {
        RpcExchange x = {};
        int fd;

        memfd_exchange(&x, FWCTLD_MAX_RPC_LEN, 0);
        fd = x.memfd;
        kernel_writes(&x, 100, 100);
        rpc_exchange_done(&x);
        assert_fd_closed(fd);
}

/* A memfd from the stock, allocated ahead: it still holds exactly the response, smaller or
 * larger than what was allocated. */
static void test_memfd_from_stock(void **state) {
        static const struct {
                size_t stocked, response;
        } cases[] = {
                { 256 * 1024, 100 },      /* truncated to the response */
                { 64 * 1024, 100000 },    /* grown by the write */
        };
        MemfdStock *s = NULL;
        RpcExchange x = {};

        assert_int_equal(memfd_stock_new(&s), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(memfd_stock_want(s, cases[i].stocked), 0);
                assert_int_equal(memfd_stock_refill(s), 0);
                rpc_exchange_init(&x, 0, request, sizeof(request), FWCTLD_MAX_RPC_LEN);
                assert_int_equal(rpc_exchange_open_memfd(&x, s), 0);
                assert_int_equal(x.memfd_allocated, cases[i].stocked);
                assert_int_equal(rpc_exchange_default_buffers(&x, 0), 0);
                kernel_writes(&x, cases[i].response, cases[i].response);
                assert_answer(&x, cases[i].response);
                rpc_exchange_done(&x);
        }

        /* Taken: the next exchange gets a new, empty one. */
        rpc_exchange_init(&x, 0, request, sizeof(request), 16);
        assert_int_equal(rpc_exchange_open_memfd(&x, s), 0);
        assert_int_equal(x.memfd_allocated, 0);
        rpc_exchange_done(&x);
        memfd_stock_free(s);
}

/* A zeroed exchange (a call that never ran) has no memfd: fd 0 is not ours to close. */
static void test_done_zeroed(void **state) {
        RpcExchange x = {};

        if (fcntl(0, F_GETFD) < 0)
                assert_int_equal(open("/dev/null", O_RDONLY), 0);
        rpc_exchange_done(&x);
        assert_true(fcntl(0, F_GETFD) >= 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_response_borrows),
                cmocka_unit_test(test_set_response_over_borrowed),
                cmocka_unit_test(test_memfd_holds_exactly_response),
                cmocka_unit_test(test_memfd_reported_beyond_buffer),
                cmocka_unit_test(test_memfd_empty_response),
                cmocka_unit_test(test_memfd_plugin_response),
                cmocka_unit_test(test_memfd_plugin_buffers),
                cmocka_unit_test(test_memfd_done_unsealed),
                cmocka_unit_test(test_memfd_from_stock),
                cmocka_unit_test(test_done_zeroed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
