/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * emu-selftest: runs as fwctl-emu's COMMAND and issues raw fwctl ioctls,
 * checking the emulator against the kernel rules of kernel-fwctl.md (core
 * order and errnos, then each driver). Expects fwctl0=mlx5, fwctl1=cxl,
 * fwctl2=bnxt, fwctl3=pds, fwctl4=sample, and FWCTL_EMU_FAULT_LOG set (the
 * fault tests send requests that would corrupt a real kernel's memory and check
 * the emulator reports each one there). Usage: emu-selftest CONTROL_SOCKET TAINT_FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <fwctld/fwctl-uapi.h>

static int passed, failed;
static const char *ctl_path, *taint_path, *fault_log;
static char last_fault[1024];

__attribute__((format(printf, 2, 3)))
static void check(bool ok, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        printf("%s: ", ok ? "PASS" : "FAIL");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        if (ok)
                passed++;
        else
                failed++;
}

/* Send one control line, return the reply in a static buffer. */
__attribute__((format(printf, 1, 2)))
static const char *ctl(const char *fmt, ...)
{
        static char reply[512];
        char line[256];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        va_list ap;
        int fd;
        size_t n = 0;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line) - 1, fmt, ap);
        va_end(ap);
        strcat(line, "\n");
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return "error connect";
        if (write(fd, line, strlen(line)) < 0) {
                close(fd);
                return "error write";
        }
        while (n < sizeof(reply) - 1) {
                ssize_t r = read(fd, reply + n, sizeof(reply) - 1 - n);
                if (r <= 0)
                        break;
                n += (size_t)r;
                if (memchr(reply, '\n', n))
                        break;
        }
        close(fd);
        reply[n] = '\0';
        char *nl = strchr(reply, '\n');
        if (nl)
                *nl = '\0';
        return reply;
}

static int open_dev(int n)
{
        char p[64];
        snprintf(p, sizeof(p), "/dev/fwctl/fwctl%d", n);
        return open(p, O_RDWR | O_CLOEXEC);
}

/* ioctl returning 0 or the errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
        return ioctl(fd, req, arg) < 0 ? errno : 0;
}

static int info(int fd, void *buf, uint32_t len, uint32_t *out_len, uint32_t *type)
{
        struct fwctl_info i = { .size = sizeof(i), .device_data_len = len,
                                .out_device_data = (uintptr_t)buf };
        int e = xioctl(fd, FWCTL_INFO, &i);
        if (out_len)
                *out_len = i.device_data_len;
        if (type)
                *type = i.out_device_type;
        return e;
}

static int rpc(int fd, uint32_t scope, const void *in, uint32_t in_len, void *out,
               uint32_t *out_len)
{
        struct fwctl_rpc r = { .size = sizeof(r), .scope = scope, .in_len = in_len,
                               .out_len = *out_len, .in = (uintptr_t)in,
                               .out = (uintptr_t)out };
        int e = xioctl(fd, FWCTL_RPC, &r);
        *out_len = r.out_len;
        return e;
}

static unsigned long long read_taint(void)
{
        FILE *f = fopen(taint_path, "r");
        unsigned long long v = 0;
        if (f) {
                if (fscanf(f, "%llu", &v) != 1)
                        v = 0;
                fclose(f);
        }
        return v;
}

static void set_rawio(bool on)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        syscall(SYS_capget, &h, d);
        if (on)
                d[0].effective |= 1u << CAP_SYS_RAWIO;
        else
                d[0].effective &= ~(1u << CAP_SYS_RAWIO);
        syscall(SYS_capset, &h, d);
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void stats(const char *name, unsigned *i, unsigned *r)
{
        *i = *r = ~0u;
        sscanf(ctl("stats %s", name), "ok info=%u rpc=%u", i, r);
}

/* mlx5 command header: opcode BE16 @0, op_mod BE16 @6. */
static void mlx5_cmd(uint8_t *in, uint16_t op, uint16_t op_mod)
{
        memset(in, 0, 16);
        in[0] = op >> 8, in[1] = op & 0xff;
        in[6] = op_mod >> 8, in[7] = op_mod & 0xff;
}

