/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctl-bench: drive fwctld over the system bus and time it.
 *
 *   fwctl-bench MODE DEVICE CALLS PARALLEL [REQUEST_BYTES [MAX_RESPONSE]]
 *
 * MODE "ping": org.freedesktop.DBus.Peer.Ping on the device object (the bus round trip
 * to the daemon, the baseline); "info": Device.Info; "rpc": Device.Rpc at scope 0 with
 * an mlx5 QUERY_ADAPTER header padded to REQUEST_BYTES. PARALLEL calls are kept in
 * flight. Prints one JSON object: calls, errors, seconds, calls_per_second.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define BUS_NAME "org.freedesktop.fwctl1"

typedef struct Bench {
        sd_bus *bus;
        const char *mode;
        char path[256];
        uint8_t *request;
        size_t request_size;
        uint32_t max_response;
        unsigned total, sent, done, errors;
} Bench;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

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
        if (r >= 0)
                r = sd_bus_call_async(b->bus, NULL, m, on_reply, b, 60 * 1000000ULL);
        sd_bus_message_unref(m);
        if (r >= 0)
                b->sent++;
        return r;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bench *b = userdata;

        if (sd_bus_message_is_method_error(m, NULL)) {
                if (b->errors++ == 0)
                        fprintf(stderr, "first error: %s\n", sd_bus_message_get_error(m)->name);
        }
        b->done++;
        if (b->sent < b->total)
                return send_one(b);
        return 0;
}

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
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
        if (!b.request)
                return 1;
        b.request[0] = 0x01; /* QUERY_ADAPTER, big-endian */
        b.request[1] = 0x01;

        r = sd_bus_open_system(&b.bus);
        if (r < 0) {
                fprintf(stderr, "bus: %s\n", strerror(-r));
                return 1;
        }

        t0 = now();
        for (unsigned i = 0; i < parallel && b.sent < b.total; i++)
                if (send_one(&b) < 0)
                        return 1;
        while (b.done < b.total) {
                r = sd_bus_process(b.bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "process: %s\n", strerror(-r));
                        return 1;
                }
                if (r == 0 && sd_bus_wait(b.bus, UINT64_MAX) < 0)
                        return 1;
        }
        t1 = now();

        printf("{\"mode\":\"%s\",\"calls\":%u,\"parallel\":%u,\"request_bytes\":%zu,\"errors\":%u,"
               "\"seconds\":%.4f,\"calls_per_second\":%.1f}\n",
               b.mode, b.total, parallel, strcmp(b.mode, "rpc") == 0 ? b.request_size : 0, b.errors, t1 - t0,
               b.total / (t1 - t0));
        sd_bus_flush_close_unref(b.bus);
        free(b.request);
        return b.errors ? 1 : 0;
}
