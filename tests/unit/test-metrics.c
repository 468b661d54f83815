/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "metrics.h"
#include "util.h"

static void test_record_call(void **state) {
        Metrics m = {};

        metrics_record_call(&m, &(MetricsCall) { .scope = 1, .result = 0, .bytes_in = 16, .bytes_out = 272,
                                                 .latency_usec = 700 });
        metrics_record_call(&m, &(MetricsCall) { .scope = 1, .result = 3, .latency_usec = 40000000,
                                                 .error_message = "refused" });
        metrics_record_call(&m, &(MetricsCall) { .scope = 0, .result = 0, .status_set = true, .status = 2,
                                                 .status_name = "BAD_OPCODE", .latency_usec = 100 });
        assert_int_equal(m.calls[1][0], 1);
        assert_int_equal(m.calls[1][3], 1);
        assert_int_equal(m.calls[0][0], 1);
        assert_int_equal(m.bytes_in, 16);
        assert_int_equal(m.bytes_out, 272);
        /* cumulative buckets: 100 µs falls in every bucket, 700 µs from 1 ms on, 40 s only in +Inf */
        assert_int_equal(m.latency_buckets[0], 1);
        assert_int_equal(m.latency_buckets[2], 2);
        assert_int_equal(m.latency_buckets[METRICS_LATENCY_BUCKETS - 2], 2);
        assert_int_equal(m.latency_buckets[METRICS_LATENCY_BUCKETS - 1], 3);
        assert_int_equal(m.latency_count, 3);
        assert_int_equal(m.latency_sum_usec, 40000800);
        assert_string_equal(m.statuses[0].name, "BAD_OPCODE");
        assert_int_equal(m.statuses[0].count, 1);
        /* the last failure, not the last call */
        assert_int_equal(m.last_error, 3);
        assert_string_equal(m.last_error_message, "refused");
        assert_true(m.last_error_realtime_usec > 0);
}

/* A firmware that invents status names cannot grow the table. */
static void test_status_names_bounded(void **state) {
        Metrics m = {};
        char name[32];

        for (unsigned i = 0; i < METRICS_STATUS_NAMES_MAX + 5; i++) {
                (void) snprintf(name, sizeof(name), "ERROR_%u", i);
                metrics_record_call(&m, &(MetricsCall) { .scope = 0, .status_set = true, .status = 1, .status_name = name });
        }
        assert_int_equal(m.statuses_other, 5);
        assert_string_equal(m.statuses[METRICS_STATUS_NAMES_MAX - 1].name, "ERROR_31");
}

static void test_denials(void **state) {
        Metrics m = {};

        metrics_record_denial(&m, METRICS_DENIAL_BUSY);
        metrics_record_denial(&m, METRICS_DENIAL_BUSY);
        metrics_record_denial(&m, _METRICS_DENIAL_MAX);
        assert_int_equal(m.denials[METRICS_DENIAL_BUSY], 2);
        for (MetricsDenial d = 0; d < _METRICS_DENIAL_MAX; d++)
                assert_non_null(metrics_denial_to_string(d));
        assert_null(metrics_denial_to_string(_METRICS_DENIAL_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_record_call),
                cmocka_unit_test(test_status_names_bounded),
                cmocka_unit_test(test_denials),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
