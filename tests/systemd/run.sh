#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# fwctld.service under a real systemd as PID 1: the build, installed with meson into a
# fresh Debian 12 tree booted with systemd-nspawn, started, D-Bus activated, reloaded
# and stopped by systemd, with its sandbox checked on the running process, and a run
# where any syscall the filter blocks kills it (SystemCallErrorNumber=kill). Needs root.
# See tests/systemd/README.md.
#
#   tests/systemd/run.sh [BUILD] [--keep]
#
#   BUILD   a meson build directory configured with --prefix=/usr --sysconfdir=/etc
#           --localstatedir=/var (default build-gcc; set up with -Dtests=false if absent)
#   --keep  keep the test directory (console log, the overlay's changes)
set -euo pipefail
cd "$(dirname "$0")/../.."

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
        echo "systemd: needs root (systemd-nspawn)" >&2
        exit 77
fi

# Everything below runs in a private mount namespace: the tmpfs on /run, the overlay
# and the container's mounts vanish with it, whatever way the script ends.
if [ "${FWCTLD_SYSTEMD_NS:-}" != 1 ]; then
        scripts/deps.sh
        FWCTLD_SYSTEMD_NS=1 exec unshare -m --propagation private "$0" "${ARGS[@]}"
fi

# shellcheck source=tests/lib/nspawn.sh
. tests/lib/nspawn.sh
# shellcheck source=tests/lib/report.sh
. tests/lib/report.sh

T=$(mktemp -d /tmp/fwctld-systemd.XXXXXX)
PASS=0
FAIL=0
SKIPPED=()
UNIT=fwctld.service
START_MS=""
BUS=(org.freedesktop.fwctl1 /org/freedesktop/fwctl1 org.freedesktop.fwctl1.Manager)
declare -A SECONDS_OF

trap 'nspawn_cleanup "$KEEP" systemd' EXIT

# check DESCRIPTION CMD...: one check, passed when CMD exits 0; its output is shown on
# failure, and with FWCTLD_SYSTEMD_VERBOSE=1 always.
check() {
        local desc=$1
        shift
        if "$@" > "$T/last.out" 2>&1; then
                ok "$desc"
                [ "${FWCTLD_SYSTEMD_VERBOSE:-}" != 1 ] || sed 's/^/    | /' "$T/last.out"
        else
                not_ok "$desc"
        fi
}

skip() {
        SKIPPED+=("$1")
        echo "skip - $1"
}

