/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctl-emu: testbed setup, realistic sysfs trees, the control socket and the
 * spawned command. Run under umockdev-wrapper so the preload can see parents
 * and uevents; the command inherits LD_PRELOAD and UMOCKDEV_DIR.
 */
#include "emu.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define EMU_FWCTL_MAJOR 238   /* one dynamic major, minor = N, as the kernel does */
#define EMU_MAX_DEVICES 4096  /* FWCTL_MAX_DEVICES */

static const struct emu_driver *const drivers[] = {
        &emu_mlx5_driver, &emu_cxl_driver, &emu_bnxt_driver, &emu_pds_driver,
        &emu_sample_driver,     /* type 8: a future driver, not mainline (emu-sample.c) */
};

static UMockdevTestbed *tb;
static char *tb_root;
static GPtrArray *devices;      /* every emu_dev still holding its number */
static GMainLoop *loop;
static int exit_status;
static char *control_path;

/* ---- sysfs ----------------------------------------------------------------- */

static const struct emu_driver *find_driver(const char *type)
{
        for (size_t i = 0; i < G_N_ELEMENTS(drivers); i++)
                if (strcmp(drivers[i]->type, type) == 0)
                        return drivers[i];
        return NULL;
}

static bool valid_pci(const char *s)
{
        unsigned int dom, bus, slot, fn;
        char tail;

        return strlen(s) == 12 &&
               sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &tail) == 4 && slot < 32 &&
               fn < 8;
}

/* Device numbers and sub ids: lowest free, like an IDA. */
static unsigned int lowest_free(bool want_num, const struct emu_driver *drv)
{
        for (unsigned int n = 0;; n++) {
                bool used = false;

                for (guint i = 0; i < devices->len && !used; i++) {
                        struct emu_dev *d = devices->pdata[i];
                        if (want_num)
                                used = d->num == n;
                        else
                                used = d->drv == drv && d->sub_id == n && !d->removed;
                }
                if (!used)
                        return n;
        }
}

static void make_driver_dir(const char *bus, const char *driver)
{
        char *p = g_build_filename(tb_root, "sys", "bus", bus, "drivers", driver, NULL);
        g_mkdir_with_parents(p, 0755);
        g_free(p);
}

/* Adds one device; umockdev sends its "add" uevent itself. */
static bool add_record(const char *rec, GError **error)
{
        return umockdev_testbed_add_from_string(tb, rec, error);
}

/* The PCI function with its bound driver. */
static bool add_pci_function(struct emu_dev *dev, GError **error)
{
        const struct emu_driver *drv = dev->drv;
        g_autofree char *pcipath = g_strdup_printf("/devices/pci0000:00/%s", dev->pci);
        g_autofree char *rec = NULL;

        make_driver_dir("pci", drv->pci_driver);
        rec = g_strdup_printf("P: %s\nE: SUBSYSTEM=pci\nE: DRIVER=%s\nE: PCI_SLOT_NAME=%s\n"
                              "E: PCI_ID=%s:%s\nE: MODALIAS=pci:v0000%sd0000%s\n"
                              "A: vendor=%s\nA: device=%s\nA: class=%s\n"
                              "L: driver=../../../bus/pci/drivers/%s\n",
                              pcipath, drv->pci_driver, dev->pci, drv->pci_vendor + 2,
                              drv->pci_device + 2, drv->pci_vendor + 2, drv->pci_device + 2,
                              drv->pci_vendor, drv->pci_device, drv->pci_class, drv->pci_driver);
        if (!add_record(rec, error))
                return false;
        dev->pci_syspath = g_strconcat("/sys", pcipath, NULL);
        return true;
}

