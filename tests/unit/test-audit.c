/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <cmocka.h>
#include <systemd/sd-journal.h>

#include <fwctld/plugin.h>

#include "audit.h"
#include "names.h"

#define USEC_PER_SEC 1000000ULL
#define T0 (1000ULL * USEC_PER_SEC)
#define MAX_RECORDS 64

/*
 * The journal, as audit.c sees it. sd-journal.h turns sd_journal_sendv() into
 * sd_journal_sendv_with_location(); this executable's definition wins over libsystemd's, so
 * every record audit.c sends lands here. With capture off it goes on to libsystemd.
 */
static struct {
        bool capture;
        int result; /* what the journal answers while capturing */
        unsigned n; /* records sent while capturing */
        char *records[MAX_RECORDS]; /* "\nFIELD=value\nFIELD=value\n" */
} journal;

int sd_journal_sendv_with_location(const char *file, const char *line, const char *func, const struct iovec *iov,
                                   int n) {
        int (*real)(const char *, const char *, const char *, const struct iovec *, int);
        size_t size = 2;
        char *s, *p;

        if (!journal.capture) {
                real = (int (*)(const char *, const char *, const char *, const struct iovec *, int)) dlsym(
                        RTLD_NEXT, "sd_journal_sendv_with_location");
                assert_non_null(real);
                return real(file, line, func, iov, n);
        }

        for (int i = 0; i < n; i++)
                size += iov[i].iov_len + 1;
        s = p = malloc(size);
        assert_non_null(s);
        *p++ = '\n';
        for (int i = 0; i < n; i++) {
                memcpy(p, iov[i].iov_base, iov[i].iov_len);
                p += iov[i].iov_len;
                *p++ = '\n';
        }
        *p = '\0';
        assert_true(journal.n < MAX_RECORDS);
        journal.records[journal.n++] = s;
        return journal.result;
}

static void journal_clear(void) {
        for (unsigned i = 0; i < journal.n; i++)
                free(journal.records[i]);
        journal.n = 0;
        journal.result = 0;
}

/* The value of a field of the i-th record captured, NULL if it has none. */
static const char *field(unsigned i, const char *name) {
        static char value[512];
        char key[128];
        const char *p, *end;

        assert_true(i < journal.n);
        snprintf(key, sizeof(key), "\n%s=", name);
        p = strstr(journal.records[i], key);
        if (!p)
                return NULL;
        p += strlen(key);
        end = strchr(p, '\n');
        snprintf(value, sizeof(value), "%.*s", (int) (end - p), p);
        return value;
}

/* Assert that the i-th record is the summary of n suppressed denials of uid. */
static void assert_summary(unsigned i, uid_t uid, unsigned n) {
        char buf[32];

        assert_string_equal(field(i, "MESSAGE_ID"), FWCTLD_MESSAGE_DENIALS_SUPPRESSED);
        snprintf(buf, sizeof(buf), "%u", (unsigned) uid);
        assert_string_equal(field(i, "FWCTL_CALLER_UID"), buf);
        snprintf(buf, sizeof(buf), "%u", n);
        assert_string_equal(field(i, "FWCTL_SUPPRESSED"), buf);
}

