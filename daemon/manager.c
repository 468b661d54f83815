/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <signal.h>
#include <time.h>
#include <sys/signalfd.h>

#include "audit.h"
#include "call.h"
#include "device-type.h"
#include "device.h"
#include "hashmap.h"
#include "list.h"
#include "log.h"
#include "manager.h"
#include "memfd-stock.h"
#include "names.h"
#include "plugin-loader.h"
#include "policy.h"
#include "session.h"
#include "shares.h"
#include "udev-watch.h"
#include "worker.h"

#define COLDPLUG_TIMEOUT_USEC (10ULL * 1000000ULL)
#define TAINT_POLL_USEC (30ULL * 1000000ULL)

struct Manager {
        sd_event *event;
        Policy *policy;

        char *plugin_dir;
        Plugin **plugins;
        size_t n_plugins;

        Completions *completions;
        UdevWatch *udev;
        MemfdStock *memfd_stock;
        sd_event_source *memfd_stock_timer;

        Device *devices; /* every device, in any state: iterate this */
        /* The same devices by the strings that name them (borrowed from each device): lookups
         * in O(1). Each key names one device: a new one replaces a stale one (missed remove). */
        Hashmap *devices_by_name, *devices_by_syspath, *devices_by_parent;
        /* Other names GetDevice takes (a PCI address, a node, the parent's name in a /sys/bus/
         * link): not unique in principle, so a name already taken stays with the first device
         * and, once that has happened, a lookup that misses falls back to a scan. */
        Hashmap *devices_by_pci, *devices_by_devnode, *devices_by_parent_name;
        unsigned n_alias_collisions;
        unsigned n_workers;
        Call *calls;
        unsigned n_calls;
        Shares *shares;

        Session *sessions;
        uint64_t next_session_id;
        uint64_t session_idle_usec, session_max_usec;
        sd_event_source *session_timer;

        Metrics metrics; /* every call, removed devices' included */
        uint64_t devices_added, devices_removed;

        bool stopping; /* manager_stop(): what has not run will not, and no device went away */
        bool tainted;
        sd_event_source *taint_timer;
        sd_event_source *denial_timer;
        sd_event_source *deadline_timer;
        sd_event_source *sighup;

        unsigned coldplug_pending;
        bool ready_sent;
        sd_event_source *coldplug_timeout;

        ManagerListener listener;
        ManagerAuthorizer authorizer;
};

/* What a worker item carries back to the loop. */
typedef struct WorkItem {
        Manager *manager;
        Device *device; /* probe, stop */
        Call *call;     /* call */
        int result;
} WorkItem;

static WorkItem *work_item_new(Manager *m, Device *d, Call *c) {
        WorkItem *w = calloc(1, sizeof(*w));

        if (w)
                *w = (WorkItem) { .manager = m, .device = d, .call = c };
        return w;
}

static void manager_remove_device(Manager *m, Device *d);

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}


int manager_new(sd_event *e, const ManagerConfig *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        assert(e);
        assert(config);
        assert(config->plugin_dir);
        assert(ret);

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(e);
        m->plugin_dir = strdup(config->plugin_dir);
        if (!m->plugin_dir)
                return -ENOMEM;
        r = policy_new(config->deny_dir, config->raw_types_path, config->tainted_path ?: FWCTLD_TAINTED_PATH,
                       &m->policy);
        if (r < 0)
                return r;
        /* Results that arrived before a udev remove are answered before it is handled. */
        r = completions_new(e, SD_EVENT_PRIORITY_IMPORTANT, &m->completions);
        if (r < 0)
                return r;
        r = shares_new(&shares_limits_default, &m->shares);
        if (r < 0)
                return r;
        r = memfd_stock_new(&m->memfd_stock);
        if (r < 0)
                return r;
        r = hashmap_new(&m->devices_by_name);
        if (r >= 0)
                r = hashmap_new(&m->devices_by_syspath);
        if (r >= 0)
                r = hashmap_new(&m->devices_by_parent);
        if (r >= 0)
                r = hashmap_new(&m->devices_by_pci);
        if (r >= 0)
                r = hashmap_new(&m->devices_by_devnode);
        if (r >= 0)
                r = hashmap_new(&m->devices_by_parent_name);
        if (r < 0)
                return r;
        m->session_idle_usec = config->session_idle_usec ?: FWCTLD_SESSION_IDLE_USEC;
        m->session_max_usec = config->session_max_usec ?: FWCTLD_SESSION_MAX_USEC;
        m->next_session_id = 1;
        *ret = TAKE_PTR(m);
        return 0;
}

static void manager_close_all_sessions(Manager *m, const char *reason);