/* The fwctl parent: an auxiliary device, or for CXL the memdev. */
static bool add_parent(struct emu_dev *dev, GError **error)
{
        const struct emu_driver *drv = dev->drv;
        g_autofree char *rec = NULL;

        if (drv->aux_prefix) {
                make_driver_dir("auxiliary", drv->aux_driver);
                dev->mid_syspath = g_strdup_printf("%s/%s.%u", dev->pci_syspath, drv->aux_prefix,
                                                   dev->sub_id);
                rec = g_strdup_printf("P: %s\nE: SUBSYSTEM=auxiliary\nE: DRIVER=%s\n"
                                      "E: MODALIAS=auxiliary:%s\n"
                                      "L: driver=../../../../bus/auxiliary/drivers/%s\n",
                                      dev->mid_syspath + 4, drv->aux_driver, drv->aux_prefix,
                                      drv->aux_driver);
        } else {
                make_driver_dir("cxl", "cxl_mem");
                dev->mid_syspath = g_strdup_printf("%s/mem%u", dev->pci_syspath, dev->sub_id);
                rec = g_strdup_printf("P: %s\nE: SUBSYSTEM=cxl\nE: DRIVER=cxl_mem\n"
                                      "E: DEVTYPE=cxl_memdev\nE: MODALIAS=cxl:t5\n"
                                      "A: serial=0x%x\nA: numa_node=-1\n"
                                      "L: driver=../../../../bus/cxl/drivers/cxl_mem\n",
                                      dev->mid_syspath + 4, 0x1000 + dev->sub_id);
        }
        return add_record(rec, error);
}

/* The node and its ioctl handler exist before the add uevent goes out. */
static bool add_node(struct emu_dev *dev, GError **error)
{
        g_autofree char *dir = g_build_filename(tb_root, "dev", "fwctl", NULL);

        g_mkdir_with_parents(dir, 0755);
        dev->node_file = g_build_filename(dir, dev->name, NULL);
        if (!g_file_set_contents(dev->node_file, "", 0, error))
                return false;
        dev->handler = emu_core_new_handler(dev);
        return umockdev_testbed_attach_ioctl(tb, dev->devnode, dev->handler, error);
}

/* The class device, child of the parent chosen by the driver. node_dev (NULL: the true one) is
 * the number the node reports to stat(): umockdev takes it from the "dev" attribute the device
 * is added with, so a swapped node is added with node_dev there, then the attribute is set back
 * to the true number (uevent and MAJOR/MINOR carry the true one throughout). */
static bool add_class_device(struct emu_dev *dev, const char *node_dev, GError **error)
{
        g_autofree char *rec = NULL;
        g_autofree char *true_dev = g_strdup_printf("%d:%u", EMU_FWCTL_MAJOR, dev->num);

        if (dev->drv->fwctl_type == FWCTL_DEVICE_TYPE_CXL)
                dev->fwctl_syspath = g_strdup_printf("%s/fwctl/%s", dev->mid_syspath, dev->name);
        else
                dev->fwctl_syspath = g_strdup_printf("%s/fwctl/%s", dev->pci_syspath, dev->name);
        rec = g_strdup_printf("P: %s\nE: SUBSYSTEM=fwctl\nE: MAJOR=%d\nE: MINOR=%u\n"
                              "E: DEVNAME=/dev/fwctl/%s\nA: dev=%s\nL: device=../..\n",
                              dev->fwctl_syspath + 4, EMU_FWCTL_MAJOR, dev->num, dev->name,
                              node_dev ? node_dev : true_dev);
        if (!add_record(rec, error))
                return false;
        if (node_dev)
                umockdev_testbed_set_attribute(tb, dev->fwctl_syspath, "dev", true_dev);
        return true;
}

static struct emu_dev *device_new(const struct emu_driver *drv, const char *pci)
{
        struct emu_dev *dev = g_new0(struct emu_dev, 1);

        dev->refcount = 1;
        dev->drv = drv;
        dev->num = lowest_free(true, NULL);
        dev->sub_id = lowest_free(false, drv);
        g_strlcpy(dev->pci, pci, sizeof(dev->pci));
        snprintf(dev->name, sizeof(dev->name), "fwctl%u", dev->num);
        dev->devnode = g_strdup_printf("/dev/fwctl/%s", dev->name);
        dev->registered = true;
        if (drv->setup)
                drv->setup(dev);
        return dev;
}

