/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-daemon.h"

#define MAX_RPC_LEN (2u * 1024u * 1024u)

struct TestBuffer {
        TestBuffer *next;
        size_t size;
        uint8_t data[];
};

TestRpcLog test_rpc_log;

static test_kernel_func kernel_func;
static void *kernel_userdata;
/* The call whose kernel step is running (for test_daemon_room()). */
static const fwctld_rpc *running;

void test_daemon_set_kernel(test_kernel_func kernel, void *userdata) {
        kernel_func = kernel;
        kernel_userdata = userdata;
}

void test_rpc_log_reset(void) {
        memset(&test_rpc_log, 0, sizeof(test_rpc_log));
}

fwctld_device *test_device_new(const fwctld_plugin *plugin, uint32_t type) {
        fwctld_device *d = calloc(1, sizeof(*d));

        if (!d)
                abort();
        d->plugin = plugin;
        d->type = type;
        d->authorised_scope = FWCTLD_SCOPE_DEBUG_READ_ONLY;
        return d;
}

void test_device_free(fwctld_device *d) {
        if (!d)
                return;
        if (d->plugin && d->plugin->detach)
                d->plugin->detach(d);
        free(d);
}

int test_attach(fwctld_device *d) {
        d->authorised_scope = FWCTLD_SCOPE_DEBUG_READ_ONLY;
        d->allowed = NULL;
        return d->plugin->attach ? d->plugin->attach(d) : 0;
}

const char *fwctld_device_get_name(const fwctld_device *device) {
        return device ? "fwctl0" : NULL;
}

uint32_t fwctld_device_get_type(const fwctld_device *device) {
        return device ? device->type : 0;
}

const char *fwctld_device_get_parent(const fwctld_device *device) {
        return device ? "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0" : NULL;
}

void *fwctld_device_get_plugin_data(const fwctld_device *device) {
        return device ? device->plugin_data : NULL;
}

void fwctld_device_set_plugin_data(fwctld_device *device, void *data) {
        if (device)
                device->plugin_data = data;
}

void fwctld_log(const fwctld_device *device, int priority, const char *format, ...) {
        va_list ap;

        if (!getenv("TEST_DAEMON_DEBUG"))
                return;
        va_start(ap, format);
        (void) fprintf(stderr, "<%d> ", priority);
        (void) vfprintf(stderr, format, ap);
        (void) fputc('\n', stderr);
        va_end(ap);
}

fwctld_rpc *test_rpc_new(const void *request, size_t size, uint32_t scope, size_t max_response) {
        fwctld_rpc *c = calloc(1, sizeof(*c));

        if (!c)
                abort();
        /* An exact copy: a plugin reading past the request is an ASan report. */
        c->request = malloc(size > 0 ? size : 1);
        if (!c->request)
                abort();
        if (size > 0)
                memcpy(c->request, request, size);
        c->request_size = size;
        c->scope = scope;
        c->max_response = max_response;
        return c;
}

void test_rpc_free(fwctld_rpc *c) {
        if (!c)
                return;
        while (c->buffers) {
                TestBuffer *b = c->buffers;

                c->buffers = b->next;
                free(b);
        }
        free(c->request);
        free(c->response);
        free(c->status_name);
        free(c);
}

uint32_t fwctld_rpc_get_scope(const fwctld_rpc *rpc) {
        return rpc->scope;
}

const void *fwctld_rpc_get_request(const fwctld_rpc *rpc, size_t *ret_size) {
        *ret_size = rpc->request_size;
        return rpc->request;
}

size_t fwctld_rpc_get_max_response(const fwctld_rpc *rpc) {
        return rpc->max_response;
}

void *fwctld_rpc_alloc(fwctld_rpc *rpc, size_t size) {
        TestBuffer *b;

        /* The daemon's limit: no buffer beyond what the fwctl core takes. */
        if (size > MAX_RPC_LEN)
                return NULL;
        b = calloc(1, sizeof(TestBuffer) + size);
        if (!b)
                return NULL;
        b->size = size;
        b->next = rpc->buffers;
        rpc->buffers = b;
        return b->data;
}

/* Whether [p, p + size) lies in one buffer of the call. */
static bool owned(const fwctld_rpc *rpc, const void *p, size_t size) {
        for (const TestBuffer *b = rpc->buffers; b; b = b->next)
                if ((const uint8_t *) p >= b->data && (const uint8_t *) p + size <= b->data + b->size)
                        return true;
        return false;
}

int fwctld_rpc_set_kernel_buffers(fwctld_rpc *rpc, void *in, size_t in_len, void *out, size_t out_len) {
        if (in_len > MAX_RPC_LEN || out_len > MAX_RPC_LEN)
                return -EMSGSIZE;
        if (!owned(rpc, in, in_len) || !owned(rpc, out, out_len))
                return -EINVAL;
        rpc->kin = in;
        rpc->kin_len = in_len;
        rpc->kout = out;
        rpc->kout_len = out_len;
        return 0;
}