static uint64_t monotonic_usec(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Every test starts with no bucket in use and an empty capture. */
static int setup(void **state) {
        journal.capture = true;
        audit_flush_suppressed_denials(true);
        journal_clear();
        return 0;
}

static int teardown(void **state) {
        journal.capture = true;
        audit_flush_suppressed_denials(true);
        journal_clear();
        return 0;
}

static AuditCall test_call(uid_t uid) {
        return (AuditCall) {
                .device = {
                        .name = "fwctl0",
                        .type_name = "mlx5",
                        .parent = "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0",
                        .pci_address = "0000:03:00.0",
                        .plugin = "mlx5",
                },
                .scope = FWCTLD_SCOPE_DEBUG_WRITE,
                .operation = "ACCESS_REG",
                .request_size = 64,
                .uid = uid,
                .pid = 4711,
                .unit = "session-1.scope",
                .sender = ":1.42",
        };
}

/* No journal socket: sd_journal_sendv() drops the record and says 0, so the call may run. */
static void test_rpc_attempt_without_journal(void **state) {
        AuditCall a = test_call(1000);
        AuditDevice d = a.device;

        if (access("/run/systemd/journal/socket", F_OK) == 0)
                skip(); /* a real journal: do not write test records into it */

        journal.capture = false;
        assert_int_equal(audit_rpc_attempt(&a), 0);
        a.result = -EIO;
        audit_rpc_result(&a);
        audit_auth_denied(&a, "org.freedesktop.fwctl1.rpc-debug-write", "not authorised");
        audit_device_event(&d, true);
        audit_device_event(&d, false);
        audit_started(1, 5);
}

/* The attempt record is the gate: whatever the journal refuses, the call must not run. */
static void test_rpc_attempt_result(void **state) {
        AuditCall a = test_call(1000);

        assert_int_equal(audit_rpc_attempt(&a), 0);
        assert_int_equal(journal.n, 1);
        assert_string_equal(field(0, "MESSAGE_ID"), FWCTLD_MESSAGE_RPC_ATTEMPT);
        assert_string_equal(field(0, "FWCTL_RESULT"), "pending");
        assert_string_equal(field(0, "FWCTL_SCOPE"), "2");
        assert_string_equal(field(0, "FWCTL_SCOPE_NAME"), "debug-write");
        assert_string_equal(field(0, "FWCTL_OPERATION"), "ACCESS_REG");
        assert_null(field(0, "FWCTL_EXECUTE_OPERATION"));
        assert_string_equal(field(0, "FWCTL_CALLER_UID"), "1000");
        assert_string_equal(field(0, "FWCTL_CALLER_PID"), "4711");
        assert_string_equal(field(0, "FWCTL_CALLER_BUS_NAME"), ":1.42");
        assert_string_equal(field(0, "FWCTL_DEVICE"), "fwctl0");
        assert_string_equal(field(0, "FWCTL_KERNEL_TAINTED_BEFORE"), "0");

        journal.result = -EAGAIN;
        assert_int_equal(audit_rpc_attempt(&a), -EAGAIN);
        journal.result = -ENOBUFS;
        assert_int_equal(audit_rpc_attempt(&a), -ENOBUFS);
        journal.result = 1;
        assert_int_equal(audit_rpc_attempt(&a), 0);
        assert_int_equal(journal.n, 4);

        /* An unknown operation is recorded as such; an Execute names itself. */
        journal.result = 0;
        a.operation = "";
        a.execute_operation = "FW_UPDATE";
        assert_int_equal(audit_rpc_attempt(&a), 0);
        assert_string_equal(field(4, "FWCTL_OPERATION"), "unknown");
        assert_string_equal(field(4, "FWCTL_EXECUTE_OPERATION"), "FW_UPDATE");
}

static void test_denial_burst_then_suppressed(void **state) {
        for (unsigned i = 0; i < FWCTLD_DENIAL_RECORDS_BURST; i++)
                assert_true(audit_denial_record_allowed(1000, T0 + i));
        for (unsigned i = 0; i < 5; i++)
                assert_false(audit_denial_record_allowed(1000, T0 + 100 + i));
        /* Counted, not written yet. */
        assert_int_equal(journal.n, 0);

        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 1);
        assert_summary(0, 1000, 5);

        /* A flush ends the window. */
        assert_true(audit_denial_record_allowed(1000, T0 + 200));
        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 1);
}

