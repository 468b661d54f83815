/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <json-c/json.h>

#include <fwctld/plugin.h>

#include "device.h"
#include "util.h"

typedef struct Fixture {
        void *handle;
        const fwctld_plugin *desc;
        Device *d;
} Fixture;

static int setup(void **state) {
        const char *path = getenv("FWCTLD_TEST_GENERIC_PLUGIN");
        fwctld_plugin_entry_func entry;
        Fixture *f;

        if (!path || !*path) {
                fprintf(stderr, "$FWCTLD_TEST_GENERIC_PLUGIN is not set: run this test through meson\n");
                return -1;
        }
        f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!f->handle) {
                fprintf(stderr, "dlopen('%s'): %s\n", path, dlerror());
                free(f);
                return -1;
        }
        entry = (fwctld_plugin_entry_func) dlsym(f->handle, FWCTLD_PLUGIN_ENTRY_SYMBOL);
        assert_non_null(entry);
        f->desc = entry();
        assert_non_null(f->desc);
        assert_int_equal(device_new(&(DeviceIdentity) {
                                            .syspath = (char *) "/sys/devices/virtual/fwctl/fwctl3",
                                            .name = (char *) "fwctl3",
                                            .devnode = (char *) "/dev/fwctl/fwctl3",
                                    }, NULL, &f->d),
                         0);
        f->d->type = 2;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        device_unref(f->d);
        assert_int_equal(dlclose(f->handle), 0);
        free(f);
        return 0;
}

static void test_descriptor(void **state) {
        Fixture *f = *state;

        assert_int_equal(f->desc->abi_version, FWCTLD_PLUGIN_ABI_VERSION);
        assert_int_equal(f->desc->size, sizeof(fwctld_plugin));
        assert_string_equal(f->desc->name, "generic");
        assert_true(f->desc->fallback);
        assert_null(f->desc->device_types);
        assert_non_null(f->desc->info_to_json);
        assert_non_null(f->desc->classify);
        assert_int_equal(f->desc->n_operations, 0);
        assert_null(f->desc->execute);
        assert_null(f->desc->marshal);
        assert_null(f->desc->decode);
        /* Only the entry point is exported. */
        assert_null(dlsym(f->handle, "generic_classify"));
        assert_null(dlsym(f->handle, "generic_info_to_json"));
}

static json_object *parse_info(Fixture *f, const void *data, size_t size) {
        char *json = NULL;
        json_object *o;

        assert_int_equal(f->desc->info_to_json(f->d, data, size, &json), 0);
        assert_non_null(json);
        o = json_tokener_parse(json);
        if (!o)
                fail_msg("info_to_json returned invalid JSON: %s", json);
        free(json);
        assert_true(json_object_is_type(o, json_type_object));
        return o;
}

static json_object *get(json_object *o, const char *key, json_type type) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("key '%s' missing", key);
        assert_true(json_object_is_type(v, type));
        return v;
}

static void test_info_empty(void **state) {
        Fixture *f = *state;
        json_object *o;

        o = parse_info(f, NULL, 0);
        assert_string_equal(json_object_get_string(get(o, "device_data_hex", json_type_string)), "");
        assert_int_equal(json_object_get_int64(get(o, "device_data_length", json_type_int)), 0);
        assert_false(json_object_get_boolean(get(o, "decoded", json_type_boolean)));
        assert_string_equal(json_object_get_string(get(o, "plugin", json_type_string)), "generic");
        assert_int_equal(json_object_get_int64(get(o, "device_type", json_type_int)), 2);
        assert_string_equal(json_object_get_string(get(o, "device_type_name", json_type_string)), "cxl");
        json_object_put(o);

        /* A non-NULL pointer with size 0 is the same thing. */
        o = parse_info(f, "x", 0);
        assert_string_equal(json_object_get_string(get(o, "device_data_hex", json_type_string)), "");
        json_object_put(o);
}

/* A known type reaches the fallback only when its own plugin is not loaded: Info says which. */
static void test_info_plugin_missing(void **state) {
        static const char *const names[] = { NULL, "mlx5", "cxl", "bnxt", "pds" };
        Fixture *f = *state;

        for (uint32_t type = 0; type <= 9; type++) {
                json_object *o, *v = NULL;

                f->d->type = type;
                o = parse_info(f, NULL, 0);
                if (type >= 1 && type <= 4) {
                        assert_string_equal(json_object_get_string(get(o, "plugin_missing", json_type_string)),
                                            names[type]);
                        assert_string_equal(json_object_get_string(get(o, "device_type_name", json_type_string)),
                                            names[type]);
                } else
                        assert_false(json_object_object_get_ex(o, "plugin_missing", &v));
                json_object_put(o);
        }
}

