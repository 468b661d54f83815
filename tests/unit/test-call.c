/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include <fwctld/fwctl-uapi.h>

#include "call.h"
#include "device.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "util.h"

/*
 * call_start() up to the point where it would need a bus: validation, classification
 * and the per-sender limit. The fake plugin's classify() is steered by the first byte.
 */

#define OP_NEEDS_DEBUG_WRITE 0xFF /* min_scope 2, operation "WRITE_REGISTER" */
#define OP_REJECTED 0xEE          /* -EINVAL with a reason */
#define OP_REJECTED_NO_REASON 0xED /* -EOPNOTSUPP, no reason */
#define OP_BAD_SCOPE 0xEC         /* min_scope 7: the plugin misbehaves */

static unsigned n_classify;
static uint32_t last_classify_scope;
static size_t last_classify_size;

static int fake_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        *ret_json = strdup("{}");
        return *ret_json ? 0 : -ENOMEM;
}

static int fake_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        const unsigned char *p = request;

        n_classify++;
        last_classify_scope = scope;
        last_classify_size = size;
        assert_non_null(request);
        assert_true(size > 0);

        switch (p[0]) {
        case OP_REJECTED:
                *ret_reason = strdup("opcode 0xee is on the deny list");
                return -EINVAL;
        case OP_REJECTED_NO_REASON:
                return -EOPNOTSUPP;
        case OP_BAD_SCOPE:
                ret->min_scope = 7;
                return 0;
        case OP_NEEDS_DEBUG_WRITE:
                ret->min_scope = FWCTLD_SCOPE_DEBUG_WRITE;
                ret->configuration_write = true;
                strcpy(ret->operation, "WRITE_REGISTER");
                return 0;
        default:
                ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
                strcpy(ret->operation, "QUERY");
                return 0;
        }
}

static int fake_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                        char **ret_result_json, char **ret_reason) {
        fail_msg("execute() must not run in these tests");
        return -EIO;
}

static const fwctld_operation fake_operations[] = {
        { .name = "reset", .description = "reset the thing", .min_scope = FWCTLD_SCOPE_DEBUG_WRITE,
          .rpc_operations = "WRITE_REGISTER" },
        { .name = "unnamed", .description = "declares nothing", .min_scope = FWCTLD_SCOPE_CONFIGURATION },
};

static const uint32_t fake_types[] = { 1, FWCTLD_DEVICE_TYPE_END };

static const fwctld_plugin fake_desc = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "fake",
        .device_types = fake_types,
        .info_to_json = fake_info_to_json,
        .classify = fake_classify,
        .operations = fake_operations,
        .n_operations = ELEMENTSOF(fake_operations),
        .execute = fake_execute,
};

static Plugin fake_plugin = {
        .desc = &fake_desc,
};

static const fwctld_plugin fake_fallback_desc = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "generic",
        .fallback = true,
        .info_to_json = fake_info_to_json,
        .classify = fake_classify,
};

static Plugin fake_fallback_plugin = {
        .desc = &fake_fallback_desc,
};

typedef struct Fixture {
        Manager *m;
        Device *d;
        sd_bus *bus;
        int peer_fd;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        int fds[2];

        assert_non_null(f);
        assert_int_equal(manager_new("/nonexistent/fwctld-test-plugins", &f->m), 0);
        assert_int_equal(device_new(f->m, "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/fwctl/fwctl0",
                                    "fwctl0", "/dev/fwctl/fwctl0", "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0",
                                    "0000:03:00.0", "mlx5_fwctl", &f->d),
                         0);
        f->d->type = 1;
        f->d->plugin = &fake_plugin;
        f->d->state = DEVICE_READY;

        /* A bus that is never connected to anything: only to create method-call messages. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(sd_bus_new(&f->bus), 0);
        assert_int_equal(sd_bus_set_fd(f->bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(f->bus) >= 0);
        f->peer_fd = fds[1];

        n_classify = 0;
        last_classify_scope = UINT32_MAX;
        last_classify_size = 0;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        /* The call_start() paths tested here never leave a call behind. */
        assert_null(f->m->calls);
        assert_int_equal(f->m->n_calls, 0);
        assert_int_equal(f->d->n_calls, 0);
        assert_int_equal(f->d->n_ref, 1);
        device_unref(f->d);
        manager_free(f->m);
        sd_bus_close_unref(f->bus);
        close(f->peer_fd);
        free(f);
        return 0;
}