/* The window starts with the first denial and is 10 s long; the next one starts afresh. */
static void test_denial_new_window(void **state) {
        const uint64_t end = T0 + FWCTLD_DENIAL_RECORDS_WINDOW_USEC;

        assert_int_equal(FWCTLD_DENIAL_RECORDS_BURST, 10);
        assert_int_equal(FWCTLD_DENIAL_RECORDS_WINDOW_USEC, 10 * USEC_PER_SEC);

        for (unsigned i = 0; i < 10; i++)
                assert_true(audit_denial_record_allowed(1000, T0));
        assert_false(audit_denial_record_allowed(1000, T0 + 1));
        assert_false(audit_denial_record_allowed(1000, T0 + 5 * USEC_PER_SEC));
        assert_false(audit_denial_record_allowed(1000, end - 1));
        assert_int_equal(journal.n, 0);

        /* The first denial of the next window writes the summary of the last one. */
        assert_true(audit_denial_record_allowed(1000, end));
        assert_int_equal(journal.n, 1);
        assert_summary(0, 1000, 3);
        for (unsigned i = 1; i < 10; i++)
                assert_true(audit_denial_record_allowed(1000, end + i));
        assert_false(audit_denial_record_allowed(1000, end + 10));

        /* A window without suppressions ends without a summary. */
        assert_true(audit_denial_record_allowed(1001, T0));
        assert_true(audit_denial_record_allowed(1001, end + 3 * USEC_PER_SEC));
        assert_int_equal(journal.n, 1);
}

static void test_denial_uids_independent(void **state) {
        for (unsigned i = 0; i < 10; i++)
                assert_true(audit_denial_record_allowed(1000, T0 + i));
        for (unsigned i = 0; i < 4; i++)
                assert_false(audit_denial_record_allowed(1000, T0 + 10 + i));

        /* Another uid, root included, has its own burst... */
        for (unsigned i = 0; i < 10; i++) {
                assert_true(audit_denial_record_allowed(1001, T0 + 20 + i));
                assert_true(audit_denial_record_allowed(0, T0 + 20 + i));
        }
        assert_false(audit_denial_record_allowed(1001, T0 + 40));
        /* ...and the first one stays limited. */
        assert_false(audit_denial_record_allowed(1000, T0 + 41));
        assert_int_equal(journal.n, 0);

        /* One summary per uid that lost records: 1000 (5), 1001 (1); none for root. */
        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 2);
        for (unsigned i = 0; i < 2; i++)
                if (strcmp(field(i, "FWCTL_CALLER_UID"), "1000") == 0)
                        assert_summary(i, 1000, 5);
                else
                        assert_summary(i, 1001, 1);
}

/* 64 buckets: a new uid takes the one with the oldest window, and its count is written out. */
static void test_denial_eviction_flushes(void **state) {
        /* uid 2000 has the oldest window, with 7 denials suppressed. */
        for (unsigned i = 0; i < 17; i++)
                assert_int_equal(audit_denial_record_allowed(2000, T0), i < 10);
        /* 63 more uids fill the other buckets. */
        for (uid_t uid = 2001; uid < 2064; uid++)
                assert_true(audit_denial_record_allowed(uid, T0 + uid));
        assert_int_equal(journal.n, 0);

        /* The 65th uid evicts uid 2000: its count goes to the journal, not away. */
        assert_true(audit_denial_record_allowed(3000, T0 + 5000));
        assert_int_equal(journal.n, 1);
        assert_summary(0, 2000, 7);

        /* uid 2000 comes back with a fresh bucket (evicting 2001, which lost nothing). */
        assert_true(audit_denial_record_allowed(2000, T0 + 5001));
        assert_int_equal(journal.n, 1);
        /* The others kept theirs. */
        for (unsigned i = 1; i < 10; i++)
                assert_true(audit_denial_record_allowed(2063, T0 + 5002));
        assert_false(audit_denial_record_allowed(2063, T0 + 5003));
        assert_int_equal(journal.n, 1);

        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 2);
        assert_summary(1, 2063, 1);
}