static struct emu_dev *device_add(const struct emu_driver *drv, const char *pci, const char *node_dev,
                                  char **errmsg)
{
        g_autoptr(GError) error = NULL;
        struct emu_dev *dev;

        for (guint i = 0; i < devices->len; i++) {
                struct emu_dev *d = devices->pdata[i];
                if (!d->removed && strcmp(d->pci, pci) == 0) {
                        *errmsg = g_strdup("pci address in use");
                        return NULL;
                }
        }
        if (devices->len >= EMU_MAX_DEVICES) {
                *errmsg = g_strdup("too many devices");
                return NULL;
        }

        dev = device_new(drv, pci);
        if (!add_pci_function(dev, &error) || !add_parent(dev, &error) || !add_node(dev, &error) ||
            !add_class_device(dev, node_dev, &error)) {
                *errmsg = g_strdup_printf("testbed: %s", error ? error->message : "failed");
                emu_dev_unref(dev);
                return NULL;
        }
        g_ptr_array_add(devices, dev);
        return dev;
}

static void remove_sysfs(const char *syspath)
{
        if (!syspath)
                return;
        umockdev_testbed_uevent(tb, syspath, "remove");
        umockdev_testbed_remove_device(tb, syspath);
}

/* Drop the device from the table once unregistered and the last fd closed:
 * until then the kernel keeps its number (ida) allocated. */
static gboolean release_idle(gpointer data G_GNUC_UNUSED)
{
        for (guint i = 0; i < devices->len;) {
                struct emu_dev *d = devices->pdata[i];
                bool drop;

                g_mutex_lock(&emu_lock);
                drop = d->removed && d->open_fds == 0;
                g_mutex_unlock(&emu_lock);
                if (drop) {
                        g_ptr_array_remove_index(devices, i);
                        emu_dev_unref(d);
                } else {
                        i++;
                }
        }
        return G_SOURCE_REMOVE;
}

void emu_dev_fds_changed(struct emu_dev *dev G_GNUC_UNUSED)
{
        /* Called from the ioctl worker: the table belongs to the main thread. */
        g_main_context_invoke(NULL, release_idle, NULL);
}

static struct emu_dev *find_registered(const char *name)
{
        for (guint i = 0; i < devices->len; i++) {
                struct emu_dev *d = devices->pdata[i];
                if (!d->removed && strcmp(d->name, name) == 0)
                        return d;
        }
        return NULL;
}

/* ---- control socket -------------------------------------------------------- */

struct conn {
        int fd;
        guint watch;
        GString *buf;
        struct emu_dev *removing;
};