void manager_stop(Manager *m) {
        assert(m);
        m->stopping = true;
        manager_close_all_sessions(m, "fwctld stopped");
        /* Stop every worker and wait for it: the fds close there, after any in-flight ioctl. */
        while (m->devices)
                manager_remove_device(m, m->devices);
        while (m->n_workers > 0)
                if (completions_wait(m->completions) < 0)
                        break;
        /* Every call belonged to a device: all were answered on the way. */
        assert(!m->calls);
        audit_flush_suppressed_denials(true);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        manager_stop(m);

        udev_watch_free(m->udev);
        completions_free(m->completions);
        sd_event_source_disable_unref(m->taint_timer);
        sd_event_source_disable_unref(m->denial_timer);
        sd_event_source_disable_unref(m->deadline_timer);
        sd_event_source_disable_unref(m->sighup);
        sd_event_source_disable_unref(m->coldplug_timeout);
        sd_event_source_disable_unref(m->session_timer);
        sd_event_source_disable_unref(m->memfd_stock_timer);
        /* After the workers: a refill may have been running until manager_stop() returned. */
        memfd_stock_free(m->memfd_stock);
        sd_event_unref(m->event);
        plugin_array_free(m->plugins, m->n_plugins);
        shares_free(m->shares);
        hashmap_free(m->devices_by_name);
        hashmap_free(m->devices_by_syspath);
        hashmap_free(m->devices_by_parent);
        hashmap_free(m->devices_by_pci);
        hashmap_free(m->devices_by_devnode);
        hashmap_free(m->devices_by_parent_name);
        free(m->plugin_dir);
        policy_free(m->policy);
        free(m);
        return NULL;
}

void manager_set_listener(Manager *m, const ManagerListener *listener) {
        assert(m);
        m->listener = listener ? *listener : (ManagerListener) {};
}

void manager_set_authorizer(Manager *m, const ManagerAuthorizer *authorizer) {
        assert(m);
        m->authorizer = authorizer ? *authorizer : (ManagerAuthorizer) {};
}

Device *manager_devices(Manager *m) {
        return m->devices;
}

const Metrics *manager_metrics(Manager *m, uint64_t *ret_added, uint64_t *ret_removed) {
        *ret_added = m->devices_added;
        *ret_removed = m->devices_removed;
        return &m->metrics;
}

unsigned manager_calls_in_progress(Manager *m) {
        return m->n_calls;
}

bool manager_tainted(Manager *m) {
        return m->tainted;
}

Plugin *const *manager_plugins(Manager *m, size_t *ret_n) {
        *ret_n = m->n_plugins;
        return m->plugins;
}

const char *manager_raw_types_path(Manager *m) {
        return m->policy->raw_types_path;
}

void manager_reload(Manager *m) {
        log_info("Reloading the deny list and the raw opt-in list.");
        policy_reload(m->policy);
        /* What a session was authorised under may have changed: authorise again. */
        manager_close_all_sessions(m, "reload");
}

static void manager_refresh_taint(Manager *m) {
        bool tainted = policy_read_taint(m->policy, m->tainted);

        if (tainted == m->tainted)
                return;
        m->tainted = tainted;
        if (m->listener.tainted_changed)
                m->listener.tainted_changed(tainted, m->listener.userdata);
}

/* --- Calls ------------------------------------------------------------------------- */

/* Busy: the caller's share is full; the message names the limit (docs/dbus-api.md). */
static int manager_refuse_share(Call *c, const char *why, int r, bool check) {
        if (check)
                return call_fail(c, CALL_ERROR_BUSY, "Refused: %s (limits: %u per user, %u in all); try again when "
                                 "your calls waiting for authorisation have been answered.",
                                 why ?: errno_name(r), FWCTLD_MAX_CHECKS_PER_UID, FWCTLD_MAX_CHECKS);
        return call_fail(c, CALL_ERROR_BUSY, "Refused: %s (limits: %u calls and %llu MiB per user, %llu MiB in all); "
                         "try again when your calls in progress have finished.",
                         why ?: errno_name(r), FWCTLD_MAX_CALLS_PER_UID, FWCTLD_MAX_BYTES_PER_UID / (1024ull * 1024ull),
                         FWCTLD_MAX_PENDING_BYTES / (1024ull * 1024ull));
}

/* The caller's share, taken after the free checks and before the plugin parses anything. */
static int manager_track_call(Manager *m, Call *c) {
        const char *why = NULL;
        int r;

        c->held_bytes = call_held_bytes(c);
        r = shares_admit_call(m->shares, c->caller.uid, c->held_bytes, &why);
        if (r < 0)
                return manager_refuse_share(c, why, r, false);
        LIST_PREPEND(m->calls, c);
        c->tracked = true;
        m->n_calls++;
        c->device->n_calls++;
        return 0;
}

/* Classified: the reply buffer may have grown to what the driver writes (kernel_out_min). */
static int manager_classify_call(Manager *m, Call *c) {
        const char *why = NULL;
        uint64_t held;
        int r;

        r = call_classify(c);
        if (r < 0)
                return r;
        held = call_held_bytes(c);
        if (held <= c->held_bytes)
                return 0;
        r = shares_admit_bytes(m->shares, c->caller.uid, held - c->held_bytes, &why);
        if (r < 0)
                return manager_refuse_share(c, why, r, false);
        c->held_bytes = held;
        return 0;
}

static void manager_release_check(Manager *m, Call *c) {
        if (!c->holds_check)
                return;
        shares_release_check(m->shares, c->caller.uid);
        c->holds_check = false;
}

static void manager_untrack_call(Manager *m, Call *c) {
        manager_release_check(m, c);
        if (!c->tracked)
                return;
        LIST_REMOVE(m->calls, c);
        c->tracked = false;
        m->n_calls--;
        shares_release_call(m->shares, c->caller.uid, c->held_bytes);
        c->device->n_calls--;
}

static_assert(_CALL_ERROR_MAX <= METRICS_RESULTS_MAX, "metrics have room for every result");

