/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "private-bus.h"

static const char bus_config[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <type>session</type>\n"
        "  <listen>unix:path=%s/bus</listen>\n"
        "  <auth>EXTERNAL</auth>\n"
        "  <policy context=\"default\">\n"
        "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
        "    <allow eavesdrop=\"true\"/>\n"
        "    <allow own=\"*\"/>\n"
        "  </policy>\n"
        "</busconfig>\n";

int private_bus_start(PrivateBus *pb, const char *name) {
        char config[320], fdarg[32];
        int pipefd[2];
        struct pollfd pfd;
        pid_t parent;
        ssize_t n;
        FILE *f;

        *pb = (PrivateBus) { .daemon = -1 };
        snprintf(pb->dir, sizeof(pb->dir), "%s/%s.XXXXXX", getenv("TMPDIR") ?: "/tmp", name);
        if (!mkdtemp(pb->dir)) {
                pb->dir[0] = '\0';
                return -errno;
        }
        snprintf(config, sizeof(config), "%s/bus.conf", pb->dir);
        f = fopen(config, "we");
        if (!f)
                return -errno;
        fprintf(f, bus_config, pb->dir);
        fclose(f);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        parent = getpid();
        pb->daemon = fork();
        if (pb->daemon < 0)
                return -errno;
        if (pb->daemon == 0) {
                int fd = dup(pipefd[1]); /* without O_CLOEXEC: the daemon writes to it */

                /* A test that crashes must not leave the bus (and the test runner's pipes) behind. */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(1);
                snprintf(fdarg, sizeof(fdarg), "--print-address=%d", fd);
                snprintf(config, sizeof(config), "--config-file=%s/bus.conf", pb->dir);
                execlp("dbus-daemon", "dbus-daemon", config, "--nofork", "--nopidfile", fdarg, NULL);
                _exit(127);
        }
        close(pipefd[1]);

        pfd = (struct pollfd) { .fd = pipefd[0], .events = POLLIN };
        n = poll(&pfd, 1, 10000) == 1 ? read(pipefd[0], pb->address, sizeof(pb->address) - 1) : -1;
        close(pipefd[0]);
        if (n <= 0)
                return -ENOENT; /* no dbus-daemon, or it failed to start */
        pb->address[strcspn(pb->address, "\n")] = '\0';
        return 0;
}

void private_bus_stop(PrivateBus *pb) {
        char path[320];

        if (pb->daemon > 0) {
                kill(pb->daemon, SIGTERM);
                waitpid(pb->daemon, NULL, 0);
                pb->daemon = -1;
        }
        if (pb->dir[0] == '\0')
                return;
        snprintf(path, sizeof(path), "%s/bus.conf", pb->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/bus", pb->dir);
        unlink(path);
        rmdir(pb->dir);
}

sd_bus *private_bus_connect(const PrivateBus *pb, sd_event *event) {
        sd_bus *b = NULL;

        assert_true(sd_bus_new(&b) >= 0);
        assert_true(sd_bus_set_address(b, pb->address) >= 0);
        assert_true(sd_bus_set_bus_client(b, 1) >= 0);
        assert_true(sd_bus_start(b) >= 0);
        if (event)
                assert_true(sd_bus_attach_event(b, event, 0) >= 0);
        return b;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

uint64_t private_bus_run_until(sd_event *event, const unsigned *counter, unsigned target) {
        uint64_t start = now_usec();

        while (*counter < target) {
                assert_true(now_usec() - start < 10 * 1000000u);
                assert_true(sd_event_run(event, 100 * 1000) >= 0);
        }
        return now_usec() - start;
}

int private_bus_run_group(PrivateBus *pb, const char *name, const struct CMUnitTest *tests, size_t n_tests,
                          int (*group_setup)(void **state), int (*group_teardown)(void **state)) {
        int r;

        r = private_bus_start(pb, name);
        if (r < 0) {
                fprintf(stderr, "%s: cannot start a private dbus-daemon (%s), skipping\n", name, strerror(-r));
                private_bus_stop(pb);
                return 77;
        }
        r = _cmocka_run_group_tests(name, tests, n_tests, group_setup, group_teardown);
        private_bus_stop(pb);
        return r;
}
