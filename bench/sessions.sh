#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sessions and RpcFd (issue 13), run by bench/inner.sh inside the integration harness. Never
# asserted: figures and ratios, all measured in this run. Compared on fwctl0 (mlx5, scope 0,
# QUERY_ADAPTER, 16 B in, 64 B out), sequential and 8 in flight:
#
#   root Rpc          Device.Rpc as root (no polkit check: uid 0 is never checked)
#   fwtest Rpc        Device.Rpc as fwtest, whom the test polkit rule allows: a check per call
#   fwtest session    Device.OpenSession(0, {}) once, then Session.Rpc calls as fwtest
#   root session      the same as root
#   ideal Rpc         bench/fwctl-ideal.c: a bare sd-bus service doing the same ioctl inline,
#                     under the same umockdev preload and emulator, as root
#
# and 2 MiB in + 2 MiB out by Device.RpcFd (sealed memfds) against Device.Rpc (`ay`), as
# root, sequential, on an emulated `sample` device hot-plugged for it (it echoes its input;
# fwctld serves it raw to root through the generic plugin): mlx5 QUERY_ADAPTER would answer
# 272 bytes whatever max_response says, as fwctld sizes the buffer from what the driver
# writes. The ideal daemon serves both devices. "ioctl" cases are the same FWCTL_RPCs with no
# bus at all (fwctl-ideal --direct, under the same preload): the emulator's share of each
# call, the floor of both daemons; the ratios "beyond the ioctl" subtract it. The CPU each
# process spends per call is reported too (less disturbed by the machine's other work than
# wall time). Rounds alternate the cases (FWCTL_BENCH_ROUNDS, default 3) and the medians are
# reported; each case makes FWCTL_BENCH_CALLS calls (2000; the 2 MiB cases
# FWCTL_BENCH_BIG_CALLS, 60). The ideal daemon owns org.freedesktop.fwctl1.BenchIdeal: the
# policy that lets it is dropped into the overlay's /etc/dbus-1/system.d here (the harness's
# dbus-daemon re-reads its configuration), and goes with the harness's namespace.
set -euo pipefail
B=$BUILD/bench/fwctl-bench
IDEAL_BIN=$BUILD/bench/fwctl-ideal
IDEAL=org.freedesktop.fwctl1.BenchIdeal
DEV=fwctl0
EMU="$BUILD/tests/emulator/fwctl-emu --ctl $(dirname "$TMPDIR")/emu.sock"
N=${FWCTL_BENCH_CALLS:-2000}
NBIG=${FWCTL_BENCH_BIG_CALLS:-60}
ROUNDS=${FWCTL_BENCH_ROUNDS:-3}
MIB2=2097152
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-sessions.XXXXXX")
chmod 0755 "$W"

as_user() { local u=$1; shift; setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups -- "$@"; }
bus_pid() {
        busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$1" 2>/dev/null | jq -r '.data[0]'
}
# env_of PID VAR: VAR=value from the process's environment (empty if unset)
env_of() { tr '\0' '\n' <"/proc/$1/environ" | grep -m1 "^$2=" || true; }

# --- the echoing device of the 2 MiB cases
big=$($EMU add sample 0000:08:00.0 | cut -d' ' -f2)
for _ in $(seq 100); do
        busctl --system --timeout=2 introspect org.freedesktop.fwctl1 "/org/freedesktop/fwctl1/device/$big" \
                >/dev/null 2>&1 && break
        sleep 0.05
done

# --- the ideal daemon: its bus policy, then the daemon under fwctld's own umockdev preload
cat >/etc/dbus-1/system.d/$IDEAL.conf <<EOF
<?xml version="1.0"?>
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
        "https://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- bench/sessions.sh: the ideal daemon of the benchmarks, in the harness's overlay only -->
<busconfig>
        <policy user="root">
                <allow own="$IDEAL"/>
        </policy>
        <policy context="default">
                <allow send_destination="$IDEAL"/>
                <allow receive_sender="$IDEAL"/>
        </policy>
</busconfig>
EOF
busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig

fwctld=$(bus_pid org.freedesktop.fwctl1)
dbus=$(bus_pid org.freedesktop.DBus)
polkitd=$(bus_pid org.freedesktop.PolicyKit1)
emu=$(awk '/^PPid:/ { print $2 }' "/proc/$fwctld/status")
preload=$(env_of "$fwctld" LD_PRELOAD)
testbed=$(env_of "$fwctld" UMOCKDEV_DIR)
[ -n "$preload" ] && [ -n "$testbed" ] || { echo "sessions: fwctld (pid $fwctld) has no umockdev environment" >&2; exit 1; }
env "$preload" "$testbed" "$IDEAL_BIN" "$IDEAL" "/dev/fwctl/$DEV" "/org/freedesktop/fwctl1/device/$DEV" \
        "/dev/fwctl/$big" "/org/freedesktop/fwctl1/device/$big" >"$W/ideal.out" 2>"$W/ideal.err" &
