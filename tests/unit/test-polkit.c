/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <cmocka.h>

#include "names.h"
#include "polkit.h"
#include "private-bus.h"
#include "util.h"

/*
 * polkit_check() against a private dbus-daemon and a fake polkit Authority served by this
 * process on a second connection. Both connections share one sd_event loop, so every step is
 * the loop's: the test sends, the fake answers as told, the checker calls back.
 */

typedef enum FakeMode {
        FAKE_YES,
        FAKE_NO,
        FAKE_CHALLENGE,
        FAKE_ERROR,          /* fake.error_name, "fake failure" */
        FAKE_MALFORMED,      /* a lone string */
        FAKE_MALFORMED_SHORT, /* (bb): the details are missing */
        FAKE_NEVER,          /* held until the test answers or drops it */
} FakeMode;

typedef struct Fake {
        FakeMode mode;
        const char *error_name;
        unsigned checks, cancels;
        char *subject_kind, *subject_name, *action, *details, *cancel_id, *cancelled_id;
        uint32_t flags;
        sd_bus_message *held;
} Fake;

typedef struct Outcome {
        unsigned calls;
        int r;
        bool authorized, challenge;
        char *message;
        PolkitCheck **cancel_self; /* cancel this check from inside the callback */
} Outcome;

static struct {
        PrivateBus bus;
        sd_event *event;
        sd_bus *client, *polkitd;
        sd_bus_slot *object_slot;
        Fake fake;
} T;

/* --- the fake polkit Authority ------------------------------------------------------------ */

static int read_subject(sd_bus_message *m, Fake *f) {
        const char *kind, *key, *name;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &kind);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        f->subject_kind = strdup(kind);
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && strcmp(key, "name") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &name);
                        free(f->subject_name);
                        f->subject_name = r >= 0 ? strdup(name) : NULL;
                } else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* Details as "k=v;k=v", in the order sent. */
static int read_details(sd_bus_message *m, Fake *f) {
        const char *k, *v;
        char buf[1024] = "";
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0)
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s=%s", *buf ? ";" : "", k, v);
        if (r < 0)
                return r;
        f->details = strdup(buf);
        return sd_bus_message_exit_container(m);
}

static int fake_check(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fake *f = userdata;
        const char *action, *cancel_id;
        int r;

        f->checks++;
        free(f->subject_kind);
        free(f->subject_name);
        free(f->action);
        free(f->details);
        free(f->cancel_id);
        f->subject_kind = f->subject_name = f->action = f->details = f->cancel_id = NULL;

        r = read_subject(m, f);
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &action);
        if (r >= 0)
                f->action = strdup(action);
        if (r >= 0)
                r = read_details(m, f);
        if (r >= 0)
                r = sd_bus_message_read(m, "us", &f->flags, &cancel_id);
        if (r < 0)
                return r;
        f->cancel_id = strdup(cancel_id);

        switch (f->mode) {
        case FAKE_YES:
                return sd_bus_reply_method_return(m, "(bba{ss})", 1, 0, 0);
        case FAKE_NO:
                return sd_bus_reply_method_return(m, "(bba{ss})", 0, 0, 0);
        case FAKE_CHALLENGE:
                return sd_bus_reply_method_return(m, "(bba{ss})", 0, 1, 1,
                                                  "polkit.retains_authorization_after_challenge", "true");
        case FAKE_ERROR:
                return sd_bus_reply_method_errorf(m, f->error_name, "fake failure");
        case FAKE_MALFORMED:
                return sd_bus_reply_method_return(m, "s", "not a polkit reply");
        case FAKE_MALFORMED_SHORT:
                return sd_bus_reply_method_return(m, "(bb)", 1, 0);
        case FAKE_NEVER:
                f->held = sd_bus_message_ref(m);
                return 1;
        }
        return -EINVAL;
}

static int fake_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fake *f = userdata;
        const char *id;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        f->cancels++;
        free(f->cancelled_id);
        f->cancelled_id = strdup(id);
        return sd_bus_reply_method_return(m, NULL);
}

/*
 * A plain object callback rather than a vtable: sd-bus would check a vtable method's reply
 * against its declared signature, and the fake must be free to send broken replies.
 */