static void test_core(void)
{
        int fd = open_dev(0);
        uint8_t buf[64], in[64], out[256];
        uint32_t len, type, ol;
        unsigned i0, r0, i1, r1;

        check(fd >= 0, "open /dev/fwctl/fwctl0");
        stats("fwctl0", &i0, &r0);

        check(xioctl(fd, 0x9A02, buf) == ENOTTY, "unknown nr -> ENOTTY");
        check(xioctl(fd, _IOWR(0x9A, 0, struct fwctl_info), buf) == ENOTTY,
              "_IOWR-encoded INFO -> ENOTTY");

        struct { struct fwctl_info i; uint64_t tail; } big = { 0 };
        big.i.size = 16;
        check(xioctl(fd, FWCTL_INFO, &big) == EINVAL, "INFO size 16 -> EINVAL");
        big.i.size = sizeof(big);
        big.tail = 1;
        check(xioctl(fd, FWCTL_INFO, &big) == E2BIG, "INFO non-zero tail -> E2BIG");
        big.tail = 0;
        check(xioctl(fd, FWCTL_INFO, &big) == 0 && big.i.out_device_type == 1,
              "INFO larger struct, zero tail accepted");
        struct fwctl_info fi = { .size = sizeof(fi), .flags = 1 };
        check(xioctl(fd, FWCTL_INFO, &fi) == EOPNOTSUPP, "INFO flags -> EOPNOTSUPP");
        struct fwctl_rpc fr = { .size = 24 };
        check(xioctl(fd, FWCTL_RPC, &fr) == EINVAL, "RPC size 24 -> EINVAL");
        struct { struct fwctl_rpc r; uint32_t tail[2]; } brpc = { .r = { .size = 40 }, .tail = { 0, 5 } };
        check(xioctl(fd, FWCTL_RPC, &brpc) == E2BIG, "RPC non-zero tail -> E2BIG");

        check(info(fd, buf, 0, &len, &type) == 0 && len == 0 && type == 1,
              "INFO len 0 -> len 0, type mlx5");
        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, 4, &len, NULL) == 0 && len == 8 && buf[4] == 0xff,
              "INFO short buffer: true length 8, 4 bytes written");
        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, 16, &len, NULL) == 0 && len == 8 && buf[4] == 4 && buf[8] == 0 &&
                      buf[15] == 0 && buf[16] == 0xff,
              "INFO 16-byte buffer: caps 4, zero padded to 16");

        ol = sizeof(out);
        check(rpc(fd, 0, in, FWCTLD_MAX_RPC_LEN + 1, out, &ol) == EMSGSIZE, "in_len > 2MiB -> EMSGSIZE");
        ol = FWCTLD_MAX_RPC_LEN + 1;
        check(rpc(fd, 0, in, 16, out, &ol) == EMSGSIZE, "out_len > 2MiB -> EMSGSIZE");
        mlx5_cmd(in, 0x101, 0);
        ol = sizeof(out);
        check(rpc(fd, 4, in, 16, out, &ol) == EOPNOTSUPP, "scope 4 -> EOPNOTSUPP");
        check(read_taint() == 0, "no taint yet");
        mlx5_cmd(in, 0x999, 0);
        ol = sizeof(out);
        check(rpc(fd, 2, in, 16, out, &ol) == EBADMSG && (read_taint() & 0x80000),
              "scope 2 taints before the driver rejects (EBADMSG)");
        set_rawio(false);
        mlx5_cmd(in, 0x820, 0);
        ol = sizeof(out);
        check(rpc(fd, 3, in, 16, out, &ol) == EPERM, "scope 3 without CAP_SYS_RAWIO -> EPERM");
        set_rawio(true);
        ol = sizeof(out);
        check(rpc(fd, 3, in, 16, out, &ol) == 0, "scope 3 with CAP_SYS_RAWIO ok");

        /* The caller's in buffer is never written (the kernel stamps the uid in its copy). */
        mlx5_cmd(in, 0x101, 0);
        in[2] = 0xaa, in[3] = 0xbb;
        ol = sizeof(out);
        check(rpc(fd, 0, in, 16, out, &ol) == 0 && in[2] == 0xaa && in[3] == 0xbb,
              "in buffer untouched");
        ol = 0;
        check(rpc(fd, 0, in, 16, out, &ol) == EMSGSIZE, "mlx5 out_len 0 -> EMSGSIZE");
        stats("fwctl0", &i1, &r1);
        check(i1 - i0 == 7 && r1 - r0 == 10, "stats count every call incl. rejected (%u, %u)",
              i1 - i0, r1 - r0);
        check(strcmp(ctl("last fwctl0"), "ok scope=0 in_len=16 out_len=0") == 0, "last: %s",
              ctl("last fwctl0"));
        check(strncmp(ctl("frobnicate"), "error", 5) == 0, "unknown control command");
        close(fd);
}

static void test_mlx5(void)
{
        int fd = open_dev(0);
        uint8_t in[32], out[512];
        uint32_t ol;

        ol = sizeof(out);
        check(rpc(fd, 0, in, 8, out, &ol) == EMSGSIZE, "mlx5 in_len 8 -> EMSGSIZE");
        ol = 8;
        mlx5_cmd(in, 0x101, 0);
        check(rpc(fd, 0, in, 16, out, &ol) == EMSGSIZE, "mlx5 out_len 8 -> EMSGSIZE");
        struct { uint16_t op, mod; uint32_t scope; int err; } t[] = {
                { 0x999, 0, 3, EBADMSG }, { 0x821, 0, 0, EBADMSG }, { 0x821, 0, 1, 0 },
                { 0x805, 0, 0, 0 }, { 0x805, 1, 0, EBADMSG }, { 0x805, 1, 1, 0 },
                { 0xb0c, 0, 0, 0 }, { 0xb0c, 2, 0, EBADMSG }, { 0x820, 0, 1, EBADMSG },
                { 0x820, 0, 2, 0 }, { 0x100, 0, 0, 0 }, { 0x731, 0, 0, 0 }, { 0x732, 0, 0, EBADMSG },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                mlx5_cmd(in, t[i].op, t[i].mod);
                ol = 64;
                check(rpc(fd, t[i].scope, in, 16, out, &ol) == t[i].err,
                      "mlx5 opcode 0x%x op_mod %u scope %u -> %d", t[i].op, t[i].mod, t[i].scope,
                      t[i].err);
        }
        mlx5_cmd(in, 0x101, 0);
        ol = sizeof(out);
        check(rpc(fd, 0, in, 16, out, &ol) == 0 && ol == sizeof(out) && out[0] == 0 &&
                      memcmp(out + 256, "MT_0000000001", 13) == 0,
              "mlx5 QUERY_ADAPTER: status 0, PSID, out_len echoed");
        mlx5_cmd(in, 0x100, 0xffff);
        ol = 64;
        check(rpc(fd, 0, in, 16, out, &ol) == 0 && out[0] == 2 &&
                      (out[4] | out[5] | out[6] | out[7]) != 0,
              "mlx5 QUERY_HCA_CAP bad op_mod: ioctl ok, status BAD_OP + syndrome");
        close(fd);
}

