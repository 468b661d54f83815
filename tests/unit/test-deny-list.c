/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "deny-list.h"

static DenyList *parse(const char *text, int expect_bad) {
        DenyList *l = calloc(1, sizeof(*l));

        assert_non_null(l);
        assert_int_equal(deny_list_parse(l, text, "/etc/fwctld/deny.d/10-test.conf"), expect_bad);
        return l;
}

static void test_parse_rules_comments_and_scopes(void **state) {
        DenyList *l = parse("# a comment\n"
                            "\n"
                            "mlx5 ACCESS_REG          # inline comment\n"
                            "  cxl  SET_FEATURE  debug-write-full\n"
                            "*\t*\t3\n"
                            "bnxt NVM_WRITE 2\n"
                            "pds * *\n",
                            0);

        assert_int_equal(l->n, 5);
        assert_string_equal(l->rules[0].device_type, "mlx5");
        assert_string_equal(l->rules[0].operation, "ACCESS_REG");
        assert_int_equal(l->rules[0].scope, -1);
        assert_string_equal(l->rules[0].origin, "/etc/fwctld/deny.d/10-test.conf:3");
        assert_int_equal(l->rules[1].scope, 3);
        assert_string_equal(l->rules[1].origin, "/etc/fwctld/deny.d/10-test.conf:4");
        assert_string_equal(l->rules[2].device_type, "*");
        assert_int_equal(l->rules[2].scope, 3);
        assert_int_equal(l->rules[3].scope, 2);
        assert_int_equal(l->rules[4].scope, -1);
        assert_string_equal(l->rules[4].origin, "/etc/fwctld/deny.d/10-test.conf:7");
        deny_list_free(l);
}

static void test_parse_bad_lines_are_skipped(void **state) {
        /* one word, four words, an unknown scope, scope 4, a misspelt and a made-up type
         * (they would never match): six bad lines; one good */
        DenyList *l = parse("mlx5\n"
                            "mlx5 NOP 1 extra\n"
                            "mlx5 NOP debug\n"
                            "mlx5 NOP 4\n"
                            "mxl5 ACCESS_REG\n"
                            "bogus-type FOO\n"
                            "mlx5 NOP debug-read-only\n",
                            6);

        assert_int_equal(l->n, 1);
        assert_int_equal(l->rules[0].scope, 1);
        assert_string_equal(l->rules[0].origin, "/etc/fwctld/deny.d/10-test.conf:7");
        deny_list_free(l);

        /* every type a device can have, and "unknown" for the generic plugin's */
        l = parse("mlx5 A\ncxl A\nbnxt A\npds A\nunknown A\n* A\n", 0);
        assert_int_equal(l->n, 6);
        deny_list_free(l);

        l = parse("", 0);
        assert_int_equal(l->n, 0);
        deny_list_free(l);
}

static void test_match(void **state) {
        DenyList *l = parse("mlx5 ACCESS_REG\n"
                            "cxl SET_FEATURE 3\n"
                            "* FW_LIVEPATCH *\n",
                            0);
        const DenyRule *r;

        r = deny_list_match(l, "mlx5", "ACCESS_REG", 0);
        assert_non_null(r);
        assert_string_equal(r->origin, "/etc/fwctld/deny.d/10-test.conf:1");
        assert_non_null(deny_list_match(l, "mlx5", "ACCESS_REG", 3));
        assert_null(deny_list_match(l, "mlx5", "QUERY_ADAPTER", 0));
        assert_null(deny_list_match(l, "bnxt", "ACCESS_REG", 0));
        /* scope-bound rule */
        assert_non_null(deny_list_match(l, "cxl", "SET_FEATURE", 3));
        assert_null(deny_list_match(l, "cxl", "SET_FEATURE", 2));
        /* wildcard type */
        assert_non_null(deny_list_match(l, "bnxt", "FW_LIVEPATCH", 3));
        assert_non_null(deny_list_match(l, "unknown", "FW_LIVEPATCH", 0));
        /* names are exact, case included */
        assert_null(deny_list_match(l, "mlx5", "access_reg", 0));
        assert_null(deny_list_match(NULL, "mlx5", "ACCESS_REG", 0));
        deny_list_free(l);
}

