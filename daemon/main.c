/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus-manager.h"
#include "log.h"
#include "manager.h"
#include "names.h"

#if !defined(FWCTLD_PLUGINDIR) || !defined(FWCTLD_DENY_DIR) || !defined(FWCTLD_RAW_TYPES_PATH)
#error "FWCTLD_PLUGINDIR, FWCTLD_DENY_DIR and FWCTLD_RAW_TYPES_PATH must be defined by the build"
#endif

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Broker for Linux fwctl devices on the D-Bus system bus (org.freedesktop.fwctl1).\n\n"
               "  -h --help          Show this help\n"
               "     --version       Show package version\n"
               "     --debug         Log debug messages\n\n"
               "Plugins are loaded from %s; the deny list from %s/*.conf and the\n"
               "device types served raw to non-root callers from %s (reloaded on SIGHUP).\n",
               program_invocation_short_name, FWCTLD_PLUGINDIR, FWCTLD_DENY_DIR, FWCTLD_RAW_TYPES_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_DEBUG };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "debug", no_argument, NULL, ARG_DEBUG },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("fwctld %s\n", FWCTLD_VERSION);
                        return 0;
                case ARG_DEBUG:
                        log_set_max_level(LOG_DEBUG);
                        break;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                log_error("%s takes no arguments.", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

/* FWCTLD_SESSION_IDLE_SEC / FWCTLD_SESSION_MAX_SEC (a unit drop-in's Environment=): 0 if unset. */
static uint64_t env_seconds(const char *name) {
        const char *v = getenv(name);
        unsigned long long n;
        char *end;

        if (isempty(v))
                return 0;
        errno = 0;
        n = strtoull(v, &end, 10);
        if (errno != 0 || *end != '\0' || n == 0 || n > 24ULL * 3600ULL) {
                log_warning("Ignoring %s=%s: not a number of seconds between 1 and 86400.", name, v);
                return 0;
        }
        return n * 1000000ULL;
}

static int run(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(bus_manager_freep) BusContext *b = NULL;
        sigset_t mask;
        int r;

        r = sd_event_default(&e);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");
        r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        (void) sd_event_set_watchdog(e, true);

        r = manager_new(e, &(ManagerConfig) {
                                .plugin_dir = FWCTLD_PLUGINDIR,
                                .deny_dir = FWCTLD_DENY_DIR,
                                .raw_types_path = FWCTLD_RAW_TYPES_PATH,
                                .tainted_path = FWCTLD_TAINTED_PATH,
                                .session_idle_usec = env_seconds("FWCTLD_SESSION_IDLE_SEC"),
                                .session_max_usec = env_seconds("FWCTLD_SESSION_MAX_SEC"),
                        }, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate manager: %m");
        r = bus_manager_new(m, e, &b);
        if (r < 0)
                return r;
        r = manager_start(m);
        if (r < 0)
                return r;

        r = sd_event_loop(e);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        /* Every call is answered while the bus is still there; then the bus goes. */
        manager_stop(m);
        return 0;
}

int main(int argc, char *argv[]) {
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        return run() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
