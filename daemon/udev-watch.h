/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <libudev.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "device-identity.h"

/* Watches the fwctl subsystem (hotplug) and enumerates it (coldplug); reports, never decides. */

typedef struct UdevWatch UdevWatch;

typedef enum UdevAction {
        UDEV_ACTION_ADD,    /* add, change, bind: a device to serve */
        UDEV_ACTION_REMOVE,
        _UDEV_ACTION_MAX,
        _UDEV_ACTION_INVALID = -EINVAL,
} UdevAction;

/* REMOVE carries only syspath and name. coldplug: from udev_watch_enumerate(). */
typedef void (*UdevWatchCallback)(UdevAction action, const DeviceIdentity *id, bool coldplug, void *userdata);

/* Starts listening at once, so that nothing added before the enumeration is missed. */
int udev_watch_new(sd_event *e, UdevWatchCallback callback, void *userdata, UdevWatch **ret);
UdevWatch *udev_watch_free(UdevWatch *w);
/* Report every fwctl device present now as ADD with coldplug set. */
int udev_watch_enumerate(UdevWatch *w);

const char *udev_action_to_string(UdevAction a);
UdevAction udev_action_from_string(const char *s);

/* The fwctl driver serving a parent: its "<drv>.fwctl.N" auxiliary child's driver, else the parent's. */
char *udev_find_fwctl_driver(struct udev_device *parent);
