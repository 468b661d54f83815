/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>

#include <fwctld/fwctl-uapi.h>

#include "audit.h"
#include "bus.h"
#include "call.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "polkit.h"
#include "taint.h"
#include "udev-watch.h"
#include "worker.h"

#define COLDPLUG_TIMEOUT_USEC (10ULL * 1000000ULL)
#define TAINT_POLL_USEC (30ULL * 1000000ULL)

static __thread Call *thread_call;

void manager_set_thread_call(Call *c) {
        thread_call = c;
}

Call *manager_get_thread_call(void) {
        return thread_call;
}

int manager_new(const char *plugin_dir, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->completion_fd = -EBADF;
        pthread_mutex_init(&m->completion_lock, NULL);
        pthread_mutex_init(&m->config_lock, NULL);
        m->plugin_dir = strdup(plugin_dir);
        m->tainted_path = strdup(FWCTLD_TAINTED_PATH);
        if (!m->plugin_dir || !m->tainted_path)
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

static void manager_drain_completions(Manager *m);

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        /* Stop every worker and wait for it: the fds close there, after any in-flight ioctl. */
        while (m->devices)
                manager_remove_device(m, m->devices);
        while (m->n_workers > 0) {
                struct pollfd p = { .fd = m->completion_fd, .events = POLLIN };
                uint64_t n;

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        break;
                (void) read(m->completion_fd, &n, sizeof(n));
                manager_drain_completions(m);
        }
        while (m->calls)
                call_free(m->calls);
        audit_flush_suppressed_denials(true);

        sd_event_source_unref(m->monitor_source);
        sd_event_source_unref(m->completion_source);
        sd_event_source_unref(m->taint_timer);
        sd_event_source_unref(m->coldplug_timeout);
        sd_event_source_unref(m->denial_timer);
        sd_bus_slot_unref(m->name_owner_slot);
        udev_monitor_unref(m->monitor);
        udev_unref(m->udev);
        if (m->bus)
                sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        safe_close(m->completion_fd);
        pthread_mutex_destroy(&m->completion_lock);
        pthread_mutex_destroy(&m->config_lock);
        plugin_array_free(m->plugins, m->n_plugins);
        free(m->plugin_dir);
        free(m->deny_dir);
        deny_list_free(m->deny);
        free(m->raw_types_path);
        raw_types_free(m->raw_types);
        free(m->tainted_path);
        free(m);
        return NULL;
}

const Plugin *manager_find_plugin(Manager *m, uint32_t device_type) {
        return plugin_find(m->plugins, m->n_plugins, device_type);
}

int manager_load_deny_list(Manager *m) {
        DenyList *l;
        int r;

        if (!m->deny_dir)
                return 0;
        r = deny_list_load_dir(m->deny_dir, &l);
        if (r < 0)
                return log_warning_errno(r, "Failed to load the deny list from '%s', keeping the previous one: %m",
                                         m->deny_dir);
        pthread_mutex_lock(&m->config_lock);
        deny_list_free(m->deny);
        m->deny = l;
        pthread_mutex_unlock(&m->config_lock);
        if (l->n > 0)
                log_info("Deny list: %zu rule(s) from '%s'.", l->n, m->deny_dir);
        return 0;
}

int manager_load_raw_types(Manager *m) {
        RawTypes *t;
        int r;

        if (!m->raw_types_path)
                return 0;
        r = raw_types_load(m->raw_types_path, &t);
        if (r < 0)
                return log_warning_errno(r, "Failed to load '%s', keeping the previous list: %m",
                                         m->raw_types_path);
        pthread_mutex_lock(&m->config_lock);
        raw_types_free(m->raw_types);
        m->raw_types = t;
        pthread_mutex_unlock(&m->config_lock);
        if (t->n > 0)
                log_info("Raw service for non-root callers opted in for %zu device type(s) in '%s'.", t->n,
                         m->raw_types_path);
        return 0;
}

int manager_deny_check(Manager *m, uint32_t device_type, const char *operations, uint32_t scope,
                       char **ret_origin) {
        const DenyRule *rule;
        int r = 0;

        pthread_mutex_lock(&m->config_lock);
        rule = deny_list_match_any(m->deny, device_type_to_string(device_type), operations, scope);
        if (rule) {
                r = 1;
                if (ret_origin)
                        *ret_origin = strdup(strempty(rule->origin));
        }
        pthread_mutex_unlock(&m->config_lock);
        return r;
}

