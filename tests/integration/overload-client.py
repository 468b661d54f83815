# SPDX-License-Identifier: LGPL-2.1-or-later
"""Overload clients for the integration suite (cases/98-overload.sh) and bench/.

    overload-client.py park    [options]   register a polkit authentication agent for this
                                           process that never answers, then send interactive
                                           calls (they wait on that agent)
    overload-client.py queue   [options]   send all calls at once on one connection
    overload-client.py honest  [options]   one call after another, as a well-behaved client

Every mode prints one JSON object per line, flushed at once, so a test can wait for an
event instead of sleeping: {"event": "registered"}, {"event": "begin", "n": N} (the agent
got its Nth BeginAuthentication), {"event": "cancel", "n": N}, {"event": "answer", ...}
per call, {"event": "answered", ...} once every call has its answer, and a last
{"event": "summary", ...}. Times are seconds (monotonic clock) since the process started.
Needs /usr/bin/python3 with gi (GLib, Gio).
"""
import argparse
import json
import os
import signal
import sys
import time

from gi.repository import Gio, GLib

BUS = 'org.freedesktop.fwctl1'
IFACE = 'org.freedesktop.fwctl1.Device'
PREFIX = '/org/freedesktop/fwctl1/device/'
POLKIT = 'org.freedesktop.PolicyKit1'
AUTHORITY = '/org/freedesktop/PolicyKit1/Authority'
AGENT_PATH = '/org/fwctld/test/ParkingAgent'
AGENT_XML = '''
<node>
  <interface name="org.freedesktop.PolicyKit1.AuthenticationAgent">
    <method name="BeginAuthentication">
      <arg type="s" name="action_id" direction="in"/>
      <arg type="s" name="message" direction="in"/>
      <arg type="s" name="icon_name" direction="in"/>
      <arg type="a{ss}" name="details" direction="in"/>
      <arg type="s" name="cookie" direction="in"/>
      <arg type="a(sa{sv})" name="identities" direction="in"/>
    </method>
    <method name="CancelAuthentication">
      <arg type="s" name="cookie" direction="in"/>
    </method>
  </interface>
</node>'''
QUERY_ADAPTER = bytes.fromhex('01010000000000000000000000000000')

T0 = time.monotonic()


def now():
    return round(time.monotonic() - T0, 3)


def emit(**kw):
    sys.stdout.write(json.dumps(kw, sort_keys=True) + '\n')
    sys.stdout.flush()


def connect():
    """A private connection to the system bus (connections are free: each its own name)."""
    addr = Gio.dbus_address_get_for_bus_sync(Gio.BusType.SYSTEM, None)
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    return Gio.DBusConnection.new_for_address_sync(addr, flags, None, None)


def start_time():
    """Field 22 of /proc/self/stat: what polkit keys a unix-process subject on, with the pid."""
    with open('/proc/self/stat') as f:
        return int(f.read().rsplit(')', 1)[1].split()[19])


class ParkingAgent:
    """An authentication agent that takes every BeginAuthentication and never answers it."""

    def __init__(self, conn):
        self.held = []  # the invocations: kept, never answered
        self.begins = 0
        self.cancels = 0
        info = Gio.DBusNodeInfo.new_for_xml(AGENT_XML)
        conn.register_object(AGENT_PATH, info.interfaces[0], self.on_call, None, None)
        subject = ('unix-process', {'pid': GLib.Variant('u', os.getpid()),
                                    'start-time': GLib.Variant('t', start_time()),
                                    'uid': GLib.Variant('i', os.getuid())})
        conn.call_sync(POLKIT, AUTHORITY, 'org.freedesktop.PolicyKit1.Authority', 'RegisterAuthenticationAgent',
                       GLib.Variant('((sa{sv})ss)', (subject, 'C', AGENT_PATH)), None,
                       Gio.DBusCallFlags.NONE, 10000, None)
        emit(event='registered', pid=os.getpid(), t=now())

    def on_call(self, conn, sender, path, iface, method, params, invocation):
        if method == 'BeginAuthentication':
            self.held.append(invocation)
            self.begins += 1
            emit(event='begin', n=self.begins, action=params.unpack()[0], t=now())
        else:
            self.cancels += 1
            emit(event='cancel', n=self.cancels, t=now())
            invocation.return_value(None)


class Calls:
    """Asynchronous calls; each answer is recorded with when it was sent and answered."""

    def __init__(self, loop, total, quiet):
        self.loop = loop
        self.total = total
        self.quiet = quiet
        self.results = []
        self.on_all_answered = None

    def send(self, conn, i, device, method, args, interactive, timeout_s):
        flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if interactive else Gio.DBusCallFlags.NONE
        sent = now()
        conn.call(BUS, PREFIX + device, IFACE, method, args, None, flags, int(timeout_s * 1000), None,
                  self.on_reply, (i, sent))

    def on_reply(self, conn, res, data):
        i, sent = data
        r = {'event': 'answer', 'i': i, 'sent': sent}
        try:
            conn.call_finish(res)
            r['error'] = ''
        except GLib.Error as e:
            r['error'] = Gio.DBusError.get_remote_error(e) or ('local:' + e.message)
            r['message'] = e.message.split(': ', 1)[-1] if Gio.DBusError.is_remote_error(e) else e.message
        r['answered'] = now()
        r['elapsed'] = round(r['answered'] - sent, 3)
        self.results.append(r)
        if not self.quiet or r['error'] not in ('', 'org.freedesktop.fwctl1.Error.Busy'):
            emit(**r)
        if self.total and len(self.results) == self.total:
            counts = {}
            for x in self.results:
                counts[x['error'] or 'ok'] = counts.get(x['error'] or 'ok', 0) + 1
            emit(event='answered', counts=counts, t=now(),
                 max_elapsed=max(x['elapsed'] for x in self.results))
            if self.on_all_answered:
                self.on_all_answered()


