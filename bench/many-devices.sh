#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# fwctld with many emulated devices (root; private namespace, host unchanged): start-up, threads,
# RSS, GetManagedObjects and `busctl tree`, measured as the daemon's own CPU. Reported, never
# asserted. See bench/README.md.
#
#   bench/many-devices.sh [--baseline BUILD_DIR] [N...]       (default N: 256 1024 4096)
#
# --baseline: a build dir of another tree (configured like build-bench: release, the same
# --prefix/--sysconfdir/--localstatedir) whose daemon/fwctld runs in the same run, for ratios.
# More than ~25 devices need a umockdev preload with a larger fd table: bench/umockdev-preload.sh
# builds one (FWCTL_BENCH_PRELOAD=PATH names one already built).
set -euo pipefail
cd "$(dirname "$0")/.."

BASELINE=""
if [ "${1:-}" = --baseline ]; then
        [ -x "${2:-}/daemon/fwctld" ] || { echo "$0: no daemon/fwctld in '${2:-}'" >&2; exit 2; }
        BASELINE=$(cd "$2" && pwd)
        shift 2
fi

scripts/deps.sh
FWCTL_BENCH_PRELOAD=$(bench/umockdev-preload.sh)
export FWCTL_BENCH_PRELOAD FWCTL_BENCH_BASELINE=$BASELINE
if [ ! -f build-bench/build.ninja ]; then
        meson setup build-bench --prefix=/usr --sysconfdir=/etc --localstatedir=/var --buildtype=release
fi
meson compile -C build-bench
exec tests/integration/run.sh build-bench --exec bench/many-devices-inner.sh "$@"
