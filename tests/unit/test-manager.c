/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "call.h"
#include "device.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "policy.h"
#include "util.h"

/*
 * The manager's call pipeline, driven through its callbacks: limits, the authorizer,
 * answers, cancellation. A fake authorizer stands in for the bus layer's polkit adapter;
 * the device is never opened (nothing here reaches a worker).
 */

static int fake_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        *ret_json = strdup("{}");
        return *ret_json ? 0 : -ENOMEM;
}

static unsigned n_classified;

static int fake_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        n_classified++;
        /* 0x02: a request whose driver writes 2 MiB whatever max_response says */
        if (((const unsigned char *) request)[0] == 0x02)
                ret->kernel_out_min = FWCTLD_MAX_RPC_LEN;
        if (((const unsigned char *) request)[0] == 0xEE) {
                *ret_reason = strdup("rejected by the fake");
                return -EINVAL;
        }
        ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
        strcpy(ret->operation, "QUERY");
        return 0;
}

static const uint32_t fake_types[] = { 1, FWCTLD_DEVICE_TYPE_END };

static const fwctld_plugin fake_desc = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "fake",
        .device_types = fake_types,
        .info_to_json = fake_info_to_json,
        .classify = fake_classify,
};

static Plugin fake_plugin = { .desc = &fake_desc };

typedef struct Fixture {
        sd_event *event;
        Manager *m;
        Device *d;
        /* what the fake authorizer saw */
        Call *pending[128];
        unsigned n_started, n_cancelled;
        int start_result;
        /* what the completions saw */
        unsigned n_done;
        CallError last_error;
        char last_message[256];
} Fixture;

static int fake_start(Call *c, void *userdata) {
        Fixture *f = userdata;

        if (f->start_result < 0)
                return f->start_result;
        assert_int_equal(c->state, CALL_AUTHORIZING);
        assert_true(f->n_started < ELEMENTSOF(f->pending));
        f->pending[f->n_started++] = c;
        c->authorization = f;
        return 0;
}

static void fake_cancel(Call *c, void *userdata) {
        Fixture *f = userdata;

        assert_ptr_equal(c->authorization, f);
        f->n_cancelled++;
        for (unsigned i = 0; i < f->n_started; i++)
                if (f->pending[i] == c)
                        f->pending[i] = NULL;
}

static void on_done(Call *c, void *userdata) {
        Fixture *f = userdata;

        f->n_done++;
        f->last_error = c->domain_error;
        (void) snprintf(f->last_message, sizeof(f->last_message), "%s", strempty(c->error_message));
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        const DeviceIdentity id = {
                .syspath = (char *) "/sys/devices/pci0000:00/0000:03:00.0/fwctl/fwctl0",
                .name = (char *) "fwctl0",
                .devnode = (char *) "/dev/fwctl/fwctl0",
                .parent = (char *) "/sys/devices/pci0000:00/0000:03:00.0",
        };

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(manager_new(f->event, &(ManagerConfig) {
                                             .plugin_dir = "/nonexistent/plugins",
                                             .tainted_path = "/nonexistent/tainted",
                                     }, &f->m), 0);
        manager_set_authorizer(f->m, &(ManagerAuthorizer) {
                .start = fake_start,
                .cancel = fake_cancel,
                .userdata = f,
        });
        assert_int_equal(device_new(&id, NULL, &f->d), 0);
        f->d->type = 1;
        f->d->plugin = &fake_plugin;
        f->d->state = DEVICE_READY;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        /* Nothing may be left waiting: manager_free() insists every call was answered. */
        for (unsigned i = 0; i < f->n_started; i++)
                assert_null(f->pending[i]);
        manager_free(f->m);
        assert_int_equal(f->d->n_calls, 0);
        assert_int_equal(f->d->n_ref, 1);
        device_unref(f->d);
        sd_event_unref(f->event);
        free(f);
        return 0;
}

static Call *submit(Fixture *f, uid_t uid, const char *sender, int first, size_t size, size_t max_response) {
        Call *c = NULL;

        assert_int_equal(call_new(f->d, NULL, CALL_RPC, &c), 0);
        c->caller.uid = uid;
        c->caller.sender = strdup(sender);
        c->request = calloc(1, size);
        assert_non_null(c->request);
        ((unsigned char *) c->request)[0] = (unsigned char) first;
        c->request_size = size;
        c->max_response = max_response;
        manager_submit_call(f->m, c, on_done, f);
        return c;
}

