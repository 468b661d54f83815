#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmarks of fwctld on the emulated devices (root; private namespace, host unchanged).
# Not part of the test suite: numbers are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ ! -f build-bench/build.ninja ]; then
        meson setup build-bench --prefix=/usr --sysconfdir=/etc --localstatedir=/var --buildtype=release
fi
meson compile -C build-bench
exec tests/integration/run.sh build-bench --exec bench/inner.sh
