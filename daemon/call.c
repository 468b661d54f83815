/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include <fwctld/fwctl-uapi.h>

#include "audit.h"
#include "bus.h"
#include "call.h"
#include "deny-list.h"
#include "device.h"
#include "fwctl-ioctl.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "polkit.h"
#include "worker.h"

struct CallBuffer {
        CallBuffer *next;
        size_t size;
        unsigned char data[];
};

static const char *const scope_names[_FWCTLD_SCOPE_MAX] = {
        [FWCTLD_SCOPE_CONFIGURATION] = "configuration",
        [FWCTLD_SCOPE_DEBUG_READ_ONLY] = "debug-read-only",
        [FWCTLD_SCOPE_DEBUG_WRITE] = "debug-write",
        [FWCTLD_SCOPE_DEBUG_WRITE_FULL] = "debug-write-full",
};

static const char *const scope_actions[_FWCTLD_SCOPE_MAX] = {
        [FWCTLD_SCOPE_CONFIGURATION] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-configuration",
        [FWCTLD_SCOPE_DEBUG_READ_ONLY] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-debug-read-only",
        [FWCTLD_SCOPE_DEBUG_WRITE] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-debug-write",
        [FWCTLD_SCOPE_DEBUG_WRITE_FULL] = FWCTLD_POLKIT_ACTION_PREFIX "rpc-debug-write-full",
};

const char *scope_to_string(uint32_t scope) {
        return scope < _FWCTLD_SCOPE_MAX ? scope_names[scope] : NULL;
}

const char *scope_to_action(uint32_t scope) {
        return scope < _FWCTLD_SCOPE_MAX ? scope_actions[scope] : NULL;
}

const char *errno_to_bus_error(int err) {
        switch (abs(err)) {
        case ENODEV:
        case ENXIO:
                return FWCTLD_ERROR_DEVICE_GONE;
        case ENOTTY:
        case EOPNOTSUPP:
                return FWCTLD_ERROR_NOT_SUPPORTED;
        case EMSGSIZE:
                return FWCTLD_ERROR_PAYLOAD_TOO_LARGE;
        case EBUSY:
        case EAGAIN:
                return FWCTLD_ERROR_BUSY;
        default:
                return FWCTLD_ERROR_DEVICE_ERROR;
        }
}

int call_new(Manager *m, Device *d, CallKind kind, sd_bus_message *message, Call **ret) {
        Call *c;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->manager = m;
        c->device = device_ref(d);
        c->kind = kind;
        c->message = sd_bus_message_ref(message);
        c->uid = (uid_t) -1;
        atomic_init(&c->cancelled, false);
        *ret = c;
        return 0;
}

Call *call_free(Call *c) {
        if (!c)
                return NULL;

        manager_untrack_call(c->manager, c);
        sd_bus_slot_unref(c->polkit_slot);
        sd_bus_message_unref(c->message);
        device_unref(c->device);
        while (c->buffers) {
                CallBuffer *b = c->buffers;
                c->buffers = b->next;
                free(b);
        }
        free(c->sender);
        free(c->unit);
        free(c->request);
        free(c->parameters_json);
        free(c->polkit_cancel_id);
        free(c->error_reason);
        free(c->response);
        free(c->status_name);
        free(c->result_json);
        free(c);
        return NULL;
}

/* Answer and forget the message; the call itself may still be on the worker. */
_printf_(3, 4) static void call_reply_error(Call *c, const char *name, const char *format, ...) {
        char buf[512];
        va_list ap;

        if (!c->message)
                return;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        bus_call_reply_error(c, name, buf);
        c->message = sd_bus_message_unref(c->message);
}

