/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <unistd.h>

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
#include "taint.h"
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
        free(c->refusal_message);
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
                        if (streq(p->operations[i].name, c->execute_operation))
                                c->operation = &p->operations[i];
                if (!c->operation)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_NO_SUCH_OPERATION,
                                                 "Device '%s' (plugin '%s') has no operation '%s'.",
                                                 c->device->name, p->name, c->execute_operation);
                if (c->operation->min_scope >= _FWCTLD_SCOPE_MAX)
                        return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                                 "Plugin '%s' declares an invalid scope for '%s'.", p->name,
                                                 c->operation->name);
                c->cls.min_scope = c->operation->min_scope;
                /* The RPC names it issues: what polkit, the deny list and the journal see. */
                (void) snprintf(c->cls.operation, sizeof(c->cls.operation), "%s",
                                strempty(c->operation->rpc_operations));
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
                        cls.operation[sizeof(cls.operation) - 1] = '\0';
                        c->cls.min_scope = cls.min_scope;
                        c->cls.configuration_write = cls.configuration_write;
                        memcpy(c->cls.operation, cls.operation, sizeof(c->cls.operation));
                }
                if (isempty(c->cls.operation))
                        return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                                 "Plugin '%s' does not name the requests '%s' issues; refused.",
                                                 p->name, c->operation->name);
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
        if (c->cls.min_scope >= _FWCTLD_SCOPE_MAX || c->cls.kernel_out_min > FWCTLD_MAX_RPC_LEN)
                return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                         "Plugin '%s' returned an invalid classification for the request.", p->name);
        if (c->cls.min_scope > c->scope)
                return sd_bus_error_setf(error, FWCTLD_ERROR_SCOPE_TOO_LOW,
                                         "Operation '%s' needs scope %s (%u) or higher; the call asked for %s (%u).",
                                         isempty(c->cls.operation) ? "request" : c->cls.operation,
                                         scope_to_string(c->cls.min_scope), c->cls.min_scope,
                                         scope_to_string(c->scope), c->scope);
        return 0;
}

/*
 * The generic fallback passes requests raw, and fwctld cannot know whether a format it
 * does not know embeds pointers (pds and bnxt DMA do: a raw one is a read/write
 * primitive into this root process). A known type whose plugin is not loaded is never
 * served raw; an unknown type only to root (who could open the node anyway) or where
 * the administrator opted the type in.
 */
static int call_check_fallback(Call *c, sd_bus_error *error) {
        Device *d = c->device;

        if (!d->plugin->desc->fallback)
                return 0;
        if (device_type_is_known(d->type))
                return sd_bus_error_setf(error, FWCTLD_ERROR_PLUGIN_MISSING,
                                         "Device '%s' is a %s device, but the %s plugin is not loaded (%s.so in "
                                         "fwctld's plugin directory); its requests are never passed raw.",
                                         d->name, device_type_to_string(d->type), device_type_to_string(d->type),
                                         device_type_to_string(d->type));
        if (c->uid == 0 || manager_raw_type_allowed(c->manager, d->type))
                return 0;
        return sd_bus_error_setf(error, FWCTLD_ERROR_NOT_AUTHORIZED,
                                 "Device '%s' has type %" PRIu32 ", which no plugin knows: raw requests are served "
                                 "to root only, unless an administrator lists the type in %s.",
                                 d->name, d->type, strempty(c->manager->raw_types_path));
}