ideal_pid=$!
trap 'kill -TERM "$ideal_pid" 2>/dev/null || true; wait "$ideal_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
        grep -q ready "$W/ideal.out" 2>/dev/null && break
        kill -0 "$ideal_pid" 2>/dev/null || { cat "$W/ideal.err" >&2; exit 1; }
        sleep 0.05
done
grep -q ready "$W/ideal.out" || { echo "sessions: the ideal daemon did not take $IDEAL" >&2; exit 1; }

# CPU each process spent, ns: the sum over its threads (a thread that ends meanwhile is lost:
# fwctld's idle pool threads end after 30 s, so little is).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }
cpu_all() { local p; for p in "$fwctld" "$dbus" "$polkitd" "$emu" "$ideal_pid"; do printf '%s ' "$(cpu_ns "$p")"; done; }

# one CASE ROUND CMD...: one fwctl-bench run, its JSON line kept as $W/CASE.ROUND, with the
# CPU per call (µs) of the client (its rusage, 10 ms ticks), dbus-daemon, fwctld, polkitd,
# the emulator and the ideal daemon added as "cpu_us"
one() {
        local c=$1 r=$2 before after client
        shift 2
        before=$(cpu_all)
        client=$( { ( cd / && "$@" ) >"$W/$c.$r" 2>>"$W/$c.err" || true; times; } | tail -n 1)
        after=$(cpu_all)
        [ -s "$W/$c.$r" ] || echo '{"calls":0,"errors":1,"calls_per_second":0,"latency_ms":{"p50":0,"p99":0,"max":0}}' \
                >"$W/$c.$r"
        awk -v b="$before" -v a="$after" -v cl="$client" -v n="$(jq .calls "$W/$c.$r")" 'BEGIN {
                split(b, x, " "); split(a, y, " "); split(cl, t, /[ms ]+/)
                if (n < 1) n = 1
                printf "{\"client\":%.1f,\"dbus\":%.1f,\"fwctld\":%.1f,\"polkitd\":%.1f,\"emu\":%.1f,\"ideal\":%.1f}\n",
                        (t[1] * 60 + t[2] + t[3] * 60 + t[4]) * 1e6 / n, (y[2] - x[2]) / n / 1e3, (y[1] - x[1]) / n / 1e3,
                        (y[3] - x[3]) / n / 1e3, (y[4] - x[4]) / n / 1e3, (y[5] - x[5]) / n / 1e3
        }' >"$W/$c.$r.cpu"
        jq -c --slurpfile cpu "$W/$c.$r.cpu" '. + {cpu_us: $cpu[0]}' "$W/$c.$r" >"$W/$c.$r.tmp"
        mv "$W/$c.$r.tmp" "$W/$c.$r"
        rm -f "$W/$c.$r.cpu"
}

CASES=(ioctl1 ping1 ideal-ping1 root1 root8 fwtest1 fwtest8 fwsess1 fwsess8 rootsess1 rootsess8 ideal1 ideal8
       ioctl-big big-ay big-fd ideal-big-ay)
