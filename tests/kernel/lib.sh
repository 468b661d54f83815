# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # variables for the scripts that source it
#
# Shared by the real-kernel test scripts (sourced): where the cached guest
# lives, how Debian 13 (trixie) and trixie-backports are queried without
# touching the host's apt sources, and small helpers.

KT_MIRROR=${FWCTL_KT_MIRROR:-http://deb.debian.org/debian}
KT_CACHE=${FWCTL_KT_CACHE:-/var/cache/fwctld-kernel-test}
KT_SUITE=trixie
KT_KPKG=linux-source-7.3
KT_QPKG=qemu-system-x86
# Bump when the build recipe changes in a way the versions do not show.
KT_RECIPE=1
KT_JOBS=${FWCTL_KT_JOBS:-2}
KT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

kt_log() { printf '[kernel-test %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
kt_die() { printf '[kernel-test] FATAL: %s\n' "$*" >&2; exit 1; }

# kt_cpu VAR: set VAR to the CPU seconds (user + system) of the reaped
# children of this shell (`times` must run in this shell, not a subshell)
kt_cpu() {
        local f
        f=$(mktemp)
        times >"$f"
        printf -v "$1" '%s' "$(tail -n 1 "$f" | awk '{
                t = 0
                for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] }
                printf "%d", t }')"
        rm -f "$f"
}

# kt_time LABEL CMD...: run CMD, log its wall and CPU time and append them to
# $KT_TIMES (CPU time shows what a busy machine hides in the wall time)
kt_time() {
        local label=$1 t0 c0=0 rc=0 wall cpu=0
        shift
        t0=$(date +%s)
        kt_cpu c0
        "$@" || rc=$?
        wall=$(( $(date +%s) - t0 ))
        kt_cpu cpu
        cpu=$(( cpu - c0 ))
        kt_log "$label: ${wall} s wall, ${cpu} s CPU (exit $rc)"
        [ -n "${KT_TIMES:-}" ] && printf '%s %s %s\n' "$label" "$wall" "$cpu" >>"$KT_TIMES"
        return "$rc"
}

# A private apt configuration: its own sources, lists and caches under
# $KT_CACHE/apt. The host's /etc/apt and /var/lib/apt are never written.
kt_apt() {
        local d=$KT_CACHE/apt
        mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
        if [ ! -s "$d/sources.list" ]; then
                printf 'deb [signed-by=%s] %s %s main\ndeb [signed-by=%s] %s %s-backports main\n' \
                        "$KT_KEYRING" "$KT_MIRROR" "$KT_SUITE" "$KT_KEYRING" "$KT_MIRROR" "$KT_SUITE" \
                        >"$d/sources.list"
        fi
        apt-get -q -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
                -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
                -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
                -o APT::Get::List-Cleanup=0 "$@"
}

kt_apt_cache() {
        local d=$KT_CACHE/apt
        apt-cache -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
                -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
                -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@"
}

# kt_newest PKG: the highest version in the private lists (backports included)
kt_newest() {
        kt_apt_cache madison "$1" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
                sort -V | tail -n 1
}

# kt_key: the cache key, from the kernel source and QEMU versions, the config
# fragment and the recipe number. Sets KT_KVER_DEB, KT_QVER_DEB, KT_KEY, KT_DIR.
kt_key() {
        local here frag
        here=$(dirname "${BASH_SOURCE[0]}")
        frag=$(sha256sum "$here/kernel.config" | cut -c1-12)
        KT_KVER_DEB=$(kt_newest "$KT_KPKG")
        KT_QVER_DEB=$(kt_newest "$KT_QPKG")
        [ -n "$KT_KVER_DEB" ] || return 1
        [ -n "$KT_QVER_DEB" ] || return 1
        KT_KEY="linux-${KT_KVER_DEB}_qemu-${KT_QVER_DEB}_cfg-${frag}_r${KT_RECIPE}"
        KT_KEY=${KT_KEY//[:~+]/-}
        KT_DIR=$KT_CACHE/$KT_KEY
}
