/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * fwctld plugin ABI, version 2.
 *
 * A plugin is a shared object installed in fwctld's plugin directory
 * ($libdir/fwctld/plugins). It exports exactly one symbol, FWCTLD_PLUGIN_ENTRY_SYMBOL,
 * a function returning a constant descriptor (struct fwctld_plugin). The daemon checks
 * abi_version and the descriptor size before it uses anything else, and refuses the
 * plugin (with a log line) on any mismatch.
 *
 * Plugins never perform I/O on the device: the daemon owns the one open file
 * descriptor per device. A plugin that needs the device during a call (paging a
 * feature list, a named operation made of several RPCs) uses fwctld_device_rpc(),
 * which runs the request through exactly the path a raw Rpc takes: classify(), the
 * deny list, the journal, marshal(), the ioctl, decode(). Plugins never see D-Bus or
 * polkit: they return 0 or a negative errno and, where a caller should learn why, a
 * malloc()ed reason string.
 *
 * Rules the daemon enforces (see docs/plugin-abi.md):
 *  - The kernel trusts its caller. Some drivers write more into the out buffer than
 *    out_len allows (mainline CXL Get/Set Feature). classify() states in
 *    kernel_out_min how many bytes the driver writes for a request; the daemon never
 *    hands the kernel a smaller out buffer, whatever max_response the caller asked
 *    for, and trims the reply. A marshal() that sets a smaller out buffer fails the call.
 *  - Never taint without need: where classify() knows the exact scope the driver
 *    checks, it sets scope_exact and the daemon issues the ioctl at min_scope (the
 *    caller's scope is still what polkit authorises).
 *  - One name, every door: every RPC an operation issues is classified, checked
 *    against the deny list and journaled under its own operation name. An operation
 *    declares the names its RPCs carry (rpc_operations, or classify_execute() from the
 *    parameters); an RPC with any other name is refused.
 *
 * Threading: attach(), info_to_json() (once, right after attach()), detach(), marshal(),
 * decode() and execute() are called on the device's worker thread; classify_execute()
 * on the daemon's main thread; classify() on either (the main thread for Rpc, the
 * worker for fwctld_device_rpc()).
 * Calls for one device are never concurrent with each other, except classify(), which
 * must therefore be a pure function of its arguments and of data that attach() set up.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FWCTLD_PLUGIN_ABI_VERSION 2u
#define FWCTLD_PLUGIN_ENTRY fwctld_plugin_entry_v2
#define FWCTLD_PLUGIN_ENTRY_SYMBOL "fwctld_plugin_entry_v2"

/* Scopes, numerically identical to the kernel's enum fwctl_rpc_scope. */
enum fwctld_scope {
        FWCTLD_SCOPE_CONFIGURATION = 0,
        FWCTLD_SCOPE_DEBUG_READ_ONLY = 1,
        FWCTLD_SCOPE_DEBUG_WRITE = 2,      /* taints the kernel */
        FWCTLD_SCOPE_DEBUG_WRITE_FULL = 3, /* taints, needs CAP_SYS_RAWIO */
        _FWCTLD_SCOPE_MAX,
};

/* Terminates fwctld_plugin.device_types. */
#define FWCTLD_DEVICE_TYPE_END UINT32_MAX

#define FWCTLD_OPERATION_NAME_MAX 64

/* Opaque handles owned by the daemon. */
typedef struct fwctld_device fwctld_device;
typedef struct fwctld_rpc fwctld_rpc;

/* What classify() decides about one request, before any ioctl is issued. */
typedef struct fwctld_classification {
        uint32_t min_scope;                         /* lowest scope the device accepts it at */
        bool configuration_write;                   /* changes the device: journaled before it runs */
        /* min_scope is exactly what the driver checks: issue the ioctl at it, not higher.
         * Leave false where only the kernel knows (pds): the caller's scope is passed. */
        bool scope_exact;
        char operation[FWCTLD_OPERATION_NAME_MAX];  /* e.g. "QUERY_ADAPTER"; "" if unknown */
        /* Bytes the driver writes into the kernel's out buffer for this request whatever
         * out_len says (CXL Get Feature: 16 + count). The daemon's out buffer is never
         * smaller; the reply is trimmed to max_response and reported truncated. */
        size_t kernel_out_min;
} fwctld_classification;

