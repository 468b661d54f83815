/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fwctld/fwctl-uapi.h>

#include "audit.h"
#include "call.h"
#include "device-type.h"
#include "device.h"
#include "fwctl-ioctl.h"
#include "log.h"
#include "metrics.h"
#include "plugin-loader.h"
#include "policy.h"
#include "rpc-exchange.h"

static const char *const call_error_table[_CALL_ERROR_MAX] = {
        [CALL_ERROR_NONE] = "none",
        [CALL_ERROR_NO_SUCH_DEVICE] = "no-such-device",
        [CALL_ERROR_DEVICE_GONE] = "device-gone",
        [CALL_ERROR_INVALID_SCOPE] = "invalid-scope",
        [CALL_ERROR_SCOPE_TOO_LOW] = "scope-too-low",
        [CALL_ERROR_REQUEST_REJECTED] = "request-rejected",
        [CALL_ERROR_PAYLOAD_TOO_LARGE] = "payload-too-large",
        [CALL_ERROR_NOT_AUTHORIZED] = "not-authorized",
        [CALL_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED] = "interactive-authorization-required",
        [CALL_ERROR_NOT_SUPPORTED] = "not-supported",
        [CALL_ERROR_BUSY] = "busy",
        [CALL_ERROR_DEVICE_ERROR] = "device-error",
        [CALL_ERROR_INVALID_ARGUMENTS] = "invalid-arguments",
        [CALL_ERROR_NO_SUCH_OPERATION] = "no-such-operation",
        [CALL_ERROR_PLUGIN_MISSING] = "plugin-missing",
        [CALL_ERROR_AUDIT_FAILED] = "audit-failed",
        [CALL_ERROR_CANCELLED] = "cancelled",
};

const char *call_error_to_string(CallError e) {
        return e >= 0 && e < _CALL_ERROR_MAX ? call_error_table[e] : NULL;
}

CallError call_error_from_string(const char *s) {
        if (!s)
                return _CALL_ERROR_INVALID;
        for (CallError e = 0; e < _CALL_ERROR_MAX; e++)
                if (streq(s, call_error_table[e]))
                        return e;
        return _CALL_ERROR_INVALID;
}

CallError call_error_from_errno(int err) {
        switch (abs(err)) {
        case ENODEV:
        case ENXIO:
                return CALL_ERROR_DEVICE_GONE;
        case ENOTTY:
        case EOPNOTSUPP:
                return CALL_ERROR_NOT_SUPPORTED;
        case EMSGSIZE:
                return CALL_ERROR_PAYLOAD_TOO_LARGE;
        case EBUSY:
        case EAGAIN:
                return CALL_ERROR_BUSY;
        default:
                return CALL_ERROR_DEVICE_ERROR;
        }
}

static __thread Call *current_call;

void call_set_current(Call *c) {
        current_call = c;
}

Call *call_get_current(void) {
        return current_call;
}

int call_new(Device *d, Policy *policy, CallKind kind, Call **ret) {
        Call *c;

        assert(d);
        assert(kind >= 0 && kind < _CALL_KIND_MAX);
        assert(ret);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->device = device_ref(d);
        c->policy = policy;
        c->kind = kind;
        c->caller.uid = (uid_t) -1;
        c->denial = -1;
        atomic_init(&c->cancelled, false);
        atomic_init(&c->start, CALL_START_WAITING);
        *ret = c;
        return 0;
}

Call *call_free(Call *c) {
        if (!c)
                return NULL;
        /* The manager untracks before it frees; a tracked call here is a bug. */
        assert(!c->tracked);

        device_unref(c->device);
        rpc_exchange_done(&c->rpc);
        free(c->caller.sender);
        free(c->caller.unit);
        if (c->request_mapped)
                (void) munmap(c->request, c->request_size);
        else
                free(c->request);
        free(c->parameters_json);
        free(c->error_reason);
        free(c->error_message);
        free(c->result_json);
        free(c);
        return NULL;
}

int call_fail(Call *c, CallError e, const char *format, ...) {
        va_list ap;
        char *msg = NULL;

        assert(c);
        assert(e > CALL_ERROR_NONE && e < _CALL_ERROR_MAX);
        if (c->domain_error != CALL_ERROR_NONE)
                return -EINVAL;
        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        c->domain_error = e;
        c->error_message = msg;
        return -EINVAL;
}