static sd_bus_message *new_message(Fixture *f) {
        sd_bus_message *msg = NULL;

        assert_int_equal(sd_bus_message_new_method_call(f->bus, &msg, FWCTLD_BUS_NAME,
                                                        "/org/freedesktop/fwctl1/device/fwctl0",
                                                        FWCTLD_DEVICE_INTERFACE, "Rpc"),
                         0);
        return msg;
}

/* An Rpc call as method_rpc() builds it; the request is a copy of size bytes of first. */
static Call *new_rpc(Fixture *f, sd_bus_message *msg, uint32_t scope, int first, size_t size, size_t max_response) {
        Call *c = NULL;

        assert_int_equal(call_new(f->m, f->d, CALL_RPC, msg, &c), 0);
        assert_non_null(c);
        c->scope = scope;
        c->request_size = size;
        c->max_response = max_response;
        if (size > 0 && size <= FWCTLD_MAX_RPC_LEN) {
                c->request = malloc(size);
                assert_non_null(c->request);
                memset(c->request, first, size);
        }
        return c;
}

static void assert_start_fails(Call *c, const char *error_name, const char *message_part) {
        sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_true(call_start(c, &error) < 0);
        assert_true(sd_bus_error_is_set(&error));
        assert_string_equal(error.name, error_name);
        if (message_part) {
                assert_non_null(error.message);
                if (!strstr(error.message, message_part))
                        fail_msg("error message '%s' does not contain '%s'", error.message, message_part);
        }
        sd_bus_error_free(&error);
        /* On failure the caller still owns the call. */
        call_free(c);
}

static void test_scope_to_string(void **state) {
        assert_string_equal(scope_to_string(0), "configuration");
        assert_string_equal(scope_to_string(1), "debug-read-only");
        assert_string_equal(scope_to_string(2), "debug-write");
        assert_string_equal(scope_to_string(3), "debug-write-full");
        assert_null(scope_to_string(4));
        assert_null(scope_to_string(UINT32_MAX));
        assert_false(scope_taints(0));
        assert_false(scope_taints(1));
        assert_true(scope_taints(2));
        assert_true(scope_taints(3));
}

static void test_scope_to_action(void **state) {
        assert_string_equal(scope_to_action(0), "org.freedesktop.fwctl1.rpc-configuration");
        assert_string_equal(scope_to_action(1), "org.freedesktop.fwctl1.rpc-debug-read-only");
        assert_string_equal(scope_to_action(2), "org.freedesktop.fwctl1.rpc-debug-write");
        assert_string_equal(scope_to_action(3), "org.freedesktop.fwctl1.rpc-debug-write-full");
        assert_null(scope_to_action(4));
        assert_null(scope_to_action(UINT32_MAX));
}

static void test_errno_to_bus_error(void **state) {
        assert_string_equal(errno_to_bus_error(-ENODEV), "org.freedesktop.fwctl1.Error.DeviceGone");
        assert_string_equal(errno_to_bus_error(-ENXIO), "org.freedesktop.fwctl1.Error.DeviceGone");
        assert_string_equal(errno_to_bus_error(-ENOTTY), "org.freedesktop.fwctl1.Error.NotSupported");
        assert_string_equal(errno_to_bus_error(-EOPNOTSUPP), "org.freedesktop.fwctl1.Error.NotSupported");
        assert_string_equal(errno_to_bus_error(-EMSGSIZE), "org.freedesktop.fwctl1.Error.PayloadTooLarge");
        assert_string_equal(errno_to_bus_error(-EBUSY), "org.freedesktop.fwctl1.Error.Busy");
        assert_string_equal(errno_to_bus_error(-EBADMSG), "org.freedesktop.fwctl1.Error.DeviceError");
        assert_string_equal(errno_to_bus_error(-EINVAL), "org.freedesktop.fwctl1.Error.DeviceError");
        assert_string_equal(errno_to_bus_error(-EPERM), "org.freedesktop.fwctl1.Error.DeviceError");
        assert_string_equal(errno_to_bus_error(-EIO), "org.freedesktop.fwctl1.Error.DeviceError");
        /* Positive errnos map the same way. */
        assert_string_equal(errno_to_bus_error(ENODEV), "org.freedesktop.fwctl1.Error.DeviceGone");
        assert_string_equal(errno_to_bus_error(EMSGSIZE), "org.freedesktop.fwctl1.Error.PayloadTooLarge");
}

