#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real-kernel suite: fwctld on Linux 7.3's fwctl core and CXL driver.
#
# usage: tests/kernel/run.sh        (root, Debian 12 host, from anywhere)
#
# 1. build-guest.sh finds (or builds) the cached guest: a Debian 13 tree with
#    QEMU, and a KASAN kernel with fwctl, CXL features and cxl_test.
# 2. In a private mount namespace, an overlay over the cached tree (every
#    write lands in the run directory under /var/tmp; the cache is never
#    changed) gets this work tree built and installed with meson
#    inside a chroot (prefix /usr: the installed layout), the suite, its
#    helpers, test users, a polkit rule and a unit that runs the suite.
# 3. QEMU (the tree's own, TCG) boots the kernel with that overlay as its
#    root over virtio-9p and systemd as PID 1; the suite runs as a unit and
#    powers the guest off.
# 4. The suite's log ends with "N passed, N failed"; this script prints it
#    and exits non-zero unless every check passed.
#
# Environment: FWCTL_KT_CACHE (default /var/cache/fwctld-kernel-test),
# FWCTL_KT_KEEP=1 keeps the run directory, FWCTL_KT_TIMEOUT (seconds the
# guest may run, default 1800), FWCTL_KT_FILTER=REGEX runs the matching
# sections of the suite only (boot and module setup always run),
# FWCTL_KT_NOBOOT=1 stops after installing fwctld into the run directory,
# FWCTL_KT_BOOT_TIMEOUT (seconds until the suite must have started, 900).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/kernel/lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || { echo "tests/kernel/run.sh: needs root" >&2; exit 77; }

# chroot_run ROOT CMD...: CMD inside ROOT with /proc, /sys, /dev and a tmpfs
# /run (called inside the private mount namespace)
chroot_run() {
        local root=$1
        shift
        mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
        mountpoint -q "$root/sys" || mount -t sysfs sysfs "$root/sys"
        mountpoint -q "$root/dev" || mount --rbind /dev "$root/dev"
        mountpoint -q "$root/run" || mount -t tmpfs tmpfs "$root/run"
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
                LANG=C.UTF-8 "$@"
}

# Build this work tree inside the guest's tree and install it as a package
# would; add the suite, its helpers, users, polkit rule and the suite's unit.
install_into() {
        local m=$1
        mkdir -p "$m/src/fwctld"
        mount --bind "$SRC" "$m/src/fwctld"
        mount -o remount,bind,ro "$m/src/fwctld"
        chroot_run "$m" /bin/sh -ec '
                meson setup /var/tmp/fwctld-build /src/fwctld --prefix=/usr --sysconfdir=/etc \
                        --localstatedir=/var --libdir=lib/x86_64-linux-gnu --buildtype=debugoptimized -Dtests=false
                meson compile -C /var/tmp/fwctld-build -j '"$KT_JOBS"'
                meson install -C /var/tmp/fwctld-build
                journalctl --update-catalog
                ldconfig
                install -d /usr/local/lib/fwctld-kt
                gcc -O2 -Wall -D_GNU_SOURCE -o /usr/local/lib/fwctld-kt/kt-tool \
                        /src/fwctld/tests/kernel/guest/kt-tool.c $(pkg-config --cflags --libs libsystemd)
                gcc -O2 -Wall -o /usr/local/lib/fwctld-kt/fwctl-test-client \
                        /src/fwctld/tests/integration/fwctl-client.c $(pkg-config --cflags --libs libsystemd)
                install -m 0755 /src/fwctld/tests/kernel/guest/suite.sh /usr/local/lib/fwctld-kt/
                install -m 0644 /src/fwctld/tests/kernel/guest/fwctld-kt.service /etc/systemd/system/
                install -m 0644 /src/fwctld/tests/kernel/guest/50-fwctld-kt.rules /etc/polkit-1/rules.d/
                systemd-machine-id-setup >/dev/null 2>&1 || true
                echo fwctld-kt >/etc/hostname' >"$m/../install.log" 2>&1 || {
                tail -n 30 "$m/../install.log" >&2
                return 1
        }
        umount "$m/src/fwctld"
        printf 'fwtest:x:4242:4242:fwctld test:/nonexistent:/usr/sbin/nologin\n' >>"$m/etc/passwd"
        printf 'fwdeny:x:4243:4243:fwctld deny:/nonexistent:/usr/sbin/nologin\n' >>"$m/etc/passwd"
        printf 'fwtest:x:4242:\nfwdeny:x:4243:\n' >>"$m/etc/group"
        printf 'FWCTL_KT_FILTER=%s\n' "${FWCTL_KT_FILTER:-}" >"$m/etc/fwctld-kt.env"
        guest_units "$m"
        return 0
}