/* --- Checks before anything runs ------------------------------------------------- */

static int call_classify_execute(Call *c) {
        const fwctld_plugin *p = c->device->plugin->desc;
        _cleanup_(freep) char *reason = NULL;
        fwctld_classification cls;
        int r;

        for (size_t i = 0; i < p->n_operations && !c->operation; i++)
                if (streq(p->operations[i].name, c->execute_operation))
                        c->operation = &p->operations[i];
        if (!c->operation)
                return call_fail(c, CALL_ERROR_NO_SUCH_OPERATION, "Device '%s' (plugin '%s') has no operation '%s'.",
                                 c->device->name, p->name, c->execute_operation);
        if (!scope_is_valid(c->operation->min_scope))
                return call_fail(c, CALL_ERROR_REQUEST_REJECTED, "Plugin '%s' declares an invalid scope for '%s'.",
                                 p->name, c->operation->name);
        c->cls.min_scope = c->operation->min_scope;
        /* The RPC names it issues: what polkit, the deny list and the journal see. */
        (void) snprintf(c->cls.operation, sizeof(c->cls.operation), "%s", strempty(c->operation->rpc_operations));
        if (p->classify_execute) {
                cls = c->cls;
                r = p->classify_execute(c->device, c->operation, c->parameters_json, &cls, &reason);
                if (r < 0)
                        return call_fail(c, CALL_ERROR_INVALID_ARGUMENTS, "Invalid parameters for '%s': %s",
                                         c->operation->name, reason ?: errno_name(r));
                /* A plugin may raise the scope an operation needs, never lower it. */
                if (!scope_is_valid(cls.min_scope) || cls.min_scope < c->cls.min_scope)
                        return call_fail(c, CALL_ERROR_REQUEST_REJECTED, "Plugin '%s' returned an invalid scope for '%s'.",
                                         p->name, c->operation->name);
                cls.operation[sizeof(cls.operation) - 1] = '\0';
                c->cls.min_scope = cls.min_scope;
                c->cls.configuration_write = cls.configuration_write;
                memcpy(c->cls.operation, cls.operation, sizeof(c->cls.operation));
        }
        if (isempty(c->cls.operation))
                return call_fail(c, CALL_ERROR_REQUEST_REJECTED,
                                 "Plugin '%s' does not name the requests '%s' issues; refused.", p->name,
                                 c->operation->name);
        c->scope = c->cls.min_scope;
        return 0;
}

/* The plugin's classification of a raw request: what Rpc and every RPC of an operation get. */
static int call_classify_rpc(Call *c) {
        const fwctld_plugin *p = c->device->plugin->desc;
        _cleanup_(freep) char *reason = NULL;
        int r;

        c->cls = (fwctld_classification) {};
        r = p->classify(c->device, c->request, c->request_size, c->scope, &c->cls, &reason);
        c->cls.operation[sizeof(c->cls.operation) - 1] = '\0';
        if (r < 0)
                return call_fail(c, CALL_ERROR_REQUEST_REJECTED, "Plugin '%s' rejected the request: %s", p->name,
                                 reason ?: errno_name(r));
        if (!scope_is_valid(c->cls.min_scope) || c->cls.kernel_out_min > FWCTLD_MAX_RPC_LEN)
                return call_fail(c, CALL_ERROR_REQUEST_REJECTED,
                                 "Plugin '%s' returned an invalid classification for the request.", p->name);
        if (c->cls.min_scope > c->scope)
                return call_fail(c, CALL_ERROR_SCOPE_TOO_LOW,
                                 "Operation '%s' needs scope %s (%u) or higher; the call asked for %s (%u).",
                                 isempty(c->cls.operation) ? "request" : c->cls.operation,
                                 scope_to_string(c->cls.min_scope), c->cls.min_scope, strempty(scope_to_string(c->scope)),
                                 c->scope);
        return 0;
}

/*
 * The generic fallback passes requests raw, and fwctld cannot know whether a format it
 * does not know embeds pointers (pds and bnxt DMA do: a raw one is a read/write
 * primitive into this root process). A known type whose plugin is not loaded is never
 * served raw; an unknown type only to root (who could open the node anyway) or where
 * the administrator opted the type in.
 */