const void *fwctld_rpc_get_kernel_response(const fwctld_rpc *rpc, size_t *ret_buffer_size, size_t *ret_reported_len) {
        *ret_buffer_size = rpc->kout_len;
        *ret_reported_len = rpc->reported_len;
        return rpc->kout;
}

int fwctld_rpc_set_response(fwctld_rpc *rpc, const void *data, size_t size) {
        uint8_t *p = malloc(size > 0 ? size : 1);

        if (!p)
                return -ENOMEM;
        if (size > 0)
                memcpy(p, data, size);
        free(rpc->response);
        rpc->response = p;
        rpc->response_size = size;
        rpc->response_set = true;
        return 0;
}

void fwctld_rpc_set_response_length(fwctld_rpc *rpc, size_t length) {
        rpc->response_length = length;
        rpc->response_length_set = true;
}

void fwctld_rpc_set_status(fwctld_rpc *rpc, uint32_t status, const char *status_name) {
        free(rpc->status_name);
        rpc->status_name = status_name ? strdup(status_name) : NULL;
        rpc->status = status;
        rpc->status_set = true;
}

size_t test_daemon_room(const void *p) {
        if (!running)
                return 0;
        for (const TestBuffer *b = running->buffers; b; b = b->next)
                if ((const uint8_t *) p >= b->data && (const uint8_t *) p < b->data + b->size)
                        return (size_t) (b->data + b->size - (const uint8_t *) p);
        return 0;
}

/* marshal(), or the default: the request as is and max(max_response, kernel_out_min) out. */
static int prepare_buffers(fwctld_device *d, fwctld_rpc *c, char **ret_reason) {
        size_t out_len;
        void *in, *out;
        int r;

        if (d->plugin->marshal) {
                r = d->plugin->marshal(d, c, ret_reason);
                if (r < 0)
                        return r;
                if (!c->kin || !c->kout)
                        return -EPROTO;
                /* The daemon refuses a marshal() that offers less than the driver writes. */
                return c->kout_len < c->cls.kernel_out_min ? -EPROTO : 0;
        }
        out_len = c->max_response > c->cls.kernel_out_min ? c->max_response : c->cls.kernel_out_min;
        in = fwctld_rpc_alloc(c, c->request_size);
        out = fwctld_rpc_alloc(c, out_len);
        if (!in || !out)
                return -ENOMEM;
        memcpy(in, c->request, c->request_size);
        return fwctld_rpc_set_kernel_buffers(c, in, c->request_size, out, out_len);
}

/* What the caller gets: decode()'s response or the kernel's, trimmed to max_response. */
static void finish_reply(fwctld_rpc *c) {
        size_t avail;

        if (c->response_set) {
                c->reply = c->response;
                avail = c->response_size;
                c->reply_length = c->response_length_set ? c->response_length : c->response_size;
        } else {
                c->reply = c->kout;
                avail = c->reported_len < c->kout_len ? c->reported_len : c->kout_len;
                c->reply_length = c->response_length_set ? c->response_length : c->reported_len;
        }
        c->reply_size = avail < c->max_response ? avail : c->max_response;
        c->truncated = c->reply_length > c->reply_size;
}

/* The path after classify(): buffers, the kernel, decode(). */
static int run_classified(fwctld_device *d, fwctld_rpc *c, char **ret_reason) {
        int r;

        if (c->cls.min_scope > c->scope)
                return -EACCES;
        /* Never taint without need: the driver's exact scope when the plugin knows it. */
        c->issued_scope = c->cls.scope_exact ? c->cls.min_scope : c->scope;
        r = prepare_buffers(d, c, ret_reason);
        if (r < 0)
                return r;
        if (!kernel_func)
                return -ENODEV;
        c->n_ioctls++;
        running = c;
        r = kernel_func(kernel_userdata, c->issued_scope, c->kin, c->kin_len, c->kout, c->kout_len,
                        &c->reported_len);
        running = NULL;
        if (r < 0)
                return r;
        if (d->plugin->decode) {
                r = d->plugin->decode(d, c, ret_reason);
                if (r < 0)
                        return r;
        }
        finish_reply(c);
        return 0;
}

int test_rpc_run(fwctld_device *d, fwctld_rpc *c, char **ret_reason) {
        int r;

        r = d->plugin->classify(d, c->request, c->request_size, c->scope, &c->cls, ret_reason);
        if (r < 0)
                return r;
        if (c->cls.min_scope >= _FWCTLD_SCOPE_MAX || !memchr(c->cls.operation, 0, sizeof(c->cls.operation)))
                return -EPROTO;
        return run_classified(d, c, ret_reason);
}

