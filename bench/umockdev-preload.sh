#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Prints the path of a umockdev preload that holds thousands of emulated fds, building it on
# first use (root; needs dpkg-dev and gcc). Nothing of it lands in this tree.
#
# Why: umockdev 0.17.16's libumockdev-preload keeps its fd tables (fd -> emulated node, fd ->
# netlink socket) in arrays of 50 entries that it scans without a lock. A daemon with more than
# ~25 emulated devices aborts ("fd_map_add(): overflow"), and devices opened from several
# threads at once can lose their entry (FWCTL_INFO then fails with ENOTTY).
#
# The change (the same source otherwise, Debian's `apt-get source umockdev`): fd_map becomes a
# table indexed by the fd itself (keys 0..65535; O(1), so the preload's own cost in the daemon
# does not grow with the device count either), keeps a 64-entry scanned table for other keys
# (the dev_t keys of script recording), and every fd_map operation takes one mutex.
# The apt state for the source package is private (below $CACHE/apt): the host's sources are
# left unchanged.
#
# Environment: FWCTL_BENCH_PRELOAD=PATH uses that file instead; FWCTL_BENCH_CACHE (default
# /var/cache/fwctld-bench) is where the source and the library go.
set -euo pipefail

if [ -n "${FWCTL_BENCH_PRELOAD:-}" ]; then
        [ -f "$FWCTL_BENCH_PRELOAD" ] || { echo "$0: no $FWCTL_BENCH_PRELOAD" >&2; exit 1; }
        echo "$FWCTL_BENCH_PRELOAD"
        exit 0
fi

CACHE=${FWCTL_BENCH_CACHE:-/var/cache/fwctld-bench}
VERSION=$(dpkg-query -W -f='${Version}' libumockdev0 2>/dev/null) || {
        echo "$0: libumockdev0 is not installed" >&2
        exit 1
}
PATCH_ID=fdmap-direct-locked-1
OUT=$CACHE/umockdev-preload/$VERSION-$PATCH_ID/libumockdev-preload.so.0
if [ -f "$OUT" ]; then
        echo "$OUT"
        exit 0
fi

log() { echo "[umockdev-preload] $*" >&2; }

# The source package of the installed version, through a private apt state.
APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$CACHE/src"
echo "deb-src http://deb.debian.org/debian $(. /etc/os-release && echo "$VERSION_CODENAME") main" >"$APT/src.list"
APT_OPTS=(-o "Dir::Etc::SourceList=$APT/src.list" -o Dir::Etc::SourceParts=/nonexistent
          -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache::archives=$APT/archives")
UPSTREAM=${VERSION%-*}
SRC=$CACHE/src/umockdev-$UPSTREAM
if [ ! -f "$SRC/src/libumockdev-preload.c" ]; then
        command -v dpkg-source >/dev/null || { log "needs dpkg-dev (dpkg-source)"; exit 1; }
        log "fetching the source of umockdev $VERSION"
        apt-get "${APT_OPTS[@]}" update >"$CACHE/apt.log" 2>&1 || { cat "$CACHE/apt.log" >&2; exit 1; }
        (cd "$CACHE/src" && apt-get "${APT_OPTS[@]}" source "umockdev=$VERSION") >>"$CACHE/apt.log" 2>&1 \
                || { cat "$CACHE/apt.log" >&2; exit 1; }
fi

BUILD=$(mktemp -d "${TMPDIR:-/tmp}/umockdev-preload.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
cp "$SRC"/src/*.c "$SRC"/src/*.h "$BUILD/"

# Replace the fd_map section (from "#define FD_MAP_MAX" up to the netlink wrappers' banner).
python3 - "$BUILD/libumockdev-preload.c" <<'EOF'
import re, sys
path = sys.argv[1]
src = open(path).read()
start = src.index("#define FD_MAP_MAX 50")
end = src.index("/********************************\n *\n * Wrappers for accessing netlink socket")
new = r'''/* Patched for the fwctld benchmarks: direct index for fds, a scanned table for other keys,
 * one lock around all of it. */
#define FD_MAP_DIRECT 65536
#define FD_MAP_MAX 64
typedef struct {
    unsigned char dset[FD_MAP_DIRECT];
    const void *ddata[FD_MAP_DIRECT];
    int set[FD_MAP_MAX];
    int fd[FD_MAP_MAX];
    const void *data[FD_MAP_MAX];
} fd_map;

static pthread_mutex_t fd_map_lock = PTHREAD_MUTEX_INITIALIZER;

static void
fd_map_add(fd_map * map, int fd, const void *data)
{
    size_t i;
    pthread_mutex_lock(&fd_map_lock);
    if (fd >= 0 && fd < FD_MAP_DIRECT) {
        map->dset[fd] = 1;
        map->ddata[fd] = data;
        pthread_mutex_unlock(&fd_map_lock);
        return;
    }
    for (i = 0; i < FD_MAP_MAX; ++i) {
        if (!map->set[i]) {
            map->set[i] = 1;
            map->fd[i] = fd;
            map->data[i] = data;
            pthread_mutex_unlock(&fd_map_lock);
            return;
        }
    }
    fprintf(stderr, "libumockdev-preload fd_map_add(): overflow");
    abort();
}

static void
fd_map_remove(fd_map * map, int fd)
{
    size_t i;
    pthread_mutex_lock(&fd_map_lock);
    if (fd >= 0 && fd < FD_MAP_DIRECT && map->dset[fd]) {
        map->dset[fd] = 0;
        map->ddata[fd] = NULL;
        pthread_mutex_unlock(&fd_map_lock);
        return;
    }
    for (i = 0; i < FD_MAP_MAX; ++i) {
        if (map->set[i] && map->fd[i] == fd) {
            map->set[i] = 0;
            pthread_mutex_unlock(&fd_map_lock);
            return;
        }
    }
    fprintf(stderr, "libumockdev-preload fd_map_remove(): did not find fd %i", fd);
    abort();
}

static int
fd_map_get(fd_map * map, int fd, const void **data_out)
{
    size_t i;
    int found = 0;
    const void *data = NULL;
    pthread_mutex_lock(&fd_map_lock);
    if (fd >= 0 && fd < FD_MAP_DIRECT) {
        found = map->dset[fd];
        data = map->ddata[fd];
    } else {
        for (i = 0; i < FD_MAP_MAX; ++i) {
            if (map->set[i] && map->fd[i] == fd) {
                found = 1;
                data = map->data[i];
                break;
            }
        }
    }
    pthread_mutex_unlock(&fd_map_lock);
    if (data_out != NULL)
        *data_out = found ? data : NULL;
    return found;
}

'''
open(path, "w").write(src[:start] + new + src[end:])
EOF

cat >"$BUILD/config.h" <<EOF
#define PACKAGE_NAME "umockdev"
#define VERSION "$UPSTREAM"
#define IOCTL_REQUEST_TYPE unsigned long
EOF
log "building the patched preload"
mkdir -p "$(dirname "$OUT")"
gcc -shared -fPIC -O2 -fvisibility=default -pthread -I"$BUILD" -o "$OUT.tmp" \
        "$BUILD/libumockdev-preload.c" "$BUILD/debug.c" "$BUILD/utils.c" "$BUILD/ioctl_tree.c" -ldl
mv "$OUT.tmp" "$OUT"
echo "$OUT"
