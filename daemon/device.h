/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "device-identity.h"
#include "metrics.h"
#include "scope.h"
#include "types.h"

typedef struct Worker Worker;

typedef enum DeviceState {
        DEVICE_PROBING, /* fd being opened and Info read on the worker; not on the bus yet */
        DEVICE_READY,   /* published */
        DEVICE_GONE,    /* removed or failed; waiting for its worker to stop */
        _DEVICE_STATE_MAX,
        _DEVICE_STATE_INVALID = -EINVAL,
} DeviceState;

const char *device_state_to_string(DeviceState s);

struct fwctld_device {
        unsigned n_ref;
        Policy *policy; /* the manager's; read by the RPCs plugins issue */
        DeviceState state;

        char *syspath;
        char *name;
        char *devnode;
        /* The number udev announced for the node (0: none); the opened node must be this device. */
        dev_t devnum;
        char *parent;
        char *pci_address;
        char *driver;

        /* Written by the worker during the probe, read by the main loop after it. */
        int fd;
        uint32_t type;
        void *info_data;
        size_t info_size;
        char *info_json;
        const Plugin *plugin;
        bool attached;
        void *plugin_data;

        Worker *worker;
        bool coldplug;
        unsigned n_calls;     /* tracked calls, in any state */
        unsigned n_submitted; /* on the worker: queued or running */
        uint64_t service_usec; /* moving average of how long one call takes on the device */
        /* Allocated at the device's first call: a host full of idle VFs pays nothing for
         * them (3.3 KiB each, most of the daemon's memory at 4096 devices). */
        Metrics *metrics;

        Device *prev, *next;
};

int device_new(const DeviceIdentity *id, Policy *policy, Device **ret);
Device *device_ref(Device *d);
Device *device_unref(Device *d);

static inline void device_unrefp(Device **d) {
        if (*d)
                (void) device_unref(*d);
}

/* Worker thread: open the node (the one uctx), refuse it unless it is the character device udev
 * announced (devnum), read Info, pick the plugin, attach it. */
int device_probe(Device *d, Plugin *const *plugins, size_t n_plugins);
/* Worker thread: detach the plugin and close the fd once no ioctl can be running. */
void device_shutdown(Device *d);

const char *device_plugin_name(const Device *d);
/* The device as the journal records it (borrowed strings). */
AuditDevice device_to_audit(const Device *d);

/* Does the string name this device: "fwctl0", its PCI address, its node, its or its parent's
 * syspath, /sys/class/fwctl/<name> or /sys/bus/<bus>/devices/<parent's name or PCI address>? Paths
 * are compared as strings, never resolved; one with an empty, "." or ".." component names nothing. */
bool device_matches(const Device *d, const char *name_or_parent);
/* The parent's name on its bus: the last component of its sysfs path (NULL without one). */
const char *device_parent_name(const Device *d);
/* What follows /sys/bus/ in a bus link, "<bus>/devices/<name>": the name (NULL for anything
 * else); *ret_pci: whether the bus is pci. Read lexically. */
const char *device_bus_link_name(const char *rest, bool *ret_pci);
