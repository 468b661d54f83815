/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "hashmap.h"
#include "util.h"

/* The string -> pointer table the manager indexes its devices with. */

static void test_put_get_remove(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        int a = 1, b = 2;

        assert_int_equal(hashmap_new(&h), 0);
        assert_int_equal(hashmap_size(h), 0);
        assert_null(hashmap_get(h, "fwctl0"));
        assert_int_equal(hashmap_put(h, "fwctl0", &a), 0);
        assert_int_equal(hashmap_put(h, "fwctl1", &b), 0);
        assert_int_equal(hashmap_size(h), 2);
        assert_ptr_equal(hashmap_get(h, "fwctl0"), &a);
        assert_ptr_equal(hashmap_get(h, "fwctl1"), &b);
        assert_null(hashmap_get(h, "fwctl2"));
        assert_null(hashmap_get(h, ""));
        assert_null(hashmap_get(h, NULL));

        /* one value per key: the first stays */
        assert_int_equal(hashmap_put(h, "fwctl0", &b), -EEXIST);
        assert_ptr_equal(hashmap_get(h, "fwctl0"), &a);

        assert_ptr_equal(hashmap_remove(h, "fwctl0"), &a);
        assert_null(hashmap_remove(h, "fwctl0"));
        assert_null(hashmap_get(h, "fwctl0"));
        assert_ptr_equal(hashmap_get(h, "fwctl1"), &b);
        assert_int_equal(hashmap_size(h), 1);
        assert_int_equal(hashmap_put(h, "fwctl0", &b), 0);
        assert_ptr_equal(hashmap_get(h, "fwctl0"), &b);
}

static void test_keys_by_content(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        char key[] = "/sys/class/fwctl/fwctl7", probe[] = "/sys/class/fwctl/fwctl7";
        int a = 1;

        assert_int_equal(hashmap_new(&h), 0);
        assert_int_equal(hashmap_put(h, key, &a), 0);
        /* another buffer with the same bytes finds it; a prefix or an extension does not */
        assert_ptr_equal(hashmap_get(h, probe), &a);
        assert_null(hashmap_get(h, "/sys/class/fwctl/fwctl"));
        assert_null(hashmap_get(h, "/sys/class/fwctl/fwctl70"));
        assert_int_equal(hashmap_put(h, probe, &a), -EEXIST);
}

static void test_remove_value(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        int a = 1, b = 2;

        assert_int_equal(hashmap_new(&h), 0);
        assert_int_equal(hashmap_put(h, "parent", &a), 0);
        /* a stale holder of the key does not take out the new one */
        assert_false(hashmap_remove_value(h, "parent", &b));
        assert_ptr_equal(hashmap_get(h, "parent"), &a);
        assert_false(hashmap_remove_value(h, "other", &a));
        assert_true(hashmap_remove_value(h, "parent", &a));
        assert_null(hashmap_get(h, "parent"));
        assert_int_equal(hashmap_size(h), 0);
        assert_false(hashmap_remove_value(h, "parent", &a));
}

static void test_null_table(void **state) {
        assert_null(hashmap_get(NULL, "x"));
        assert_null(hashmap_remove(NULL, "x"));
        assert_false(hashmap_remove_value(NULL, "x", NULL));
        assert_int_equal(hashmap_size(NULL), 0);
        assert_null(hashmap_free(NULL));
}

/* Random puts and removes through many growths and long probe clusters, checked against a
 * plain array after every step (removal shifts entries back: none may become unreachable). */
#define N_KEYS 3000

static void test_against_reference(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        static char keys[N_KEYS][24];
        static bool present[N_KEYS];
        size_t n = 0;
        uint64_t x = 0x2545f4914f6cdd1dULL;

        for (size_t i = 0; i < N_KEYS; i++)
                (void) snprintf(keys[i], sizeof(keys[i]), "fwctl%zu", i);
        assert_int_equal(hashmap_new(&h), 0);

        for (unsigned step = 0; step < 40000; step++) {
                size_t k;

                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                k = x % N_KEYS;
                /* grow for the first half, churn at about 2/3 full after */
                if (!present[k] && (step < 20000 || x % 3 != 0)) {
                        assert_int_equal(hashmap_put(h, keys[k], &present[k]), 0);
                        present[k] = true;
                        n++;
                } else if (present[k]) {
                        assert_ptr_equal(hashmap_remove(h, keys[k]), &present[k]);
                        present[k] = false;
                        n--;
                }
                assert_int_equal(hashmap_size(h), n);
                if (step % 997 == 0)
                        for (size_t i = 0; i < N_KEYS; i++)
                                assert_ptr_equal(hashmap_get(h, keys[i]), present[i] ? &present[i] : NULL);
        }
        for (size_t i = 0; i < N_KEYS; i++)
                assert_ptr_equal(hashmap_get(h, keys[i]), present[i] ? &present[i] : NULL);
        /* empty it completely */
        for (size_t i = 0; i < N_KEYS; i++)
                if (present[i])
                        assert_true(hashmap_remove_value(h, keys[i], &present[i]));
        assert_int_equal(hashmap_size(h), 0);
        for (size_t i = 0; i < N_KEYS; i++)
                assert_null(hashmap_get(h, keys[i]));
}

/* Two tables hash differently (seeded): still the same answers. */
/* Emptying a table (the bus layer forgets every caller this way): each value once. */
static void test_steal_first(void **state) {
        _cleanup_(hashmap_freep) Hashmap *h = NULL;
        char keys[300][16];
        int seen[300] = {};
        int *v;
        size_t n = 0;

        assert_null(hashmap_steal_first(NULL));
        assert_int_equal(hashmap_new(&h), 0);
        assert_null(hashmap_steal_first(h));
        for (int i = 0; i < 300; i++) {
                snprintf(keys[i], sizeof(keys[i]), ":1.%d", i);
                assert_int_equal(hashmap_put(h, keys[i], &seen[i]), 0);
        }
        while ((v = hashmap_steal_first(h))) {
                (*v)++;
                n++;
                assert_int_equal(hashmap_size(h), 300 - n);
        }
        assert_int_equal(n, 300);
        for (int i = 0; i < 300; i++) {
                assert_int_equal(seen[i], 1);
                assert_null(hashmap_get(h, keys[i]));
        }
}

static void test_two_tables(void **state) {
        _cleanup_(hashmap_freep) Hashmap *a = NULL, *b = NULL;
        char keys[64][16];

        assert_int_equal(hashmap_new(&a), 0);
        assert_int_equal(hashmap_new(&b), 0);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                (void) snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
                assert_int_equal(hashmap_put(a, keys[i], keys[i]), 0);
                assert_int_equal(hashmap_put(b, keys[i], keys[i]), 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                assert_ptr_equal(hashmap_get(a, keys[i]), keys[i]);
                assert_ptr_equal(hashmap_get(b, keys[i]), keys[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_put_get_remove),
                cmocka_unit_test(test_keys_by_content),
                cmocka_unit_test(test_remove_value),
                cmocka_unit_test(test_null_table),
                cmocka_unit_test(test_against_reference),
                cmocka_unit_test(test_steal_first),
                cmocka_unit_test(test_two_tables),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
