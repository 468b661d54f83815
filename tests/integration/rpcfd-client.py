#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""RpcFd from dbus-python: the request in a memfd (sealed or not, as asked), the response
read back from the returned fd. Prints key=value lines like fwctl-test-client.

  rpcfd-client.py DEVICE SCOPE MAX_RESPONSE HEX|@FILE [--unsealed|--pipe|--size N|--rpc]

--rpc sends the same request through Rpc (ay) instead, for comparison. response_hex is
printed for responses up to 64 KiB; response_sha256 always.
"""
import fcntl
import hashlib
import os
import sys

import dbus

SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
HEX_MAX = 64 * 1024


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


def read_response(out):
    """The returned memfd: its bytes, and how it was handed over."""
    rfd = out.take()
    try:
        seals = fcntl.fcntl(rfd, fcntl.F_GET_SEALS)
        info = {
            "response_sealed": seals & SEALS == SEALS,
            "response_seal_seal": bool(seals & fcntl.F_SEAL_SEAL),
            "response_offset": os.lseek(rfd, 0, os.SEEK_CUR),
            "response_fd_size": os.fstat(rfd).st_size,
        }
        body = b""
        while True:
            chunk = os.pread(rfd, 4 * 1024 * 1024, len(body))
            if not chunk:
                break
            body += chunk
    finally:
        os.close(rfd)
    return body, info


def main():
    dev, scope, max_response, payload = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else ""
    if payload.startswith("@"):
        with open(payload[1:], "rb") as f:
            data = f.read()
    else:
        data = bytes.fromhex(payload)
    if mode == "--size":
        data = data + bytes(int(sys.argv[6]) - len(data))
    bus = dbus.SystemBus()
    obj = bus.get_object("org.freedesktop.fwctl1", "/org/freedesktop/fwctl1/device/" + dev)
    iface = dbus.Interface(obj, "org.freedesktop.fwctl1.Device")
    info = {}
    try:
        if mode == "--rpc":
            body, result = iface.Rpc(dbus.UInt32(int(scope)), dbus.ByteArray(data), dbus.UInt32(int(max_response)),
                                     byte_arrays=True, timeout=60)
            body = bytes(body)
        else:
            fd = request_fd(data, mode)
            try:
                out, result = iface.RpcFd(dbus.UInt32(int(scope)), dbus.types.UnixFd(fd),
                                          dbus.UInt32(int(max_response)), timeout=60)
            finally:
                os.close(fd)
            body, info = read_response(out)
    except dbus.exceptions.DBusException as e:
        print("error=" + e.get_dbus_name())
        print("message=" + e.get_dbus_message())
        return 1
    print("response_size=%d" % len(body))
    print("response_sha256=" + hashlib.sha256(body).hexdigest())
    if len(body) <= HEX_MAX:
        print("response_hex=" + body.hex())
    for k, v in info.items():
        print("%s=%s" % (k, ("true" if v else "false") if isinstance(v, bool) else v))
    for k in sorted(result):
        v = result[k]
        print("result.%s=%s" % (k, ("true" if v else "false") if isinstance(v, dbus.Boolean) else v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
