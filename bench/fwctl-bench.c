/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctl-bench: drive fwctld over the system bus and time it.
 *
 *   fwctl-bench MODE DEVICE CALLS PARALLEL [REQUEST_BYTES [MAX_RESPONSE]]
 *
 * MODE "ping": org.freedesktop.DBus.Peer.Ping on the device object (the bus round trip
 * to the daemon, the baseline); "info": Device.Info; "rpc": Device.Rpc at scope 0 with
 * an mlx5 QUERY_ADAPTER header padded to REQUEST_BYTES. PARALLEL calls are kept in
 * flight. Prints one JSON object: calls, errors (and the first one's name), seconds,
 * calls_per_second, and each call's latency (send to answer): p50, p99, max in ms.
 * With FWCTL_BENCH_SECONDS=S in the environment, no call is sent after S seconds: CALLS
 * is then an upper bound, and the figures are for the calls answered.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define BUS_NAME "org.freedesktop.fwctl1"

typedef struct Bench Bench;

/* One call: its slot's userdata, so the answer knows when it was sent. */
typedef struct Sent {
        Bench *bench;
        double at;
} Sent;

struct Bench {
        sd_bus *bus;
        const char *mode;
        char path[256];
        uint8_t *request;
        size_t request_size;
        uint32_t max_response;
        unsigned total, sent, done, errors;
        double deadline; /* no call sent after this (0: none) */
        char first_error[256];
        Sent *calls;     /* total of them */
        double *latency; /* seconds, one per answered call */
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);
static double now(void);

static int send_one(Bench *b) {
        sd_bus_message *m = NULL;
        int r;

        if (strcmp(b->mode, "ping") == 0)
                r = sd_bus_message_new_method_call(b->bus, &m, BUS_NAME, b->path, "org.freedesktop.DBus.Peer", "Ping");
        else if (strcmp(b->mode, "info") == 0)
                r = sd_bus_message_new_method_call(b->bus, &m, BUS_NAME, b->path, "org.freedesktop.fwctl1.Device", "Info");
        else {
                r = sd_bus_message_new_method_call(b->bus, &m, BUS_NAME, b->path, "org.freedesktop.fwctl1.Device", "Rpc");
                if (r >= 0)
                        r = sd_bus_message_append(m, "u", 0u);
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', b->request, b->request_size);
                if (r >= 0)
                        r = sd_bus_message_append(m, "u", b->max_response);
        }
        b->calls[b->sent] = (Sent) { .bench = b, .at = now() };
        if (r >= 0)
                r = sd_bus_call_async(b->bus, NULL, m, on_reply, &b->calls[b->sent], 60 * 1000000ULL);
        sd_bus_message_unref(m);
        if (r >= 0)
                b->sent++;
        return r;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Sent *s = userdata;
        Bench *b = s->bench;

        if (sd_bus_message_is_method_error(m, NULL)) {
                if (b->errors++ == 0) {
                        snprintf(b->first_error, sizeof(b->first_error), "%s", sd_bus_message_get_error(m)->name);
                        fprintf(stderr, "first error: %s: %s\n", sd_bus_message_get_error(m)->name,
                                sd_bus_message_get_error(m)->message ?: "");
                }
        }
        b->latency[b->done] = now() - s->at;
        b->done++;
        if (b->sent < b->total && (b->deadline == 0 || now() < b->deadline))
                return send_one(b);
        return 0;
}

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* The q-quantile of the sorted latencies, in ms. */
static double quantile_ms(const Bench *b, double q) {
        unsigned i = (unsigned) (q * (b->done - 1) + 0.5);

        return b->latency[i] * 1000.0;
}

int main(int argc, char *argv[]) {
        Bench b = {};
        unsigned parallel;
        double t0, t1;
        int r;

        if (argc < 5) {
                fprintf(stderr, "usage: %s ping|info|rpc DEVICE CALLS PARALLEL [REQUEST_BYTES [MAX_RESPONSE]]\n",
                        argv[0]);
                return 2;
        }
        b.mode = argv[1];
        snprintf(b.path, sizeof(b.path), "/org/freedesktop/fwctl1/device/%s", argv[2]);
        b.total = (unsigned) strtoul(argv[3], NULL, 0);
        parallel = (unsigned) strtoul(argv[4], NULL, 0);
        b.request_size = argc > 5 ? strtoul(argv[5], NULL, 0) : 16;
        b.max_response = argc > 6 ? (uint32_t) strtoul(argv[6], NULL, 0) : 64;
        if (b.total == 0 || parallel == 0 || b.request_size < 16)
                return 2;

        b.request = calloc(1, b.request_size);
        b.calls = calloc(b.total, sizeof(*b.calls));
        b.latency = calloc(b.total, sizeof(*b.latency));
        if (!b.request || !b.calls || !b.latency)
                return 1;
        b.request[0] = 0x01; /* QUERY_ADAPTER, big-endian */
        b.request[1] = 0x01;

        r = sd_bus_open_system(&b.bus);
        if (r < 0) {
                fprintf(stderr, "bus: %s\n", strerror(-r));
                return 1;
        }

        t0 = now();
        if (getenv("FWCTL_BENCH_SECONDS"))
                b.deadline = t0 + strtod(getenv("FWCTL_BENCH_SECONDS"), NULL);
        for (unsigned i = 0; i < parallel && b.sent < b.total; i++)
                if (send_one(&b) < 0)
                        return 1;
        while (b.done < b.sent) {
                r = sd_bus_process(b.bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "process: %s\n", strerror(-r));
                        return 1;
                }
                if (r == 0 && sd_bus_wait(b.bus, UINT64_MAX) < 0)
                        return 1;
        }
        t1 = now();
        qsort(b.latency, b.done, sizeof(*b.latency), cmp_double);

        printf("{\"mode\":\"%s\",\"calls\":%u,\"parallel\":%u,\"request_bytes\":%zu,\"errors\":%u,"
               "\"first_error\":\"%s\",\"seconds\":%.4f,\"calls_per_second\":%.1f,"
               "\"latency_ms\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f}}\n",
               b.mode, b.done, parallel, strcmp(b.mode, "rpc") == 0 ? b.request_size : 0, b.errors, b.first_error,
               t1 - t0, b.done / (t1 - t0), quantile_ms(&b, 0.5), quantile_ms(&b, 0.99), quantile_ms(&b, 1.0));
        sd_bus_flush_close_unref(b.bus);
        free(b.latency);
        free(b.calls);
        free(b.request);
        return b.errors ? 1 : 0;
}