/* Only windows that ended are summarised, unless forced (at exit). */
static void test_denial_flush_ended_windows(void **state) {
        uint64_t now = monotonic_usec();

        if (now < 2 * FWCTLD_DENIAL_RECORDS_WINDOW_USEC)
                skip();

        for (unsigned i = 0; i < 12; i++) {
                (void) audit_denial_record_allowed(5000, now - 2 * FWCTLD_DENIAL_RECORDS_WINDOW_USEC);
                (void) audit_denial_record_allowed(5001, now);
        }
        audit_flush_suppressed_denials(false);
        assert_int_equal(journal.n, 1);
        assert_summary(0, 5000, 2);

        audit_flush_suppressed_denials(false);
        assert_int_equal(journal.n, 1);

        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 2);
        assert_summary(1, 5001, 2);
}

/* audit_auth_denied() itself: 10 records a window per uid, the rest summarised. */
static void test_auth_denied_rate_limited(void **state) {
        AuditCall a = test_call(4242), b = test_call(4343);

        for (unsigned i = 0; i < 15; i++)
                audit_auth_denied(&a, "org.freedesktop.fwctl1.rpc-debug-write", "not authorised");
        audit_auth_denied(&b, "org.freedesktop.fwctl1.rpc-debug-write", "denied by deny.d/10-a.conf:2");

        assert_int_equal(journal.n, 11);
        for (unsigned i = 0; i < 10; i++) {
                assert_string_equal(field(i, "MESSAGE_ID"), FWCTLD_MESSAGE_AUTH_DENIED);
                assert_string_equal(field(i, "FWCTL_CALLER_UID"), "4242");
                assert_string_equal(field(i, "FWCTL_POLKIT_ACTION"), "org.freedesktop.fwctl1.rpc-debug-write");
                assert_string_equal(field(i, "FWCTL_DENIAL"), "not authorised");
        }
        assert_string_equal(field(10, "FWCTL_CALLER_UID"), "4343");
        assert_string_equal(field(10, "FWCTL_DENIAL"), "denied by deny.d/10-a.conf:2");

        /* The window has not ended (unless this test took 10 s): nothing to summarise yet. */
        audit_flush_suppressed_denials(false);
        assert_int_equal(journal.n, 11);
        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 12);
        assert_summary(11, 4242, 5);
}

#define N_THREADS 8
#define N_PER_THREAD 20000

static void *deny_thread(void *userdata) {
        unsigned *allowed = userdata;

        for (unsigned i = 0; i < N_PER_THREAD; i++)
                if (audit_denial_record_allowed(7000, T0))
                        (*allowed)++;
        return NULL;
}

/* Any thread may deny: exactly one burst per window, whoever gets it. */
static void test_denial_threads(void **state) {
        unsigned allowed[N_THREADS] = {}, total = 0;
        pthread_t threads[N_THREADS];

        for (unsigned i = 0; i < N_THREADS; i++)
                assert_int_equal(pthread_create(&threads[i], NULL, deny_thread, &allowed[i]), 0);
        for (unsigned i = 0; i < N_THREADS; i++) {
                assert_int_equal(pthread_join(threads[i], NULL), 0);
                total += allowed[i];
        }
        assert_int_equal(total, FWCTLD_DENIAL_RECORDS_BURST);

        audit_flush_suppressed_denials(true);
        assert_int_equal(journal.n, 1);
        assert_summary(0, 7000, N_THREADS * N_PER_THREAD - FWCTLD_DENIAL_RECORDS_BURST);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_rpc_attempt_without_journal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rpc_attempt_result, setup, teardown),
                cmocka_unit_test_setup_teardown(test_denial_burst_then_suppressed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_denial_new_window, setup, teardown),
                cmocka_unit_test_setup_teardown(test_denial_uids_independent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_denial_eviction_flushes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_denial_flush_ended_windows, setup, teardown),
                cmocka_unit_test_setup_teardown(test_auth_denied_rate_limited, setup, teardown),
                cmocka_unit_test_setup_teardown(test_denial_threads, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