static int fake_dispatch(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        if (sd_bus_message_is_method_call(m, FWCTLD_POLKIT_INTERFACE, "CheckAuthorization")) {
                assert_string_equal(sd_bus_message_get_signature(m, true), "(sa{sv})sa{ss}us");
                return fake_check(m, userdata, error);
        }
        if (sd_bus_message_is_method_call(m, FWCTLD_POLKIT_INTERFACE, "CancelCheckAuthorization")) {
                assert_string_equal(sd_bus_message_get_signature(m, true), "s");
                return fake_cancel(m, userdata, error);
        }
        return 0;
}

static void fake_reset(void) {
        Fake *f = &T.fake;

        free(f->subject_kind);
        free(f->subject_name);
        free(f->action);
        free(f->details);
        free(f->cancel_id);
        free(f->cancelled_id);
        sd_bus_message_unref(f->held);
        *f = (Fake) { .mode = FAKE_YES, .error_name = "org.freedesktop.PolicyKit1.Error.Failed" };
}

/* --- the checker's side ------------------------------------------------------------------ */

static void on_done(int r, bool authorized, bool challenge, const char *error_message, void *userdata) {
        Outcome *o = userdata;

        o->calls++;
        o->r = r;
        o->authorized = authorized;
        o->challenge = challenge;
        free(o->message);
        o->message = error_message ? strdup(error_message) : NULL;
        if (o->cancel_self)
                *o->cancel_self = polkit_check_cancel(*o->cancel_self);
}

/* Runs the loop until *counter reaches target; fails after 10 s. Returns the time it took. */
static uint64_t run_until(const unsigned *counter, unsigned target) {
        return private_bus_run_until(T.event, counter, target);
}

static const char *sender(void) {
        const char *unique = NULL;

        assert_int_equal(sd_bus_get_unique_name(T.client, &unique), 0);
        return unique;
}

/*
 * One answered check. Messages from one connection arrive in order, so when it returns, the
 * fake has seen everything the client sent before it (a CancelCheckAuthorization, say).
 */
static void barrier(void) {
        FakeMode saved = T.fake.mode;
        Outcome o = {};
        PolkitCheck *check = NULL;

        T.fake.mode = FAKE_YES;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.barrier", NULL, false, on_done, &o,
                                      &check), 0);
        (void) run_until(&o.calls, 1);
        assert_int_equal(o.r, 0);
        T.fake.mode = saved;
        free(o.message);
}

/* --- fixtures ---------------------------------------------------------------------------- */

static int group_setup(void **state) {
        assert_int_equal(sd_event_new(&T.event), 0);
        T.client = private_bus_connect(&T.bus, T.event);
        T.polkitd = private_bus_connect(&T.bus, T.event);
        assert_true(sd_bus_add_object(T.polkitd, &T.object_slot, FWCTLD_POLKIT_PATH, fake_dispatch, &T.fake) >= 0);
        assert_true(sd_bus_request_name(T.polkitd, FWCTLD_POLKIT_BUS_NAME, 0) > 0);
        return 0;
}

static int group_teardown(void **state) {
        fake_reset();
        sd_bus_slot_unref(T.object_slot);
        sd_bus_flush_close_unref(T.client);
        sd_bus_flush_close_unref(T.polkitd);
        sd_event_unref(T.event);
        return 0;
}

static int setup(void **state) {
        fake_reset();
        return 0;
}

static int teardown(void **state) {
        fake_reset();
        return 0;
}

/* --- tests ------------------------------------------------------------------------------- */

static void test_authorized(void **state) {
        char *const details[] = { "device", "fwctl0", "scope", "2", "operation", "", NULL };
        PolkitCheck *check = NULL;
        Outcome o = {};

        assert_int_equal(polkit_check(T.client, sender(), "org.freedesktop.fwctl1.configuration", details,
                                      false, on_done, &o, &check), 0);
        assert_non_null(check);
        /* Never from inside polkit_check(): the caller may not have stored the handle yet. */
        assert_int_equal(o.calls, 0);

        (void) run_until(&o.calls, 1);
        assert_int_equal(o.r, 0);
        assert_true(o.authorized);
        assert_false(o.challenge);
        assert_null(o.message);

        assert_int_equal(T.fake.checks, 1);
        assert_string_equal(T.fake.subject_kind, "system-bus-name");
        assert_string_equal(T.fake.subject_name, sender());
        assert_string_equal(T.fake.action, "org.freedesktop.fwctl1.configuration");
        assert_string_equal(T.fake.details, "device=fwctl0;scope=2;operation=");
        assert_int_equal(T.fake.flags, 0);
        assert_true(strncmp(T.fake.cancel_id, "fwctld-", 7) == 0);

        /* A settled check is gone: nothing more comes, nothing was cancelled. */
        barrier();
        assert_int_equal(o.calls, 1);
        assert_int_equal(T.fake.cancels, 0);
        free(o.message);
}