static void manager_count_call(Manager *m, Call *c) {
        bool execute = c->kind == CALL_EXECUTE;
        MetricsCall mc = {
                .scope = c->scope,
                .result = c->domain_error,
                .status_set = c->rpc.status_set,
                .status = c->rpc.status,
                .status_name = c->rpc.status_name,
                .bytes_in = execute ? c->parameters_size : c->request_size,
                .bytes_out = execute ? strlen(strempty(c->result_json)) : c->rpc.response_size,
                .latency_usec = c->submit_usec > 0 ? now_usec() - c->submit_usec : 0,
                .error_message = c->error_message,
        };
        int denial = c->domain_error == CALL_ERROR_BUSY ? METRICS_DENIAL_BUSY : c->denial;

        if (!scope_is_valid(mc.scope))
                return; /* refused before it had a scope: counted nowhere but in its answer */
        if (!c->device->metrics)
                c->device->metrics = calloc(1, sizeof(Metrics)); /* ENOMEM: the totals still count */
        if (c->device->metrics) {
                metrics_record_call(c->device->metrics, &mc);
                if (denial >= 0)
                        metrics_record_denial(c->device->metrics, denial);
        }
        metrics_record_call(&m->metrics, &mc);
        if (denial >= 0)
                metrics_record_denial(&m->metrics, denial);
}

/* The answer, exactly once: counted and sent through the call's completion. */
static void manager_answer_call(Manager *m, Call *c) {
        if (!c->done)
                return;
        manager_count_call(m, c);
        c->done(c, c->done_userdata);
        c->done = NULL;
}

/* The one way out of the pipeline: answer (unless answered early), forget, free. */
static void manager_complete_call(Manager *m, Call *c) {
        c->state = CALL_DONE;
        call_finish(c);
        manager_answer_call(m, c);
        manager_untrack_call(m, c);
        call_free(c);
}

static void call_item_run(void *userdata) {
        WorkItem *w = userdata;
        uint64_t start = now_usec();

        call_run(w->call);
        w->call->run_usec = w->call->n_ioctls > 0 ? now_usec() - start : 0;
}

/* A moving average of the device's service time, for admission by expected wait. */
static void device_account_run(Device *d, uint64_t usec) {
        if (usec == 0)
                return;
        d->service_usec = d->service_usec == 0 ? usec : (3 * d->service_usec + usec) / 4;
}

/* Refuse at once what could not start before the caller gives up (D-Bus clients wait 25 s). */
static int manager_admit_by_wait(Call *c) {
        Device *d = c->device;
        uint64_t wait = (uint64_t) d->n_submitted * d->service_usec;

        if (wait <= FWCTLD_MAX_EXPECTED_WAIT_USEC)
                return 0;
        return call_fail(c, CALL_ERROR_BUSY,
                         "Device '%s' is busy: %u call(s) ahead at about %llu ms each, so this one would start in "
                         "about %llu s; retry in %llu s.", d->name, d->n_submitted,
                         (unsigned long long) (d->service_usec / 1000ULL), (unsigned long long) (wait / 1000000ULL),
                         (unsigned long long) ((wait - FWCTLD_MAX_EXPECTED_WAIT_USEC) / 1000000ULL + 1));
}

static int on_memfd_stock_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        memfd_stock_drop(m->memfd_stock);
        return 0;
}

static void memfd_stock_item_run(void *userdata) {
        Manager *m = userdata;

        (void) memfd_stock_refill(m->memfd_stock);
}

/* The stocked pages go back once no large RpcFd response came for a while. */
static void memfd_stock_item_done(void *userdata) {
        Manager *m = userdata;
        uint64_t now;
        int r;

        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r >= 0 && !m->memfd_stock_timer)
                r = sd_event_add_time(m->event, &m->memfd_stock_timer, CLOCK_MONOTONIC,
                                      now + FWCTLD_MEMFD_STOCK_IDLE_USEC, 0, on_memfd_stock_timer, m);
        else if (r >= 0) {
                r = sd_event_source_set_time(m->memfd_stock_timer, now + FWCTLD_MEMFD_STOCK_IDLE_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->memfd_stock_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the memfd stock's idle timer, dropping the stock: %m");
                memfd_stock_drop(m->memfd_stock);
        }
}

/* After a large RpcFd response, the next one's memfd is made on the device's worker: off this
 * call's path, which has been answered, and before the caller's next request usually arrives. */
static void manager_restock_memfd(Manager *m, Device *d, size_t size) {
        if (d->state != DEVICE_READY || memfd_stock_want(m->memfd_stock, size) < 0)
                return;
        (void) worker_submit(d->worker, memfd_stock_item_run, memfd_stock_item_done, m);
}

static void call_item_done(void *userdata) {
        WorkItem *w = userdata;
        Manager *m = w->manager;
        Call *c = w->call;
        Device *d = device_ref(c->device);
        bool gone = c->error == -ENODEV || c->error == -ENXIO;
        size_t restock = c->rpc.memfd_sealed ? c->rpc.response_size : 0;

        free(w);
        if (atomic_load(&c->start) != CALL_START_EXPIRED)
                d->n_submitted--;
        device_account_run(d, c->run_usec);
        manager_refresh_taint(m);
        /* Every attempt record gets its result, ECANCELED included (caller left while queued). */
        call_audit_result(c, m->tainted);
        manager_complete_call(m, c);
        /* An orphaned fd answers ENODEV to everything: drop the device now. */
        if (gone)
                manager_remove_device(m, d);
        else if (restock > 0)
                manager_restock_memfd(m, d, restock);
        device_unref(d);
}

