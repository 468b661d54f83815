/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Structured journal records; the MESSAGE_IDs are in names.h and the catalog. */

typedef struct AuditDevice {
        const char *name;
        const char *type_name;
        const char *parent;
        const char *pci_address;
        const char *plugin;
} AuditDevice;

/* One call, as the journal records it. */
typedef struct AuditCall {
        AuditDevice device;
        uint32_t scope;
        bool issued; /* an ioctl ran: issued_scope is meaningful */
        uint32_t issued_scope;
        const char *operation;         /* "" when unknown */
        const char *execute_operation; /* the named operation that issued it, or "" */
        bool configuration_write;
        size_t request_size;
        uid_t uid;
        pid_t pid;
        const char *unit;
        const char *sender;
        int result; /* 0 or -errno */
        bool status_set;
        uint32_t status;
        const char *status_name;
        unsigned n_ioctls;
        bool tainted_before;
        bool tainted_after;
} AuditCall;

/* Attempt record of a call that changes the device; < 0: not recorded, the call must not run. */
int audit_rpc_attempt(const AuditCall *a);
void audit_rpc_result(const AuditCall *a);
/* Rate-limited per uid; see audit_flush_suppressed_denials(). Any thread. */
void audit_auth_denied(const AuditCall *a, const char *polkit_action, const char *why);
void audit_flush_suppressed_denials(bool force);
/* Exposed for tests: the per-uid limiter behind audit_auth_denied(), at a given time (CLOCK_MONOTONIC,
 * usec). Counts the denial; false when its record is to be suppressed (and summarised later). */
bool audit_denial_record_allowed(uid_t uid, uint64_t now);
void audit_device_event(const AuditDevice *d, bool added);
/* A session opened (who, device, scope, configuration_write) or closed, and why. */
void audit_session(const AuditCall *a, uint64_t session_id, bool opened, const char *reason);
void audit_started(unsigned n_devices, size_t n_plugins);