finish() {
        [ ${#SKIPPED[@]} -eq 0 ] || echo "${#SKIPPED[@]} skipped (see the skip lines above)"
        echo "$PASS passed, $FAIL failed"
        [ "$FAIL" = 0 ]
        exit
}

main_pid() { inc systemctl show -P MainPID "$UNIT"; }
# A command in the running service's mount namespace (what fwctld sees of the files).
in_service() { inc nsenter -t "$(main_pid)" -m -- "$@"; }
as_user() { inc setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
# The journal of the unit (fwctld's lines and PID 1's about it) after a cursor.
cursor() { inc journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'; }
journal_after() { inc journalctl -u "$UNIT" --after-cursor="$1" --no-pager -o cat; }
# wait_journal CURSOR REGEX: up to 10 s for a matching line (journald is asynchronous).
wait_journal() {
        for _ in $(seq 1 100); do
                journal_after "$1" | grep -E -- "$2" && return 0
                sleep 0.1
        done
        echo "no line matching '$2' after the cursor; the unit's journal since:"
        journal_after "$1"
        return 1
}

###############################################################################
# 1. The build, installed into a booted Debian 12 tree.

t0=$(now)
if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" --prefix=/usr --sysconfdir=/etc --localstatedir=/var -Dtests=false \
                > "$T/build.log" 2>&1 || { tail -n 30 "$T/build.log"; exit 1; }
fi
meson compile -C "$BUILD" >> "$T/build.log" 2>&1 || { tail -n 30 "$T/build.log"; exit 1; }
gcc -O2 -Wall -o "$T/uevent" tests/systemd/uevent.c
SECONDS_OF[build]=$(elapsed "$t0")

# The installed layout must be the one a package or `meson install` gives.
real_layout() {
        meson introspect --buildoptions "$BUILD" |
                jq -r '.[] | select(.name == "prefix" or .name == "sysconfdir" or .name == "localstatedir")
                       | "\(.name)=\(.value)"' | sort | tee /dev/stderr |
                tr '\n' ' ' | grep -x 'localstatedir=/var prefix=/usr sysconfdir=/etc ' >/dev/null
}
check "$BUILD is configured for the real layout (prefix /usr, /etc, /var)" real_layout

t0=$(now)
if ! TREE=$(tests/packaging/tree.sh); then
        not_ok "a cached Debian 12 tree (tests/packaging/tree.sh)"
        finish
fi
SECONDS_OF[tree]=$(elapsed "$t0")

t0=$(now)
nspawn_overlay "$TREE"
install_build() {
        meson install -C "$BUILD" --no-rebuild --quiet --destdir "$T/merged" &&
                test -x "$T/merged/usr/libexec/fwctld" &&
                test -f "$T/merged/usr/lib/systemd/system/$UNIT" &&
                test -f "$T/merged/usr/share/dbus-1/system-services/org.freedesktop.fwctl1.service"
}
check "meson install --destdir into the tree (daemon, unit, bus activation file)" install_build
mkdir -p "$T/bin"
cp "$T/uevent" "$T/bin/"
nspawn_start fwctld-systemd-test --bind-ro="$T/bin:/mnt"
check "the container boots to 'running' under systemd (no failed unit)" nspawn_booted
SECONDS_OF[boot]=$(elapsed "$t0")
[ -n "$LEADER" ] || finish

# The container has no udevd (its /sys is read-only): libudev then disables every
# monitor, fwctld's included. Marking udevd's control socket as there makes the monitor
# subscribe to udev's group, where /mnt/uevent broadcasts in udev's format (README.md).
# Device nodes for those events: one with /dev/net/tun's number, which the unit's
# DevicePolicy=closed refuses, one with /dev/null's, which it allows.
prepare() {
        inc sh -c 'mkdir -p /run/udev && : > /run/udev/control &&
                   mkdir -p /dev/fwctl /etc/fwctld/deny.d &&
                   mknod -m 0600 /dev/fwctl/fwctl0 c 10 200 && mknod -m 0600 /dev/fwctl/fwctl1 c 1 3 &&
                   journalctl --update-catalog'
}
check "in the container: udevd's control socket stood in for, two device nodes, the catalog" prepare

###############################################################################
# 2. The unit as installed: start, sandbox, bus, reload, stop, D-Bus activation.

t0=$(now)
start_active() {
        local a b
        a=$(now)
        inc systemctl start "$UNIT" || return 1
        b=$(now)
        START_MS=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
        echo "systemctl start returned after $START_MS ms"
        inc systemctl is-active "$UNIT" && inc journalctl -u "$UNIT" -b --no-pager -o cat
}
check "systemctl start $UNIT: active (Type=dbus: the name is on the bus)" start_active

# Wants=/After=modprobe@fwctl.service: pulled in and done before fwctld started. In a
# container it is skipped (ConditionCapability=CAP_SYS_MODULE), as systemd intends.
modprobe_first() {
        local cond exit_fw
        cond=$(inc systemctl show -P ConditionTimestampMonotonic modprobe@fwctl.service)
        exit_fw=$(inc systemctl show -P InactiveExitTimestampMonotonic "$UNIT")
        inc systemctl show -p ConditionResult -p ActiveState modprobe@fwctl.service
        echo "modprobe@fwctl condition checked at $cond us, fwctld left inactive at $exit_fw us"
        [ "${cond:-0}" -gt 0 ] && [ "$cond" -le "$exit_fw" ]
}
check "modprobe@fwctl.service pulled in and run before fwctld (skipped here: no CAP_SYS_MODULE)" modprobe_first

PID=$(main_pid)
status_of() { inc grep -E "^$1:" "/proc/$PID/status"; }
status_is() {
        local line
        line=$(status_of "$1")
        echo "$line"
        [ "$(echo "$line" | awk '{ print $2 }')" = "$2" ]
}
seccomp_nnp() { status_is Seccomp 2 && status_is NoNewPrivs 1; }
check "the running fwctld: seccomp filter mode (Seccomp: 2) and NoNewPrivs: 1" seccomp_nnp
# CAP_SYS_RAWIO is capability 17.
caps() {
        status_is CapBnd 0000000000020000 && status_is CapEff 0000000000020000 &&
                status_is CapPrm 0000000000020000 && status_is CapInh 0000000000000000 &&
                status_is CapAmb 0000000000000000
}
check "capabilities: bounding, effective and permitted sets are CAP_SYS_RAWIO only" caps

# ProtectSystem=strict: what the daemon sees of / is read-only, whatever its uid.
read_only_root() {
        local d out
        in_service findmnt -n -o TARGET,OPTIONS / || return 1
        in_service findmnt -n -o OPTIONS / | grep -E '(^|,)ro(,|$)' >/dev/null || return 1
        for d in /usr /etc /var /usr/libexec /etc/fwctld/deny.d; do
                if out=$(in_service touch "$d/.fwctld-write-test" 2>&1); then
                        echo "$d: writable"
                        return 1
                fi
                echo "$d: $out"
                echo "$out" | grep 'Read-only file system' >/dev/null || return 1
        done
}
check "ProtectSystem=strict: / is read-only in fwctld's mount namespace (writes get EROFS)" read_only_root
private_tmp_home() {
        local ours theirs
        ours=$(in_service stat -c '%d:%i' /tmp) && theirs=$(inc stat -c '%d:%i' /tmp) &&
                echo "/tmp: service $ours, container $theirs" && [ "$ours" != "$theirs" ] &&
                in_service stat -c '%n: mode %a' /root /home &&
                in_service sh -c 'test -z "$(find /root /home -mindepth 1 | head -n 1)"'
}
check "PrivateTmp= and ProtectHome=: a /tmp of its own, /root and /home empty" private_tmp_home

device_policy_configured() {
        local out
        out=$(inc systemctl show -p DevicePolicy -p DeviceAllow "$UNIT")
        echo "$out"
        echo "$out" | grep -x 'DevicePolicy=closed' >/dev/null && echo "$out" | grep -x 'DeviceAllow=char-fwctl rw' >/dev/null
}
check "systemctl show: DevicePolicy=closed, DeviceAllow=char-fwctl rw" device_policy_configured

# The policy as applied (a BPF program on the unit's cgroup): fwctld itself is refused
# a node root opens fine outside the unit, and is allowed /dev/null's number. The events
# reach it through its udev monitor, with the device-add path of a real hotplug.
send_uevent() {
        inc /mnt/uevent "$1" "/devices/virtual/fwctl/$2" SUBSYSTEM=fwctl "DEVNAME=/dev/fwctl/$2" \
                "MAJOR=$3" "MINOR=$4"
}
device_policy_applied() {
        local c
        inc sh -c 'exec 3<> /dev/fwctl/fwctl0' && echo "root outside the unit opens /dev/fwctl/fwctl0 (10:200)" &&
                c=$(cursor) &&
                send_uevent add fwctl0 10 200 && send_uevent add fwctl1 1 3 &&
                wait_journal "$c" "Failed to open '/dev/fwctl/fwctl0': Operation not permitted" &&
                wait_journal "$c" "FWCTL_INFO on '/dev/fwctl/fwctl1' failed: Inappropriate ioctl" &&
                send_uevent remove fwctl0 10 200 && send_uevent remove fwctl1 1 3
}
check "DevicePolicy=closed applied: fwctld gets EPERM opening a 10:200 node, opens 1:3 (udev add events)" \
        device_policy_applied

limits_configured() {
        local out
        out=$(inc systemctl show -p MemoryMax -p TasksMax "$UNIT")
        echo "$out"
        echo "$out" | grep -x 'MemoryMax=1073741824' >/dev/null && echo "$out" | grep -x 'TasksMax=4200' >/dev/null
}
check "systemctl show: MemoryMax=1073741824, TasksMax=4200" limits_configured
CG=/sys/fs/cgroup$(inc systemctl show -P ControlGroup "$UNIT")
controllers=$(inc cat "$(dirname "$CG")/cgroup.controllers")
if echo "$controllers" | grep -w memory >/dev/null; then
        cgroup_limits() {
                inc grep -H . "$CG/memory.max" "$CG/pids.max" &&
                        [ "$(inc cat "$CG/memory.max")" = 1073741824 ] && [ "$(inc cat "$CG/pids.max")" = 4200 ]
        }
        check "the unit's cgroup: memory.max = 1073741824, pids.max = 4200" cgroup_limits
else
        why="not delegated to the container"
        if grep -qE '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup; then
                why="this host binds memory to a cgroup v1 hierarchy, so no cgroup v2 tree can enable it"
        fi
        skip "memory.max/pids.max in the unit's cgroup: the container's cgroup v2 has no memory controller (system.slice cgroup.controllers: '${controllers}'; $why)"
fi

exposure() {
        local out level
        out=$(inc systemd-analyze security --no-pager "$UNIT")
        echo "$out" | tail -n 3
        level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
}
check "systemd-analyze security $UNIT: overall exposure <= 2.0" exposure

# --man=no: the minimal tree has no man(1); the page itself is checked to be installed.
verify() {
        local out
        out=$(inc systemd-analyze verify --man=no "$UNIT" 2>&1) || { echo "$out"; return 1; }
        [ -z "$out" ] || { echo "$out"; return 1; }
        inc ls /usr/share/man/man8/ | grep -E '^fwctld\.8(\.gz)?$'
}
check "systemd-analyze verify $UNIT: no warning (and man:fwctld(8) is installed)" verify

# bus_answers [as_user]: properties and a GetDevice that finds nothing.
bus_answers() {
        local out err
        out=$("$@" busctl --system get-property "${BUS[@]}" Version) && echo "Version: $out" &&
                echo "$out" | grep -E '^s "[0-9]' >/dev/null &&
                out=$("$@" busctl --system get-property "${BUS[@]}" Plugins) && echo "Plugins: $out" &&
                echo "$out" | grep '^a(sus) 5 ' >/dev/null || return 1
        err=$("$@" dbus-send --system --print-reply --dest="${BUS[0]}" "${BUS[1]}" \
                "${BUS[2]}.GetDevice" string:fwctl99 2>&1) && { echo "GetDevice fwctl99 succeeded: $err"; return 1; }
        echo "GetDevice fwctl99: $err"
        echo "$err" | grep '^Error org.freedesktop.fwctl1.Error.NoSuchDevice:' >/dev/null
}
check "bus as root: Version, Plugins (5), GetDevice of a missing device -> NoSuchDevice" bus_answers inc
check "bus as nobody: Version, Plugins (5), GetDevice of a missing device -> NoSuchDevice" bus_answers as_user

# ExecReload= sends SIGHUP: the daemon re-reads deny.d (a rule written before) in place.
reload() {
        local c before after
        printf '# tests/systemd\n* * debug-write-full\n' | inc sh -c 'cat > /etc/fwctld/deny.d/50-test.conf'
        before=$(main_pid)
        c=$(cursor)
        inc systemctl reload "$UNIT" || { echo "systemctl reload failed"; return 1; }
        after=$(main_pid)
        echo "MainPID before $before, after $after"
        [ "$before" = "$after" ] && inc systemctl is-active "$UNIT" &&
                wait_journal "$c" '^Reloading the deny list and the raw opt-in list\.$' &&
                wait_journal "$c" "^Deny list: 1 rule\(s\) from '/etc/fwctld/deny.d'\.$"
}
check "systemctl reload: exit 0, same MainPID, deny.d re-read (journal: Deny list: 1 rule(s))" reload

# stop_clean: systemd stops it, and its main process exits by itself with status 0 (the
# unit is unloaded once inactive, so what systemctl show says then is no record: the
# journal is).
stop_clean() {
        local c
        c=$(cursor)
        inc systemctl stop "$UNIT" && ! inc systemctl is-active "$UNIT" &&
                wait_journal "$c" "^$UNIT: Deactivated successfully\.$" || return 1
        ! journal_after "$c" | grep -E 'Main process exited|Failed with result|Killing process'
}
check "systemctl stop: inactive, deactivated successfully (main process exited 0 on SIGTERM)" stop_clean

activation() {
        local before=$PID
        ! inc systemctl is-active "$UNIT" || return 1
        as_user busctl --system get-property "${BUS[@]}" Version &&
                inc systemctl is-active "$UNIT" && echo "MainPID $(main_pid) (was $before)" &&
                [ "$(main_pid)" != "$before" ]
}
check "D-Bus activation: a busctl call (as nobody) starts the stopped unit" activation
SECONDS_OF[unit]=$(elapsed "$t0")

###############################################################################
# 3. SystemCallErrorNumber=kill: any syscall the filter blocks is SIGSYS, visible as
# status=31/SYS, instead of a quiet EPERM that the daemon might handle or hide.

t0=$(now)
# The mechanism first: the unit's filter, in kill mode, does kill a process that makes
# a blocked call (nice(1): setpriority, in @resources).
canary() {
        inc systemd-run --wait --quiet --unit=fwctld-sigsys-canary -p SystemCallArchitectures=native \
                -p SystemCallFilter=@system-service -p 'SystemCallFilter=~@privileged @resources' \
                -p SystemCallErrorNumber=kill nice -n 5 true
        inc journalctl -u fwctld-sigsys-canary.service --no-pager -o cat | grep 'status=31/SYS'
        local r=$?
        inc systemctl reset-failed fwctld-sigsys-canary.service 2>/dev/null || true
        return $r
}
check "kill mode works here: a blocked call under the unit's filter ends in status=31/SYS" canary

# WatchdogSec= is shortened from 3 min so that the daemon's watchdog pings (sd-event
# sends one every half interval at most) happen within the run too.
drop_in() {
        inc sh -c 'mkdir -p /etc/systemd/system/fwctld.service.d &&
                   printf "[Service]\nSystemCallErrorNumber=kill\nWatchdogSec=2s\n" \
                        > /etc/systemd/system/fwctld.service.d/90-sigsys.conf' &&
                inc systemctl daemon-reload && inc systemctl restart "$UNIT" &&
                inc systemctl is-active "$UNIT" &&
                inc systemctl show -p DropInPaths -p SystemCallErrorNumber "$UNIT" > "$T/dropin.out" &&
                cat "$T/dropin.out" && grep -q '90-sigsys.conf' "$T/dropin.out" &&
                # systemd 252 shows "kill" as its internal number, INT_MAX - 1.
                grep -qxE 'SystemCallErrorNumber=(kill|2147483646)' "$T/dropin.out"
}
check "drop-in SystemCallErrorNumber=kill (and WatchdogSec=2s): fwctld restarted and active" drop_in

# What a running daemon does besides idling: bus calls as root and as a user, hotplug
# add/remove events through its monitor (a worker thread each, open, ioctl, teardown),
# a reload, watchdog pings, and at the end SIGTERM.
PID=$(main_pid)
watchdog_ts() { inc systemctl show -P WatchdogTimestampMonotonic "$UNIT"; }
exercise() {
        local c w0 w1
        c=$(cursor)
        w0=$(watchdog_ts)
        for _ in 1 2 3; do
                bus_answers inc > /dev/null && bus_answers as_user > /dev/null || return 1
                inc busctl --system call "${BUS[0]}" "${BUS[1]}" org.freedesktop.DBus.ObjectManager \
                        GetManagedObjects > /dev/null &&
                        as_user busctl --system introspect "${BUS[0]}" "${BUS[1]}" > /dev/null &&
                        as_user busctl --system call "${BUS[0]}" "${BUS[1]}" org.freedesktop.DBus.Properties \
                                GetAll s "${BUS[2]}" > /dev/null || return 1
                send_uevent add fwctl0 10 200 && send_uevent add fwctl1 1 3 &&
                        send_uevent change fwctl1 1 3 || return 1
                send_uevent remove fwctl0 10 200 && send_uevent remove fwctl1 1 3 || return 1
                inc systemctl reload "$UNIT" || return 1
        done
        # More than one watchdog interval: pings must have come, and nothing else killed it.
        sleep 2.5
        w1=$(watchdog_ts)
        echo "last watchdog ping at $w0 us, then $w1 us"
        [ "${w1:-0}" -gt "${w0:-0}" ] || return 1
        wait_journal "$c" "FWCTL_INFO on '/dev/fwctl/fwctl1' failed" > /dev/null &&
                wait_journal "$c" "Failed to open '/dev/fwctl/fwctl0'" > /dev/null &&
                wait_journal "$c" "^Deny list: 1 rule" > /dev/null &&
                echo "MainPID $PID, now $(main_pid)" && [ "$(main_pid)" = "$PID" ] &&
                inc systemctl is-active "$UNIT"
}
check "kill mode: bus calls (root, nobody), udev add/change/remove, reloads, watchdog pings; still active, same PID" \
        exercise
check "kill mode: systemctl stop, deactivated successfully" stop_clean
no_sigsys() {
        local out
        out=$(inc journalctl -u "$UNIT" -b --no-pager -o cat)
        echo "$out" | grep -E 'status=31/SYS|code=killed|code=dumped|Failed with result|[Ww]atchdog timeout' && return 1
        echo "no status=31/SYS in the unit's journal of this boot ($(echo "$out" | wc -l) lines)"
}
check "no SIGSYS: the unit's journal of the whole boot has no status=31/SYS, no kill, no watchdog timeout" no_sigsys
SECONDS_OF[kill]=$(elapsed "$t0")

t0=$(now)
nspawn_stop || true
SECONDS_OF[shutdown]=$(elapsed "$t0")

printf 'systemd: seconds:'
for k in build tree boot unit kill shutdown; do
        [ -n "${SECONDS_OF[$k]:-}" ] && printf ' %s %s,' "$k" "${SECONDS_OF[$k]}"
done
echo " start to active ${START_MS:-?} ms"
finish