/* A rule's scope is a floor: that scope and every higher one. */
static void test_match_scope_floor(void **state) {
        DenyList *l = parse("mlx5 QUERY_ADAPTER debug-read-only\n", 0);

        assert_null(deny_list_match(l, "mlx5", "QUERY_ADAPTER", 0));
        assert_non_null(deny_list_match(l, "mlx5", "QUERY_ADAPTER", 1));
        assert_non_null(deny_list_match(l, "mlx5", "QUERY_ADAPTER", 2));
        assert_non_null(deny_list_match(l, "mlx5", "QUERY_ADAPTER", 3));
        deny_list_free(l);
}

/* Execute's RPC names come as a comma-separated list: any one of them matches. */
static void test_match_any(void **state) {
        DenyList *l = parse("pds ep1.op0x0002\n* * debug-write-full\n", 0);

        assert_non_null(deny_list_match_any(l, "pds", "ep1.op0x0001,ep1.op0x0002", 0));
        assert_non_null(deny_list_match_any(l, "pds", "ep1.op0x0002", 0));
        assert_null(deny_list_match_any(l, "pds", "ep1.op0x0001,ep1.op0x0003", 0));
        assert_null(deny_list_match_any(l, "mlx5", "ep1.op0x0002", 0));
        /* an empty list still meets wildcard rules */
        assert_non_null(deny_list_match_any(l, "mlx5", "", 3));
        assert_null(deny_list_match_any(l, "mlx5", "", 2));
        deny_list_free(l);
}

static void write_file(const char *dir, const char *name, const char *text) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void test_load_dir(void **state) {
        char dir[256], path[512];
        DenyList *l = NULL;

        snprintf(dir, sizeof(dir), "%s/fwctld-deny-XXXXXX", getenv("TMPDIR") ?: "/tmp");
        assert_non_null(mkdtemp(dir));
        write_file(dir, "20-b.conf", "bnxt NVM_WRITE\n");
        write_file(dir, "10-a.conf", "mlx5 ACCESS_REG\n");
        write_file(dir, "30-c.conf.disabled", "pds * *\n");
        write_file(dir, ".hidden.conf", "cxl * *\n");

        assert_int_equal(deny_list_load_dir(dir, &l), 0);
        assert_int_equal(l->n, 2);
        /* name order */
        assert_string_equal(l->rules[0].device_type, "mlx5");
        assert_string_equal(l->rules[1].device_type, "bnxt");
        snprintf(path, sizeof(path), "%s/20-b.conf:1", dir);
        assert_string_equal(l->rules[1].origin, path);
        deny_list_free(l);

        /* A rule file that cannot be read (here: a directory) fails the whole load, so that the
         * caller keeps the previous list instead of silently dropping its rules. */
        snprintf(path, sizeof(path), "%s/15-unreadable.conf", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        l = NULL;
        assert_true(deny_list_load_dir(dir, &l) < 0);
        assert_null(l);
        assert_int_equal(rmdir(path), 0);

        const char *names[] = { "20-b.conf", "10-a.conf", "30-c.conf.disabled", ".hidden.conf" };
        for (size_t i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                assert_int_equal(unlink(path), 0);
        }
        assert_int_equal(rmdir(dir), 0);

        /* a missing directory is an empty list, not an error */
        l = NULL;
        assert_int_equal(deny_list_load_dir(dir, &l), 0);
        assert_non_null(l);
        assert_int_equal(l->n, 0);
        deny_list_free(l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_rules_comments_and_scopes),
                cmocka_unit_test(test_parse_bad_lines_are_skipped),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_match_scope_floor),
                cmocka_unit_test(test_match_any),
                cmocka_unit_test(test_load_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