/* A named, plugin-defined operation, for ListOperations()/Execute(). */
typedef struct fwctld_operation {
        const char *name;        /* "get-supported-features" */
        const char *description; /* one line, for humans */
        uint32_t min_scope;      /* scope Execute() authorises and runs it at */
        /* The classify() names of the RPCs it issues, comma-separated ("QUERY_ADAPTER").
         * NULL only when classify_execute() sets them from the parameters. */
        const char *rpc_operations;
} fwctld_operation;

typedef struct fwctld_plugin {
        uint32_t abi_version; /* FWCTLD_PLUGIN_ABI_VERSION */
        uint32_t size;        /* sizeof(struct fwctld_plugin) as the plugin was built */
        const char *name;     /* short, lower case: "mlx5", "generic" */

        /* Kernel device types served, terminated by FWCTLD_DEVICE_TYPE_END. */
        const uint32_t *device_types;
        /* Serves device types no other plugin claims (exactly one plugin should). */
        bool fallback;

        /* Optional. Device opened and Info read; may call fwctld_device_rpc(). */
        int (*attach)(fwctld_device *device);
        /* Optional. The device is going away; free what attach() set up. */
        void (*detach)(fwctld_device *device);

        /* Required. Decode FWCTL_INFO device data into a JSON object (malloc()ed); called
         * once after attach(), so it may include what attach() learnt. Info serves it. */
        int (*info_to_json)(fwctld_device *device, const void *data, size_t size, char **ret_json);

        /*
         * Required. Validate a raw request and decide its minimum scope and name.
         * Return 0, or -EINVAL/-EOPNOTSUPP with *ret_reason set to reject it: the
         * daemon then issues no ioctl.
         */
        int (*classify)(fwctld_device *device,
                        const void *request,
                        size_t size,
                        uint32_t scope,
                        fwctld_classification *ret,
                        char **ret_reason);

        /*
         * Optional. Build the kernel's in/out buffers for a request whose format
         * embeds user pointers (the caller sent a pointer-free envelope). Use
         * fwctld_rpc_alloc() for every buffer the kernel will see and finish with
         * fwctld_rpc_set_kernel_buffers(). Without it the request is passed as is.
         */
        int (*marshal)(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason);

        /*
         * Optional. After a successful ioctl: set the response the caller gets
         * (fwctld_rpc_set_response(); default: the kernel's out buffer up to the
         * reported length), the true response length and the device status.
         * Return -EBADMSG with a reason for a malformed firmware reply.
         */
        int (*decode)(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason);

        /* Named operations; may be empty. */
        const fwctld_operation *operations;
        size_t n_operations;

        /*
         * Optional. Validate an Execute call's parameters and decide the scope it
         * needs, on the main thread, before authorisation (no I/O). For operations
         * whose scope depends on the parameters (CXL set-feature: the feature's
         * effects). ret->min_scope starts as the operation's min_scope and may only
         * be raised. ret->operation starts as the operation's rpc_operations (or "")
         * and must end as the classify() names of the RPCs it will issue
         * (comma-separated): polkit, the deny list and the journal see them, and an
         * RPC named otherwise is refused. -EINVAL with *ret_reason naming the field:
         * InvalidArguments.
         */
        int (*classify_execute)(fwctld_device *device,
                                const fwctld_operation *operation,
                                const char *parameters_json,
                                fwctld_classification *ret,
                                char **ret_reason);

        /*
         * Optional (required if n_operations > 0). Run a named operation, on the
         * worker thread, already authorised at the scope classify_execute() chose
         * (else the operation's min_scope); fwctld_device_rpc() may use up to it. The
         * parameters are the caller's text ("{}" when it sent an empty string), the same
         * classify_execute() saw: check them there and here alike; the result is a
         * malloc()ed JSON document. -EINVAL with a reason names the bad parameter.
         */
        int (*execute)(fwctld_device *device,
                       const fwctld_operation *operation,
                       const char *parameters_json,
                       char **ret_result_json,
                       char **ret_reason);
} fwctld_plugin;

