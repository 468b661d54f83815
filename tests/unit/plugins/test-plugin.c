/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <fwctld/plugin.h>

#define EXPORT __attribute__((visibility("default")))

#ifndef TEST_PLUGIN_ABI_VERSION
#define TEST_PLUGIN_ABI_VERSION FWCTLD_PLUGIN_ABI_VERSION
#endif

static int test_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json) {
        *ret_json = strdup("{\"plugin\":\"test-typed\"}");
        return *ret_json ? 0 : -ENOMEM;
}

static int test_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason) {
        memset(ret, 0, sizeof(*ret));
        return 0;
}

/* Serves mlx5 (1) and pds (4). */
static const uint32_t test_device_types[] = { 1, 4, FWCTLD_DEVICE_TYPE_END };

static const fwctld_plugin test_plugin = {
        .abi_version = TEST_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "test-typed",
        .device_types = test_device_types,
        .fallback = false,
        .info_to_json = test_info_to_json,
        .classify = test_classify,
};

/* Code that runs as soon as the file is mapped: the loader's test counts these runs to prove that a
 * refused file never got that far. The counter lives in the test executable, if it has one. */
__attribute__((constructor)) static void test_plugin_constructor(void) {
        unsigned *runs = dlsym(RTLD_DEFAULT, "test_plugin_constructor_runs");

        if (runs)
                (*runs)++;
}

#ifdef TEST_PLUGIN_NO_ENTRY
EXPORT const fwctld_plugin *fwctld_plugin_entry_v0(void);
EXPORT const fwctld_plugin *fwctld_plugin_entry_v0(void) {
        return &test_plugin;
}
#else
EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &test_plugin;
}
#endif
