/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared set-up of the plugin fuzzers: one Manager and one READY Device served by the
 * plugin compiled into the fuzzer, and a fake kernel (fwctl_ioctl_rpc is --wrap'ed)
 * that answers every FWCTL_RPC from the fuzz input, so firmware replies are as
 * untrusted as the caller's request.
 */

#include <fwctld/plugin.h>

#include "call.h"
#include "device.h"
#include "fuzz-util.h"

typedef struct FuzzPlugin {
        Device *device;
        const fwctld_plugin *plugin;
} FuzzPlugin;

/* Set up once per process. */
FuzzPlugin *fuzz_plugin_get(void);

/* The byte stream the fake kernel answers from (NULL: every ioctl fails with EIO). */
void fuzz_firmware_set(FuzzData *f);
unsigned fuzz_firmware_ioctls(void);

/* attach() (reading its replies from the fake kernel) and detach(), leak-free. */
void fuzz_plugin_attach(FuzzPlugin *fp);
void fuzz_plugin_detach(FuzzPlugin *fp);

/* The checks the daemon relies on after a call ran (reply within max_response, etc.). */
void fuzz_check_call(const Call *c);