/*
 * The one exported symbol: each plugin defines FWCTLD_PLUGIN_ENTRY, marked FWCTLD_EXPORT
 * so it stays visible when the rest is built with -fvisibility=hidden:
 *
 *         FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) { return &my_plugin; }
 */
#define FWCTLD_EXPORT __attribute__((visibility("default")))

typedef const fwctld_plugin *(*fwctld_plugin_entry_func)(void);
const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void);

/* --- Provided by the daemon --------------------------------------------------- */

const char *fwctld_device_get_name(const fwctld_device *device);
uint32_t fwctld_device_get_type(const fwctld_device *device);
const char *fwctld_device_get_parent(const fwctld_device *device);
void *fwctld_device_get_plugin_data(const fwctld_device *device);
void fwctld_device_set_plugin_data(fwctld_device *device, void *data);

/* What fwctld_device_rpc() got back, as a raw Rpc would report it. */
typedef struct fwctld_rpc_reply {
        size_t size;           /* bytes written to the response buffer */
        size_t length;         /* the response's true length; > size means truncated */
        uint32_t issued_scope; /* the scope the ioctl ran at */
        bool status_set;       /* decode() reported a device status */
        uint32_t status;
} fwctld_rpc_reply;

/*
 * Run one request on the device, synchronously, through the path a raw Rpc takes:
 * request is in the device's Rpc format (the bytes a caller would send to Rpc,
 * pointer-free envelopes included, never kernel pointers). classify() decides its
 * scope and name; scope is the ceiling, at most the scope the current call was
 * authorised at (attach(): debug-read-only); the deny list and the journal apply;
 * marshal(), the ioctl and decode() follow. At most response_size bytes of the
 * response Rpc would return are copied to response.
 * Only from attach() or execute() (the worker thread). Returns 0, a negative errno
 * from the kernel or a hook, or -EACCES when the daemon refused it (scope, deny
 * list, an undeclared operation name, a journal that does not accept the record):
 * the caller of Execute then gets that refusal, whatever execute() returns.
 */
int fwctld_device_rpc(fwctld_device *device,
                      uint32_t scope,
                      const void *request,
                      size_t request_size,
                      void *response,
                      size_t response_size,
                      fwctld_rpc_reply *ret_reply);

/* Log through the daemon (journal, with the device name attached). */
void fwctld_log(const fwctld_device *device, int priority, const char *format, ...)
        __attribute__((format(printf, 3, 4)));

uint32_t fwctld_rpc_get_scope(const fwctld_rpc *rpc);
const void *fwctld_rpc_get_request(const fwctld_rpc *rpc, size_t *ret_size);
size_t fwctld_rpc_get_max_response(const fwctld_rpc *rpc);
/* Zeroed memory that lives as long as the call; NULL on failure. */
void *fwctld_rpc_alloc(fwctld_rpc *rpc, size_t size);
/* in/out must come from fwctld_rpc_alloc(); both lengths are capped at 2 MiB. */
int fwctld_rpc_set_kernel_buffers(fwctld_rpc *rpc, void *in, size_t in_len, void *out, size_t out_len);
/* The kernel's out buffer and the out_len it reported (may exceed the buffer). */
const void *fwctld_rpc_get_kernel_response(const fwctld_rpc *rpc, size_t *ret_buffer_size, size_t *ret_reported_len);
/* Copies; at most max_response bytes are returned to the caller. */
int fwctld_rpc_set_response(fwctld_rpc *rpc, const void *data, size_t size);
void fwctld_rpc_set_response_length(fwctld_rpc *rpc, size_t length);
void fwctld_rpc_set_status(fwctld_rpc *rpc, uint32_t status, const char *status_name);

#ifdef __cplusplus
}
#endif
