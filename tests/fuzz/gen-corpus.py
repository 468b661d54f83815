#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpus: a few valid inputs per fuzzer, in the layouts the harnesses read."""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
u8 = lambda v: struct.pack('<B', v)
u16 = lambda v: struct.pack('<H', v)
u32 = lambda v: struct.pack('<I', v)
be16 = lambda v: struct.pack('>H', v)
be32 = lambda v: struct.pack('>I', v)


def fw(reply, ctl=0):
    """One fake-kernel answer: control byte, 16-bit length, bytes (reported = bytes written)."""
    return u8(ctl) + u16(len(reply)) + reply


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), 'wb') as f:
        f.write(data)


def classify(scope, request, firmware=b''):
    return u8(scope) + u16(len(firmware)) + firmware + request


def rpc(scope, max_response, request, firmware=b''):
    return u8(scope) + u16(max_response) + u16(len(request)) + request + firmware


def execute(op, params, firmware=b''):
    return u8(op) + u16(len(params)) + params + firmware


def info(data, firmware=b''):
    return u16(len(firmware)) + firmware + data


# --- taint ---
write('taint', 'zero', b'0\n')
write('taint', 'fwctl', b'524288\n')
write('taint', 'all', b'18446744073709551615\n')

# --- generic ---
write('generic-classify', 'raw', classify(0, b'\x01\x02\x03\x04'))
write('generic-rpc', 'raw', rpc(1, 64, b'\x01\x02\x03\x04', fw(b'\xaa' * 32)))
write('generic-info', 'data', info(b'\x01\x00\x00\x00\x0f\x00\x00\x00'))

# --- mlx5 (PRM: opcode BE16 @0, op_mod BE16 @6; out: status @0, syndrome BE32 @4) ---
def mlx5_hdr(opcode, op_mod=0):
    return be16(opcode) + b'\0' * 4 + be16(op_mod) + b'\0' * 8


qa_out = bytearray(0x110)
qa_out[16 + 240:16 + 248] = b'MT_0001\0'
write('mlx5-classify', 'query-adapter', classify(0, mlx5_hdr(0x101)))
write('mlx5-classify', 'access-reg-read', classify(1, mlx5_hdr(0x805, 1) + b'\0' * 16))
write('mlx5-rpc', 'query-adapter', rpc(0, 0x110, mlx5_hdr(0x101), fw(bytes(qa_out), ctl=1)))
write('mlx5-rpc', 'bad-status', rpc(1, 64, mlx5_hdr(0x821), fw(b'\x02\0\0\0' + be32(0x5b7d2e11) + b'\0' * 8)))
write('mlx5-execute', 'query-adapter', execute(0, b'{}', fw(bytes(qa_out))))
write('mlx5-execute', 'diag', execute(2, b'{"num_of_samples":1,"sample_index":0,"max_counters":2}',
                                      fw(b'\0' * 16 + (be16(1) + b'\0' * 14) * 2)))
write('mlx5-execute', 'access-reg', execute(3, b'{"register_id":36865,"payload":"00000000","argument":0}',
                                            fw(b'\0' * 16 + b'\x11' * 20)))
write('mlx5-info', 'caps', info(u32(7) + u32(4)))

# --- cxl (fwctl_rpc_cxl: opcode, flags, op_size, reserved; out: size, retval, payload) ---
UUID_A = bytes(range(0x10, 0x20))
UUID_B = bytes(range(0x20, 0x30))


def cxl_entry(uuid, flags, effects, get_size=4, set_size=4):
    e = uuid + u16(0) + u16(get_size) + u16(set_size) + u32(flags) + u8(1) + u8(1) + u16(effects)
    return e + b'\0' * (48 - len(e))


def cxl_out(payload, retval=0):
    return u32(len(payload)) + u32(retval) + payload


entries = [cxl_entry(UUID_A, 1, 0x202), cxl_entry(UUID_B, 1, 0x201)]
cxl_attach = fw(cxl_out(u16(0) + u16(2) + u32(0))) + \
    fw(cxl_out(u16(2) + u16(2) + u32(0) + b''.join(entries)))


def cxl_req(opcode, payload):
    return u32(opcode) + u32(0) + u32(len(payload)) + u32(0) + payload


def uuid_str(u):
    h = u.hex()
    return '%s-%s-%s-%s-%s' % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


gsf = cxl_req(0x500, u32(96) + u16(0) + u16(0))
setf = cxl_req(0x502, UUID_B + u32(0) + u16(0) + u8(1) + b'\0' * 9 + b'\x01\x02\x03\x04')
write('cxl-classify', 'gsf', classify(0, gsf, cxl_attach))
write('cxl-classify', 'set-feature', classify(2, setf, cxl_attach))
write('cxl-rpc', 'gsf', rpc(0, 200, gsf, cxl_attach + fw(cxl_out(u16(1) + u16(2) + u32(0) + entries[0]))))
write('cxl-rpc', 'get-feature', rpc(0, 64, cxl_req(0x501, UUID_A + u16(0) + u16(4) + u8(0)),
                                     cxl_attach + fw(cxl_out(b'\x01\x02\x03\x04'))))