bool manager_raw_type_allowed(Manager *m, uint32_t device_type) {
        bool allowed;

        pthread_mutex_lock(&m->config_lock);
        allowed = raw_types_contains(m->raw_types, device_type);
        pthread_mutex_unlock(&m->config_lock);
        return allowed;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("SIGHUP: reloading the deny list and the raw opt-in list.");
        (void) manager_load_deny_list(m);
        (void) manager_load_raw_types(m);
        return 0;
}

static int on_denial_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        audit_flush_suppressed_denials(false);
        return sd_event_source_set_time(s, usec + FWCTLD_DENIAL_RECORDS_WINDOW_USEC);
}

bool manager_refresh_taint(Manager *m) {
        bool tainted;

        if (taint_read(m->tainted_path, &tainted) < 0)
                return m->tainted;
        if (tainted != m->tainted) {
                m->tainted = tainted;
                if (m->bus)
                        bus_manager_emit_tainted_changed(m);
        }
        return tainted;
}

static int on_taint_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) manager_refresh_taint(m);
        return sd_event_source_set_time(s, usec + TAINT_POLL_USEC);
}

/* --- Completions from the workers ------------------------------------------------- */

void manager_post_completion(Manager *m, Job *j) {
        uint64_t one = 1;

        pthread_mutex_lock(&m->completion_lock);
        j->next = NULL;
        if (m->completions_tail)
                m->completions_tail->next = j;
        else
                m->completions_head = j;
        m->completions_tail = j;
        pthread_mutex_unlock(&m->completion_lock);

        (void) write(m->completion_fd, &one, sizeof(one));
}

static void manager_request_name_once(Manager *m);

static void manager_device_probed(Manager *m, Device *d, int result) {
        if (d->coldplug) {
                d->coldplug = false;
                if (m->coldplug_pending > 0 && --m->coldplug_pending == 0)
                        manager_request_name_once(m);
        }

        if (d->state != DEVICE_PROBING)
                return;
        if (result < 0) {
                log_device_warning(d->name, "Device '%s' could not be set up, ignoring.", d->syspath);
                manager_remove_device(m, d);
                return;
        }

        d->state = DEVICE_READY;
        log_device_info(d->name, "Device '%s' (%s, parent '%s') ready, plugin '%s'.", d->name,
                        device_type_to_string(d->type), d->parent, device_plugin_name(d));
        audit_device_event(d, true);
        bus_device_emit_added(d);
}

static void manager_handle_job(Manager *m, Job *j) {
        switch (j->type) {
        case JOB_PROBE:
                manager_device_probed(m, j->device, j->result);
                break;
        case JOB_CALL:
                call_completed(j->call);
                break;
        case JOB_STOP:
                worker_join_and_free(j->device->worker);
                j->device->worker = NULL;
                device_unref(j->device); /* the ref the worker held */
                m->n_workers--;
                break;
        }
        job_free(j);
}

static void manager_drain_completions(Manager *m) {
        for (;;) {
                Job *j;

                pthread_mutex_lock(&m->completion_lock);
                j = m->completions_head;
                if (j) {
                        m->completions_head = j->next;
                        if (!m->completions_head)
                                m->completions_tail = NULL;
                }
                pthread_mutex_unlock(&m->completion_lock);
                if (!j)
                        return;
                manager_handle_job(m, j);
        }
}

static int on_completion(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        uint64_t n;

        (void) read(fd, &n, sizeof(n));
        manager_drain_completions(m);
        return 0;
}

/* --- Devices ----------------------------------------------------------------------- */

Device *manager_find_device_by_syspath(Manager *m, const char *syspath) {
        for (Device *d = m->devices; d; d = d->next)
                if (streq(d->syspath, syspath))
                        return d;
        return NULL;
}

Device *manager_find_device_by_name(Manager *m, const char *name) {
        for (Device *d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY && streq(d->name, name))
                        return d;
        return NULL;
}

