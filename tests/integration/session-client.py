#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Authorised sessions from dbus-python, on one connection (a session belongs to the
connection that opened it). Runs a small script of steps and prints key=value lines.

  session-client.py DEVICE SCOPE CONFIGURATION_WRITE STEP...
  STEP: rpc:HEX  execute:OP:JSON  close  props  sleep:SECONDS  foreign-rpc:HEX  foreign-props
        introspect:FILE (the session object's introspection XML, written to FILE)
"""
import sys
import time

import dbus

BUS = "org.freedesktop.fwctl1"


def err(prefix, e):
    print("%s.error=%s" % (prefix, e.get_dbus_name()))
    print("%s.message=%s" % (prefix, e.get_dbus_message()))


def main():
    dev, scope, cw = sys.argv[1:4]
    bus = dbus.SystemBus()
    device = dbus.Interface(bus.get_object(BUS, "/org/freedesktop/fwctl1/device/" + dev),
                            "org.freedesktop.fwctl1.Device")
    try:
        path = device.OpenSession(dbus.UInt32(int(scope)),
                                  dbus.Dictionary({"configuration_write": dbus.Boolean(cw == "true")},
                                                  signature="sv"))
    except dbus.exceptions.DBusException as e:
        print("error=" + e.get_dbus_name())
        print("message=" + e.get_dbus_message())
        return 1
    print("session=" + str(path))
    obj = bus.get_object(BUS, path)
    session = dbus.Interface(obj, "org.freedesktop.fwctl1.Session")
    for i, step in enumerate(sys.argv[4:]):
        kind, _, arg = step.partition(":")
        try:
            if kind == "rpc":
                out, result = session.Rpc(dbus.ByteArray(bytes.fromhex(arg)), dbus.UInt32(4096))
                print("%d.response_size=%d" % (i, len(out)))
                print("%d.operation=%s" % (i, result["operation"]))
            elif kind == "execute":
                op, _, params = arg.partition(":")
                print("%d.result=%s" % (i, session.Execute(op, params or "{}")))
            elif kind == "close":
                session.Close()
                print("%d.closed=true" % i)
            elif kind == "props":
                props = dbus.Interface(obj, "org.freedesktop.DBus.Properties").GetAll(
                    "org.freedesktop.fwctl1.Session")
                for k in sorted(props):
                    print("%d.%s=%s" % (i, k, props[k]))
            elif kind == "sleep":
                time.sleep(float(arg))
            elif kind == "foreign-rpc":
                other = dbus.SystemBus(private=True)
                s2 = dbus.Interface(other.get_object(BUS, path), "org.freedesktop.fwctl1.Session")
                s2.Rpc(dbus.ByteArray(bytes.fromhex(arg)), dbus.UInt32(4096))
                print("%d.foreign=ok" % i)
            elif kind == "foreign-props":
                other = dbus.SystemBus(private=True)
                props = dbus.Interface(other.get_object(BUS, path), "org.freedesktop.DBus.Properties")
                print("%d.foreign_props=%d" % (i, len(props.GetAll("org.freedesktop.fwctl1.Session"))))
            elif kind == "introspect":
                xml = dbus.Interface(obj, "org.freedesktop.DBus.Introspectable").Introspect()
                with open(arg, "w") as f:
                    f.write(xml)
                print("%d.introspected=true" % i)
        except dbus.exceptions.DBusException as e:
            err(str(i), e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
