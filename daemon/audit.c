/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "names.h"
#include "scope.h"
#include "util.h"

typedef struct Record {
        struct iovec iov[40];
        size_t n;
        bool incomplete;
} Record;

/* One journal record built field by field, sent with sd_journal_sendv(). */
_printf_(2, 3) static void record_add(Record *rec, const char *format, ...) {
        va_list ap;
        char *s;

        if (rec->n >= ELEMENTSOF(rec->iov)) {
                rec->incomplete = true;
                return;
        }
        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s) {
                rec->incomplete = true;
                return;
        }
        rec->iov[rec->n++] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
}

/* 0 when the journal took the record whole; -errno otherwise (an attempt record then stops the call). */
static int record_send(Record *rec) {
        int r;

        r = rec->incomplete ? -ENOMEM : sd_journal_sendv(rec->iov, (int) rec->n);
        for (size_t i = 0; i < rec->n; i++)
                free(rec->iov[i].iov_base);
        rec->n = 0;
        return r < 0 ? r : 0;
}

static const char *audit_operation(const AuditCall *a) {
        return isempty(a->operation) ? "unknown" : a->operation;
}

static void record_add_device(Record *rec, const AuditDevice *d) {
        record_add(rec, "FWCTL_DEVICE=%s", strempty(d->name));
        record_add(rec, "FWCTL_DEVICE_TYPE=%s", strempty(d->type_name));
        record_add(rec, "FWCTL_PARENT=%s", strempty(d->parent));
}

/* Who asked what of which device: shared by every call record. */
static void record_add_call(Record *rec, const AuditCall *a) {
        record_add_device(rec, &a->device);
        record_add(rec, "FWCTL_SCOPE=%" PRIu32, a->scope);
        record_add(rec, "FWCTL_SCOPE_NAME=%s", strempty(scope_to_string(a->scope)));
        record_add(rec, "FWCTL_OPERATION=%s", audit_operation(a));
        if (!isempty(a->execute_operation))
                record_add(rec, "FWCTL_EXECUTE_OPERATION=%s", a->execute_operation);
        record_add(rec, "FWCTL_CONFIGURATION_WRITE=%i", a->configuration_write ? 1 : 0);
        record_add(rec, "FWCTL_REQUEST_SIZE=%zu", a->request_size);
        record_add(rec, "FWCTL_CALLER_UID=%u", (unsigned) a->uid);
        record_add(rec, "FWCTL_CALLER_PID=%d", (int) a->pid);
        record_add(rec, "FWCTL_CALLER_UNIT=%s", strempty(a->unit));
        record_add(rec, "FWCTL_CALLER_BUS_NAME=%s", strempty(a->sender));
}

static const char *audit_change_kind(const AuditCall *a) {
        if (scope_taints(a->scope))
                return "the kernel may be tainted";
        return "a configuration write";
}

int audit_rpc_attempt(const AuditCall *a) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_RPC_ATTEMPT);
        record_add(&rec, "MESSAGE=%s at scope %s on '%s' requested by uid %u (pid %d): %s.", audit_operation(a),
                   strempty(scope_to_string(a->scope)), strempty(a->device.name), (unsigned) a->uid, (int) a->pid,
                   audit_change_kind(a));
        record_add(&rec, "PRIORITY=%i", LOG_WARNING);
        record_add_call(&rec, a);
        record_add(&rec, "FWCTL_RESULT=pending");
        record_add(&rec, "FWCTL_KERNEL_TAINTED_BEFORE=%i", a->tainted_before ? 1 : 0);
        return record_send(&rec);
}

void audit_rpc_result(const AuditCall *a) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_RPC_RESULT);
        record_add(&rec, "MESSAGE=%s at scope %s on '%s' for uid %u: %s.", audit_operation(a),
                   strempty(scope_to_string(a->scope)), strempty(a->device.name), (unsigned) a->uid,
                   errno_name(a->result));
        record_add(&rec, "PRIORITY=%i", a->result < 0 ? LOG_WARNING : LOG_NOTICE);
        record_add_call(&rec, a);
        record_add(&rec, "FWCTL_RESULT=%s", errno_name(a->result));
        if (a->issued)
                record_add(&rec, "FWCTL_ISSUED_SCOPE=%" PRIu32, a->issued_scope);
        if (a->status_set) {
                record_add(&rec, "FWCTL_DEVICE_STATUS=%" PRIu32, a->status);
                record_add(&rec, "FWCTL_DEVICE_STATUS_NAME=%s", strempty(a->status_name));
        }
        record_add(&rec, "FWCTL_IOCTLS=%u", a->n_ioctls);
        record_add(&rec, "FWCTL_KERNEL_TAINTED_BEFORE=%i", a->tainted_before ? 1 : 0);
        record_add(&rec, "FWCTL_KERNEL_TAINTED_AFTER=%i", a->tainted_after ? 1 : 0);
        (void) record_send(&rec);
}

/*
 * Denial records are limited per uid: a user with no grant could otherwise flood the
 * journal until its rate limit drops the records that matter. Past the burst, denials
 * of that uid are counted and summarised once the window ends.
 */
typedef struct DenialBucket {
        uid_t uid;
        bool used;
        uint64_t window_start;
        unsigned n;
        unsigned suppressed;
} DenialBucket;

