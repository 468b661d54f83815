/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

const char *errno_name(int err) {
        static const struct {
                int err;
                const char *name;
        } table[] = {
                { EPERM, "EPERM" },     { ENOENT, "ENOENT" },   { EINTR, "EINTR" },
                { EIO, "EIO" },         { ENXIO, "ENXIO" },     { E2BIG, "E2BIG" },
                { EBADF, "EBADF" },     { EAGAIN, "EAGAIN" },   { ENOMEM, "ENOMEM" },
                { EACCES, "EACCES" },   { EFAULT, "EFAULT" },   { EBUSY, "EBUSY" },
                { ENODEV, "ENODEV" },   { EINVAL, "EINVAL" },   { ENOTTY, "ENOTTY" },
                { ENOSPC, "ENOSPC" },   { ERANGE, "ERANGE" },   { ENOSYS, "ENOSYS" },
                { EBADMSG, "EBADMSG" }, { EMSGSIZE, "EMSGSIZE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
                { ETIMEDOUT, "ETIMEDOUT" }, { ECANCELED, "ECANCELED" }, { EPROTO, "EPROTO" },
                { ENODATA, "ENODATA" }, { EOVERFLOW, "EOVERFLOW" }, { ENOTCONN, "ENOTCONN" },
                { EMFILE, "EMFILE" },   { ENFILE, "ENFILE" },   { ESHUTDOWN, "ESHUTDOWN" },
        };

        if (err < 0)
                err = -err;
        if (err == 0)
                return "ok";
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (table[i].err == err)
                        return table[i].name;
        return "EUNKNOWN";
}

int hexdump_to_string(const void *data, size_t size, char **ret) {
        static const char digits[] = "0123456789abcdef";
        const unsigned char *p = data;
        char *s;

        s = malloc(size * 2 + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < size; i++) {
                s[i * 2] = digits[p[i] >> 4];
                s[i * 2 + 1] = digits[p[i] & 0xf];
        }
        s[size * 2] = '\0';
        *ret = s;
        return 0;
}
