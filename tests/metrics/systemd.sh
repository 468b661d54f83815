#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# fwctld-metrics.service and fwctld-metrics.timer under a real systemd as PID 1: BUILD
# (no sanitizers; default build-gcc) installed with `meson install --destdir` into the
# packaging test's cached Debian 12 tree (tests/packaging/tree.sh), booted with
# systemd-nspawn (tests/lib/nspawn.sh). Prints PASS/FAIL lines, then `N passed, N failed`
# (tests/metrics/run.sh adds them to its own). Needs root. See tests/metrics/README.md.
#
#   tests/metrics/systemd.sh [BUILD] [--keep]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

ARGS=("$@")
BUILD=build-gcc
KEEP=0
for a in "$@"; do
        case "$a" in
        --keep) KEEP=1 ;;
        -*) echo "usage: $0 [BUILD] [--keep]" >&2; exit 2 ;;
        *) BUILD=$a ;;
        esac
done

if [ "$(id -u)" != 0 ]; then
        echo "metrics/systemd: needs root (systemd-nspawn)" >&2
        exit 77
fi
if [ "${FWCTLD_METRICS_SD_NS:-}" != 1 ]; then
        FWCTLD_METRICS_SD_NS=1 exec unshare -m --propagation private "$0" "${ARGS[@]}"
fi

# shellcheck source=tests/lib/nspawn.sh
. tests/lib/nspawn.sh

T=$(mktemp -d "${TMPDIR:-/tmp}/fwctld-metrics-sd.XXXXXX")
PASS=0
FAIL=0
TEXTFILE=/var/lib/prometheus/node-exporter
PROM=$TEXTFILE/fwctld.prom
SERVICE=fwctld-metrics.service
TIMER=fwctld-metrics.timer

trap 'nspawn_cleanup "$KEEP" metrics/systemd' EXIT

# check NAME CMD...: PASS systemd_NAME, or FAIL with the last lines CMD printed
check() {
        local name=$1
        shift
        if "$@" >"$T/last.out" 2>&1; then
                PASS=$((PASS + 1))
                echo "PASS systemd_$name"
                [ "${FWCTL_IT_VERBOSE:-0}" != 1 ] || sed 's/^/    | /' "$T/last.out"
        else
                FAIL=$((FAIL + 1))
                echo "FAIL systemd_$name: $(tail -n 1 "$T/last.out")"
                sed 's/^/    | /' "$T/last.out" | tail -n 20
        fi
}

finish() {
        echo "$PASS passed, $FAIL failed"
        [ "$FAIL" = 0 ]
        exit
}

