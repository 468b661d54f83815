# shellcheck shell=bash
# What `meson install` puts on the system (the harness installed the build into the
# overlaid /usr, /etc, /var): every file at its path, man pages, completion, the
# pkg-config file (and an out-of-tree plugin built with it), the journal catalog as
# journalctl -x shows it, and the unit's systemd-analyze security score.

MULTIARCH=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

# the pkg-config file's directory is libdir/pkgconfig
install_libdir() {
        local pc
        for pc in /usr/lib/"$MULTIARCH"/pkgconfig/fwctld-plugin.pc /usr/lib64/pkgconfig/fwctld-plugin.pc \
                  /usr/lib/pkgconfig/fwctld-plugin.pc; do
                [ -f "$pc" ] && { dirname "$(dirname "$pc")"; return 0; }
        done
        return 1
}

test_install_tree() {
        local libdir f missing=()
        libdir=$(install_libdir) || fail "fwctld-plugin.pc not installed under /usr/lib"
        for f in \
                /usr/libexec/fwctld \
                /usr/bin/fwctlctl \
                "$libdir"/fwctld/plugins/generic.so \
                "$libdir"/pkgconfig/fwctld-plugin.pc \
                /usr/include/fwctld/plugin.h \
                /usr/include/fwctld/fwctl-uapi.h \
                /usr/lib/systemd/system/fwctld.service \
                /usr/lib/systemd/catalog/fwctld.catalog \
                /usr/share/dbus-1/system-services/org.freedesktop.fwctl1.service \
                /usr/share/dbus-1/system.d/org.freedesktop.fwctl1.conf \
                /usr/share/dbus-1/interfaces/org.freedesktop.fwctl1.Manager.xml \
                /usr/share/dbus-1/interfaces/org.freedesktop.fwctl1.Device.xml \
                /usr/share/dbus-1/interfaces/org.freedesktop.fwctl1.Session.xml \
                /usr/share/polkit-1/actions/org.freedesktop.fwctl1.policy \
                /usr/share/bash-completion/completions/fwctlctl \
                /usr/share/man/man8/fwctld.8 \
                /usr/share/man/man1/fwctlctl.1 \
                /usr/share/man/man5/org.freedesktop.fwctl1.5; do
                [ -s "$f" ] || missing+=("$f")
        done
        [ ${#missing[@]} -eq 0 ] || fail "not installed: ${missing[*]}"
        # the activation file and the unit point at the installed daemon
        grep -q '^Exec=/usr/libexec/fwctld$' /usr/share/dbus-1/system-services/org.freedesktop.fwctl1.service \
                || fail "activation file Exec= is not /usr/libexec/fwctld"
        grep -q '^SystemdService=fwctld.service$' /usr/share/dbus-1/system-services/org.freedesktop.fwctl1.service \
                || fail "activation file lacks SystemdService=fwctld.service"
        grep -q '^ExecStart=/usr/libexec/fwctld$' /usr/lib/systemd/system/fwctld.service \
                || fail "unit ExecStart= is not /usr/libexec/fwctld"
        # the installed tree, for the log
        find /usr/libexec/fwctld /usr/bin/fwctlctl "$libdir"/fwctld /usr/include/fwctld /usr/share/man/man?/*fwctl* \
                /usr/share/bash-completion/completions/fwctlctl "$libdir"/pkgconfig/fwctld-plugin.pc -print
}

test_install_man_pages() {
        local p out
        for p in man8/fwctld.8 man1/fwctlctl.1 man5/org.freedesktop.fwctl1.5; do
                out=$(MANWIDTH=100 man -l "/usr/share/man/$p" 2>/dev/null | col -b) || fail "man -l $p failed"
                assert_match 'NAME' "$out" "$p renders"
        done
        out=$(MANWIDTH=250 man -l /usr/share/man/man5/org.freedesktop.fwctl1.5 2>/dev/null | col -b)
        # every method, property, error and polkit action of the API reference
        for p in GetDevice GetManagedObjects Info Rpc ListOperations Execute Version KernelTainted Plugins \
                 DeviceTypeName PciAddress DeviceNode InterfacesAdded InterfacesRemoved PropertiesChanged \
                 NoSuchDevice DeviceGone InvalidScope ScopeTooLow RequestRejected PayloadTooLarge NotAuthorized \
                 InteractiveAuthorizationRequired NotSupported Busy DeviceError InvalidArguments NoSuchOperation \
                 rpc-configuration rpc-debug-read-only rpc-debug-write rpc-debug-write-full; do
                [[ $out == *"$p"* ]] || fail "org.freedesktop.fwctl1(5) does not mention $p"
        done
        out=$(MANWIDTH=250 man -l /usr/share/man/man1/fwctlctl.1 2>/dev/null | col -b)
        for p in list status ops exec rpc monitor --json --no-ask-password --host --machine 'EXIT STATUS'; do
                [[ $out == *"$p"* ]] || fail "fwctlctl(1) does not mention $p"
        done
}

test_install_pkgconfig_plugin() {
        local d=$T/oot-plugin cflags plugindir libdir
        libdir=$(install_libdir) || fail "no pc file"
        export PKG_CONFIG_PATH=$libdir/pkgconfig
        cflags=$(pkg-config --cflags fwctld-plugin) || fail "pkg-config --cflags fwctld-plugin failed"
        assert_match '/usr/include/fwctld' "$cflags" "Cflags"
        plugindir=$(pkg-config --variable=plugindir fwctld-plugin)
        assert_eq "$libdir/fwctld/plugins" "$plugindir" "plugindir"
        assert_true "plugindir holds the installed plugins" test -f "$plugindir/generic.so"
        mkdir -p "$d"
        cat >"$d/oot.c" <<'PLUGIN_EOF'
/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <plugin.h>             /* from $(pkg-config --cflags fwctld-plugin) */
#include <fwctld/plugin.h>      /* the documented spelling works too */

static const uint32_t types[] = { 99, FWCTLD_DEVICE_TYPE_END };

static int oot_info(fwctld_device *d, const void *data, size_t size, char **ret) {
        *ret = strdup("{\"plugin\":\"oot\"}");
        return *ret ? 0 : -ENOMEM;
}

static int oot_classify(fwctld_device *d, const void *req, size_t size, uint32_t scope,
                        fwctld_classification *ret, char **reason) {
        memset(ret, 0, sizeof(*ret));
        ret->min_scope = FWCTLD_SCOPE_CONFIGURATION;
        /* ABI 2: the kernel judges the scope, nothing extra to size, a possible change. */
        ret->scope_exact = false;
        ret->kernel_out_min = 0;
        ret->configuration_write = true;
        strncpy(ret->operation, "oot", sizeof(ret->operation) - 1);
        return 0;
}

static const fwctld_plugin oot = {
        .abi_version = FWCTLD_PLUGIN_ABI_VERSION,
        .size = sizeof(fwctld_plugin),
        .name = "oot",
        .device_types = types,
        .info_to_json = oot_info,
        .classify = oot_classify,
};

FWCTLD_EXPORT const fwctld_plugin *FWCTLD_PLUGIN_ENTRY(void) {
        return &oot;
}
PLUGIN_EOF
        # shellcheck disable=SC2086
        cc -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -fvisibility=hidden $cflags \
                -o "$d/oot.so" "$d/oot.c" >"$d/cc.log" 2>&1 || fail "out-of-tree plugin build failed: $(cat "$d/cc.log")"
        install -m 0644 "$d/oot.so" "$plugindir/oot.so" || fail "install into plugindir failed"
        nm -D --defined-only "$plugindir/oot.so" | grep ' T fwctld_plugin_entry_v2$' >/dev/null || fail "entry symbol not exported"
        # loadable, and the descriptor says ABI 2 / "oot" (what the daemon checks at start)
        python3 - "$plugindir/oot.so" <<'PY_EOF' || fail "plugin descriptor check failed"
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
f = lib.fwctld_plugin_entry_v2
f.restype = ctypes.POINTER(ctypes.c_uint32)
p = f()
abi, size = p[0], p[1]
name = ctypes.cast(ctypes.cast(p, ctypes.c_void_p).value + 8, ctypes.POINTER(ctypes.c_char_p))[0]
assert abi == 2 and size > 16 and name == b"oot", (abi, size, name)
PY_EOF
        rm -f "$plugindir/oot.so"
}

test_install_catalog() {
        local out
        journalctl --update-catalog || fail "journalctl --update-catalog failed"
        # read it whole first: grep -q closing the pipe early would kill journalctl (pipefail)
        out=$(journalctl --list-catalog 2>/dev/null)
        grep -q '^935491da429e4a4ca4f6900714ecb8a9 ' <<<"$out" \
                || fail "catalog id 935491da... not in the catalog database"
        journalctl --sync >/dev/null 2>&1
        out=$(journalctl --directory=/run/log/journal -x --no-pager -o short \
                MESSAGE_ID=935491da429e4a4ca4f6900714ecb8a9 FWCTL_DEVICE=fwctl0 2>&1)
        assert_match 'fwctl device fwctl0 added' "$out" "catalog Subject for the device-added entry"
        assert_match 'fwctld opened the fwctl device fwctl0 \(type' "$out" "catalog text for the device-added entry"
        assert_match 'serves it on the system bus with plugin' "$out" "catalog text"
}

test_install_hardening_score() {
        local out score
        out=$(systemd-analyze security --offline=true --no-pager /usr/lib/systemd/system/fwctld.service 2>&1)
        score=$(sed -n 's/.*Overall exposure level for fwctld.service: \([0-9.]*\).*/\1/p' <<<"$out")
        [[ $score =~ ^[0-9]+\.[0-9]+$ ]] || fail "no exposure score: ${out: -300}"
        echo "systemd-analyze security: fwctld.service exposure $score"
        awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' \
                || fail "fwctld.service exposure level $score > 2.0: $(grep '✗' <<<"$out" | head -n 12)"
}