static void manager_open_session(Manager *m, Call *c);

static void manager_enqueue_call(Manager *m, Call *c) {
        WorkItem *w;
        int r;

        if (c->device->state != DEVICE_READY) {
                (void) call_fail(c, CALL_ERROR_DEVICE_GONE, "Device '%s' is gone.", c->device->name);
                return manager_complete_call(m, c);
        }
        if (c->kind == CALL_OPEN_SESSION)
                return manager_open_session(m, c);
        if (manager_admit_by_wait(c) < 0)
                return manager_complete_call(m, c);
        /* Execute's RPCs are recorded one by one, each under its own name, as they run. */
        if (c->kind == CALL_RPC && call_changes_device(c) && call_audit_attempt(c) < 0)
                return manager_complete_call(m, c);

        c->memfd_stock = c->response_memfd ? m->memfd_stock : NULL;
        w = work_item_new(m, NULL, c);
        r = w ? worker_submit_counted(c->device->worker, FWCTLD_MAX_CALLS_PER_DEVICE, call_item_run, call_item_done, w)
              : -ENOMEM;
        if (r < 0) {
                free(w);
                c->error = r;
                call_audit_result(c, c->tainted_before);
                if (r == -EBUSY)
                        (void) call_fail(c, CALL_ERROR_BUSY, "Device '%s' has %u calls queued; try again later.",
                                         c->device->name, FWCTLD_MAX_CALLS_PER_DEVICE);
                else
                        (void) call_fail(c, CALL_ERROR_DEVICE_ERROR, "Failed to queue the call: %s", errno_name(r));
                return manager_complete_call(m, c);
        }
        c->device->n_submitted++;
        c->state = CALL_QUEUED;
}

void manager_submit_call(Manager *m, Call *c, CallDoneFunc done, void *userdata) {
        const char *why = NULL;
        int r;

        assert(m);
        assert(c);
        c->done = done;
        c->done_userdata = userdata;
        c->policy = m->policy;
        c->submit_usec = now_usec();

        if (call_check_request(c) < 0 || manager_track_call(m, c) < 0 || manager_classify_call(m, c) < 0)
                return manager_complete_call(m, c);

        /* Root is authorised by polkit unconditionally; spare the round trip. */
        if (c->caller.uid == 0)
                return manager_enqueue_call(m, c);

        /* A check waits on polkit (and maybe an agent): counted in the caller's share. */
        r = shares_admit_check(m->shares, c->caller.uid, &why);
        if (r < 0) {
                (void) manager_refuse_share(c, why, r, true);
                return manager_complete_call(m, c);
        }
        c->holds_check = true;
        c->state = CALL_AUTHORIZING;
        r = m->authorizer.start ? m->authorizer.start(c, m->authorizer.userdata) : -ENOTCONN;
        if (r < 0)
                manager_authorization_done(m, c, r, false, false, NULL);
}

void manager_submit_session_call(Manager *m, Session *s, Call *c, CallDoneFunc done, void *userdata) {
        assert(m);
        assert(s);
        assert(c);
        c->done = done;
        c->done_userdata = userdata;
        c->policy = m->policy;
        c->submit_usec = now_usec();
        if (c->kind == CALL_RPC)
                c->scope = s->scope;

        if (call_check_request(c) < 0 || manager_track_call(m, c) < 0 || manager_classify_call(m, c) < 0 ||
            session_admit_call(s, c) < 0)
                return manager_complete_call(m, c);
        s->used_usec = now_usec();
        /* The session may end while the call waits; the call was admitted under it. */
        c->session = NULL;
        manager_enqueue_call(m, c);
}

/* --- Sessions ---------------------------------------------------------------------- */

Session *manager_find_session(Manager *m, uint64_t id) {
        for (Session *s = m->sessions; s; s = s->next)
                if (s->id == id)
                        return s;
        return NULL;
}

uint64_t manager_session_expires(Manager *m, const Session *s) {
        return session_expires_realtime(s, m->session_idle_usec, m->session_max_usec);
}

static void session_to_audit(const Session *s, AuditCall *ret) {
        *ret = (AuditCall) {
                .device = device_to_audit(s->device),
                .scope = s->scope,
                .operation = "session",
                .configuration_write = s->configuration_write,
                .uid = s->owner.uid,
                .pid = s->owner.pid,
                .unit = s->owner.unit,
                .sender = s->owner.sender,
        };
}

void manager_close_session(Manager *m, Session *s, const char *reason) {
        AuditCall a;

        assert(m);
        assert(s);
        session_to_audit(s, &a);
        audit_session(&a, s->id, false, reason);
        if (m->listener.session_closed)
                m->listener.session_closed(s, m->listener.userdata);
        LIST_REMOVE(m->sessions, s);
        session_free(s);
        if (!m->sessions)
                (void) sd_event_source_set_enabled(m->session_timer, SD_EVENT_OFF);
}

static void manager_close_all_sessions(Manager *m, const char *reason) {
        while (m->sessions)
                manager_close_session(m, m->sessions, reason);
}

static int on_session_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_usec();
        Session *s, *next;

        LIST_FOREACH_SAFE(s, next, m->sessions)
                if (session_expired(s, now, m->session_idle_usec, m->session_max_usec))
                        manager_close_session(m, s, now >= s->opened_usec + m->session_max_usec ? "expired" : "idle");
        return sd_event_source_set_time(source, usec + 1000000ULL);
}

