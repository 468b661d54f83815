/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sys/stat.h>

#include <fwctld/plugin.h>

#include "plugin-loader.h"
#include "util.h"

static int stub_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        return -EIO;
}

static int stub_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        return -EIO;
}

static int stub_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                        char **ret_result_json, char **ret_reason) {
        return -EIO;
}

static const uint32_t types_mlx5_cxl[] = { 1, 2, FWCTLD_DEVICE_TYPE_END };
static const uint32_t types_pds[] = { 4, FWCTLD_DEVICE_TYPE_END };
static const fwctld_operation one_operation[] = { { "op", "an operation", 0 } };

static fwctld_plugin valid_desc(void) {
        return (fwctld_plugin) {
                .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
                .size = sizeof(fwctld_plugin),
                .name = "valid",
                .device_types = types_mlx5_cxl,
                .info_to_json = stub_info_to_json,
                .classify = stub_classify,
        };
}

static const char *getenv_required(const char *name) {
        const char *v = getenv(name);

        if (!v || !*v)
                fail_msg("$%s is not set: run this test through meson", name);
        return v;
}

static void check_refused(const fwctld_plugin *desc, int expected, const char *reason_part) {
        char *reason = NULL;

        assert_int_equal(plugin_descriptor_check(desc, &reason), expected);
        assert_non_null(reason);
        if (reason_part && !strstr(reason, reason_part))
                fail_msg("reason '%s' does not contain '%s'", reason, reason_part);
        free(reason);
}

static void test_descriptor_valid(void **state) {
        fwctld_plugin d = valid_desc();
        char *reason = NULL;

        assert_int_equal(plugin_descriptor_check(&d, &reason), 0);
        assert_null(reason);
        assert_int_equal(plugin_descriptor_check(&d, NULL), 0);

        /* A fallback needs no type list; operations with execute are fine. */
        d.device_types = NULL;
        d.fallback = true;
        d.operations = one_operation;
        d.n_operations = 1;
        d.execute = stub_execute;
        assert_int_equal(plugin_descriptor_check(&d, NULL), 0);
}

static void test_descriptor_abi_version(void **state) {
        fwctld_plugin d = valid_desc();

        d.abi_version = 99;
        check_refused(&d, -EPROTO, "ABI");
        d.abi_version = 0;
        check_refused(&d, -EPROTO, "ABI");
        /* Even a descriptor broken in other ways is an ABI problem first. */
        d.abi_version = 2;
        d.size = 8;
        d.name = NULL;
        check_refused(&d, -EPROTO, "ABI");
        assert_int_equal(plugin_descriptor_check(&d, NULL), -EPROTO);
}

static void test_descriptor_size(void **state) {
        fwctld_plugin d = valid_desc();

        d.size = sizeof(fwctld_plugin) - 8;
        check_refused(&d, -EINVAL, "size");
        d.size = sizeof(fwctld_plugin) + 8;
        check_refused(&d, -EINVAL, "size");
}

static void test_descriptor_name(void **state) {
        fwctld_plugin d = valid_desc();

        d.name = NULL;
        check_refused(&d, -EINVAL, "name");
        d.name = "";
        check_refused(&d, -EINVAL, "name");
}

static void test_descriptor_hooks(void **state) {
        fwctld_plugin d = valid_desc();

        d.classify = NULL;
        check_refused(&d, -EINVAL, "classify");
        d = valid_desc();
        d.info_to_json = NULL;
        check_refused(&d, -EINVAL, "info_to_json");

        d = valid_desc();
        d.operations = one_operation;
        d.n_operations = 1;
        check_refused(&d, -EINVAL, "execute");
        d.execute = stub_execute;
        d.operations = NULL;
        check_refused(&d, -EINVAL, NULL);

        d = valid_desc();
        d.device_types = NULL;
        d.fallback = false;
        check_refused(&d, -EINVAL, "device type");

        assert_int_equal(plugin_descriptor_check(NULL, NULL), -EINVAL);
}

static void test_load_generic(void **state) {
        Plugin *p = NULL;
        const char *path = getenv_required("FWCTLD_TEST_GENERIC_PLUGIN");

        assert_int_equal(plugin_load(path, &p), 0);
        assert_non_null(p);
        assert_non_null(p->handle);
        assert_non_null(p->desc);
        assert_string_equal(p->path, path);
        assert_string_equal(p->desc->name, "generic");
        assert_int_equal(p->desc->abi_version, FWCTLD_PLUGIN_ABI_VERSION);
        assert_true(p->desc->fallback);
        assert_non_null(p->desc->classify);
        assert_non_null(p->desc->info_to_json);
        assert_null(plugin_free(p));
        assert_null(plugin_free(NULL));
}

