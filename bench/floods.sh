#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The overload cases of tests/integration/cases/98-overload.sh as a benchmark (issue 12),
# run by bench/inner.sh inside the integration harness. Two honest clients, root and
# fwtest (polkit says yes), call fwctl0 at the same time, one Rpc after another, for
# FWCTL_BENCH_FLOOD_SECONDS (10) idle and then during each flood; their throughput is given
# relative to the idle run, with their latency, and the daemon's peak RSS in each phase
# (VmHWM, reset with /proc/PID/clear_refs before each). Never asserted.
#
#   interactive  fwpark, no grant, its own authentication agent that never answers: 128
#                interactive Rpc calls with max_response 2 MiB over 4 connections, each
#                answer followed by the same call again (the flood never lets up)
#   execute      fwpark1..8: 16 Execute calls each with 2 MiB of JSON parameters over 4
#                connections (128 in all), sustained the same way
#   slow         a device whose firmware takes 3 s per call and 64 calls at once to it
#                from one caller; the honest clients call fwctl0
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
B=$BUILD/bench/fwctl-bench
OC="/usr/bin/python3 $HERE/../tests/integration/overload-client.py"
export FWCTL_BENCH_SECONDS=${FWCTL_BENCH_FLOOD_SECONDS:-10}
N=500000 # an upper bound: the honest clients stop after FWCTL_BENCH_SECONDS
T=$(dirname "$TMPDIR")
W=$T/bench-floods
EMU="$BUILD/tests/emulator/fwctl-emu --ctl $T/emu.sock"
MIB2=2097152
mkdir -p "$W"
chmod 0755 "$W"

pid=$(busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        GetConnectionUnixProcessID s org.freedesktop.fwctl1 | jq -r '.data[0]')

as_user() { local u=$1; shift; exec setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --clear-groups -- "$@"; }
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"; }
peak_reset() { echo 5 >"/proc/$pid/clear_refs"; }

add_user() {
        id -u "$1" >/dev/null 2>&1 && return 0
        printf '%s:x:%s:%s:fwctld bench:/nonexistent:/usr/sbin/nologin\n' "$1" "$2" "$2" >>/etc/passwd
        printf '%s:x:%s:\n' "$1" "$2" >>/etc/group
}
add_user fwpark 4290
for i in 1 2 3 4 5 6 7 8; do add_user "fwpark$i" $((4290 + i)); done
cat >/etc/polkit-1/rules.d/40-fwctld-bench.rules <<'EOF'
polkit.addRule(function(action, subject) {
        if (action.id.indexOf("org.freedesktop.fwctl1.") == 0 && subject.user.indexOf("fwpark") == 0)
                return polkit.Result.AUTH_ADMIN;
        return undefined;
});
EOF
chmod 0644 /etc/polkit-1/rules.d/40-fwctld-bench.rules

# honest TAG: root and fwtest at the same time; one JSON line each in $W/TAG-{root,fwtest}
honest() {
        local a
        ( cd / && exec "$B" rpc fwctl0 "$N" 1 ) >"$W/$1-root" 2>"$W/$1-root.err" &
        a=$!
        ( cd / && as_user fwtest "$B" rpc fwctl0 "$N" 1 ) >"$W/$1-fwtest" 2>"$W/$1-fwtest.err" || true
        wait "$a" || true
}

count() { grep -c "\"event\": \"$2\"" "$W/$1.out" 2>/dev/null || true; }
settled() { # N FILE...: begins + answers >= N
        local want=$1 n=0 f
        shift
        for f in "$@"; do n=$(( n + $(count "$f" begin) + $(count "$f" answer) )); done
        [ "$n" -ge "$want" ]
}
wait_for() { local i; for ((i = 0; i < 600; i++)); do "$@" && return 0; sleep 0.05; done; return 1; }

