/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctl-bench: drive fwctld over the system bus and time it.
 *
 *   fwctl-bench MODE DEVICE CALLS PARALLEL [REQUEST_BYTES [MAX_RESPONSE]]
 *
 * MODE "ping": org.freedesktop.DBus.Peer.Ping on the device object (the bus round trip
 * to the daemon, the baseline); "info": Device.Info; "rpc": Device.Rpc with an mlx5
 * QUERY_ADAPTER header padded to REQUEST_BYTES; "session": Device.OpenSession(scope, {})
 * once, untimed, then Session.Rpc calls with the same request (the session is closed at
 * the end); "rpcfd": Device.RpcFd with the request in a new memfd per call
 * (MFD_ALLOW_SEALING, sealed F_SEAL_WRITE|F_SEAL_SHRINK|F_SEAL_GROW) and the response
 * memfd mapped (MAP_POPULATE). PARALLEL calls are kept in flight. A call's latency runs
 * from before its message is built (the request copied into it, or its memfd written)
 * until its answer is in place: an ay's bytes in the reply, a response memfd's mapped.
 *
 * Prints one JSON object: calls, errors (and the first one's name), seconds,
 * calls_per_second, the last answer's response size, and each call's latency: p50, p99,
 * max in ms. Environment: FWCTL_BENCH_SECONDS=S: no call is sent after S seconds (CALLS is
 * then an upper bound, and the figures are for the calls answered); FWCTL_BENCH_DEST=NAME:
 * the bus name to call instead of org.freedesktop.fwctl1 (the ideal daemon,
 * bench/fwctl-ideal.c, which serves Ping and Rpc only); FWCTL_BENCH_SCOPE=N: the scope of
 * rpc, rpcfd and the session (default 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bench-clock.h"

#define BUS_NAME "org.freedesktop.fwctl1"
#define DEVICE_IFACE "org.freedesktop.fwctl1.Device"
#define SESSION_IFACE "org.freedesktop.fwctl1.Session"

typedef struct Bench Bench;

/* One call: its slot's userdata, so the answer knows when it was sent. */
typedef struct Sent {
        Bench *bench;
        double at;
} Sent;

struct Bench {
        sd_bus *bus;
        const char *mode;
        const char *dest;
        char path[256];
        char session[256]; /* the session's object path (mode "session") */
        uint32_t scope;
        uint8_t *request;
        size_t request_size;
        uint32_t max_response;
        size_t response_bytes;
        unsigned total, sent, done, errors;
        double deadline; /* no call sent after this (0: none) */
        char first_error[256];
        Sent *calls;     /* total of them */
        double *latency; /* seconds, one per answered call */
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static bool mode_is(const Bench *b, const char *mode) {
        return strcmp(b->mode, mode) == 0;
}

/* A sealed memfd holding the request: what RpcFd accepts. */
static int request_memfd(const Bench *b) {
        size_t done = 0;
        int fd;

        fd = memfd_create("fwctl-bench-request", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        while (done < b->request_size) {
                ssize_t n = write(fd, b->request + done, b->request_size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        close(fd);
                        return n < 0 ? -errno : -EIO;
                }
                done += (size_t) n;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int append_rpcfd(Bench *b, sd_bus_message *m) {
        int fd, r;

        fd = request_memfd(b);
        if (fd < 0)
                return fd;
        r = sd_bus_message_append(m, "uhu", b->scope, fd, b->max_response); /* sd-bus dups the fd */
        close(fd);
        return r;
}

static int new_call(Bench *b, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r;

        if (mode_is(b, "ping"))
                return sd_bus_message_new_method_call(b->bus, ret, b->dest, b->path, "org.freedesktop.DBus.Peer", "Ping");
        if (mode_is(b, "info"))
                return sd_bus_message_new_method_call(b->bus, ret, b->dest, b->path, DEVICE_IFACE, "Info");
        if (mode_is(b, "session"))
                r = sd_bus_message_new_method_call(b->bus, &m, b->dest, b->session, SESSION_IFACE, "Rpc");
        else
                r = sd_bus_message_new_method_call(b->bus, &m, b->dest, b->path, DEVICE_IFACE,
                                                   mode_is(b, "rpcfd") ? "RpcFd" : "Rpc");
        if (r < 0)
                return r;
        if (mode_is(b, "rpcfd"))
                r = append_rpcfd(b, m);
        else {
                if (mode_is(b, "rpc"))
                        r = sd_bus_message_append(m, "u", b->scope);
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', b->request, b->request_size);
                if (r >= 0)
                        r = sd_bus_message_append(m, "u", b->max_response);
        }
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

static int send_one(Bench *b) {
        sd_bus_message *m = NULL;
        int r;

        b->calls[b->sent] = (Sent) { .bench = b, .at = bench_now() };
        r = new_call(b, &m);
        if (r >= 0)
                r = sd_bus_call_async(b->bus, NULL, m, on_reply, &b->calls[b->sent], 60 * 1000000ULL);
        sd_bus_message_unref(m);
        if (r >= 0)
                b->sent++;
        return r;
}

/* The response, in place: an ay in the message, an RpcFd answer's memfd mapped. */
static int read_response(Bench *b, sd_bus_message *m) {
        const void *data;
        struct stat st;
        size_t size = 0;
        void *p;
        int fd, r;

        if (mode_is(b, "ping") || mode_is(b, "info"))
                return 0;
        if (!mode_is(b, "rpcfd")) {
                r = sd_bus_message_read_array(m, 'y', &data, &size);
                if (r >= 0)
                        b->response_bytes = size;
                return r;
        }
        r = sd_bus_message_read(m, "h", &fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        size = (size_t) st.st_size;
        if (size > b->max_response)
                return -EMSGSIZE;
        /* In place, as an ay is: the sealed memfd mapped, its pages populated, not copied. */
        if (size > 0) {
                p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
                if (p == MAP_FAILED)
                        return -errno;
                (void) munmap(p, size);
        }
        b->response_bytes = size;
        return 0;
}

static void note_error(Bench *b, const char *name, const char *message) {
        if (b->errors++ == 0) {
                snprintf(b->first_error, sizeof(b->first_error), "%s", name);
                fprintf(stderr, "first error: %s: %s\n", name, message ?: "");
        }
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Sent *s = userdata;
        Bench *b = s->bench;
        int r;

        if (sd_bus_message_is_method_error(m, NULL))
                note_error(b, sd_bus_message_get_error(m)->name, sd_bus_message_get_error(m)->message);
        else {
                r = read_response(b, m);
                if (r < 0)
                        note_error(b, "read-response", strerror(-r));
        }
        b->latency[b->done] = bench_now() - s->at;
        b->done++;
        if (b->sent < b->total && (b->deadline == 0 || bench_now() < b->deadline))
                return send_one(b);
        return 0;
}

/* The q-quantile of the sorted latencies, in ms. */
static double quantile_ms(const Bench *b, double q) {
        unsigned i;

        if (b->done == 0)
                return 0;
        i = (unsigned) (q * (b->done - 1) + 0.5);
        return b->latency[i] * 1000.0;
}

/* mode "session": Device.OpenSession(scope, {}) once, before the clock starts. */
static int open_session(Bench *b) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = sd_bus_call_method(b->bus, b->dest, b->path, DEVICE_IFACE, "OpenSession", &error, &reply, "ua{sv}",
                               b->scope, 0);
        if (r < 0) {
                fprintf(stderr, "OpenSession: %s: %s\n", error.name ?: strerror(-r), error.message ?: "");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                snprintf(b->session, sizeof(b->session), "%s", path);
        sd_bus_message_unref(reply);
        return r;
}

static void close_session(Bench *b) {
        if (b->session[0] != '\0')
                (void) sd_bus_call_method(b->bus, b->dest, b->session, SESSION_IFACE, "Close", NULL, NULL, NULL);
}

static int run(Bench *b, unsigned parallel, double *ret_seconds) {
        double t0;
        int r;

        t0 = bench_now();
        if (getenv("FWCTL_BENCH_SECONDS"))
                b->deadline = t0 + strtod(getenv("FWCTL_BENCH_SECONDS"), NULL);
        for (unsigned i = 0; i < parallel && b->sent < b->total; i++) {
                r = send_one(b);
                if (r < 0)
                        return r;
        }
        while (b->done < b->sent) {
                r = sd_bus_process(b->bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = sd_bus_wait(b->bus, UINT64_MAX);
                        if (r < 0)
                                return r;
                }
        }
        *ret_seconds = bench_now() - t0;
        return 0;
}

static int setup(Bench *b, int argc, char *argv[], unsigned *ret_parallel) {
        const char *known[] = { "ping", "info", "rpc", "session", "rpcfd" };
        bool ok = false;

        b->mode = argv[1];
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                ok = ok || mode_is(b, known[i]);
        snprintf(b->path, sizeof(b->path), "/org/freedesktop/fwctl1/device/%s", argv[2]);
        b->total = (unsigned) strtoul(argv[3], NULL, 0);
        *ret_parallel = (unsigned) strtoul(argv[4], NULL, 0);
        b->request_size = argc > 5 ? strtoul(argv[5], NULL, 0) : 16;
        b->max_response = argc > 6 ? (uint32_t) strtoul(argv[6], NULL, 0) : 64;
        b->dest = getenv("FWCTL_BENCH_DEST") ?: BUS_NAME;
        b->scope = getenv("FWCTL_BENCH_SCOPE") ? (uint32_t) strtoul(getenv("FWCTL_BENCH_SCOPE"), NULL, 0) : 0;
        if (!ok || b->total == 0 || *ret_parallel == 0 || b->request_size < 16)
                return -EINVAL;

        b->request = calloc(1, b->request_size);
        b->calls = calloc(b->total, sizeof(*b->calls));
        b->latency = calloc(b->total, sizeof(*b->latency));
        if (!b->request || !b->calls || !b->latency)
                return -ENOMEM;
        b->request[0] = 0x01; /* QUERY_ADAPTER, big-endian */
        b->request[1] = 0x01;
        return 0;
}

static void print_result(const Bench *b, unsigned parallel, double seconds) {
        printf("{\"mode\":\"%s\",\"dest\":\"%s\",\"scope\":%u,\"calls\":%u,\"parallel\":%u,\"request_bytes\":%zu,"
               "\"response_bytes\":%zu,\"errors\":%u,\"first_error\":\"%s\",\"seconds\":%.4f,"
               "\"calls_per_second\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
               b->mode, b->dest, b->scope, b->done, parallel,
               mode_is(b, "ping") || mode_is(b, "info") ? 0 : b->request_size, b->response_bytes, b->errors,
               b->first_error, seconds, b->done / seconds, quantile_ms(b, 0.5), quantile_ms(b, 0.99),
               quantile_ms(b, 1.0));
}

int main(int argc, char *argv[]) {
        Bench b = {};
        unsigned parallel;
        double seconds = 0;
        int r;

        if (argc < 5) {
                fprintf(stderr, "usage: %s ping|info|rpc|session|rpcfd DEVICE CALLS PARALLEL "
                        "[REQUEST_BYTES [MAX_RESPONSE]]\n", argv[0]);
                return 2;
        }
        r = setup(&b, argc, argv, &parallel);
        if (r < 0)
                return r == -EINVAL ? 2 : 1;
        r = sd_bus_open_system(&b.bus);
        if (r < 0) {
                fprintf(stderr, "bus: %s\n", strerror(-r));
                return 1;
        }
        if (mode_is(&b, "session") && open_session(&b) < 0)
                return 1;

        r = run(&b, parallel, &seconds);
        if (r < 0) {
                fprintf(stderr, "run: %s\n", strerror(-r));
                return 1;
        }
        qsort(b.latency, b.done, sizeof(*b.latency), bench_cmp_double);
        print_result(&b, parallel, seconds);

        close_session(&b);
        sd_bus_flush_close_unref(b.bus);
        free(b.latency);
        free(b.calls);
        free(b.request);
        return b.errors ? 1 : 0;
}
