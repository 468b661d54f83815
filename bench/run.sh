#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmarks of fwctld on the emulated devices (root; private namespace, host unchanged).
# Not part of the test suite: numbers are reported, never asserted.
#
# FWCTL_BENCH_BUILD=DIR (default build-bench) is the release build dir it sets up and uses;
# FWCTL_BENCH_PARTS picks the parts bench/inner.sh runs (default "basic sessions floods").
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FWCTL_BENCH_BUILD:-build-bench}
scripts/deps.sh
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" --prefix=/usr --sysconfdir=/etc --localstatedir=/var --buildtype=release
fi
meson compile -C "$BUILD_DIR"
exec tests/integration/run.sh "$BUILD_DIR" --exec bench/inner.sh