static void test_call_new_null_message(void **state) {
        Fixture *f = *state;
        Call *c = NULL;

        assert_int_equal(call_new(f->m, f->d, CALL_RPC, NULL, &c), 0);
        assert_non_null(c);
        assert_null(c->message);
        assert_ptr_equal(c->device, f->d);
        assert_ptr_equal(c->manager, f->m);
        assert_int_equal(c->kind, CALL_RPC);
        assert_int_equal(c->state, CALL_NEW);
        assert_int_equal(c->uid, (uid_t) -1);
        assert_int_equal(f->d->n_ref, 2); /* the call holds a ref */
        assert_null(call_free(c));
        assert_int_equal(f->d->n_ref, 1);
        assert_null(call_free(NULL));
}

static void test_invalid_scope(void **state) {
        Fixture *f = *state;

        assert_start_fails(new_rpc(f, NULL, 4, 0x01, 8, 64), FWCTLD_ERROR_INVALID_SCOPE, "Scope 4");
        assert_start_fails(new_rpc(f, NULL, UINT32_MAX, 0x01, 8, 64), FWCTLD_ERROR_INVALID_SCOPE, NULL);
        assert_string_equal(FWCTLD_ERROR_INVALID_SCOPE, "org.freedesktop.fwctl1.Error.InvalidScope");
        assert_int_equal(n_classify, 0);
}

static void test_empty_request(void **state) {
        Fixture *f = *state;

        assert_start_fails(new_rpc(f, NULL, 0, 0x01, 0, 64), "org.freedesktop.fwctl1.Error.RequestRejected",
                           "empty");
        assert_int_equal(n_classify, 0);
}

static void test_request_too_large(void **state) {
        Fixture *f = *state;
        Call *c;

        assert_start_fails(new_rpc(f, NULL, 0, 0x01, 2097153, 64), "org.freedesktop.fwctl1.Error.PayloadTooLarge",
                           "2097153");
        /* Even when the caller's copy is there, the size alone decides. */
        c = new_rpc(f, NULL, 0, 0x01, 16, 64);
        c->request_size = (size_t) UINT32_MAX + 1;
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.PayloadTooLarge", NULL);
        assert_int_equal(n_classify, 0);
}

static void test_max_response_too_large(void **state) {
        Fixture *f = *state;

        assert_start_fails(new_rpc(f, NULL, 0, 0x01, 8, 2097153), "org.freedesktop.fwctl1.Error.PayloadTooLarge",
                           "max_response");
        assert_int_equal(n_classify, 0);
}

static void test_limits_accepted(void **state) {
        Fixture *f = *state;

        /* Exactly 2 MiB both ways passes validation and reaches the plugin. */
        assert_start_fails(new_rpc(f, NULL, 0, OP_REJECTED, 2097152, 2097152),
                           "org.freedesktop.fwctl1.Error.RequestRejected", "deny list");
        assert_int_equal(n_classify, 1);
        assert_int_equal(last_classify_size, 2097152);
}

static void test_classify_rejects(void **state) {
        Fixture *f = *state;

        assert_start_fails(new_rpc(f, NULL, 3, OP_REJECTED, 4, 64), "org.freedesktop.fwctl1.Error.RequestRejected",
                           "opcode 0xee is on the deny list");
        assert_int_equal(n_classify, 1);
        assert_int_equal(last_classify_scope, 3);

        /* Without a reason the errno is named instead. */
        assert_start_fails(new_rpc(f, NULL, 3, OP_REJECTED_NO_REASON, 4, 64),
                           "org.freedesktop.fwctl1.Error.RequestRejected", "EOPNOTSUPP");

        /* A plugin answering an impossible scope is not trusted. */
        assert_start_fails(new_rpc(f, NULL, 3, OP_BAD_SCOPE, 4, 64), "org.freedesktop.fwctl1.Error.RequestRejected",
                           "fake");
        assert_int_equal(n_classify, 3);
}

static void test_scope_too_low(void **state) {
        Fixture *f = *state;

        assert_start_fails(new_rpc(f, NULL, 1, OP_NEEDS_DEBUG_WRITE, 4, 64), "org.freedesktop.fwctl1.Error.ScopeTooLow",
                           "debug-write");
        assert_start_fails(new_rpc(f, NULL, 0, OP_NEEDS_DEBUG_WRITE, 4, 64), "org.freedesktop.fwctl1.Error.ScopeTooLow",
                           "WRITE_REGISTER");
        assert_int_equal(n_classify, 2);
        assert_int_equal(last_classify_scope, 0);
}

