/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "names.h"
#include "rpc-exchange.h"
#include "scope.h"
#include "types.h"
#include "util.h"

/*
 * One caller request, whatever door it came through (Rpc, Execute, or an RPC a plugin
 * issues inside an operation): validate, classify, check, run. The engine: no D-Bus here.
 * A failed call carries a domain error (CallError) and a message; the bus layer maps it.
 */

typedef enum CallKind {
        CALL_RPC,
        CALL_EXECUTE,
        CALL_OPEN_SESSION, /* authorise a session (session.h); nothing reaches the device */
        _CALL_KIND_MAX,
        _CALL_KIND_INVALID = -EINVAL,
} CallKind;

typedef enum CallState {
        CALL_NEW,
        CALL_AUTHORIZING, /* waiting for the authorizer (polkit) */
        CALL_QUEUED,      /* on the device worker (queued or running) */
        CALL_DONE,
        _CALL_STATE_MAX,
        _CALL_STATE_INVALID = -EINVAL,
} CallState;

typedef enum CallError {
        CALL_ERROR_NONE,
        CALL_ERROR_NO_SUCH_DEVICE,
        CALL_ERROR_DEVICE_GONE,
        CALL_ERROR_INVALID_SCOPE,
        CALL_ERROR_SCOPE_TOO_LOW,
        CALL_ERROR_REQUEST_REJECTED,
        CALL_ERROR_PAYLOAD_TOO_LARGE,
        CALL_ERROR_NOT_AUTHORIZED,
        CALL_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
        CALL_ERROR_NOT_SUPPORTED,
        CALL_ERROR_BUSY,
        CALL_ERROR_DEVICE_ERROR,
        CALL_ERROR_INVALID_ARGUMENTS,
        CALL_ERROR_NO_SUCH_OPERATION,
        CALL_ERROR_PLUGIN_MISSING,
        CALL_ERROR_AUDIT_FAILED,
        CALL_ERROR_CANCELLED, /* the caller left: nobody to answer */
        _CALL_ERROR_MAX,
        _CALL_ERROR_INVALID = -EINVAL,
} CallError;

const char *call_error_to_string(CallError e);
CallError call_error_from_string(const char *s);
/* The error a kernel errno stands for. */
CallError call_error_from_errno(int err);

/* Who asked: from the bus daemon, never from anything the caller says. */
typedef struct CallCaller {
        char *sender; /* unique bus name */
        uid_t uid;
        pid_t pid;
        char *unit;
        bool interactive; /* the caller allowed an authentication dialog */
} CallCaller;

enum {
        CALL_START_WAITING,
        CALL_START_RUNNING,
        CALL_START_EXPIRED,
};

typedef void (*CallDoneFunc)(Call *c, void *userdata);

struct Call {
        CallKind kind;
        CallState state;
        Device *device; /* ref */
        Policy *policy;
        Call *parent;   /* an RPC a plugin issues inside this call (never tracked, never on the bus) */
        CallCaller caller;

        /* What was asked. */
        uint32_t scope;
        void *request; /* malloc()ed, or a read-only mapping (request_mapped) */
        size_t request_size;
        bool request_mapped; /* RpcFd: the caller's sealed memfd, mapped whole; munmap()ed */
        size_t max_response;
        bool response_memfd; /* RpcFd: the response goes to a sealed memfd (rpc.memfd) */
        MemfdStock *memfd_stock; /* the manager's, for response_memfd; set when queued */
        fwctld_classification cls; /* Execute: cls.operation lists the RPC names it issues */
        const fwctld_operation *operation;
        char execute_operation[FWCTLD_OPERATION_NAME_MAX]; /* Execute's name (of the parent for its RPCs) */
        char *parameters_json;     /* call_set_parameters() */
        size_t parameters_size;    /* its strlen(), measured once */
        bool session_configuration_write; /* OpenSession's option */

        RpcExchange rpc;