static DenialBucket denial_buckets[64];
static pthread_mutex_t denial_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void audit_denials_suppressed(uid_t uid, unsigned n) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_DENIALS_SUPPRESSED);
        record_add(&rec, "MESSAGE=%u more denial(s) for uid %u were not recorded one by one (limit %u per %llu s).",
                   n, (unsigned) uid, FWCTLD_DENIAL_RECORDS_BURST,
                   (unsigned long long) (FWCTLD_DENIAL_RECORDS_WINDOW_USEC / 1000000ULL));
        record_add(&rec, "PRIORITY=%i", LOG_NOTICE);
        record_add(&rec, "FWCTL_CALLER_UID=%u", (unsigned) uid);
        record_add(&rec, "FWCTL_SUPPRESSED=%u", n);
        (void) record_send(&rec);
}

/* Summaries of windows that ended (all of them with force); any thread. */
void audit_flush_suppressed_denials(bool force) {
        uint64_t now = now_usec();

        pthread_mutex_lock(&denial_lock);
        for (size_t i = 0; i < ELEMENTSOF(denial_buckets); i++) {
                DenialBucket *b = &denial_buckets[i];

                if (!b->used || (!force && now - b->window_start < FWCTLD_DENIAL_RECORDS_WINDOW_USEC))
                        continue;
                if (b->suppressed > 0)
                        audit_denials_suppressed(b->uid, b->suppressed);
                *b = (DenialBucket) {};
        }
        pthread_mutex_unlock(&denial_lock);
}

/* May a denial record for uid be written at now (CLOCK_MONOTONIC, usec)? */
bool audit_denial_record_allowed(uid_t uid, uint64_t now) {
        DenialBucket *b = NULL, *oldest = &denial_buckets[0];
        bool allowed;

        pthread_mutex_lock(&denial_lock);
        for (size_t i = 0; i < ELEMENTSOF(denial_buckets) && !b; i++) {
                DenialBucket *x = &denial_buckets[i];

                if (x->used && x->uid == uid)
                        b = x;
                else if (!x->used || (oldest->used && x->window_start < oldest->window_start))
                        oldest = x;
        }
        if (b && now - b->window_start >= FWCTLD_DENIAL_RECORDS_WINDOW_USEC) {
                if (b->suppressed > 0)
                        audit_denials_suppressed(b->uid, b->suppressed);
                *b = (DenialBucket) { .used = true, .uid = uid, .window_start = now };
        }
        if (!b) {
                /* Evicting a bucket flushes what it counted: nothing is lost silently. */
                if (oldest->used && oldest->suppressed > 0)
                        audit_denials_suppressed(oldest->uid, oldest->suppressed);
                b = oldest;
                *b = (DenialBucket) { .used = true, .uid = uid, .window_start = now };
        }
        allowed = b->n < FWCTLD_DENIAL_RECORDS_BURST;
        if (allowed)
                b->n++;
        else
                b->suppressed++;
        pthread_mutex_unlock(&denial_lock);
        return allowed;
}

void audit_auth_denied(const AuditCall *a, const char *polkit_action, const char *why) {
        Record rec = {};

        if (!audit_denial_record_allowed(a->uid, now_usec()))
                return;
        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_AUTH_DENIED);
        record_add(&rec, "MESSAGE=Denied %s at scope %s on '%s' to uid %u (pid %d): %s.", audit_operation(a),
                   strempty(scope_to_string(a->scope)), strempty(a->device.name), (unsigned) a->uid, (int) a->pid,
                   why);
        record_add(&rec, "PRIORITY=%i", LOG_NOTICE);
        record_add_call(&rec, a);
        record_add(&rec, "FWCTL_POLKIT_ACTION=%s", strempty(polkit_action));
        record_add(&rec, "FWCTL_DENIAL=%s", why);
        (void) record_send(&rec);
}

void audit_session(const AuditCall *a, uint64_t session_id, bool opened, const char *reason) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", opened ? FWCTLD_MESSAGE_SESSION_OPENED : FWCTLD_MESSAGE_SESSION_CLOSED);
        record_add(&rec, "MESSAGE=Session %" PRIu64 " on '%s' at scope %s for uid %u (pid %d) %s%s%s.", session_id,
                   strempty(a->device.name), strempty(scope_to_string(a->scope)), (unsigned) a->uid, (int) a->pid,
                   opened ? "opened" : "closed", isempty(reason) ? "" : ": ", strempty(reason));
        record_add(&rec, "PRIORITY=%i", LOG_NOTICE);
        record_add_call(&rec, a);
        record_add(&rec, "FWCTL_SESSION=%" PRIu64, session_id);
        if (!opened)
                record_add(&rec, "FWCTL_SESSION_END=%s", strempty(reason));
        (void) record_send(&rec);
}

void audit_device_event(const AuditDevice *d, bool added) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", added ? FWCTLD_MESSAGE_DEVICE_ADDED : FWCTLD_MESSAGE_DEVICE_REMOVED);
        record_add(&rec, "MESSAGE=fwctl device '%s' (%s) %s.", strempty(d->name), strempty(d->type_name),
                   added ? "added" : "removed");
        record_add(&rec, "PRIORITY=%i", LOG_INFO);
        record_add_device(&rec, d);
        record_add(&rec, "FWCTL_PCI_ADDRESS=%s", strempty(d->pci_address));
        record_add(&rec, "FWCTL_PLUGIN=%s", strempty(d->plugin));
        (void) record_send(&rec);
}

void audit_started(unsigned n_devices, size_t n_plugins) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_STARTED);
        record_add(&rec, "MESSAGE=fwctld serving %u fwctl device(s) with %zu plugin(s).", n_devices, n_plugins);
        record_add(&rec, "PRIORITY=%i", LOG_INFO);
        (void) record_send(&rec);
}