static void test_device_not_ready(void **state) {
        Fixture *f = *state;

        f->d->state = DEVICE_GONE;
        assert_start_fails(new_rpc(f, NULL, 0, 0x01, 8, 64), "org.freedesktop.fwctl1.Error.DeviceGone", "fwctl0");
        f->d->state = DEVICE_PROBING;
        assert_start_fails(new_rpc(f, NULL, 0, 0x01, 8, 64), "org.freedesktop.fwctl1.Error.DeviceGone", "fwctl0");
        assert_int_equal(n_classify, 0);
        f->d->state = DEVICE_READY;
}

static void test_accepted_to_authorization(void **state) {
        Fixture *f = *state;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Call *c;

        /*
         * Scope 2 request at scope 2, max sizes: validation and classification pass and
         * the call goes to polkit. Without a sender and a bus, polkit cannot be asked:
         * the call is dropped (nobody to answer) and freed, and nothing is left tracked.
         */
        c = new_rpc(f, NULL, 2, OP_NEEDS_DEBUG_WRITE, 2097152, 2097152);
        assert_int_equal(call_start(c, &error), 1);
        assert_false(sd_bus_error_is_set(&error));
        assert_int_equal(n_classify, 1);
        assert_int_equal(last_classify_scope, 2);
        assert_null(f->m->calls);
}

static void test_execute_unknown_operation(void **state) {
        Fixture *f = *state;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Call *c = NULL;

        assert_int_equal(call_new(f->m, f->d, CALL_EXECUTE, NULL, &c), 0);
        strcpy(c->execute_operation, "frobnicate");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.NoSuchOperation", "frobnicate");

        /* An operation that does not name the RPCs it issues cannot be authorised. */
        assert_int_equal(call_new(f->m, f->d, CALL_EXECUTE, NULL, &c), 0);
        strcpy(c->execute_operation, "unnamed");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", "does not name");

        /* A known one takes the operation's scope and goes on to authorization. */
        assert_int_equal(call_new(f->m, f->d, CALL_EXECUTE, NULL, &c), 0);
        strcpy(c->execute_operation, "reset");
        assert_int_equal(call_start(c, &error), 1);
        assert_false(sd_bus_error_is_set(&error));
        assert_int_equal(n_classify, 0);
        assert_null(f->m->calls);
}

static void load_deny_rules(Fixture *f, const char *text) {
        DenyList *l = calloc(1, sizeof(DenyList));

        assert_non_null(l);
        assert_int_equal(deny_list_parse(l, text, "test.conf"), 0);
        deny_list_free(f->m->deny);
        f->m->deny = l;
}

/* One name, every door: a rule naming an RPC stops an Execute that issues it, and a scope is a floor. */
static void test_deny_every_door(void **state) {
        Fixture *f = *state;
        Call *c = NULL;

        load_deny_rules(f, "mlx5 WRITE_REGISTER debug-write\n");
        assert_start_fails(new_rpc(f, NULL, 2, OP_NEEDS_DEBUG_WRITE, 4, 64),
                           "org.freedesktop.fwctl1.Error.RequestRejected", "test.conf:1");
        /* Scope 3 is above the rule's floor: stopped too. */
        assert_start_fails(new_rpc(f, NULL, 3, OP_NEEDS_DEBUG_WRITE, 4, 64),
                           "org.freedesktop.fwctl1.Error.RequestRejected", "local policy");
        assert_int_equal(call_new(f->m, f->d, CALL_EXECUTE, NULL, &c), 0);
        strcpy(c->execute_operation, "reset");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", "WRITE_REGISTER");

        /* A rule naming the Execute operation stops it as well. */
        load_deny_rules(f, "* reset\n");
        assert_int_equal(call_new(f->m, f->d, CALL_EXECUTE, NULL, &c), 0);
        strcpy(c->execute_operation, "reset");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", "reset");

        /* A rule at debug-write leaves configuration alone. */
        load_deny_rules(f, "mlx5 QUERY debug-write\n");
        assert_start_fails(new_rpc(f, NULL, 0, OP_REJECTED, 4, 64), "org.freedesktop.fwctl1.Error.RequestRejected",
                           "0xee");
}

