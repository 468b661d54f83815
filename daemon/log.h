/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <syslog.h>

#include "util.h"

void log_set_max_level(int level);
int log_get_max_level(void);

/* Logs and returns -|error| (or 0 when error is 0), so "return log_..._errno(r, ...)" works. */
int log_internal(int level, int error, const char *device, const char *file, int line,
                 const char *func, const char *format, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...) \
        log_internal(level, error, NULL, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_device_full_errno(dev_name, level, error, ...) \
        log_internal(level, error, dev_name, __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug(...) (void) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_device_debug(d, ...) (void) log_device_full_errno(d, LOG_DEBUG, 0, __VA_ARGS__)
#define log_device_info(d, ...) (void) log_device_full_errno(d, LOG_INFO, 0, __VA_ARGS__)
#define log_device_warning(d, ...) (void) log_device_full_errno(d, LOG_WARNING, 0, __VA_ARGS__)
#define log_device_error(d, ...) (void) log_device_full_errno(d, LOG_ERR, 0, __VA_ARGS__)
#define log_device_warning_errno(d, e, ...) log_device_full_errno(d, LOG_WARNING, e, __VA_ARGS__)
#define log_device_error_errno(d, e, ...) log_device_full_errno(d, LOG_ERR, e, __VA_ARGS__)