static void test_bnxt(void)
{
        int fd = open_dev(2);
        uint8_t in[256] = { 0 }, out[256], buf[8], dst[64];
        uint32_t ol, len, type;

        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, 8, &len, &type) == 0 && len == 4 && type == 3 && buf[0] == 0xf &&
                      buf[4] == 0,
              "bnxt INFO: caps 0xf, type 3");
        ol = 64;
        check(rpc(fd, 1, in, 8, out, &ol) == EINVAL, "bnxt in_len 8 -> EINVAL");
        check(rpc(fd, 1, in, 129, out, &ol) == EINVAL, "bnxt in_len 129 -> EINVAL");
        ol = 4;
        check(rpc(fd, 1, in, 16, out, &ol) == EINVAL, "bnxt out_len 4 -> EINVAL");
        in[0] = 0x34, in[1] = 0x12;
        ol = 64;
        check(rpc(fd, 3, in, 16, out, &ol) == EPERM, "bnxt unknown req_type -> EPERM");
        in[0] = 0x2b, in[1] = 0;
        check(rpc(fd, 1, in, 24, out, &ol) == EPERM, "bnxt I2C_WRITE at scope 1 -> EPERM");
        ol = 64;
        check(rpc(fd, 2, in, 24, out, &ol) == 0, "bnxt I2C_WRITE at scope 2 ok");
        in[0] = 0, in[4] = 0x42;
        ol = 32;
        check(rpc(fd, 0, in, 24, out, &ol) == EPERM, "bnxt VER_GET at scope 0 -> EPERM");
        memset(out, 0xee, sizeof(out));
        check(rpc(fd, 1, in, 24, out, &ol) == 0 && ol == 32 && out[0] == 0 && out[1] == 0 &&
                      out[4] == 0x42 && out[6] == 104 && out[32] == 0xee,
              "bnxt VER_GET truncated: resp_len 104, seq echoed, out_len echoed 32");
        ol = 128;
        check(rpc(fd, 1, in, 24, out, &ol) == 0 && out[103] == 1 &&
                      strncmp((char *)out + 32, "224.0.123.0", 11) == 0,
              "bnxt VER_GET full: version string, valid byte");
        in[0] = 0xe0;
        ol = 64;
        check(rpc(fd, 1, in, 24, out, &ol) == 0 && out[6] == 16 && out[8] == 47,
              "bnxt TEMP_MONITOR_QUERY: resp_len 16, 47C");
        /* NVM_READ: host_dest_addr @16, dir_idx @24, offset @28, len @32; 40 bytes. */
        memset(in, 0, sizeof(in));
        in[0] = 0xfd, in[1] = 0xff;
        uint64_t a = (uintptr_t)dst;
        memcpy(in + 16, &a, 8);
        uint32_t l = sizeof(dst);
        memcpy(in + 32, &l, 4);
        ol = 64;
        check(rpc(fd, 0, in, 40, out, &ol) == EPERM, "bnxt NVM_READ at scope 0 -> EPERM");
        check(rpc(fd, 1, in, 48, out, &ol) == EINVAL, "bnxt NVM_READ wrong in_len -> EINVAL");
        memset(dst, 0, sizeof(dst));
        check(rpc(fd, 1, in, 40, out, &ol) == 0 && dst[1] == 13 && dst[63] == (uint8_t)(63 * 13),
              "bnxt NVM_READ copies to host_dest_addr");
        memset(in + 32, 0, 4);
        check(rpc(fd, 0, in, 40, out, &ol) == EINVAL, "bnxt NVM_READ len 0 -> EINVAL before scope");
        close(fd);
}

/* struct fwctl_rpc_cxl: opcode, flags, op_size, reserved, then the mailbox input. */
static uint32_t cxl_in(uint8_t *in, uint16_t op, uint32_t op_size)
{
        memset(in, 0, 64);
        memcpy(in, &(uint32_t){ op }, 4);
        memcpy(in + 8, &op_size, 4);
        return 16 + op_size;
}

static const uint8_t uuid_imm[16] = { 0x0e, 0x1d, 0x7b, 0x3a, 0x5c, 0x2f, 0x4b, 0x8e,
                                      0x9a, 0x61, 0x2f, 0x3c, 0x4d, 0x5e, 0x6f, 0x70 };
static const uint8_t uuid_reset[16] = { 0x7a, 0x4c, 0x2e, 0x91, 0x3b, 0x6d, 0x4f, 0x08,
                                        0x8c, 0x15, 0x9e, 0x2a, 0x7b, 0x3c, 0x4d, 0x51 };