/* The fallback never serves a known type, and an unknown one only to root or where opted in. */
static void test_fallback_gate(void **state) {
        Fixture *f = *state;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        RawTypes *t;
        Call *c;

        f->d->plugin = &fake_fallback_plugin;
        f->d->type = 4;
        c = new_rpc(f, NULL, 0, 0x01, 48, 64);
        c->uid = 0;
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.PluginMissing", "pds plugin is not loaded");

        f->d->type = 8;
        c = new_rpc(f, NULL, 0, 0x01, 8, 64);
        c->uid = 4242;
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.NotAuthorized", "root only");
        assert_int_equal(n_classify, 0);

        /* Root passes the gate: the plugin gets to classify (and here rejects). */
        c = new_rpc(f, NULL, 0, OP_REJECTED, 8, 64);
        c->uid = 0;
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", "0xee");
        assert_int_equal(n_classify, 1);

        /* Opted in: a non-root caller passes the gate and goes on to polkit. */
        t = calloc(1, sizeof(RawTypes));
        assert_non_null(t);
        assert_int_equal(raw_types_parse(t, "8 4 0x10 junk # the sample driver\n", "raw-types.conf"), 2);
        assert_true(raw_types_contains(t, 8));
        assert_true(raw_types_contains(t, 16));
        assert_false(raw_types_contains(t, 4)); /* known types are never opted in */
        f->m->raw_types = t;
        c = new_rpc(f, NULL, 0, 0x01, 8, 64);
        c->uid = 4242;
        assert_int_equal(call_start(c, &error), 1);
        assert_false(sd_bus_error_is_set(&error));
        assert_int_equal(n_classify, 2);

        f->d->plugin = &fake_plugin;
        f->d->type = 1;
}

/* An RPC inside an operation: refused before any ioctl when it was not declared or is above the call's scope. */
static void test_nested_refusals(void **state) {
        Fixture *f = *state;
        const unsigned char query[4] = { 0x01 }, write_reg[4] = { OP_NEEDS_DEBUG_WRITE };
        Call *parent = NULL, *sub = NULL;

        assert_int_equal(call_new(f->m, f->d, CALL_EXECUTE, NULL, &parent), 0);
        strcpy(parent->execute_operation, "reset");
        strcpy(parent->cls.operation, "WRITE_REGISTER");
        parent->scope = FWCTLD_SCOPE_DEBUG_WRITE;
        parent->uid = 4242;

        /* QUERY was not declared by "reset": refused, and the parent carries the refusal. */
        assert_int_equal(call_run_nested(f->m, f->d, parent, 2, query, sizeof(query), 64, &sub), -EACCES);
        assert_string_equal(parent->refusal_error, "org.freedesktop.fwctl1.Error.RequestRejected");
        assert_non_null(strstr(parent->refusal_message, "did not declare"));
        assert_int_equal(sub->n_ioctls, 0);
        assert_int_equal(sub->uid, 4242);
        call_free(sub);

        /* Declared, but above the scope the plugin asked for. */
        free(parent->refusal_message);
        parent->refusal_message = NULL;
        parent->refusal_error = NULL;
        assert_int_equal(call_run_nested(f->m, f->d, parent, 1, write_reg, sizeof(write_reg), 64, &sub), -EACCES);
        assert_string_equal(parent->refusal_error, "org.freedesktop.fwctl1.Error.ScopeTooLow");
        assert_int_equal(sub->n_ioctls, 0);
        call_free(sub);

        /* Denied by a rule. */
        free(parent->refusal_message);
        parent->refusal_message = NULL;
        parent->refusal_error = NULL;
        load_deny_rules(f, "* WRITE_REGISTER\n");
        assert_int_equal(call_run_nested(f->m, f->d, parent, 2, write_reg, sizeof(write_reg), 64, &sub), -EACCES);
        assert_string_equal(parent->refusal_error, "org.freedesktop.fwctl1.Error.RequestRejected");
        assert_non_null(strstr(parent->refusal_message, "test.conf:1"));
        assert_int_equal(sub->n_ioctls, 0);
        call_free(sub);
        call_free(parent);
}