bool test_name_in_list(const char *list, const char *name) {
        size_t n = strlen(name);

        if (!list || n == 0)
                return false;
        for (const char *p = list; *p;) {
                const char *e = strchr(p, ',');
                size_t l = e ? (size_t) (e - p) : strlen(p);

                if (l == n && strncmp(p, name, n) == 0)
                        return true;
                if (!e)
                        break;
                p = e + 1;
        }
        return false;
}

/* fwctld_device_rpc()'s own checks on one classified RPC: -EACCES when the daemon refuses. */
static int check_inner(fwctld_device *d, const fwctld_rpc *c) {
        if (c->cls.min_scope > c->scope)
                return -EACCES;
        if (d->allowed && !test_name_in_list(d->allowed, c->cls.operation))
                return -EACCES;
        return 0;
}

static void log_call(uint32_t scope, const void *request, size_t request_size) {
        test_rpc_log.n_calls++;
        test_rpc_log.scope = scope;
        test_rpc_log.request_size = request_size;
        memset(test_rpc_log.request, 0, sizeof(test_rpc_log.request));
        memcpy(test_rpc_log.request, request,
               request_size < sizeof(test_rpc_log.request) ? request_size : sizeof(test_rpc_log.request));
        test_rpc_log.operation[0] = '\0';
        test_rpc_log.kout_len = 0;
        test_rpc_log.issued_scope = UINT32_MAX;
}

static int device_rpc_run(fwctld_device *d, fwctld_rpc *c) {
        char *reason = NULL;
        int r;

        r = d->plugin->classify(d, c->request, c->request_size, c->scope, &c->cls, &reason);
        free(reason);
        if (r < 0)
                return r;
        memcpy(test_rpc_log.operation, c->cls.operation, sizeof(test_rpc_log.operation));
        test_rpc_log.operation[sizeof(test_rpc_log.operation) - 1] = '\0';
        r = check_inner(d, c);
        if (r < 0)
                return r;
        reason = NULL;
        r = run_classified(d, c, &reason);
        free(reason);
        test_rpc_log.n_ioctls += c->n_ioctls;
        test_rpc_log.issued_scope = c->issued_scope;
        test_rpc_log.kout_len = c->kout_len;
        return r;
}

int fwctld_device_rpc(fwctld_device *device, uint32_t scope, const void *request, size_t request_size,
                      void *response, size_t response_size, fwctld_rpc_reply *ret_reply) {
        fwctld_rpc *c;
        int r;

        if (!device || !request || request_size == 0 || (response_size > 0 && !response) || !ret_reply)
                return -EINVAL;
        log_call(scope, request, request_size);
        if (scope > device->authorised_scope) {
                device->refused = true;
                return test_rpc_log.result = -EACCES;
        }
        c = test_rpc_new(request, request_size, scope, response_size);
        r = device_rpc_run(device, c);
        if (r == -EACCES)
                device->refused = true;
        if (r >= 0) {
                if (c->reply_size > 0)
                        memcpy(response, c->reply, c->reply_size);
                *ret_reply = (fwctld_rpc_reply) {
                        .size = c->reply_size,
                        .length = c->reply_length,
                        .issued_scope = c->issued_scope,
                        .status_set = c->status_set,
                        .status = c->status,
                };
        }
        test_rpc_free(c);
        return test_rpc_log.result = r;
}

int test_execute(fwctld_device *d, const fwctld_operation *op, const char *params, fwctld_classification *ret_cls,
                 char **ret_json, char **ret_reason) {
        fwctld_classification cls = { .min_scope = op->min_scope };
        int r = 0;

        (void) snprintf(cls.operation, sizeof(cls.operation), "%s", op->rpc_operations ? op->rpc_operations : "");
        if (d->plugin->classify_execute)
                r = d->plugin->classify_execute(d, op, params, &cls, ret_reason);
        if (ret_cls)
                *ret_cls = cls;
        if (r < 0)
                return r;
        if (cls.min_scope < op->min_scope || cls.min_scope >= _FWCTLD_SCOPE_MAX)
                return -EPROTO;

        d->authorised_scope = cls.min_scope;
        d->allowed = cls.operation;
        d->refused = false;
        r = d->plugin->execute(d, op, params, ret_json, ret_reason);
        d->authorised_scope = FWCTLD_SCOPE_DEBUG_READ_ONLY;
        d->allowed = NULL;
        if (d->refused) {
                /* The daemon's refusal is what the caller hears. */
                free(*ret_json);
                *ret_json = NULL;
                return -EACCES;
        }
        return r;
}
