/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The names of the kernel's fwctl device types (FWCTL_INFO's out_device_type). */

/* "mlx5", "cxl", "bnxt", "pds"; "unknown" for any other number. */
const char *device_type_to_string(uint32_t type);
/* A type with a plugin in this tree (mlx5, cxl, bnxt, pds): never served raw. */
bool device_type_is_known(uint32_t type);
/* A name device_type_to_string() gives: what a deny rule may name (besides "*"). */
bool device_type_name_is_valid(const char *name);
