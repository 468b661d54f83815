/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "types.h"
#include "util.h"

/*
 * One caller request, whatever door it came through (Rpc, Execute): the single
 * internal path is classify -> authorise -> audit -> worker -> reply.
 */

typedef enum CallKind {
        CALL_RPC,
        CALL_EXECUTE,
} CallKind;

typedef enum CallState {
        CALL_NEW,
        CALL_AUTHORIZING, /* waiting for polkit */
        CALL_QUEUED,      /* on the device worker (queued or running) */
        CALL_DONE,
} CallState;

typedef struct CallBuffer CallBuffer;

struct fwctld_rpc {
        Manager *manager;
        Device *device;          /* ref */
        sd_bus_message *message; /* ref; NULL once answered */
        CallKind kind;
        CallState state;
        /* An RPC a plugin issues inside another call (Execute) or attach(): not on the bus,
         * not tracked by the manager, run synchronously on the worker. */
        Call *parent;

        /* Who asked. */
        char *sender;
        uid_t uid;
        pid_t pid;
        char *unit;
        bool interactive;

        /* What was asked. */
        uint32_t scope;
        void *request;
        size_t request_size;
        size_t max_response;
        fwctld_classification cls; /* Execute: cls.operation lists the RPC names it issues */
        const fwctld_operation *operation;
        char execute_operation[FWCTLD_OPERATION_NAME_MAX]; /* Execute's name (of the parent for its RPCs) */
        char *parameters_json;

        /* Authorisation. */
        sd_bus_slot *polkit_slot;
        char *polkit_cancel_id;

        /* Kernel buffers (worker), from fwctld_rpc_alloc() or the default copy. */
        CallBuffer *buffers;
        void *kin;
        size_t kin_len;
        void *kout;
        size_t kout_len;

        /* Results (worker writes, loop reads after the completion). */
        int error;        /* negative errno of the ioctl or of a plugin hook */
        char *error_reason;
        bool error_from_plugin;
        /* The daemon refused an RPC inside an Execute (deny list, scope, undeclared name,
         * journal): the caller gets this, whatever the plugin made of it. */
        const char *refusal_error;
        char *refusal_message;
        uint32_t issued_scope;    /* the scope the (last) ioctl ran at */
        bool attempt_recorded;    /* the journal holds this call's attempt record */
        size_t reported_len;
        void *response;
        size_t response_size;
        bool response_set;
        size_t response_length;
        bool response_length_set;
        uint32_t status;
        char *status_name;
        bool status_set;
        char *result_json;
        bool tainted_before;
        unsigned n_ioctls;

        atomic_bool cancelled; /* caller gone: skip the ioctl if not started */

        bool tracked;      /* on the manager's list (nested calls never are) */
        Call *prev, *next; /* manager's list of live calls */
};

int call_new(Manager *m, Device *d, CallKind kind, sd_bus_message *message, Call **ret);
Call *call_free(Call *c);

static inline void call_freep(Call **c) {
        if (*c)
                (void) call_free(*c);
}

/* Validate, classify and start authorisation. 1: pending (call now owned by the manager); <0: error set. */
int call_start(Call *c, sd_bus_error *error);

/* polkit answered (or failed) for c. */
void call_authorization_done(Call *c, int r, bool authorized, bool challenge, const sd_bus_error *error);

/* Worker thread. */
void call_run(Call *c);

/* Back on the loop after the worker ran it. */
void call_completed(Call *c);

/* Device went away: answer DeviceGone now, in whatever state. */
void call_fail_device_gone(Call *c);

/* Caller disconnected: drop without answering. */
void call_cancel(Call *c);

/* What a call may hold in memory: its request and its response buffer. */
static inline uint64_t call_buffer_bytes(const Call *c) {
        return (uint64_t) c->request_size + MAX(c->max_response, c->cls.kernel_out_min);
}

/* Does the call change the device: journaled before it runs, and it does not run unrecorded. */
static inline bool call_changes_device(const Call *c) {
        return c->cls.configuration_write || c->scope >= FWCTLD_SCOPE_DEBUG_WRITE;
}

/*
 * Worker thread: run one RPC a plugin issues (fwctld_device_rpc()) through the Rpc path.
 * parent is the call the worker runs (NULL in attach()). Fills *ret_sub; the caller frees it.
 */
int call_run_nested(Manager *m, Device *d, Call *parent, uint32_t scope, const void *request, size_t size,
                    size_t max_response, Call **ret_sub);

const char *scope_to_string(uint32_t scope);
const char *scope_to_action(uint32_t scope);
static inline bool scope_taints(uint32_t scope) {
        return scope >= FWCTLD_SCOPE_DEBUG_WRITE;
}

/* Map a kernel errno to a D-Bus error name. */
const char *errno_to_bus_error(int err);
