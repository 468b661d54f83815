/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "call.h"
#include "device.h"
#include "manager.h"
#include "names.h"
#include "util.h"

static const char *call_operation(const Call *c) {
        return isempty(c->cls.operation) ? "unknown" : c->cls.operation;
}

static size_t call_request_size(const Call *c) {
        return c->kind == CALL_EXECUTE ? strlen(strempty(c->parameters_json)) : c->request_size;
}

void audit_rpc_attempt(const Call *c) {
        const Device *d = c->device;

        (void) sd_journal_send(
                "MESSAGE_ID=" FWCTLD_MESSAGE_RPC_ATTEMPT,
                "MESSAGE=%s at scope %s on '%s' requested by uid %u (pid %d); the kernel will be tainted.",
                call_operation(c), scope_to_string(c->scope), d->name, (unsigned) c->uid, (int) c->pid,
                "PRIORITY=%i", LOG_WARNING,
                "FWCTL_DEVICE=%s", d->name,
                "FWCTL_DEVICE_TYPE=%s", device_type_to_string(d->type),
                "FWCTL_PARENT=%s", d->parent,
                "FWCTL_SCOPE=%" PRIu32, c->scope,
                "FWCTL_SCOPE_NAME=%s", scope_to_string(c->scope),
                "FWCTL_OPERATION=%s", call_operation(c),
                "FWCTL_CONFIGURATION_WRITE=%i", c->cls.configuration_write ? 1 : 0,
                "FWCTL_REQUEST_SIZE=%zu", call_request_size(c),
                "FWCTL_RESULT=pending",
                "FWCTL_CALLER_UID=%u", (unsigned) c->uid,
                "FWCTL_CALLER_PID=%d", (int) c->pid,
                "FWCTL_CALLER_UNIT=%s", strempty(c->unit),
                "FWCTL_CALLER_BUS_NAME=%s", strempty(c->sender),
                "FWCTL_KERNEL_TAINTED_BEFORE=%i", c->tainted_before ? 1 : 0,
                NULL);
}

void audit_rpc_result(const Call *c, bool tainted_after) {
        const Device *d = c->device;
        char status[32] = "";

        if (c->status_set)
                (void) snprintf(status, sizeof(status), "%" PRIu32, c->status);

        (void) sd_journal_send(
                "MESSAGE_ID=" FWCTLD_MESSAGE_RPC_RESULT,
                "MESSAGE=%s at scope %s on '%s' for uid %u: %s.",
                call_operation(c), scope_to_string(c->scope), d->name, (unsigned) c->uid, errno_name(c->error),
                "PRIORITY=%i", c->error < 0 ? LOG_WARNING : LOG_NOTICE,
                "FWCTL_DEVICE=%s", d->name,
                "FWCTL_DEVICE_TYPE=%s", device_type_to_string(d->type),
                "FWCTL_PARENT=%s", d->parent,
                "FWCTL_SCOPE=%" PRIu32, c->scope,
                "FWCTL_SCOPE_NAME=%s", scope_to_string(c->scope),
                "FWCTL_OPERATION=%s", call_operation(c),
                "FWCTL_CONFIGURATION_WRITE=%i", c->cls.configuration_write ? 1 : 0,
                "FWCTL_REQUEST_SIZE=%zu", call_request_size(c),
                "FWCTL_RESULT=%s", errno_name(c->error),
                "FWCTL_DEVICE_STATUS=%s", status,
                "FWCTL_DEVICE_STATUS_NAME=%s", strempty(c->status_name),
                "FWCTL_IOCTLS=%u", c->n_ioctls,
                "FWCTL_CALLER_UID=%u", (unsigned) c->uid,
                "FWCTL_CALLER_PID=%d", (int) c->pid,
                "FWCTL_CALLER_UNIT=%s", strempty(c->unit),
                "FWCTL_CALLER_BUS_NAME=%s", strempty(c->sender),
                "FWCTL_KERNEL_TAINTED_BEFORE=%i", c->tainted_before ? 1 : 0,
                "FWCTL_KERNEL_TAINTED_AFTER=%i", tainted_after ? 1 : 0,
                NULL);
}

void audit_auth_denied(const Call *c, const char *why) {
        const Device *d = c->device;

        (void) sd_journal_send(
                "MESSAGE_ID=" FWCTLD_MESSAGE_AUTH_DENIED,
                "MESSAGE=Denied %s at scope %s on '%s' to uid %u (pid %d): %s.",
                call_operation(c), scope_to_string(c->scope), d->name, (unsigned) c->uid, (int) c->pid, why,
                "PRIORITY=%i", LOG_NOTICE,
                "FWCTL_DEVICE=%s", d->name,
                "FWCTL_DEVICE_TYPE=%s", device_type_to_string(d->type),
                "FWCTL_PARENT=%s", d->parent,
                "FWCTL_SCOPE=%" PRIu32, c->scope,
                "FWCTL_OPERATION=%s", call_operation(c),
                "FWCTL_POLKIT_ACTION=%s", strempty(scope_to_action(c->scope)),
                "FWCTL_DENIAL=%s", why,
                "FWCTL_CALLER_UID=%u", (unsigned) c->uid,
                "FWCTL_CALLER_PID=%d", (int) c->pid,
                "FWCTL_CALLER_UNIT=%s", strempty(c->unit),
                NULL);
}

void audit_device_event(const Device *d, bool added) {
        (void) sd_journal_send(
                "MESSAGE_ID=%s", added ? FWCTLD_MESSAGE_DEVICE_ADDED : FWCTLD_MESSAGE_DEVICE_REMOVED,
                "MESSAGE=fwctl device '%s' (%s) %s.", d->name, device_type_to_string(d->type),
                added ? "added" : "removed",
                "PRIORITY=%i", LOG_INFO,
                "FWCTL_DEVICE=%s", d->name,
                "FWCTL_DEVICE_TYPE=%s", device_type_to_string(d->type),
                "FWCTL_PARENT=%s", d->parent,
                "FWCTL_PCI_ADDRESS=%s", d->pci_address,
                "FWCTL_PLUGIN=%s", device_plugin_name(d),
                NULL);
}

void audit_started(const Manager *m) {
        unsigned n = 0;

        for (const Device *d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY)
                        n++;
        (void) sd_journal_send("MESSAGE_ID=" FWCTLD_MESSAGE_STARTED,
                               "MESSAGE=fwctld serving %u fwctl device(s) with %zu plugin(s).", n, m->n_plugins,
                               "PRIORITY=%i", LOG_INFO, NULL);
}