static int call_validate(Call *c, sd_bus_error *error) {
        Device *d = c->device;
        int r;

        if (d->state != DEVICE_READY)
                return sd_bus_error_setf(error, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' is gone.", d->name);

        r = call_check_fallback(c, error);
        if (r < 0)
                return r;

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

        /* Execute's RPCs are recorded one by one, each under its own name, as they run. */
        if (c->kind == CALL_RPC && call_changes_device(c)) {
                c->tainted_before = manager_refresh_taint(c->manager);
                r = audit_rpc_attempt(c);
                if (r < 0) {
                        log_device_error_errno(c->device->name, r,
                                               "The journal did not accept the attempt record of %s; not running it: %m",
                                               c->cls.operation);
                        call_reply_error(c, FWCTLD_ERROR_AUDIT_FAILED,
                                         "%s on '%s' changes the device and could not be recorded in the journal "
                                         "(%s); it was not run.", c->cls.operation, c->device->name, errno_name(r));
                        call_free(c);
                        return;
                }
                c->attempt_recorded = true;
        }

        r = job_new(JOB_CALL, c->device, c, &j);
        if (r >= 0) {
                r = worker_submit(c->device->worker, j);
                if (r < 0)
                        job_free(j);
        }
        if (r < 0) {
                c->error = r;
                if (c->attempt_recorded)
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
/* The administrator's deny list, before polkit: no prompt for what is refused anyway.
 * Execute meets rules naming the operation and rules naming any RPC it issues. */
static int call_check_deny_list(Call *c, sd_bus_error *error) {
        const char *op = isempty(c->cls.operation) ? "unknown" : c->cls.operation;
        _cleanup_(freep) char *origin = NULL;
        int r;

        r = manager_deny_check(c->manager, c->device->type, op, c->scope, &origin);
        if (r == 0 && c->kind == CALL_EXECUTE) {
                op = c->execute_operation;
                r = manager_deny_check(c->manager, c->device->type, op, c->scope, &origin);
        }
        if (r == 0)
                return 0;
        audit_auth_denied(c, "local-policy");
        return sd_bus_error_setf(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                 "%s at scope %s on '%s' is denied by local policy (%s).", op,
                                 scope_to_string(c->scope), c->device->name, strempty(origin));
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

/*
 * No marshal(): the request goes as it is. The out buffer is what the driver writes
 * (kernel_out_min) when that is more than the caller asked for: drivers trust out_len.
 */
static void call_default_buffers(Call *c) {
        c->kin = c->request;
        c->kin_len = c->request_size;
        c->kout_len = MAX(c->max_response, c->cls.kernel_out_min);
        /* The kernel wants a buffer even for 0; keep one byte so the pointer is real. */
        c->kout = fwctld_rpc_alloc(c, MAX(c->kout_len, (size_t) 1));
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

/* The ioctl, at the lowest scope the driver needs where the plugin knows it exactly. */
static int call_issue(Call *c) {
        int r;

        c->issued_scope = c->cls.scope_exact ? MIN(c->cls.min_scope, c->scope) : c->scope;
        c->n_ioctls++;
        r = fwctl_ioctl_rpc(c->device->fd, c->issued_scope, c->kin, c->kin_len, c->kout, c->kout_len,
                            &c->reported_len);
        /* The driver disagreed with the plugin's table: once more at what was authorised. */
        if (r == -EPERM && c->issued_scope < c->scope) {
                log_device_warning(c->device->name, "%s was refused at scope %s; retrying at the authorised %s.",
                                   c->cls.operation, scope_to_string(c->issued_scope), scope_to_string(c->scope));
                c->issued_scope = c->scope;
                c->n_ioctls++;
                r = fwctl_ioctl_rpc(c->device->fd, c->issued_scope, c->kin, c->kin_len, c->kout, c->kout_len,
                                    &c->reported_len);
        }
        return r;
}

/* Without decode() the response is the kernel's out buffer up to what it reported, trimmed. */
static int call_default_response(Call *c) {
        int r;

        if (!c->response_set) {
                r = fwctld_rpc_set_response(c, c->kout, MIN(c->reported_len, c->kout_len));
                if (r < 0)
                        return r;
        }
        if (!c->response_length_set)
                fwctld_rpc_set_response_length(c, c->reported_len);
        return 0;
}

static int call_run_rpc(Call *c, const fwctld_plugin *p) {
        _cleanup_(freep) char *reason = NULL;
        int r;

        if (p->marshal) {
                r = p->marshal(c->device, c, &reason);
                if (r >= 0 && !c->kin)
                        r = -EPROTO;
                if (r >= 0 && c->kout_len < c->cls.kernel_out_min) {
                        /* The driver would write past the buffer: never hand it over. */
                        log_device_error(c->device->name, "Plugin '%s' set a %zu-byte out buffer for %s, which "
                                         "writes %zu bytes; refused.", p->name, c->kout_len, c->cls.operation,
                                         c->cls.kernel_out_min);
                        r = -EPROTO;
                }
        } else {
                call_default_buffers(c);
                r = c->kout ? 0 : -ENOMEM;
        }
        if (r < 0)
                return call_plugin_failed(c, r, &reason);

        r = call_issue(c);
        if (r < 0)
                return (c->error = r);

        if (p->decode) {
                r = p->decode(c->device, c, &reason);
                if (r < 0)
                        return call_plugin_failed(c, r, &reason);
        }
        r = call_default_response(c);
        if (r < 0)
                return (c->error = r);
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
        /* A refused RPC fails the operation, whatever the plugin made of it. */
        if (c->refusal_error && c->error >= 0)
                c->error = -EACCES;
}

static void call_reply_failure(Call *c) {
        int err = c->error;
        const char *what = isempty(c->cls.operation) ? "the request" : c->cls.operation;

        if (err == -ECANCELED)
                return;
        if (c->refusal_error)
                call_reply_error(c, c->refusal_error, "%s", strempty(c->refusal_message));
        else if (err == -ENODEV || err == -ENXIO)
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
        if (c->attempt_recorded)
                audit_rpc_result(c, manager_refresh_taint(c->manager));
        else if (c->kind == CALL_EXECUTE)
                (void) manager_refresh_taint(c->manager);

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

/* --- RPCs a plugin issues inside a call ------------------------------------------ */

/* The first refusal inside an Execute is what its caller hears. */
_printf_(4, 5) static int call_refuse_nested(Call *sub, const char *error_name, int err, const char *format, ...) {
        Call *parent = sub->parent;
        va_list ap;
        char *msg = NULL;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_device_warning(sub->device->name, "%s", strempty(msg));
        if (parent && !parent->refusal_error) {
                parent->refusal_error = error_name;
                parent->refusal_message = msg;
        } else
                free(msg);
        sub->error = err;
        return err;
}

/* Is name one of the comma-separated names the operation declared? */
static bool names_contain(const char *list, const char *name) {
        size_t n = strlen(name);

        for (const char *p = strempty(list); *p;) {
                size_t l = strcspn(p, ",");

                if (l == n && strncmp(p, name, n) == 0)
                        return true;
                p += l;
                if (*p == ',')
                        p++;
        }
        return false;
}

static int call_nested_classify(Call *sub) {
        const fwctld_plugin *p = sub->device->plugin->desc;
        _cleanup_(freep) char *reason = NULL;
        Call *parent = sub->parent;
        int r;

        r = p->classify(sub->device, sub->request, sub->request_size, sub->scope, &sub->cls, &reason);
        sub->cls.operation[sizeof(sub->cls.operation) - 1] = '\0';
        if (r < 0)
                return call_refuse_nested(sub, FWCTLD_ERROR_REQUEST_REJECTED, -EINVAL,
                                          "Plugin '%s' rejected a request of its own operation '%s': %s", p->name,
                                          strempty(sub->execute_operation), reason ?: errno_name(r));
        if (sub->cls.min_scope >= _FWCTLD_SCOPE_MAX || sub->cls.kernel_out_min > FWCTLD_MAX_RPC_LEN)
                return call_refuse_nested(sub, FWCTLD_ERROR_REQUEST_REJECTED, -EACCES,
                                          "Plugin '%s' returned an invalid classification.", p->name);
        if (sub->cls.min_scope > sub->scope)
                return call_refuse_nested(sub, FWCTLD_ERROR_SCOPE_TOO_LOW, -EACCES,
                                          "%s needs scope %s; operation '%s' was authorised for %s.",
                                          sub->cls.operation, scope_to_string(sub->cls.min_scope),
                                          strempty(sub->execute_operation), scope_to_string(sub->scope));
        /* What polkit and the deny list were shown is what reaches the device. */
        if (parent && parent->kind == CALL_EXECUTE && !names_contain(parent->cls.operation, sub->cls.operation))
                return call_refuse_nested(sub, FWCTLD_ERROR_REQUEST_REJECTED, -EACCES,
                                          "Operation '%s' issued %s, which it did not declare (%s); refused.",
                                          sub->execute_operation, sub->cls.operation, parent->cls.operation);
        return 0;
}

static int call_nested_check(Call *sub) {
        _cleanup_(freep) char *origin = NULL;
        int r;

        r = call_nested_classify(sub);
        if (r < 0)
                return r;
        if (manager_deny_check(sub->manager, sub->device->type, sub->cls.operation, sub->scope, &origin) > 0) {
                audit_auth_denied(sub, "local-policy");
                return call_refuse_nested(sub, FWCTLD_ERROR_REQUEST_REJECTED, -EACCES,
                                          "%s at scope %s on '%s' is denied by local policy (%s).",
                                          sub->cls.operation, scope_to_string(sub->scope), sub->device->name,
                                          strempty(origin));
        }
        if (call_changes_device(sub)) {
                bool tainted = false;

                (void) taint_read(sub->manager->tainted_path, &tainted);
                sub->tainted_before = tainted;
                r = audit_rpc_attempt(sub);
                if (r < 0)
                        return call_refuse_nested(sub, FWCTLD_ERROR_AUDIT_FAILED, -EACCES,
                                                  "%s on '%s' changes the device and could not be recorded in the "
                                                  "journal (%s); it was not run.", sub->cls.operation,
                                                  sub->device->name, errno_name(r));
                sub->attempt_recorded = true;
        }
        return 0;
}

static int call_new_nested(Manager *m, Device *d, Call *parent, uint32_t scope, const void *request, size_t size,
                           size_t max_response, Call **ret) {
        _cleanup_(call_freep) Call *sub = NULL;
        int r;

        r = call_new(m, d, CALL_RPC, NULL, &sub);
        if (r < 0)
                return r;
        sub->parent = parent;
        sub->scope = scope;
        sub->max_response = max_response;
        sub->request_size = size;
        sub->request = malloc(size);
        if (!sub->request)
                return -ENOMEM;
        memcpy(sub->request, request, size);
        if (parent) {
                sub->uid = parent->uid;
                sub->pid = parent->pid;
                sub->sender = strdup(strempty(parent->sender));
                sub->unit = strdup(strempty(parent->unit));
                if (!sub->sender || !sub->unit)
                        return -ENOMEM;
                memcpy(sub->execute_operation, parent->execute_operation, sizeof(sub->execute_operation));
        } else {
                /* attach(): the daemon itself asks. */
                sub->uid = 0;
                sub->pid = getpid();
        }
        *ret = TAKE_PTR(sub);
        return 0;
}

int call_run_nested(Manager *m, Device *d, Call *parent, uint32_t scope, const void *request, size_t size,
                    size_t max_response, Call **ret_sub) {
        Call *sub;
        int r;

        r = call_new_nested(m, d, parent, scope, request, size, max_response, &sub);
        if (r < 0)
                return r;
        *ret_sub = sub;

        r = call_nested_check(sub);
        if (r < 0)
                return r;
        (void) call_run_rpc(sub, d->plugin->desc);
        if (parent)
                parent->n_ioctls += sub->n_ioctls;
        if (sub->attempt_recorded) {
                bool tainted = sub->tainted_before;

                (void) taint_read(m->tainted_path, &tainted);
                audit_rpc_result(sub, tainted);
        }
        return sub->error;
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
