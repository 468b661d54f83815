/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctl-ideal: the "ideal daemon" of the benchmarks (issue 13), the floor fwctld is
 * measured against. A bare sd-bus service that owns BUS_NAME on the system bus and exports
 * one object per device node, OBJECT_PATH, with
 *
 *   org.freedesktop.fwctl1.Device.Rpc(u scope, ay request, u max_response) -> (ay, a{sv})
 *
 * answered inline: one FWCTL_RPC on its DEVICE_NODE (opened once, at start) with the request
 * straight from the message and a max_response buffer, and the reply. Nothing else: no
 * polkit, no plugin, no worker thread, no journal, no limits, no caller credentials.
 * Org.freedesktop.DBus.Peer.Ping is sd-bus's own. Run as root under the same umockdev
 * preload as fwctld (bench/sessions.sh does), so its ioctls reach the same emulator.
 *
 *   fwctl-ideal BUS_NAME DEVICE_NODE OBJECT_PATH [DEVICE_NODE OBJECT_PATH...]
 *
 * Prints "ready" on stdout once the name is owned; SIGTERM or SIGINT end it.
 *
 *   fwctl-ideal --direct DEVICE_NODE CALLS REQUEST_BYTES MAX_RESPONSE
 *
 * No bus at all: CALLS FWCTL_RPCs one after another on DEVICE_NODE (scope 0, an mlx5
 * QUERY_ADAPTER header padded to REQUEST_BYTES), timed, printed as one JSON object in
 * fwctl-bench's shape. Under umockdev that is the emulator's share of every call: the floor
 * of both daemons.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bench-clock.h"
#include "util.h"
#include <fwctld/fwctl-uapi.h>

#define IDEAL_MAX_DEVICES 8

typedef struct Ideal {
        const char *node;
        const char *path;
        int fd;
        uint64_t calls;
} Ideal;

static int reply_rpc(sd_bus_message *message, const uint8_t *out, uint32_t out_len, uint32_t max_response) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(reply, 'y', out, MIN(out_len, max_response));
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "a{sv}", 2,
                                  "truncated", "b", out_len > max_response,
                                  "kernel_out_len", "u", out_len);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_rpc(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Ideal *ideal = userdata;
        _cleanup_(freep) uint8_t *out = NULL;
        uint32_t scope, max_response;
        struct fwctl_rpc rpc;
        const void *request;
        size_t size;
        int r;

        r = sd_bus_message_read(message, "u", &scope);
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(message, 'y', &request, &size);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "u", &max_response);
        if (r < 0)
                return r;
        if (size == 0 || size > FWCTLD_MAX_RPC_LEN || max_response > FWCTLD_MAX_RPC_LEN)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Request or max_response out of range.");

        out = malloc(MAX(max_response, 1u));
        if (!out)
                return -ENOMEM;
        rpc = (struct fwctl_rpc) {
                .size = sizeof(rpc),
                .scope = scope,
                .in_len = (uint32_t) size,
                .out_len = max_response,
                .in = (uint64_t) (uintptr_t) request,
                .out = (uint64_t) (uintptr_t) out,
        };
        if (ioctl(ideal->fd, FWCTL_RPC, &rpc) < 0)
                return sd_bus_error_set_errnof(error, errno, "FWCTL_RPC: %m");
        ideal->calls++;
        return reply_rpc(message, out, rpc.out_len, max_response);
}

static const sd_bus_vtable ideal_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Rpc",
                                SD_BUS_ARGS("u", scope, "ay", request, "u", max_response),
                                SD_BUS_RESULT("ay", response, "a{sv}", result),
                                method_rpc,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int serve(const char *name, Ideal *ideals, size_t n) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_default(&event);
        if (r < 0)
                return r;
        r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return r;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                /* Floating slots: they live as long as the bus. */
                r = sd_bus_add_object_vtable(bus, NULL, ideals[i].path, "org.freedesktop.fwctl1.Device", ideal_vtable,
                                             &ideals[i]);
                if (r < 0)
                        return r;
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_bus_request_name(bus, name, 0);
        if (r < 0)
                return r;
        printf("ready\n");
        fflush(stdout);
        return sd_event_loop(event);
}

