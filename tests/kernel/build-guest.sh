#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build (or find in the cache) the real-kernel test guest:
#   $KT_DIR/root      a debootstrapped Debian 13 (trixie) tree holding QEMU
#                     (trixie-backports), the build tools and the guest's
#                     userland (systemd, dbus, polkitd, udev); it is also the
#                     guest's root file system (over virtio-9p)
#   $KT_DIR/bzImage   Debian's linux-source-7.3 with fwctl, CXL features, KASAN
#   in the tree       /lib/modules/<release>/ with cxl_test under updates/
# $KT_DIR is $KT_CACHE/<key>, the key made of the kernel source and QEMU
# versions, the config fragment's hash and the recipe number (lib.sh). A
# finished guest has $KT_DIR/done and is never rebuilt; each stage of an
# unfinished one leaves a stamp, so an interrupted build resumes.
#
# usage: build-guest.sh [--print-dir]    (root; Debian 12 host)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/kernel/lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || kt_die "needs root (debootstrap, chroot)"

host_deps() {
        local p missing=()
        for p in debootstrap debian-archive-keyring util-linux; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep 'ok installed' >/dev/null || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        kt_log "installing ${missing[*]} on the host"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# kt_chroot ROOT CMD...: run CMD in ROOT with /proc, /sys, /dev mounted, in a
# private mount namespace (nothing stays mounted afterwards)
kt_chroot() {
        local root=$1
        shift
        unshare -m --propagation private /bin/bash -euc '
                r=$1; shift
                mount -t proc proc "$r/proc"
                mount -t sysfs sysfs "$r/sys"
                mount --rbind /dev "$r/dev"
                mount -t tmpfs tmpfs "$r/run"
                mkdir -p "$r/run/lock"
                exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
                kt-chroot "$root" "$@"
}

# Packages of the tree: the guest's userland, fwctld's build and the kernel's.
GUEST_PKGS=systemd,systemd-sysv,dbus,polkitd,libpam-systemd,udev,kmod,util-linux,procps,jq,libjson-c5
BUILD_PKGS=gcc,libc6-dev,make,bc,bison,flex,libelf-dev,libssl-dev,xz-utils,cpio,meson,ninja-build,pkg-config,libsystemd-dev,libudev-dev,libjson-c-dev,scdoc

stage_debootstrap() {
        local root=$KT_DIR/root
        rm -rf "$root"
        mkdir -p "$root"
        debootstrap --variant=minbase --keyring="$KT_KEYRING" \
                --include="$GUEST_PKGS,$BUILD_PKGS" "$KT_SUITE" "$root" "$KT_MIRROR" \
                >"$KT_DIR/debootstrap.log" 2>&1 || {
                tail -n 30 "$KT_DIR/debootstrap.log" >&2
                return 1
        }
}

stage_backports() {
        local root=$KT_DIR/root
        printf 'deb %s %s main\ndeb %s %s-backports main\n' \
                "$KT_MIRROR" "$KT_SUITE" "$KT_MIRROR" "$KT_SUITE" >"$root/etc/apt/sources.list"
        cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        # shellcheck disable=SC2086 # word lists
        kt_chroot "$root" /bin/sh -ec "
                apt-get update -qq
                apt-get install -y -qq --no-install-recommends -t $KT_SUITE-backports \
                        $KT_QPKG=$KT_QVER_DEB $KT_KPKG=$KT_KVER_DEB
                apt-get clean" >"$KT_DIR/apt.log" 2>&1 || {
                tail -n 30 "$KT_DIR/apt.log" >&2
                return 1
        }
}

stage_unpack() {
        local root=$KT_DIR/root
        rm -rf "$root/usr/src/linux"
        kt_chroot "$root" /bin/sh -ec "
                cd /usr/src
                rm -rf $KT_KPKG
                tar -xf $KT_KPKG.tar.xz
                mv $KT_KPKG linux"
}

