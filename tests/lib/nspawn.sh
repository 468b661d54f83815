# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Boot a cached Debian 12 tree (tests/packaging/tree.sh) under a real systemd as PID 1
# with systemd-nspawn, the recipe of testing-with-real-parts.md §7, and run commands in
# it. Sourced by tests/packaging/run.sh and tests/systemd/run.sh.
#
# The caller runs in a private mount namespace of its own (unshare -m --propagation
# private) and sets T, its test directory (nspawn_cleanup removes it, or keeps it). nspawn_overlay mounts a tmpfs on /run (nspawn
# writes /run/systemd/nspawn; on this host /run is on the root disk) and a tmpfs-backed
# overlay over the tree on $T/merged, so the cached tree is never changed; everything
# vanishes with the namespace. nspawn_start boots it and sets NSPAWN_PID (systemd-nspawn,
# here) and, once nspawn_booted has seen it, LEADER (the container's PID 1, as seen here).

NSPAWN_PID=""
LEADER=""

# nspawn_overlay TREE: $T/merged, a writable overlay over TREE whose changes go to $T/ovl.
nspawn_overlay() {
        mount -t tmpfs tmpfs /run
        mkdir -p "$T/ovl" "$T/merged"
        mount -t tmpfs -o mode=0755 tmpfs "$T/ovl"
        mkdir -p "$T/ovl/upper" "$T/ovl/work"
        mount -t overlay overlay -o "lowerdir=$1,upperdir=$T/ovl/upper,workdir=$T/ovl/work" "$T/merged"
}

# nspawn_start MACHINE [NSPAWN-OPTION...]: boot $T/merged in the background, console to
# $T/console.log. --system-call-filter=bpf: else nspawn blocks bpf() and systemd inside
# silently applies no DevicePolicy= nor IPAddressDeny=; --capability=CAP_SYS_RAWIO: else
# fwctld's bounding set is empty. SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: cgroup v2 inside,
# whatever the host has.
nspawn_start() {
        local machine=$1
        shift
        SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -D "$T/merged" --machine="$machine" \
                --register=no --keep-unit --private-network --link-journal=no \
                --capability=CAP_SYS_RAWIO --system-call-filter=bpf \
                "$@" --console=read-only --boot \
                < /dev/null > "$T/console.log" 2>&1 &
        NSPAWN_PID=$!
}

# A command inside the container, with the container's environment only.
inc() {
        nsenter -t "$LEADER" -m -u -i -n -p -C -r -w -- \
                /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER= "$@"
}

# The container's PID 1 as seen from here: the descendant of systemd-nspawn that
# runs systemd in another pid namespace.
nspawn_find_leader() {
        local pids=("$NSPAWN_PID") p c
        while [ ${#pids[@]} -gt 0 ]; do
                p=${pids[0]}
                pids=("${pids[@]:1}")
                for c in $(ps -o pid= --ppid "$p"); do
                        if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] &&
                           [ "$(readlink "/proc/$c/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]; then
                                echo "$c"
                                return 0
                        fi
                        pids+=("$c")
                done
        done
        return 1
}

# Wait (up to 60 s) until systemd in the container reports 'running'; fail on
# 'degraded' (a unit failed) or if nspawn exits. Sets LEADER.
nspawn_booted() {
        local state
        for _ in $(seq 1 300); do
                kill -0 "$NSPAWN_PID" 2>/dev/null || { cat "$T/console.log"; return 1; }
                if [ -z "$LEADER" ]; then
                        LEADER=$(nspawn_find_leader) || LEADER=""
                fi
                if [ -n "$LEADER" ]; then
                        state=$(inc systemctl is-system-running --wait 2>/dev/null) || true
                        case "$state" in
                        running) return 0 ;;
                        degraded) inc systemctl --failed --no-legend; return 1 ;;
                        esac
                fi
                sleep 0.2
        done
        tail -n 30 "$T/console.log"
        return 1
}

# Power the container off (SIGTERM to nspawn: an orderly shutdown), up to 20 s.
nspawn_stop() {
        kill -TERM "$NSPAWN_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
                kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
                sleep 0.2
        done
        return 1
}

# For an EXIT trap: no container survives the script.
nspawn_kill() {
        if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
                kill -KILL "$NSPAWN_PID" 2>/dev/null || true
                wait "$NSPAWN_PID" 2>/dev/null || true
        fi
}

# nspawn_cleanup KEEP LABEL: the suite's EXIT trap. Stops the container; with KEEP=1 keeps
# $T and, since the overlay's tmpfs goes with the namespace, a copy of what changed in it.
nspawn_cleanup() {
        nspawn_kill
        if [ "$1" = 1 ]; then
                [ -d "$T/ovl/upper" ] && cp -a "$T/ovl/upper" "$T/upper"
                echo "$2: kept $T" >&2
        else
                umount -R "$T/ovl" 2>/dev/null || true
                umount "$T/merged" 2>/dev/null || true
                rm -rf "$T"
        fi
}