park() { # NAME USER ARGS...
        local name=$1 user=$2
        shift 2
        # shellcheck disable=SC2086
        ( cd / && as_user "$user" $OC park "$@" ) >"$W/$name.out" 2>"$W/$name.err" &
        echo $! >"$W/$name.pid"
}
stop() { local f; for f in "$@"; do kill -TERM "$(cat "$W/$f.pid")" 2>/dev/null || true; wait "$(cat "$W/$f.pid")" 2>/dev/null || true; done; }

# phase TAG: honest clients now, then the peak RSS of the phase
phase() {
        honest "$1"
        echo "$1 $(kb VmHWM) $(kb VmRSS)" >>"$W/rss"
}

peak_reset
phase idle

peak_reset
park interactive fwpark --calls 128 --conns 4 --max-response $MIB2 --timeout 120 --hold 600 --sustain
wait_for settled 128 interactive || echo "interactive flood: not settled" >&2
phase interactive
stop interactive

peak_reset
floods=()
for i in 1 2 3 4 5 6 7 8; do
        park "execute-$i" "fwpark$i" --method Execute --params-bytes $((MIB2 - 64)) --calls 16 --conns 4 \
                --timeout 120 --hold 600 --sustain
        floods+=("execute-$i")
done
wait_for settled 128 "${floods[@]}" || echo "execute flood: not settled" >&2
phase execute
stop "${floods[@]}"

peak_reset
slow=$($EMU add mlx5 0000:3c:00.0 | cut -d' ' -f2)
for _ in $(seq 50); do busctl --system introspect org.freedesktop.fwctl1 "/org/freedesktop/fwctl1/device/$slow" \
        >/dev/null 2>&1 && break; sleep 0.1; done
$B rpc "$slow" 20 1 >/dev/null
$EMU delay "$slow" 3000 >/dev/null
( cd / && exec $OC queue --calls 64 --device "$slow" --timeout 30 ) >"$W/slow.out" 2>"$W/slow.err" &
q=$!
phase slow
wait "$q" || true
$EMU delay "$slow" 0 >/dev/null
$EMU remove "$slow" >/dev/null

echo "--- floods: honest clients (root and fwtest at once, sequential Rpc to fwctl0 for $FWCTL_BENCH_SECONDS s) ---"
for t in idle interactive execute slow; do
        for u in root fwtest; do
                jq -r --arg t "$t" --arg u "$u" '"\($t) \($u): \(.calls_per_second) calls/s, errors \(.errors)" +
                        (if .errors > 0 then " (\(.first_error))" else "" end) +
                        ", latency p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, max \(.latency_ms.max) ms"' "$W/$t-$u"
        done
done
echo "--- floods: ratios against idle (same run) ---"
for t in interactive execute slow; do
        for u in root fwtest; do
                awk -v t="$t" -v u="$u" -v r="$(jq .calls_per_second "$W/$t-$u")" -v b="$(jq .calls_per_second "$W/idle-$u")" \
                        'BEGIN { printf "%-12s %-7s throughput %.2f of idle\n", t, u, r / b }'
        done
done
echo "--- floods: the attackers ---"
for f in interactive "${floods[@]}"; do
        jq -c --arg f "$f" '{flood: $f, calls, begins, cancels, answers_per_second, counts}' \
                <(grep '"event": "summary"' "$W/$f.out")
done
jq -c '{slow: .counts, max_elapsed}' <(grep '"event": "summary"' "$W/slow.out")
echo "slow: answered within 25 s: $(grep '"event": "answer"' "$W/slow.out" | jq -s '[.[] | select(.elapsed <= 25)] | length') of 64"
echo "--- floods: daemon peak RSS per phase (VmHWM, reset before each; KiB) ---"
awk '{ printf "%-12s peak %7d KiB (%.0f MiB), at the end %7d KiB\n", $1, $2, $2 / 1024, $3 }' "$W/rss"
awk '$2 > m { m = $2 } END { printf "daemon peak RSS over the floods: %d KiB (%.0f MiB)\n", m, m / 1024 }' "$W/rss"
