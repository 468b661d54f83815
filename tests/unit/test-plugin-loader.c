/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
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

/* Incremented by the test plugins' constructor (found with dlsym() from the plugin). */
unsigned test_plugin_constructor_runs;

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
        d.abi_version = FWCTLD_PLUGIN_ABI_VERSION + 1;
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
        /* Whatever the umask: only the loader's own checks decide in these tests. */
        assert_int_equal(chmod(path, 0644), 0);
}

/* A private copy of a built plugin with the given mode: the loader refuses build outputs that a
 * umask left group-writable, and a symlink is refused anyway. Returns the copy's path. */
static char *copy_file(const char *src, const char *dir, const char *name, mode_t mode) {
        char buf[65536];
        char *path;
        int in, out;
        ssize_t l;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        in = open(src, O_RDONLY | O_CLOEXEC);
        assert_true(in >= 0);
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(out >= 0);
        while ((l = read(in, buf, sizeof(buf))) > 0)
                assert_int_equal(write(out, buf, l), l);
        assert_int_equal(l, 0);
        assert_int_equal(fchmod(out, mode), 0);
        assert_int_equal(close(out), 0);
        assert_int_equal(close(in), 0);
        return path;
}

static char *copy_plugin(const char *env, const char *dir, const char *name) {
        return copy_file(getenv_required(env), dir, name, 0644);
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

static void test_load_generic(void **state) {
        char *dir = make_temp_dir();
        char *path = copy_plugin("FWCTLD_TEST_GENERIC_PLUGIN", dir, "generic.so");
        Plugin *p = NULL;

        assert_int_equal(plugin_load(path, getuid(), &p), 0);
        assert_non_null(p);
        assert_non_null(p->handle);
        assert_non_null(p->desc);
        /* The file's own path, not the /proc/self/fd name it was mapped through. */
        assert_string_equal(p->path, path);
        assert_string_equal(p->desc->name, "generic");
        assert_int_equal(p->desc->abi_version, FWCTLD_PLUGIN_ABI_VERSION);
        assert_true(p->desc->fallback);
        assert_non_null(p->desc->classify);
        assert_non_null(p->desc->info_to_json);
        assert_null(plugin_free(p));
        assert_null(plugin_free(NULL));

        remove_file(dir, "generic.so");
        assert_int_equal(rmdir(dir), 0);
        free(path);
        free(dir);
}

/* Load the copy of a built test plugin; returns plugin_load()'s result. */
static int load_copy(const char *env, Plugin **ret) {
        char *dir = make_temp_dir();
        char *path = copy_plugin(env, dir, "plugin.so");
        int r;

        r = plugin_load(path, getuid(), ret);
        remove_file(dir, "plugin.so");
        assert_int_equal(rmdir(dir), 0);
        free(path);
        free(dir);
        return r;
}

static void test_load_typed(void **state) {
        Plugin *p = NULL;

        assert_int_equal(load_copy("FWCTLD_TEST_TYPED_PLUGIN", &p), 0);
        assert_string_equal(p->desc->name, "test-typed");
        assert_false(p->desc->fallback);
        plugin_free(p);
}

static void test_load_abi99(void **state) {
        Plugin *p = NULL;

        assert_int_equal(load_copy("FWCTLD_TEST_ABI99_PLUGIN", &p), -EPROTO);
        assert_null(p);
}

static void test_load_no_entry(void **state) {
        Plugin *p = NULL;

        assert_int_equal(load_copy("FWCTLD_TEST_NOSYM_PLUGIN", &p), -ENOENT);
        assert_null(p);
}

static void test_load_not_elf(void **state) {
        char *dir = make_temp_dir();
        char path[PATH_MAX];
        Plugin *p = NULL;

        write_file(dir, "not-elf.so", NOT_ELF);
        assert_true((size_t) snprintf(path, sizeof(path), "%s/not-elf.so", dir) < sizeof(path));
        assert_int_equal(plugin_load(path, getuid(), &p), -ENOEXEC);
        assert_null(p);
        assert_int_equal(plugin_load("/nonexistent/fwctld-test/missing.so", getuid(), &p), -ENOENT);
        assert_null(p);
        remove_file(dir, "not-elf.so");
        assert_int_equal(rmdir(dir), 0);
        free(dir);
}

/* plugin_load() must refuse path before any of its code runs. */
static void check_file_refused(const char *path, uid_t owner, int expected) {
        unsigned runs = test_plugin_constructor_runs;
        Plugin *p = NULL;

        assert_int_equal(plugin_load(path, owner, &p), expected);
        assert_null(p);
        assert_int_equal(test_plugin_constructor_runs, runs);
}

static void test_load_untrusted_file(void **state) {
        static const mode_t unsafe_modes[] = { 0664, 0646, 0666, 0674, 0606, 0775, 0757, 0620 };
        char *dir = make_temp_dir();
        char *path = copy_plugin("FWCTLD_TEST_TYPED_PLUGIN", dir, "typed.so");
        char link[PATH_MAX], sub[PATH_MAX], fifo[PATH_MAX];
        unsigned runs;
        Plugin *p = NULL;

        /* Writable by group or others: anyone in the group could put code into the daemon. */
        for (size_t i = 0; i < ELEMENTSOF(unsafe_modes); i++) {
                assert_int_equal(chmod(path, unsafe_modes[i]), 0);
                check_file_refused(path, getuid(), -EPERM);
        }

        /* Safe mode, but not owned by the required owner (root, in the daemon). */
        assert_int_equal(chmod(path, 0644), 0);
        check_file_refused(path, getuid() + 1, -EPERM);
        check_file_refused(path, getuid() == 0 ? 4242 : 0, -EPERM);

        /* A symlink is not followed, even to an acceptable file; a directory is not a plugin. */
        link_file(path, dir, "link.so");
        assert_true((size_t) snprintf(link, sizeof(link), "%s/link.so", dir) < sizeof(link));
        check_file_refused(link, getuid(), -ELOOP);
        assert_true((size_t) snprintf(sub, sizeof(sub), "%s/sub.so", dir) < sizeof(sub));
        assert_int_equal(mkdir(sub, 0755), 0);
        check_file_refused(sub, getuid(), -EPERM);
        /* Nor is a FIFO, and opening it must not wait for a writer. */
        assert_true((size_t) snprintf(fifo, sizeof(fifo), "%s/fifo.so", dir) < sizeof(fifo));
        assert_int_equal(mkfifo(fifo, 0644), 0);
        check_file_refused(fifo, getuid(), -EPERM);
        assert_int_equal(unlink(fifo), 0);

        /* The same file, owned and not writable by others: loaded, and only now its code ran. */
        runs = test_plugin_constructor_runs;
        assert_int_equal(plugin_load(path, getuid(), &p), 0);
        assert_int_equal(test_plugin_constructor_runs, runs + 1);
        assert_string_equal(p->desc->name, "test-typed");
        plugin_free(p);
        /* Read-only for everyone is fine too. */
        assert_int_equal(chmod(path, 0444), 0);
        assert_int_equal(plugin_load(path, getuid(), &p), 0);
        plugin_free(p);

        assert_int_equal(rmdir(sub), 0);
        remove_file(dir, "link.so");
        remove_file(dir, "typed.so");
        assert_int_equal(rmdir(dir), 0);
        free(path);
        free(dir);
}

static void test_load_untrusted_dir(void **state) {
        static const mode_t unsafe_modes[] = { 0775, 0757, 0777, 0770, 01777 };
        char *dir = make_temp_dir();
        char *path = copy_plugin("FWCTLD_TEST_TYPED_PLUGIN", dir, "10-typed.so");
        Plugin **plugins = NULL;
        size_t n = 99;
        unsigned runs = test_plugin_constructor_runs;

        /* Whoever may add files to the directory may add a plugin: nothing in it is loaded. */
        for (size_t i = 0; i < ELEMENTSOF(unsafe_modes); i++) {
                assert_int_equal(chmod(dir, unsafe_modes[i]), 0);
                assert_int_equal(plugin_load_dir(dir, getuid(), &plugins, &n), -EPERM);
                assert_null(plugins);
                assert_int_equal(n, 99);
        }
        assert_int_equal(chmod(dir, 0755), 0);
        assert_int_equal(plugin_load_dir(dir, getuid() + 1, &plugins, &n), -EPERM);
        assert_null(plugins);
        assert_int_equal(test_plugin_constructor_runs, runs);

        /* Not a directory at all. */
        assert_int_equal(plugin_load_dir(path, getuid(), &plugins, &n), -ENOTDIR);

        assert_int_equal(plugin_load_dir(dir, getuid(), &plugins, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(test_plugin_constructor_runs, runs + 1);
        plugin_array_free(plugins, n);

        remove_file(dir, "10-typed.so");
        assert_int_equal(rmdir(dir), 0);
        free(path);
        free(dir);
}

static const char *basename_of(const char *path) {
        const char *s = strrchr(path, '/');

        return s ? s + 1 : path;
}

static void add_copy(const char *env, const char *dir, const char *name, mode_t mode) {
        free(copy_file(getenv_required(env), dir, name, mode));
}

static void test_load_dir(void **state) {
        static const char *const entries[] = {
                "10-typed.so", "20-generic.so", "30-typed.so", "05-abi99.so", "15-nosym.so",
                "25-not-elf.so", ".00-hidden.so", "40-generic.so.disabled", "README",
                "12-group-writable.so", "35-link.so", "typed.target", "45-other-writable.so",
        };
        char *dir = make_temp_dir(), *target;
        Plugin **plugins = NULL;
        size_t n = 99;
        unsigned runs = test_plugin_constructor_runs;

        /* Created in an order that is neither the sorted one nor its reverse. Every plugin is its own
         * file, so each one loaded is a distinct object, mapped through a distinct fd name. */
        add_copy("FWCTLD_TEST_GENERIC_PLUGIN", dir, "20-generic.so", 0644);
        add_copy("FWCTLD_TEST_ABI99_PLUGIN", dir, "05-abi99.so", 0644);
        add_copy("FWCTLD_TEST_TYPED_PLUGIN", dir, "10-typed.so", 0755);
        add_copy("FWCTLD_TEST_NOSYM_PLUGIN", dir, "15-nosym.so", 0644);
        add_copy("FWCTLD_TEST_TYPED_PLUGIN", dir, "30-typed.so", 0444);
        write_file(dir, "25-not-elf.so", NOT_ELF);
        add_copy("FWCTLD_TEST_GENERIC_PLUGIN", dir, ".00-hidden.so", 0644);
        add_copy("FWCTLD_TEST_GENERIC_PLUGIN", dir, "40-generic.so.disabled", 0644);
        write_file(dir, "README", "not a plugin\n");
        /* Refused without stopping the others, and before their code runs. */
        add_copy("FWCTLD_TEST_TYPED_PLUGIN", dir, "12-group-writable.so", 0664);
        add_copy("FWCTLD_TEST_GENERIC_PLUGIN", dir, "45-other-writable.so", 0646);
        target = copy_file(getenv_required("FWCTLD_TEST_TYPED_PLUGIN"), dir, "typed.target", 0644);
        link_file(target, dir, "35-link.so");

        assert_int_equal(plugin_load_dir(dir, getuid(), &plugins, &n), 0);
        assert_int_equal(n, 3);
        assert_non_null(plugins);
        assert_string_equal(basename_of(plugins[0]->path), "10-typed.so");
        assert_string_equal(plugins[0]->desc->name, "test-typed");
        assert_string_equal(basename_of(plugins[1]->path), "20-generic.so");
        assert_string_equal(plugins[1]->desc->name, "generic");
        assert_string_equal(basename_of(plugins[2]->path), "30-typed.so");
        assert_string_equal(plugins[2]->desc->name, "test-typed");
        assert_ptr_not_equal(plugins[0]->handle, plugins[2]->handle);
        /* 05-abi99, 10-typed, 15-nosym and 30-typed were mapped; the refused files never were. */
        assert_int_equal(test_plugin_constructor_runs, runs + 4);

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
        assert_int_equal(plugin_load_dir(dir, getuid(), &plugins, &n), 0);
        assert_int_equal(n, 0);
        plugin_array_free(plugins, n);

        assert_int_equal(rmdir(dir), 0);
        free(target);
        free(dir);

        assert_int_equal(plugin_load_dir("/nonexistent/fwctld-test", getuid(), &plugins, &n), -ENOENT);
}

/* glibc answers dlopen() of a name it has loaded before with that object: plugins loaded one after
 * the other through the same fd number must still each be their own file. */
static void test_load_fd_names(void **state) {
        char *dir = make_temp_dir();
        char *typed = copy_plugin("FWCTLD_TEST_TYPED_PLUGIN", dir, "typed.so");
        char *generic = copy_plugin("FWCTLD_TEST_GENERIC_PLUGIN", dir, "generic.so");
        Plugin *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(plugin_load(typed, getuid(), &a), 0);
        assert_int_equal(plugin_load(generic, getuid(), &b), 0);
        assert_string_equal(a->desc->name, "test-typed");
        assert_string_equal(b->desc->name, "generic");
        assert_ptr_not_equal(a->handle, b->handle);
        plugin_free(a);
        assert_int_equal(plugin_load(typed, getuid(), &c), 0);
        assert_string_equal(c->desc->name, "test-typed");
        plugin_free(b);
        plugin_free(c);

        remove_file(dir, "typed.so");
        remove_file(dir, "generic.so");
        assert_int_equal(rmdir(dir), 0);
        free(typed);
        free(generic);
        free(dir);
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
                cmocka_unit_test(test_load_untrusted_file),
                cmocka_unit_test(test_load_untrusted_dir),
                cmocka_unit_test(test_load_dir),
                cmocka_unit_test(test_load_fd_names),
                cmocka_unit_test(test_find),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
