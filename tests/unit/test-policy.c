/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <syslog.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <fwctld/fwctl-uapi.h>

#include "device-type.h"
#include "log.h"
#include "policy.h"
#include "scope.h"

/* A scratch directory per test: deny.d/, raw-types.conf and tainted below it. */
typedef struct Paths {
        char dir[256];
        char deny_dir[320];
        char raw_types[320];
        char tainted[320];
} Paths;

static void paths_init(Paths *t) {
        const char *tmp = getenv("TMPDIR");

        snprintf(t->dir, sizeof(t->dir), "%s/test-policy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->deny_dir, sizeof(t->deny_dir), "%s/deny.d", t->dir);
        snprintf(t->raw_types, sizeof(t->raw_types), "%s/raw-types.conf", t->dir);
        snprintf(t->tainted, sizeof(t->tainted), "%s/tainted", t->dir);
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void write_deny_file(const Paths *t, const char *name, const char *text) {
        char path[512];

        (void) mkdir(t->deny_dir, 0755);
        snprintf(path, sizeof(path), "%s/%s", t->deny_dir, name);
        write_file(path, text);
}

static void remove_deny_file(const Paths *t, const char *name) {
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", t->deny_dir, name);
        assert_int_equal(unlink(path), 0);
}

/* Whatever the test left at the three paths (a file or an empty directory), then the directory. */
static void paths_done(Paths *t) {
        const char *paths[] = { t->raw_types, t->tainted, t->deny_dir };

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                if (unlink(paths[i]) < 0 && errno == EISDIR)
                        (void) rmdir(paths[i]);
        (void) rmdir(t->deny_dir);
        assert_int_equal(rmdir(t->dir), 0);
}

static Policy *new_policy(const Paths *t) {
        Policy *p = NULL;

        assert_int_equal(policy_new(t->deny_dir, t->raw_types, t->tainted, &p), 0);
        assert_non_null(p);
        return p;
}

/* The rule that denies (type, operations, scope), as "file:line" relative to deny.d; NULL if none. */
static const char *denied_by(Policy *p, const Paths *t, uint32_t type, const char *operations, uint32_t scope) {
        static char buf[128];
        char *origin = NULL;
        size_t l = strlen(t->deny_dir);
        int r;

        r = policy_deny_check(p, type, operations, scope, &origin);
        assert_true(r == 0 || r == 1);
        if (r == 0) {
                /* Untouched when nothing matched. */
                assert_null(origin);
                return NULL;
        }
        assert_non_null(origin);
        assert_int_equal(strncmp(origin, t->deny_dir, l), 0);
        assert_int_equal(origin[l], '/');
        snprintf(buf, sizeof(buf), "%s", origin + l + 1);
        free(origin);
        return buf;
}

static void test_policy_new_free(void **state) {
        const char *deny = "/etc/fwctld/deny.d", *raw = "/etc/fwctld/raw-types.conf";
        Policy *p = NULL;

        assert_int_equal(policy_new(deny, raw, "/proc/sys/kernel/tainted", &p), 0);
        assert_string_equal(p->deny_dir, deny);
        assert_ptr_not_equal(p->deny_dir, deny);
        assert_string_equal(p->raw_types_path, raw);
        assert_ptr_not_equal(p->raw_types_path, raw);
        assert_string_equal(p->tainted_path, "/proc/sys/kernel/tainted");
        /* Nothing read before the first reload: nothing denied, nothing raw. */
        assert_null(p->deny);
        assert_null(p->raw_types);
        assert_int_equal(policy_deny_check(p, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 3, NULL), 0);
        assert_false(policy_raw_type_allowed(p, 0x42));
        assert_null(policy_free(p));

        /* No deny list, no raw types file: reload has nothing to read. */
        assert_int_equal(policy_new(NULL, NULL, "/proc/sys/kernel/tainted", &p), 0);
        assert_null(p->deny_dir);
        assert_null(p->raw_types_path);
        policy_reload(p);
        assert_null(p->deny);
        assert_null(p->raw_types);
        assert_int_equal(policy_deny_check(p, FWCTL_DEVICE_TYPE_MLX5, "*", 3, NULL), 0);
        assert_false(policy_raw_type_allowed(p, 0x42));
        assert_null(policy_free(p));

        assert_null(policy_free(NULL));
}

static void test_policy_reload_missing_files(void **state) {
        Paths t;
        Policy *p;

        paths_init(&t);
        p = new_policy(&t);

        /* Neither deny.d nor raw-types.conf exists: two empty lists. */
        policy_reload(p);
        assert_non_null(p->deny);
        assert_int_equal(p->deny->n, 0);
        assert_non_null(p->raw_types);
        assert_int_equal(p->raw_types->n, 0);
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 3));
        assert_false(policy_raw_type_allowed(p, 0x42));

        /* An empty deny.d too. */
        assert_int_equal(mkdir(t.deny_dir, 0755), 0);
        policy_reload(p);
        assert_int_equal(p->deny->n, 0);

        policy_free(p);
        paths_done(&t);
}