# The reproducer: count 32 with a max_response far below 16 + count (the kernel buffer is not).
write('cxl-rpc', 'get-feature-small', rpc(0, 4, cxl_req(0x501, UUID_A + u16(0) + u16(32) + u8(0)),
                                           cxl_attach + fw(cxl_out(bytes(range(32))), ctl=3) + u16(48)))
write('cxl-rpc', 'set-feature-zero', rpc(2, 0, setf, cxl_attach + fw(cxl_out(b''))))
# What the driver accepts: a tail after op_size, any selection byte.
write('cxl-classify', 'get-feature-tail', classify(0, cxl_req(0x501, UUID_A + u16(0) + u16(4) + u8(9)) + b'\0' * 11,
                                                    cxl_attach))
write('cxl-execute', 'gsf', execute(0, b'{}', cxl_attach + cxl_attach))
write('cxl-execute', 'get-feature', execute(1, b'{"uuid":"%s","selection":"current"}' % uuid_str(UUID_A).encode(),
                                            cxl_attach + fw(cxl_out(b'\x01\x02\x03\x04'))))
write('cxl-execute', 'set-feature', execute(2, b'{"uuid":"%s","data":"01020304"}' % uuid_str(UUID_B).encode(),
                                            cxl_attach + fw(cxl_out(b''))))
write('cxl-info', 'features', info(b'', cxl_attach))

# --- bnxt (HWRM: req_type le16 @0 ...; resp: error_code, req_type, seq_id, resp_len) ---
def hwrm(req_type, body=b''):
    return u16(req_type) + u16(0xffff) + u16(1) + u16(0xffff) + b'\0' * 8 + body


def hwrm_resp(req_type, body):
    return u16(0) + u16(req_type) + u16(1) + u16(8 + len(body)) + body


nvm_read = bytearray(hwrm(0xfffd, b'\0' * 24))
nvm_read[32:36] = u32(64)
write('bnxt-classify', 'ver-get', classify(1, hwrm(0, b'\x01\x0a\x02\0' + b'\0' * 4)))
write('bnxt-classify', 'nvm-read', classify(1, bytes(nvm_read)))
write('bnxt-rpc', 'ver-get', rpc(1, 256, hwrm(0, b'\x01\x0a\x02\0' + b'\0' * 4),
                                 fw(hwrm_resp(0, b'\0' * 64), ctl=1)))
write('bnxt-rpc', 'nvm-read', rpc(1, 256, bytes(nvm_read), fw(hwrm_resp(0xfffd, b''))))
qext = bytearray(hwrm(0xb4, b'\0' * 24))
qext[18:20] = u16(256)
qext[20:22] = u16(488)
write('bnxt-rpc', 'port-qstats-ext-small', rpc(1, 8, bytes(qext), fw(hwrm_resp(0xb4, b'\0' * 8), ctl=1)))
# Unverified DMA layouts: refused in classify().
write('bnxt-classify', 'dbg-token-cfg', classify(3, hwrm(0xff30, b'\0' * 16)))
write('bnxt-classify', 'sch-grp-cfg', classify(2, hwrm(0x73, b'\0' * 72)))
write('bnxt-execute', 'ver-get', execute(0, b'{}', fw(hwrm_resp(0, b'\x01' * 120))))
write('bnxt-execute', 'func-qcaps', execute(1, b'{"fid":65535}', fw(hwrm_resp(0x15, b'\x02' * 80))))
write('bnxt-execute', 'nvm-read', execute(4, b'{"dir_idx":1,"offset":0,"length":16}', fw(hwrm_resp(0xfffd, b''))))
write('bnxt-info', 'caps', info(u32(0xf)))

# --- pds (envelope "PDSQ", version 1; kernel struct fwctl_rpc_pds, 48 bytes) ---
def pds_env(op, ep, payload, response_len):
    return u32(0x51534450) + u16(1) + u16(0) + u32(op) + u32(ep) + u32(len(payload)) + u32(response_len) + payload


def pds_kout(retval, out_len):
    return u32(1) + u32(0) + u32(0) + u32(0) + b'\0' * 8 + u32(retval) + u32(0) * 2 + u32(out_len) + b'\0' * 8


write('pds-classify', 'ident', classify(0, pds_env(1, 0, b'', 64)))
write('pds-classify', 'payload', classify(1, pds_env(2, 1, b'\x01\x02\x03\x04', 16)))
write('pds-rpc', 'ident', rpc(0, 88, pds_env(1, 0, b'', 64), fw(pds_kout(0, 64))))
write('pds-rpc', 'error', rpc(1, 40, pds_env(2, 1, b'\x01\x02', 16), fw(pds_kout(5, 16))))
write('pds-rpc', 'small-max', rpc(0, 8, pds_env(1, 0, b'', 64), fw(pds_kout(0, 64))))
write('pds-execute', 'rpc', execute(0, b'{"endpoint":0,"operation":1,"payload":"0102","response_size":32}',
                                    fw(pds_kout(0, 32))))
write('pds-info', 'empty', info(b''))