static int manager_arm_session_timer(Manager *m) {
        uint64_t now;
        int r;

        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (!m->session_timer)
                r = sd_event_add_time(m->event, &m->session_timer, CLOCK_MONOTONIC, now + 1000000ULL, 0,
                                      on_session_timer, m);
        else
                r = sd_event_source_set_time(m->session_timer, now + 1000000ULL);
        /* ON, not the ONESHOT a new time source starts as: the callback moves it a second on
         * for as long as a session is open (a oneshot would look once and never again). */
        if (r >= 0)
                r = sd_event_source_set_enabled(m->session_timer, SD_EVENT_ON);
        return r;
}

static unsigned manager_count_sessions_of_uid(Manager *m, uid_t uid) {
        unsigned n = 0;

        for (Session *s = m->sessions; s; s = s->next)
                if (s->owner.uid == uid)
                        n++;
        return n;
}

/* Authorised: the session exists from now on, and the call answers with it. */
static void manager_open_session(Manager *m, Call *c) {
        struct timespec ts;
        Session *s = NULL;
        AuditCall a;
        int r;

        if (manager_count_sessions_of_uid(m, c->caller.uid) >= FWCTLD_MAX_SESSIONS_PER_UID) {
                (void) call_fail(c, CALL_ERROR_BUSY, "Too many sessions open for this user (limit %u); close one.",
                                 FWCTLD_MAX_SESSIONS_PER_UID);
                return manager_complete_call(m, c);
        }
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        r = session_new(m->next_session_id, c->device, c->scope, c->cls.configuration_write, &c->caller, now_usec(),
                        (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL, &s);
        if (r >= 0)
                r = manager_arm_session_timer(m);
        if (r < 0) {
                session_free(s);
                (void) call_fail(c, CALL_ERROR_DEVICE_ERROR, "Failed to open the session: %s", errno_name(r));
                return manager_complete_call(m, c);
        }
        m->next_session_id++;
        LIST_PREPEND(m->sessions, s);
        session_to_audit(s, &a);
        audit_session(&a, s->id, true, NULL);
        c->session = s;
        manager_complete_call(m, c);
}

void manager_authorization_done(Manager *m, Call *c, int r, bool authorized, bool challenge, const char *error_message) {
        const char *action = scope_to_action(c->scope);

        assert(c->state == CALL_AUTHORIZING);
        c->authorization = NULL;
        manager_release_check(m, c);
        if (r >= 0 && authorized)
                return manager_enqueue_call(m, c);

        c->denial = r == -ETIMEDOUT ? METRICS_DENIAL_CHALLENGE :
                    r < 0           ? METRICS_DENIAL_POLKIT_UNAVAILABLE :
                    challenge       ? METRICS_DENIAL_CHALLENGE :
                                      METRICS_DENIAL_DENIED;
        call_audit_denied(c, r == -ETIMEDOUT ? "timeout" :
                             r < 0           ? "polkit-unavailable" :
                             challenge       ? "challenge" :
                                               "denied");
        /* No answer in time: with an agent asked, the user did not authenticate; without
         * one, polkitd or the bus is congested and the caller may well be authorised. */
        if (r == -ETIMEDOUT && c->caller.interactive)
                (void) call_fail(c, CALL_ERROR_NOT_AUTHORIZED,
                                 "Authorization for %s was not given in time (an authentication agent did not "
                                 "answer); the check was cancelled.", action);
        else if (r == -ETIMEDOUT)
                (void) call_fail(c, CALL_ERROR_BUSY,
                                 "Refused: polkit did not answer the check for %s in time (limits: %llu s); it "
                                 "or the bus is congested, the check was cancelled: try again.", action,
                                 (unsigned long long) (FWCTLD_POLKIT_TIMEOUT_USEC / 1000000ull));
        else if (r < 0)
                (void) call_fail(c, CALL_ERROR_NOT_AUTHORIZED,
                                 "Authorization for %s could not be checked (polkit unavailable: %s).", action,
                                 error_message ?: errno_name(r));
        else if (challenge && !c->caller.interactive)
                (void) call_fail(c, CALL_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                 "Authentication is required for %s; allow interactive authorization to be asked.",
                                 action);
        else
                (void) call_fail(c, CALL_ERROR_NOT_AUTHORIZED, "Not authorized for %s on '%s'.", action,
                                 c->device->name);
        manager_complete_call(m, c);
}

static void manager_cancel_authorization(Manager *m, Call *c) {
        if (c->state == CALL_AUTHORIZING && m->authorizer.cancel)
                m->authorizer.cancel(c, m->authorizer.userdata);
        c->authorization = NULL;
}

void manager_cancel_sender(Manager *m, const char *sender) {
        Session *s, *snext;
        Call *c, *next;

        LIST_FOREACH_SAFE(s, snext, m->sessions)
                if (streq_ptr(s->owner.sender, sender))
                        manager_close_session(m, s, "its opener left");

        LIST_FOREACH_SAFE(c, next, m->calls) {
                if (atomic_load(&c->cancelled) || !streq_ptr(c->caller.sender, sender))
                        continue;
                log_debug("Client '%s' disconnected, cancelling its call on '%s'.", sender, c->device->name);
                atomic_store(&c->cancelled, true);
                if (c->state != CALL_AUTHORIZING)
                        continue; /* queued or running: the worker skips it, the completion frees it */
                manager_cancel_authorization(m, c);
                (void) call_fail(c, CALL_ERROR_CANCELLED, "The caller left.");
                manager_complete_call(m, c);
        }
}

/* --- Devices ----------------------------------------------------------------------- */

/* Best effort: a name not indexed (taken, or ENOMEM) is still found by the scan. */
static void manager_index_alias(Manager *m, Hashmap *h, const char *key, Device *d) {
        if (!isempty(key) && hashmap_put(h, key, d) < 0)
                m->n_alias_collisions++;
}

static void manager_index_aliases(Manager *m, Device *d) {
        manager_index_alias(m, m->devices_by_pci, d->pci_address, d);
        manager_index_alias(m, m->devices_by_devnode, d->devnode, d);
        manager_index_alias(m, m->devices_by_parent_name, device_parent_name(d), d);
}

static int manager_index_device(Manager *m, Device *d) {
        int r;

        r = hashmap_put(m->devices_by_name, d->name, d);
        if (r >= 0)
                r = hashmap_put(m->devices_by_syspath, d->syspath, d);
        if (r >= 0 && !isempty(d->parent))
                r = hashmap_put(m->devices_by_parent, d->parent, d);
        if (r < 0) {
                (void) hashmap_remove_value(m->devices_by_name, d->name, d);
                (void) hashmap_remove_value(m->devices_by_syspath, d->syspath, d);
                return r;
        }
        manager_index_aliases(m, d);
        return 0;
}

static void manager_unindex_device(Manager *m, Device *d) {
        (void) hashmap_remove_value(m->devices_by_name, d->name, d);
        (void) hashmap_remove_value(m->devices_by_syspath, d->syspath, d);
        if (!isempty(d->parent))
                (void) hashmap_remove_value(m->devices_by_parent, d->parent, d);
        if (!isempty(d->pci_address))
                (void) hashmap_remove_value(m->devices_by_pci, d->pci_address, d);
        if (!isempty(d->devnode))
                (void) hashmap_remove_value(m->devices_by_devnode, d->devnode, d);
        if (!isempty(device_parent_name(d)))
                (void) hashmap_remove_value(m->devices_by_parent_name, device_parent_name(d), d);
}

Device *manager_get_device_by_name(Manager *m, const char *name) {
        return hashmap_get(m->devices_by_name, name);
}

Device *manager_find_device_by_name(Manager *m, const char *name) {
        Device *d = hashmap_get(m->devices_by_name, name);

        return d && d->state == DEVICE_READY ? d : NULL;
}

/* /sys/bus/BUS/devices/NAME: the parent's name, or (BUS pci) its PCI address. */
static Device *manager_find_bus_link(Manager *m, const char *rest) {
        bool pci;
        const char *x = device_bus_link_name(rest, &pci);

        if (!x)
                return NULL;
        return hashmap_get(m->devices_by_parent_name, x) ?: (pci ? hashmap_get(m->devices_by_pci, x) : NULL);
}

/* Every form in O(1), through the indexes; device_matches() still decides (it refuses paths
 * with "." or ".." components). A scan only once an alias was left unindexed. */
Device *manager_find_device(Manager *m, const char *name_or_parent) {
        const char *s = name_or_parent;
        Device *d;

        if (isempty(s))
                return NULL;
        if (s[0] != '/')
                d = hashmap_get(m->devices_by_name, s) ?: hashmap_get(m->devices_by_pci, s);
        else if (strncmp(s, "/sys/class/fwctl/", strlen("/sys/class/fwctl/")) == 0)
                d = hashmap_get(m->devices_by_name, s + strlen("/sys/class/fwctl/"));
        else if (strncmp(s, "/sys/bus/", strlen("/sys/bus/")) == 0)
                d = manager_find_bus_link(m, s + strlen("/sys/bus/"));
        else
                d = hashmap_get(m->devices_by_syspath, s) ?: hashmap_get(m->devices_by_parent, s) ?:
                    hashmap_get(m->devices_by_devnode, s);
        if (d && d->state == DEVICE_READY && device_matches(d, s))
                return d;
        if (m->n_alias_collisions == 0)
                return NULL;

        for (d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY && device_matches(d, s))
                        return d;
        return NULL;
}

static Device *manager_find_device_by_syspath(Manager *m, const char *syspath) {
        return hashmap_get(m->devices_by_syspath, syspath);
}

static void manager_send_ready(Manager *m) {
        unsigned n = 0;

        if (m->ready_sent)
                return;
        m->ready_sent = true;
        m->coldplug_timeout = sd_event_source_disable_unref(m->coldplug_timeout);
        for (const Device *d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY)
                        n++;
        audit_started(n, m->n_plugins);
        if (m->listener.ready)
                m->listener.ready(m->listener.userdata);
}

static void manager_coldplug_settled_one(Manager *m, Device *d) {
        if (!d->coldplug)
                return;
        d->coldplug = false;
        if (m->coldplug_pending > 0 && --m->coldplug_pending == 0)
                manager_send_ready(m);
}

static void probe_item_run(void *userdata) {
        WorkItem *w = userdata;

        w->result = device_probe(w->device, w->manager->plugins, w->manager->n_plugins);
}

static void probe_item_done(void *userdata) {
        WorkItem *w = userdata;
        Manager *m = w->manager;
        Device *d = w->device; /* the item's ref */
        int result = w->result;

        free(w);
        if (d->state == DEVICE_PROBING && result < 0) {
                log_device_warning(d->name, "Device '%s' could not be set up, ignoring.", d->syspath);
                manager_remove_device(m, d);
        } else if (d->state == DEVICE_PROBING) {
                AuditDevice a = device_to_audit(d);

                d->state = DEVICE_READY;
                m->devices_added++;
                log_device_info(d->name, "Device '%s' (%s, parent '%s') ready, plugin '%s'.", d->name,
                                device_type_to_string(d->type), d->parent, device_plugin_name(d));
                audit_device_event(&a, true);
                if (m->listener.device_added)
                        m->listener.device_added(d, m->listener.userdata);
        }
        /* Once it is published (or dropped): "ready" counts it and clients find it. */
        manager_coldplug_settled_one(m, d);
        device_unref(d);
}

static void stop_item_run(void *userdata) {
        WorkItem *w = userdata;

        device_shutdown(w->device);
}

/* No pool thread touches the worker any more: it is freed when this returns. */
static void stop_item_done(void *userdata) {
        WorkItem *w = userdata;

        w->device->worker = NULL;
        w->manager->n_workers--;
        device_unref(w->device); /* the worker's */
        free(w);
}

/* A queued call taken back from a removed device's worker: it never reaches the kernel. */
/* A call that never reached the device because the device went, or because fwctld is
 * stopping (then it may be sent again once fwctld is back: Busy, not DeviceGone). */
static void manager_fail_not_run(Manager *m, Call *c) {
        if (m->stopping)
                (void) call_fail(c, CALL_ERROR_BUSY, "fwctld is stopping: the call to '%s' did not run; retry once "
                                 "it is back.", c->device->name);
        else
                (void) call_fail(c, CALL_ERROR_DEVICE_GONE, "Device '%s' was removed.", c->device->name);
}

static void steal_one(void *userdata, void *context) {
        WorkItem *w = userdata;
        Manager *m = context;
        Call *c = w->call;

        free(w);
        if (atomic_load(&c->start) != CALL_START_EXPIRED)
                c->device->n_submitted--;
        c->error = m->stopping ? -ESHUTDOWN : -ENODEV;
        call_audit_result(c, m->tainted);
        manager_fail_not_run(m, c);
        manager_complete_call(m, c);
}

static void manager_remove_device(Manager *m, Device *d) {
        Session *s, *snext;
        Call *c, *next;
        WorkItem *w;
        bool was_ready;

        if (!d || d->state == DEVICE_GONE)
                return;
        was_ready = d->state == DEVICE_READY;
        d->state = DEVICE_GONE;
        device_ref(d);
        manager_coldplug_settled_one(m, d);

        LIST_FOREACH_SAFE(s, snext, m->sessions)
                if (s->device == d)
                        manager_close_session(m, s, "its device went away");

        /* Calls queued behind the running one never reach the kernel. */
        if (d->worker)
                worker_steal_counted(d->worker, steal_one, m);

        /*
         * Waiting for polkit: answer and drop. Running on the worker: leave it. The kernel
         * lets an in-flight ioctl finish before it unregisters, so its real result (or
         * ENODEV, answered as DeviceGone) arrives right after; a delivered call must not
         * be reported as lost.
         */
        LIST_FOREACH_SAFE(c, next, m->calls) {
                if (c->device != d || c->state != CALL_AUTHORIZING)
                        continue;
                manager_cancel_authorization(m, c);
                manager_fail_not_run(m, c);
                manager_complete_call(m, c);
        }

        if (d->worker) {
                w = work_item_new(m, d, NULL);
                if (!w || worker_stop(d->worker, stop_item_run, stop_item_done, w) < 0) {
                        free(w);
                        log_device_error(d->name, "Failed to stop the worker of '%s'.", d->name);
                }
        }

        if (was_ready) {
                AuditDevice a = device_to_audit(d);

                m->devices_removed++;
                if (m->listener.device_removed)
                        m->listener.device_removed(d, m->listener.userdata);
                /* At a stop the device is still there: the journal says fwctld stopped, not
                 * that every device was unplugged. */
                if (!m->stopping) {
                        audit_device_event(&a, false);
                        log_device_info(d->name, "Device '%s' (parent '%s') removed.", d->name, d->parent);
                }
        }

        /* Indexed until here: the bus layer finds it while InterfacesRemoved goes out. */
        manager_unindex_device(m, d);
        LIST_REMOVE(m->devices, d);
        device_unref(d); /* the list's */
        device_unref(d);
}

static int manager_add_device(Manager *m, const DeviceIdentity *id, bool coldplug) {
        _cleanup_(device_unrefp) Device *d = NULL;
        WorkItem *w;
        int r;

        if (manager_find_device_by_syspath(m, id->syspath))
                return 0;
        /* A new node for the same parent replaces the stale one (missed remove); so does a new
         * node under the same name (the kernel names one live device so). */
        if (!isempty(id->parent))
                manager_remove_device(m, hashmap_get(m->devices_by_parent, id->parent));
        manager_remove_device(m, hashmap_get(m->devices_by_name, id->name));

        r = device_new(id, m->policy, &d);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate device '%s': %m", id->syspath);
        r = manager_index_device(m, d);
        if (r < 0)
                return log_error_errno(r, "Failed to index device '%s': %m", id->syspath);
        r = worker_new(m->completions, &d->worker);
        if (r < 0) {
                manager_unindex_device(m, d);
                return log_error_errno(r, "Failed to start worker for '%s': %m", id->name);
        }
        device_ref(d); /* held by the worker until its stop item is done */
        m->n_workers++;

        d->coldplug = coldplug;
        if (coldplug)
                m->coldplug_pending++;
        device_ref(d); /* the list's */
        LIST_PREPEND(m->devices, d);

        w = work_item_new(m, d, NULL);
        if (w)
                device_ref(d); /* the probe item's */
        r = w ? worker_submit(d->worker, probe_item_run, probe_item_done, w) : -ENOMEM;
        if (r < 0) {
                if (w)
                        device_unref(w->device);
                free(w);
                manager_remove_device(m, d);
                return log_error_errno(r, "Failed to queue probe of '%s': %m", id->name);
        }
        log_device_debug(id->name, "Probing '%s' ('%s').", id->syspath, id->devnode);
        return 0;
}

static void on_udev(UdevAction action, const DeviceIdentity *id, bool coldplug, void *userdata) {
        Manager *m = userdata;

        if (action == UDEV_ACTION_REMOVE)
                manager_remove_device(m, manager_find_device_by_syspath(m, id->syspath));
        else
                (void) manager_add_device(m, id, coldplug);
}

/* --- Start-up ---------------------------------------------------------------------- */

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        manager_reload(userdata);
        return 0;
}