stage_config() {
        local root=$KT_DIR/root
        cp "$HERE/kernel.config" "$root/usr/src/fwctl.config"
        kt_chroot "$root" /bin/sh -ec "
                cd /usr/src/linux
                make -s defconfig
                make -s kvm_guest.config
                scripts/kconfig/merge_config.sh -m .config /usr/src/fwctl.config >/dev/null
                make -s olddefconfig
                scripts/config --set-str LOCALVERSION -fwctl-test"
        # every option the fragment sets must have survived olddefconfig
        local line bad=0
        while IFS= read -r line; do
                case $line in
                CONFIG_*=*)
                        grep -qx "$line" "$root/usr/src/linux/.config" || {
                                kt_log "kernel config: '$line' did not survive (dependency?)"
                                bad=1
                        } ;;
                "# CONFIG_"*" is not set")
                        local opt=${line#\# }
                        opt=${opt%% *}
                        if grep -q "^$opt=" "$root/usr/src/linux/.config"; then
                                kt_log "kernel config: '$opt' is still set (selected by something)"
                        fi ;;
                esac
        done <"$HERE/kernel.config"
        return "$bad"
}

stage_kernel() {
        local root=$KT_DIR/root
        kt_chroot "$root" /bin/sh -ec "
                cd /usr/src/linux
                make -j$KT_JOBS bzImage modules
                make -s modules_install INSTALL_MOD_STRIP=1" >"$KT_DIR/kernel-build.log" 2>&1 || {
                tail -n 40 "$KT_DIR/kernel-build.log" >&2
                return 1
        }
        cp "$root/usr/src/linux/arch/x86/boot/bzImage" "$KT_DIR/bzImage"
        cp "$root/usr/src/linux/arch/x86/boot/bzImage" "$root/boot/vmlinuz-fwctld-kt"
}

stage_cxl_test() {
        local root=$KT_DIR/root
        kt_chroot "$root" /bin/sh -ec "
                cd /usr/src/linux
                make -j$KT_JOBS M=tools/testing/cxl modules
                make -s M=tools/testing/cxl INSTALL_MOD_DIR=updates INSTALL_MOD_STRIP=1 modules_install
                depmod -a \$(make -s kernelrelease)" >"$KT_DIR/cxl-test-build.log" 2>&1 || {
                tail -n 40 "$KT_DIR/cxl-test-build.log" >&2
                return 1
        }
}

# Trim the cache: neither the kernel tree nor its objects are needed once
# the kernel and the modules are installed (about 3 GB); keep .config,
# System.map and the logs.
stage_trim() {
        local root=$KT_DIR/root
        cp "$root/usr/src/linux/.config" "$KT_DIR/kernel.config"
        cp "$root/usr/src/linux/System.map" "$KT_DIR/System.map"
        rm -rf "$root/usr/src/linux" "$root/usr/src/$KT_KPKG.tar.xz"
}

run_stage() {
        local name=$1
        [ -e "$KT_DIR/stamp-$name" ] && return 0
        kt_time "$name" "stage_$name" || kt_die "stage $name failed (logs in $KT_DIR)"
        touch "$KT_DIR/stamp-$name"
}

main() {
        local print_dir=0 t0
        [ "${1:-}" = --print-dir ] && print_dir=1
        host_deps
        kt_apt update >/dev/null 2>&1 || kt_log "could not refresh the trixie lists; using the cached ones"
        kt_key || kt_die "cannot find $KT_KPKG / $KT_QPKG in $KT_SUITE(-backports)"
        mkdir -p "$KT_DIR"
        # one builder per key; a second run waits for it, then finds it done
        exec 9>"$KT_DIR.lock"
        flock 9
        if [ -e "$KT_DIR/done" ]; then
                kt_log "cached guest: $KT_DIR"
        else
                kt_log "building the guest in $KT_DIR ($KT_KPKG $KT_KVER_DEB, $KT_QPKG $KT_QVER_DEB)"
                export KT_TIMES=$KT_DIR/timings
                t0=$(date +%s)
                run_stage debootstrap
                run_stage backports
                run_stage unpack
                run_stage config
                run_stage kernel
                run_stage cxl_test
                run_stage trim
                echo "total $(( $(date +%s) - t0 ))" >>"$KT_TIMES"
                touch "$KT_DIR/done"
                kt_log "guest built in $(( $(date +%s) - t0 )) s: $KT_DIR"
        fi
        [ "$print_dir" = 1 ] && echo "$KT_DIR"
        return 0
}

main "$@"; exit