static int call_classify(Call *c, sd_bus_error *error) {
        const fwctld_plugin *p = c->device->plugin->desc;
        _cleanup_(freep) char *reason = NULL;
        int r;

        if (c->kind == CALL_EXECUTE) {
                for (size_t i = 0; i < p->n_operations && !c->operation; i++)
                        if (streq(p->operations[i].name, c->cls.operation))
                                c->operation = &p->operations[i];
                if (!c->operation)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_NO_SUCH_OPERATION,
                                                 "Device '%s' (plugin '%s') has no operation '%s'.",
                                                 c->device->name, p->name, c->cls.operation);
                if (c->operation->min_scope >= _FWCTLD_SCOPE_MAX)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                                 "Plugin '%s' declares an invalid scope for '%s'.", p->name,
                                                 c->operation->name);
                c->cls.min_scope = c->operation->min_scope;
                if (p->classify_execute) {
                        fwctld_classification cls = c->cls;

                        r = p->classify_execute(c->device, c->operation, c->parameters_json, &cls, &reason);
                        if (r < 0)
                                return sd_bus_error_setf(error, FWCTLD_ERROR_INVALID_ARGUMENTS,
                                                         "Invalid parameters for '%s': %s", c->operation->name,
                                                         reason ?: errno_name(r));
                        /* A plugin may raise the scope an operation needs, never lower it. */
                        if (cls.min_scope >= _FWCTLD_SCOPE_MAX || cls.min_scope < c->cls.min_scope)
                                return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                                         "Plugin '%s' returned an invalid scope for '%s'.",
                                                         p->name, c->operation->name);
                        c->cls.min_scope = cls.min_scope;
                        c->cls.configuration_write = cls.configuration_write;
                }
                /* The operation's own name is what is authorised and audited. */
                (void) snprintf(c->cls.operation, sizeof(c->cls.operation), "%s", c->operation->name);
                c->scope = c->cls.min_scope;
                return 0;
        }

        c->cls = (fwctld_classification) {};
        r = p->classify(c->device, c->request, c->request_size, c->scope, &c->cls, &reason);
        if (r < 0)
                return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                         "Plugin '%s' rejected the request: %s", p->name,
                                         reason ?: errno_name(r));
        c->cls.operation[sizeof(c->cls.operation) - 1] = '\0';
        if (c->cls.min_scope >= _FWCTLD_SCOPE_MAX)
                return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                         "Plugin '%s' returned an invalid scope for the request.", p->name);
        if (c->cls.min_scope > c->scope)
                return sd_bus_error_setf(error, FWCTLD_ERROR_SCOPE_TOO_LOW,
                                         "Operation '%s' needs scope %s (%u) or higher; the call asked for %s (%u).",
                                         isempty(c->cls.operation) ? "request" : c->cls.operation,
                                         scope_to_string(c->cls.min_scope), c->cls.min_scope,
                                         scope_to_string(c->scope), c->scope);
        return 0;
}

static int call_validate(Call *c, sd_bus_error *error) {
        Device *d = c->device;

        if (d->state != DEVICE_READY)
                return sd_bus_error_setf(error, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' is gone.", d->name);

        if (c->kind == CALL_RPC) {
                if (c->scope >= _FWCTLD_SCOPE_MAX)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_INVALID_SCOPE,
                                                 "Scope %u is not valid: use 0 (configuration), 1 (debug-read-only), "
                                                 "2 (debug-write) or 3 (debug-write-full).", c->scope);
                if (c->request_size == 0)
                        return sd_bus_error_set(error, FWCTLD_ERROR_REQUEST_REJECTED, "The request is empty.");
                if (c->request_size > FWCTLD_MAX_RPC_LEN)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_PAYLOAD_TOO_LARGE,
                                                 "Request of %zu bytes exceeds the limit of %u bytes.",
                                                 c->request_size, FWCTLD_MAX_RPC_LEN);
                if (c->max_response > FWCTLD_MAX_RPC_LEN)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_PAYLOAD_TOO_LARGE,
                                                 "max_response of %zu bytes exceeds the limit of %u bytes.",
                                                 c->max_response, FWCTLD_MAX_RPC_LEN);
        }

        if (c->manager->pending_bytes + call_buffer_bytes(c) > FWCTLD_MAX_PENDING_BYTES)
                return sd_bus_error_setf(error, FWCTLD_ERROR_BUSY,
                                         "Too much data in flight (limit %llu MiB); try again later.",
                                         FWCTLD_MAX_PENDING_BYTES / (1024ull * 1024ull));
        if (c->sender && manager_count_calls_of_sender(c->manager, c->sender) >= FWCTLD_MAX_CALLS_PER_SENDER)
                return sd_bus_error_setf(error, FWCTLD_ERROR_BUSY,
                                         "Too many calls in progress for this client (limit %u).",
                                         FWCTLD_MAX_CALLS_PER_SENDER);
        return 0;
}

