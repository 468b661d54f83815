/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "device-identity.h"
#include "util.h"

int device_identity_copy(const DeviceIdentity *src, DeviceIdentity *dst) {
        DeviceIdentity id = {
                .syspath = strdup(strempty(src->syspath)),
                .name = strdup(strempty(src->name)),
                .devnode = strdup(strempty(src->devnode)),
                .devnum = src->devnum,
                .parent = strdup(strempty(src->parent)),
                .pci_address = strdup(strempty(src->pci_address)),
                .driver = strdup(strempty(src->driver)),
        };

        if (!id.syspath || !id.name || !id.devnode || !id.parent || !id.pci_address || !id.driver) {
                device_identity_done(&id);
                return -ENOMEM;
        }
        *dst = id;
        return 0;
}

void device_identity_done(DeviceIdentity *id) {
        free(id->syspath);
        free(id->name);
        free(id->devnode);
        free(id->parent);
        free(id->pci_address);
        free(id->driver);
        *id = (DeviceIdentity) {};
}