static int call_check_fallback(Call *c) {
        Device *d = c->device;

        if (!d->plugin->desc->fallback)
                return 0;
        if (device_type_is_known(d->type))
                return call_fail(c, CALL_ERROR_PLUGIN_MISSING,
                                 "Device '%s' is a %s device, but the %s plugin is not loaded (%s.so in fwctld's "
                                 "plugin directory); its requests are never passed raw.",
                                 d->name, device_type_to_string(d->type), device_type_to_string(d->type),
                                 device_type_to_string(d->type));
        if (c->caller.uid == 0 || (c->policy && policy_raw_type_allowed(c->policy, d->type)))
                return 0;
        return call_fail(c, CALL_ERROR_NOT_AUTHORIZED,
                         "Device '%s' has type %" PRIu32 ", which no plugin knows: raw requests are served to root "
                         "only, unless an administrator lists the type in %s.",
                         d->name, d->type, c->policy ? strempty(c->policy->raw_types_path) : "raw-types.conf");
}

static int call_check_sizes(Call *c) {
        if (c->kind != CALL_RPC)
                return 0;
        if (!scope_is_valid(c->scope))
                return call_fail(c, CALL_ERROR_INVALID_SCOPE,
                                 "Scope %u is not valid: use 0 (configuration), 1 (debug-read-only), "
                                 "2 (debug-write) or 3 (debug-write-full).", c->scope);
        if (c->request_size == 0)
                return call_fail(c, CALL_ERROR_REQUEST_REJECTED, "The request is empty.");
        if (c->request_size > FWCTLD_MAX_RPC_LEN)
                return call_fail(c, CALL_ERROR_PAYLOAD_TOO_LARGE, "Request of %zu bytes exceeds the limit of %u bytes.",
                                 c->request_size, FWCTLD_MAX_RPC_LEN);
        if (c->max_response > FWCTLD_MAX_RPC_LEN)
                return call_fail(c, CALL_ERROR_PAYLOAD_TOO_LARGE,
                                 "max_response of %zu bytes exceeds the limit of %u bytes.", c->max_response,
                                 FWCTLD_MAX_RPC_LEN);
        return 0;
}

/* The administrator's deny list, before polkit: no prompt for what is refused anyway.
 * Execute meets rules naming the operation and rules naming any RPC it issues. */
/* A rule naming the request, or the operation it belongs to (an Execute, or the one an RPC of
 * it is issued by): > 0 with the name matched and the rule's origin. */
static int call_match_deny_list(Call *c, const char **ret_op, char **ret_origin) {
        const char *op = isempty(c->cls.operation) ? "unknown" : c->cls.operation;
        int r;

        if (!c->policy)
                return 0;
        r = policy_deny_check(c->policy, c->device->type, op, c->scope, ret_origin);
        if (r == 0 && !isempty(c->execute_operation)) {
                op = c->execute_operation;
                r = policy_deny_check(c->policy, c->device->type, op, c->scope, ret_origin);
        }
        *ret_op = op;
        return r;
}

static int call_check_deny_list(Call *c) {
        _cleanup_(freep) char *origin = NULL;
        const char *op;

        if (call_match_deny_list(c, &op, &origin) <= 0)
                return 0;
        c->denial = METRICS_DENIAL_LOCAL_POLICY;
        call_audit_denied(c, "local-policy");
        return call_fail(c, CALL_ERROR_REQUEST_REJECTED, "%s at scope %s on '%s' is denied by local policy (%s).", op,
                         strempty(scope_to_string(c->scope)), c->device->name, strempty(origin));
}

/* A session is authorised for a scope; what runs in it is checked call by call. */
static int call_check_open_session(Call *c) {
        if (!scope_is_valid(c->scope))
                return call_fail(c, CALL_ERROR_INVALID_SCOPE,
                                 "Scope %u is not valid: use 0 (configuration) or 1 (debug-read-only).", c->scope);
        if (c->scope > FWCTLD_SCOPE_DEBUG_READ_ONLY)
                return call_fail(c, CALL_ERROR_REQUEST_REJECTED,
                                 "Sessions exist for configuration and debug-read-only only: every call at %s taints "
                                 "the kernel, and each such call is authorised on its own.", scope_to_string(c->scope));
        c->cls.min_scope = c->scope;
        c->cls.configuration_write = c->session_configuration_write;
        (void) snprintf(c->cls.operation, sizeof(c->cls.operation), "session");
        return 0;
}