# systemd in the guest: run the suite, nothing that is not needed
guest_units() {
        local m=$1 u
        mkdir -p "$m/etc/systemd/system/multi-user.target.wants"
        ln -sf /etc/systemd/system/fwctld-kt.service \
                "$m/etc/systemd/system/multi-user.target.wants/fwctld-kt.service"
        ln -sf /usr/lib/systemd/system/multi-user.target "$m/etc/systemd/system/default.target"
        # Each unit costs seconds in a TCG guest with KASAN. The first-boot and
        # "/usr was updated" units redo what install_into did in the chroot
        # (ldconfig, the catalog, users); the rest are not used here.
        for u in serial-getty@ttyS0.service getty@tty1.service systemd-firstboot.service \
                systemd-hwdb-update.service ldconfig.service systemd-journal-catalog-update.service \
                systemd-sysusers.service systemd-update-done.service systemd-binfmt.service \
                systemd-random-seed.service dev-hugepages.mount dev-mqueue.mount \
                modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service \
                apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
                fstrim.timer systemd-tmpfiles-clean.timer \
                systemd-networkd.service systemd-networkd-wait-online.service; do
                ln -sf /dev/null "$m/etc/systemd/system/$u"
        done
        mkdir -p "$m/etc/systemd/journald.conf.d"
        printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\nForwardToConsole=no\n' \
                >"$m/etc/systemd/journald.conf.d/50-fwctld-kt.conf"
}

# no_timer_check: on a busy host TCG can be too slow for the kernel's check
# that the 8254 timer reaches the IO-APIC ("MP-BIOS bug: 8254 timer not
# connected"); its fallback then took an interrupt before the IRQ was set up
# and KASAN reported a wild access in handle_edge_irq at 0.015 s (seen once
# here, on an address of the 5-level-paging direct map). Virtual machines
# skip that check anyway; la57=off keeps the guest on 4-level paging.
KT_CMDLINE="root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=524288,cache=loose rw"
KT_CMDLINE+=" console=ttyS0 loglevel=4 panic=-1 kasan_multi_shot no_timer_check"
KT_CMDLINE+=" systemd.show_status=error systemd.log_level=warning"

boot_guest() {
        local kt=$1 run=$2 mem=${FWCTL_KT_MEM:-2048}
        mkdir -p "$kt/root/srv/guest"
        mount --bind "$run/merged" "$kt/root/srv/guest"
        chroot_run "$kt/root" timeout -k 10 "${FWCTL_KT_TIMEOUT:-1800}" qemu-system-x86_64 \
                -nodefaults -no-user-config -display none -no-reboot \
                -machine q35 -accel tcg,thread=multi -cpu max,la57=off \
                -smp 2,sockets=2,cores=1,threads=1 -m $((2 * mem))M \
                -object memory-backend-ram,id=m0,size=${mem}M \
                -object memory-backend-ram,id=m1,size=${mem}M \
                -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1 \
                -kernel /boot/vmlinuz-fwctld-kt \
                -append "$KT_CMDLINE" \
                -virtfs local,path=/srv/guest,mount_tag=root,security_model=passthrough,multidevs=remap \
                -serial stdio -nic none </dev/null
}

# boot_to_log KT RUN: boot_guest with its console in RUN/console.log. A guest
# whose kernel reports a bug before the suite starts, or that has not started
# the suite after FWCTL_KT_BOOT_TIMEOUT seconds, is stopped at once rather
# than at the whole run's timeout (a KASAN report in an interrupt handler can
# repeat forever).
boot_to_log() {
        local con=$2/console.log pid waited=0 limit=${FWCTL_KT_BOOT_TIMEOUT:-900}
        boot_guest "$@" >"$con" 2>&1 &
        pid=$!
        while kill -0 "$pid" 2>/dev/null; do
                sleep 5
                waited=$((waited + 5))
                grep -q -a 'suite\.sh\[' "$con" && continue
                if grep -q -a -E 'BUG: KASAN|Kernel panic' "$con" || [ "$waited" -ge "$limit" ]; then
                        kt_log "the guest did not reach the suite (kernel report or ${limit} s): stopping it"
                        # boot_guest's child is timeout(1), which passes the signal to QEMU
                        pkill -TERM -P "$pid" || true
                        break
                fi
        done
        wait "$pid"
}

