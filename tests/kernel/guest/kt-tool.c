/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kt-tool: the real-kernel suite's helper, run inside the guest.
 *
 *   kt-tool rpc NODE SCOPE HEX [--size N] [--tail-nonzero] [--in-len N] [--out-len N]
 *       one FWCTL_RPC straight on the device node (not through fwctld).
 *       --size is the struct size written in its first u32 (default 32; a
 *       larger one sends a zero tail, or a non-zero one with --tail-nonzero);
 *       --in-len overrides in_len (the buffer stays the request's); --out-len
 *       is the out buffer's size (default 4096).
 *       Prints "errno=NAME" (0 on success) and, on success, "out_len=N" and
 *       "out=HEX" (min(out_len, buffer) bytes).
 *   kt-tool info NODE [--size N] [--flags N] [--len N]
 *       one FWCTL_INFO; prints errno=, type=, len=.
 *   kt-tool cmd NODE CMD
 *       ioctl(fd, CMD, struct with size 32): prints errno= (unknown commands).
 *   kt-tool exec DEVICE OPERATION JSON
 *       Device.Execute through fwctld; prints "pid=N" and "result=JSON", or
 *       "error=NAME" and "message=TEXT" (exit 1).
 *   kt-tool flood DEVICE CONNS PER_CONN SCOPE MAX_RESPONSE HEX
 *       CONNS bus connections each send PER_CONN asynchronous Device.Rpc calls
 *       to fwctld's /org/freedesktop/fwctl1/device/DEVICE, prints "sent=N"
 *       once every call is on the bus, then waits for every reply and prints
 *       "ok=N", "error.NAME=N" per error name and "answered=N". With
 *       KT_UNBIND_PATH and KT_UNBIND_VALUE set, it writes VALUE to PATH (a
 *       driver's unbind file) right after "sent=": at once, while calls queue.
 *
 * The fwctl uAPI structs are written here from kernel-fwctl.md §1; each
 * offset is pinned with static_assert.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define FWCTL_INFO_CMD 0x9A00u
#define FWCTL_RPC_CMD 0x9A01u
#define MAX_CONNS 16

struct kt_info {
        uint32_t size;
        uint32_t flags;
        uint32_t out_device_type;
        uint32_t device_data_len;
        uint64_t out_device_data;
};
static_assert(sizeof(struct kt_info) == 24, "fwctl_info size");
static_assert(offsetof(struct kt_info, out_device_data) == 16, "out_device_data");

struct kt_rpc {
        uint32_t size;
        uint32_t scope;
        uint32_t in_len;
        uint32_t out_len;
        uint64_t in;
        uint64_t out;
};
static_assert(sizeof(struct kt_rpc) == 32, "fwctl_rpc size");
static_assert(offsetof(struct kt_rpc, out_len) == 12, "out_len");
static_assert(offsetof(struct kt_rpc, out) == 24, "out");

static int usage(void)
{
        fprintf(stderr, "usage: kt-tool rpc|info|cmd|flood ... (see the source)\n");
        return 2;
}

static bool parse_u64(const char *s, uint64_t *ret)
{
        char *end = NULL;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno != 0 || end == s || *end != '\0')
                return false;
        *ret = v;
        return true;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static uint8_t *parse_hex(const char *s, size_t *len)
{
        size_t n = strlen(s);
        uint8_t *buf;

        if (n % 2 != 0)
                return NULL;
        buf = calloc(n / 2 + 1, 1);
        if (!buf)
                return NULL;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        free(buf);
                        return NULL;
                }
                buf[i] = (uint8_t) (hi << 4 | lo);
        }
        *len = n / 2;
        return buf;
}

static void print_hex(const char *key, const uint8_t *p, size_t n)
{
        printf("%s=", key);
        for (size_t i = 0; i < n; i++)
                printf("%02x", p[i]);
        printf("\n");
}

static void print_errno(int e)
{
        const char *name = e ? strerrorname_np(e) : "0";
        printf("errno=%s\n", name ? name : "unknown");
}

static int open_node(const char *node)
{
        int fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                fprintf(stderr, "kt-tool: open %s: %m\n", node);
        return fd;
}

/* One ioctl on a fresh fd of the node (a uctx of its own), its errno printed: returns that
 * errno (0 on success), or -1 when the node did not open. */
static int node_ioctl(const char *node, unsigned long request, void *arg)
{
        int fd = open_node(node), r, e;

        if (fd < 0)
                return -1;
        r = ioctl(fd, request, arg);
        e = r < 0 ? errno : 0;
        close(fd);
        print_errno(e);
        return e;
}

struct rpc_opts {
        uint64_t size, in_len, out_len;
        bool tail_nonzero, in_len_set;
};

