/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "rpc-exchange.h"
#include "util.h"

/*
 * One exchange's buffers and response, the kernel played by the test: it writes into kout and
 * sets reported_len. The response is the head of kout unless a plugin set its own.
 */

static const uint8_t request[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* The kernel: writes n bytes of a pattern into the out buffer and reports reported. */
static void kernel_writes(RpcExchange *x, size_t n, size_t reported) {
        uint8_t *out = x->kout;

        assert_true(n <= x->kout_len);
        for (size_t i = 0; i < n; i++)
                out[i] = (uint8_t) (i * 7 + 3);
        x->reported_len = reported;
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_response_borrows),
                cmocka_unit_test(test_set_response_over_borrowed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
