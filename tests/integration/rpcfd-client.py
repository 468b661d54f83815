#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""RpcFd from dbus-python: the request in a memfd (sealed or not, as asked), the response
read back from the returned fd. Prints key=value lines like fwctl-test-client.

  rpcfd-client.py DEVICE SCOPE MAX_RESPONSE HEX [--unsealed|--pipe|--size N]
"""
import fcntl
import os
import sys

import dbus

SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW


def request_fd(data, mode):
    if mode == "--pipe":
        r, w = os.pipe()
        os.write(w, data)
        os.close(w)
        return r
    fd = os.memfd_create("fwctl-request", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if mode != "--unsealed":
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
    return fd


def main():
    dev, scope, max_response, hexdata = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else ""
    data = bytes.fromhex(hexdata)
    if mode == "--size":
        data = data + bytes(int(sys.argv[6]) - len(data))
    bus = dbus.SystemBus()
    obj = bus.get_object("org.freedesktop.fwctl1", "/org/freedesktop/fwctl1/device/" + dev)
    iface = dbus.Interface(obj, "org.freedesktop.fwctl1.Device")
    fd = request_fd(data, mode)
    try:
        out, result = iface.RpcFd(dbus.UInt32(int(scope)), dbus.types.UnixFd(fd), dbus.UInt32(int(max_response)))
    except dbus.exceptions.DBusException as e:
        print("error=" + e.get_dbus_name())
        print("message=" + e.get_dbus_message())
        return 1
    finally:
        os.close(fd)
    rfd = out.take()
    seals = fcntl.fcntl(rfd, fcntl.F_GET_SEALS)
    body = os.pread(rfd, 4 * 1024 * 1024, 0)
    os.close(rfd)
    print("response_size=%d" % len(body))
    print("response_hex=" + body.hex())
    print("response_sealed=%s" % ("true" if seals & SEALS == SEALS else "false"))
    for k in sorted(result):
        v = result[k]
        print("result.%s=%s" % (k, ("true" if v else "false") if isinstance(v, dbus.Boolean) else v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