static const uint8_t uuid_ro[16] = { 0xc3, 0xf1, 0xa8, 0xd2, 0x6e, 0x4b, 0x4a, 0x7c,
                                     0xb2, 0x39, 0x5d, 0x8e, 0x1f, 0x0a, 0x2b, 0x64 };
static const uint8_t uuid_scrub[16] = { 0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b,
                                        0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a };
static const uint8_t uuid_bg[16] = { 0x5b, 0x9e, 0x0c, 0x47, 0xa1, 0xd3, 0x4e, 0x26,
                                     0x8f, 0x7b, 0x3c, 0x0d, 0x9e, 0x8a, 0x1f, 0x22 };

static int cxl_set(int fd, uint32_t scope, const uint8_t *uuid, uint32_t val)
{
        uint8_t in[128], out[64];
        uint32_t il = cxl_in(in, 0x502, 32 + 4), ol = sizeof(out);
        memcpy(in + 16, uuid, 16);
        memcpy(in + 16 + 32, &val, 4);
        return rpc(fd, scope, in, il, out, &ol);
}

static void test_cxl(void)
{
        int fd = open_dev(1);
        uint8_t in[128], out[512], buf[16];
        uint32_t ol, il, len, type;

        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, 16, &len, &type) == 0 && len == 0 && type == 2 && buf[0] == 0 &&
                      buf[15] == 0,
              "cxl INFO: no info op, length 0, buffer zeroed");
        il = cxl_in(in, 0x500, 8);
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == 0 && ol == 24 && out[0] == 8 && out[10] == 6 &&
                      out[8] == 0,
              "cxl GSF count 0: header only, 6 supported, out_len 16 + 8");
        uint32_t count = 10 * 48;
        memcpy(in + 16, &count, 4);
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == 0 && ol == 16 + 8 + 6 * 48 && out[8] == 6,
              "cxl GSF: 6 entries, out_len = sizeof(fwctl_rpc_cxl_out) + size");
        const uint8_t *scrub = out + 16 + 3 * 48;
        check(memcmp(scrub, uuid_scrub, 16) == 0 && scrub[20] == 0 && (scrub[22] & 1) == 0,
              "cxl GSF: patrol scrub listed, set size 0, not changeable");
        in[20] = 6;
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == EINVAL, "cxl GSF start_idx 6 -> EINVAL");
        memset(in + 16, 0, 4);
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == EINVAL, "cxl GSF count 0, start_idx 6 -> EINVAL");
        il = cxl_in(in, 0x500, 4);
        check(rpc(fd, 0, in, il, out, &ol) == EINVAL, "cxl GSF op_size 4 -> EINVAL");
        il = cxl_in(in, 0x501, 21);
        memcpy(in + 16, uuid_ro, 16);
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == EINVAL, "cxl Get Feature count 0 -> EINVAL");
        in[16 + 18] = 16;
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == 0 && ol == 32 && out[0] == 16 &&
                      memcmp(out + 8, "EMU-CXL", 7) == 0,
              "cxl Get Feature: data at 8, out_len 16 + data");
        in[16 + 18] = 17;
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == 0 && ol == 16 && out[0] == 0 && out[4] == 0,
              "cxl Get Feature past the data: size 0, retval 0 (kernel min_out)");
        check(cxl_set(fd, 2, uuid_imm, 0x55) == EINVAL, "cxl Set immediate at scope 2 -> EINVAL");
        check(cxl_set(fd, 3, uuid_imm, 0x55) == 0, "cxl Set immediate at scope 3 ok");
        memcpy(in + 16, uuid_imm, 16);
        in[16 + 18] = 4;
        ol = sizeof(out);
        check(rpc(fd, 0, in, il, out, &ol) == 0 && out[8] == 0x55, "cxl Get Feature sees new value");
        check(cxl_set(fd, 1, uuid_reset, 1) == EINVAL, "cxl Set reset-only at scope 1 -> EINVAL");
        check(cxl_set(fd, 2, uuid_reset, 1) == 0, "cxl Set reset-only at scope 2 ok");
        check(cxl_set(fd, 3, uuid_ro, 1) == EINVAL, "cxl Set read-only -> EINVAL");
        check(cxl_set(fd, 3, uuid_scrub, 1) == EPERM, "cxl Set patrol scrub at scope 3 -> EPERM");
        check(cxl_set(fd, 2, uuid_scrub, 1) == EINVAL, "cxl Set patrol scrub at scope 2 -> EINVAL");
        check(cxl_set(fd, 3, uuid_bg, 1) == EINVAL, "cxl Set background feature -> EINVAL");
        il = cxl_in(in, 0x400, 0);
        check(rpc(fd, 3, in, il, out, &ol) == EINVAL, "cxl other opcode -> EINVAL");
        close(fd);
}

/* struct fwctl_rpc_pds: in {op, ep, rsvd, len, payload}, out {retval, rsvd[2], len, payload}. */
struct pds_rpc {
        uint32_t op, ep, rsvd, in_len;
        uint64_t in_payload;
        uint32_t retval, rsvd2[2], out_len;
        uint64_t out_payload;
};

