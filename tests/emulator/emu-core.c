/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fwctl core (kernel-fwctl.md §2): ioctl dispatch, size and tail checks,
 * unregister (ENODEV), FWCTL_INFO padding, FWCTL_RPC limits, CAP_SYS_RAWIO,
 * taint-before-validation and the truncating copy-out. Order matters: tests
 * compare errnos, so every check runs in the kernel's order.
 */
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Guard against absurd struct sizes: reading them would fault the client. */
#define EMU_MAX_STRUCT_READ (64u * 1024u)
#define EMU_CAP_SYS_RAWIO 17
#define EMU_TAINT_FWCTL 0x80000ull

GMutex emu_lock;
GPid emu_command_pid;
const char *emu_taint_file;

struct emu_dev *emu_dev_ref(struct emu_dev *dev)
{
        g_atomic_int_inc(&dev->refcount);
        return dev;
}

void emu_dev_unref(struct emu_dev *dev)
{
        if (!g_atomic_int_dec_and_test(&dev->refcount))
                return;
        if (dev->drv->teardown)
                dev->drv->teardown(dev);
        g_free(dev->pci_syspath);
        g_free(dev->mid_syspath);
        g_free(dev->fwctl_syspath);
        g_free(dev->node_file);
        g_free(dev->devnode);
        g_free(dev);
}

UMockdevIoctlData *emu_resolve(UMockdevIoctlData *parent, size_t offset, size_t len)
{
        GError *error = NULL;
        UMockdevIoctlData *d;

        if (len == 0)
                return NULL;
        d = umockdev_ioctl_data_resolve(parent, offset, len, &error);
        if (error) {
                g_clear_error(&error);
                return NULL;
        }
        return d;
}

void emu_report_fault(const struct emu_dev *dev, uint32_t opcode, size_t in_len, size_t out_len,
                      const char *access, size_t bytes, const char *fmt, ...)
{
        g_autofree char *what = NULL, *line = NULL;
        const char *path = g_getenv("FWCTL_EMU_FAULT_LOG");
        va_list ap;

        va_start(ap, fmt);
        what = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        line = g_strdup_printf("EMULATOR FAULT: device=%s type=%s opcode=0x%04x in_len=%zu "
                               "out_len=%zu %s=%zu: %s\n",
                               dev->name, dev->drv->type, opcode, in_len, out_len, access, bytes,
                               what);
        fputs(line, stderr);
        fflush(stderr);
        if (path && *path) {
                /* One write() with O_APPEND: lines from concurrent ioctls never interleave. */
                int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

                if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
                        fprintf(stderr, "fwctl-emu: cannot append to FWCTL_EMU_FAULT_LOG %s: %s\n",
                                path, g_strerror(errno));
                if (fd >= 0)
                        close(fd);
        }
}

uint8_t *emu_rpc_in_view(const struct emu_rpc *r, size_t need)
{
        uint8_t *v = g_malloc0(MAX(r->in_len, need));

        if (r->in_len)
                memcpy(v, r->in, r->in_len);
        return v;
}

/* The effective capabilities of the process we spawned: it stands for "current". */
static bool caller_has_cap(int cap)
{
        char path[64], *contents = NULL;
        bool ok = false;
        pid_t pid = emu_command_pid > 0 ? emu_command_pid : getpid();

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        if (!g_file_get_contents(path, &contents, NULL, NULL))
                return false;
        const char *l = strstr(contents, "\nCapEff:");
        if (l) {
                unsigned long long eff = strtoull(l + 8, NULL, 16);
                ok = (eff >> cap) & 1;
        }
        g_free(contents);
        return ok;
}