static void test_load_typed(void **state) {
        Plugin *p = NULL;

        assert_int_equal(plugin_load(getenv_required("FWCTLD_TEST_TYPED_PLUGIN"), &p), 0);
        assert_string_equal(p->desc->name, "test-typed");
        assert_false(p->desc->fallback);
        plugin_free(p);
}

static void test_load_abi99(void **state) {
        Plugin *p = NULL;

        assert_int_equal(plugin_load(getenv_required("FWCTLD_TEST_ABI99_PLUGIN"), &p), -EPROTO);
        assert_null(p);
}

static void test_load_no_entry(void **state) {
        Plugin *p = NULL;

        assert_int_equal(plugin_load(getenv_required("FWCTLD_TEST_NOSYM_PLUGIN"), &p), -ENOENT);
        assert_null(p);
}

/* Longer than an ELF header, so dlopen() reads it and finds no ELF magic. */
#define NOT_ELF                                                                  \
        "#!/bin/sh\n"                                                            \
        "# This is a shell script, not a shared object, whatever its name says.\n" \
        "exit 0\n"

static char *make_temp_dir(void) {
        const char *tmp = getenv("TMPDIR");
        char *path;

        assert_true(asprintf(&path, "%s/test-plugin-loader.XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
        assert_non_null(mkdtemp(path));
        return path;
}

static void write_file(const char *dir, const char *name, const char *contents) {
        char path[PATH_MAX];
        FILE *f;

        assert_true((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(contents, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void link_file(const char *target, const char *dir, const char *name) {
        char path[PATH_MAX];

        assert_true((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
        assert_int_equal(symlink(target, path), 0);
}

static void remove_file(const char *dir, const char *name) {
        char path[PATH_MAX];

        assert_true((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
        assert_int_equal(unlink(path), 0);
}

static void test_load_not_elf(void **state) {
        char *dir = make_temp_dir();
        char path[PATH_MAX];
        Plugin *p = NULL;

        write_file(dir, "not-elf.so", NOT_ELF);
        assert_true((size_t) snprintf(path, sizeof(path), "%s/not-elf.so", dir) < sizeof(path));
        assert_int_equal(plugin_load(path, &p), -ENOEXEC);
        assert_null(p);
        assert_true(plugin_load("/nonexistent/fwctld-test/missing.so", &p) < 0);
        assert_null(p);
        remove_file(dir, "not-elf.so");
        assert_int_equal(rmdir(dir), 0);
        free(dir);
}

static const char *basename_of(const char *path) {
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

static void test_load_dir(void **state) {
        static const char *const entries[] = {
                "10-typed.so", "20-generic.so", "30-typed.so", "05-abi99.so", "15-nosym.so",
                "25-not-elf.so", ".00-hidden.so", "40-generic.so.disabled", "README",
        };
        char *dir = make_temp_dir();
        Plugin **plugins = NULL;
        size_t n = 99;

        /* Created in an order that is neither the sorted one nor its reverse. */
        link_file(getenv_required("FWCTLD_TEST_GENERIC_PLUGIN"), dir, "20-generic.so");
        link_file(getenv_required("FWCTLD_TEST_ABI99_PLUGIN"), dir, "05-abi99.so");
        link_file(getenv_required("FWCTLD_TEST_TYPED_PLUGIN"), dir, "10-typed.so");
        link_file(getenv_required("FWCTLD_TEST_NOSYM_PLUGIN"), dir, "15-nosym.so");
        link_file(getenv_required("FWCTLD_TEST_TYPED_PLUGIN"), dir, "30-typed.so");
        write_file(dir, "25-not-elf.so", NOT_ELF);
        link_file(getenv_required("FWCTLD_TEST_GENERIC_PLUGIN"), dir, ".00-hidden.so");
        link_file(getenv_required("FWCTLD_TEST_GENERIC_PLUGIN"), dir, "40-generic.so.disabled");
        write_file(dir, "README", "not a plugin\n");

        assert_int_equal(plugin_load_dir(dir, &plugins, &n), 0);
        assert_int_equal(n, 3);
        assert_non_null(plugins);
        assert_string_equal(basename_of(plugins[0]->path), "10-typed.so");
        assert_string_equal(plugins[0]->desc->name, "test-typed");
        assert_string_equal(basename_of(plugins[1]->path), "20-generic.so");
        assert_string_equal(plugins[1]->desc->name, "generic");
        assert_string_equal(basename_of(plugins[2]->path), "30-typed.so");
        assert_string_equal(plugins[2]->desc->name, "test-typed");

        /* The first (by name) plugin that claims a type; the fallback for the rest. */
        assert_ptr_equal(plugin_find(plugins, n, 1), plugins[0]);
        assert_ptr_equal(plugin_find(plugins, n, 4), plugins[0]);
        assert_ptr_equal(plugin_find(plugins, n, 2), plugins[1]);
        plugin_array_free(plugins, n);

        for (size_t i = 0; i < ELEMENTSOF(entries); i++)
                remove_file(dir, entries[i]);

        /* Empty directory: success, nothing loaded. */
        plugins = NULL;
        n = 99;
        assert_int_equal(plugin_load_dir(dir, &plugins, &n), 0);
        assert_int_equal(n, 0);
        plugin_array_free(plugins, n);

        assert_int_equal(rmdir(dir), 0);
        free(dir);

        assert_int_equal(plugin_load_dir("/nonexistent/fwctld-test", &plugins, &n), -ENOENT);
}

static void test_find(void **state) {
        const fwctld_plugin d_fallback = {
                .abi_version = FWCTLD_PLUGIN_ABI_VERSION, .size = sizeof(fwctld_plugin), .name = "generic",
                .fallback = true, .info_to_json = stub_info_to_json, .classify = stub_classify,
        };
        const fwctld_plugin d_second_fallback = {
                .abi_version = FWCTLD_PLUGIN_ABI_VERSION, .size = sizeof(fwctld_plugin), .name = "generic2",
                .fallback = true, .info_to_json = stub_info_to_json, .classify = stub_classify,
        };
        const fwctld_plugin d_mlx5 = {
                .abi_version = FWCTLD_PLUGIN_ABI_VERSION, .size = sizeof(fwctld_plugin), .name = "mlx5",
                .device_types = types_mlx5_cxl, .info_to_json = stub_info_to_json, .classify = stub_classify,
        };
        const fwctld_plugin d_pds = {
                .abi_version = FWCTLD_PLUGIN_ABI_VERSION, .size = sizeof(fwctld_plugin), .name = "pds",
                .device_types = types_pds, .info_to_json = stub_info_to_json, .classify = stub_classify,
        };
        Plugin fallback = { .desc = &d_fallback }, fallback2 = { .desc = &d_second_fallback };
        Plugin mlx5 = { .desc = &d_mlx5 }, pds = { .desc = &d_pds };

        /* The fallback sorts first; a plugin that lists the type still wins. */
        Plugin *const all[] = { &fallback, &mlx5, &pds };
        assert_ptr_equal(plugin_find(all, 3, 1), &mlx5);
        assert_ptr_equal(plugin_find(all, 3, 2), &mlx5);
        assert_ptr_equal(plugin_find(all, 3, 4), &pds);
        assert_ptr_equal(plugin_find(all, 3, 3), &fallback);
        assert_ptr_equal(plugin_find(all, 3, 0), &fallback);
        assert_ptr_equal(plugin_find(all, 3, 99), &fallback);
        /* The terminator is not a device type. */
        assert_ptr_equal(plugin_find(all, 3, FWCTLD_DEVICE_TYPE_END), &fallback);

        /* The first fallback, when more than one claims to be it. */
        Plugin *const two_fallbacks[] = { &mlx5, &fallback2, &fallback };
        assert_ptr_equal(plugin_find(two_fallbacks, 3, 3), &fallback2);
        assert_ptr_equal(plugin_find(two_fallbacks, 3, 1), &mlx5);

        Plugin *const no_fallback[] = { &mlx5, &pds };
        assert_ptr_equal(plugin_find(no_fallback, 2, 4), &pds);
        assert_null(plugin_find(no_fallback, 2, 3));
        assert_null(plugin_find(no_fallback, 2, FWCTLD_DEVICE_TYPE_END));

        assert_null(plugin_find(NULL, 0, 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_descriptor_valid),
                cmocka_unit_test(test_descriptor_abi_version),
                cmocka_unit_test(test_descriptor_size),
                cmocka_unit_test(test_descriptor_name),
                cmocka_unit_test(test_descriptor_hooks),
                cmocka_unit_test(test_load_generic),
                cmocka_unit_test(test_load_typed),
                cmocka_unit_test(test_load_abi99),
                cmocka_unit_test(test_load_no_entry),
                cmocka_unit_test(test_load_not_elf),
                cmocka_unit_test(test_load_dir),
                cmocka_unit_test(test_find),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
