#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The project's test command: sanitizer build + unit/emulator suites +
# integration suite (installed layout, private namespace), and a plain gcc
# -Werror build that must compile. Needs root for the integration suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

# House rules (no goto, SPDX, streq, function length, shell lint) before any build.
scripts/check-source.py

MESON_DIRS=(--prefix=/usr --sysconfdir=/etc --localstatedir=/var)

# Sanitizers: clang links its ASan runtime statically, so it works behind
# umockdev's LD_PRELOAD; verify_asan_link_order=0 is only a fallback for
# toolchains with a shared runtime. Leak detection stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:verify_asan_link_order=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

if [ ! -f build-asan/build.ninja ]; then
        CC=clang meson setup build-asan "${MESON_DIRS[@]}" -Dwerror=true \
                -Db_sanitize=address,undefined -Db_lundef=false
fi
meson compile -C build-asan
meson test -C build-asan --print-errorlogs --no-suite integration

# plain gcc build: must compile without warnings
if [ ! -f build-gcc/build.ninja ]; then
        CC=gcc meson setup build-gcc "${MESON_DIRS[@]}" -Dwerror=true
fi
meson compile -C build-gcc

if [ "$(id -u)" = 0 ]; then
        # The whole suite; it ends with the overload floods (dbus-daemon as the system bus) ...
        tests/integration/run.sh build-asan || exit 1
        # ... which run again with dbus-broker as the bus, whose per-uid accounting of what a
        # uid queues to fwctld must leave the honest clients unrefused (docs/testing.md).
        FWCTL_IT_BUS=dbus-broker FWCTL_IT_FILTER=overload tests/integration/run.sh build-asan || exit 1
        tests/cockpit/run.sh build-asan || exit 1
        # The Debian packages: build, lintian, install/purge in a booted Debian 12 tree.
        tests/packaging/run.sh || exit 1
        tests/systemd/run.sh build-gcc || exit 1   # fwctld.service under systemd as PID 1 (tests/systemd/README.md)
        tests/metrics/run.sh build-asan build-gcc || exit 1   # fwctlctl metrics: promtool, a live node_exporter (tests/metrics/README.md)
        # The real kernel: Linux 7.3 with KASAN in QEMU, fwctld on cxl_test's fwctl devices.
        # A fresh machine first builds and caches the guest (tests/kernel/README.md: ~25-45 min).
        tests/kernel/run.sh || exit 1
else
        echo "test.sh: integration suite skipped (needs root)" >&2
        exit 77
fi

