/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <time.h>

/* Seconds on the monotonic clock, for latencies. */
static inline double bench_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* qsort() order for latencies, before percentiles are read off. */
static inline int bench_cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}
