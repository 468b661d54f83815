/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <fwctld/plugin.h>

/*
 * Counters for Prometheus and the Cockpit page: what happened to calls, per device and
 * in all. Plain data, updated on the loop when a call completes; the bus layer renders it
 * (Manager.GetMetrics). Results are indexes of the domain errors (call.h), 0 meaning ok.
 */

#define METRICS_RESULTS_MAX 32u
#define METRICS_STATUS_NAMES_MAX 32u
#define METRICS_STATUS_NAME_LEN 48u
#define METRICS_LATENCY_BUCKETS 12u

typedef enum MetricsDenial {
        METRICS_DENIAL_LOCAL_POLICY,
        METRICS_DENIAL_DENIED,
        METRICS_DENIAL_CHALLENGE,
        METRICS_DENIAL_POLKIT_UNAVAILABLE,
        METRICS_DENIAL_BUSY, /* a limit of the caller's share, the queue, the expected wait */
        _METRICS_DENIAL_MAX,
        _METRICS_DENIAL_INVALID = -EINVAL,
} MetricsDenial;

const char *metrics_denial_to_string(MetricsDenial d);

typedef struct MetricsStatus {
        char name[METRICS_STATUS_NAME_LEN];
        uint64_t count;
} MetricsStatus;

typedef struct Metrics {
        uint64_t calls[_FWCTLD_SCOPE_MAX][METRICS_RESULTS_MAX];
        uint64_t denials[_METRICS_DENIAL_MAX];
        MetricsStatus statuses[METRICS_STATUS_NAMES_MAX]; /* device status names (non-zero status) */
        uint64_t statuses_other;                          /* once the table is full */
        uint64_t bytes_in, bytes_out;
        uint64_t latency_buckets[METRICS_LATENCY_BUCKETS]; /* cumulative: calls at most le[i] */
        uint64_t latency_count;
        uint64_t latency_sum_usec;
        /* The last failure, for humans. */
        int last_error; /* a CallError, 0: none */
        char last_error_message[256];
        uint64_t last_error_realtime_usec;
} Metrics;

/* Upper bounds of the latency buckets, in microseconds (the last is +Inf). */
extern const uint64_t metrics_latency_le_usec[METRICS_LATENCY_BUCKETS];

typedef struct MetricsCall {
        uint32_t scope;
        int result; /* CallError */
        bool status_set;
        uint32_t status;
        const char *status_name;
        uint64_t bytes_in, bytes_out;
        uint64_t latency_usec;
        const char *error_message;
} MetricsCall;

void metrics_record_call(Metrics *m, const MetricsCall *c);
void metrics_record_denial(Metrics *m, MetricsDenial d);