/* Answer the i-th pending check. */
static void answer(Fixture *f, unsigned i, int r, bool authorized, bool challenge) {
        Call *c = f->pending[i];

        assert_non_null(c);
        f->pending[i] = NULL;
        manager_authorization_done(f->m, c, r, authorized, challenge, r < 0 ? "no polkitd" : NULL);
}

static void test_check_failure_answers_at_once(void **state) {
        Fixture *f = *state;

        (void) submit(f, 4242, ":1.1", 0xEE, 8, 64);
        assert_int_equal(f->n_done, 1);
        assert_int_equal(f->last_error, CALL_ERROR_REQUEST_REJECTED);
        assert_non_null(strstr(f->last_message, "rejected by the fake"));
        assert_int_equal(f->n_started, 0); /* polkit is never asked for what is refused anyway */
}

static void test_authorization_outcomes(void **state) {
        Fixture *f = *state;
        Call *c;

        (void) submit(f, 4242, ":1.1", 0x01, 8, 64);
        (void) submit(f, 4242, ":1.1", 0x01, 8, 64);
        c = submit(f, 4242, ":1.1", 0x01, 8, 64);
        c->caller.interactive = true;
        (void) submit(f, 4242, ":1.1", 0x01, 8, 64);
        assert_int_equal(f->n_started, 4);
        assert_int_equal(f->n_done, 0);

        answer(f, 0, 0, false, false);
        assert_int_equal(f->last_error, CALL_ERROR_NOT_AUTHORIZED);
        assert_non_null(strstr(f->last_message, "rpc-configuration"));
        answer(f, 1, 0, false, true);
        assert_int_equal(f->last_error, CALL_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
        /* An interactive caller who was challenged and still not authorised: plain no. */
        answer(f, 2, 0, false, true);
        assert_int_equal(f->last_error, CALL_ERROR_NOT_AUTHORIZED);
        answer(f, 3, -ECONNREFUSED, false, false);
        assert_int_equal(f->last_error, CALL_ERROR_NOT_AUTHORIZED);
        assert_non_null(strstr(f->last_message, "polkit unavailable"));
        assert_int_equal(f->n_done, 4);

        /* An authorizer that cannot start answers NotAuthorized at once. */
        f->start_result = -ENOTCONN;
        (void) submit(f, 4242, ":1.1", 0x01, 8, 64);
        assert_int_equal(f->n_done, 5);
        assert_int_equal(f->last_error, CALL_ERROR_NOT_AUTHORIZED);
}

/* Authorised, but the device went meanwhile: DeviceGone, nothing queued. */
/* No answer in time: NotAuthorized when an agent was asked (the user did not authenticate),
 * Busy without one (polkitd or the bus congested; the caller may well be authorised). */
static void test_authorization_timeout(void **state) {
        Fixture *f = *state;
        Call *c;

        (void) submit(f, 4242, ":1.1", 0x01, 8, 64);
        c = submit(f, 4242, ":1.1", 0x01, 8, 64);
        c->caller.interactive = true;
        assert_int_equal(f->n_started, 2);

        answer(f, 0, -ETIMEDOUT, false, false);
        assert_int_equal(f->last_error, CALL_ERROR_BUSY);
        assert_non_null(strstr(f->last_message, "try again"));
        answer(f, 1, -ETIMEDOUT, false, false);
        assert_int_equal(f->last_error, CALL_ERROR_NOT_AUTHORIZED);
        assert_non_null(strstr(f->last_message, "authentication agent"));
        assert_int_equal(f->n_done, 2);
}

static void test_authorized_but_gone(void **state) {
        Fixture *f = *state;

        (void) submit(f, 4242, ":1.1", 0x01, 8, 64);
        f->d->state = DEVICE_GONE;
        answer(f, 0, 0, true, false);
        assert_int_equal(f->n_done, 1);
        assert_int_equal(f->last_error, CALL_ERROR_DEVICE_GONE);
}

/* Limits are per uid, whatever bus names a user opens; a flood by one uid leaves others alone. */
static void test_uid_shares_and_cancel(void **state) {
        Fixture *f = *state;
        char sender[32];

        /* One uid over many connections: at most 16 checks in flight. */
        for (unsigned i = 0; i < FWCTLD_MAX_CHECKS_PER_UID; i++) {
                (void) snprintf(sender, sizeof(sender), ":1.%u", 10 + i);
                (void) submit(f, 4242, sender, 0x01, 8, 64);
        }
        assert_int_equal(f->n_started, FWCTLD_MAX_CHECKS_PER_UID);
        assert_int_equal(f->n_done, 0);
        (void) submit(f, 4242, ":1.99", 0x01, 8, 64);
        assert_int_equal(f->n_done, 1);
        assert_int_equal(f->last_error, CALL_ERROR_BUSY);
        assert_non_null(strstr(f->last_message, "for this user"));

        /* Another uid is not affected. */
        (void) submit(f, 4243, ":1.200", 0x01, 8, 64);
        assert_int_equal(f->n_started, FWCTLD_MAX_CHECKS_PER_UID + 1);

        /* One of the connections leaves: only its call is cancelled. */
        manager_cancel_sender(f->m, ":1.10");
        assert_int_equal(f->n_cancelled, 1);
        assert_int_equal(f->last_error, CALL_ERROR_CANCELLED);
        /* ... and its share is free again. */
        (void) submit(f, 4242, ":1.100", 0x01, 8, 64);
        assert_int_equal(f->n_started, FWCTLD_MAX_CHECKS_PER_UID + 2);

        for (unsigned i = 1; i < f->n_started; i++)
                answer(f, i, 0, false, false);
        assert_int_equal(f->d->n_calls, 0);
}

/* What a uid's calls hold while they wait is counted: 2 MiB requests with 2 MiB replies. */
static void test_bytes_per_uid(void **state) {
        Fixture *f = *state;
        const size_t two_mib = 2u * 1024u * 1024u;
        unsigned n = 0;

        while (f->n_done == 0 && n < 64) {
                (void) submit(f, 4242, ":1.1", 0x01, two_mib, two_mib);
                n++;
        }
        assert_int_equal(f->last_error, CALL_ERROR_BUSY);
        assert_non_null(strstr(f->last_message, "hold too much data"));
        /* 64 MiB at about 6 MiB each (request twice, reply buffer). */
        assert_int_equal(n - 1, 10);
        for (unsigned i = 0; i < f->n_started; i++)
                answer(f, i, 0, false, false);
}

/* A call over its share is refused before the plugin parses it: a flood of large calls
 * costs the loop no classification (Execute: no JSON parsed). */
static void test_share_before_classification(void **state) {
        Fixture *f = *state;
        const size_t two_mib = 2u * 1024u * 1024u;
        unsigned n = 0, classified;

        n_classified = 0;
        while (f->n_done == 0 && n < 64) {
                (void) submit(f, 4242, ":1.1", 0x01, two_mib, two_mib);
                n++;
        }
        assert_int_equal(f->last_error, CALL_ERROR_BUSY);
        assert_int_equal(n_classified, n - 1);
        classified = n_classified;
        for (unsigned i = 0; i < 5; i++)
                (void) submit(f, 4242, ":1.1", 0x01, two_mib, two_mib);
        assert_int_equal(f->n_done, 6);
        assert_int_equal(n_classified, classified);
        for (unsigned i = 0; i < f->n_started; i++)
                answer(f, i, 0, false, false);
}

/* What the driver writes (kernel_out_min, known once classified) is counted too, not just
 * the max_response the caller asked for. */
static void test_share_counts_driver_output(void **state) {
        Fixture *f = *state;
        unsigned n = 0;

        while (f->n_done == 0 && n < 64) {
                (void) submit(f, 4242, ":1.1", 0x02, 1024 * 1024, 64);
                n++;
        }
        assert_int_equal(f->last_error, CALL_ERROR_BUSY);
        assert_non_null(strstr(f->last_message, "hold too much data"));
        /* 64 MiB at 4 MiB + 512 bytes each (request twice, the driver's 2 MiB): 15 fit.
         * Counting max_response instead, 16 would, and the 17th meet the check limit. */
        assert_int_equal(n - 1, 15);
        for (unsigned i = 0; i < f->n_started; i++)
                answer(f, i, 0, false, false);
        assert_int_equal(f->d->n_calls, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_check_failure_answers_at_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_authorization_outcomes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_authorization_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_authorized_but_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_uid_shares_and_cancel, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bytes_per_uid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_share_before_classification, setup, teardown),
                cmocka_unit_test_setup_teardown(test_share_counts_driver_output, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