static void call_enqueue(Call *c) {
        Job *j;
        int r;

        if (c->device->state != DEVICE_READY) {
                call_reply_error(c, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' is gone.", c->device->name);
                call_free(c);
                return;
        }

        if (scope_taints(c->scope)) {
                c->tainted_before = manager_refresh_taint(c->manager);
                audit_rpc_attempt(c);
        }

        r = job_new(JOB_CALL, c->device, c, &j);
        if (r >= 0) {
                r = worker_submit(c->device->worker, j);
                if (r < 0)
                        job_free(j);
        }
        if (r < 0) {
                c->error = r;
                if (scope_taints(c->scope))
                        audit_rpc_result(c, c->tainted_before);
                if (r == -EBUSY)
                        call_reply_error(c, FWCTLD_ERROR_BUSY, "Device '%s' has %u calls queued; try again later.",
                                         c->device->name, FWCTLD_MAX_CALLS_PER_DEVICE);
                else
                        call_reply_error(c, FWCTLD_ERROR_DEVICE_ERROR, "Failed to queue the call: %s", errno_name(r));
                call_free(c);
                return;
        }
        c->state = CALL_QUEUED;
}

/* The administrator's deny list, before polkit: no prompt for what is refused anyway. */
static int call_check_deny_list(Call *c, sd_bus_error *error) {
        const char *op = isempty(c->cls.operation) ? "unknown" : c->cls.operation;
        const DenyRule *rule;

        rule = deny_list_match(c->manager->deny, device_type_to_string(c->device->type), op, c->scope);
        if (!rule)
                return 0;
        audit_auth_denied(c, "local-policy");
        return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                 "%s at scope %s on '%s' is denied by local policy (%s).", op,
                                 scope_to_string(c->scope), c->device->name, rule->origin);
}

int call_start(Call *c, sd_bus_error *error) {
        int r;

        r = call_validate(c, error);
        if (r < 0)
                return r;
        r = call_classify(c, error);
        if (r < 0)
                return r;
        r = call_check_deny_list(c, error);
        if (r < 0)
                return r;

        manager_track_call(c->manager, c);

        /* Root is authorised by polkit unconditionally; spare the round trip. */
        if (c->uid == 0) {
                call_enqueue(c);
                return 1;
        }

        r = polkit_check_async(c);
        if (r < 0) {
                call_authorization_done(c, r, false, false, NULL);
                return 1;
        }
        c->state = CALL_AUTHORIZING;
        return 1;
}

void call_authorization_done(Call *c, int r, bool authorized, bool challenge, const sd_bus_error *error) {
        c->polkit_slot = sd_bus_slot_unref(c->polkit_slot);

        if (r < 0 || !authorized) {
                const char *why;

                if (r < 0)
                        why = "polkit-unavailable";
                else if (challenge)
                        why = "challenge";
                else
                        why = "denied";
                audit_auth_denied(c, why);

                if (r < 0)
                        call_reply_error(c, FWCTLD_ERROR_NOT_AUTHORIZED,
                                         "Authorization for %s could not be checked (polkit unavailable: %s).",
                                         scope_to_action(c->scope),
                                         error && error->message ? error->message : errno_name(r));
                else if (challenge && !c->interactive)
                        call_reply_error(c, FWCTLD_ERROR_INTERACTIVE_AUTH_REQUIRED,
                                         "Authentication is required for %s; allow interactive authorization to be asked.",
                                         scope_to_action(c->scope));
                else
                        call_reply_error(c, FWCTLD_ERROR_NOT_AUTHORIZED, "Not authorized for %s on '%s'.",
                                         scope_to_action(c->scope), c->device->name);
                call_free(c);
                return;
        }

        call_enqueue(c);
}

