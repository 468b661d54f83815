/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>

#include <fwctld/fwctl-uapi.h>

#include "taint.h"
#include "util.h"

int taint_parse(const char *text, bool *ret_fwctl_tainted) {
        unsigned long long v;
        char *end;

        if (!text)
                return -EINVAL;
        while (isspace((unsigned char) *text))
                text++;
        if (!isdigit((unsigned char) *text))
                return -EINVAL;
        errno = 0;
        v = strtoull(text, &end, 10);
        if (errno != 0)
                return -errno;
        while (isspace((unsigned char) *end))
                end++;
        if (*end != '\0')
                return -EINVAL;
        *ret_fwctl_tainted = (v & FWCTLD_TAINT_FWCTL_MASK) != 0;
        return 0;
}

int taint_read(const char *path, bool *ret_fwctl_tainted) {
        _cleanup_(closep) int fd = -EBADF;
        char buf[64];
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return taint_parse(buf, ret_fwctl_tainted);
}