static int direct(const char *node, unsigned calls, size_t in_len, uint32_t out_len) {
        _cleanup_(freep) uint8_t *in = NULL, *out = NULL;
        _cleanup_(freep) double *latency = NULL;
        _cleanup_(closep) int fd = -EBADF;
        unsigned errors = 0;
        uint32_t got = 0;
        double t0, seconds;

        if (calls == 0 || in_len < 16 || in_len > FWCTLD_MAX_RPC_LEN || out_len > FWCTLD_MAX_RPC_LEN)
                return -EINVAL;
        in = calloc(1, in_len);
        out = malloc(MAX(out_len, 1u));
        latency = calloc(calls, sizeof(*latency));
        if (!in || !out || !latency)
                return -ENOMEM;
        in[0] = 0x01; /* QUERY_ADAPTER, big-endian */
        in[1] = 0x01;
        fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        t0 = bench_now();
        for (unsigned i = 0; i < calls; i++) {
                struct fwctl_rpc rpc = {
                        .size = sizeof(rpc),
                        .in_len = (uint32_t) in_len,
                        .out_len = out_len,
                        .in = (uint64_t) (uintptr_t) in,
                        .out = (uint64_t) (uintptr_t) out,
                };
                double t = bench_now();

                if (ioctl(fd, FWCTL_RPC, &rpc) < 0)
                        errors++;
                else
                        got = MIN(rpc.out_len, out_len);
                latency[i] = bench_now() - t;
        }
        seconds = bench_now() - t0;
        qsort(latency, calls, sizeof(*latency), bench_cmp_double);
        printf("{\"mode\":\"ioctl\",\"calls\":%u,\"request_bytes\":%zu,\"response_bytes\":%u,\"errors\":%u,"
               "\"seconds\":%.4f,\"calls_per_second\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
               calls, in_len, got, errors, seconds, calls / seconds, latency[(calls - 1) / 2] * 1000.0,
               latency[(unsigned) (0.99 * (calls - 1) + 0.5)] * 1000.0, latency[calls - 1] * 1000.0);
        return errors > 0 ? -EIO : 0;
}

static void close_all(Ideal *ideals, size_t n) {
        for (size_t i = 0; i < n; i++)
                ideals[i].fd = safe_close(ideals[i].fd);
}

int main(int argc, char *argv[]) {
        Ideal ideals[IDEAL_MAX_DEVICES] = {};
        size_t n = 0;
        int r;

        if (argc == 6 && streq(argv[1], "--direct")) {
                r = direct(argv[2], (unsigned) strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0),
                           (uint32_t) strtoul(argv[5], NULL, 0));
                if (r < 0)
                        fprintf(stderr, "fwctl-ideal --direct: %s\n", strerror(-r));
                return r < 0 ? 1 : 0;
        }
        if (argc < 4 || argc % 2 != 0 || (size_t) (argc - 2) / 2 > IDEAL_MAX_DEVICES) {
                fprintf(stderr, "usage: %s BUS_NAME DEVICE_NODE OBJECT_PATH [DEVICE_NODE OBJECT_PATH...]\n", argv[0]);
                return 2;
        }
        for (int i = 2; i + 1 < argc; i += 2, n++) {
                ideals[n] = (Ideal) { .node = argv[i], .path = argv[i + 1] };
                ideals[n].fd = open(ideals[n].node, O_RDWR | O_CLOEXEC);
                if (ideals[n].fd < 0) {
                        fprintf(stderr, "open %s: %s\n", ideals[n].node, strerror(errno));
                        close_all(ideals, n);
                        return 1;
                }
        }
        r = serve(argv[1], ideals, n);
        close_all(ideals, n);
        if (r < 0) {
                fprintf(stderr, "fwctl-ideal: %s\n", strerror(-r));
                return 1;
        }
        for (size_t i = 0; i < n; i++)
                fprintf(stderr, "fwctl-ideal: %s: %" PRIu64 " calls served\n", ideals[i].node, ideals[i].calls);
        return 0;
}