static int pds(int fd, uint32_t scope, uint32_t op, uint32_t ep, uint32_t in_len,
               uint32_t out_len, struct pds_rpc *res, uint8_t *pout)
{
        static uint8_t pin[8192];
        struct pds_rpc q = { .op = op, .ep = ep, .in_len = in_len,
                             .in_payload = (uintptr_t)pin, .out_len = out_len,
                             .out_payload = (uintptr_t)pout };
        uint32_t ol = sizeof(*res);
        memset(pin, 0x11, sizeof(pin));
        memset(res, 0xee, sizeof(*res));
        int e = rpc(fd, scope, &q, sizeof(q), res, &ol);
        if (!e && ol != 48)
                return -1;
        return e;
}

static void test_pds(void)
{
        int fd = open_dev(3);
        uint8_t buf[16], pout[64];
        uint32_t len, type;
        struct pds_rpc res;

        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, 16, &len, &type) == 0 && len == 0 && type == 4 && buf[0] == 0,
              "pds INFO: length 0, zeroed (mainline)");
        memset(pout, 0, sizeof(pout));
        check(pds(fd, 0, 0x10001, 1, 8, 32, &res, pout) == 0 && res.retval == 0 &&
                      res.op == 0x10001 && pout[0] == 0x11 && pout[31] != 0,
              "pds ep1 op1 ok: out_len 48, payload written");
        check(pds(fd, 0, 0x20001, 1, 8, 32, &res, pout) == EINVAL, "pds op version too new -> EINVAL");
        check(pds(fd, 0, 0x20002, 1, 8, 32, &res, pout) == 0, "pds op version <= fw ok");
        check(pds(fd, 3, 0x10001, 9, 8, 32, &res, pout) == EINVAL, "pds unknown endpoint -> EINVAL");
        check(pds(fd, 3, 0x10099, 1, 8, 32, &res, pout) == EINVAL, "pds unknown op -> EINVAL");
        check(pds(fd, 0, 0x10001, 1, 5000, 32, &res, pout) == EINVAL, "pds in.len too big -> EINVAL");
        check(pds(fd, 0, 0x10010, 2, 0, 32, &res, pout) == EPERM, "pds debug-read at scope 0 -> EPERM");
        check(pds(fd, 1, 0x10010, 2, 0, 32, &res, pout) == 0, "pds debug-read at scope 1 ok");
        check(pds(fd, 1, 0x10011, 2, 0, 32, &res, pout) == EPERM, "pds debug-write at scope 1 -> EPERM");
        check(pds(fd, 2, 0x10012, 2, 0, 32, &res, pout) == EPERM, "pds other attr at scope 2 -> EPERM");
        check(pds(fd, 3, 0x10012, 2, 0, 32, &res, pout) == 0, "pds other attr at scope 3 ok");
        check(pds(fd, 1, 0x10013, 2, 0, 32, &res, pout) == 0 && res.retval == 5,
              "pds firmware error in retval, ioctl ok");
        close(fd);
}

/* Lines in the fault log so far; the last one is kept in last_fault. */
static int fault_lines(void)
{
        FILE *f = fault_log ? fopen(fault_log, "r") : NULL;
        char line[sizeof(last_fault)];
        int n = 0;

        last_fault[0] = '\0';
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                n++;
                snprintf(last_fault, sizeof(last_fault), "%s", line);
        }
        fclose(f);
        return n;
}

/* Exactly one new fault line since @before, containing every word of @want (NULL-terminated). */
static bool new_fault(int before, const char *const *want)
{
        if (fault_lines() != before + 1)
                return false;
        for (size_t i = 0; want[i]; i++)
                if (!strstr(last_fault, want[i]))
                        return false;
        return strncmp(last_fault, "EMULATOR FAULT: ", 16) == 0;
}

/* Get Feature of the 16-byte read-only feature, out_len @ol. */
static int cxl_get_ro(int fd, uint8_t *out, uint32_t *ol, uint16_t count)
{
        uint8_t in[64];
        uint32_t il = cxl_in(in, 0x501, 21);

        memcpy(in + 16, uuid_ro, 16);
        memcpy(in + 16 + 18, &count, 2);
        return rpc(fd, 0, in, il, out, ol);
}

