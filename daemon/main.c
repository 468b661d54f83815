/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "log.h"
#include "manager.h"

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

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = manager_new(FWCTLD_PLUGINDIR, &m);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate manager: %m");
                return EXIT_FAILURE;
        }

        m->deny_dir = strdup(FWCTLD_DENY_DIR);
        m->raw_types_path = strdup(FWCTLD_RAW_TYPES_PATH);
        if (!m->deny_dir || !m->raw_types_path) {
                log_error_errno(ENOMEM, "Failed to allocate manager: %m");
                return EXIT_FAILURE;
        }

        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;

        r = manager_run(m);
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