static void test_policy_deny_check(void **state) {
        Paths t;
        Policy *p;

        paths_init(&t);
        write_deny_file(&t, "10-a.conf",
                        "# local rules\n"
                        "mlx5 ACCESS_REG\n"
                        "cxl SET_FEATURE debug-write\n"
                        "* FW_LIVEPATCH debug-write-full\n"
                        "unknown * debug-read-only\n"
                        "bogus line with too many words\n");
        write_deny_file(&t, "20-b.conf", "pds ep1.op0x0002 2\n");
        write_deny_file(&t, "30-c.conf.disabled", "* * *\n");
        p = new_policy(&t);
        policy_reload(p);
        assert_int_equal(p->deny->n, 5);

        /* Any scope. */
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 0), "10-a.conf:2");
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 3), "10-a.conf:2");
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "QUERY_ADAPTER", 3));
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "access_reg", 3));
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "ACCESS_REG", 3));

        /* The scope is a floor: that scope and every higher one. */
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 0));
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 1));
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 2), "10-a.conf:3");
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 3), "10-a.conf:3");
        assert_null(denied_by(p, &t, FWCTLD_DEVICE_TYPE_BNXT, "FW_LIVEPATCH", 2));
        assert_string_equal(denied_by(p, &t, FWCTLD_DEVICE_TYPE_BNXT, "FW_LIVEPATCH", 3), "10-a.conf:4");
        assert_string_equal(denied_by(p, &t, 0x42, "FW_LIVEPATCH", 3), "10-a.conf:4");

        /* Types without a name are "unknown". */
        assert_null(denied_by(p, &t, 0x42, "ANYTHING", 0));
        assert_string_equal(denied_by(p, &t, 0x42, "ANYTHING", 1), "10-a.conf:5");
        assert_string_equal(denied_by(p, &t, 0, "ANYTHING", 2), "10-a.conf:5");
        assert_string_equal(denied_by(p, &t, UINT32_MAX, "", 1), "10-a.conf:5");
        assert_string_equal(denied_by(p, &t, 0x42, NULL, 1), "10-a.conf:5");
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_PDS, "ANYTHING", 3));

        /* Comma-separated operations (Execute): any one of them. */
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_PDS, "ep1.op0x0001,ep1.op0x0002", 2), "20-b.conf:1");
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_PDS, "ep1.op0x0002,ep1.op0x0001", 3), "20-b.conf:1");
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_PDS, "ep1.op0x0001,ep1.op0x0002", 1));
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_PDS, "ep1.op0x0001,ep1.op0x0003", 3));
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_PDS, "ep1.op0x00021", 3));
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "QUERY_ADAPTER,ACCESS_REG", 0), "10-a.conf:2");
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "GET_FEATURE,FW_LIVEPATCH", 3), "10-a.conf:4");

        /* The origin is optional. */
        assert_int_equal(policy_deny_check(p, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 0, NULL), 1);
        assert_int_equal(policy_deny_check(p, FWCTL_DEVICE_TYPE_MLX5, "QUERY_ADAPTER", 0, NULL), 0);

        policy_free(p);
        remove_deny_file(&t, "10-a.conf");
        remove_deny_file(&t, "20-b.conf");
        remove_deny_file(&t, "30-c.conf.disabled");
        paths_done(&t);
}

