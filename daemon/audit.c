/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "call.h"
#include "device.h"
#include "manager.h"
#include "names.h"
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

static const char *call_operation(const Call *c) {
        return isempty(c->cls.operation) ? "unknown" : c->cls.operation;
}

static size_t call_request_size(const Call *c) {
        return c->kind == CALL_EXECUTE ? strlen(strempty(c->parameters_json)) : c->request_size;
}

static void record_add_device(Record *rec, const Device *d) {
        record_add(rec, "FWCTL_DEVICE=%s", d->name);
        record_add(rec, "FWCTL_DEVICE_TYPE=%s", device_type_to_string(d->type));
        record_add(rec, "FWCTL_PARENT=%s", d->parent);
}

/* Who asked what of which device: shared by every call record. */
static void record_add_call(Record *rec, const Call *c) {
        record_add_device(rec, c->device);
        record_add(rec, "FWCTL_SCOPE=%" PRIu32, c->scope);
        record_add(rec, "FWCTL_SCOPE_NAME=%s", strempty(scope_to_string(c->scope)));
        record_add(rec, "FWCTL_OPERATION=%s", call_operation(c));
        if (!isempty(c->execute_operation))
                record_add(rec, "FWCTL_EXECUTE_OPERATION=%s", c->execute_operation);
        record_add(rec, "FWCTL_CONFIGURATION_WRITE=%i", c->cls.configuration_write ? 1 : 0);
        record_add(rec, "FWCTL_REQUEST_SIZE=%zu", call_request_size(c));
        record_add(rec, "FWCTL_CALLER_UID=%u", (unsigned) c->uid);
        record_add(rec, "FWCTL_CALLER_PID=%d", (int) c->pid);
        record_add(rec, "FWCTL_CALLER_UNIT=%s", strempty(c->unit));
        record_add(rec, "FWCTL_CALLER_BUS_NAME=%s", strempty(c->sender));
}

static const char *call_change_kind(const Call *c) {
        if (scope_taints(c->scope))
                return "the kernel may be tainted";
        return "a configuration write";
}

int audit_rpc_attempt(const Call *c) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_RPC_ATTEMPT);
        record_add(&rec, "MESSAGE=%s at scope %s on '%s' requested by uid %u (pid %d): %s.", call_operation(c),
                   scope_to_string(c->scope), c->device->name, (unsigned) c->uid, (int) c->pid,
                   call_change_kind(c));
        record_add(&rec, "PRIORITY=%i", LOG_WARNING);
        record_add_call(&rec, c);
        record_add(&rec, "FWCTL_RESULT=pending");
        record_add(&rec, "FWCTL_KERNEL_TAINTED_BEFORE=%i", c->tainted_before ? 1 : 0);
        return record_send(&rec);
}

void audit_rpc_result(const Call *c, bool tainted_after) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_RPC_RESULT);
        record_add(&rec, "MESSAGE=%s at scope %s on '%s' for uid %u: %s.", call_operation(c),
                   scope_to_string(c->scope), c->device->name, (unsigned) c->uid, errno_name(c->error));
        record_add(&rec, "PRIORITY=%i", c->error < 0 ? LOG_WARNING : LOG_NOTICE);
        record_add_call(&rec, c);
        record_add(&rec, "FWCTL_RESULT=%s", errno_name(c->error));
        if (c->n_ioctls > 0)
                record_add(&rec, "FWCTL_ISSUED_SCOPE=%" PRIu32, c->issued_scope);
        if (c->status_set) {
                record_add(&rec, "FWCTL_DEVICE_STATUS=%" PRIu32, c->status);
                record_add(&rec, "FWCTL_DEVICE_STATUS_NAME=%s", strempty(c->status_name));
        }
        record_add(&rec, "FWCTL_IOCTLS=%u", c->n_ioctls);
        record_add(&rec, "FWCTL_KERNEL_TAINTED_BEFORE=%i", c->tainted_before ? 1 : 0);
        record_add(&rec, "FWCTL_KERNEL_TAINTED_AFTER=%i", tainted_after ? 1 : 0);
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

/* May a denial record for uid be written now? */
static bool denial_record_allowed(uid_t uid) {
        uint64_t now = now_usec();
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

void audit_auth_denied(const Call *c, const char *why) {
        Record rec = {};

        if (!denial_record_allowed(c->uid))
                return;

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_AUTH_DENIED);
        record_add(&rec, "MESSAGE=Denied %s at scope %s on '%s' to uid %u (pid %d): %s.", call_operation(c),
                   scope_to_string(c->scope), c->device->name, (unsigned) c->uid, (int) c->pid, why);
        record_add(&rec, "PRIORITY=%i", LOG_NOTICE);
        record_add_call(&rec, c);
        record_add(&rec, "FWCTL_POLKIT_ACTION=%s", strempty(scope_to_action(c->scope)));
        record_add(&rec, "FWCTL_DENIAL=%s", why);
        (void) record_send(&rec);
}

void audit_device_event(const Device *d, bool added) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", added ? FWCTLD_MESSAGE_DEVICE_ADDED : FWCTLD_MESSAGE_DEVICE_REMOVED);
        record_add(&rec, "MESSAGE=fwctl device '%s' (%s) %s.", d->name, device_type_to_string(d->type),
                   added ? "added" : "removed");
        record_add(&rec, "PRIORITY=%i", LOG_INFO);
        record_add_device(&rec, d);
        record_add(&rec, "FWCTL_PCI_ADDRESS=%s", d->pci_address);
        record_add(&rec, "FWCTL_PLUGIN=%s", device_plugin_name(d));
        (void) record_send(&rec);
}

void audit_started(const Manager *m) {
        Record rec = {};
        unsigned n = 0;

        for (const Device *d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY)
                        n++;
        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_STARTED);
        record_add(&rec, "MESSAGE=fwctld serving %u fwctl device(s) with %zu plugin(s).", n, m->n_plugins);
        record_add(&rec, "PRIORITY=%i", LOG_INFO);
        (void) record_send(&rec);
}