inside() {
        local kt=$1 run=$2 d
        mkdir -p "$run/upper" "$run/work" "$run/merged"
        mount -t overlay overlay -o "lowerdir=$kt/root,upperdir=$run/upper,workdir=$run/work" "$run/merged"
        kt_time "fwctld built and installed in the guest tree" install_into "$run/merged" ||
                kt_die "installing fwctld into the guest failed"
        for d in proc sys dev run; do umount -R "$run/merged/$d" 2>/dev/null || true; done
        [ "${FWCTL_KT_NOBOOT:-0}" = 1 ] && return 0
        kt_log "booting the guest (TCG, KASAN; console in $run/console.log)"
        # the guest's CPU time next to its wall time: TCG on a busy machine is slow
        kt_time "guest (boot, suite, power-off)" boot_to_log "$kt" "$run" || kt_log "qemu failed or timed out"
}

# died_before_suite RUN: the guest's kernel reported a bug or panicked before the
# suite started. The suite loads cxl_test and the fwctl modules itself, so no fwctl
# code (ours or the kernel's) had run: the early-boot TCG trouble described above.
died_before_suite() {
        ! grep -q -a 'suite\.sh\[' "$1/console.log" && grep -q -a -E 'BUG: KASAN|Kernel panic' "$1/console.log"
}

main() {
        local kt run t0 rc=0 log summary attempt
        t0=$(date +%s)
        kt=$("$HERE/build-guest.sh" --print-dir)
        # One more boot, in a fresh overlay, when the first died before the suite: the
        # failed boot's console is kept and named; a report once the suite runs fails it.
        for attempt in 1 2; do
                run=$(mktemp -d "${FWCTL_KT_RUNDIR:-/var/tmp}/fwctld-kt.XXXXXX")
                rc=0
                unshare -m --propagation private "$0" --inside "$kt" "$run" || rc=$?
                [ "$attempt" = 1 ] && died_before_suite "$run" || break
                kt_log "boot $attempt: kernel report before the suite started (no fwctl module loaded yet;" \
                        "console kept in $run/console.log): booting once more"
                grep -a -m 3 -E 'BUG: KASAN|Kernel panic' "$run/console.log" >&2 || true
        done
        log=$run/upper/var/lib/fwctld-kt/suite.log
        if [ -f "$log" ]; then
                cat "$log"
                cp "$log" "$run/suite.log"
        else
                echo "tests/kernel: the guest left no suite log; console:" >&2
                tail -n 60 "$run/console.log" >&2 || true
        fi
        [ -f "$run/upper/var/lib/fwctld-kt/dmesg.txt" ] && cp "$run/upper/var/lib/fwctld-kt/dmesg.txt" "$run/"
        summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$run/suite.log" 2>/dev/null | tail -n 1 || true)
        kt_log "real-kernel suite: ${summary:-no summary} in $(( $(date +%s) - t0 )) s"
        # the guest checks its own kernel log; the console is checked here too, in
        # case the guest died before it could (reports are KERN_ERR: on the console)
        if grep -a -v 'suite\.sh\[' "$run/console.log" |
                grep -a -m 20 -E 'BUG: KASAN|BUG:|Oops|general protection fault|Kernel panic'; then
                kt_log "the guest's console shows a kernel report (above)"
                rc=1
        fi
        if [ -z "$summary" ] || [ "${summary#* passed, }" != "0 failed" ] || [ "$rc" != 0 ]; then
                kt_log "FAILED; run directory kept: $run"
                return 1
        fi
        if [ "${FWCTL_KT_KEEP:-0}" = 1 ]; then
                kt_log "run directory kept: $run"
        else
                rm -rf "$run"
        fi
        return 0
}

# one line, so that bash has read it whole before running it (an edit of this
# file during a run cannot change what the running script does next)
if [ "${1:-}" = --inside ]; then inside "$2" "$3"; else main "$@"; fi; exit