static void call_default_buffers(Call *c) {
        c->kin = c->request;
        c->kin_len = c->request_size;
        /* The kernel wants a buffer even for 0; keep one byte so the pointer is real. */
        c->kout = fwctld_rpc_alloc(c, MAX(c->max_response, (size_t) 1));
        c->kout_len = c->max_response;
}

/* A plugin hook failed: remember why, for the reply. */
static int call_plugin_failed(Call *c, int r, char **reason) {
        c->error = r;
        c->error_from_plugin = true;
        c->error_reason = TAKE_PTR(*reason);
        return r;
}

static int call_run_execute(Call *c, const fwctld_plugin *p) {
        _cleanup_(freep) char *reason = NULL;
        int r;

        r = p->execute(c->device, c->operation, c->parameters_json ?: "{}", &c->result_json, &reason);
        return r < 0 ? call_plugin_failed(c, r, &reason) : 0;
}

static int call_run_rpc(Call *c, const fwctld_plugin *p) {
        _cleanup_(freep) char *reason = NULL;
        int r;

        if (p->marshal) {
                r = p->marshal(c->device, c, &reason);
                if (r >= 0 && !c->kin)
                        r = -EPROTO;
        } else {
                call_default_buffers(c);
                r = c->kout ? 0 : -ENOMEM;
        }
        if (r < 0)
                return call_plugin_failed(c, r, &reason);

        c->n_ioctls++;
        r = fwctl_ioctl_rpc(c->device->fd, c->scope, c->kin, c->kin_len, c->kout, c->kout_len, &c->reported_len);
        if (r < 0)
                return (c->error = r);

        if (p->decode) {
                r = p->decode(c->device, c, &reason);
                if (r < 0)
                        return call_plugin_failed(c, r, &reason);
        }
        return 0;
}

void call_run(Call *c) {
        const fwctld_plugin *p;

        /* A call whose caller left never reaches the device (nor its plugin). */
        if (atomic_load(&c->cancelled)) {
                c->error = -ECANCELED;
                return;
        }
        p = c->device->plugin->desc;

        /* fwctld_device_rpc() from the plugin checks its scope against this call. */
        manager_set_thread_call(c);
        if (c->kind == CALL_EXECUTE)
                (void) call_run_execute(c, p);
        else
                (void) call_run_rpc(c, p);
        manager_set_thread_call(NULL);
}

static void call_reply_failure(Call *c) {
        int err = c->error;
        const char *what = isempty(c->cls.operation) ? "the request" : c->cls.operation;

        if (err == -ECANCELED)
                return;
        if (err == -ENODEV || err == -ENXIO)
                call_reply_error(c, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' is gone (%s).", c->device->name,
                                 errno_name(err));
        else if (c->error_from_plugin && err == -EINVAL)
                /* The plugin refused what the caller sent (before the ioctl, or the device said EINVAL). */
                call_reply_error(c, c->kind == CALL_EXECUTE ? FWCTLD_ERROR_INVALID_ARGUMENTS : FWCTLD_ERROR_REQUEST_REJECTED,
                                 "Plugin '%s' refused %s: %s", device_plugin_name(c->device), what,
                                 c->error_reason ?: errno_name(err));
        else if (c->error_from_plugin)
                /* Malformed firmware replies (EBADMSG) and kernel errnos a named operation met. */
                call_reply_error(c, errno_to_bus_error(err), "Plugin '%s': %s failed: %s (%s)",
                                 device_plugin_name(c->device), what, c->error_reason ?: "device error",
                                 errno_name(err));
        else
                call_reply_error(c, errno_to_bus_error(err), "Device '%s' returned %s for %s.", c->device->name,
                                 errno_name(err), what);
}