/* add_taint(TAINT_FWCTL): the taint file stands in for /proc/sys/kernel/tainted. */
static void taint_fwctl(void)
{
        char *contents = NULL, buf[32];
        unsigned long long v = 0;

        if (!emu_taint_file)
                return;
        if (g_file_get_contents(emu_taint_file, &contents, NULL, NULL))
                v = strtoull(contents, NULL, 0);
        g_free(contents);
        v |= EMU_TAINT_FWCTL;
        snprintf(buf, sizeof(buf), "%llu\n", v);
        /* Rewrite in place: the file is bind-mounted over /proc/sys/kernel/tainted. */
        g_file_set_contents_full(emu_taint_file, buf, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

struct pending {
        UMockdevIoctlClient *client;
        struct emu_dev *dev;
        long ret;
        int err;
};

static void finish(struct emu_dev *dev, UMockdevIoctlClient *client, long ret, int err)
{
        umockdev_ioctl_client_complete(client, ret, err);
        g_mutex_lock(&emu_lock);
        dev->inflight--;
        g_mutex_unlock(&emu_lock);
}

static gboolean delayed_complete(gpointer data)
{
        struct pending *p = data;

        finish(p->dev, p->client, p->ret, p->err);
        g_object_unref(p->client);
        emu_dev_unref(p->dev);
        g_free(p);
        return G_SOURCE_REMOVE;
}

/*
 * Firmware being slow: the answer is ready but the caller only gets it later.
 * The timeout runs on the context that dispatched the ioctl, so neither this
 * device's other fds, other devices nor the control socket are held up.
 */
static void finish_later(struct emu_dev *dev, UMockdevIoctlClient *client, long ret, int err,
                         unsigned int ms)
{
        struct pending *p = g_new0(struct pending, 1);
        GMainContext *ctx = g_main_context_ref_thread_default();
        GSource *src = g_timeout_source_new(ms);

        p->client = g_object_ref(client);
        p->dev = emu_dev_ref(dev);
        p->ret = ret;
        p->err = err;
        g_source_set_callback(src, delayed_complete, p, NULL);
        g_source_attach(src, ctx);
        g_source_unref(src);
        g_main_context_unref(ctx);
}

/*
 * Read the user struct the way copy_struct_from_user() does: the first u32 is
 * the size; bytes beyond what we know must be zero. Resolving a pointer caches
 * the child at that offset, so to re-read with the real size the argument's
 * pointer is restored and the cache dropped with reload().
 */
static int read_struct(UMockdevIoctlData *arg, size_t min, UMockdevIoctlData **out)
{
        gulong uptr;
        UMockdevIoctlData *d;
        uint32_t size;
        GError *error = NULL;

        memcpy(&uptr, arg->data, sizeof(uptr));
        d = emu_resolve(arg, 0, sizeof(uint32_t));
        if (!d)
                return EFAULT;
        memcpy(&size, d->data, sizeof(size));
        g_object_unref(d);
        memcpy(arg->data, &uptr, sizeof(uptr));
        umockdev_ioctl_data_reload(arg, &error);
        g_clear_error(&error);

        if (size < min)
                return EINVAL;
        if (size > EMU_MAX_STRUCT_READ)
                return EFAULT;
        d = emu_resolve(arg, 0, size);
        if (!d)
                return EFAULT;
        for (size_t i = min; i < size; i++) {
                if (d->data[i]) {
                        g_object_unref(d);
                        return E2BIG;
                }
        }
        *out = d;
        return 0;
}

static bool dev_registered(struct emu_dev *dev)
{
        g_mutex_lock(&emu_lock);
        bool r = dev->registered;
        g_mutex_unlock(&emu_lock);
        return r;
}

static int do_info(struct emu_dev *dev, UMockdevIoctlClient *client, UMockdevIoctlData *st)
{
        struct fwctl_info info;
        size_t drv_len = 0;
        uint8_t *drv_data = NULL;

        memcpy(&info, st->data, sizeof(info));
        if (info.flags)
                return EOPNOTSUPP;
        if (info.device_data_len) {
                UMockdevIoctlData *buf;

                /* The driver is asked only when the caller passed a buffer. */
                if (dev->drv->info)
                        drv_data = dev->drv->info(dev, client, &drv_len);
                buf = emu_resolve(st, offsetof(struct fwctl_info, out_device_data),
                                  info.device_data_len);
                if (!buf) {
                        g_free(drv_data);
                        return EFAULT;
                }
                memset(buf->data, 0, info.device_data_len);
                if (drv_data && drv_len > 0)
                        memcpy(buf->data, drv_data, MIN(drv_len, (size_t)info.device_data_len));
                g_object_unref(buf);
                g_free(drv_data);
        }
        /* Only the out fields change: the resolved pointer field is restored on flush. */
        uint32_t type = dev->drv->fwctl_type, len = (uint32_t)drv_len;
        memcpy(st->data + offsetof(struct fwctl_info, out_device_type), &type, 4);
        memcpy(st->data + offsetof(struct fwctl_info, device_data_len), &len, 4);
        return 0;
}

/* The scope checks in the kernel's order: CAP_SYS_RAWIO first, then the taint, which the
 * kernel applies before the driver has looked at the request. */
static int rpc_check_scope(uint32_t scope)
{
        switch (scope) {
        case FWCTL_RPC_CONFIGURATION:
        case FWCTL_RPC_DEBUG_READ_ONLY:
                return 0;
        case FWCTL_RPC_DEBUG_WRITE_FULL:
                if (!caller_has_cap(EMU_CAP_SYS_RAWIO))
                        return EPERM;
                /* fall through */
        case FWCTL_RPC_DEBUG_WRITE:
                taint_fwctl();
                return 0;
        default:
                return EOPNOTSUPP;
        }
}

/* The truncating copy-out: min(out_len, produced) bytes, then the produced length. */
static int rpc_copy_out(UMockdevIoctlData *st, const struct fwctl_rpc *rpc, const struct emu_rpc *r)
{
        size_t n = MIN((size_t)rpc->out_len, r->out_len);
        uint32_t ol = (uint32_t)r->out_len;

        if (n) {
                g_autoptr(UMockdevIoctlData) out = emu_resolve(st, offsetof(struct fwctl_rpc, out), n);

                if (!out)
                        return EFAULT;
                memcpy(out->data, r->out, n);
        }
        memcpy(st->data + offsetof(struct fwctl_rpc, out_len), &ol, 4);
        return 0;
}

static void emu_rpc_done(struct emu_rpc *r)
{
        g_free(r->in);
        g_free(r->out);
}

static int do_rpc(struct emu_dev *dev, UMockdevIoctlClient *client, UMockdevIoctlData *st,
                  bool *reached_driver)
{
        g_autoptr(UMockdevIoctlData) in = NULL;
        struct emu_rpc r __attribute__((cleanup(emu_rpc_done))) = { .dev = dev, .client = client };
        struct fwctl_rpc rpc;
        int err;

        memcpy(&rpc, st->data, sizeof(rpc));
        if (rpc.in_len > FWCTLD_MAX_RPC_LEN || rpc.out_len > FWCTLD_MAX_RPC_LEN)
                return EMSGSIZE;
        err = rpc_check_scope(rpc.scope);
        if (err)
                return err;

        /* The kernel's copy of the input, kvzalloc(in_len): exactly in_len bytes, so a
         * driver that reads past it is caught (emu_rpc_in_view, emu_report_fault). */
        r.scope = rpc.scope;
        r.in_len = rpc.in_len;
        r.in = rpc.in_len ? g_malloc0(rpc.in_len) : NULL;
        r.user_out_len = rpc.out_len;
        if (rpc.in_len) {
                in = emu_resolve(st, offsetof(struct fwctl_rpc, in), rpc.in_len);
                if (!in)
                        return EFAULT;
                memcpy(r.in, in->data, rpc.in_len);
        }
        r.in_data = in;

        *reached_driver = true;
        err = dev->drv->rpc(&r);
        if (err)
                return err;
        return rpc_copy_out(st, &rpc, &r);
}

static gboolean on_handle_ioctl(UMockdevIoctlBase *base G_GNUC_UNUSED, UMockdevIoctlClient *client,
                                gpointer user_data)
{
        struct emu_dev *dev = user_data;
        gulong req = umockdev_ioctl_client_get_request(client);
        UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
        UMockdevIoctlData *st = NULL;
        bool reached_driver = false;
        unsigned int delay;
        int err;

        g_mutex_lock(&emu_lock);
        dev->inflight++;
        if (req == FWCTL_INFO)
                dev->n_info++;
        else if (req == FWCTL_RPC)
                dev->n_rpc++;
        g_mutex_unlock(&emu_lock);

        /* The whole request must equal the slot's number: no size/dir bits. */
        if (req != FWCTL_INFO && req != FWCTL_RPC) {
                finish(dev, client, -1, ENOTTY);
                return TRUE;
        }

        err = read_struct(arg, req == FWCTL_INFO ? FWCTLD_INFO_MIN_SIZE : FWCTLD_RPC_MIN_SIZE,
                          &st);
        if (!err && req == FWCTL_RPC) {
                struct fwctl_rpc rpc;

                memcpy(&rpc, st->data, sizeof(rpc));
                g_mutex_lock(&emu_lock);
                dev->have_last = true;
                dev->last_scope = rpc.scope;
                dev->last_in_len = rpc.in_len;
                dev->last_out_len = rpc.out_len;
                g_mutex_unlock(&emu_lock);
        }
        if (!err && !dev_registered(dev))
                err = ENODEV;
        if (!err)
                err = req == FWCTL_INFO ? do_info(dev, client, st)
                                        : do_rpc(dev, client, st, &reached_driver);
        if (st)
                g_object_unref(st);

        g_mutex_lock(&emu_lock);
        delay = dev->delay_ms;
        g_mutex_unlock(&emu_lock);
        if (reached_driver && delay)
                finish_later(dev, client, err ? -1 : 0, err, delay);
        else
                finish(dev, client, err ? -1 : 0, err);
        return TRUE;
}

/*
 * close(): umockdev drops its last reference to the client once the caller's
 * socket is gone (the "connected" notification never fires in this umockdev),
 * so a weak reference tells us the fd was closed.
 */
static void on_client_gone(gpointer user_data, GObject *where_the_object_was G_GNUC_UNUSED)
{
        struct emu_dev *dev = user_data;

        g_mutex_lock(&emu_lock);
        dev->open_fds--;
        g_mutex_unlock(&emu_lock);
        emu_dev_fds_changed(dev);
        emu_dev_unref(dev);
}

/* open(): the kernel creates a uctx; mlx5 binds a firmware UID to it. */
static void on_client_connected(UMockdevIoctlBase *base G_GNUC_UNUSED, UMockdevIoctlClient *client,
                                gpointer user_data)
{
        struct emu_dev *dev = user_data;

        g_mutex_lock(&emu_lock);
        dev->open_fds++;
        g_mutex_unlock(&emu_lock);
        g_object_set_data(G_OBJECT(client), "emu-uid", GUINT_TO_POINTER(dev->next_uid++));
        g_object_weak_ref(G_OBJECT(client), on_client_gone, emu_dev_ref(dev));
}

UMockdevIoctlBase *emu_core_new_handler(struct emu_dev *dev)
{
        UMockdevIoctlBase *h = umockdev_ioctl_base_new();

        g_signal_connect_data(h, "handle-ioctl", G_CALLBACK(on_handle_ioctl), emu_dev_ref(dev),
                              (GClosureNotify)(void (*)(void))emu_dev_unref, 0);
        g_signal_connect(h, "client-connected", G_CALLBACK(on_client_connected), dev);
        return h;
}