/* Linux 7.3.4 refuses out buffers older mainline overflowed; each is also a fault. */
static void test_cxl_out_faults(int fd)
{
        uint8_t in[128], out[512];
        uint32_t ol, il, count;
        int n;

        n = fault_lines();
        memset(out, 0xee, sizeof(out));
        ol = 8;
        check(cxl_get_ro(fd, out, &ol, 16) == EINVAL && out[0] == 0xee,
              "cxl Get Feature count 16, out_len 8 -> EINVAL, nothing written");
        check(new_fault(n, (const char *const[]){ "device=fwctl1", "type=cxl", "opcode=0x0501",
                                                 "out_len=8 ", "writes=24:", "EINVAL",
                                                 "heap overflow", NULL }),
              "cxl Get Feature out_len 8 -> EMULATOR FAULT logged: %s", last_fault);
        n = fault_lines();
        ol = 0;
        check(cxl_get_ro(fd, out, &ol, 16) == EINVAL &&
                      new_fault(n, (const char *const[]){ "out_len=0 ", "writes=24:", "ZERO_SIZE_PTR", NULL }),
              "cxl Get Feature out_len 0 -> EINVAL and fault (ZERO_SIZE_PTR): %s", last_fault);
        n = fault_lines();
        ol = 23;
        check(cxl_get_ro(fd, out, &ol, 16) == EINVAL && fault_lines() == n + 1,
              "cxl Get Feature count 16, out_len 23 (count - 1) -> EINVAL and fault");
        n = fault_lines();
        ol = 24;
        check(cxl_get_ro(fd, out, &ol, 16) == 0 && ol == 32 && out[0] == 16 && fault_lines() == n,
              "cxl Get Feature out_len 8 + count: served (out_len 32), no fault");
        ol = 0;
        check(cxl_get_ro(fd, out, &ol, 0) == EINVAL && fault_lines() == n,
              "cxl Get Feature count 0, out_len 0: EINVAL before the size check, no fault");
        /* A mailbox failure writes the 8-byte header only, but the size check comes first. */
        il = cxl_in(in, 0x501, 21);
        memset(in + 16, 0x77, 16);
        in[16 + 18] = 4;
        ol = 12;
        check(rpc(fd, 0, in, il, out, &ol) == 0 && ol == 16 && out[4] == 3 && fault_lines() == n,
              "cxl Get Feature unknown uuid, out_len 12: UNSUPPORTED, no fault");
        ol = 4;
        check(rpc(fd, 0, in, il, out, &ol) == EINVAL &&
                      new_fault(n, (const char *const[]){ "out_len=4 ", "writes=12:", NULL }),
              "cxl Get Feature unknown uuid, out_len 4 -> EINVAL and fault: %s", last_fault);
        /* Set Feature needs room for its 8-byte header. */
        n = fault_lines();
        il = cxl_in(in, 0x502, 32 + 4);
        memcpy(in + 16, uuid_reset, 16);
        ol = 4;
        check(rpc(fd, 2, in, il, out, &ol) == EINVAL &&
                      new_fault(n, (const char *const[]){ "opcode=0x0502", "writes=8:",
                                                         "cxlctl_set_feature", NULL }),
              "cxl Set Feature out_len 4 -> EINVAL and fault: %s", last_fault);
        n = fault_lines();
        ol = 8;
        check(rpc(fd, 2, in, il, out, &ol) == 0 && ol == 16 && fault_lines() == n,
              "cxl Set Feature out_len 8: served (out_len 16), no fault");
        ol = 0;
        check(rpc(fd, 1, in, il, out, &ol) == EINVAL && fault_lines() == n,
              "cxl Set Feature refused by validation first (scope): no fault");
        /* Get Supported Features sizes its own buffer: a short out_len only truncates. */
        il = cxl_in(in, 0x500, 8);
        count = 10 * 48;
        memcpy(in + 16, &count, 4);
        ol = 8;
        check(rpc(fd, 0, in, il, out, &ol) == 0 && ol == 16 + 8 + 6 * 48 && fault_lines() == n,
              "cxl GSF out_len 8: truncated, no fault (kernel-sized buffer)");
}

static void test_cxl_in_faults(int fd)
{
        uint8_t in[64], out[64];
        uint32_t ol = sizeof(out);
        int n = fault_lines();

        /* op_size 8 but only the 16-byte header sent. */
        cxl_in(in, 0x500, 8);
        check(rpc(fd, 0, in, 16, out, &ol) == EINVAL &&
                      new_fault(n, (const char *const[]){ "opcode=0x0500", "in_len=16 ", "reads=24:",
                                                         "over-read", NULL }),
              "cxl GSF in_len 16, op_size 8 -> EINVAL and fault reads=24: %s", last_fault);
        n = fault_lines();
        ol = sizeof(out);
        check(rpc(fd, 0, in, 8, out, &ol) == EINVAL &&
                      new_fault(n, (const char *const[]){ "in_len=8 ", "reads=16:", NULL }),
              "cxl in_len 8 (no header) -> EINVAL and fault: %s", last_fault);
        n = fault_lines();
        check(rpc(fd, 0, in, 0, out, &ol) == EINVAL &&
                      new_fault(n, (const char *const[]){ "in_len=0 ", "reads=16:", "ZERO_SIZE_PTR", NULL }),
              "cxl in_len 0 -> EINVAL and fault (ZERO_SIZE_PTR): %s", last_fault);
        n = fault_lines();
        ol = sizeof(out);
        check(rpc(fd, 0, in, 24, out, &ol) == 0 && ol == 24 && fault_lines() == n,
              "cxl GSF in_len 16 + op_size: served, no fault");
}

