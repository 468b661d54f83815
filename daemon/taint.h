/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Parse /proc/sys/kernel/tainted contents: is TAINT_FWCTL (bit 19) set? */
int taint_parse(const char *text, bool *ret_fwctl_tainted);
int taint_read(const char *path, bool *ret_fwctl_tainted);
