#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fwctld's metrics with the real tools (tests/metrics/README.md):
#
#   tests/metrics/run.sh BUILD_DIR [PLAIN_BUILD_DIR]
#
# Needs root. Installs what it needs (scripts/deps.sh: prometheus for promtool,
# prometheus-node-exporter, curl), then re-executes itself in a private mount + pid
# namespace and reuses the integration harness (tests/integration/harness.sh): the build
# installed into overlays, real journald, dbus-daemon, polkitd and fwctld under the
# emulator (fwctl0 = mlx5@0000:03:00.0, fwctl1 = cxl@0000:0d:00.0). The cases
# (cases.sh) make calls, read `fwctlctl metrics`, check it with `promtool check metrics`,
# write it as fwctld-metrics.service does and scrape it from a real
# prometheus-node-exporter on 127.0.0.1. With PLAIN_BUILD_DIR (a build without
# sanitizers, e.g. build-gcc), systemd.sh first runs fwctld-metrics.service and .timer
# from it under systemd as PID 1 in a booted Debian 12 tree; its checks count in the
# total. Output ends with `N passed, N failed`.
# Environment as in tests/integration/run.sh: FWCTL_IT_FILTER=REGEX, FWCTL_IT_VERBOSE=1,
# FWCTL_IT_KEEP=1.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
        echo "usage: $0 BUILD_DIR [PLAIN_BUILD_DIR]" >&2
        exit 2
fi
if [ "$(id -u)" != 0 ]; then
        echo "$0: must run as root (it uses mount namespaces and overlays)" >&2
        exit 2
fi
[ -d "$1" ] || { echo "$0: no build dir $1" >&2; exit 2; }

if [ "${FWCTL_IT_NS:-}" != 1 ]; then
        BUILD_ABS=$(cd "$1" && pwd)
        "$HERE/../../scripts/deps.sh" || { echo "$0: dependencies missing"; echo "0 passed, 1 failed"; exit 1; }
        if [ $# -eq 2 ]; then
                sd_log=$(mktemp "${TMPDIR:-/tmp}/fwctld-metrics-sd.XXXXXX.log")
                "$HERE/systemd.sh" "$2" 2>&1 | tee "$sd_log" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
                FWCTL_METRICS_SD_PASSED=$(grep -c '^PASS ' "$sd_log")
                FWCTL_METRICS_SD_FAILED=$(grep -c '^FAIL ' "$sd_log")
                # no verdict at all (it died early): one failure
                [ $((FWCTL_METRICS_SD_PASSED + FWCTL_METRICS_SD_FAILED)) -gt 0 ] ||
                        { echo "FAIL systemd: tests/metrics/systemd.sh gave no result"; FWCTL_METRICS_SD_FAILED=1; }
                export FWCTL_METRICS_SD_PASSED FWCTL_METRICS_SD_FAILED
                rm -f "$sd_log"
        fi
        exec unshare -m -p -f --mount-proc --propagation private \
                env FWCTL_IT_NS=1 /bin/bash "$HERE/run.sh" "$BUILD_ABS"
fi

STARTED=$(date +%s%N)
# shellcheck source=tests/integration/harness.sh
source "$HERE/../integration/harness.sh"

harness_setup "$1"
harness_start_daemon

TESTS=()
register_file "$HERE/cases.sh"
run_tests
check_daemon_clean_shutdown
# the systemd part (systemd.sh, run before the namespace was entered)
PASSED=$((PASSED + ${FWCTL_METRICS_SD_PASSED:-0}))
FAILED=$((FAILED + ${FWCTL_METRICS_SD_FAILED:-0}))
echo "run time: $(( ($(date +%s%N) - STARTED) / 1000000 )) ms"
harness_summary
