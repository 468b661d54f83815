#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fwctld integration suite.
#
#   tests/integration/run.sh BUILD_DIR            run every case in cases/*.sh
#   tests/integration/run.sh BUILD_DIR --demo     bring everything up, show busctl calls
#   tests/integration/run.sh BUILD_DIR --bringup  bring-up self check only (no daemon)
#   tests/integration/run.sh BUILD_DIR --exec CMD  bring everything up, run CMD (a path in the
#                                                  source tree; $BUILD is exported), e.g. benchmarks
#
# Needs root. Re-executes itself in a private mount + pid namespace: the
# build is installed into overlays there, so the host's /usr, /etc, /var and
# /run never change. Environment: FWCTL_IT_FILTER=REGEX (run matching tests
# only), FWCTL_IT_VERBOSE=1 (print the log of failed tests), FWCTL_IT_KEEP=1
# (keep the test dir), FWCTL_IT_TEST_TIMEOUT=S (per test, default 60), FWCTL_IT_BUS=dbus-broker
# (the system bus is dbus-broker, not dbus-daemon: for the overload floods, harness.sh).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
        echo "usage: $0 BUILD_DIR [--demo|--bringup|--exec CMD...]" >&2
        exit 2
}

[ $# -ge 1 ] || usage
BUILD_ARG=$1
MODE=tests
case "${2:-}" in
"") ;;
--demo) MODE=demo ;;
--bringup) MODE=bringup ;;
--exec) MODE=exec ;;
*) usage ;;
esac

if [ "$(id -u)" != 0 ]; then
        echo "$0: must run as root (it uses mount namespaces and overlays)" >&2
        exit 2
fi
[ -d "$BUILD_ARG" ] || { echo "$0: no build dir $BUILD_ARG" >&2; exit 2; }

if [ "${FWCTL_IT_NS:-}" != 1 ]; then
        BUILD_ABS=$(cd "$BUILD_ARG" && pwd)
        shift
        exec unshare -m -p -f --mount-proc --propagation private \
                env FWCTL_IT_NS=1 /bin/bash "$HERE/run.sh" "$BUILD_ABS" "$@"
fi

# shellcheck source=tests/integration/harness.sh
source "$HERE/harness.sh"

# ---------------------------------------------------------------- demo

show() {
        local rc
        printf '\n$ %s\n' "$*"
        "$@"
        rc=$?
        [ "$rc" -eq 0 ] || printf '(exit status %d)\n' "$rc"
        return 0
}

# show_exec DEV OP JSON [JQ]: a named operation through busctl, its JSON result pretty-printed
show_exec() {
        local dev=/org/freedesktop/fwctl1/device/$1 filter=".data[0] | fromjson${4:+ | $4}"
        printf "\n$ busctl --system --json=short call org.freedesktop.fwctl1 %s org.freedesktop.fwctl1.Device Execute ss %s '%s' | jq '%s'\n" \
                "$dev" "$2" "$3" "$filter"
        busctl --system --json=short call org.freedesktop.fwctl1 "$dev" org.freedesktop.fwctl1.Device \
                Execute ss "$2" "$3" | jq "$filter" || printf '(failed)\n'
}