int call_check_request(Call *c) {
        int r;

        assert(c);
        if (c->device->state != DEVICE_READY)
                return call_fail(c, CALL_ERROR_DEVICE_GONE, "Device '%s' is gone.", c->device->name);
        r = call_check_fallback(c);
        if (r < 0)
                return r;
        if (c->kind == CALL_OPEN_SESSION)
                return call_check_open_session(c);
        return call_check_sizes(c);
}

int call_classify(Call *c) {
        int r;

        assert(c);
        if (c->kind == CALL_OPEN_SESSION)
                return 0;
        r = c->kind == CALL_EXECUTE ? call_classify_execute(c) : call_classify_rpc(c);
        if (r < 0)
                return r;
        return call_check_deny_list(c);
}

int call_set_parameters(Call *c, const char *json, size_t size) {
        char *copy;

        assert(c);
        assert(json);
        copy = strndup(json, size);
        if (!copy)
                return -ENOMEM;
        free(c->parameters_json);
        c->parameters_json = copy;
        c->parameters_size = size;
        return 0;
}

/* --- The journal ------------------------------------------------------------------ */

static void call_to_audit(const Call *c, AuditCall *ret) {
        *ret = (AuditCall) {
                .device = device_to_audit(c->device),
                .scope = c->scope,
                .issued = c->n_ioctls > 0,
                .issued_scope = c->issued_scope,
                .operation = c->cls.operation,
                .execute_operation = c->execute_operation,
                .configuration_write = c->cls.configuration_write,
                .request_size = c->kind == CALL_EXECUTE ? c->parameters_size : c->request_size,
                .uid = c->caller.uid,
                .pid = c->caller.pid,
                .unit = c->caller.unit,
                .sender = c->caller.sender,
                .result = c->error,
                .status_set = c->rpc.status_set,
                .status = c->rpc.status,
                .status_name = c->rpc.status_name,
                .n_ioctls = c->n_ioctls,
                .tainted_before = c->tainted_before,
        };
}

int call_audit_attempt(Call *c) {
        AuditCall a;
        int r;

        c->tainted_before = c->policy ? policy_read_taint(c->policy, false) : false;
        call_to_audit(c, &a);
        r = audit_rpc_attempt(&a);
        if (r < 0) {
                log_device_error_errno(c->device->name, r,
                                       "The journal did not accept the attempt record of %s; not running it: %m",
                                       c->cls.operation);
                return call_fail(c, CALL_ERROR_AUDIT_FAILED,
                                 "%s on '%s' changes the device and could not be recorded in the journal (%s); "
                                 "it was not run.", c->cls.operation, c->device->name, errno_name(r));
        }
        c->attempt_recorded = true;
        return 0;
}

void call_audit_result(Call *c, bool tainted_after) {
        AuditCall a;

        if (!c->attempt_recorded)
                return;
        call_to_audit(c, &a);
        a.tainted_after = tainted_after;
        audit_rpc_result(&a);
}

void call_audit_denied(Call *c, const char *why) {
        AuditCall a;

        call_to_audit(c, &a);
        audit_auth_denied(&a, scope_to_action(c->scope), why);
}

/* --- Running, on the worker ------------------------------------------------------- */

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

/* fwctld's own resources failed (memory, fds), not the device: say so. */
static int call_local_failed(Call *c, int r, const char *what) {
        c->error = r;
        (void) call_fail(c, CALL_ERROR_DEVICE_ERROR, "fwctld could not %s for %s on '%s': %s", what,
                         isempty(c->cls.operation) ? "the request" : c->cls.operation, c->device->name,
                         errno_name(r));
        return r;
}