static void test_pds_faults(void)
{
        int fd = open_dev(3), n = fault_lines();
        uint8_t pin[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, pout[32], res[64];
        struct pds_rpc q = { .op = 0x10001, .ep = 1, .in_len = 8, .in_payload = (uintptr_t)pin,
                             .out_len = 32, .out_payload = (uintptr_t)pout };
        uint8_t big[56];
        uint32_t ol = sizeof(res);

        /* The kernel reads 48 bytes from kvzalloc(40): out.payload is heap garbage. */
        check(rpc(fd, 0, &q, 40, res, &ol) == EFAULT &&
                      new_fault(n, (const char *const[]){ "type=pds", "opcode=0x10001", "in_len=40 ",
                                                         "reads=48:", NULL }),
              "pds in_len 40 -> fault reads=48: %s", last_fault);
        /* 24 bytes validate (the rest reads as zero: no response payload) and succeed:
         * out.retval lands past the kernel's 24-byte buffer. */
        n = fault_lines();
        ol = sizeof(res);
        check(rpc(fd, 0, &q, 24, res, &ol) == 0 && ol == 24 &&
                      new_fault(n, (const char *const[]){ "in_len=24 ", "writes=28:", "out.retval",
                                                         "heap overflow", NULL }),
              "pds in_len 24 -> fault writes=28: %s", last_fault);
        /* No padding: a longer request comes back as it was sent, out_len = in_len. */
        n = fault_lines();
        memcpy(big, &q, sizeof(q));
        memset(big + 48, 0xa5, 8);
        memset(res, 0, sizeof(res));
        ol = sizeof(res);
        check(rpc(fd, 0, big, sizeof(big), res, &ol) == 0 && ol == 56 && res[48] == 0xa5 &&
                      res[55] == 0xa5 && res[56] == 0 && fault_lines() == n,
              "pds in_len 56: out_len 56, trailing bytes echoed, nothing more");
        close(fd);
}

/* DBG_PTRACE request (layout as the emulator assumes it: see emu-bnxt.c PTRACE_*). */
static void ptrace_req(uint8_t *in, const void *cmd, void *resp, uint32_t len)
{
        uint64_t a = (uintptr_t)cmd, b = (uintptr_t)resp;

        memset(in, 0, 64);
        in[0] = 0x2d, in[1] = 0xff;
        memcpy(in + 16, &a, 8);
        memcpy(in + 24, &b, 8);
        memcpy(in + 32, &len, 4);
}

static void test_bnxt_ptrace(void)
{
        int fd = open_dev(2);
        uint8_t in[64], out[64], cmd[16], resp[16];
        uint32_t ol = sizeof(out);
        bool echoed = true;

        for (int i = 0; i < 16; i++)
                cmd[i] = (uint8_t)(0x30 + i);
        memset(resp, 0, sizeof(resp));
        ptrace_req(in, cmd, resp, 0);
        check(rpc(fd, 0, in, 40, out, &ol) == EINVAL, "bnxt DBG_PTRACE length 0 -> EINVAL before scope");
        ptrace_req(in, cmd, resp, 0x10001);
        check(rpc(fd, 0, in, 40, out, &ol) == EINVAL, "bnxt DBG_PTRACE length > 64 KiB -> EINVAL");
        ptrace_req(in, cmd, resp, sizeof(cmd));
        check(rpc(fd, 2, in, 48, out, &ol) == EINVAL, "bnxt DBG_PTRACE in_len 48 -> EINVAL");
        check(rpc(fd, 1, in, 40, out, &ol) == EPERM, "bnxt DBG_PTRACE at scope 1 -> EPERM");
        check(rpc(fd, 2, in, 40, out, &ol) == 0 && ol == sizeof(out) && out[0] == 0 && out[1] == 0 &&
                      out[6] == 16,
              "bnxt DBG_PTRACE at scope 2: DMA command, error_code 0, resp_len 16");
        for (int i = 0; i < 16; i++)
                echoed = echoed && (resp[i] ^ cmd[i]) == 0xff;
        check(echoed, "bnxt DBG_PTRACE: command buffer read, response buffer written");
        close(fd);
}

static void test_sample_device(int n, const char *what)
{
        int fd = open_dev(n);
        uint8_t buf[16], in[32], out[64];
        uint32_t len = 0, type = 0, ol;

        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, sizeof(buf), &len, &type) == 0 && type == 8 && len == 8 &&
                      memcmp(buf, "SMPL\1\0\0\0", 8) == 0 && buf[8] == 0,
              "sample (%s) INFO: type 8, 8-byte blob", what);
        memset(buf, 0xff, sizeof(buf));
        check(info(fd, buf, 4, &len, NULL) == 0 && len == 8 && buf[4] == 0xff,
              "sample (%s) INFO short buffer: true length 8", what);
        for (int i = 0; i < 32; i++)
                in[i] = (uint8_t)(i * 3 + 1);
        memset(out, 0xee, sizeof(out));
        ol = sizeof(out);
        check(rpc(fd, 0, in, 24, out, &ol) == 0 && ol == 24 && memcmp(out, in, 24) == 0 &&
                      out[24] == 0xee,
              "sample (%s) RPC echoes the input, out_len = in_len", what);
        close(fd);
}