static void test_policy_reload_deny_list(void **state) {
        char moved[512];
        Paths t;
        Policy *p;

        paths_init(&t);
        write_deny_file(&t, "10-a.conf", "mlx5 ACCESS_REG\n");
        p = new_policy(&t);
        policy_reload(p);
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 0), "10-a.conf:1");

        /* A reload replaces the list. */
        write_deny_file(&t, "10-a.conf", "\ncxl SET_FEATURE\n");
        policy_reload(p);
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 0));
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 0), "10-a.conf:2");

        /* deny.d cannot be read (here: not a directory): the previous list stays in force. */
        snprintf(moved, sizeof(moved), "%s/deny.d.moved", t.dir);
        assert_int_equal(rename(t.deny_dir, moved), 0);
        write_file(t.deny_dir, "mlx5 ACCESS_REG\n");
        policy_reload(p);
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 0));
        assert_string_equal(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 0), "10-a.conf:2");
        assert_int_equal(unlink(t.deny_dir), 0);

        /* deny.d removed: an empty list, nothing denied any more. */
        policy_reload(p);
        assert_int_equal(p->deny->n, 0);
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 0));

        /* Back, with a bad line: the good lines count, the bad one is skipped. */
        assert_int_equal(rename(moved, t.deny_dir), 0);
        write_deny_file(&t, "10-a.conf", "cxl SET_FEATURE 4\nmlx5\nbnxt NVM_WRITE debug-write\n");
        policy_reload(p);
        assert_int_equal(p->deny->n, 1);
        assert_null(denied_by(p, &t, FWCTL_DEVICE_TYPE_CXL, "SET_FEATURE", 3));
        assert_string_equal(denied_by(p, &t, FWCTLD_DEVICE_TYPE_BNXT, "NVM_WRITE", 2), "10-a.conf:3");

        policy_free(p);
        remove_deny_file(&t, "10-a.conf");
        paths_done(&t);
}

static void test_policy_raw_type_allowed(void **state) {
        Paths t;
        Policy *p;

        paths_init(&t);
        write_file(t.raw_types, "# opted in\n"
                                "0x10 17   # two of them\n"
                                "\t0x42\n");
        p = new_policy(&t);
        policy_reload(p);
        assert_true(policy_raw_type_allowed(p, 0x10));
        assert_true(policy_raw_type_allowed(p, 17));
        assert_true(policy_raw_type_allowed(p, 0x42));
        assert_false(policy_raw_type_allowed(p, 18));
        assert_false(policy_raw_type_allowed(p, 0));

        /* Known types (1-4) are never served raw, listed or not; bad words are skipped. */
        write_file(t.raw_types, "1 2 3 4 0x1 0x04 0x99 -5 abc 4294967295 0x1000000000\n");
        policy_reload(p);
        assert_int_equal(p->raw_types->n, 1);
        for (uint32_t type = 1; type <= 4; type++) {
                assert_true(device_type_is_known(type));
                assert_false(policy_raw_type_allowed(p, type));
        }
        assert_true(policy_raw_type_allowed(p, 0x99));
        assert_false(policy_raw_type_allowed(p, 0x10));
        assert_false(policy_raw_type_allowed(p, UINT32_MAX));

        /* Unreadable (here: a directory): the previous list stays in force. */
        assert_int_equal(unlink(t.raw_types), 0);
        assert_int_equal(mkdir(t.raw_types, 0755), 0);
        policy_reload(p);
        assert_true(policy_raw_type_allowed(p, 0x99));
        assert_int_equal(rmdir(t.raw_types), 0);

        /* Missing: an empty list. */
        policy_reload(p);
        assert_int_equal(p->raw_types->n, 0);
        assert_false(policy_raw_type_allowed(p, 0x99));

        policy_free(p);
        paths_done(&t);
}

