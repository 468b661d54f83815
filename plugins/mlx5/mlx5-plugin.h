/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plugin callbacks, declared for the unit tests that call them directly. */

#include <fwctld/plugin.h>

int mlx5_plugin_info_to_json(fwctld_device *device, const void *data, size_t size, char **ret_json);
int mlx5_plugin_classify(fwctld_device *device, const void *request, size_t size, uint32_t scope,
                         fwctld_classification *ret, char **ret_reason);
int mlx5_plugin_decode(fwctld_device *device, fwctld_rpc *rpc, char **ret_reason);
int mlx5_plugin_classify_execute(fwctld_device *device, const fwctld_operation *operation,
                                 const char *parameters_json, fwctld_classification *ret, char **ret_reason);
int mlx5_plugin_execute(fwctld_device *device, const fwctld_operation *operation, const char *parameters_json,
                        char **ret_result_json, char **ret_reason);