static bool rpc_parse_opts(int argc, char **argv, struct rpc_opts *o)
{
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--tail-nonzero") == 0) {
                        o->tail_nonzero = true;
                        continue;
                }
                if (i + 1 >= argc)
                        return false;
                if (strcmp(argv[i], "--size") == 0 && parse_u64(argv[i + 1], &o->size))
                        i++;
                else if (strcmp(argv[i], "--in-len") == 0 && parse_u64(argv[i + 1], &o->in_len)) {
                        o->in_len_set = true;
                        i++;
                } else if (strcmp(argv[i], "--out-len") == 0 && parse_u64(argv[i + 1], &o->out_len))
                        i++;
                else
                        return false;
        }
        return o->size >= 4 && o->size <= 4096;
}

static int cmd_rpc(int argc, char **argv)
{
        struct rpc_opts o = { .size = 32, .out_len = 4096 };
        uint64_t scope;
        size_t in_len = 0;
        uint8_t *in, *out, *arg;
        struct kt_rpc *rpc;
        int e;

        if (argc < 3 || !parse_u64(argv[1], &scope) || !rpc_parse_opts(argc - 3, argv + 3, &o))
                return usage();
        in = parse_hex(argv[2], &in_len);
        if (!in)
                return usage();
        out = calloc(o.out_len + 1, 1);
        arg = calloc(o.size > sizeof(*rpc) ? o.size : sizeof(*rpc), 1);
        if (!out || !arg)
                return 2;
        if (o.size > sizeof(*rpc) && o.tail_nonzero)
                arg[o.size - 1] = 1;
        rpc = (struct kt_rpc *) arg;
        rpc->size = (uint32_t) o.size;
        rpc->scope = (uint32_t) scope;
        rpc->in_len = (uint32_t) (o.in_len_set ? o.in_len : in_len);
        rpc->out_len = (uint32_t) o.out_len;
        rpc->in = (uint64_t) (uintptr_t) in;
        rpc->out = (uint64_t) (uintptr_t) out;
        e = node_ioctl(argv[0], FWCTL_RPC_CMD, arg);
        if (e < 0)
                return 2;
        if (e == 0) {
                printf("out_len=%u\n", rpc->out_len);
                print_hex("out", out, rpc->out_len < o.out_len ? rpc->out_len : o.out_len);
        }
        free(in);
        free(out);
        free(arg);
        return 0;
}

static int cmd_info(int argc, char **argv)
{
        uint64_t size = 24, flags = 0, len = 64, v;
        uint8_t data[4096] = { 0 };
        uint8_t arg[64] = { 0 };
        struct kt_info *info = (struct kt_info *) arg;
        int e;

        if (argc < 1)
                return usage();
        for (int i = 1; i + 1 < argc; i += 2) {
                if (!parse_u64(argv[i + 1], &v))
                        return usage();
                if (strcmp(argv[i], "--size") == 0 && v <= sizeof(arg))
                        size = v;
                else if (strcmp(argv[i], "--flags") == 0)
                        flags = v;
                else if (strcmp(argv[i], "--len") == 0 && v <= sizeof(data))
                        len = v;
                else
                        return usage();
        }
        info->size = (uint32_t) size;
        info->flags = (uint32_t) flags;
        info->device_data_len = (uint32_t) len;
        info->out_device_data = (uint64_t) (uintptr_t) data;
        e = node_ioctl(argv[0], FWCTL_INFO_CMD, arg);
        if (e < 0)
                return 2;
        if (e == 0)
                printf("type=%u\nlen=%u\n", info->out_device_type, info->device_data_len);
        return 0;
}

static int cmd_cmd(int argc, char **argv)
{
        uint64_t cmd;
        uint8_t arg[64] = { 32 };

        if (argc != 2 || !parse_u64(argv[1], &cmd))
                return usage();
        if (node_ioctl(argv[0], (unsigned long) cmd, arg) < 0)
                return 2;
        return 0;
}

static int cmd_exec(int argc, char **argv)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus *bus = NULL;
        const char *json = NULL;
        char path[256];
        int r;

        if (argc != 3)
                return usage();
        snprintf(path, sizeof(path), "/org/freedesktop/fwctl1/device/%s", argv[0]);
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "kt-tool exec: %s\n", strerror(-r));
                return 2;
        }
        printf("pid=%d\n", (int) getpid());
        r = sd_bus_call_method(bus, "org.freedesktop.fwctl1", path, "org.freedesktop.fwctl1.Device",
                               "Execute", &error, &reply, "ss", argv[1], argv[2]);
        if (r < 0) {
                printf("error=%s\nmessage=%s\n", error.name ? error.name : "(none)",
                       error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                sd_bus_flush_close_unref(bus);
                return 1;
        }
        r = sd_bus_message_read(reply, "s", &json);
        if (r >= 0)
                printf("result=%s\n", json);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? 2 : 0;
}

/* ------------------------------------------------------------------ flood */

struct flood {
        unsigned answered, ok;
        char names[32][128];
        unsigned counts[32];
        unsigned nnames;
};

