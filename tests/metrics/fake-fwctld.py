#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for fwctld on a private bus (tests/metrics): owns org.freedesktop.fwctl1
and answers Manager.GetMetrics() with the contents of a file, so fwctlctl metrics can be
fed documents the emulator cannot produce (names needing escapes, unknown versions).

    fake-fwctld.py DOCUMENT_FILE      (DBUS_SESSION_BUS_ADDRESS: the private bus)

The document is re-read on every call. Prints "ready" once the name is owned.
"""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

BUS = 'org.freedesktop.fwctl1'


class Manager(dbus.service.Object):
    def __init__(self, bus, path, document):
        super().__init__(bus, path)
        self.document = document

    @dbus.service.method('org.freedesktop.fwctl1.Manager', in_signature='', out_signature='s')
    def GetMetrics(self):
        with open(self.document, encoding='utf-8') as f:
            return f.read().rstrip('\n')


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(BUS, bus, do_not_queue=True)
    manager = Manager(bus, '/org/freedesktop/fwctl1', sys.argv[1])
    print('ready', flush=True)
    GLib.MainLoop().run()
    del name, manager


if __name__ == '__main__':
    main()
