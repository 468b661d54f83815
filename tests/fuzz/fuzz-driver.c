/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays corpus files and directories through LLVMFuzzerTestOneInput() where libFuzzer
 * is not available (gcc): "fuzz-x corpus/x -runs=0" works with either. Options
 * (arguments starting with '-') are ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(int dir_fd, const char *path) {
        struct stat st;
        uint8_t *buf;
        ssize_t n;
        int fd;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        n = read(fd, buf, (size_t) st.st_size);
        close(fd);
        if (n < 0) {
                free(buf);
                return -errno;
        }
        (void) LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
        return 1;
}

static int run_path(const char *path) {
        struct dirent *de;
        int r, n = 0;
        DIR *d;

        d = opendir(path);
        if (!d)
                return errno == ENOTDIR ? run_file(AT_FDCWD, path) : -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                r = run_file(dirfd(d), de->d_name);
                if (r < 0) {
                        closedir(d);
                        return r;
                }
                n += r;
        }
        closedir(d);
        return n;
}

int main(int argc, char *argv[]) {
        int r, n = 0;

        for (int i = 1; i < argc; i++) {
                if (argv[i][0] == '-')
                        continue;
                r = run_path(argv[i]);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return EXIT_FAILURE;
                }
                n += r;
        }
        printf("Replayed %d inputs.\n", n);
        return EXIT_SUCCESS;
}
