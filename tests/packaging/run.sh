#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian packages, built and installed as an admin would: build them from the
# tree (scripts/build-debs.sh), check them with lintian, install them into a fresh
# Debian 12 tree booted under a real systemd (systemd-nspawn), use them there
# (D-Bus activation, fwctlctl, the Cockpit page's manifest), purge them and check
# that nothing of them is left. Needs root. See tests/packaging/README.md.
#
#   tests/packaging/run.sh [--head] [--debs DIR] [--keep]
#
#   --head      build from `git archive HEAD` instead of the working tree
#   --debs DIR  test the packages in DIR (built before) instead of building them
#   --keep      keep the test directory (logs, snapshots, packages)
set -euo pipefail
cd "$(dirname "$0")/../.."

ARGS=("$@")
BUILD_MODE=--worktree
DEBS=""
KEEP=0
while [ $# -gt 0 ]; do
        case "$1" in
        --head) BUILD_MODE=--head ;;
        --debs) DEBS=$(cd "$2" && pwd); shift ;;
        --keep) KEEP=1 ;;
        *) echo "usage: $0 [--head] [--debs DIR] [--keep]" >&2; exit 2 ;;
        esac
        shift
done

if [ "$(id -u)" != 0 ]; then
        echo "packaging: needs root (debootstrap, systemd-nspawn)" >&2
        exit 77
fi

# Everything below runs in a private mount namespace: the tmpfs on /run, the overlay
# and the container's mounts vanish with it, whatever way the script ends.
if [ "${FWCTLD_PKG_NS:-}" != 1 ]; then
        scripts/deps.sh
        FWCTLD_PKG_NS=1 exec unshare -m --propagation private "$0" "${ARGS[@]}"
fi

# shellcheck source=tests/lib/nspawn.sh
. tests/lib/nspawn.sh
# shellcheck source=tests/lib/report.sh
. tests/lib/report.sh

T=$(mktemp -d /tmp/fwctld-pkgtest.XXXXXX)
PASS=0
FAIL=0
LAST_OK=0
declare -A SECONDS_OF

trap 'nspawn_cleanup "$KEEP" packaging' EXIT

# check DESCRIPTION CMD...: one check, passed when CMD exits 0; its output is shown
# on failure.
check() {
        local desc=$1
        shift
        LAST_OK=0
        if "$@" > "$T/last.out" 2>&1; then LAST_OK=1; ok "$desc"; else not_ok "$desc"; fi
}

###############################################################################
# 1. Build the packages and check them with lintian.

if [ -z "$DEBS" ]; then
        t0=$(now)
        DEBS=$T/debs
        check "packages build (scripts/build-debs.sh $BUILD_MODE)" \
                scripts/build-debs.sh "$BUILD_MODE" --source "$DEBS"
        SECONDS_OF[build]=$(elapsed "$t0")
fi
PKG_FILES=()
for p in fwctld fwctld-dev cockpit-fwctl; do
        f=$(ls "$DEBS/${p}_"*.deb 2>/dev/null | head -n 1 || true)
        [ -n "$f" ] && PKG_FILES+=("$f")
