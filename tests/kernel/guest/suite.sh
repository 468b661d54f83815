#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real-kernel suite, run inside the guest by fwctld-kt.service (systemd
# is PID 1; journald, dbus-daemon, polkitd and udevd are the guest's own).
# fwctld is the installed one (/usr/libexec/fwctld, D-Bus activated); the
# devices are cxl_test's mock memdevs served by the real fwctl core and CXL
# driver. One line per check; the last line is "N passed, N failed".
#
# Every process costs ~0.1-0.2 s in a TCG guest with KASAN, so the helpers
# below avoid command substitutions: replies are parsed into the array R,
# requests are built with printf -v.
set -uo pipefail

OUT=/var/lib/fwctld-kt
LOG=$OUT/suite.log
mkdir -p "$OUT"
: >"$LOG"

BUS=org.freedesktop.fwctl1
MGR=/org/freedesktop/fwctl1
MIF=org.freedesktop.fwctl1.Manager
DEVP=/org/freedesktop/fwctl1/device
DIF=org.freedesktop.fwctl1.Device
ERR=org.freedesktop.fwctl1.Error
NEEDS_AUTH=org.freedesktop.DBus.Error.InteractiveAuthorizationRequired
KT=/usr/local/lib/fwctld-kt/kt-tool
FC=/usr/local/lib/fwctld-kt/fwctl-test-client
MSGID_ATTEMPT=eb625ee66c5e4d54a5647a3ceb9895e1
MSGID_RESULT=f50e156c71714753b7f2153eb4430df0
MSGID_DENIED=bf60d8a981034db6b13b43d67eba051d
MSGID_ADDED=935491da429e4a4ca4f6900714ecb8a9
MSGID_REMOVED=cffb21bb4bd9413fbefa3d42e80a3de1
# cxl_test's one user feature: uuid ff..ff, 4 bytes, effects COLD_RESET
FEAT=ffffffffffffffffffffffffffffffff
FEAT_UUID=ffffffff-ffff-ffff-ffff-ffffffffffff
MAX_RPC=2097152
UID_TEST=4242 # fwtest: polkit yes up to debug-write, write-full needs an admin
UID_DENY=4243 # fwdeny: polkit no

PASSED=0
FAILED=0
N_DEV=0
D1=""
NODE1=""
T_START=$SECONDS
declare -A R=()

say() { printf '%s\n' "$*" | tee -a "$LOG"; }
note() { say "# $*"; }
pass() { PASSED=$((PASSED + 1)); say "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $1: $2"; }
# expect NAME EXPECTED ACTUAL
expect() {
        if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}
# expect_match NAME REGEX ACTUAL
expect_match() {
        if [[ $3 =~ $2 ]]; then pass "$1"; else fail "$1" "'$3' does not match /$2/"; fi
}
# check NAME CMD...: passes when CMD succeeds
check() {
        local name=$1
        shift
        if "$@"; then pass "$name"; else fail "$name" "false: $*"; fi
}

# ------------------------------------------------------------------ helpers