static void test_policy_read_taint(void **state) {
        Paths t;
        Policy *p;

        paths_init(&t);
        p = new_policy(&t);

        /* Bit 19 (TAINT_FWCTL) and nothing else decides. */
        assert_int_equal(FWCTLD_TAINT_FWCTL_MASK, 0x80000);
        write_file(t.tainted, "524288\n");
        assert_true(policy_read_taint(p, false));
        write_file(t.tainted, "1572864\n");
        assert_true(policy_read_taint(p, false));
        write_file(t.tainted, "0\n");
        assert_false(policy_read_taint(p, true));
        write_file(t.tainted, "524287\n");
        assert_false(policy_read_taint(p, true));
        write_file(t.tainted, "1048576\n");
        assert_false(policy_read_taint(p, true));

        /* Not parseable: the previous answer. */
        write_file(t.tainted, "tainted\n");
        assert_true(policy_read_taint(p, true));
        assert_false(policy_read_taint(p, false));
        write_file(t.tainted, "");
        assert_true(policy_read_taint(p, true));
        assert_false(policy_read_taint(p, false));

        /* Without read permission (root reads it anyway). */
        write_file(t.tainted, "524288\n");
        assert_int_equal(chmod(t.tainted, 0), 0);
        if (geteuid() != 0) {
                assert_true(policy_read_taint(p, true));
                assert_false(policy_read_taint(p, false));
        }

        /* Missing. */
        assert_int_equal(unlink(t.tainted), 0);
        assert_true(policy_read_taint(p, true));
        assert_false(policy_read_taint(p, false));

        /* A directory. */
        assert_int_equal(mkdir(t.tainted, 0755), 0);
        assert_true(policy_read_taint(p, true));
        assert_false(policy_read_taint(p, false));
        assert_int_equal(rmdir(t.tainted), 0);

        policy_free(p);
        paths_done(&t);
}

static void *reload_thread(void *userdata) {
        Policy *p = userdata;

        for (unsigned i = 0; i < 200; i++)
                policy_reload(p);
        return NULL;
}

/* Workers check while the loop reloads: the lists are swapped under the lock. */
static void test_policy_concurrent_reload(void **state) {
        int level = log_get_max_level();
        pthread_t thread;
        Paths t;
        Policy *p;

        paths_init(&t);
        write_deny_file(&t, "10-a.conf", "mlx5 ACCESS_REG\n* * debug-write-full\n");
        write_file(t.raw_types, "0x42\n");
        p = new_policy(&t);
        policy_reload(p);

        /* Not one "Deny list: ..." line per reload. */
        log_set_max_level(LOG_WARNING);
        assert_int_equal(pthread_create(&thread, NULL, reload_thread, p), 0);
        for (unsigned i = 0; i < 2000; i++) {
                char *origin = NULL;

                assert_int_equal(policy_deny_check(p, FWCTL_DEVICE_TYPE_MLX5, "ACCESS_REG", 0, &origin), 1);
                assert_non_null(origin);
                free(origin);
                assert_int_equal(policy_deny_check(p, FWCTL_DEVICE_TYPE_CXL, "GET_FEATURE", 2, NULL), 0);
                assert_true(policy_raw_type_allowed(p, 0x42));
        }
        assert_int_equal(pthread_join(thread, NULL), 0);
        log_set_max_level(level);

        policy_free(p);
        remove_deny_file(&t, "10-a.conf");
        paths_done(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_policy_new_free),
                cmocka_unit_test(test_policy_reload_missing_files),
                cmocka_unit_test(test_policy_deny_check),
                cmocka_unit_test(test_policy_reload_deny_list),
                cmocka_unit_test(test_policy_raw_type_allowed),
                cmocka_unit_test(test_policy_read_taint),
                cmocka_unit_test(test_policy_concurrent_reload),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