static void conn_reply(struct conn *c, const char *line)
{
        GString *s = g_string_new(line);
        g_string_append_c(s, '\n');
        for (gsize off = 0; off < s->len;) {
                ssize_t w = write(c->fd, s->str + off, s->len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break;
                off += (gsize)w;
        }
        g_string_free(s, TRUE);
}

static void conn_free(struct conn *c)
{
        if (c->watch)
                g_source_remove(c->watch);
        close(c->fd);
        g_string_free(c->buf, TRUE);
        g_free(c);
}

/* unregister: wait until in-flight ioctls finished, then tear down sysfs. */
static gboolean remove_poll(gpointer data)
{
        struct conn *c = data;
        struct emu_dev *d = c->removing;
        unsigned int inflight;

        g_mutex_lock(&emu_lock);
        inflight = d->inflight;
        g_mutex_unlock(&emu_lock);
        if (inflight)
                return G_SOURCE_CONTINUE;

        remove_sysfs(d->fwctl_syspath);
        g_unlink(d->node_file);
        umockdev_testbed_detach_ioctl(tb, d->devnode, NULL);
        remove_sysfs(d->mid_syspath);
        remove_sysfs(d->pci_syspath);
        g_mutex_lock(&emu_lock);
        d->removed = true;
        g_mutex_unlock(&emu_lock);
        release_idle(NULL);
        conn_reply(c, "ok");
        conn_free(c);
        return G_SOURCE_REMOVE;
}

static gint by_num(gconstpointer a, gconstpointer b)
{
        const struct emu_dev *x = *(struct emu_dev *const *)a, *y = *(struct emu_dev *const *)b;
        return (x->num > y->num) - (x->num < y->num);
}

/* Returns the reply, or NULL when the reply is sent later (remove). */
/* add TYPE PCI [node=MAJ:MIN] */
static char *command_add(char **words, guint n)
{
        const struct emu_driver *drv;
        g_autofree char *err = NULL, *node_dev = NULL;
        unsigned int maj, min;
        char tail;
        struct emu_dev *d;

        if (n != 3 && n != 4)
                return g_strdup("error usage: add TYPE PCI [node=MAJ:MIN]");
        if (!(drv = find_driver(words[1])))
                return g_strdup("error unknown device type");
        if (!valid_pci(words[2]))
                return g_strdup("error bad pci address");
        if (n == 4) {
                if (sscanf(words[3], "node=%u:%u%c", &maj, &min, &tail) != 2 || maj > 4095 ||
                    min > 1048575)
                        return g_strdup("error bad node number");
                node_dev = g_strdup_printf("%u:%u", maj, min);
        }
        d = device_add(drv, words[2], node_dev, &err);
        if (!d)
                return g_strdup_printf("error %s", err);
        return g_strdup_printf("ok %s", d->name);
}

static char *handle_command(struct conn *c, char *line)
{
        g_auto(GStrv) w = g_strsplit_set(g_strstrip(line), " \t", -1);
        guint n = 0;
        char *words[8];

        for (guint i = 0; w[i] && n < G_N_ELEMENTS(words); i++)
                if (*w[i])
                        words[n++] = w[i];
        if (n == 0)
                return g_strdup("error unknown command");

        if (strcmp(words[0], "add") == 0)
                return command_add(words, n);
        if (strcmp(words[0], "list") == 0) {
                GString *s = g_string_new("ok");
                g_ptr_array_sort(devices, by_num);
                for (guint i = 0; i < devices->len; i++) {
                        struct emu_dev *d = devices->pdata[i];
                        if (!d->removed)
                                g_string_append_printf(s, " %s=%s@%s", d->name, d->drv->type,
                                                       d->pci);
                }
                return g_string_free(s, FALSE);
        }
        if (strcmp(words[0], "remove") == 0 || strcmp(words[0], "stats") == 0 ||
            strcmp(words[0], "last") == 0 || strcmp(words[0], "delay") == 0) {
                bool is_delay = strcmp(words[0], "delay") == 0;
                struct emu_dev *d;
                char *r;

                if (n != (is_delay ? 3u : 2u))
                        return g_strdup_printf("error usage: %s NAME%s", words[0],
                                               is_delay ? " MS" : "");
                if (!(d = find_registered(words[1])))
                        return g_strdup("error no such device");
                if (strcmp(words[0], "remove") == 0) {
                        if (c->removing || !d->registered)
                                return g_strdup("error already removing");
                        g_mutex_lock(&emu_lock);
                        d->registered = false;
                        g_mutex_unlock(&emu_lock);
                        c->removing = d;
                        g_source_remove(c->watch);
                        c->watch = 0;
                        g_timeout_add(2, remove_poll, c);
                        return NULL;
                }
                if (is_delay) {
                        char *end;
                        unsigned long ms = strtoul(words[2], &end, 10);
                        if (*end || ms > 600000)
                                return g_strdup("error bad delay");
                        g_mutex_lock(&emu_lock);
                        d->delay_ms = (unsigned int)ms;
                        g_mutex_unlock(&emu_lock);
                        return g_strdup("ok");
                }
                g_mutex_lock(&emu_lock);
                if (strcmp(words[0], "stats") == 0)
                        r = g_strdup_printf("ok info=%" G_GUINT64_FORMAT " rpc=%" G_GUINT64_FORMAT,
                                            d->n_info, d->n_rpc);
                else if (d->have_last)
                        r = g_strdup_printf("ok scope=%u in_len=%u out_len=%u", d->last_scope,
                                            d->last_in_len, d->last_out_len);
                else
                        r = g_strdup("ok none");
                g_mutex_unlock(&emu_lock);
                return r;
        }
        if (strcmp(words[0], "fault") == 0) {
                struct emu_dev *d;

                if (n != 3 || strlen(words[2]) >= sizeof(d->fault))
                        return g_strdup("error usage: fault NAME WORD|none");
                if (!(d = find_registered(words[1])))
                        return g_strdup("error no such device");
                g_mutex_lock(&emu_lock);
                g_strlcpy(d->fault, strcmp(words[2], "none") == 0 ? "" : words[2], sizeof(d->fault));
                g_mutex_unlock(&emu_lock);
                return g_strdup("ok");
        }
        return g_strdup("error unknown command");
}

void emu_dev_get_fault(struct emu_dev *dev, char *buf, size_t size)
{
        g_mutex_lock(&emu_lock);
        g_strlcpy(buf, dev->fault, size);
        g_mutex_unlock(&emu_lock);
}

static gboolean conn_readable(int fd, GIOCondition cond G_GNUC_UNUSED, gpointer data)
{
        struct conn *c = data;
        char tmp[512];
        ssize_t r = read(fd, tmp, sizeof(tmp));
        char *nl, *reply;

        if (r < 0 && errno == EINTR)
                return G_SOURCE_CONTINUE;
        if (r <= 0) {
                c->watch = 0;
                conn_free(c);
                return G_SOURCE_REMOVE;
        }
        g_string_append_len(c->buf, tmp, r);
        if (c->buf->len > 4096) {
                c->watch = 0;
                conn_free(c);
                return G_SOURCE_REMOVE;
        }
        if (!(nl = memchr(c->buf->str, '\n', c->buf->len)))
                return G_SOURCE_CONTINUE;
        *nl = '\0';
        reply = handle_command(c, c->buf->str);
        if (!reply)
                return G_SOURCE_REMOVE;  /* remove: answered by remove_poll */
        conn_reply(c, reply);
        g_free(reply);
        c->watch = 0;
        conn_free(c);
        return G_SOURCE_REMOVE;
}

static gboolean control_accept(int fd, GIOCondition cond G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        struct conn *c;

        if (cfd < 0)
                return G_SOURCE_CONTINUE;
        c = g_new0(struct conn, 1);
        c->fd = cfd;
        c->buf = g_string_new(NULL);
        c->watch = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, conn_readable, c);
        return G_SOURCE_CONTINUE;
}

