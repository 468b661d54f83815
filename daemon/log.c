/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* Journal when journald listens, stderr otherwise (and always when on a terminal). */
static bool journal_available(void) {
        static int cached = -1;
        struct stat st;

        if (cached < 0)
                cached = stat("/run/systemd/journal/socket", &st) >= 0 && S_ISSOCK(st.st_mode);
        return cached;
}

int log_internal(int level, int error, const char *device, const char *file, int line,
                 const char *func, const char *format, ...) {
        char buf[2048];
        char code_line[32];
        va_list ap;
        int saved = errno;

        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        /* %m means the error passed in, not whatever errno happens to be. */
        errno = error;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        (void) snprintf(code_line, sizeof(code_line), "%d", line);

        if (journal_available()) {
                if (device)
                        (void) sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%i", level,
                                               "CODE_FILE=%s", file, "CODE_LINE=%s", code_line,
                                               "CODE_FUNC=%s", func, "FWCTL_DEVICE=%s", device,
                                               "ERRNO=%i", error, NULL);
                else
                        (void) sd_journal_send("MESSAGE=%s", buf, "PRIORITY=%i", level,
                                               "CODE_FILE=%s", file, "CODE_LINE=%s", code_line,
                                               "CODE_FUNC=%s", func, "ERRNO=%i", error, NULL);
        }
        if (!journal_available() || isatty(STDERR_FILENO)) {
                if (device)
                        fprintf(stderr, "%s: %s\n", device, buf);
                else
                        fprintf(stderr, "%s\n", buf);
        }

        errno = saved;
        return -error;
}
