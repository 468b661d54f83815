/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include <fwctld/fwctl-uapi.h>
#include <fwctld/plugin.h>

#include "fwctl-ioctl.h"
#include "util.h"

static int open_regular_file(void) {
        const char *tmp = getenv("TMPDIR");
        char *path;
        int fd;

        assert_true(asprintf(&path, "%s/test-fwctl-ioctl.XXXXXX", tmp && *tmp ? tmp : "/tmp") > 0);
        fd = mkostemp(path, O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(unlink(path), 0);
        free(path);
        return fd;
}

static void test_rpc_bad_fd(void **state) {
        unsigned char in[8] = { 1 }, out[8];
        size_t len = 12345;

        assert_int_equal(fwctl_ioctl_rpc(-1, 0, in, sizeof(in), out, sizeof(out), &len), -EINVAL);
        assert_int_equal(fwctl_ioctl_rpc(-EBADF, 0, in, sizeof(in), out, sizeof(out), &len), -EINVAL);
        assert_int_equal(len, 12345);
}

static void test_rpc_too_large(void **state) {
        unsigned char in[8] = { 1 }, out[8];
        size_t len = 12345;
        int fd = open_regular_file();

        /* Checked before the ioctl: the buffers are never read at these sizes. */
        assert_int_equal(fwctl_ioctl_rpc(fd, 0, in, FWCTLD_MAX_RPC_LEN + 1, out, sizeof(out), &len), -EMSGSIZE);
        assert_int_equal(fwctl_ioctl_rpc(fd, 0, in, sizeof(in), out, FWCTLD_MAX_RPC_LEN + 1, &len), -EMSGSIZE);
        assert_int_equal(fwctl_ioctl_rpc(fd, 0, in, 2097153, out, 2097153, &len), -EMSGSIZE);
        /* Would wrap to a small uint32_t if it were truncated first. */
        assert_int_equal(fwctl_ioctl_rpc(fd, 0, in, (size_t) UINT32_MAX + 9, out, sizeof(out), &len), -EMSGSIZE);
        assert_int_equal(len, 12345);
        close(fd);
}

static void test_rpc_bad_scope(void **state) {
        unsigned char in[8] = { 1 }, out[8];
        size_t len = 12345;
        int fd = open_regular_file();

        assert_int_equal(fwctl_ioctl_rpc(fd, 4, in, sizeof(in), out, sizeof(out), &len), -EOPNOTSUPP);
        assert_int_equal(fwctl_ioctl_rpc(fd, UINT32_MAX, in, sizeof(in), out, sizeof(out), &len), -EOPNOTSUPP);
        assert_int_equal(len, 12345);
        close(fd);
}

static void test_rpc_regular_file(void **state) {
        unsigned char in[8] = { 1 }, out[8];
        size_t len = 12345;
        int fd = open_regular_file();

        /* Every valid scope and the size limits themselves get as far as the ioctl. */
        for (uint32_t scope = 0; scope < _FWCTLD_SCOPE_MAX; scope++)
                assert_int_equal(fwctl_ioctl_rpc(fd, scope, in, sizeof(in), out, sizeof(out), &len), -ENOTTY);
        assert_int_equal(fwctl_ioctl_rpc(fd, 0, in, FWCTLD_MAX_RPC_LEN, out, FWCTLD_MAX_RPC_LEN, &len), -ENOTTY);
        assert_int_equal(len, 12345);
        close(fd);
}

static void test_info_bad_args(void **state) {
        uint32_t type = 77;
        void *data = NULL;
        size_t size = 99;

        assert_int_equal(fwctl_ioctl_info(-1, &type, &data, &size), -EINVAL);
        assert_int_equal(type, 77);
        assert_null(data);
        assert_int_equal(size, 99);
}

static void test_info_regular_file(void **state) {
        uint32_t type = 77;
        void *data = NULL;
        size_t size = 99;
        int fd = open_regular_file();

        assert_int_equal(fwctl_ioctl_info(fd, &type, &data, &size), -ENOTTY);
        assert_int_equal(type, 77);
        assert_null(data);
        assert_int_equal(size, 99);
        close(fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rpc_bad_fd),
                cmocka_unit_test(test_rpc_too_large),
                cmocka_unit_test(test_rpc_bad_scope),
                cmocka_unit_test(test_rpc_regular_file),
                cmocka_unit_test(test_info_bad_args),
                cmocka_unit_test(test_info_regular_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