static void test_sender_limit(void **state) {
        Fixture *f = *state;
        Call *tracked[FWCTLD_MAX_CALLS_PER_SENDER];
        Call *c;

        for (unsigned i = 0; i < FWCTLD_MAX_CALLS_PER_SENDER; i++) {
                sd_bus_message *msg = new_message(f);

                tracked[i] = new_rpc(f, msg, 0, 0x01, 8, 64);
                sd_bus_message_unref(msg);
                tracked[i]->sender = strdup(":1.42");
                assert_non_null(tracked[i]->sender);
                manager_track_call(f->m, tracked[i]);

                if (i == FWCTLD_MAX_CALLS_PER_SENDER - 2) {
                        /* 15 in progress: one more is still allowed (stopped at classify). */
                        sd_bus_message *m2 = new_message(f);

                        c = new_rpc(f, m2, 0, OP_REJECTED, 8, 64);
                        sd_bus_message_unref(m2);
                        c->sender = strdup(":1.42");
                        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", NULL);
                }
        }
        assert_int_equal(manager_count_calls_of_sender(f->m, ":1.42"), FWCTLD_MAX_CALLS_PER_SENDER);
        assert_int_equal(f->d->n_calls, FWCTLD_MAX_CALLS_PER_SENDER);
        n_classify = 0;

        {
                sd_bus_message *msg = new_message(f);

                c = new_rpc(f, msg, 0, 0x01, 8, 64);
                sd_bus_message_unref(msg);
        }
        c->sender = strdup(":1.42");
        {
                char limit[32];

                snprintf(limit, sizeof(limit), "limit %u", FWCTLD_MAX_CALLS_PER_SENDER);
                assert_start_fails(c, "org.freedesktop.fwctl1.Error.Busy", limit);
        }
        assert_int_equal(n_classify, 0);

        /* Another client is not affected. */
        {
                sd_bus_message *msg = new_message(f);

                c = new_rpc(f, msg, 0, OP_REJECTED, 8, 64);
                sd_bus_message_unref(msg);
        }
        c->sender = strdup(":1.43");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", NULL);
        assert_int_equal(n_classify, 1);

        /* Freeing a tracked call untracks it and makes room again. */
        call_free(tracked[0]);
        assert_int_equal(manager_count_calls_of_sender(f->m, ":1.42"), FWCTLD_MAX_CALLS_PER_SENDER - 1);
        {
                sd_bus_message *msg = new_message(f);

                c = new_rpc(f, msg, 0, OP_REJECTED, 8, 64);
                sd_bus_message_unref(msg);
        }
        c->sender = strdup(":1.42");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", NULL);

        for (unsigned i = 1; i < FWCTLD_MAX_CALLS_PER_SENDER; i++)
                call_free(tracked[i]);
}

static void test_answered_calls_do_not_count(void **state) {
        Fixture *f = *state;
        Call *tracked[FWCTLD_MAX_CALLS_PER_SENDER];
        Call *c;

        /* Calls already answered (message dropped) are no longer the caller's to wait for. */
        for (unsigned i = 0; i < FWCTLD_MAX_CALLS_PER_SENDER; i++) {
                tracked[i] = new_rpc(f, NULL, 0, 0x01, 8, 64);
                tracked[i]->sender = strdup(":1.42");
                manager_track_call(f->m, tracked[i]);
        }
        assert_int_equal(manager_count_calls_of_sender(f->m, ":1.42"), 0);
        assert_int_equal(f->m->n_calls, FWCTLD_MAX_CALLS_PER_SENDER);

        c = new_rpc(f, NULL, 0, OP_REJECTED, 8, 64);
        c->sender = strdup(":1.42");
        assert_start_fails(c, "org.freedesktop.fwctl1.Error.RequestRejected", NULL);

        for (unsigned i = 0; i < FWCTLD_MAX_CALLS_PER_SENDER; i++)
                call_free(tracked[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scope_to_string),
                cmocka_unit_test(test_scope_to_action),
                cmocka_unit_test(test_errno_to_bus_error),
                cmocka_unit_test_setup_teardown(test_call_new_null_message, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_scope, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_request, setup, teardown),
                cmocka_unit_test_setup_teardown(test_request_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(test_max_response_too_large, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits_accepted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_classify_rejects, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scope_too_low, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_not_ready, setup, teardown),
                cmocka_unit_test_setup_teardown(test_accepted_to_authorization, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_unknown_operation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deny_every_door, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fallback_gate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nested_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sender_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_answered_calls_do_not_count, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
