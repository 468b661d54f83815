# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Reporting for the suites that count their own checks (tests/packaging, tests/systemd):
# PASS and FAIL counters, "ok N - ..." / "FAIL N - ..." lines, and timing. A failed check
# shows the tail of $T/last.out, where the suites keep the last command's output.

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

ok() {
        PASS=$((PASS + 1))
        echo "ok $((PASS + FAIL)) - $1"
}

not_ok() {
        FAIL=$((FAIL + 1))
        echo "FAIL $((PASS + FAIL)) - $1"
        [ -s "$T/last.out" ] && sed 's/^/    | /' "$T/last.out" | tail -n 25
        return 0
}