Device *manager_find_device(Manager *m, const char *name_or_parent) {
        for (Device *d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY && device_matches(d, name_or_parent))
                        return d;
        return NULL;
}

int manager_add_device(Manager *m, const char *syspath, const char *name, const char *devnode, dev_t devnum,
                       const char *parent, const char *pci_address, const char *driver, bool coldplug) {
        _cleanup_(device_unrefp) Device *d = NULL;
        Device *old;
        Job *j;
        int r;

        old = manager_find_device_by_syspath(m, syspath);
        if (old)
                return 0;
        /* A new node for the same parent replaces the stale one (missed remove). */
        for (old = m->devices; old; old = old->next)
                if (!isempty(parent) && streq(old->parent, parent)) {
                        manager_remove_device(m, old);
                        break;
                }

        r = device_new(m, syspath, name, devnode, parent, pci_address, driver, &d);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate device '%s': %m", syspath);
        d->devnum = devnum;

        r = worker_start(m, d, &d->worker);
        if (r < 0)
                return log_error_errno(r, "Failed to start worker for '%s': %m", name);
        device_ref(d); /* held by the worker until its JOB_STOP completes */
        m->n_workers++;

        r = job_new(JOB_PROBE, d, NULL, &j);
        if (r >= 0) {
                r = worker_submit(d->worker, j);
                if (r < 0)
                        job_free(j);
        }

        d->coldplug = coldplug;
        if (coldplug)
                m->coldplug_pending++;

        d->next = m->devices;
        if (m->devices)
                m->devices->prev = d;
        m->devices = device_ref(d);

        if (r < 0) {
                manager_remove_device(m, d);
                return log_error_errno(r, "Failed to queue probe of '%s': %m", name);
        }
        log_device_debug(name, "Probing '%s' ('%s').", syspath, devnode);
        return 0;
}

void manager_remove_device(Manager *m, Device *d) {
        Job *stop;
        bool was_ready;

        if (!d || d->state == DEVICE_GONE)
                return;
        was_ready = d->state == DEVICE_READY;
        d->state = DEVICE_GONE;
        device_ref(d);

        if (d->coldplug) {
                d->coldplug = false;
                if (m->coldplug_pending > 0 && --m->coldplug_pending == 0)
                        manager_request_name_once(m);
        }

        /* Calls queued behind the running one never reach the kernel. */
        if (d->worker) {
                Job *stolen = worker_steal_queued_calls(d->worker);

                while (stolen) {
                        Job *next = stolen->next;

                        if (stolen->call->attempt_recorded) {
                                stolen->call->error = -ENODEV;
                                audit_rpc_result(stolen->call, m->tainted);
                        }
                        call_fail_device_gone(stolen->call);
                        call_free(stolen->call);
                        job_free(stolen);
                        stolen = next;
                }
        }

        /*
         * Waiting for polkit: answer and drop. Running on the worker: leave it. The kernel
         * lets an in-flight ioctl finish before it unregisters, so its real result (or
         * ENODEV, answered as DeviceGone) arrives right after; a delivered call must not
         * be reported as lost. Finished calls are being freed by call_completed().
         */
        for (Call *c = m->calls, *next; c; c = next) {
                next = c->next;
                if (c->device != d || c->state != CALL_AUTHORIZING)
                        continue;
                call_fail_device_gone(c);
                call_free(c);
        }

        if (d->worker && job_new(JOB_STOP, d, NULL, &stop) >= 0)
                (void) worker_submit(d->worker, stop);

        if (was_ready) {
                bus_device_emit_removed(d);
                audit_device_event(d, false);
                log_device_info(d->name, "Device '%s' (parent '%s') removed.", d->name, d->parent);
        }

        if (d->prev)
                d->prev->next = d->next;
        else if (m->devices == d)
                m->devices = d->next;
        if (d->next)
                d->next->prev = d->prev;
        d->prev = d->next = NULL;
        device_unref(d); /* the list's */
        device_unref(d);
}

/* --- Calls ------------------------------------------------------------------------- */