static void test_not_authorized(void **state) {
        PolkitCheck *check = NULL;
        Outcome o = {};

        T.fake.mode = FAKE_NO;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.no", NULL, false, on_done, &o, &check), 0);
        (void) run_until(&o.calls, 1);
        assert_int_equal(o.r, 0);
        assert_false(o.authorized);
        assert_false(o.challenge);
        assert_null(o.message);
        /* No details: an empty a{ss}, not a missing argument. */
        assert_string_equal(T.fake.details, "");
        free(o.message);
}

static void test_challenge_interactive(void **state) {
        char *const details[] = { "device", "fwctl3", NULL };
        PolkitCheck *check = NULL;
        Outcome o = {};

        T.fake.mode = FAKE_CHALLENGE;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.challenge", details, true, on_done, &o,
                                      &check), 0);
        (void) run_until(&o.calls, 1);
        assert_int_equal(o.r, 0);
        assert_false(o.authorized);
        assert_true(o.challenge);
        assert_null(o.message);
        /* AllowUserInteraction only when interactive. */
        assert_int_equal(T.fake.flags, 1);
        assert_string_equal(T.fake.details, "device=fwctl3");
        free(o.message);
}

static void test_cancel_ids_unique(void **state) {
        PolkitCheck *a = NULL, *b = NULL;
        Outcome oa = {}, ob = {};
        char *first;

        assert_int_equal(polkit_check(T.client, sender(), "org.example.a", NULL, false, on_done, &oa, &a), 0);
        (void) run_until(&oa.calls, 1);
        first = strdup(T.fake.cancel_id);
        assert_int_equal(polkit_check(T.client, sender(), "org.example.b", NULL, false, on_done, &ob, &b), 0);
        (void) run_until(&ob.calls, 1);
        assert_string_not_equal(first, T.fake.cancel_id);
        free(first);
}

static void test_error_reply(void **state) {
        PolkitCheck *check = NULL;
        Outcome o = {};

        /* An error name sd-bus does not know maps to EIO. */
        T.fake.mode = FAKE_ERROR;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.err", NULL, false, on_done, &o, &check), 0);
        (void) run_until(&o.calls, 1);
        assert_int_equal(o.r, -EIO);
        assert_false(o.authorized);
        assert_false(o.challenge);
        assert_string_equal(o.message, "fake failure");

        /* A known one keeps its errno. */
        T.fake.error_name = SD_BUS_ERROR_ACCESS_DENIED;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.err", NULL, true, on_done, &o, &check), 0);
        (void) run_until(&o.calls, 2);
        assert_int_equal(o.r, -EACCES);
        assert_false(o.authorized);
        assert_string_equal(o.message, "fake failure");
        free(o.message);
}

static void test_malformed_reply(void **state) {
        static const FakeMode modes[] = { FAKE_MALFORMED, FAKE_MALFORMED_SHORT };

        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                PolkitCheck *check = NULL;
                Outcome o = {};

                T.fake.mode = modes[i];
                assert_int_equal(polkit_check(T.client, sender(), "org.example.bad", NULL, false, on_done, &o,
                                              &check), 0);
                (void) run_until(&o.calls, 1);
                assert_true(o.r < 0);
                /* Even a readable "authorized" in a broken reply is not trusted. */
                assert_false(o.authorized);
                assert_false(o.challenge);
                assert_string_equal(o.message, "malformed polkit reply");
                free(o.message);
        }
}

