/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <stdio.h>
#include <time.h>

#include "metrics.h"
#include "util.h"

const uint64_t metrics_latency_le_usec[METRICS_LATENCY_BUCKETS] = {
        100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000, 30000000, UINT64_MAX,
};

static const char *const metrics_denial_table[_METRICS_DENIAL_MAX] = {
        [METRICS_DENIAL_LOCAL_POLICY] = "local-policy",
        [METRICS_DENIAL_DENIED] = "denied",
        [METRICS_DENIAL_CHALLENGE] = "challenge",
        [METRICS_DENIAL_POLKIT_UNAVAILABLE] = "polkit-unavailable",
        [METRICS_DENIAL_BUSY] = "busy",
};

const char *metrics_denial_to_string(MetricsDenial d) {
        return d >= 0 && d < _METRICS_DENIAL_MAX ? metrics_denial_table[d] : NULL;
}

static void metrics_record_status(Metrics *m, const char *name) {
        for (size_t i = 0; i < METRICS_STATUS_NAMES_MAX; i++) {
                MetricsStatus *s = &m->statuses[i];

                if (s->name[0] == '\0') {
                        (void) snprintf(s->name, sizeof(s->name), "%s", name);
                        s->count = 1;
                        return;
                }
                if (streq(s->name, name)) {
                        s->count++;
                        return;
                }
        }
        /* A firmware inventing names must not grow the table without bound. */
        m->statuses_other++;
}

void metrics_record_call(Metrics *m, const MetricsCall *c) {
        struct timespec ts;

        assert(m);
        assert(c);
        if (c->scope < _FWCTLD_SCOPE_MAX && c->result >= 0 && (unsigned) c->result < METRICS_RESULTS_MAX)
                m->calls[c->scope][c->result]++;
        if (c->status_set && c->status != 0)
                metrics_record_status(m, isempty(c->status_name) ? "unknown" : c->status_name);
        m->bytes_in += c->bytes_in;
        m->bytes_out += c->bytes_out;
        for (size_t i = 0; i < METRICS_LATENCY_BUCKETS; i++)
                if (c->latency_usec <= metrics_latency_le_usec[i])
                        m->latency_buckets[i]++;
        m->latency_count++;
        m->latency_sum_usec += c->latency_usec;
        if (c->result != 0) {
                m->last_error = c->result;
                (void) snprintf(m->last_error_message, sizeof(m->last_error_message), "%s", strempty(c->error_message));
                (void) clock_gettime(CLOCK_REALTIME, &ts);
                m->last_error_realtime_usec = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
        }
}

void metrics_record_denial(Metrics *m, MetricsDenial d) {
        assert(m);
        if (d >= 0 && d < _METRICS_DENIAL_MAX)
                m->denials[d]++;
}
