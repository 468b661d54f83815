#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install every Debian package the build and the tests need, if any is missing.
set -euo pipefail

PKGS=(
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev
        libsystemd-dev libudev-dev libjson-c-dev libcmocka-dev
        libumockdev-dev umockdev libglib2.0-dev libglib2.0-bin
        dbus-daemon polkitd systemd util-linux coreutils procps
        jq libxml2-utils python3 python3-dbus python3-gi scdoc shellcheck
        bash-completion   # the tests load shell-completion/bash/fwctlctl as bash-completion does
        # tests/packaging: build the .debs, lint them, boot a Debian tree to install them
        debhelper dpkg-dev lintian debootstrap systemd-container
        prometheus prometheus-node-exporter curl   # tests/metrics: promtool, node_exporter's textfile collector
)

# dbus-broker, the system bus of the overload floods' second run (FWCTL_IT_BUS=dbus-broker):
# its .deb only, which tests/integration unpacks into the harness's /usr overlay. Installing
# the package would make it the host's system bus at the next boot.
DEBS=/var/cache/fwctld-test/debs
DEB_PKGS=(dbus-broker)

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${PKGS[@]}"; do
        if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep '^install ok installed$' >/dev/null; then
                missing+=("$p")
        fi
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "deps: installing ${missing[*]}" >&2
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for p in "${DEB_PKGS[@]}"; do
        compgen -G "$DEBS/${p}_*.deb" >/dev/null && continue
        echo "deps: fetching ${p}'s .deb into $DEBS (not installed)" >&2
        $SUDO mkdir -p "$DEBS"
        ( cd "$DEBS" && { $SUDO apt-get download -qq "$p" 2>/dev/null ||
                { $SUDO apt-get update -qq && $SUDO apt-get download -qq "$p"; }; } )
done