static void test_cancel_non_interactive(void **state) {
        PolkitCheck *check = NULL;
        Outcome o = {};

        T.fake.mode = FAKE_NEVER;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.never", NULL, false, on_done, &o, &check),
                         0);
        (void) run_until(&T.fake.checks, 1);
        assert_non_null(T.fake.held);

        assert_null(polkit_check_cancel(check));
        barrier();
        assert_int_equal(o.calls, 0);
        /* Nothing to cancel in polkitd: no agent was asked. */
        assert_int_equal(T.fake.cancels, 0);

        /* polkitd answering after all reaches nobody. */
        assert_true(sd_bus_reply_method_return(T.fake.held, "(bba{ss})", 1, 0, 0) >= 0);
        barrier();
        assert_int_equal(o.calls, 0);
}

static void test_cancel_interactive(void **state) {
        PolkitCheck *check = NULL;
        Outcome o = {};
        char *id;

        T.fake.mode = FAKE_NEVER;
        assert_int_equal(polkit_check(T.client, sender(), "org.example.never", NULL, true, on_done, &o, &check),
                         0);
        (void) run_until(&T.fake.checks, 1);
        assert_int_equal(T.fake.flags, 1);
        id = strdup(T.fake.cancel_id);

        assert_null(polkit_check_cancel(check));
        (void) run_until(&T.fake.cancels, 1);
        assert_string_equal(T.fake.cancelled_id, id);

        barrier();
        assert_int_equal(o.calls, 0);
        assert_int_equal(T.fake.cancels, 1);
        free(id);
}

static void test_cancel_from_callback(void **state) {
        PolkitCheck *check = NULL;
        Outcome o = { .cancel_self = &check };

        /* A caller tearing down its request from the callback cancels a check being answered. */
        assert_int_equal(polkit_check(T.client, sender(), "org.example.self", NULL, true, on_done, &o, &check),
                         0);
        (void) run_until(&o.calls, 1);
        assert_null(check);
        assert_int_equal(o.r, 0);
        assert_true(o.authorized);
        barrier();
        assert_int_equal(T.fake.cancels, 0);
        free(o.message);
}

static void test_bad_arguments(void **state) {
        char *const odd[] = { "device", "fwctl0", "parent", NULL };
        PolkitCheck *check = NULL;
        Outcome o = {};

        /* No unique name (a direct connection): there is no subject to ask about. */
        assert_int_equal(polkit_check(T.client, NULL, "org.example.x", NULL, false, on_done, &o, &check), -EPERM);
        assert_int_equal(polkit_check(T.client, "", "org.example.x", NULL, false, on_done, &o, &check), -EPERM);
        /* A key without its value (a NULL field ending the list early) is refused, not dropped. */
        assert_int_equal(polkit_check(T.client, sender(), "org.example.x", odd, false, on_done, &o, &check),
                         -EINVAL);
        assert_null(check);

        barrier();
        assert_int_equal(o.calls, 0);
        assert_int_equal(T.fake.checks, 1); /* the barrier's own */
        assert_null(polkit_check_cancel(NULL));
}

/* Last: it gives the name up for good. */
static void test_polkitd_absent(void **state) {
        PolkitCheck *check = NULL;
        Outcome o = {};
        uint64_t took;

        assert_true(sd_bus_release_name(T.polkitd, FWCTLD_POLKIT_BUS_NAME) >= 0);
        assert_int_equal(polkit_check(T.client, sender(), "org.example.absent", NULL, true, on_done, &o, &check),
                         0);
        took = run_until(&o.calls, 1);
        assert_true(o.r < 0);
        assert_false(o.authorized);
        assert_false(o.challenge);
        assert_non_null(o.message);
        /* From the bus at once, not after the 300 s interactive timeout. */
        assert_true(took < 5 * 1000000u);
        assert_int_equal(T.fake.checks, 0);
        free(o.message);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_authorized, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_authorized, setup, teardown),
                cmocka_unit_test_setup_teardown(test_challenge_interactive, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_ids_unique, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_non_interactive, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_interactive, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel_from_callback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
                cmocka_unit_test_setup_teardown(test_polkitd_absent, setup, teardown),
        };

        return private_bus_run_group(&T.bus, "test-polkit", tests, ELEMENTSOF(tests), group_setup, group_teardown);
}