run_demo() {
        local dev=/org/freedesktop/fwctl1/device bnxt pds
        local qa=(16 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0)
        echo "== fwctld demo: emulated mlx5@0000:03:00.0 (fwctl0) and cxl@0000:0d:00.0 (fwctl1) =="
        show busctl --system tree org.freedesktop.fwctl1
        show busctl --system get-property org.freedesktop.fwctl1 /org/freedesktop/fwctl1 \
                org.freedesktop.fwctl1.Manager Version KernelTainted Plugins
        echo
        echo "# hotplug: the emulator adds a Broadcom bnxt NIC and an AMD/Pensando pds VF"
        bnxt=$(emu add bnxt 0000:05:00.0 | cut -d' ' -f2)
        pds=$(emu add pds 0000:07:00.1 | cut -d' ' -f2)
        wait_until 5 dev_exists "$bnxt"
        wait_until 5 dev_exists "$pds"
        show fwctlctl list
        show busctl --system get-property org.freedesktop.fwctl1 $dev/fwctl0 org.freedesktop.fwctl1.Device \
                Name DeviceType DeviceTypeName Driver Parent PciAddress DeviceNode Plugin
        show busctl --system call org.freedesktop.fwctl1 $dev/fwctl0 org.freedesktop.fwctl1.Device Info
        show busctl --system call org.freedesktop.fwctl1 $dev/fwctl1 org.freedesktop.fwctl1.Device Info
        echo
        echo "# named operations, one per device type (JSON in, JSON out):"
        show busctl --system call org.freedesktop.fwctl1 $dev/fwctl0 org.freedesktop.fwctl1.Device ListOperations
        show_exec fwctl0 query-adapter '{}'
        show_exec fwctl1 get-supported-features '{}' '.features |= map({uuid, name, set_scope})'
        show_exec "$bnxt" ver-get '{}'
        show_exec "$pds" rpc '{"endpoint":1,"operation":1,"payload":"01020304","response_size":8}'
        echo
        echo "# Rpc QUERY_ADAPTER (opcode 0x0101, big-endian, 16-byte header), scope 0, as root:"
        show busctl --system call org.freedesktop.fwctl1 $dev/fwctl0 org.freedesktop.fwctl1.Device \
                Rpc uayu 0 "${qa[@]}" 64
        echo
        echo "# the same as the unprivileged user fwtest (uid 4242; polkit rule says yes):"
        show setpriv --reuid=4242 --regid=4242 --clear-groups busctl --system call org.freedesktop.fwctl1 \
                $dev/fwctl0 org.freedesktop.fwctl1.Device Rpc uayu 0 "${qa[@]}" 64
        echo
        echo "# refused: user fwdeny (uid 4243; polkit rule says no), through gdbus, which prints the error name:"
        show setpriv --reuid=4243 --regid=4243 --clear-groups gdbus call --system \
                --dest org.freedesktop.fwctl1 --object-path $dev/fwctl0 \
                --method org.freedesktop.fwctl1.Device.Rpc 0 \
                "[byte 1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0]" 64
        echo
        echo "# refused before any ioctl: NOP (0x080d) needs scope 1 (debug-read-only), asked at scope 0:"
        show gdbus call --system --dest org.freedesktop.fwctl1 --object-path $dev/fwctl0 \
                --method org.freedesktop.fwctl1.Device.Rpc 0 "[byte 8,13,0,0,0,0,0,0,0,0,0,0,0,0,0,0]" 64
        echo
        echo "# a debug-write call taints the kernel and is journaled before and after:"
        show fwctlctl rpc fwctl0 --scope debug-write --in 08200000000000000000000000000000 --max 64
        show busctl --system get-property org.freedesktop.fwctl1 /org/freedesktop/fwctl1 \
                org.freedesktop.fwctl1.Manager KernelTainted
        show journalctl --directory=/run/log/journal --no-pager -o verbose -n 1 \
                MESSAGE_ID=f50e156c71714753b7f2153eb4430df0
        echo
        echo "== demo done; tearing down =="
}

# ---------------------------------------------------------------- main

harness_setup "$BUILD_ARG"

case "$MODE" in
bringup)
        PASSED=0
        FAILED=0
        TESTS=()
        register_file "$HERE/cases/00-bringup.sh"
        run_tests
        harness_summary
        exit $?
        ;;
demo)
        harness_start_daemon
        run_demo
        exit 0
        ;;
exec)
        # Everything up, then one command inside (benchmarks); BUILD is exported for it.
        harness_start_daemon
        shift 2
        export BUILD
        "$SRCDIR/$1" "${@:2}"
        exit $?
        ;;
esac

harness_start_daemon
TESTS=()
for f in "$HERE"/cases/*.sh; do
        register_file "$f"
done
# The overload floods (about 2 minutes, 2 MiB floods that saturate the bus) run last, after
# every other case; FWCTL_IT_OVERLOAD=0 leaves them out.
if [ "${FWCTL_IT_OVERLOAD:-1}" = 1 ]; then
        register_file "$HERE/overload/98-overload.sh"
fi
run_tests
check_daemon_clean_shutdown
harness_summary