static void flood_count(struct flood *f, const char *name)
{
        for (unsigned i = 0; i < f->nnames; i++)
                if (strcmp(f->names[i], name) == 0) {
                        f->counts[i]++;
                        return;
                }
        if (f->nnames < 32) {
                snprintf(f->names[f->nnames], sizeof(f->names[0]), "%s", name);
                f->counts[f->nnames++] = 1;
        }
}

static int flood_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        struct flood *f = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        (void) ret_error;
        f->answered++;
        if (e)
                flood_count(f, e->name);
        else
                f->ok++;
        return 0;
}

static int flood_send(sd_bus *bus, const char *path, uint32_t scope, uint32_t max,
                      const uint8_t *req, size_t req_len, struct flood *f)
{
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.fwctl1", path,
                                           "org.freedesktop.fwctl1.Device", "Rpc");
        if (r >= 0)
                r = sd_bus_message_append(m, "u", scope);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', req, req_len);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", max);
        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, m, flood_reply, f, 120 * 1000000ULL);
        sd_bus_message_unref(m);
        return r;
}

static int flood_wait(sd_bus **buses, unsigned nconn, struct flood *f, unsigned total)
{
        struct pollfd p[MAX_CONNS];

        while (f->answered < total) {
                bool progress = false;
                for (unsigned c = 0; c < nconn; c++) {
                        int r = sd_bus_process(buses[c], NULL);
                        if (r < 0)
                                return r;
                        progress |= r > 0;
                }
                if (progress)
                        continue;
                for (unsigned c = 0; c < nconn; c++) {
                        p[c].fd = sd_bus_get_fd(buses[c]);
                        p[c].events = (short) sd_bus_get_events(buses[c]);
                        p[c].revents = 0;
                }
                if (poll(p, nconn, 1000) < 0 && errno != EINTR)
                        return -errno;
        }
        return 0;
}

/* The hot-unplug under load: the unbind right after the last call is on the bus, with no
 * shell round trip in between (fwctld would otherwise have run every call already). */
static int flood_unbind(void)
{
        const char *path = getenv("KT_UNBIND_PATH"), *value = getenv("KT_UNBIND_VALUE");
        size_t len;
        ssize_t n;
        int fd;

        if (!path || !value)
                return 0;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = strlen(value);
        n = write(fd, value, len);
        n = n < 0 ? -errno : n;
        close(fd);
        if (n < 0)
                return (int) n;
        printf("unbound=1\n");
        fflush(stdout);
        return 0;
}

static int cmd_flood(int argc, char **argv)
{
        uint64_t nconn, per, scope, max;
        sd_bus *buses[MAX_CONNS] = { NULL };
        struct flood f = { 0 };
        char path[256];
        size_t req_len = 0;
        uint8_t *req;
        int r = 0;

        if (argc != 6 || !parse_u64(argv[1], &nconn) || !parse_u64(argv[2], &per) ||
            !parse_u64(argv[3], &scope) || !parse_u64(argv[4], &max) || nconn < 1 ||
            nconn > MAX_CONNS || per < 1 || per > 1000)
                return usage();
        req = parse_hex(argv[5], &req_len);
        if (!req)
                return usage();
        snprintf(path, sizeof(path), "/org/freedesktop/fwctl1/device/%s", argv[0]);
        for (unsigned c = 0; c < nconn && r >= 0; c++) {
                r = sd_bus_open_system(&buses[c]);
                for (unsigned i = 0; i < per && r >= 0; i++)
                        r = flood_send(buses[c], path, (uint32_t) scope, (uint32_t) max, req, req_len, &f);
        }
        for (unsigned c = 0; c < nconn && r >= 0; c++)
                r = sd_bus_flush(buses[c]);
        if (r < 0) {
                fprintf(stderr, "kt-tool flood: %s\n", strerror(-r));
                return 2;
        }
        printf("sent=%u\n", (unsigned) (nconn * per));
        fflush(stdout);
        r = flood_unbind();
        if (r >= 0)
                r = flood_wait(buses, (unsigned) nconn, &f, (unsigned) (nconn * per));
        printf("ok=%u\n", f.ok);
        for (unsigned i = 0; i < f.nnames; i++)
                printf("error.%s=%u\n", f.names[i], f.counts[i]);
        printf("answered=%u\n", f.answered);
        for (unsigned c = 0; c < nconn; c++)
                sd_bus_flush_close_unref(buses[c]);
        free(req);
        return r < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return usage();
        if (strcmp(argv[1], "rpc") == 0)
                return cmd_rpc(argc - 2, argv + 2);
        if (strcmp(argv[1], "info") == 0)
                return cmd_info(argc - 2, argv + 2);
        if (strcmp(argv[1], "cmd") == 0)
                return cmd_cmd(argc - 2, argv + 2);
        if (strcmp(argv[1], "exec") == 0)
                return cmd_exec(argc - 2, argv + 2);
        if (strcmp(argv[1], "flood") == 0)
                return cmd_flood(argc - 2, argv + 2);
        return usage();
}