        /* How it went. */
        int error; /* negative errno of the ioctl or of a plugin hook */
        char *error_reason;
        bool error_from_plugin;
        CallError domain_error; /* the answer, once it failed (the first refusal wins) */
        char *error_message;
        uint32_t issued_scope;
        unsigned n_ioctls;
        bool attempt_recorded; /* the journal holds this call's attempt record */
        bool tainted_before;
        char *result_json;

        atomic_bool cancelled; /* caller gone: skip the ioctl if not started */
        /* CALL_START_*: the worker claims a queued call before running it; the loop may claim
         * it first to answer a call that waited too long. Whoever wins decides. */
        atomic_int start;

        /* The session it runs in (borrowed, at submission only), or the one it opened. */
        Session *session;
        /* The manager's: its share of the caller's limits, authorisation, completion, list. */
        uint64_t held_bytes; /* counted in the caller's share while tracked */
        bool holds_check;    /* a polkit check in the caller's share */
        uint64_t run_usec;   /* how long the worker took (service time estimate) */
        uint64_t submit_usec; /* when the manager took it (latency) */
        int denial;           /* a MetricsDenial when refused by policy or polkit, else -1 */
        void *authorization;
        CallDoneFunc done;
        void *done_userdata;
        bool tracked;
        Call *prev, *next;
};

int call_new(Device *d, Policy *policy, CallKind kind, Call **ret);
Call *call_free(Call *c);

static inline void call_freep(Call **c) {
        if (*c)
                (void) call_free(*c);
}

/* Set the domain error (only the first sticks); returns -EINVAL-ish for "return call_fail(...)". */
int call_fail(Call *c, CallError e, const char *format, ...) _printf_(3, 4);

/* Loop: what costs nothing to check (the device, the fallback gate, sizes and scope)... */
int call_check_request(Call *c);
/* ... then what may cost (the plugin's classification, Execute's parameters parsed), and
 * the deny list: the manager takes the caller's share in between, so that a flood over
 * its share is refused before any of it is parsed. */
int call_classify(Call *c);
/* Execute's parameters: a copy of json's first size bytes (size: its strlen()). */
int call_set_parameters(Call *c, const char *json, size_t size);
/* Every journal record of a call goes through these. */
int call_audit_attempt(Call *c);
void call_audit_result(Call *c, bool tainted_after);
void call_audit_denied(Call *c, const char *why);

/* Worker thread: run it (skipped when cancelled). */
void call_run(Call *c);
/* Loop, after call_run(): turn an errno or a plugin failure into the domain error. */
void call_finish(Call *c);

/* What a call holds from the start: its request and parameters (twice: our copy and the
 * bus message's) and the message itself. RpcFd's mapped request counts the same: reading it
 * maps the caller's pages into fwctld, and allocates those of a sparse memfd here. */
static inline uint64_t call_input_bytes(const Call *c) {
        return 2 * ((uint64_t) c->request_size + c->parameters_size) + FWCTLD_CALL_OVERHEAD_BYTES;
}

/* What a call holds while it waits once checked: its input and its reply buffer. */
static inline uint64_t call_held_bytes(const Call *c) {
        return call_input_bytes(c) + MAX(c->max_response, c->cls.kernel_out_min);
}

/* Does the call change the device: journaled before it runs, and it does not run unrecorded. */
static inline bool call_changes_device(const Call *c) {
        return c->cls.configuration_write || scope_taints(c->scope);
}

/* The thread's running call (fwctld_device_rpc() checks against it). */
void call_set_current(Call *c);
Call *call_get_current(void);

/*
 * Worker thread: run one RPC a plugin issues (fwctld_device_rpc()) through the Rpc path.
 * parent is the call the worker runs (NULL in attach()). Fills *ret_sub; the caller frees it.
 */
int call_run_nested(Device *d, Policy *policy, Call *parent, uint32_t scope, const void *request, size_t size,
                    size_t max_response, Call **ret_sub);
