#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Browser test of the Cockpit page (cockpit/fwctl):
#
#   tests/cockpit/run.sh BUILD_DIR
#
# Needs root. Installs what it needs (deps.sh), then re-executes itself in a
# private mount + pid namespace and reuses the integration harness
# (tests/integration/harness.sh): the build installed into overlays, real
# journald, dbus-daemon, polkitd and fwctld under the umockdev emulator
# (fwctl0 = mlx5@0000:03:00.0, fwctl1 = cxl@0000:0d:00.0). On top it runs
# two cockpit-ws --local-session instances, one for root (port 9090) and one
# whose bridge runs as the polkit-denied user fwdeny (port 9091), one for fwtest
# (port 9092, allowed scopes 0 and 1 by the harness's polkit rule), and drives
# Debian's /usr/bin/chromium with playwright-core (test-page.mjs).
# Screenshots go to ${FWCTL_ARTIFACTS:-$T/artifacts}; with FWCTL_DOCS_SCREENSHOTS=DIR
# (e.g. docs/screenshots) README's cockpit-list.png and cockpit-detail.png are written
# there too. Environment as in
# tests/integration/run.sh: FWCTL_IT_KEEP=1 keeps the test dir,
# FWCTL_IT_VERBOSE=1 prints the cockpit-ws logs on failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ $# -ne 1 ]; then
        echo "usage: $0 BUILD_DIR" >&2
        exit 2
fi
if [ "$(id -u)" != 0 ]; then
        echo "$0: must run as root (it uses mount namespaces and overlays)" >&2
        exit 2
fi
[ -d "$1" ] || { echo "$0: no build dir $1" >&2; exit 2; }

if [ "${FWCTL_IT_NS:-}" != 1 ]; then
        BUILD_ABS=$(cd "$1" && pwd)
        if [ -n "${FWCTL_DOCS_SCREENSHOTS:-}" ]; then
                mkdir -p "$FWCTL_DOCS_SCREENSHOTS" || exit 2
                FWCTL_DOCS_SCREENSHOTS=$(cd "$FWCTL_DOCS_SCREENSHOTS" && pwd)
                export FWCTL_DOCS_SCREENSHOTS
        fi
        "$HERE/deps.sh" || { echo "$0: dependencies missing"; echo "0 passed, 1 failed"; exit 1; }
        exec unshare -m -p -f --mount-proc --propagation private \
                env FWCTL_IT_NS=1 /bin/bash "$HERE/run.sh" "$BUILD_ABS"
fi

STARTED=$(date +%s%N)
# shellcheck source=tests/integration/harness.sh
source "$HERE/../integration/harness.sh"

COCKPIT_WS=/usr/lib/cockpit/cockpit-ws
PAGE_SRC=$(cd "$HERE/../../cockpit/fwctl" && pwd)
ROOT_PORT=9090
DENY_PORT=9091
TEST_PORT=9092

harness_setup "$1"
harness_start_daemon

# §6: nothing but our own activation file may be activatable, and read-only.
mount -o remount,bind,ro /usr/share/dbus-1/system-services \
        || die "cannot make system-services read-only"
for f in /usr/share/dbus-1/system-services/*; do
        [ "$f" = "/usr/share/dbus-1/system-services/$FWCTL_BUS.service" ] || [ ! -e "$f" ] \
                || die "system-services holds more than $FWCTL_BUS.service: $f"
done

# The page: the installed one if the build installs it (top-level
# subdir('cockpit')), else the source tree's, through XDG_DATA_HOME.
mkdir -p "$T/xdg/cockpit" "$T/artifacts"
if [ -f /usr/share/cockpit/fwctl/manifest.json ]; then
        log "page: installed /usr/share/cockpit/fwctl"
        diff -r "$PAGE_SRC" /usr/share/cockpit/fwctl >/dev/null \
                || log "warning: installed page differs from $PAGE_SRC (stale build?)"
else
        log "page: $PAGE_SRC via XDG_DATA_HOME (the build does not install cockpit/)"
        cp -r "$PAGE_SRC" "$T/xdg/cockpit/fwctl"
fi
chmod -R a+rX "$T/xdg"
ARTIFACTS=${FWCTL_ARTIFACTS:-$T/artifacts}
mkdir -p "$ARTIFACTS"
# the default artifacts dir lives in the test dir: keep it for the screenshots
[ -n "${FWCTL_ARTIFACTS:-}" ] || FWCTL_IT_KEEP=1

# start_ws PORT USER: cockpit-ws with a local bridge session as USER.
start_ws() {
        local port=$1 user=$2 home=$T/home-$2 prefix=()
        mkdir -p "$home"
        if [ "$user" != root ]; then
                chown "$(id -u "$user"):$(id -g "$user")" "$home"
                # shellcheck disable=SC2207
                prefix=($(user_prefix "$user"))
        fi
        "${prefix[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" LANG=C.UTF-8 \
                USER="$user" LOGNAME="$user" XDG_DATA_HOME="$T/xdg" XDG_RUNTIME_DIR="$home" \
                SSH_AUTH_SOCK="$T/no-ssh-agent" DBUS_SESSION_BUS_ADDRESS="unix:path=$T/no-session-bus" \
                "$COCKPIT_WS" --no-tls --address 127.0.0.1 --port "$port" --local-session=cockpit-bridge \
                >"$T/log/cockpit-ws-$user.log" 2>&1 &
        HARNESS_PIDS+=("$!")
        wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" \
                || { cat "$T/log/cockpit-ws-$user.log" >&2; die "cockpit-ws ($user) not listening on $port"; }
}

start_ws "$ROOT_PORT" root
start_ws "$DENY_PORT" fwdeny
start_ws "$TEST_PORT" fwtest

# The browser test; it prints PASS/FAIL/SKIP lines, counted here.
PASSED=0
FAILED=0
FWCTL_CK_ROOT_URL="http://127.0.0.1:$ROOT_PORT" FWCTL_CK_DENY_URL="http://127.0.0.1:$DENY_PORT" \
FWCTL_CK_TEST_URL="http://127.0.0.1:$TEST_PORT" \
FWCTL_CK_ARTIFACTS="$ARTIFACTS" FWCTL_CK_EMU="$EMU_BIN" FWCTL_CK_EMU_SOCK="$EMU_SOCK" \
FWCTL_CK_CLIENT="$FWCTL_CLIENT" FWCTL_CK_TMP="$T/tmp" FWCTL_CK_SRCDIR="$SRCDIR" HOME="$T/home-root" \
FWCTL_CK_DOCS_SHOTS="${FWCTL_DOCS_SCREENSHOTS:-}" \
        timeout 300 node "$HERE/test-page.mjs" 2>&1 | tee "$T/log/test-page.log"
rc=${PIPESTATUS[0]}
PASSED=$(grep -c '^PASS ' "$T/log/test-page.log")
FAILED=$(grep -c '^FAIL ' "$T/log/test-page.log")
if [ "$rc" -ne 0 ] && [ "$FAILED" -eq 0 ]; then
        echo "FAIL test_page: node exited with status $rc"
        FAILED=1
fi
if [ "$FAILED" -ne 0 ] && [ "${FWCTL_IT_VERBOSE:-0}" = 1 ]; then
        for f in "$T"/log/cockpit-ws-*.log "$T/log/daemon.log"; do
                echo "--- $f"
                tail -n 30 "$f"
        done
fi
check_daemon_clean_shutdown
echo "run time: $(( ($(date +%s%N) - STARTED) / 1000000 )) ms; artifacts in $ARTIFACTS"
harness_summary
