/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fwctld/plugin.h>

/* The daemon's objects; the plugin ABI's opaque handles are these structs. */
typedef struct Manager Manager;
typedef struct fwctld_device Device;
typedef struct fwctld_rpc Call;
typedef struct Plugin Plugin;
typedef struct Worker Worker;
typedef struct Job Job;
