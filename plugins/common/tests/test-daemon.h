/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A stand-in for fwctld in the plugins' unit tests: the fwctld_* functions of the plugin
 * ABI, and the daemon's v2 request path in miniature, so a plugin's hooks run chained as
 * the daemon chains them (docs/plugin-abi.md), without the daemon:
 *
 *   classify() -> scope check -> marshal() or the default buffers (out buffer
 *   max(max_response, kernel_out_min)) -> out buffer >= kernel_out_min -> the fake
 *   kernel at the issued scope (min_scope if scope_exact, else the caller's) ->
 *   decode() -> the reply trimmed to max_response.
 *
 * fwctld_device_rpc() runs that path and, inside test_execute(), also holds every RPC to
 * the names classify_execute() declared and to the authorised scope (-EACCES otherwise).
 * Every buffer a plugin gets from fwctld_rpc_alloc() is exactly the size it asked for, so
 * a fake kernel that writes what the real driver writes makes ASan catch an undersized one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fwctld/plugin.h>

typedef struct TestBuffer TestBuffer;

struct fwctld_device {
        uint32_t type;
        void *plugin_data;
        const fwctld_plugin *plugin;
        /* What fwctld_device_rpc() may do now: the ceiling, and the names (NULL: any). */
        uint32_t authorised_scope;
        const char *allowed;
        /* Set when fwctld_device_rpc() refused something during test_execute(). */
        bool refused;
};

struct fwctld_rpc {
        /* The request, as a caller sent it. */
        uint32_t scope;
        uint8_t *request;
        size_t request_size;
        size_t max_response;
        fwctld_classification cls;

        /* Kernel buffers (fwctld_rpc_alloc() or the default copy) and what the kernel did. */
        TestBuffer *buffers;
        void *kin;
        size_t kin_len;
        void *kout;
        size_t kout_len;
        uint32_t issued_scope;
        size_t reported_len;
        unsigned n_ioctls;

        /* decode()'s results. */
        uint8_t *response;
        size_t response_size;
        bool response_set;
        size_t response_length;
        bool response_length_set;
        uint32_t status;
        char *status_name;
        bool status_set;

        /* What the caller gets (test_rpc_run()). */
        const uint8_t *reply;
        size_t reply_size;
        size_t reply_length;
        bool truncated;
};

/* The fake kernel: what FWCTL_RPC does with the daemon's buffers. 0 or a negative errno. */
typedef int (*test_kernel_func)(void *userdata, uint32_t scope, const void *in, size_t in_len, void *out,
                                size_t out_len, size_t *ret_out_len);
void test_daemon_set_kernel(test_kernel_func kernel, void *userdata);

/*
 * For a fake kernel: how many bytes from p to the end of the call buffer (fwctld_rpc_alloc()
 * or the default copy) that holds p; 0 when p is in none of the running call's buffers.
 */
size_t test_daemon_room(const void *p);

/* What fwctld_device_rpc() saw last, and how often it ran. */
typedef struct TestRpcLog {
        unsigned n_calls;
        unsigned n_ioctls;
        uint32_t scope;        /* the ceiling the plugin passed */
        uint32_t issued_scope; /* what the kernel ran it at */
        char operation[FWCTLD_OPERATION_NAME_MAX];
        uint8_t request[512];  /* the first bytes of the Rpc-format request */
        size_t request_size;
        size_t kout_len;       /* the out buffer the kernel got */
        int result;
} TestRpcLog;
extern TestRpcLog test_rpc_log;
void test_rpc_log_reset(void);

/* A device served by plugin (attach() is not run: see test_attach()). */
fwctld_device *test_device_new(const fwctld_plugin *plugin, uint32_t type);
void test_device_free(fwctld_device *d);

/* attach() as the daemon runs it: fwctld_device_rpc() up to debug-read-only, any name. */
int test_attach(fwctld_device *d);

/* One raw Rpc request; test_rpc_run() takes it through the whole path. */
fwctld_rpc *test_rpc_new(const void *request, size_t size, uint32_t scope, size_t max_response);
void test_rpc_free(fwctld_rpc *c);
/* 0; a hook's or the kernel's errno; -EACCES for a scope below classify()'s; -EPROTO when a
 * marshal() offers less than kernel_out_min. */
int test_rpc_run(fwctld_device *d, fwctld_rpc *c, char **ret_reason);

/*
 * Execute as the daemon runs it: classify_execute() with ret->min_scope = the operation's
 * and ret->operation = its rpc_operations (or ""), then execute() with fwctld_device_rpc()
 * held to that scope and those names. A refusal there wins over what execute() returns
 * (-EACCES, no result). *ret_cls (may be NULL) gets what classify_execute() decided.
 */
int test_execute(fwctld_device *d, const fwctld_operation *op, const char *params, fwctld_classification *ret_cls,
                 char **ret_json, char **ret_reason);

/* Whether name is one of the comma-separated names in list. */
bool test_name_in_list(const char *list, const char *name);
