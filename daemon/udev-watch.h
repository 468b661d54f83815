/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libudev.h>

#include "types.h"

/* Enumerate fwctl devices (coldplug) and watch add/remove (hotplug). */
int udev_watch_start(Manager *m);

/* The fwctl driver serving a parent: its "<drv>.fwctl.N" auxiliary child's driver, else the parent's. */
char *udev_find_fwctl_driver(struct udev_device *parent);
