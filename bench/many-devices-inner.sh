#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the integration harness (bench/many-devices.sh): stops the harness's daemon, then
# for each N starts the emulator with N mlx5 functions and fwctld under it (the baseline's
# daemon too, when FWCTL_BENCH_BASELINE names a build dir) and measures. The daemon's CPU is its
# main thread's (/proc/PID/task/PID/schedstat, ns): the bus is served there, and the emulator
# runs in its own process; umockdev's preload in the daemon is included (O(1) per call in the
# patched build, see bench/umockdev-preload.sh).
set -euo pipefail

NS=("$@")
[ ${#NS[@]} -gt 0 ] || NS=(256 1024 4096)
PRELOAD=${FWCTL_BENCH_PRELOAD:?run bench/many-devices.sh}
EMU=$BUILD/tests/emulator/fwctl-emu
BUS=org.freedesktop.fwctl1
ROOT=/org/freedesktop/fwctl1
W=$(mktemp -d "${TMPDIR:-/tmp}/many.XXXXXX")
GMO_REPS=${FWCTL_BENCH_GMO_REPS:-}

DAEMONS=("after:/usr/libexec/fwctld")
[ -n "${FWCTL_BENCH_BASELINE:-}" ] && DAEMONS=("before:$FWCTL_BENCH_BASELINE/daemon/fwctld" "${DAEMONS[@]}")

# 4096 devices: a node and an emulator socket each in the daemon, both ends in the emulator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

log() { echo "[many] $*" >&2; }
now_ns() { date +%s%N; }
bus_owner() {
        busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$BUS" 2>/dev/null | jq -r '.data[0]'
}
main_cpu_ns() { read -r ns _ <"/proc/$1/task/$1/schedstat"; echo "$ns"; }
threads() { ls "/proc/$1/task" | wc -l; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
n_devices() {
        busctl --system --json=short call "$BUS" "$ROOT" org.freedesktop.DBus.ObjectManager GetManagedObjects \
                2>/dev/null | jq '[.data[0] | keys[] | select(startswith("/org/freedesktop/fwctl1/device/"))] | length'
}

# The harness's own daemon (the emulator's child) gives the bus name back.
stop_emulator() {
        local emu=$1 i
        kill -TERM "$emu" 2>/dev/null || return 0
        for ((i = 0; i < 600; i++)); do
                kill -0 "$emu" 2>/dev/null || break
                sleep 0.05
        done
        kill -0 "$emu" 2>/dev/null && kill -KILL "$emu" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
                busctl --system --timeout=1 status "$BUS" >/dev/null 2>&1 || return 0
                sleep 0.05
        done
}
pid=$(bus_owner)
if [[ $pid =~ ^[0-9]+$ ]]; then
        stop_emulator "$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")"
fi

# mlx5@0000:BB:SS.F, buses from 0x10: 256 functions per bus.
device_args() {
        local i
        for ((i = 0; i < $1; i++)); do
                printf -- '--device\nmlx5@0000:%02x:%02x.%x\n' $((0x10 + i / 256)) $((i / 8 % 32)) $((i % 8))
        done
}

# run LABEL BINARY N: one daemon, all figures, one line "LABEL N key=value..." on stdout.
run() {
        local label=$1 bin=$2 n=$3 emu pid t0 t1 tpub cpu0 cpu1 reps gmo tree tree_wall got got_tree threads_pub i rss settle
        local -a args
        mapfile -t args < <(device_args "$n")
        rm -f "$W/emu.sock" "$W/exec-ns"
        # The daemon's exec is stamped from inside the emulator's child, right before it.
        LD_PRELOAD=$PRELOAD "$EMU" --control "$W/emu.sock" --taint-file "$W/tainted" "${args[@]}" -- \
                /bin/sh -c 'date +%s%N >"$0"; exec "$1"' "$W/exec-ns" "$bin" >"$W/daemon-$label-$n.log" 2>&1 &
        emu=$!
        for ((i = 0; i < 6000; i++)); do
                busctl --system --timeout=1 status "$BUS" >/dev/null 2>&1 && break
                kill -0 "$emu" 2>/dev/null || { tail -n 20 "$W/daemon-$label-$n.log" >&2; return 1; }
                sleep 0.02
        done
        tpub=$(now_ns)
        pid=$(bus_owner)
        # The name is taken once coldplug settled (or after 10 s): count what is published.
        got=$(n_devices)
        while [ "$got" -lt "$n" ]; do
                kill -0 "$emu" 2>/dev/null || return 1
                sleep 0.1
                got=$(n_devices)
                tpub=$(now_ns)
        done
        t0=$(cat "$W/exec-ns")
        # At publication: the pool threads started for the probes (idle ones end after 30 s).
        threads_pub=$(threads "$pid")
        sleep 1 # let the start-up's journal writes and probes drain

        # GetManagedObjects: enough calls for a few hundred ms at the baseline's cost.
        reps=${GMO_REPS:-$(( n >= 4096 ? 10 : n >= 1024 ? 30 : 100 ))}
        cpu0=$(main_cpu_ns "$pid")
        for ((i = 0; i < reps; i++)); do
                busctl --system call "$BUS" "$ROOT" org.freedesktop.DBus.ObjectManager GetManagedObjects >/dev/null
        done
        cpu1=$(main_cpu_ns "$pid")
        gmo=$(( (cpu1 - cpu0) / reps ))

        cpu0=$(main_cpu_ns "$pid")
        t1=$(now_ns)
        busctl --system tree "$BUS" >"$W/tree-$label-$n.txt"
        tree_wall=$(( $(now_ns) - t1 ))
        cpu1=$(main_cpu_ns "$pid")
        tree=$((cpu1 - cpu0))
        got_tree=$(grep -c 'device/fwctl' "$W/tree-$label-$n.txt" || true)

        rss=$(rss_kib "$pid")
        # Settled: the pool's idle threads end after 30 s (FWCTL_BENCH_SETTLE=0 skips this).
        settle=${FWCTL_BENCH_SETTLE:-35}
        [ "$settle" -gt 0 ] && sleep "$settle"

        printf '%s %d devices=%d tree_nodes=%d threads=%d rss_kib=%d publish_ms=%d gmo_us=%d tree_ms=%d tree_wall_ms=%d threads_settled=%d rss_settled_kib=%d\n' \
                "$label" "$n" "$got" "$got_tree" "$threads_pub" "$rss" $(( (tpub - t0) / 1000000 )) \
                $((gmo / 1000)) $((tree / 1000000)) $((tree_wall / 1000000)) "$(threads "$pid")" "$(rss_kib "$pid")"
        stop_emulator "$emu"
        wait "$emu" 2>/dev/null || true
}

# The median of each figure over the rounds, one line per build and N.
median_line() {
        local label=$1 n=$2 key out="$1 $2"
        shift 2
        for key in devices tree_nodes threads rss_kib publish_ms gmo_us tree_ms tree_wall_ms threads_settled rss_settled_kib; do
                out+=" $key=$(printf '%s\n' "$@" | grep -o "$key=[0-9]*" | cut -d= -f2 | sort -n |
                        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
        done
        echo "$out"
}

echo 0 >"$W/tainted"
ROUNDS=${FWCTL_BENCH_ROUNDS:-3}
results=()
for n in "${NS[@]}"; do
        declare -A lines=()
        # Rounds alternate the builds, so that a busy spell of the machine hits both.
        for ((r = 1; r <= ROUNDS; r++)); do
                for d in "${DAEMONS[@]}"; do
                        log "${d%%:*}: $n devices, round $r of $ROUNDS"
                        line=$(run "${d%%:*}" "${d#*:}" "$n") || { log "failed; logs in $W"; exit 1; }
                        echo "$line"
                        lines[${d%%:*}]+="$line"$'\n'
                done
        done
        for d in "${DAEMONS[@]}"; do
                mapfile -t rl <<<"${lines[${d%%:*}]%$'\n'}"
                results+=("$(median_line "${d%%:*}" "$n" "${rl[@]}")")
        done
        unset lines
done

echo "--- medians of $ROUNDS rounds ---"
printf '%s\n' "${results[@]}"
# Ratios: each figure after/before at the same N, and each build's growth from one N to the next.
printf '%s\n' "${results[@]}" | awk '
function v(line, key,   m) { return match(line, key "=[0-9]+") ? substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) + 0 : -1 }
{ row[$1, $2] = $0; if (!($2 in seen)) { seen[$2] = 1; ns[++k] = $2 }; labels[$1] = 1 }
END {
        split("threads rss_kib publish_ms gmo_us tree_ms", keys, " ")
        if (("before" in labels) && ("after" in labels)) {
                print "--- after / before (same N, same run) ---"
                for (i = 1; i <= k; i++) {
                        line = sprintf("N=%-5d", ns[i])
                        for (j = 1; j <= 5; j++) {
                                a = v(row["after", ns[i]], keys[j]); b = v(row["before", ns[i]], keys[j])
                                line = line sprintf("  %s %s", keys[j], b > 0 ? sprintf("%.3f", a / b) : "-")
                        }
                        print line
                }
        }
        for (l in labels) {
                print "--- " l ": growth from one N to the next ---"
                for (i = 2; i <= k; i++) {
                        line = sprintf("N %d->%d (x%.0f)", ns[i - 1], ns[i], ns[i] / ns[i - 1])
                        for (j = 4; j <= 5; j++) {
                                a = v(row[l, ns[i]], keys[j]); b = v(row[l, ns[i - 1]], keys[j])
                                line = line sprintf("  %s x%s", keys[j], b > 0 ? sprintf("%.1f", a / b) : "-")
                        }
                        print line
                }
        }
}'
rm -rf "$W"