# kvload TEXT: "key=value" lines into R
kvload() {
        local line
        R=()
        while IFS= read -r line; do
                [[ $line == *=* ]] && R[${line%%=*}]=${line#*=}
        done <<<"$1"
}
# r KEY...: the values of KEYs in R, space-separated, into RV
r() {
        local k v=() IFS=' '
        for k in "$@"; do v+=("${R[$k]-}"); done
        RV="${v[*]}"
}
err() { RV=${R[error]-ok}; RV=${RV##*.}; }

le16() { printf -v "$1" '%02x%02x' $(($2 & 255)) $(($2 >> 8 & 255)); }
le32() { printf -v "$1" '%02x%02x%02x%02x' $(($2 & 255)) $(($2 >> 8 & 255)) $(($2 >> 16 & 255)) $(($2 >> 24 & 255)); }
# struct fwctl_rpc_cxl header: opcode, flags, op_size, reserved -> VAR
cxl_hdr() {
        local o s
        le32 o "$2"
        le32 s "$3"
        printf -v "$1" '%s00000000%s00000000' "$o" "$s"
}
gsf() { # VAR COUNT START
        local h c s
        cxl_hdr h 0x500 8
        le32 c "$2"
        le16 s "$3"
        printf -v "$1" '%s%s%s0000' "$h" "$c" "$s"
}
gf() { # VAR UUID OFFSET COUNT SELECTION
        local h o c
        cxl_hdr h 0x501 21
        le16 o "$3"
        le16 c "$4"
        printf -v "$1" '%s%s%s%s%02x' "$h" "$2" "$o" "$c" "$5"
}
sf() { # VAR UUID OFFSET DATAHEX: uuid, flags 0, offset, version 1, 9 reserved, data
        local h o
        cxl_hdr h 0x502 $((32 + ${#4} / 2))
        le16 o "$3"
        printf -v "$1" '%s%s00000000%s01000000000000000000%s' "$h" "$2" "$o" "$4"
}

# rpc DEV SCOPE MAX HEX: Device.Rpc through fwctld as root -> R
rpc() { kvload "$("$FC" rpc "$1" "$2" "$3" "hex:$4" 2>&1)"; }
# rpc_as UID DEV SCOPE MAX HEX: the same as another user
rpc_as() { kvload "$(setpriv --reuid="$1" --regid="$1" --clear-groups -- "$FC" rpc "$2" "$3" "$4" "hex:$5" 2>&1)"; }
# xrpc NODE SCOPE HEX [kt-tool options]: FWCTL_RPC straight on the node -> R
xrpc() { kvload "$("$KT" rpc "$@" 2>&1)"; }
# xexec [UID] DEV OPERATION JSON: Device.Execute -> R (R[result] is the JSON)
xexec() { kvload "$("$KT" exec "$@" 2>&1)"; }
xexec_as() {
        local u=$1
        shift
        kvload "$(setpriv --reuid="$u" --regid="$u" --clear-groups -- "$KT" exec "$@" 2>&1)"
}

taint_bit() { local t; read -r t </proc/sys/kernel/tainted; echo $((t >> 19 & 1)); }
fwctld_pid() { systemctl show -p MainPID --value fwctld.service; }
dev_prop() { busctl --system get-property "$BUS" "$DEVP/$1" "$DIF" "$2" 2>/dev/null; }
# the device object names fwctld publishes, sorted, on one line
dev_objects() {
        busctl --system --json=short call "$BUS" "$MGR" org.freedesktop.DBus.ObjectManager \
                GetManagedObjects 2>/dev/null |
                jq -r --arg p "$DEVP/" '[.data[0] | keys[] | select(startswith($p)) | ltrimstr($p)]
                        | sort_by(ltrimstr("fwctl") | tonumber) | join(" ")'
}
# the /dev/fwctl nodes, sorted, on one line
nodes() {
        local n list=()
        for n in /dev/fwctl/fwctl*; do [ -c "$n" ] && list+=("${n##*/fwctl}"); done
        mapfile -t list < <(printf '%s\n' "${list[@]}" | sort -n)
        printf -v RV 'fwctl%s ' "${list[@]}"
        [ ${#list[@]} -eq 0 ] && RV=""
        echo "${RV% }"
}
wait_for() { # SECONDS CMD...: poll CMD until it succeeds or SECONDS have passed
        local end=$((SECONDS + $1))
        shift
        while ! "$@" >/dev/null 2>&1; do
                [ "$SECONDS" -ge "$end" ] && return 1
                sleep 0.3
        done
}
objects_equal_nodes() { [ "$(dev_objects)" = "$(nodes)" ]; }
# jq FILTER over the journal's JSON records matching MATCH...
jr() {
        local f=$1
        shift
        journalctl --sync 2>/dev/null
        journalctl -o json --no-pager "$@" 2>/dev/null | jq -r -s "$f"
}
# j_call PID: the attempt and result records journaled for caller PID
j_call() {
        jr 'def a: map(select(.MESSAGE_ID == "'$MSGID_ATTEMPT'")) | last;
            def r: map(select(.MESSAGE_ID == "'$MSGID_RESULT'")) | last;
            "\(a.FWCTL_RESULT) \(a.FWCTL_OPERATION) scope=\(a.FWCTL_SCOPE) cw=\(a.FWCTL_CONFIGURATION_WRITE) uid=\(a.FWCTL_CALLER_UID) dev=\(a.FWCTL_DEVICE) | \(r.FWCTL_RESULT) issued=\(r.FWCTL_ISSUED_SCOPE) taint=\(r.FWCTL_KERNEL_TAINTED_BEFORE)->\(r.FWCTL_KERNEL_TAINTED_AFTER)"' \
                FWCTL_CALLER_PID="$1"
}

# ---------------------------------------------------------------- sections

t_boot() {
        note "kernel $(uname -r), $(nproc) CPUs, PID 1 $(readlink /proc/1/exe), up $(cut -d' ' -f1 /proc/uptime) s"
        expect_match "systemd is PID 1" 'systemd$' "$(readlink /proc/1/exe)"
        check "KASAN is on (kernel log)" grep -q 'KernelAddressSanitizer initialized' <(dmesg)
        expect "not tainted by fwctl at boot (bit 19)" 0 "$(taint_bit)"
        expect "journald, udevd, dbus active" "active active active" \
                "$(systemctl is-active systemd-journald systemd-udevd dbus | tr '\n' ' ' | sed 's/ $//')"
        note "fwctl in /proc/devices before fwctld starts: $(grep -c fwctl /proc/devices)"
        # before any fwctl device exists: fwctld starts by D-Bus activation
        busctl --system get-property "$BUS" "$MGR" "$MIF" Version >/dev/null 2>&1
        expect "fwctld.service started by D-Bus activation" active "$(systemctl is-active fwctld.service)"
        expect "installed daemon is /usr/libexec/fwctld" /usr/libexec/fwctld \
                "$(readlink "/proc/$(fwctld_pid)/exe")"
        expect "no device before the modules load" "" "$(dev_objects)"
}

t_modules() {
        local t0=$SECONDS n
        modprobe -a cxl_test cxl_acpi cxl_port cxl_mock_mem cxl_mem 2>&1 | tee -a "$LOG"
        udevadm settle -t 180
        note "cxl_test loaded and udev settled in $((SECONDS - t0)) s"
        expect_match "cxl_core is cxl_test's build (updates/)" '/updates/' "$(modinfo -n cxl_core)"
        wait_for 120 test -c /dev/fwctl/fwctl0
        n=$(nodes)
        N_DEV=$(wc -w <<<"$n")
        note "$N_DEV fwctl nodes: $n"
        check "udev made /dev/fwctl nodes" test "$N_DEV" -gt 0
        expect "one node per /sys/class/fwctl entry" "$(find /sys/class/fwctl -mindepth 1 -maxdepth 1 | wc -l)" "$N_DEV"
        D1=fwctl0
        NODE1=/dev/fwctl/$D1
        expect_match "udev database: SUBSYSTEM=fwctl" 'SUBSYSTEM=fwctl' "$(udevadm info -q property "$NODE1")"
        expect "node mode 0600 root:root" "600 root root" "$(stat -c '%a %U %G' "$NODE1")"
        wait_for 120 objects_equal_nodes
        expect "fwctld published every device (hotplug)" "$n" "$(dev_objects)"
        expect "one 'device added' journal record per device" "$N_DEV" \
                "$(jr length MESSAGE_ID=$MSGID_ADDED)"
        t0=$SECONDS
        systemctl restart fwctld.service
        expect "after a restart every device is there at READY (enumeration)" "$n" "$(dev_objects)"
        note "restart with $N_DEV devices: $((SECONDS - t0)) s"
}

t_properties() {
        local parent out
        parent=$(readlink -f "/sys/class/fwctl/$D1/device")
        expect "DeviceType, DeviceTypeName, Plugin" 'u 2 s "cxl" s "cxl"' \
                "$(dev_prop "$D1" DeviceType) $(dev_prop "$D1" DeviceTypeName) $(dev_prop "$D1" Plugin)"
        expect "DeviceNode" "s \"$NODE1\"" "$(dev_prop "$D1" DeviceNode)"
        expect "Parent is the memdev" "s \"$parent\"" "$(dev_prop "$D1" Parent)"
        note "Driver $(dev_prop "$D1" Driver), PciAddress $(dev_prop "$D1" PciAddress)"
        expect "GetDevice(name)" "o \"$DEVP/$D1\"" "$(busctl --system call "$BUS" "$MGR" "$MIF" GetDevice s "$D1")"
        expect "GetDevice(memdev sysfs path)" "o \"$DEVP/$D1\"" \
                "$(busctl --system call "$BUS" "$MGR" "$MIF" GetDevice s "$parent")"
        out=$(busctl --system --json=short call "$BUS" "$DEVP/$D1" "$DIF" Info)
        expect "Info: type 2, no data, plugin cxl, 1 feature, 1 changeable" '2 [] cxl 1 1' \
                "$(jq -r '"\(.data[0]) \(.data[1] | tojson) " + (.data[2] | fromjson |
                        "\(.plugin) \(.features.count) \(.features.changeable)")' <<<"$out")"
        kvload "$("$KT" info "$NODE1" --len 64)"
        r errno type len
        expect "kernel FWCTL_INFO: type 2, length 0" '0 2 0' "$RV"
        expect "ListOperations" '["get-supported-features","get-feature","set-feature"]' \
                "$(busctl --system --json=short call "$BUS" "$DEVP/$D1" "$DIF" ListOperations | jq -c '[.data[0][][0]]')"
}

t_reads() {
        local q
        xexec "$D1" get-supported-features '{}'
        expect "Execute get-supported-features (root)" "1 $FEAT_UUID 4 4 debug-write" \
                "$(jq -r '"\(.count) \(.features[0].uuid) \(.features[0].get_size) \(.features[0].set_size) \(.features[0].set_scope)"' <<<"${R[result]-}" 2>&1)"
        xexec_as $UID_TEST "$D1" get-supported-features '{}'
        expect "Execute get-supported-features (fwtest, polkit yes)" 1 "$(jq -r .count <<<"${R[result]-}" 2>&1)"
        xexec_as $UID_DENY "$D1" get-supported-features '{}'
        err
        expect "Execute get-supported-features (fwdeny, polkit no)" NotAuthorized "$RV"
        xexec "$D1" get-feature "{\"uuid\":\"$FEAT_UUID\"}"
        expect "Execute get-feature (root): cxl_test's initial 0xdeadbeef" "efbeadde 4 SUCCESS" \
                "$(jq -r '"\(.data) \(.length) \(.status)"' <<<"${R[result]-}" 2>&1)"
        xexec_as $UID_TEST "$D1" get-feature "{\"uuid\":\"$FEAT_UUID\",\"selection\":\"default\"}"
        expect "Execute get-feature selection default (fwtest)" efbeadde "$(jq -r .data <<<"${R[result]-}" 2>&1)"

        rpc "$D1" 0 64 "$GSF0"
        r response_hex result.response_length result.kernel_out_len
        expect "Rpc Get Supported Features count 0: header, total 1" "08000000000000000000010000000000 16 24" "$RV"
        rpc "$D1" 0 512 "$GSF48"
        r result.response_length result.kernel_out_len
        expect "Rpc Get Supported Features one entry (kernel out_len 72)" \
                "38000000000000000100010000000000${FEAT}0000040004006100000001010102 64 72" \
                "${R[response_hex]:0:92} $RV"
        rpc "$D1" 0 64 "$GF4"
        r response_hex result.response_length result.kernel_out_len result.truncated result.operation \
                result.configuration_write result.status_name result.issued_scope
        expect "Rpc Get Feature (root)" "0400000000000000efbeadde 12 20 false GET_FEATURE false SUCCESS 0" "$RV"
        rpc_as $UID_TEST "$D1" 0 64 "$GF4"
        expect "Rpc Get Feature (fwtest)" 0400000000000000efbeadde "${R[response_hex]-}"
        rpc_as $UID_DENY "$D1" 0 64 "$GF4"
        err
        expect "Rpc Get Feature (fwdeny)" NotAuthorized "$RV"
        gf q 000102030405060708090a0b0c0d0e0f 0 4 0
        rpc "$D1" 0 64 "$q"
        r response_hex result.status_name result.kernel_out_len
        expect "Rpc Get Feature of an unknown uuid: mailbox UNSUPPORTED, size 0" "0000000003000000 UNSUPPORTED 16" "$RV"
        gf q $FEAT 0 8 0
        rpc "$D1" 0 64 "$q"
        r response_hex result.status_name
        expect "Rpc Get Feature past the feature's size: mailbox INVALID_INPUT" "0000000002000000 INVALID_INPUT" "$RV"
}

# Sessions and RpcFd on the real driver (issue 13), through fwctlctl as installed: fwtest's
# reads in one session (journaled open and close with its uid, the object gone after),
# an operation above the session's scope refused before the kernel (no taint), and a
# reply over 64 KiB by RpcFd in a sealed memfd, byte for byte what Rpc gives.
MSGID_SESSION_OPEN=1f109dc7d1d54517ab4276e3999d0cc3
MSGID_SESSION_CLOSE=d9fe3f47814e4003bd9699b8836c39f4
session_records() { # UID -> "opened closed"
        jr 'map(select(.MESSAGE_ID == "'$MSGID_SESSION_OPEN'")) | length' FWCTL_CALLER_UID="$1" | tr '\n' ' '
        jr 'map(select(.MESSAGE_ID == "'$MSGID_SESSION_CLOSE'")) | length' FWCTL_CALLER_UID="$1"
}
t_sessions() {
        local out q before after sess mon mpid
        before=$(session_records $UID_TEST)
        printf -v q 'exec get-feature {"uuid":"%s"}\nexec get-supported-features\nrpc %s 64\n' "$FEAT_UUID" "$GF4"
        out=$(setpriv --reuid=$UID_TEST --regid=$UID_TEST --clear-groups -- fwctlctl --json batch "$D1" <<<"$q" 2>&1)
        expect "fwctlctl batch (fwtest): three reads in one session" "3 1 true efbeadde 1 0400000000000000efbeadde" \
                "$(jq -rs '"\(length) \(map(.session) | unique | length) \(.[0].session != null) \(.[0].result.data) \(.[1].result.count) \(.[2].response)"' <<<"$out" 2>&1)"
        sess=$(jq -rs '.[0].session' <<<"$out" 2>/dev/null)
        check "the session is gone after fwctlctl ($sess)" \
                bash -c "! busctl --system introspect $BUS '$sess' >/dev/null 2>&1"
        after=$(session_records $UID_TEST)
        expect "session journaled: opened and closed once more (fwtest)" \
                "$(( ${before% *} + 1 )) $(( ${before#* } + 1 ))" "$after"

        printf -v q 'exec get-supported-features\nexec set-feature {"uuid":"%s","data":"55667788"}\n' "$FEAT_UUID"
        out=$(fwctlctl --json batch "$D1" <<<"$q" 2>/dev/null) # the error document is on stdout
        expect "set-feature in a configuration session: ScopeTooLow, not sent, no taint" \
                "2 $ERR.ScopeTooLow 0" "$(jq -rs '"\(length) \(.[1].error.name)"' <<<"$out" 2>&1) $(taint_bit)"
        xexec "$D1" get-feature "{\"uuid\":\"$FEAT_UUID\"}"
        expect "the feature still holds cxl_test's value" efbeadde "$(jq -r .data <<<"${R[result]-}" 2>&1)"

        busctl --system monitor --json=short --match "interface=$DIF,member=RpcFd" >"$OUT/monitor-rpcfd.json" 2>/dev/null &
        mpid=$!
        sleep 1
        out=$(fwctlctl --json rpc "$D1" --in "$GSF48" --max 70000 2>&1)
        mon=$(fwctlctl --json rpc "$D1" --in "$GSF48" --max 512 2>&1)
        sleep 1
        kill "$mpid" 2>/dev/null
        wait "$mpid" 2>/dev/null
        expect "rpc --max 70000 went by Device.RpcFd" 1 "$(grep -c '"member":"RpcFd"' "$OUT/monitor-rpcfd.json")"
        expect "RpcFd's reply is Rpc's, byte for byte" "$(jq -r .response <<<"$mon" 2>&1)" "$(jq -r .response <<<"$out" 2>&1)"
}

# The security issue's buffer rule, attacked: every max_response answers,
# trimmed, and the kernel never gets a buffer shorter than it writes (the
# whole-suite KASAN check is at the end).
t_buffers() {
        local full=0400000000000000efbeadde m want tr q e
        for m in 0 1 4 7 8 11 12 13 64; do
                rpc "$D1" 0 "$m" "$GF4"
                want=${full:0:$((2 * (m < 12 ? m : 12)))}
                tr=false
                [ "$m" -lt 12 ] && tr=true
                err
                e=$RV
                r response_hex result.truncated result.response_length result.kernel_out_len
                expect "Get Feature count 4, max_response $m: trimmed, truncated=$tr" "ok $want $tr 12 20" "$e $RV"
        done
        for m in 0 4; do
                rpc_as $UID_TEST "$D1" 0 "$m" "$GF4"
                r response_hex result.truncated
                expect "Get Feature as fwtest at scope 0, max_response $m" "${full:0:$((2 * m))} true" "$RV"
        done
        gf q $FEAT 0 1 0
        rpc "$D1" 0 0 "$q"
        r response_hex result.truncated result.response_length
        expect "Get Feature count 1, max_response 0" " true 9" "$RV"
        rpc "$D1" 0 3 "$GF4"
        r response_hex result.truncated
        expect "Get Feature count 4, max_response 3 (count - 1)" "040000 true" "$RV"
        gf q $FEAT 0 65535 0
        rpc "$D1" 0 0 "$q"
        err
        e=$RV
        r result.status_name response_hex
        expect "Get Feature count 65535, max_response 0: mailbox INVALID_INPUT, no error" "ok INVALID_INPUT " "$e $RV"
        rpc "$D1" 0 4 "$GSF48"
        r response_hex result.truncated result.response_length
        expect "Get Supported Features max_response 4" "38000000 true 64" "$RV"
        # the real driver's own rule (Linux 7.3): Get Feature refuses an out
        # buffer that cannot hold the 8-byte header and count bytes
        for m in 0 4 7 11; do
                xrpc "$NODE1" 0 "$GF4" --out-len "$m"
                expect "kernel: Get Feature count 4, out_len $m -> EINVAL" EINVAL "${R[errno]-}"
        done
        xrpc "$NODE1" 0 "$GF4" --out-len 12
        r errno out_len out
        expect "kernel: Get Feature count 4, out_len 12 -> 12 bytes, out_len 20" "0 20 0400000000000000efbeadde" "$RV"
}

# fwctld issues each request at the lowest scope the driver needs
t_lowest_scope() {
        rpc "$D1" 3 64 "$GF4"
        r result.scope result.issued_scope
        expect "Get Feature sent at write-full runs at configuration" "3 0" "$RV"
        rpc "$D1" 2 512 "$GSF48"
        r result.scope result.issued_scope
        expect "Get Supported Features sent at debug-write runs at configuration" "2 0" "$RV"
        rpc_as $UID_TEST "$D1" 2 64 "$GF4"
        r result.scope result.issued_scope
        expect "fwtest's Get Feature at debug-write runs at configuration" "2 0" "$RV"
        rpc_as $UID_TEST "$D1" 3 64 "$GF4"
        expect "fwtest at write-full: polkit wants an administrator" "$NEEDS_AUTH" "${R[error]-}"
        expect "no taint after reads at tainting scopes" 0 "$(taint_bit)"
        check "no 'full access' kernel line yet" bash -c '! dmesg | grep "has requested full access" >/dev/null'
        expect "journal: the reads asked at tainting scopes, recorded as issued at 0, no taint" \
                "GET_FEATURE:3:0:0 GET_SUPPORTED_FEATURES:2:0:0 GET_FEATURE:2:0:0" \
                "$(jr 'map("\(.FWCTL_OPERATION):\(.FWCTL_SCOPE):\(.FWCTL_ISSUED_SCOPE):\(.FWCTL_KERNEL_TAINTED_AFTER)") | join(" ")' \
                        MESSAGE_ID=$MSGID_RESULT)"
}

# errnos of the real core and driver, and fwctld's named error for each
t_errnos() {
        local q
        kvload "$("$KT" cmd "$NODE1" 0x9A02)"
        expect "kernel: ioctl nr 2 -> ENOTTY" ENOTTY "${R[errno]-}"
        kvload "$("$KT" cmd "$NODE1" 0xC0209A01)"
        expect "kernel: FWCTL_RPC with size/dir bits -> ENOTTY" ENOTTY "${R[errno]-}"
        kvload "$("$KT" info "$NODE1" --size 16)"
        expect "kernel: INFO size 16 -> EINVAL" EINVAL "${R[errno]-}"
        kvload "$("$KT" info "$NODE1" --flags 1)"
        expect "kernel: INFO flags 1 -> EOPNOTSUPP" EOPNOTSUPP "${R[errno]-}"
        xrpc "$NODE1" 0 "$GSF0" --size 16
        expect "kernel: RPC size 16 -> EINVAL" EINVAL "${R[errno]-}"
        xrpc "$NODE1" 0 "$GSF0" --size 40
        expect "kernel: RPC size 40, zero tail -> accepted" 0 "${R[errno]-}"
        xrpc "$NODE1" 0 "$GSF0" --size 40 --tail-nonzero
        expect "kernel: RPC size 40, non-zero tail -> E2BIG" E2BIG "${R[errno]-}"
        xrpc "$NODE1" 4 "$GSF0"
        expect "kernel: scope 4 -> EOPNOTSUPP" EOPNOTSUPP "${R[errno]-}"
        rpc "$D1" 4 64 "$GSF0"
        err
        expect "fwctld: scope 4 -> InvalidScope" InvalidScope "$RV"
        xrpc "$NODE1" 0 "$GSF0" --in-len $((MAX_RPC + 1))
        expect "kernel: in_len 2 MiB + 1 -> EMSGSIZE" EMSGSIZE "${R[errno]-}"
        xrpc "$NODE1" 0 "$GSF0" --out-len $((MAX_RPC + 1))
        expect "kernel: out_len 2 MiB + 1 -> EMSGSIZE" EMSGSIZE "${R[errno]-}"
        rpc "$D1" 0 $((MAX_RPC + 1)) "$GSF0"
        err
        expect "fwctld: max_response 2 MiB + 1 -> PayloadTooLarge" PayloadTooLarge "$RV"
        kvload "$("$FC" rpc "$D1" 0 64 fill:$((MAX_RPC + 1)) 2>&1)"
        err
        expect "fwctld: request 2 MiB + 1 -> PayloadTooLarge" PayloadTooLarge "$RV"
        xrpc "$NODE1" 0 "${GSF0:0:16}"
        expect "kernel: in_len 8 (no CXL header) -> EINVAL" EINVAL "${R[errno]-}"
        xrpc "$NODE1" 0 "${GSF0:0:40}"
        expect "kernel: in_len below 16 + op_size -> EINVAL" EINVAL "${R[errno]-}"
        rpc "$D1" 0 64 "${GSF0:0:40}"
        err
        expect "fwctld: in_len below 16 + op_size -> RequestRejected" RequestRejected "$RV"
        cxl_hdr q 0x501 20
        xrpc "$NODE1" 0 "${q}${FEAT}00000400"
        expect "kernel: Get Feature op_size 20 -> EINVAL" EINVAL "${R[errno]-}"
        gf q $FEAT 0 0 0
        xrpc "$NODE1" 0 "$q"
        expect "kernel: Get Feature count 0 -> EINVAL" EINVAL "${R[errno]-}"
        rpc "$D1" 0 64 "$q"
        err
        expect "fwctld: Get Feature count 0 -> RequestRejected" RequestRejected "$RV"
        cxl_hdr q 0x503 8
        xrpc "$NODE1" 0 "${q}0000000000000000"
        expect "kernel: opcode 0x0503 -> EINVAL" EINVAL "${R[errno]-}"
        rpc "$D1" 0 64 "${q}0000000000000000"
        err
        expect "fwctld: opcode 0x0503 -> RequestRejected" RequestRejected "$RV"
        cxl_hdr q 0x10500 8
        xrpc "$NODE1" 0 "${q}0000000000000000"
        expect "kernel: opcode 0x10500 is read as u16 (served as 0x0500)" 0 "${R[errno]-}"
        rpc "$D1" 0 64 "${q}0000000000000000"
        err
        expect "fwctld: opcode 0x10500 -> RequestRejected" RequestRejected "$RV"
        gsf q 48 1
        xrpc "$NODE1" 0 "$q"
        expect "kernel: Get Supported Features start_idx 1 (past the list) -> EINVAL" EINVAL "${R[errno]-}"
        rpc "$D1" 0 512 "$q"
        err
        expect "fwctld: start_idx past the list -> DeviceError (EINVAL)" "DeviceError EINVAL" \
                "$RV $(grep -o EINVAL <<<"${R[message]-}")"
        xrpc "$NODE1" 1 "$SF_A"
        expect "kernel: Set Feature at scope 1 -> EINVAL" EINVAL "${R[errno]-}"
        rpc "$D1" 1 64 "$SF_A"
        err
        expect "fwctld: Set Feature at scope 1 -> ScopeTooLow" ScopeTooLow "$RV"
        kvload "$(setpriv --inh-caps=-sys_rawio --bounding-set=-sys_rawio -- "$KT" rpc "$NODE1" 3 "$SF_A")"
        expect "kernel: write-full without CAP_SYS_RAWIO -> EPERM" EPERM "${R[errno]-}"
        expect "EPERM for write-full comes before the taint" 0 "$(taint_bit)"
        expect "journal: the refusals of fwdeny and fwtest's challenge" "denied challenge" \
                "$(jr '[(map(select(.FWCTL_CALLER_UID == "'$UID_DENY'")) | last | .FWCTL_DENIAL),
                        (map(select(.FWCTL_CALLER_UID == "'$UID_TEST'")) | last | .FWCTL_DENIAL)] | join(" ")' \
                        MESSAGE_ID=$MSGID_DENIED)"
}

t_taint() {
        local pid fpid line tid q m e zeros=0000000000000000
        fpid=$(fwctld_pid)
        rpc "$D1" 2 64 "$SF_A"
        pid=${R[pid]-}
        r result.status_name result.scope result.issued_scope result.configuration_write \
                result.response_length result.kernel_out_len
        expect "Rpc Set Feature at debug-write (root)" "SUCCESS 2 2 true 8 16" "$RV"
        expect "the kernel is tainted now (bit 19)" 1 "$(taint_bit)"
        line=$(dmesg | grep 'has requested full access' | head -n 1)
        tid=$(sed -n 's/.*fwctld(\([0-9]*\)): has requested full access.*/\1/p' <<<"$line")
        note "kernel: ${line#*] }"
        check "the kernel's own line names fwctld (its worker thread $tid) and $D1" \
                test -n "$tid" -a -d "/proc/$fpid/task/${tid:-none}" -a "${line/fwctl $D1:/}" != "$line"
        expect "KernelTainted property" "b true" "$(busctl --system get-property "$BUS" "$MGR" "$MIF" KernelTainted)"
        expect "journal: attempt then result, taint 0 -> 1" \
                "pending SET_FEATURE scope=2 cw=1 uid=0 dev=$D1 | ok issued=2 taint=0->1" "$(j_call "$pid")"
        rpc "$D1" 0 64 "$GF4"
        expect "the value landed" 040000000000000011223344 "${R[response_hex]-}"

        sf q $FEAT 0 55667788
        rpc "$D1" 3 64 "$q"
        r result.status_name result.scope result.issued_scope
        expect "Set Feature sent at write-full runs at debug-write" "SUCCESS 3 2" "$RV"
        expect "journal: scope 3 issued at 2" "pending SET_FEATURE scope=3 cw=1 uid=0 dev=$D1 | ok issued=2 taint=1->1" \
                "$(j_call "${R[pid]-}")"
        xexec "$D1" set-feature "{\"uuid\":\"$FEAT_UUID\",\"data\":\"01020304\"}"
        expect "Execute set-feature (root)" SUCCESS "$(jq -r .status <<<"${R[result]-}" 2>&1)"
        expect "journal: set-feature's RPC under its own name" "set-feature SET_FEATURE" \
                "$(jr 'last | "\(.FWCTL_EXECUTE_OPERATION) \(.FWCTL_OPERATION)"' MESSAGE_ID=$MSGID_RESULT FWCTL_CALLER_PID="${R[pid]-}")"
        xexec_as $UID_TEST "$D1" set-feature "{\"uuid\":\"$FEAT_UUID\",\"data\":\"0a0b0c0d\"}"
        expect "Execute set-feature (fwtest, polkit yes)" SUCCESS "$(jq -r .status <<<"${R[result]-}" 2>&1)"
        expect "journal: fwtest's set-feature" "pending SET_FEATURE scope=2 cw=1 uid=$UID_TEST dev=$D1 | ok issued=2 taint=1->1" \
                "$(j_call "${R[pid]-}")"
        rpc "$D1" 0 64 "$GF4"
        expect "fwtest's value landed" 04000000000000000a0b0c0d "${R[response_hex]-}"
        rpc_as $UID_TEST "$D1" 2 64 "$SF_A"
        expect "Rpc Set Feature (fwtest)" SUCCESS "${R[result.status_name]-}"
        rpc_as $UID_DENY "$D1" 2 64 "$SF_A"
        err
        expect "Rpc Set Feature (fwdeny)" NotAuthorized "$RV"
        rpc_as $UID_TEST "$D1" 3 64 "$SF_A"
        expect "Rpc Set Feature at write-full (fwtest): needs an administrator" "$NEEDS_AUTH" "${R[error]-}"

        # the buffer rule for Set Feature
        for m in 0 4; do
                sf q $FEAT 0 3132333$m
                rpc "$D1" 2 "$m" "$q"
                err
                e=$RV
                r response_hex result.truncated result.response_length result.status_name
                expect "Set Feature max_response $m: trimmed, truncated" "ok ${zeros:0:$((2 * m))} true 8 SUCCESS" "$e $RV"
        done
        rpc "$D1" 0 64 "$GF4"
        expect "the value of the max_response 4 call landed" 040000000000000031323334 "${R[response_hex]-}"
        sf q $FEAT 1 313233
        rpc "$D1" 2 64 "$q"
        expect "Set Feature at offset 1: cxl_test's mailbox says INVALID_INPUT" INVALID_INPUT "${R[result.status_name]-}"
        for m in 0 7; do
                xrpc "$NODE1" 2 "$SF_A" --out-len "$m"
                expect "kernel: Set Feature out_len $m -> EINVAL" EINVAL "${R[errno]-}"
        done
        xrpc "$NODE1" 2 "$SF_A" --out-len 8
        r errno out_len out
        expect "kernel: Set Feature out_len 8 -> 8 bytes, out_len 16" "0 16 0000000000000000" "$RV"
        sf q $FEAT 0 ''
        xrpc "$NODE1" 2 "$q"
        expect "kernel: Set Feature without data (op_size 32) -> EINVAL" EINVAL "${R[errno]-}"
        rpc "$D1" 2 64 "$q"
        err
        expect "fwctld: Set Feature without data -> RequestRejected" RequestRejected "$RV"
}

capbnd_rawio() { # PID -> 1 when CAP_SYS_RAWIO (17) is in its bounding set
        local k v
        while read -r k v; do
                [ "$k" = CapBnd: ] && echo $((16#$v >> 17 & 1))
        done <"/proc/$1/status"
}

# fwctld without CAP_SYS_RAWIO: a write-full request still runs where the
# driver needs less (cxl_test's feature needs debug-write). The daemon runs
# outside its unit for this (no daemon-reload: slow in this guest).
t_nocap() {
        local p q
        systemctl stop fwctld.service
        setpriv --inh-caps=-sys_rawio --bounding-set=-sys_rawio -- /usr/libexec/fwctld &
        p=$!
        wait_for 120 objects_equal_nodes
        expect "fwctld runs without CAP_SYS_RAWIO" 0 "$(capbnd_rawio "$p")"
        sf q $FEAT 0 51525354
        rpc "$D1" 3 64 "$q"
        r result.status_name result.issued_scope
        expect "write-full Set Feature without the cap: issued at debug-write, succeeds" "SUCCESS 2" "$RV"
        kill "$p"
        wait "$p"
        # the next call starts the unit again
        busctl --system get-property "$BUS" "$MGR" "$MIF" Version >/dev/null 2>&1
        wait_for 120 objects_equal_nodes
        expect "D-Bus activation brings the unit back, with CAP_SYS_RAWIO" "active 1" \
                "$(systemctl is-active fwctld.service) $(capbnd_rawio "$(fwctld_pid)")"
}

# fwctld's fds on fwctl nodes
fwctl_fds() { find "/proc/$(fwctld_pid)/fd" -lname '/dev/fwctl/*' 2>/dev/null | wc -l; }
fwctl_of() { # PLATFORM-DEVICE -> the name of its fwctl device
        local f
        for f in /sys/bus/platform/devices/"$1"/mem*/fwctl/fwctl*; do
                [ -e "$f" ] && echo "${f##*/}" && return 0
        done
        return 1
}

# flood_unplug DEV PLATFORM DRIVER: 4 x 32 Set Feature calls queued through
# fwctld, the platform device unbound under them -> R (the flood's counts)
flood_unplug() {
        local f=$OUT/flood.out
        : >"$f"
        # kt-tool unbinds right after its last call is on the bus: from the shell, fwctld
        # had answered all 128 before the unbind once it asked for credentials once per
        # connection.
        KT_UNBIND_PATH="/sys/bus/platform/drivers/$3/unbind" KT_UNBIND_VALUE="$2" \
                "$KT" flood "$1" 4 32 2 64 "$SF_A" >"$f" 2>&1
        kvload "$(<"$f")"
}

rebind() { # PLATFORM DRIVER
        echo "$1" >"/sys/bus/platform/drivers/$2/bind"
        udevadm settle -t 60
        wait_for 60 objects_equal_nodes
}

t_unplug() {
        local d2 mem pdev drv fpid fds0 gone try newdev other
        d2=fwctl1
        mem=$(readlink -f "/sys/class/fwctl/$d2/device")
        pdev=${mem%/*}
        pdev=${pdev##*/}
        drv=$(readlink -f "/sys/bus/platform/devices/$pdev/driver")
        drv=${drv##*/}
        note "unplugging $d2: memdev ${mem##*/}, platform device $pdev, driver $drv"
        fpid=$(fwctld_pid)
        fds0=$(fwctl_fds)
        expect "fwctld holds one fd per device" "$N_DEV" "$fds0"
        for try in 1 2 3; do
                flood_unplug "$d2" "$pdev" "$drv"
                gone=${R[error.$ERR.DeviceGone]-0}
                note "flood $try: $(tr '\n' ' ' <"$OUT/flood.out")"
                [ "$gone" -gt 0 ] && break
                [ "$try" = 3 ] && break
                rebind "$pdev" "$drv"
                d2=$(fwctl_of "$pdev")
                mem=$(readlink -f "/sys/class/fwctl/$d2/device")
        done
        expect "every queued call was answered" 128 "${R[answered]-}"
        other=$(grep '^error\.' "$OUT/flood.out" | grep -v -e "\.DeviceGone=" -e "\.UnknownObject=" || true)
        expect "answers are ok, DeviceGone or UnknownObject (sent after the removal), nothing else" "" "$other"
        check "a queued call got DeviceGone ($gone; ${R[ok]-0} ran before the unbind)" test "$gone" -gt 0
        check "the node is gone" test ! -e "/dev/fwctl/$d2"
        wait_for 30 bash -c "! busctl --system get-property $BUS $DEVP/$d2 $DIF Name"
        expect "GetDevice(memdev) -> NoSuchDevice" "" \
                "$(busctl --system call "$BUS" "$MGR" "$MIF" GetDevice s "$mem" 2>/dev/null)"
        expect "fwctld was not restarted" "$fpid active" "$(fwctld_pid) $(systemctl is-active fwctld.service)"
        expect "fwctld closed the device's fd" $((fds0 - 1)) "$(fwctl_fds)"
        expect "journal: device removed" "$d2" "$(jr 'last | .FWCTL_DEVICE' MESSAGE_ID=$MSGID_REMOVED)"
        expect "journal: every attempt of the flood has its result; some ENODEV" "true true" \
                "$(jr '(map(select(.MESSAGE_ID == "'$MSGID_ATTEMPT'")) | length) as $a |
                        (map(select(.MESSAGE_ID == "'$MSGID_RESULT'")) | length) as $r |
                        "\($a == $r and $a > 0) \(any(.[]; .FWCTL_RESULT == "ENODEV"))"' FWCTL_DEVICE="$d2")"
        note "flood results in the journal: $(jr 'map(select(.MESSAGE_ID == "'$MSGID_RESULT'") | .FWCTL_RESULT) | group_by(.) | map("\(.[0]) x\(length)") | join(", ")' FWCTL_DEVICE="$d2")"

        rebind "$pdev" "$drv"
        newdev=$(fwctl_of "$pdev")
        note "rebound: $pdev is $newdev"
        expect "rebind: fwctld publishes it again" "$(nodes)" "$(dev_objects)"
        expect "rebind: fd count back" "$fds0" "$(fwctl_fds)"
        rpc "$newdev" 0 64 "$GF4"
        expect "rebind: Get Feature on the new device (fresh mock state)" 0400000000000000efbeadde "${R[response_hex]-}"
        expect "journal: device added again" "$newdev" "$(jr 'last | .FWCTL_DEVICE' MESSAGE_ID=$MSGID_ADDED)"
}

t_final() {
        local k dm
        dmesg >"$OUT/dmesg.txt"
        dm=$(<"$OUT/dmesg.txt")
        expect "fwctld never restarted by systemd, active" "0 active" \
                "$(systemctl show -p NRestarts --value fwctld.service) $(systemctl is-active fwctld.service)"
        expect "every attempt record has a result record" true \
                "$(jr '(map(select(.MESSAGE_ID == "'$MSGID_ATTEMPT'")) | length) ==
                        (map(select(.MESSAGE_ID == "'$MSGID_RESULT'")) | length)' \
                        MESSAGE_ID=$MSGID_ATTEMPT MESSAGE_ID=$MSGID_RESULT)"
        for k in 'BUG: KASAN' 'Oops' 'BUG:' 'general protection fault' 'UBSAN:' 'kernel BUG'; do
                if [[ $dm == *"$k"* ]]; then
                        fail "kernel log: no '$k' in the whole run" "$(grep -m 3 "$k" "$OUT/dmesg.txt" | tr '\n' '|')"
                else
                        pass "kernel log: no '$k' in the whole run"
                fi
        done
        note "kernel WARNING lines: $(grep -c 'WARNING:' "$OUT/dmesg.txt"); taint word $(</proc/sys/kernel/tainted)"
        # the whole journal only when something failed: exporting it takes a minute here
        [ "$FAILED" -gt 0 ] && journalctl -o short-monotonic --no-pager >"$OUT/journal.txt" 2>&1
}

run_section() {
        local t0=$SECONDS
        if [ -n "${FWCTL_KT_FILTER:-}" ] && [ "${2:-}" != always ] && ! [[ $1 =~ $FWCTL_KT_FILTER ]]; then
                return 0
        fi
        note "-- $1"
        "$1"
        note "   $1: $((SECONDS - t0)) s"
}

main() {
        local s
        gsf GSF0 0 0
        gsf GSF48 48 0
        gf GF4 $FEAT 0 4 0
        sf SF_A $FEAT 0 11223344
        run_section t_boot always
        run_section t_modules always
        for s in t_properties t_reads t_sessions t_buffers t_lowest_scope t_errnos t_taint t_nocap t_unplug; do
                run_section "$s"
        done
        run_section t_final always
        note "suite: $((SECONDS - T_START)) s"
        say "$PASSED passed, $FAILED failed"
        [ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]
}

main "$@"