static int on_taint_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_refresh_taint(userdata);
        return sd_event_source_set_time(s, usec + TAINT_POLL_USEC);
}

static int on_denial_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        audit_flush_suppressed_denials(false);
        return sd_event_source_set_time(s, usec + FWCTLD_DENIAL_RECORDS_WINDOW_USEC);
}

/*
 * A queued call that has not started within the expected-wait limit (the device turned
 * slow after it was admitted) is answered Busy now, before its caller times out; the worker
 * skips it when it gets there. Its share is released when the worker is done with it.
 */
static int on_deadline_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_usec();

        for (Call *c = m->calls; c; c = c->next) {
                int waiting = CALL_START_WAITING;

                if (c->state != CALL_QUEUED || !c->done || now - c->submit_usec < FWCTLD_MAX_EXPECTED_WAIT_USEC)
                        continue;
                if (!atomic_compare_exchange_strong(&c->start, &waiting, CALL_START_EXPIRED))
                        continue; /* running: it answers with its result */
                c->device->n_submitted--;
                (void) call_fail(c, CALL_ERROR_BUSY,
                                 "Device '%s' did not get to this call within %llu s (it became slower than "
                                 "expected); it was not run: retry in %llu s.", c->device->name,
                                 FWCTLD_MAX_EXPECTED_WAIT_USEC / 1000000ULL,
                                 (unsigned long long) ((uint64_t) c->device->n_submitted * c->device->service_usec /
                                                       1000000ULL + 1));
                manager_answer_call(m, c);
        }
        return sd_event_source_set_time(s, usec + 1000000ULL);
}