/* The ioctl, at the lowest scope the driver needs where the plugin knows it exactly. */
static int call_issue(Call *c) {
        RpcExchange *x = &c->rpc;
        int r;

        c->issued_scope = c->cls.scope_exact ? MIN(c->cls.min_scope, c->scope) : c->scope;
        c->n_ioctls++;
        r = fwctl_ioctl_rpc(c->device->fd, c->issued_scope, x->kin, x->kin_len, x->kout, x->kout_len,
                            &x->reported_len);
        /* The driver disagreed with the plugin's table: once more at what was authorised. */
        if (r == -EPERM && c->issued_scope < c->scope) {
                log_device_warning(c->device->name, "%s was refused at scope %s; retrying at the authorised %s.",
                                   c->cls.operation, scope_to_string(c->issued_scope), scope_to_string(c->scope));
                c->issued_scope = c->scope;
                c->n_ioctls++;
                r = fwctl_ioctl_rpc(c->device->fd, c->issued_scope, x->kin, x->kin_len, x->kout, x->kout_len,
                                    &x->reported_len);
        }
        return r;
}

static int call_run_rpc(Call *c, const fwctld_plugin *p) {
        _cleanup_(freep) char *reason = NULL;
        RpcExchange *x = &c->rpc;
        int r;

        rpc_exchange_init(x, c->scope, c->request, c->request_size, c->max_response);
        if (c->response_memfd) {
                r = rpc_exchange_open_memfd(x, c->memfd_stock);
                if (r < 0)
                        return call_local_failed(c, r, "create the response memfd");
        }
        if (p->marshal) {
                r = p->marshal(c->device, x, &reason);
                if (r >= 0 && !x->kin)
                        r = -EPROTO;
                if (r >= 0 && x->kout_len < c->cls.kernel_out_min) {
                        /* The driver would write past the buffer: never hand it over. */
                        log_device_error(c->device->name, "Plugin '%s' set a %zu-byte out buffer for %s, which "
                                         "writes %zu bytes; refused.", p->name, x->kout_len, c->cls.operation,
                                         c->cls.kernel_out_min);
                        r = -EPROTO;
                }
        } else
                r = rpc_exchange_default_buffers(x, c->cls.kernel_out_min);
        if (r < 0)
                return call_plugin_failed(c, r, &reason);

        r = call_issue(c);
        if (r < 0)
                return (c->error = r);

        if (p->decode) {
                r = p->decode(c->device, x, &reason);
                if (r < 0)
                        return call_plugin_failed(c, r, &reason);
        }
        r = rpc_exchange_default_response(x);
        if (r < 0)
                return (c->error = r);
        if (c->response_memfd) {
                r = rpc_exchange_seal_memfd(x);
                if (r < 0)
                        return call_local_failed(c, r, "write the response into its memfd");
        }
        return 0;
}

void call_run(Call *c) {
        const fwctld_plugin *p;

        assert(c);
        /* A call whose caller left never reaches the device (nor its plugin). */
        int waiting = CALL_START_WAITING;

        if (atomic_load(&c->cancelled) ||
            !atomic_compare_exchange_strong(&c->start, &waiting, CALL_START_RUNNING)) {
                c->error = -ECANCELED;
                return;
        }
        p = c->device->plugin->desc;

        /* fwctld_device_rpc() from the plugin checks its scope against this call. */
        call_set_current(c);
        if (c->kind == CALL_EXECUTE)
                (void) call_run_execute(c, p);
        else
                (void) call_run_rpc(c, p);
        call_set_current(NULL);
        /* A refused RPC fails the operation, whatever the plugin made of it. */
        if (c->domain_error != CALL_ERROR_NONE && c->error >= 0)
                c->error = -EACCES;
}

void call_finish(Call *c) {
        int err = c->error;
        const char *what = isempty(c->cls.operation) ? "the request" : c->cls.operation;

        assert(c);
        if (err >= 0 || c->domain_error != CALL_ERROR_NONE)
                return;
        if (err == -ECANCELED)
                (void) call_fail(c, CALL_ERROR_CANCELLED, "The caller left.");
        else if (err == -ENODEV || err == -ENXIO)
                (void) call_fail(c, CALL_ERROR_DEVICE_GONE, "Device '%s' is gone (%s).", c->device->name, errno_name(err));
        else if (c->error_from_plugin && err == -EINVAL)
                /* The plugin refused what the caller sent (before the ioctl, or the device said EINVAL). */
                (void) call_fail(c, c->kind == CALL_EXECUTE ? CALL_ERROR_INVALID_ARGUMENTS : CALL_ERROR_REQUEST_REJECTED,
                                 "Plugin '%s' refused %s: %s", device_plugin_name(c->device), what,
                                 c->error_reason ?: errno_name(err));
        else if (c->error_from_plugin)
                /* Malformed firmware replies (EBADMSG) and kernel errnos a named operation met. */
                (void) call_fail(c, call_error_from_errno(err), "Plugin '%s': %s failed: %s (%s)",
                                 device_plugin_name(c->device), what, c->error_reason ?: "device error",
                                 errno_name(err));
        else
                (void) call_fail(c, call_error_from_errno(err), "Device '%s' returned %s for %s.", c->device->name,
                                 errno_name(err), what);
}