static void test_sample(void)
{
        int fd = open_dev(4);
        uint8_t in[32] = { 9, 8, 7 }, out[64];
        uint32_t ol;
        char link[256];
        ssize_t l;

        test_sample_device(4, "coldplugged");
        memset(out, 0xee, sizeof(out));
        ol = 10;
        check(rpc(fd, 1, in, 24, out, &ol) == 0 && ol == 24 && out[2] == 7 && out[10] == 0xee,
              "sample truncation: 10 bytes copied, out_len 24");
        ol = sizeof(out);
        check(rpc(fd, 0, in, 0, out, &ol) == 0 && ol == 0, "sample in_len 0 -> out_len 0");
        check(rpc(fd, 4, in, 8, out, &ol) == EOPNOTSUPP, "sample scope 4 -> EOPNOTSUPP (core)");
        set_rawio(false);
        check(rpc(fd, 3, in, 8, out, &ol) == EPERM, "sample scope 3 without CAP_SYS_RAWIO -> EPERM");
        set_rawio(true);
        ol = sizeof(out);
        check(rpc(fd, 3, in, 8, out, &ol) == 0 && ol == 8 && (read_taint() & 0x80000),
              "sample scope 3 with CAP_SYS_RAWIO ok, tainted");
        ol = FWCTLD_MAX_RPC_LEN + 1;
        check(rpc(fd, 0, in, 8, out, &ol) == EMSGSIZE, "sample out_len > 2 MiB -> EMSGSIZE (core)");
        l = readlink("/sys/bus/pci/devices/0000:08:00.0/fwctl_sample_core.fwctl.0/driver", link,
                     sizeof(link) - 1);
        link[l > 0 ? l : 0] = '\0';
        check(l > 0 && strstr(link, "/fwctl_sample") && !strstr(link, "fwctl_sample_core"),
              "sample aux device bound to driver fwctl_sample (%s)", link);
        close(fd);

        check(strcmp(ctl("add sample 0000:09:00.0"), "ok fwctl5") == 0, "hot-plug: add sample -> fwctl5");
        check(strstr(ctl("list"), " fwctl5=sample@0000:09:00.0") != NULL, "list shows the sample");
        test_sample_device(5, "hot-plugged");
        check(strcmp(ctl("remove fwctl5"), "ok") == 0, "remove fwctl5");
}

static void test_faults(void)
{
        int fd = open_dev(1);

        test_cxl_out_faults(fd);
        test_cxl_in_faults(fd);
        close(fd);
        test_pds_faults();
}

struct slow { int fd; int err; double ms; };

static void *slow_rpc(void *p)
{
        struct slow *s = p;
        uint8_t in[16], out[64];
        uint32_t ol = sizeof(out);
        double t = now_ms();

        mlx5_cmd(in, 0x101, 0);
        s->err = rpc(s->fd, 0, in, 16, out, &ol);
        s->ms = now_ms() - t;
        return NULL;
}

static void test_delay_and_remove(void)
{
        int f0 = open_dev(0), f2 = open_dev(2);
        uint8_t in[24] = { 0 }, out[64];
        uint32_t ol = sizeof(out);
        struct slow s = { .fd = f0 };
        pthread_t th;

        unsigned info0, rpc0, info1, rpc1;

        check(strcmp(ctl("delay fwctl0 400"), "ok") == 0, "delay fwctl0 400");
        stats("fwctl0", &info0, &rpc0);
        pthread_create(&th, NULL, slow_rpc, &s);
        /* Until the emulator holds the RPC (a loaded machine may start the thread late). */
        for (int i = 0; i < 400; i++) {
                stats("fwctl0", &info1, &rpc1);
                if (rpc1 != rpc0)
                        break;
                usleep(5000);
        }
        usleep(20000);
        double t = now_ms();
        bool other = rpc(f2, 1, in, 24, out, &ol) == 0;
        double other_ms = now_ms() - t;
        bool list_ok = strncmp(ctl("list"), "ok fwctl0=mlx5", 14) == 0;
        check(other && other_ms < 150 && list_ok,
              "other device and control socket not blocked (%.0f ms)", other_ms);
        /* remove waits for the in-flight RPC, which completes normally. */
        t = now_ms();
        const char *r = ctl("remove fwctl0");
        double rm_ms = now_ms() - t;
        pthread_join(th, NULL);
        check(strcmp(r, "ok") == 0 && s.err == 0 && s.ms >= 390 && rm_ms >= 250,
              "remove waited for in-flight RPC (rpc %.0f ms, remove %.0f ms, err %d)", s.ms,
              rm_ms, s.err);
        ol = sizeof(out);
        check(slow_rpc(&s) == NULL && s.err == ENODEV, "ioctl on orphaned fd -> ENODEV");
        check(info(f0, out, 8, NULL, NULL) == ENODEV, "INFO on orphaned fd -> ENODEV");
        check(access("/dev/fwctl/fwctl0", F_OK) != 0 && access("/sys/class/fwctl/fwctl0", F_OK) != 0,
              "node and sysfs gone");
        /* The open fd pins the number, as in the kernel. */
        check(strcmp(ctl("add mlx5 0000:03:00.0"), "ok fwctl5") == 0, "re-add while fd open -> fwctl5");
        check(strcmp(ctl("remove fwctl5"), "ok") == 0, "remove fwctl5");
        close(f0);
        usleep(50000);
        r = ctl("add mlx5 0000:03:00.0");
        check(strcmp(r, "ok fwctl0") == 0, "after close: number 0 reused (%s)", r);
        close(f2);
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: emu-selftest CONTROL_SOCKET TAINT_FILE\n");
                return 2;
        }
        ctl_path = argv[1];
        taint_path = argv[2];
        fault_log = getenv("FWCTL_EMU_FAULT_LOG");
        setvbuf(stdout, NULL, _IOLBF, 0);

        test_core();
        check(fault_log && fault_lines() == 0, "FWCTL_EMU_FAULT_LOG set, no fault so far");
        test_mlx5();
        test_bnxt();
        test_bnxt_ptrace();
        test_cxl();
        test_pds();
        check(fault_lines() == 0, "no fault from the well-formed requests above");
        test_faults();
        test_sample();
        test_delay_and_remove();

        printf("%d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
}