void call_completed(Call *c) {
        Device *d = device_ref(c->device);

        c->state = CALL_DONE;
        /* Every attempt record gets its result, ECANCELED included (caller left while queued). */
        if (scope_taints(c->scope))
                audit_rpc_result(c, manager_refresh_taint(c->manager));

        if (c->message) {
                if (c->error < 0)
                        call_reply_failure(c);
                else if (c->kind == CALL_EXECUTE)
                        bus_call_reply_execute(c);
                else
                        bus_call_reply_rpc(c);
                c->message = sd_bus_message_unref(c->message);
        }

        /* An orphaned fd answers ENODEV to everything: drop the device now. */
        if (c->error == -ENODEV || c->error == -ENXIO)
                manager_remove_device(c->manager, d);

        call_free(c);
        device_unref(d);
}

void call_fail_device_gone(Call *c) {
        if (c->state == CALL_AUTHORIZING)
                polkit_cancel(c);
        call_reply_error(c, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' was removed.", c->device->name);
}

void call_cancel(Call *c) {
        atomic_store(&c->cancelled, true);
        c->message = sd_bus_message_unref(c->message);
        if (c->state == CALL_AUTHORIZING) {
                polkit_cancel(c);
                call_free(c);
        }
        /* Queued or running: the completion frees it. */
}

/* --- The plugin ABI's view of a call -------------------------------------------- */

uint32_t fwctld_rpc_get_scope(const fwctld_rpc *rpc) {
        return rpc->scope;
}

const void *fwctld_rpc_get_request(const fwctld_rpc *rpc, size_t *ret_size) {
        if (ret_size)
                *ret_size = rpc->request_size;
        return rpc->request;
}

size_t fwctld_rpc_get_max_response(const fwctld_rpc *rpc) {
        return rpc->max_response;
}

void *fwctld_rpc_alloc(fwctld_rpc *rpc, size_t size) {
        CallBuffer *b;

        if (size > FWCTLD_MAX_RPC_LEN)
                return NULL;
        b = calloc(1, sizeof(CallBuffer) + MAX(size, (size_t) 1));
        if (!b)
                return NULL;
        b->size = size;
        b->next = rpc->buffers;
        rpc->buffers = b;
        return b->data;
}

static bool call_owns_buffer(const Call *c, const void *p, size_t len) {
        for (const CallBuffer *b = c->buffers; b; b = b->next)
                if ((const unsigned char *) p >= b->data && len <= b->size &&
                    (size_t) ((const unsigned char *) p - b->data) <= b->size - len)
                        return true;
        return false;
}

int fwctld_rpc_set_kernel_buffers(fwctld_rpc *rpc, void *in, size_t in_len, void *out, size_t out_len) {
        if (!in || in_len == 0 || !out || in_len > FWCTLD_MAX_RPC_LEN || out_len > FWCTLD_MAX_RPC_LEN)
                return -EINVAL;
        if (!call_owns_buffer(rpc, in, in_len) || !call_owns_buffer(rpc, out, out_len))
                return -EINVAL;
        rpc->kin = in;
        rpc->kin_len = in_len;
        rpc->kout = out;
        rpc->kout_len = out_len;
        return 0;
}

const void *fwctld_rpc_get_kernel_response(const fwctld_rpc *rpc, size_t *ret_buffer_size, size_t *ret_reported_len) {
        if (ret_buffer_size)
                *ret_buffer_size = rpc->kout_len;
        if (ret_reported_len)
                *ret_reported_len = rpc->reported_len;
        return rpc->kout;
}

int fwctld_rpc_set_response(fwctld_rpc *rpc, const void *data, size_t size) {
        void *copy;

        if (size > rpc->max_response)
                size = rpc->max_response;
        copy = malloc(MAX(size, (size_t) 1));
        if (!copy)
                return -ENOMEM;
        if (size > 0)
                memcpy(copy, data, size);
        free(rpc->response);
        rpc->response = copy;
        rpc->response_size = size;
        rpc->response_set = true;
        return 0;
}

void fwctld_rpc_set_response_length(fwctld_rpc *rpc, size_t length) {
        rpc->response_length = length;
        rpc->response_length_set = true;
}

void fwctld_rpc_set_status(fwctld_rpc *rpc, uint32_t status, const char *status_name) {
        rpc->status = status;
        free(rpc->status_name);
        rpc->status_name = status_name ? strdup(status_name) : NULL;
        rpc->status_set = true;
}