static int on_coldplug_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        log_warning("Devices still probing after %llu s, serving anyway.",
                    (unsigned long long) (COLDPLUG_TIMEOUT_USEC / 1000000ULL));
        manager_send_ready(userdata);
        return 0;
}

static int manager_add_timers(Manager *m, uint64_t now) {
        int r;

        r = sd_event_add_time(m->event, &m->taint_timer, CLOCK_MONOTONIC, now + TAINT_POLL_USEC, 0, on_taint_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->taint_timer, SD_EVENT_ON);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->denial_timer, CLOCK_MONOTONIC,
                                      now + FWCTLD_DENIAL_RECORDS_WINDOW_USEC, 0, on_denial_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->denial_timer, SD_EVENT_ON);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->deadline_timer, CLOCK_MONOTONIC, now + 1000000ULL, 0,
                                      on_deadline_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->deadline_timer, SD_EVENT_ON);
        return r;
}

int manager_start(Manager *m) {
        uint64_t now;
        int r;

        assert(m);
        /* SIGHUP must be blocked by the caller (main() blocks it with SIGTERM and SIGINT). */
        r = sd_event_add_signal(m->event, &m->sighup, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m");

        r = plugin_load_dir(m->plugin_dir, 0, &m->plugins, &m->n_plugins);
        if (r < 0)
                log_warning_errno(r, "Failed to read plugin directory '%s': %m", m->plugin_dir);
        if (m->n_plugins == 0)
                log_warning("No plugins loaded from '%s': devices cannot be served.", m->plugin_dir);

        policy_reload(m->policy);
        manager_refresh_taint(m);
        r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = manager_add_timers(m, now);
        if (r < 0)
                return log_error_errno(r, "Failed to set up timers: %m");

        r = udev_watch_new(m->event, on_udev, m, &m->udev);
        if (r < 0)
                return log_error_errno(r, "Failed to watch udev: %m");
        r = udev_watch_enumerate(m->udev);
        if (r < 0)
                return log_error_errno(r, "Failed to enumerate fwctl devices: %m");

        if (m->coldplug_pending == 0)
                manager_send_ready(m);
        else {
                r = sd_event_add_time(m->event, &m->coldplug_timeout, CLOCK_MONOTONIC, now + COLDPLUG_TIMEOUT_USEC, 0,
                                      on_coldplug_timeout, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up coldplug timeout: %m");
        }
        return 0;
}
