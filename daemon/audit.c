/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "call.h"
#include "device.h"
#include "manager.h"
#include "names.h"
#include "util.h"

/* One journal record built field by field, sent with sd_journal_sendv(). */
typedef struct Record {
        struct iovec iov[32];
        size_t n;
} Record;

_printf_(2, 3) static void record_add(Record *rec, const char *format, ...) {
        va_list ap;
        char *s;

        if (rec->n >= ELEMENTSOF(rec->iov))
                return;
        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        rec->iov[rec->n++] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
}

static void record_send(Record *rec) {
        (void) sd_journal_sendv(rec->iov, (int) rec->n);
        for (size_t i = 0; i < rec->n; i++)
                free(rec->iov[i].iov_base);
        rec->n = 0;
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
        record_add(rec, "FWCTL_CONFIGURATION_WRITE=%i", c->cls.configuration_write ? 1 : 0);
        record_add(rec, "FWCTL_REQUEST_SIZE=%zu", call_request_size(c));
        record_add(rec, "FWCTL_CALLER_UID=%u", (unsigned) c->uid);
        record_add(rec, "FWCTL_CALLER_PID=%d", (int) c->pid);
        record_add(rec, "FWCTL_CALLER_UNIT=%s", strempty(c->unit));
        record_add(rec, "FWCTL_CALLER_BUS_NAME=%s", strempty(c->sender));
}

void audit_rpc_attempt(const Call *c) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_RPC_ATTEMPT);
        record_add(&rec, "MESSAGE=%s at scope %s on '%s' requested by uid %u (pid %d); the kernel will be tainted.",
                   call_operation(c), scope_to_string(c->scope), c->device->name, (unsigned) c->uid, (int) c->pid);
        record_add(&rec, "PRIORITY=%i", LOG_WARNING);
        record_add_call(&rec, c);
        record_add(&rec, "FWCTL_RESULT=pending");
        record_add(&rec, "FWCTL_KERNEL_TAINTED_BEFORE=%i", c->tainted_before ? 1 : 0);
        record_send(&rec);
}

void audit_rpc_result(const Call *c, bool tainted_after) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_RPC_RESULT);
        record_add(&rec, "MESSAGE=%s at scope %s on '%s' for uid %u: %s.", call_operation(c),
                   scope_to_string(c->scope), c->device->name, (unsigned) c->uid, errno_name(c->error));
        record_add(&rec, "PRIORITY=%i", c->error < 0 ? LOG_WARNING : LOG_NOTICE);
        record_add_call(&rec, c);
        record_add(&rec, "FWCTL_RESULT=%s", errno_name(c->error));
        if (c->status_set) {
                record_add(&rec, "FWCTL_DEVICE_STATUS=%" PRIu32, c->status);
                record_add(&rec, "FWCTL_DEVICE_STATUS_NAME=%s", strempty(c->status_name));
        }
        record_add(&rec, "FWCTL_IOCTLS=%u", c->n_ioctls);
        record_add(&rec, "FWCTL_KERNEL_TAINTED_BEFORE=%i", c->tainted_before ? 1 : 0);
        record_add(&rec, "FWCTL_KERNEL_TAINTED_AFTER=%i", tainted_after ? 1 : 0);
        record_send(&rec);
}

void audit_auth_denied(const Call *c, const char *why) {
        Record rec = {};

        record_add(&rec, "MESSAGE_ID=%s", FWCTLD_MESSAGE_AUTH_DENIED);
        record_add(&rec, "MESSAGE=Denied %s at scope %s on '%s' to uid %u (pid %d): %s.", call_operation(c),
                   scope_to_string(c->scope), c->device->name, (unsigned) c->uid, (int) c->pid, why);
        record_add(&rec, "PRIORITY=%i", LOG_NOTICE);
        record_add_call(&rec, c);
        record_add(&rec, "FWCTL_POLKIT_ACTION=%s", strempty(scope_to_action(c->scope)));
        record_add(&rec, "FWCTL_DENIAL=%s", why);
        record_send(&rec);
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
        record_send(&rec);
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
        record_send(&rec);
}
