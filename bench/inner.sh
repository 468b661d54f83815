#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the integration harness (tests/integration/run.sh BUILD --exec bench/inner.sh):
# fwctld is serving the emulated devices. Every number is reported as a ratio against a
# baseline measured in the same run, so machines of different speed compare.
#
# FWCTL_BENCH_PARTS (default "basic sessions floods") picks the parts: basic (below),
# sessions (bench/sessions.sh, issue 13), floods (bench/floods.sh, issue 12).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PARTS=" ${FWCTL_BENCH_PARTS:-basic sessions floods} "
B=$BUILD/bench/fwctl-bench
N=${FWCTL_BENCH_CALLS:-2000}

rate() { jq -r .calls_per_second <<<"$1"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

basic() {
        pid=$(busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s org.freedesktop.fwctl1 | jq -r '.data[0]')

        ping1=$($B ping fwctl0 "$N" 1)
        info1=$($B info fwctl0 "$N" 1)
        rpc1=$($B rpc fwctl0 "$N" 1)
        rss0=$(rss_kib "$pid")
        rpc8=$($B rpc fwctl0 "$N" 8)
        ping8=$($B ping fwctl0 "$N" 8)
        big=$($B rpc fwctl0 50 1 $((2 * 1024 * 1024)) $((2 * 1024 * 1024)))
        small50=$($B rpc fwctl0 50 1)
        # Growth in a first round is allocator warm-up (per-thread arenas); a second round
        # of the same size shows whether memory keeps growing with calls.
        for _ in 1 2 3; do $B rpc fwctl0 "$N" 8 >/dev/null; done
        rss1=$(rss_kib "$pid")
        for _ in 1 2 3; do $B rpc fwctl0 "$N" 8 >/dev/null; done
        rss2=$(rss_kib "$pid")

        printf '%s\n' "$ping1" "$info1" "$rpc1" "$rpc8" "$ping8" "$big" "$small50"
        echo "--- ratios (same run) ---"
        awk -v p="$(rate "$ping1")" -v i="$(rate "$info1")" -v r="$(rate "$rpc1")" \
            -v p8="$(rate "$ping8")" -v r8="$(rate "$rpc8")" -v b="$(rate "$big")" -v s="$(rate "$small50")" \
            -v m0="$rss0" -v m1="$rss1" -v m2="$rss2" -v n="$((3 * N))" 'BEGIN {
                printf "Info / Ping (sequential):           %.2f\n", i / p
                printf "Rpc / Ping (sequential):            %.2f\n", r / p
                printf "Rpc / Ping (8 in flight):           %.2f\n", r8 / p8
                printf "Rpc 8 in flight / Rpc sequential:   %.2f\n", r8 / r
                printf "Rpc 2 MiB in+out / Rpc 16 B:        %.3f\n", b / s
                printf "daemon RSS, first %d calls:      %+d KiB (from %d KiB)\n", n, m1 - m0, m0
                printf "daemon RSS, next %d calls:       %+d KiB\n", n, m2 - m1
        }'
}

if [[ $PARTS == *" basic "* ]]; then basic; fi
# Sessions against per-call checks, root and a bare sd-bus "ideal daemon"; RpcFd against ay.
if [[ $PARTS == *" sessions "* ]]; then "$HERE/sessions.sh"; fi
# The overload cases of issue 12 (tests/integration/cases/98-overload.sh) as floods, with
# the honest clients' throughput and latency during each, and the daemon's peak RSS.
if [[ $PARTS == *" floods "* ]]; then "$HERE/floods.sh"; fi