void manager_track_call(Manager *m, Call *c) {
        c->tracked = true;
        c->next = m->calls;
        c->prev = NULL;
        if (m->calls)
                m->calls->prev = c;
        m->calls = c;
        m->n_calls++;
        m->pending_bytes += call_buffer_bytes(c);
        c->device->n_calls++;
}

void manager_untrack_call(Manager *m, Call *c) {
        if (!c->tracked)
                return;
        c->tracked = false;
        if (c->prev)
                c->prev->next = c->next;
        else
                m->calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
        m->n_calls--;
        m->pending_bytes -= call_buffer_bytes(c);
        c->device->n_calls--;
}

unsigned manager_count_calls_of_sender(Manager *m, const char *sender) {
        unsigned n = 0;

        for (Call *c = m->calls; c; c = c->next)
                if (c->message && streq_ptr(c->sender, sender))
                        n++;
        return n;
}

void manager_sender_gone(Manager *m, const char *sender) {
        for (Call *c = m->calls, *next; c; c = next) {
                next = c->next;
                if (c->message && streq_ptr(c->sender, sender)) {
                        log_debug("Client '%s' disconnected, cancelling its call on '%s'.", sender,
                                  c->device->name);
                        call_cancel(c);
                }
        }
}

/* --- Start-up ---------------------------------------------------------------------- */

static void manager_request_name_once(Manager *m) {
        int r;

        if (m->name_requested || !m->bus)
                return;
        m->name_requested = true;
        m->coldplug_timeout = sd_event_source_disable_unref(m->coldplug_timeout);

        r = sd_bus_request_name(m->bus, FWCTLD_BUS_NAME, 0);
        if (r < 0) {
                log_error_errno(r, "Failed to acquire bus name '%s': %m", FWCTLD_BUS_NAME);
                (void) sd_event_exit(m->event, r);
                return;
        }

        audit_started(m);
        (void) sd_notify(false, "READY=1\nSTATUS=Serving fwctl devices.");
}

static int on_coldplug_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        log_warning("Devices still probing after %llu s, serving anyway.",
                    (unsigned long long) (COLDPLUG_TIMEOUT_USEC / 1000000ULL));
        manager_request_name_once(m);
        return 0;
}

int manager_start(Manager *m) {
        uint64_t now;
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        (void) sd_event_set_watchdog(m->event, true);

        m->completion_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->completion_fd < 0)
                return log_error_errno(errno, "Failed to create eventfd: %m");
        r = sd_event_add_io(m->event, &m->completion_source, m->completion_fd, EPOLLIN, on_completion, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch completions: %m");
        /* Results that arrived before a udev remove are answered before it is handled. */
        (void) sd_event_source_set_priority(m->completion_source, SD_EVENT_PRIORITY_IMPORTANT);

        /* Plugins run as root in the daemon: only root may have written them (or their directory). */
        r = plugin_load_dir(m->plugin_dir, 0, &m->plugins, &m->n_plugins);
        if (r < 0)
                log_warning_errno(r, "Failed to read plugin directory '%s': %m", m->plugin_dir);
        if (m->n_plugins == 0)
                log_warning("No plugins loaded from '%s': devices cannot be served.", m->plugin_dir);

        (void) manager_load_deny_list(m);
        (void) manager_load_raw_types(m);
        (void) manager_refresh_taint(m);
        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->taint_timer, CLOCK_MONOTONIC, now + TAINT_POLL_USEC, 0,
                                      on_taint_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->taint_timer, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to set up taint timer: %m");
        r = sd_event_add_time(m->event, &m->denial_timer, CLOCK_MONOTONIC, now + FWCTLD_DENIAL_RECORDS_WINDOW_USEC, 0,
                              on_denial_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->denial_timer, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the denial record timer: %m");

        r = bus_setup(m);
        if (r < 0)
                return r;

        r = udev_watch_start(m);
        if (r < 0)
                return r;

        if (m->coldplug_pending == 0)
                manager_request_name_once(m);
        else {
                r = sd_event_add_time(m->event, &m->coldplug_timeout, CLOCK_MONOTONIC,
                                      now + COLDPLUG_TIMEOUT_USEC, 0, on_coldplug_timeout, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up coldplug timeout: %m");
        }
        return 0;
}

int manager_run(Manager *m) {
        int r;

        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1");
        return r;
}
