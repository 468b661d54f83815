/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --out FILE for rpc and metrics: FILE's directory gets ".NAME.XXXXXX" (no ".prom" suffix:
 * node_exporter reads *.prom only), filled, made 0644, synced and renamed over FILE, so a
 * reader never sees half a file; removed on any failure. It is created before the data
 * exists, so that rpc learns of an unwritable FILE before the call reaches the device. */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "fwctlctl.h"

int write_all(int fd, const void *p, size_t n) {
        const uint8_t *b = p;

        while (n > 0) {
                ssize_t k = write(fd, b, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                b += k;
                n -= (size_t) k;
        }
        return 0;
}

/* What a new file replaces: FILE itself, or for a symlink (/dev/stdout redirected to a
 * file) the file it names, so that the link stays a link. */
static int atomic_file_target(const char *path, bool exists, char **ret) {
        *ret = exists ? realpath(path, NULL) : strdup(path);
        return *ret ? 0 : -errno;
}

int atomic_file_open(AtomicFile *f, const char *path) {
        _cleanup_(freep) char *copy = NULL;
        struct stat st = {};
        bool exists;
        const char *base;
        int r;

        *f = (AtomicFile) { .fd = -EBADF };

        exists = stat(path, &st) >= 0;
        if (!exists && errno != ENOENT)
                return -errno;
        if (exists && S_ISDIR(st.st_mode))
                return -EISDIR;
        /* A pipe or a device (/dev/stdout on a terminal) is written as it is. */
        if (exists && !S_ISREG(st.st_mode)) {
                f->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
                return f->fd < 0 ? -errno : 0;
        }

        r = atomic_file_target(path, exists, &f->path);
        if (r < 0)
                return r;
        copy = strdup(f->path);
        if (!copy)
                return -ENOMEM;
        base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
        if (isempty(base) || streq(base, ".") || streq(base, ".."))
                return -EISDIR;
        if (asprintf(&f->tmp, "%s/.%s.XXXXXX", dirname(copy), base) < 0) {
                f->tmp = NULL;
                return -ENOMEM;
        }
        f->fd = mkostemp(f->tmp, O_CLOEXEC);
        if (f->fd < 0) {
                r = -errno;
                f->tmp = mfree(f->tmp);
                return r;
        }
        if (fchmod(f->fd, 0644) < 0)
                return -errno;
        return 0;
}

int atomic_file_commit(AtomicFile *f, const void *data, size_t size) {
        int r;

        r = write_all(f->fd, data, size);
        if (r < 0)
                return r;
        if (!f->tmp)
                return 0;
        if (fsync(f->fd) < 0)
                return -errno;
        if (rename(f->tmp, f->path) < 0)
                return -errno;
        f->tmp = mfree(f->tmp);
        return 0;
}

void atomic_file_done(AtomicFile *f) {
        f->fd = safe_close(f->fd);
        if (f->tmp)
                (void) unlink(f->tmp);
        f->tmp = mfree(f->tmp);
        f->path = mfree(f->path);
}

int write_atomic(const char *path, const void *data, size_t size) {
        _cleanup_(atomic_file_done) AtomicFile f = { .fd = -EBADF };
        int r;

        r = atomic_file_open(&f, path);
        if (r < 0)
                return r;
        return atomic_file_commit(&f, data, size);
}
