/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fwctld/plugin.h>

/* The daemon's objects. The plugin ABI's opaque handles are Device (fwctld_device) and
 * RpcExchange (fwctld_rpc, one exchange with the kernel, inside a Call). */
typedef struct Manager Manager;
typedef struct fwctld_device Device;
typedef struct Call Call;
typedef struct fwctld_rpc RpcExchange;
typedef struct Plugin Plugin;
typedef struct Policy Policy;
typedef struct Session Session;