def call_args(a, i):
    if a.method == 'Execute':
        # whitespace is valid JSON: the parameters are as large as asked and still parse
        pad = max(0, a.params_bytes - 2)
        return 'Execute', GLib.Variant('(ss)', ('query-adapter', '{' + ' ' * pad + '}'))
    return 'Rpc', GLib.Variant('(uayu)', (a.scope, QUERY_ADAPTER, a.max_response))


def summary(calls, extra):
    res = calls.results
    counts = {}
    for x in res:
        counts[x['error'] or 'ok'] = counts.get(x['error'] or 'ok', 0) + 1
    lat = sorted(x['elapsed'] for x in res)
    # t0: CLOCK_MONOTONIC at the start, which 'sent' and 'answered' count from
    s = {'event': 'summary', 'calls': len(res), 'counts': counts, 't': now(), 't0': round(T0, 3)}
    if lat:
        s.update(max_elapsed=lat[-1], p50=lat[len(lat) // 2], p99=lat[min(len(lat) - 1, len(lat) * 99 // 100)])
    s.update(extra)
    emit(**s)


def mode_park(a, loop):
    agent_conn = connect()
    agent = ParkingAgent(agent_conn)
    conns = [connect() for _ in range(a.conns)]
    # With --sustain the flood never ends: each answer (Busy, mostly) is followed by the
    # same call again, so --calls stay in flight; the 'answered' event is not sent then.
    calls = Calls(loop, 0 if a.sustain else a.calls, a.quiet)
    # Stay after every call is answered (an agent still registered, sessions polkitd may
    # still hold) until --hold seconds since the start, or SIGTERM.
    state = {'n': a.calls}
    if a.sustain:
        orig = calls.on_reply

        def on_reply(c, res, data):
            orig(c, res, data)
            i = state['n']
            state['n'] += 1
            method, args = call_args(a, i)
            calls.send(c, i, a.device, method, args, True, a.timeout)

        calls.on_reply = on_reply
    for i in range(a.calls):
        method, args = call_args(a, i)
        calls.send(conns[i % len(conns)], i, a.device, method, args, True, a.timeout)
    GLib.timeout_add(int(a.hold * 1000), loop.quit)
    loop.run()
    summary(calls, {'begins': agent.begins, 'cancels': agent.cancels,
                    'answers_per_second': round(len(calls.results) / now(), 1)})


def mode_queue(a, loop):
    conn = connect()
    calls = Calls(loop, a.calls, False)
    calls.on_all_answered = loop.quit
    for i in range(a.calls):
        method, args = call_args(a, i)
        calls.send(conn, i, a.device, method, args, False, a.timeout)
    GLib.timeout_add(int((a.timeout + 5) * 1000), loop.quit)
    loop.run()
    summary(calls, {})


def mode_honest(a, loop):
    conn = connect()
    calls = Calls(loop, 0, True)  # no 'answered' event: the summary says it
    devices = a.device.split(',')
    state = {'i': 0}

    def more():
        # at least --calls calls; with --until, on until that file exists
        return state['i'] < a.calls or (a.until and not os.path.exists(a.until))

    def next_call():
        if not more():
            loop.quit()
            return
        i = state['i']
        state['i'] += 1
        method, args = call_args(a, i)
        calls.send(conn, i, devices[i % len(devices)], method, args, False, a.timeout)

    orig = calls.on_reply

    def on_reply(c, res, data):
        orig(c, res, data)
        next_call()

    calls.on_reply = on_reply
    next_call()
    loop.run()
    t = calls.results[-1]['answered'] - calls.results[0]['sent'] if calls.results else 0
    summary(calls, {'seconds': round(t, 3), 'calls_per_second': round(len(calls.results) / t, 1) if t else 0})


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['park', 'queue', 'honest'])
    p.add_argument('--device', default='fwctl0', help='fwctlN (honest: a comma-separated list)')
    p.add_argument('--method', choices=['Rpc', 'Execute'], default='Rpc')
    p.add_argument('--calls', type=int, default=1)
    p.add_argument('--conns', type=int, default=1)
    p.add_argument('--scope', type=int, default=0)
    p.add_argument('--max-response', type=int, default=512)
    p.add_argument('--params-bytes', type=int, default=2)
    p.add_argument('--timeout', type=float, default=25.0, help='each call\'s D-Bus timeout (s)')
    p.add_argument('--hold', type=float, default=120.0, help='park: exit this long after the start')
    p.add_argument('--quiet', action='store_true', help='no answer line for successes and Busy')
    p.add_argument('--until', help='honest: go on until this file exists')
    p.add_argument('--sustain', action='store_true', help='park: send each call again once answered')
    a = p.parse_args()
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, lambda *_: loop.quit() or False)
    {'park': mode_park, 'queue': mode_queue, 'honest': mode_honest}[a.mode](a, loop)


main()
