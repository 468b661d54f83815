#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Print the path of a minimal Debian 12 tree to boot under systemd-nspawn, building and
# caching it first if it is not there yet (debootstrap, about 80-100 s; needs Debian's
# archive). The tree is only ever read: tests put a tmpfs-backed overlay over it.
#
#   tests/packaging/tree.sh            # prints e.g. /var/cache/fwctld-nspawn/bookworm-3f0c.../root
#
# The cache lives outside the git clone, so a fresh clone (CI) reuses it:
# $FWCTLD_NSPAWN_CACHE, default /var/cache/fwctld-nspawn. Each tree is keyed by what
# it is built from (suite, architecture, variant, packages, the recipe's revision
# below), so changing any of them builds a new one next to the old; delete the
# directory to reclaim the space (about 220 MB a tree).
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
# What the packages need at run time, so that `apt-get install ./x.deb` inside the
# container (which has no network) finds every dependency installed:
# systemd as PID 1, the system bus, polkitd (it needs libpam-systemd), the shared
# libraries fwctld links, and cockpit-bridge for cockpit-fwctl.
# dbus-user-session: cockpit-bridge pulls in dconf-service, which depends on
# "default-dbus-session-bus | dbus-session-bus", an alternative debootstrap's
# resolver cannot pick by itself.
INCLUDE=systemd,systemd-sysv,dbus,dbus-user-session,polkitd,libpam-systemd,libjson-c5,libudev1,cockpit-bridge
# Bump when the steps below change the tree.
RECIPE=1

CACHE=${FWCTLD_NSPAWN_CACHE:-/var/cache/fwctld-nspawn}
ARCH=$(dpkg --print-architecture)
KEY=$(printf '%s\n' "$SUITE" "$ARCH" "$VARIANT" "$INCLUDE" "$RECIPE" | sha256sum | cut -c1-16)
DIR=$CACHE/$SUITE-$KEY

if [ -f "$DIR/complete" ]; then
        echo "$DIR/root"
        exit 0
fi

# The mirror the host's apt already uses for the suite; debootstrap's own default
# otherwise.
mirror() {
        apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
                awk -v s="$SUITE" '$2 == s { print $1; exit }'
}

mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9
if [ ! -f "$DIR/complete" ]; then
        rm -rf "$DIR"
        tmp=$CACHE/.build-$KEY.$$
        rm -rf "$tmp"
        mkdir -p "$tmp"
        echo "tree: debootstrap $SUITE ($VARIANT + $INCLUDE) into $DIR" >&2
        start=$(date +%s)
        # shellcheck disable=SC2046 # an empty mirror is no argument at all
        if ! debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$tmp/root" \
                        $(mirror) > "$tmp/debootstrap.log" 2>&1; then
                tail -n 30 "$tmp/debootstrap.log" >&2
                [ -f "$tmp/root/debootstrap/debootstrap.log" ] &&
                        tail -n 30 "$tmp/root/debootstrap/debootstrap.log" >&2
                echo "tree: debootstrap failed (log kept in $tmp)" >&2
                exit 1
        fi
        # The downloaded .debs are not needed again.
        rm -f "$tmp/root/var/cache/apt/archives/"*.deb
        printf 'suite=%s arch=%s variant=%s include=%s recipe=%s built=%s seconds=%s\n' \
                "$SUITE" "$ARCH" "$VARIANT" "$INCLUDE" "$RECIPE" "$(date -u +%FT%TZ)" \
                "$(( $(date +%s) - start ))" > "$tmp/complete"
        mv "$tmp" "$DIR"
fi
echo "$DIR/root"
