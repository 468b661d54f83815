/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "types.h"

/* Manager.GetMetrics(): every counter as one JSON document (docs/dbus-api.md, "Metrics"). */
int bus_metrics_json(Manager *m, char **ret);
