/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "call.h"
#include "device.h"
#include "session.h"
#include "util.h"

/* Sessions: lifetime arithmetic and what a call may do in one. */

#define SEC 1000000ULL

static Device *new_device(void) {
        Device *d = NULL;

        assert_int_equal(device_new(&(DeviceIdentity) {
                                            .syspath = (char *) "/sys/devices/pci0000:00/0000:03:00.0/fwctl/fwctl0",
                                            .name = (char *) "fwctl0",
                                            .devnode = (char *) "/dev/fwctl/fwctl0",
                                    }, NULL, &d),
                         0);
        return d;
}

static void test_lifetime(void **state) {
        Device *d = new_device();
        CallCaller owner = { .sender = (char *) ":1.5", .uid = 4242, .pid = 99 };
        Session *s = NULL;

        assert_int_equal(session_new(7, d, 2, false, &owner, 100 * SEC, 1000 * SEC, &s), -EINVAL); /* no tainting sessions */
        assert_int_equal(session_new(7, d, 1, false, &owner, 100 * SEC, 1000 * SEC, &s), 0);
        assert_string_equal(s->owner.sender, ":1.5");
        assert_int_equal(d->n_ref, 2);

        /* idle 60 s, at most 600 s */
        assert_false(session_expired(s, 159 * SEC, 60 * SEC, 600 * SEC));
        assert_true(session_expired(s, 160 * SEC, 60 * SEC, 600 * SEC));
        assert_int_equal(session_expires_realtime(s, 60 * SEC, 600 * SEC), 1060 * SEC);
        /* use keeps it alive, up to the total */
        s->used_usec = 650 * SEC;
        assert_false(session_expired(s, 699 * SEC, 60 * SEC, 600 * SEC));
        assert_true(session_expired(s, 700 * SEC, 60 * SEC, 600 * SEC));
        assert_int_equal(session_expires_realtime(s, 60 * SEC, 600 * SEC), 1600 * SEC);

        session_free(s);
        assert_int_equal(d->n_ref, 1);
        device_unref(d);
}

static void test_admit_call(void **state) {
        Device *d = new_device(), *other = new_device();
        CallCaller owner = { .sender = (char *) ":1.5", .uid = 4242 };
        Session *s = NULL;
        Call *c = NULL;

        assert_int_equal(session_new(1, d, 0, false, &owner, 0, 0, &s), 0);

        assert_int_equal(call_new(d, NULL, CALL_RPC, &c), 0);
        strcpy(c->cls.operation, "QUERY_ADAPTER");
        assert_int_equal(session_admit_call(s, c), 0);
        /* a write in a session opened without configuration_write */
        c->cls.configuration_write = true;
        assert_true(session_admit_call(s, c) < 0);
        assert_int_equal(c->domain_error, CALL_ERROR_NOT_AUTHORIZED);
        assert_non_null(strstr(c->error_message, "configuration_write"));
        call_free(c);

        /* above the session's scope */
        assert_int_equal(call_new(d, NULL, CALL_EXECUTE, &c), 0);
        c->cls.min_scope = 1;
        assert_true(session_admit_call(s, c) < 0);
        assert_int_equal(c->domain_error, CALL_ERROR_SCOPE_TOO_LOW);
        assert_non_null(strstr(c->error_message, "debug-read-only"));
        call_free(c);

        /* another device */
        assert_int_equal(call_new(other, NULL, CALL_RPC, &c), 0);
        assert_true(session_admit_call(s, c) < 0);
        call_free(c);

        session_free(s);
        device_unref(d);
        device_unref(other);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lifetime),
                cmocka_unit_test(test_admit_call),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