static int unix_socket(const char *path, bool listen_, struct sockaddr_un *sa)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (fd < 0 || strlen(path) >= sizeof(sa->sun_path)) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        strcpy(sa->sun_path, path);
        if (listen_) {
                unlink(path);
                if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, 16) < 0) {
                        close(fd);
                        return -1;
                }
        }
        return fd;
}

/* ---- client mode ----------------------------------------------------------- */

static int run_client(const char *path, int argc, char **argv)
{
        struct sockaddr_un sa;
        int fd = unix_socket(path, false, &sa);
        GString *line = g_string_new(NULL);
        char buf[1024];
        ssize_t r;

        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                fprintf(stderr, "fwctl-emu: cannot connect to %s: %s\n", path, g_strerror(errno));
                return 1;
        }
        for (int i = 0; i < argc; i++)
                g_string_append_printf(line, "%s%s", i ? " " : "", argv[i]);
        g_string_append_c(line, '\n');
        if (write(fd, line->str, line->len) != (ssize_t)line->len) {
                fprintf(stderr, "fwctl-emu: write: %s\n", g_strerror(errno));
                return 1;
        }
        g_string_truncate(line, 0);
        while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR)) {
                if (r > 0)
                        g_string_append_len(line, buf, r);
                if (memchr(line->str, '\n', line->len))
                        break;
        }
        close(fd);
        char *nl = memchr(line->str, '\n', line->len);
        if (nl)
                *nl = '\0';
        printf("%s\n", line->str);
        int rc = g_str_has_prefix(line->str, "ok") ? 0 : 1;
        g_string_free(line, TRUE);
        return rc;
}

/* ---- server mode ----------------------------------------------------------- */

static void on_child_exit(GPid pid, gint status, gpointer data G_GNUC_UNUSED)
{
        if (WIFEXITED(status))
                exit_status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                exit_status = 128 + WTERMSIG(status);
        else
                exit_status = 1;
        g_spawn_close_pid(pid);
        emu_command_pid = 0;
        g_main_loop_quit(loop);
}

