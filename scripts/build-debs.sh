#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build fwctld's Debian packages (fwctld, fwctld-dev, cockpit-fwctl) from a clean copy
# of the tree with the recipe in contrib/debian/, and put the .deb, .changes and
# .buildinfo files in OUTDIR.
#
#   scripts/build-debs.sh [--worktree] [--source] OUTDIR
#
# By default the copy is `git archive HEAD`: the last commit, nothing else. With
# --worktree it is the working tree's tracked and untracked-but-not-ignored files
# (uncommitted edits included; build directories, which .gitignore lists, left out).
# Either way the package is built in a temporary directory, never in the work tree.
# --source also puts the source package (.dsc and .tar.xz, format 3.0 native) in
# OUTDIR, for lintian's source checks.
# Missing build dependencies are installed with `apt-get build-dep` (root only).
set -euo pipefail

usage() {
        echo "usage: $0 [--worktree] [--source] OUTDIR" >&2
        exit 2
}

MODE="head"
SOURCE=0
while [ $# -gt 1 ]; do
        case "$1" in
        --worktree) MODE=worktree ;;
        --head) MODE="head" ;;
        --source) SOURCE=1 ;;
        *) usage ;;
        esac
        shift
done
[ $# -eq 1 ] || usage
case "$1" in -*) usage ;; esac
OUTDIR=$1
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fwctld-debs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/fwctld
mkdir "$SRC"

if [ "$MODE" = head ]; then
        git archive --format=tar HEAD | tar -x -C "$SRC"
else
        # Files deleted in the work tree but still in the index are skipped.
        git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do
                        [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
                done | tar --null -T - -c | tar -x -C "$SRC"
fi
if [ ! -f "$SRC/contrib/debian/control" ]; then
        echo "build-debs: no contrib/debian in the $MODE copy (uncommitted? try --worktree)" >&2
        exit 1
fi
cp -a "$SRC/contrib/debian" "$SRC/debian"

# The package version is the project's: a new meson.build version needs a new
# changelog entry (contrib/debian/changelog) before packages can be built.
meson_version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" \
        "$SRC/meson.build" | head -n 1)
deb_version=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
if [ "${deb_version%%-*}" != "$meson_version" ]; then
        echo "build-debs: contrib/debian/changelog is at $deb_version but meson.build" \
             "says $meson_version: add a changelog entry" >&2
        exit 1
fi

if ! (cd "$SRC" && dpkg-checkbuilddeps) 2>/dev/null; then
        if [ "$(id -u)" != 0 ]; then
                (cd "$SRC" && dpkg-checkbuilddeps)
                exit 1
        fi
        echo "build-debs: installing build dependencies" >&2
        DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq --no-install-recommends "$SRC" >&2
fi

if [ "$SOURCE" = 1 ]; then
        (cd "$WORK" && dpkg-source -b fwctld) > "$WORK/source.log" 2>&1 || {
                cat "$WORK/source.log" >&2
                exit 1
        }
        cp "$WORK"/*.dsc "$WORK"/*.tar.* "$OUTDIR/"
fi

export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc)}
echo "build-debs: building fwctld $deb_version from $MODE in $SRC" >&2
(cd "$SRC" && dpkg-buildpackage -us -uc -b) > "$WORK/build.log" 2>&1 || {
        tail -n 60 "$WORK/build.log" >&2
        echo "build-debs: dpkg-buildpackage failed" >&2
        exit 1
}
cp "$WORK/build.log" "$OUTDIR/build.log"
for f in "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo; do
        cp "$f" "$OUTDIR/"
done
ls -1 "$OUTDIR"/*.deb