done
if [ ${#PKG_FILES[@]} -ne 3 ]; then
        echo "packaging: fwctld, fwctld-dev and cockpit-fwctl .debs not all in $DEBS" >&2
        [ "$FAIL" -gt 0 ] || FAIL=1
        echo "$PASS passed, $FAIL failed"
        exit 1
fi

# lintian: no error, no warning, and no info or pedantic tag either: every tag that
# is kept is overridden, with the reason, in contrib/debian/*.lintian-overrides.
t0=$(now)
lintian_clean() {
        local what=()
        # The binary upload (.changes: the packages, dbgsym, .buildinfo) and, when
        # built, the source package; else the three .debs alone.
        mapfile -t what < <(ls "$DEBS"/*.changes "$DEBS"/*.dsc 2>/dev/null)
        [ ${#what[@]} -gt 0 ] || what=("${PKG_FILES[@]}")
        echo "lintian ${what[*]}"
        lintian --pedantic --fail-on error,warning,info,pedantic "${what[@]}"
}
check "lintian --pedantic: no tag that is not overridden with a reason" lintian_clean
SECONDS_OF[lintian]=$(elapsed "$t0")

# The maintainer scripts are debhelper's alone.
maintscripts_generated() {
        local d s
        for f in "${PKG_FILES[@]}"; do
                d=$T/control-$(basename "$f" .deb)
                mkdir -p "$d"
                dpkg-deb -e "$f" "$d"
                for s in preinst postinst prerm postrm; do
                        [ -f "$d/$s" ] || continue
                        # Every line is debhelper's: the shebang, set -e, or inside an
                        # "Automatically added by dh_..." block.
                        awk -v f="$f/$s" '
                                NR <= 2 && (/^#!\/bin\/sh$/ || /^set -e$/) { next }
                                /^# Automatically added by dh_/ { inblock = 1; next }
                                /^# End automatically added section/ { inblock = 0; next }
                                !inblock && NF { print f ": hand-written line: " $0; bad = 1 }
                                END { exit bad }' "$d/$s"
                done
        done
}
check "maintainer scripts: only debhelper's generated code" maintscripts_generated

###############################################################################
# 2. A fresh Debian 12 tree, booted under systemd.

t0=$(now)
if ! TREE=$(tests/packaging/tree.sh); then
        not_ok "a cached Debian 12 tree (tests/packaging/tree.sh)"
        echo "$PASS passed, $FAIL failed"
        exit 1
fi
SECONDS_OF[tree]=$(elapsed "$t0")

t0=$(now)
nspawn_overlay "$TREE"
# The packages reach the container read-only through a bind mount on an existing
# directory, so they are no part of the tree's file list.
nspawn_start fwctld-pkgtest --bind-ro="$DEBS:/mnt"
check "the container boots to 'running' under systemd (no failed unit)" nspawn_booted
SECONDS_OF[boot]=$(elapsed "$t0")
if [ -z "$LEADER" ]; then
        echo "$PASS passed, $FAIL failed"
        exit 1
fi

###############################################################################
# 3. Install, use, purge.

t0=$(now)

# What the tree holds before the packages come: every path with its type, mode and
# owner, and a checksum of every file.
snapshot() {
        (cd "$T/merged" &&
                find . -xdev -printf '%y %m %U:%G %p -> %l\n' | LC_ALL=C sort > "$T/$1.list" &&
                find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum > "$T/$1.md5")
}
snapshot before

install_debs() {
        local names=()
        for f in "${PKG_FILES[@]}"; do names+=("/mnt/$(basename "$f")"); done
        inc apt-get install -y --no-install-recommends "${names[@]}" &&
                inc dpkg-query -W -f='${Package} ${Status}\n' fwctld fwctld-dev cockpit-fwctl |
                        tee /dev/stderr | grep -c 'install ok installed' | grep -x 3 >/dev/null
}
check "apt-get install of the three .debs (dependencies all from the tree, no network)" install_debs

# debhelper's postinst reloads systemd and asks deb-systemd-invoke to start the unit,
# which leaves static units alone (see contrib/debian/rules): nothing runs until a call.
not_started() {
        ! inc systemctl is-active fwctld.service
}
check "postinst did not start fwctld.service (static, waits for a call)" not_started
not_enabled() {
        local state
        state=$(inc systemctl is-enabled fwctld.service) || true
        echo "is-enabled: $state"
        [ "$state" = static ]
}
check "fwctld.service is not enabled: static, D-Bus activated" not_enabled

# systemd's dpkg trigger on /usr/lib/systemd/catalog ran journalctl --update-catalog.
CATALOG_ID=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' systemd/fwctld.catalog | head -n 1)
catalog_has() { inc journalctl --list-catalog | grep -i "$CATALOG_ID"; }
check "journal catalog updated by systemd's trigger (journalctl -x knows fwctld's messages)" catalog_has

check "polkit knows fwctld's actions (pkaction)" \
        inc pkaction --action-id org.freedesktop.fwctl1.rpc-configuration

# D-Bus activation: a plain call starts it.
activation() {
        inc busctl --system get-property org.freedesktop.fwctl1 /org/freedesktop/fwctl1 \
                org.freedesktop.fwctl1.Manager Version &&
                inc systemctl is-active fwctld.service &&
                inc journalctl -b -u fwctld.service --no-pager -o cat | tail -n 5
}
check "D-Bus activation: a busctl call starts fwctld.service (is-active: active)" activation

# An upgrade (here a reinstall: postinst configure with the old version) restarts a
# running daemon, so the new binary and plugins serve at once.
main_pid() { inc systemctl show -P MainPID fwctld.service; }
restart_on_upgrade() {
        local before after
        before=$(main_pid)
        inc apt-get install -y --reinstall "/mnt/$(basename "${PKG_FILES[0]}")" &&
                after=$(main_pid) &&
                echo "MainPID before $before, after $after" &&
                [ "$before" != 0 ] && [ "$after" != 0 ] && [ "$before" != "$after" ] &&
                inc systemctl is-active fwctld.service
}
check "an upgrade (reinstall) restarts the running daemon" restart_on_upgrade

stop_inactive() {
        inc systemctl stop fwctld.service
        ! inc systemctl is-active fwctld.service
}
check "systemctl stop: fwctld.service inactive (fwctlctl below activates it again)" stop_inactive

plugins_loaded() {
        local out
        out=$(inc busctl --system get-property org.freedesktop.fwctl1 /org/freedesktop/fwctl1 \
                org.freedesktop.fwctl1.Manager Plugins)
        echo "$out"
        for p in generic mlx5 cxl bnxt pds; do
                echo "$out" | grep "/fwctld/plugins/$p.so" >/dev/null || { echo "no $p plugin"; return 1; }
        done
}
check "the packaged daemon loads its five plugins from the package's plugin directory" plugins_loaded

fwctlctl_list_root() {
        local out
        out=$(inc fwctlctl list)
        echo "$out"
        echo "$out" | grep -x '0 devices listed.' >/dev/null
}
check "fwctlctl list as root: exit 0, zero devices (no fwctl device in a container)" fwctlctl_list_root
fwctlctl_list_user() {
        local out
        out=$(inc setpriv --reuid=nobody --regid=nogroup --clear-groups fwctlctl --json list)
        echo "$out"
        echo "$out" | tr -d ' \n' | grep '"devices":\[\]' >/dev/null
}
check "fwctlctl --json list as an unprivileged user: exit 0, empty device list" fwctlctl_list_user

# The .pc file is read with the host's pkg-config (the minimal tree has none).
dev_pc() {
        local pc plugindir
        pc=$(inc dpkg -L fwctld-dev | grep '/fwctld-plugin\.pc$')
        plugindir=$(pkg-config --variable=plugindir "$T/merged$pc")
        echo "$pc: plugindir=$plugindir"
        inc test -f "$plugindir/mlx5.so" && inc test -f /usr/include/fwctld/plugin.h
}
check "fwctld-dev: headers, and the .pc's plugindir is where the daemon's plugins are" dev_pc

cockpit_page() { inc cockpit-bridge --packages | grep -w fwctl; }
check "cockpit-fwctl: cockpit-bridge lists the fwctl page" cockpit_page

purge() {
        inc apt-get purge -y fwctld fwctld-dev cockpit-fwctl &&
                ! inc dpkg-query -W -f='${Package} ${Status}\n' fwctld fwctld-dev cockpit-fwctl 2>/dev/null |
                        grep -v 'not-installed'
}
check "apt-get purge of the three packages (dpkg keeps no trace of them)" purge
gone_from_systemd() {
        ! inc pgrep -a fwctld && ! inc systemctl cat fwctld.service
}
check "purge stopped fwctld and systemd no longer has the unit" gone_from_systemd
not_on_bus() { ! inc busctl --system --activatable list | grep fwctl; }
check "the bus no longer offers org.freedesktop.fwctl1" not_on_bus
catalog_clean() { ! catalog_has; }
check "the journal catalog no longer has fwctld's messages" catalog_clean

# What Debian itself keeps after a purge, each for its own reason; anything else that
# differs from the snapshot taken before the install is something of fwctld left.
# State that changed must not mention fwctl at all:
ALLOWED_STATE=(
        # dpkg's database: status (our stanzas gone), status-old (dpkg's copy from
        # before its last write), its locks, and the info/updates/triggers
        # directories it rewrote.
        '^\./var/lib/dpkg/(status|status-old|lock|lock-frontend|info|updates|triggers(/.*)?)$'
        # apt's caches and its auto-installed marks, and the working files and
        # directories its first run on any system creates.
        '^\./var/cache/apt/(pkgcache|srcpkgcache)\.bin$'
        '^\./var/cache/apt/archives/(lock|partial)$'
        '^\./var/lib/apt/(extended_states|lists/auxfiles)$'
        # The catalog database, rebuilt by systemd's trigger without fwctld's entries
        # (byte-identical to the one before, as seen here, but it is an index that
        # systemd may lay out differently).
        '^\./var/lib/systemd/catalog/database$'
)
# The records of what was done, which do name fwctld: dpkg's and apt's logs, and
# the system journal (the daemon's own lines while it ran; journald rotates them).
ALLOWED_RECORDS=(
        '^\./var/log/(dpkg\.log|apt/(history|term)\.log|apt/eipp\.log\.xz)$'
        '^\./var/log/journal/[0-9a-f]{32}/system(@[^/]*)?\.journal~?$'
)
nothing_left() {
        local state records path bad=""
        snapshot after
        {
                diff "$T/before.list" "$T/after.list" | sed -n 's/^[<>] [a-z] [0-7]* [0-9:]* \(.*\) -> .*$/\1/p'
                diff "$T/before.md5" "$T/after.md5" | sed -n 's/^[<>] [0-9a-f]*  \(.*\)$/\1/p'
        } | LC_ALL=C sort -u > "$T/changed"
        state=$(IFS='|'; echo "${ALLOWED_STATE[*]}")
        records=$(IFS='|'; echo "${ALLOWED_RECORDS[*]}")
        echo "changed since before the install, as Debian does:"
        while IFS= read -r path; do
                if [[ "$path" =~ $records ]]; then
                        echo "  $path (a record)"
                elif [[ "$path" =~ $state ]]; then
                        if [ -f "$T/merged/$path" ] && grep -a -q -i fwctl "$T/merged/$path"; then
                                echo "  $path MENTIONS fwctl"
                                bad+="  $path"$'\n'
                        else
                                echo "  $path (state, no mention of fwctl)"
                        fi
                else
                        echo "  $path LEFT BEHIND"
                        bad+="  $path"$'\n'
                fi
        done < "$T/changed"
        if [ -n "$bad" ]; then
                echo "not Debian's own:"
                printf '%s' "$bad"
        fi
        [ -z "$bad" ]
}
check "nothing of fwctld left on the tree (file list and checksums before/after)" nothing_left
if [ "$LAST_OK" = 1 ]; then sed 's/^/    /' "$T/last.out"; fi
SECONDS_OF[checks]=$(elapsed "$t0")

t0=$(now)
nspawn_stop || true
SECONDS_OF[shutdown]=$(elapsed "$t0")

printf 'packaging: seconds:'
for k in build lintian tree boot checks shutdown; do
        [ -n "${SECONDS_OF[$k]:-}" ] && printf ' %s %s,' "$k" "${SECONDS_OF[$k]}"
done
echo
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
