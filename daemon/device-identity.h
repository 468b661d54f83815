/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* What udev tells about one fwctl device; the kernel name is not stable, the syspath is the key. */
typedef struct DeviceIdentity {
        char *syspath;     /* /sys/devices/.../fwctl/fwctl0 */
        char *name;        /* fwctl0 */
        char *devnode;     /* /dev/fwctl/fwctl0 */
        dev_t devnum;      /* what the opened node must be */
        char *parent;      /* the parent's syspath, or "" */
        char *pci_address; /* nearest PCI ancestor, or "" */
        char *driver;      /* the fwctl driver serving the parent, or "" */
} DeviceIdentity;

/* Deep copy; NULL strings become "". */
int device_identity_copy(const DeviceIdentity *src, DeviceIdentity *dst);
void device_identity_done(DeviceIdentity *id);
