/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "bus-device.h"
#include "call.h"
#include "device.h"
#include "names.h"
#include "plugin-loader.h"
#include "policy.h"
#include "util.h"

/*
 * The call engine without a bus: call_check_request() (sizes, the fallback gate) and
 * call_classify() (classification, the deny list), run in the manager's order by check()
 * below, domain errors and their D-Bus names, and the RPCs of operations.
 * The fake plugin's classify() is steered by the first byte.
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
        Policy *policy;
        Device *d;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        const DeviceIdentity id = {
                .syspath = (char *) "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/fwctl/fwctl0",
                .name = (char *) "fwctl0",
                .devnode = (char *) "/dev/fwctl/fwctl0",
                .parent = (char *) "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0",
                .pci_address = (char *) "0000:03:00.0",
                .driver = (char *) "mlx5_fwctl",
        };

        assert_non_null(f);
        assert_int_equal(policy_new(NULL, NULL, "/nonexistent/tainted", &f->policy), 0);
        assert_int_equal(device_new(&id, f->policy, &f->d), 0);
        f->d->type = 1;
        f->d->plugin = &fake_plugin;
        f->d->state = DEVICE_READY;

        n_classify = 0;
        last_classify_scope = UINT32_MAX;
        last_classify_size = 0;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        assert_int_equal(f->d->n_ref, 1);
        device_unref(f->d);
        policy_free(f->policy);
        free(f);
        return 0;
}

/* An Rpc call as method_rpc() builds it (from root); the request is size bytes of first. */
static Call *new_rpc(Fixture *f, uint32_t scope, int first, size_t size, size_t max_response) {
        Call *c = NULL;

        assert_int_equal(call_new(f->d, f->policy, CALL_RPC, &c), 0);
        c->caller.uid = 0;
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

static Call *new_execute(Fixture *f, const char *operation) {
        Call *c = NULL;

        assert_int_equal(call_new(f->d, f->policy, CALL_EXECUTE, &c), 0);
        c->caller.uid = 0;
        strcpy(c->execute_operation, operation);
        assert_int_equal(call_set_parameters(c, "{}", 2), 0);
        return c;
}

/* Both halves of the checks, as the manager runs them (with the caller's share between). */
static int check(Call *c) {
        int r;

        r = call_check_request(c);
        if (r < 0)
                return r;
        return call_classify(c);
}

static void assert_check_fails(Call *c, const char *error_name, const char *message_part) {
        assert_true(check(c) < 0);
        assert_string_equal(bus_device_error_name(c->domain_error), error_name);
        if (message_part) {
                assert_non_null(c->error_message);
                if (!strstr(c->error_message, message_part))
                        fail_msg("error message '%s' does not contain '%s'", c->error_message, message_part);
        }
        call_free(c);
}

static void assert_check_passes(Call *c) {
        if (check(c) < 0)
                fail_msg("the checks failed: %s", strempty(c->error_message));
        assert_int_equal(c->domain_error, CALL_ERROR_NONE);
        call_free(c);
}

static void load_deny_rules(Fixture *f, const char *text) {
        DenyList *l = calloc(1, sizeof(DenyList));

        assert_non_null(l);
        assert_int_equal(deny_list_parse(l, text, "test.conf"), 0);
        deny_list_free(f->policy->deny);
        f->policy->deny = l;
}

static void test_errno_to_bus_error(void **state) {
        static const struct {
                int err;
                const char *name;
        } table[] = {
                { -ENODEV, "org.freedesktop.fwctl1.Error.DeviceGone" },
                { -ENXIO, "org.freedesktop.fwctl1.Error.DeviceGone" },
                { -ENOTTY, "org.freedesktop.fwctl1.Error.NotSupported" },
                { -EOPNOTSUPP, "org.freedesktop.fwctl1.Error.NotSupported" },
                { -EMSGSIZE, "org.freedesktop.fwctl1.Error.PayloadTooLarge" },
                { -EBUSY, "org.freedesktop.fwctl1.Error.Busy" },
                { -EAGAIN, "org.freedesktop.fwctl1.Error.Busy" },
                { -EBADMSG, "org.freedesktop.fwctl1.Error.DeviceError" },
                { -EINVAL, "org.freedesktop.fwctl1.Error.DeviceError" },
                { -EPERM, "org.freedesktop.fwctl1.Error.DeviceError" },
                { ENODEV, "org.freedesktop.fwctl1.Error.DeviceGone" }, /* positive errnos map the same */
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                assert_string_equal(bus_device_error_name(call_error_from_errno(table[i].err)), table[i].name);
}

/* Every domain error has a string and, but "none" and "cancelled" (never sent), a D-Bus name. */
static void test_call_error_tables(void **state) {
        for (CallError e = 0; e < _CALL_ERROR_MAX; e++) {
                assert_non_null(call_error_to_string(e));
                assert_int_equal(call_error_from_string(call_error_to_string(e)), e);
                if (e == CALL_ERROR_NONE || e == CALL_ERROR_CANCELLED)
                        assert_null(bus_device_error_name(e));
                else
                        assert_non_null(bus_device_error_name(e));
        }
        assert_null(call_error_to_string(_CALL_ERROR_MAX));
        assert_int_equal(call_error_from_string("nonsense"), _CALL_ERROR_INVALID);
        assert_string_equal(bus_device_error_name(CALL_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED),
                            "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
        assert_string_equal(bus_device_error_name(CALL_ERROR_PLUGIN_MISSING), "org.freedesktop.fwctl1.Error.PluginMissing");
        assert_string_equal(bus_device_error_name(CALL_ERROR_AUDIT_FAILED), "org.freedesktop.fwctl1.Error.AuditFailed");
}

static void test_call_new_and_fail(void **state) {
        Fixture *f = *state;
        Call *c = NULL;

        assert_int_equal(call_new(f->d, f->policy, CALL_RPC, &c), 0);
        assert_ptr_equal(c->device, f->d);
        assert_int_equal(c->state, CALL_NEW);
        assert_int_equal(c->caller.uid, (uid_t) -1);
        assert_int_equal(f->d->n_ref, 2); /* the call holds a ref */

        /* The first failure is the answer: later ones do not overwrite it. */
        assert_true(call_fail(c, CALL_ERROR_SCOPE_TOO_LOW, "first %d", 1) < 0);
        assert_true(call_fail(c, CALL_ERROR_BUSY, "second") < 0);
        assert_int_equal(c->domain_error, CALL_ERROR_SCOPE_TOO_LOW);
        assert_string_equal(c->error_message, "first 1");
        assert_null(call_free(c));
        assert_int_equal(f->d->n_ref, 1);
        assert_null(call_free(NULL));
}

static void test_sizes_and_scope(void **state) {
        Fixture *f = *state;
        Call *c;

        assert_check_fails(new_rpc(f, 4, 0x01, 8, 64), FWCTLD_ERROR_INVALID_SCOPE, "Scope 4");
        assert_check_fails(new_rpc(f, UINT32_MAX, 0x01, 8, 64), FWCTLD_ERROR_INVALID_SCOPE, NULL);
        assert_check_fails(new_rpc(f, 0, 0x01, 0, 64), FWCTLD_ERROR_REQUEST_REJECTED, "empty");
        assert_check_fails(new_rpc(f, 0, 0x01, 2097153, 64), FWCTLD_ERROR_PAYLOAD_TOO_LARGE, "2097153");
        /* Even when the caller's copy is there, the size alone decides. */
        c = new_rpc(f, 0, 0x01, 16, 64);
        c->request_size = (size_t) UINT32_MAX + 1;
        assert_check_fails(c, FWCTLD_ERROR_PAYLOAD_TOO_LARGE, NULL);
        assert_check_fails(new_rpc(f, 0, 0x01, 8, 2097153), FWCTLD_ERROR_PAYLOAD_TOO_LARGE, "max_response");
        assert_int_equal(n_classify, 0);

        /* Exactly 2 MiB both ways passes and reaches the plugin. */
        assert_check_fails(new_rpc(f, 0, OP_REJECTED, 2097152, 2097152), FWCTLD_ERROR_REQUEST_REJECTED, "deny list");
        assert_int_equal(n_classify, 1);
        assert_int_equal(last_classify_size, 2097152);
}

static void test_classify(void **state) {
        Fixture *f = *state;

        assert_check_fails(new_rpc(f, 3, OP_REJECTED, 4, 64), FWCTLD_ERROR_REQUEST_REJECTED,
                           "opcode 0xee is on the deny list");
        assert_int_equal(last_classify_scope, 3);
        /* Without a reason the errno is named instead. */
        assert_check_fails(new_rpc(f, 3, OP_REJECTED_NO_REASON, 4, 64), FWCTLD_ERROR_REQUEST_REJECTED, "EOPNOTSUPP");
        /* A plugin answering an impossible scope is not trusted. */
        assert_check_fails(new_rpc(f, 3, OP_BAD_SCOPE, 4, 64), FWCTLD_ERROR_REQUEST_REJECTED, "fake");
        assert_check_fails(new_rpc(f, 1, OP_NEEDS_DEBUG_WRITE, 4, 64), FWCTLD_ERROR_SCOPE_TOO_LOW, "debug-write");
        assert_check_fails(new_rpc(f, 0, OP_NEEDS_DEBUG_WRITE, 4, 64), FWCTLD_ERROR_SCOPE_TOO_LOW, "WRITE_REGISTER");
        assert_int_equal(n_classify, 5);
        assert_check_passes(new_rpc(f, 2, OP_NEEDS_DEBUG_WRITE, 4, 64));
        assert_check_passes(new_rpc(f, 0, 0x01, 4, 64));
}

static void test_device_not_ready(void **state) {
        Fixture *f = *state;

        f->d->state = DEVICE_GONE;
        assert_check_fails(new_rpc(f, 0, 0x01, 8, 64), FWCTLD_ERROR_DEVICE_GONE, "fwctl0");
        f->d->state = DEVICE_PROBING;
        assert_check_fails(new_rpc(f, 0, 0x01, 8, 64), FWCTLD_ERROR_DEVICE_GONE, "fwctl0");
        assert_int_equal(n_classify, 0);
        f->d->state = DEVICE_READY;
}

static void test_execute_operations(void **state) {
        Fixture *f = *state;
        Call *c;

        assert_check_fails(new_execute(f, "frobnicate"), FWCTLD_ERROR_NO_SUCH_OPERATION, "frobnicate");
        /* An operation that does not name the RPCs it issues cannot be authorised. */
        assert_check_fails(new_execute(f, "unnamed"), FWCTLD_ERROR_REQUEST_REJECTED, "does not name");

        /* A known one takes the operation's scope and names what it sends. */
        c = new_execute(f, "reset");
        assert_int_equal(check(c), 0);
        assert_int_equal(c->scope, FWCTLD_SCOPE_DEBUG_WRITE);
        assert_string_equal(c->cls.operation, "WRITE_REGISTER");
        assert_string_equal(c->execute_operation, "reset");
        call_free(c);
        assert_int_equal(n_classify, 0);
}

/* One name, every door: a rule naming an RPC stops an Execute that issues it, and a scope is a floor. */
static void test_deny_every_door(void **state) {
        Fixture *f = *state;

        load_deny_rules(f, "mlx5 WRITE_REGISTER debug-write\n");
        assert_check_fails(new_rpc(f, 2, OP_NEEDS_DEBUG_WRITE, 4, 64), FWCTLD_ERROR_REQUEST_REJECTED, "test.conf:1");
        /* Scope 3 is above the rule's floor: stopped too. */
        assert_check_fails(new_rpc(f, 3, OP_NEEDS_DEBUG_WRITE, 4, 64), FWCTLD_ERROR_REQUEST_REJECTED, "local policy");
        assert_check_fails(new_execute(f, "reset"), FWCTLD_ERROR_REQUEST_REJECTED, "WRITE_REGISTER");

        /* A rule naming the Execute operation stops it as well. */
        load_deny_rules(f, "* reset\n");
        assert_check_fails(new_execute(f, "reset"), FWCTLD_ERROR_REQUEST_REJECTED, "reset");

        /* A rule at debug-write leaves configuration alone. */
        load_deny_rules(f, "mlx5 QUERY debug-write\n");
        assert_check_passes(new_rpc(f, 0, 0x01, 4, 64));
        assert_check_fails(new_rpc(f, 2, 0x01, 4, 64), FWCTLD_ERROR_REQUEST_REJECTED, "QUERY");
}

/* The fallback never serves a known type, and an unknown one only to root or where opted in. */
static void test_fallback_gate(void **state) {
        Fixture *f = *state;
        RawTypes *t;
        Call *c;

        f->d->plugin = &fake_fallback_plugin;
        f->d->type = 4;
        assert_check_fails(new_rpc(f, 0, 0x01, 48, 64), FWCTLD_ERROR_PLUGIN_MISSING, "pds plugin is not loaded");

        f->d->type = 8;
        c = new_rpc(f, 0, 0x01, 8, 64);
        c->caller.uid = 4242;
        assert_check_fails(c, FWCTLD_ERROR_NOT_AUTHORIZED, "root only");
        assert_int_equal(n_classify, 0);

        /* Root passes the gate: the plugin gets to classify. */
        assert_check_passes(new_rpc(f, 0, 0x01, 8, 64));
        assert_int_equal(n_classify, 1);

        /* Opted in: a non-root caller passes the gate (and goes on to polkit). */
        t = calloc(1, sizeof(RawTypes));
        assert_non_null(t);
        assert_int_equal(raw_types_parse(t, "8 4 0x10 junk # the sample driver\n", "raw-types.conf"), 2);
        assert_true(raw_types_contains(t, 8));
        assert_true(raw_types_contains(t, 16));
        assert_false(raw_types_contains(t, 4)); /* known types are never opted in */
        f->policy->raw_types = t;
        c = new_rpc(f, 0, 0x01, 8, 64);
        c->caller.uid = 4242;
        assert_check_passes(c);
        assert_int_equal(n_classify, 2);

        f->d->plugin = &fake_plugin;
        f->d->type = 1;
}

static void reset_refusal(Call *parent) {
        parent->domain_error = CALL_ERROR_NONE;
        free(parent->error_message);
        parent->error_message = NULL;
}

/* An RPC inside an operation: refused before any ioctl when undeclared, above the call's scope or denied. */
static void test_nested_refusals(void **state) {
        Fixture *f = *state;
        const unsigned char query[4] = { 0x01 }, write_reg[4] = { OP_NEEDS_DEBUG_WRITE };
        Call *parent = new_execute(f, "reset"), *sub = NULL;

        strcpy(parent->cls.operation, "WRITE_REGISTER");
        parent->scope = FWCTLD_SCOPE_DEBUG_WRITE;
        parent->caller.uid = 4242;

        /* QUERY was not declared by "reset": refused, and the parent carries the refusal. */
        assert_int_equal(call_run_nested(f->d, f->policy, parent, 2, query, sizeof(query), 64, &sub), -EACCES);
        assert_int_equal(parent->domain_error, CALL_ERROR_REQUEST_REJECTED);
        assert_non_null(strstr(parent->error_message, "did not declare"));
        assert_int_equal(sub->n_ioctls, 0);
        assert_int_equal(sub->caller.uid, 4242);
        assert_string_equal(sub->execute_operation, "reset");
        call_free(sub);

        /* Declared, but above the scope the plugin asked for. */
        reset_refusal(parent);
        assert_int_equal(call_run_nested(f->d, f->policy, parent, 1, write_reg, sizeof(write_reg), 64, &sub), -EACCES);
        assert_int_equal(parent->domain_error, CALL_ERROR_SCOPE_TOO_LOW);
        assert_int_equal(sub->n_ioctls, 0);
        call_free(sub);

        /* Denied by a rule. */
        reset_refusal(parent);
        load_deny_rules(f, "* WRITE_REGISTER\n");
        assert_int_equal(call_run_nested(f->d, f->policy, parent, 2, write_reg, sizeof(write_reg), 64, &sub), -EACCES);
        assert_int_equal(parent->domain_error, CALL_ERROR_REQUEST_REJECTED);
        assert_non_null(strstr(parent->error_message, "test.conf:1"));
        assert_int_equal(sub->n_ioctls, 0);
        call_free(sub);

        /* A rule naming the operation itself, loaded after it started (a reload between two
         * of its RPCs): its next RPC is stopped too. */
        reset_refusal(parent);
        load_deny_rules(f, "mlx5 reset\n");
        assert_int_equal(call_run_nested(f->d, f->policy, parent, 2, write_reg, sizeof(write_reg), 64, &sub), -EACCES);
        assert_int_equal(parent->domain_error, CALL_ERROR_REQUEST_REJECTED);
        assert_non_null(strstr(parent->error_message, "reset at scope debug-write"));
        assert_int_equal(sub->n_ioctls, 0);
        call_free(sub);
        call_free(parent);
}

/* What reaches the caller when a run went wrong: errno and plugin failures become domain errors. */
static void test_finish(void **state) {
        Fixture *f = *state;
        Call *c;

        c = new_rpc(f, 0, 0x01, 8, 64);
        c->error = -ENODEV;
        call_finish(c);
        assert_int_equal(c->domain_error, CALL_ERROR_DEVICE_GONE);
        call_free(c);

        c = new_rpc(f, 0, 0x01, 8, 64);
        c->error = -ECANCELED;
        call_finish(c);
        assert_int_equal(c->domain_error, CALL_ERROR_CANCELLED);
        call_free(c);

        c = new_execute(f, "reset");
        c->error = -EINVAL;
        c->error_from_plugin = true;
        c->error_reason = strdup("field \"x\" is wrong");
        call_finish(c);
        assert_int_equal(c->domain_error, CALL_ERROR_INVALID_ARGUMENTS);
        assert_non_null(strstr(c->error_message, "field \"x\" is wrong"));
        call_free(c);

        c = new_rpc(f, 0, 0x01, 8, 64);
        c->error = -EPERM;
        call_finish(c);
        assert_int_equal(c->domain_error, CALL_ERROR_DEVICE_ERROR);
        assert_non_null(strstr(c->error_message, "EPERM"));
        call_free(c);

        /* Success stays success. */
        c = new_rpc(f, 0, 0x01, 8, 64);
        call_finish(c);
        assert_int_equal(c->domain_error, CALL_ERROR_NONE);
        call_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_to_bus_error),
                cmocka_unit_test(test_call_error_tables),
                cmocka_unit_test_setup_teardown(test_call_new_and_fail, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sizes_and_scope, setup, teardown),
                cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_not_ready, setup, teardown),
                cmocka_unit_test_setup_teardown(test_execute_operations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deny_every_door, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fallback_gate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nested_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_finish, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