/* --- RPCs a plugin issues inside a call ------------------------------------------ */

/* The first refusal inside an Execute is what its caller hears. */
_printf_(4, 5) static int call_refuse_nested(Call *sub, CallError e, int err, const char *format, ...) {
        Call *parent = sub->parent;
        va_list ap;
        char *msg = NULL;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_device_warning(sub->device->name, "%s", strempty(msg));
        if (parent && parent->domain_error == CALL_ERROR_NONE)
                (void) call_fail(parent, e, "%s", strempty(msg));
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

static int call_nested_check(Call *sub) {
        _cleanup_(freep) char *origin = NULL;
        const char *op;
        Call *parent = sub->parent;
        int r;

        r = call_classify_rpc(sub);
        if (r < 0) {
                CallError e = sub->domain_error;

                return call_refuse_nested(sub, e, e == CALL_ERROR_REQUEST_REJECTED ? -EINVAL : -EACCES, "%s",
                                          strempty(sub->error_message));
        }
        /* What polkit and the deny list were shown is what reaches the device. */
        if (parent && parent->kind == CALL_EXECUTE && !names_contain(parent->cls.operation, sub->cls.operation))
                return call_refuse_nested(sub, CALL_ERROR_REQUEST_REJECTED, -EACCES,
                                          "Operation '%s' issued %s, which it did not declare (%s); refused.",
                                          sub->execute_operation, sub->cls.operation, parent->cls.operation);
        /* The operation's name as well: a rule for it loaded while it runs stops its next RPC. */
        if (call_match_deny_list(sub, &op, &origin) > 0) {
                call_audit_denied(sub, "local-policy");
                return call_refuse_nested(sub, CALL_ERROR_REQUEST_REJECTED, -EACCES,
                                          "%s at scope %s on '%s' is denied by local policy (%s).", op,
                                          strempty(scope_to_string(sub->scope)), sub->device->name, strempty(origin));
        }
        if (call_changes_device(sub) && call_audit_attempt(sub) < 0)
                return call_refuse_nested(sub, CALL_ERROR_AUDIT_FAILED, -EACCES, "%s", strempty(sub->error_message));
        return 0;
}

static int call_new_nested(Device *d, Policy *policy, Call *parent, uint32_t scope, const void *request, size_t size,
                           size_t max_response, Call **ret) {
        _cleanup_(call_freep) Call *sub = NULL;
        int r;

        r = call_new(d, policy, CALL_RPC, &sub);
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
                sub->caller.uid = parent->caller.uid;
                sub->caller.pid = parent->caller.pid;
                sub->caller.sender = strdup(strempty(parent->caller.sender));
                sub->caller.unit = strdup(strempty(parent->caller.unit));
                if (!sub->caller.sender || !sub->caller.unit)
                        return -ENOMEM;
                memcpy(sub->execute_operation, parent->execute_operation, sizeof(sub->execute_operation));
        } else {
                /* attach(): the daemon itself asks. */
                sub->caller.uid = 0;
                sub->caller.pid = getpid();
        }
        *ret = TAKE_PTR(sub);
        return 0;
}

int call_run_nested(Device *d, Policy *policy, Call *parent, uint32_t scope, const void *request, size_t size,
                    size_t max_response, Call **ret_sub) {
        Call *sub;
        int r;

        assert(d);
        assert(request);
        assert(ret_sub);

        r = call_new_nested(d, policy, parent, scope, request, size, max_response, &sub);
        if (r < 0)
                return r;
        *ret_sub = sub;

        r = call_nested_check(sub);
        if (r < 0)
                return r;
        (void) call_run_rpc(sub, d->plugin->desc);
        if (parent)
                parent->n_ioctls += sub->n_ioctls;
        call_audit_result(sub, policy ? policy_read_taint(policy, sub->tainted_before) : false);
        return sub->error;
}
