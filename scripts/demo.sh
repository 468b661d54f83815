#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The project's demo: build, then bring up bus + polkitd + journald + the
# emulated devices + fwctld in a private namespace and show busctl calls.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ ! -f build/build.ninja ]; then
        meson setup build --prefix=/usr --sysconfdir=/etc --localstatedir=/var
fi
meson compile -C build
exec tests/integration/run.sh build --demo