# the journal of the service after a cursor
cursor() { inc journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'; }
journal_after() { inc journalctl -u "$SERVICE" --after-cursor="$1" --no-pager -o cat; }

if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" --prefix=/usr --sysconfdir=/etc --localstatedir=/var -Dtests=false \
                >"$T/build.log" 2>&1 || { tail -n 30 "$T/build.log"; exit 1; }
fi
meson compile -C "$BUILD" >>"$T/build.log" 2>&1 || { tail -n 30 "$T/build.log"; exit 1; }

if ! TREE=$(tests/packaging/tree.sh); then
        check tree false
        finish
fi
nspawn_overlay "$TREE"
install_build() {
        meson install -C "$BUILD" --no-rebuild --quiet --destdir "$T/merged" &&
                test -f "$T/merged/usr/lib/systemd/system/$SERVICE" &&
                test -f "$T/merged/usr/lib/systemd/system/$TIMER" &&
                test -x "$T/merged/usr/bin/fwctlctl"
}
check install_build install_build
nspawn_start fwctld-metrics-sd
check boot nspawn_booted
[ -n "$LEADER" ] || finish

# Installed, not enabled, not running; the timer as documented (30 s, 1 s accuracy).
not_enabled() {
        local state
        state=$(inc systemctl is-enabled "$TIMER")
        echo "$TIMER: $state, $(inc systemctl is-active "$TIMER")"
        [ "$state" = disabled ] && ! inc systemctl is-active --quiet "$TIMER" &&
                inc systemctl show -P TimersMonotonic "$TIMER" | tee /dev/stderr | grep 'OnUnitActiveUSec=30s' >/dev/null &&
                [ "$(inc systemctl show -P AccuracyUSec "$TIMER")" = 1s ]
}
check timer_installed_not_enabled not_enabled

# node_exporter not installed: the service fails, saying why
no_directory() {
        local c
        c=$(cursor)
        ! inc systemctl start "$SERVICE" || return 1
        sleep 0.2
        journal_after "$c" | tee /dev/stderr | grep "fwctld.prom: No such file or directory" >/dev/null
        inc systemctl reset-failed "$SERVICE"
}
check fails_clearly_without_the_directory no_directory

# The directory as prometheus-node-exporter makes it (root, 0755): the file appears,
# 0644 (the unit's UMask is 0077), no temporary file left, fwctld activated by the call.
writes_file() {
        inc install -d -m 0755 "$TEXTFILE" &&
                inc systemctl start "$SERVICE" &&
                inc stat -c '%a %U %n' "$PROM" | tee /dev/stderr | grep -x "644 root $PROM" >/dev/null &&
                [ "$(inc ls -A "$TEXTFILE")" = fwctld.prom ] &&
                inc systemctl is-active fwctld.service &&
                promtool check metrics <"$T/merged$PROM" &&
                grep -qx 'fwctl_devices 0' "$T/merged$PROM"
}
check service_writes_the_textfile writes_file

# The sandbox applies: another directory through Environment= alone is read-only for
# the service; with the ReadWritePaths= the unit file's comment gives, it works.
other_directory() {
        local d=/srv/node-exporter/textfile c
        inc install -d -m 0755 "$d" && inc mkdir -p "/run/systemd/system/$SERVICE.d" || return 1
        printf '[Service]\nEnvironment=FWCTLD_METRICS_DIR=%s\n' "$d" |
                inc tee "/run/systemd/system/$SERVICE.d/dir.conf" >/dev/null
        inc systemctl daemon-reload
        c=$(cursor)
        ! inc systemctl start "$SERVICE" || { echo "wrote outside ReadWritePaths="; return 1; }
        sleep 0.2
        journal_after "$c" | grep "Read-only file system" >/dev/null || { journal_after "$c"; return 1; }
        inc systemctl reset-failed "$SERVICE"
        printf 'ReadWritePaths=%s\n' "$d" | inc tee -a "/run/systemd/system/$SERVICE.d/dir.conf" >/dev/null
        inc systemctl daemon-reload
        inc systemctl start "$SERVICE" && inc test -s "$d/fwctld.prom" && inc ls -l "$d" || return 1
        inc rm -r "/run/systemd/system/$SERVICE.d" && inc systemctl daemon-reload
}
check drop_in_directory_needs_read_write_paths other_directory

# Enabled, the timer runs the service again and again. A drop-in shortens the period
# (an empty assignment resets every monotonic timer of the unit): at once when the timer
# starts, then 1 s after each run.
timer_runs() {
        local c n
        inc mkdir -p "/run/systemd/system/$TIMER.d" &&
                printf '[Timer]\nOnBootSec=\nOnActiveSec=0\nOnUnitActiveSec=1s\n' |
                inc tee "/run/systemd/system/$TIMER.d/fast.conf" >/dev/null &&
                inc systemctl daemon-reload || return 1
        c=$(cursor)
        inc systemctl enable --now "$TIMER" || return 1
        for _ in $(seq 1 50); do
                n=$(journal_after "$c" | grep -c '^Finished fwctld-metrics.service')
                [ "$n" -ge 2 ] && break
                sleep 0.2
        done
        echo "runs seen: $n"
        inc systemctl list-timers --all --no-pager "$TIMER"
        [ "$n" -ge 2 ] && inc systemctl is-enabled "$TIMER" && ! inc systemctl --failed --no-legend | grep .
}
check timer_enabled_runs_the_service timer_runs
inc systemctl disable --now "$TIMER" >/dev/null 2>&1

security() {
        local out score
        out=$(inc systemd-analyze security --no-pager "$SERVICE" 2>&1)
        score=$(sed -n 's/.*Overall exposure level for fwctld-metrics.service: \([0-9.]*\).*/\1/p' <<<"$out")
        echo "exposure of the loaded unit: $score"
        [[ $score =~ ^[0-9]+\.[0-9]+$ ]] && awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'
}
check exposure_of_the_running_unit security

nspawn_stop >/dev/null 2>&1
finish