static void test_info_json_exact(void **state) {
        static const unsigned char data[4] = { 0x0f, 0x00, 0x00, 0x00 };
        Fixture *f = *state;
        char *json = NULL;

        f->d->type = 3;
        assert_int_equal(f->desc->info_to_json(f->d, data, sizeof(data), &json), 0);
        assert_string_equal(json, "{\"plugin\":\"generic\",\"device_type\":3,\"device_type_name\":\"bnxt\","
                                  "\"decoded\":false,\"device_data_length\":4,\"device_data_hex\":\"0f000000\","
                                  "\"plugin_missing\":\"bnxt\"}");
        free(json);
        f->d->type = 8;
        assert_int_equal(f->desc->info_to_json(f->d, data, sizeof(data), &json), 0);
        assert_string_equal(json, "{\"plugin\":\"generic\",\"device_type\":8,\"device_type_name\":\"unknown\","
                                  "\"decoded\":false,\"device_data_length\":4,\"device_data_hex\":\"0f000000\"}");
        free(json);
}

static void test_info_8_bytes(void **state) {
        static const unsigned char data[8] = { 0x00, 0x11, 0x22, 0x9a, 0xbc, 0xde, 0xf0, 0xff };
        Fixture *f = *state;
        json_object *o;

        f->d->type = 77;
        o = parse_info(f, data, sizeof(data));
        assert_string_equal(json_object_get_string(get(o, "device_data_hex", json_type_string)), "0011229abcdef0ff");
        assert_int_equal(json_object_get_int64(get(o, "device_data_length", json_type_int)), 8);
        assert_false(json_object_get_boolean(get(o, "decoded", json_type_boolean)));
        assert_int_equal(json_object_get_int64(get(o, "device_type", json_type_int)), 77);
        assert_string_equal(json_object_get_string(get(o, "device_type_name", json_type_string)), "unknown");
        json_object_put(o);
}

static void test_info_invalid(void **state) {
        Fixture *f = *state;
        char *json = NULL;

        assert_int_equal(f->desc->info_to_json(f->d, NULL, 4, &json), -EINVAL);
        assert_null(json);
        assert_int_equal(f->desc->info_to_json(f->d, "abcd", 4, NULL), -EINVAL);
}

static void test_classify(void **state) {
        static const unsigned char request[] = { 0x01, 0x02, 0x03, 0x04 };
        Fixture *f = *state;

        for (uint32_t scope = 0; scope < _FWCTLD_SCOPE_MAX; scope++) {
                fwctld_classification cls;
                char *reason = NULL;

                memset(&cls, 0x5a, sizeof(cls));
                assert_int_equal(f->desc->classify(f->d, request, sizeof(request), scope, &cls, &reason), 0);
                assert_null(reason);
                assert_int_equal(cls.min_scope, FWCTLD_SCOPE_CONFIGURATION);
                /* Nothing is known about an unknown format: a possible change, so journaled. */
                assert_true(cls.configuration_write);
                /* The kernel judges the caller's scope, and nothing is known about its out buffer. */
                assert_false(cls.scope_exact);
                assert_int_equal(cls.kernel_out_min, 0);
                assert_string_equal(cls.operation, "raw");
        }
}

static void test_classify_empty(void **state) {
        Fixture *f = *state;
        fwctld_classification cls = {};
        char *reason = NULL;

        assert_int_equal(f->desc->classify(f->d, "x", 0, 0, &cls, &reason), -EINVAL);
        assert_non_null(reason);
        assert_true(strlen(reason) > 0);
        assert_non_null(strstr(reason, "empty"));
        free(reason);

        reason = NULL;
        assert_int_equal(f->desc->classify(f->d, NULL, 0, 0, &cls, &reason), -EINVAL);
        assert_non_null(reason);
        free(reason);

        /* A NULL request with a size is not a request either. */
        reason = NULL;
        assert_int_equal(f->desc->classify(f->d, NULL, 8, 0, &cls, &reason), -EINVAL);
        free(reason);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
                cmocka_unit_test_setup_teardown(test_info_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_info_8_bytes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_info_plugin_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_info_json_exact, setup, teardown),
                cmocka_unit_test_setup_teardown(test_info_invalid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_classify_empty, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