static gboolean on_signal(gpointer data)
{
        if (emu_command_pid > 0)
                kill(emu_command_pid, GPOINTER_TO_INT(data));
        return G_SOURCE_CONTINUE;
}

static void usage(void)
{
        fprintf(stderr,
                "usage: umockdev-wrapper fwctl-emu --control SOCKET [--taint-file PATH]\n"
                "                        [--device TYPE@PCI]... -- COMMAND [ARGS...]\n"
                "       fwctl-emu --ctl SOCKET WORD...\n"
                "TYPE: mlx5, cxl, bnxt, pds, sample (type 8, not a mainline driver)\n"
                "Faults (kernel memory-safety bugs a request would cause) are appended to\n"
                "$FWCTL_EMU_FAULT_LOG when it is set.\n");
}

int main(int argc, char **argv)
{
        const char *control = NULL;
        GPtrArray *initial = g_ptr_array_new();
        char **cmd = NULL;
        int i;

        if (argc >= 3 && strcmp(argv[1], "--ctl") == 0)
                return run_client(argv[2], argc - 3, argv + 3);

        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        cmd = argv + i + 1;
                        break;
                } else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) {
                        control = argv[++i];
                } else if (strcmp(argv[i], "--taint-file") == 0 && i + 1 < argc) {
                        emu_taint_file = argv[++i];
                } else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
                        g_ptr_array_add(initial, argv[++i]);
                } else {
                        usage();
                        return 2;
                }
        }
        if (!control || !cmd || !*cmd) {
                usage();
                return 2;
        }
        /* Without the preload the testbed cannot emit uevents or set up parents. */
        if (!g_getenv("LD_PRELOAD") || !strstr(g_getenv("LD_PRELOAD"), "umockdev-preload")) {
                fprintf(stderr, "fwctl-emu: must run under umockdev-wrapper\n");
                return 2;
        }

        signal(SIGPIPE, SIG_IGN);
        devices = g_ptr_array_new();
        tb = umockdev_testbed_new();
        tb_root = umockdev_testbed_get_root_dir(tb);

        for (guint k = 0; k < initial->len; k++) {
                char *spec = g_strdup(initial->pdata[k]), *at = strchr(spec, '@'), *err = NULL;
                const struct emu_driver *drv;

                if (!at || (*at = '\0', !(drv = find_driver(spec))) || !valid_pci(at + 1) ||
                    !device_add(drv, at + 1, NULL, &err)) {
                        fprintf(stderr, "fwctl-emu: bad --device %s%s%s\n",
                                (char *)initial->pdata[k], err ? ": " : "", err ? err : "");
                        return 2;
                }
                g_free(spec);
        }

        struct sockaddr_un sa;
        int lfd = unix_socket(control, true, &sa);
        if (lfd < 0) {
                fprintf(stderr, "fwctl-emu: cannot listen on %s: %s\n", control,
                        g_strerror(errno));
                return 2;
        }
        control_path = g_strdup(control);
        g_unix_fd_add(lfd, G_IO_IN, control_accept, NULL);

        GError *error = NULL;
        GPid pid;
        if (!g_spawn_async(NULL, cmd, NULL,
                           G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                   G_SPAWN_CHILD_INHERITS_STDIN,
                           NULL, NULL, &pid, &error)) {
                fprintf(stderr, "fwctl-emu: cannot run %s: %s\n", cmd[0], error->message);
                unlink(control);
                return 127;
        }
        emu_command_pid = pid;
        loop = g_main_loop_new(NULL, FALSE);
        g_child_watch_add(pid, on_child_exit, NULL);
        g_unix_signal_add(SIGTERM, on_signal, GINT_TO_POINTER(SIGTERM));
        g_unix_signal_add(SIGINT, on_signal, GINT_TO_POINTER(SIGINT));
        g_main_loop_run(loop);

        unlink(control_path);
        close(lfd);
        g_object_unref(tb);
        return exit_status;
}