round() {
        local r=$1
        one ioctl1 "$r" env "$preload" "$testbed" "$IDEAL_BIN" --direct "/dev/fwctl/$DEV" "$N" 16 64
        one ping1 "$r" "$B" ping $DEV "$N" 1
        one ideal-ping1 "$r" env FWCTL_BENCH_DEST=$IDEAL "$B" ping $DEV "$N" 1
        one root1 "$r" "$B" rpc $DEV "$N" 1
        one root8 "$r" "$B" rpc $DEV "$N" 8
        one fwtest1 "$r" as_user fwtest "$B" rpc $DEV "$N" 1
        one fwtest8 "$r" as_user fwtest "$B" rpc $DEV "$N" 8
        one fwsess1 "$r" as_user fwtest "$B" session $DEV "$N" 1
        one fwsess8 "$r" as_user fwtest "$B" session $DEV "$N" 8
        one rootsess1 "$r" "$B" session $DEV "$N" 1
        one rootsess8 "$r" "$B" session $DEV "$N" 8
        one ideal1 "$r" env FWCTL_BENCH_DEST=$IDEAL "$B" rpc $DEV "$N" 1
        one ideal8 "$r" env FWCTL_BENCH_DEST=$IDEAL "$B" rpc $DEV "$N" 8
        one ioctl-big "$r" env "$preload" "$testbed" "$IDEAL_BIN" --direct "/dev/fwctl/$big" "$NBIG" $MIB2 $MIB2
        one big-ay "$r" "$B" rpc "$big" "$NBIG" 1 $MIB2 $MIB2
        one big-fd "$r" "$B" rpcfd "$big" "$NBIG" 1 $MIB2 $MIB2
        one ideal-big-ay "$r" env FWCTL_BENCH_DEST=$IDEAL "$B" rpc "$big" "$NBIG" 1 $MIB2 $MIB2
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
        round "$r"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$ideal_pid" 2>/dev/null || true
wait "$ideal_pid" 2>/dev/null || true
trap - EXIT
$EMU remove "$big" >/dev/null

# med CASE FIELD: the median of FIELD (a jq path) over the rounds
med() { cat "$W/$1".[0-9]* | jq -s "map($2) | sort | .[(length - 1) / 2 | floor]"; }
errs() { cat "$W/$1".[0-9]* | jq -s 'map(.errors) | add'; }

echo "--- sessions and RpcFd (issue 13): medians of $ROUNDS rounds, $N calls per case ($NBIG for 2 MiB) ---"
echo "load average: $load0 at the start, $load1 at the end"
printf '%-34s %10s %10s %10s %7s\n' case calls/s p50_ms p99_ms errors
for c in "${CASES[@]}"; do
        printf '%-34s %10s %10s %10s %7s\n' "$c" "$(med "$c" .calls_per_second)" "$(med "$c" .latency_ms.p50)" \
                "$(med "$c" .latency_ms.p99)" "$(errs "$c")"
done
echo "response bytes of the 2 MiB cases: ay $(med big-ay .response_bytes), fd $(med big-fd .response_bytes)," \
        "ideal ay $(med ideal-big-ay .response_bytes)"
echo "--- CPU per call, µs (medians; client: its rusage; the others: their threads' schedstat) ---"
printf '%-16s %9s %9s %9s %9s %9s %9s\n' case client dbus-daemon fwctld polkitd emulator ideal
for c in "${CASES[@]}"; do
        printf '%-16s %9s %9s %9s %9s %9s %9s\n' "$c" "$(med "$c" .cpu_us.client)" "$(med "$c" .cpu_us.dbus)" \
                "$(med "$c" .cpu_us.fwctld)" "$(med "$c" .cpu_us.polkitd)" "$(med "$c" .cpu_us.emu)" \
                "$(med "$c" .cpu_us.ideal)"
done
for c in "${CASES[@]}"; do
        [ -s "$W/$c.err" ] && echo "$c: $(sort -u "$W/$c.err" | head -n 3 | tr '\n' ' ')"
done

# ratio NAME A B FIELD: A's median FIELD over B's
ratio() {
        awk -v n="$1" -v a="$(med "$2" "$4")" -v b="$(med "$3" "$4")" \
                'BEGIN { printf "%-52s %s\n", n, (b > 0 ? sprintf("%.2f", a / b) : "-") }'
}
echo "--- ratios (same run; latency: p50 over p50; throughput: calls/s over calls/s) ---"
ratio "latency fwtest session / root Rpc (target <= 1.3)" fwsess1 root1 .latency_ms.p50
ratio "latency fwtest Rpc / root Rpc" fwtest1 root1 .latency_ms.p50
ratio "latency fwtest Rpc / fwtest session" fwtest1 fwsess1 .latency_ms.p50
ratio "latency root session / root Rpc" rootsess1 root1 .latency_ms.p50
ratio "latency root Rpc / ideal" root1 ideal1 .latency_ms.p50
ratio "latency fwtest session / ideal" fwsess1 ideal1 .latency_ms.p50
ratio "latency ideal Rpc / ideal Ping" ideal1 ideal-ping1 .latency_ms.p50
ratio "latency 8 in flight: fwtest session / root Rpc" fwsess8 root8 .latency_ms.p50
ratio "throughput fwtest session / root Rpc" fwsess1 root1 .calls_per_second
ratio "throughput fwtest Rpc / root Rpc" fwtest1 root1 .calls_per_second
ratio "throughput root Rpc / ideal" root1 ideal1 .calls_per_second
ratio "throughput 8 in flight: fwtest session / root Rpc" fwsess8 root8 .calls_per_second
ratio "throughput 8 in flight: fwtest Rpc / root Rpc" fwtest8 root8 .calls_per_second
ratio "throughput 8 in flight: root Rpc / ideal" root8 ideal8 .calls_per_second
ratio "2 MiB round trip: RpcFd / Rpc ay (target <= 0.2)" big-fd big-ay .latency_ms.p50
ratio "2 MiB round trip: Rpc ay / ideal ay" big-ay ideal-big-ay .latency_ms.p50
ratio "2 MiB round trip: RpcFd / ideal ay" big-fd ideal-big-ay .latency_ms.p50
# beyond NAME A B FLOOR: (A - FLOOR) / (B - FLOOR) of the p50 latencies, and both differences
beyond() {
        awk -v n="$1" -v a="$(med "$2" .latency_ms.p50)" -v b="$(med "$3" .latency_ms.p50)" \
                -v f="$(med "$4" .latency_ms.p50)" \
                'BEGIN { printf "%-52s %s (%.3f / %.3f ms)\n", n, (b - f > 0 ? sprintf("%.2f", (a - f) / (b - f)) : "-"), a - f, b - f }'
}
echo "--- beyond the ioctl (p50 latency minus the bare ioctl's: the bus and daemon share) ---"
beyond "fwtest session / root Rpc" fwsess1 root1 ioctl1
beyond "root Rpc / ideal" root1 ideal1 ioctl1
beyond "fwtest session / ideal" fwsess1 ideal1 ioctl1
beyond "2 MiB: RpcFd / Rpc ay" big-fd big-ay ioctl-big
beyond "2 MiB: Rpc ay / ideal ay" big-ay ideal-big-ay ioctl-big
rm -rf "$W"
