# shellcheck shell=bash
# The cxl plugin against the emulated CXL memdev (cxl@0000:0d:00.0, fwctl1 at
# start): classification before the ioctl, the {size, retval} decode, named
# operations, polkit actions chosen from a feature's effects, malformed replies.

CXL_U_FULL=0e1d7b3a-5c2f-4b8e-9a61-2f3c4d5e6f70   # changeable, CONFIG_IMMEDIATE
CXL_U_RESET=7a4c2e91-3b6d-4f08-8c15-9e2a7b3c4d51  # changeable, COLD_RESET only
CXL_U_RO=c3f1a8d2-6e4b-4a7c-b239-5d8e1f0a2b64     # read-only
CXL_U_SCRUB=96dad7d6-fde8-482b-a733-75774e06db8a  # patrol scrub: kernel-exclusive
CXL_U_BG=5b9e0c47-a1d3-4e26-8f7b-3c0d9e8a1f22     # BACKGROUND effect

# Request builders (hex of struct fwctl_rpc_cxl + mailbox input, little endian).
cxl_hdr() { echo "$(le32 "$1")00000000$(le32 "$2")00000000"; }
cxl_gsf() { echo "$(cxl_hdr 0x500 8)$(le32 "$1")$(le16 "$2")0000"; }
cxl_gf() { echo "$(cxl_hdr 0x501 21)${1//-/}$(le16 "$2")$(le16 "$3")$(printf %02x "$4")"; }
cxl_sf() { # UUID DATAHEX
        local n=$(( ${#2} / 2 ))
        echo "$(cxl_hdr 0x502 $(( 32 + n )))${1//-/}00000000000001000000000000000000$2"
}

cxl_exec() { # [as_user USER] DEV OP JSON -> gdbus output
        gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" "$2" "$3"
}
cxl_exec_as() {
        local u=$1
        shift
        as_user "$u" gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" "$2" "$3"
}
# gdbus prints ('JSON',): strip the tuple
gdbus_json() { sed -e "s/^('//" -e "s/',)\$//" <<<"$1"; }

test_cxl_info_json() {
        local d out j
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        assert_eq '"cxl"' "$(dev_prop "$d" Plugin)" "Plugin property"
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$d" "$FWCTL_DEV_IFACE" Info) \
                || fail "Info failed"
        j=$(jq -r '.data[2]' <<<"$out")
        assert_eq cxl "$(jq -r .plugin <<<"$j")" "info plugin"
        assert_eq null "$(jq -c .info <<<"$j")" "info"
        assert_match 'no device info' "$(jq -r .note <<<"$j")" "info note"
        jq -e 'has("features")' <<<"$j" >/dev/null || fail "info lacks the features summary key: $j"
        # the summary exists only if Info is rendered after attach() (see the plugin README)
        if [ "$(jq -c .features <<<"$j")" != null ]; then
                assert_eq 6 "$(jq .features.count <<<"$j")" "features.count"
                assert_eq 4 "$(jq .features.changeable <<<"$j")" "features.changeable"
        fi
}

test_cxl_rpc_gsf_decoded() {
        local d out
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        # count 0: header only; size 8, so response_length 16 and supported_feats 6
        assert_ok client rpc "$d" 0 64 "hex:$(cxl_gsf 0 0)"
        out=$LAST_OUT
        assert_eq 0 "$(kv result.status <<<"$out")" "status"
        assert_eq SUCCESS "$(kv result.status_name <<<"$out")" "status_name"
        assert_eq 16 "$(kv result.response_length <<<"$out")" "response_length"
        assert_eq 16 "$(kv response_size <<<"$out")" "response bytes"
        assert_eq 08000000000000000000060000000000 "$(kv response_hex <<<"$out")" "response"
        assert_eq GET_SUPPORTED_FEATURES "$(kv result.operation <<<"$out")" "operation"
        assert_eq false "$(kv result.configuration_write <<<"$out")" "configuration_write"
        assert_eq false "$(kv result.truncated <<<"$out")" "truncated"
        # all six entries: 8 + 8 + 6 * 48
        assert_ok client rpc "$d" 0 512 "hex:$(cxl_gsf 288 0)"
        assert_eq 304 "$(kv result.response_length <<<"$LAST_OUT")" "response_length of a full page"
        assert_eq 304 "$(kv response_size <<<"$LAST_OUT")" "response bytes of a full page"
        assert_match '^280100000000000006000600' "$(kv response_hex <<<"$LAST_OUT")" "size 288, 6 of 6 entries"
        # Get Feature of the read-only feature at scope 0
        assert_ok client rpc "$d" 0 64 "hex:$(cxl_gf $CXL_U_RO 0 16 0)"
        assert_eq GET_FEATURE "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq 24 "$(kv result.response_length <<<"$LAST_OUT")" "Get Feature response_length"
        assert_match '^1000000000000000454d552d43584c2d' "$(kv response_hex <<<"$LAST_OUT")" "Get Feature data"
}

test_cxl_rpc_rejections() {
        local d before
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        before=$(emu_rpc_count "$d")
        # unknown opcode, op_size vs in_len mismatch, Get Feature count 0
        assert_dbus_error RequestRejected client rpc "$d" 0 64 "hex:$(cxl_hdr 0x503 8)0000000000000000"
        assert_match '0x0503' "$LAST_OUT" "reason names the opcode"
        # shorter than 16 + op_size: the driver would read past its copy of the input
        assert_dbus_error RequestRejected client rpc "$d" 0 64 "hex:$(cxl_gsf 0 0 | cut -c1-46)"
        assert_match 'op_size|in_len|bytes' "$LAST_OUT" "reason names the size"
        assert_dbus_error RequestRejected client rpc "$d" 0 64 "hex:$(cxl_gf $CXL_U_RO 0 0 0)"
        # kernel-exclusive and BACKGROUND features, at the highest scope
        assert_dbus_error RequestRejected client rpc "$d" 3 64 "hex:$(cxl_sf $CXL_U_SCRUB 01020304)"
        assert_match 'kernel-exclusive' "$LAST_OUT" "scrub reason"
        assert_dbus_error RequestRejected client rpc "$d" 3 64 "hex:$(cxl_sf $CXL_U_BG 01020304)"
        assert_dbus_error RequestRejected client rpc "$d" 3 64 "hex:$(cxl_sf $CXL_U_RO 01020304)"
        assert_eq "$before" "$(emu_rpc_count "$d")" "RPCs reaching the device"
}

test_cxl_rpc_set_feature_scopes() {
        local d before pid r
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        before=$(emu_rpc_count "$d")
        assert_dbus_error ScopeTooLow client rpc "$d" 1 64 "hex:$(cxl_sf $CXL_U_RESET 1112131415161718)"
        assert_match 'debug-write \(2\)' "$LAST_OUT" "ScopeTooLow names debug-write"
        assert_dbus_error ScopeTooLow client rpc "$d" 2 64 "hex:$(cxl_sf $CXL_U_FULL 0a000000)"
        assert_match 'debug-write-full' "$LAST_OUT" "ScopeTooLow names debug-write-full"
        assert_eq "$before" "$(emu_rpc_count "$d")" "RPCs reaching the device after ScopeTooLow"

        assert_ok client rpc "$d" 2 64 "hex:$(cxl_sf $CXL_U_RESET 1112131415161718)"
        pid=$(kv pid <<<"$LAST_OUT")
        assert_eq SET_FEATURE "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq true "$(kv result.configuration_write <<<"$LAST_OUT")" "configuration_write"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status_name"
        assert_eq 8 "$(kv result.response_length <<<"$LAST_OUT")" "response_length"
        assert_eq $((before + 1)) "$(emu_rpc_count "$d")" "RPCs reaching the device"
        for _ in $(seq 40); do
                r=$(journal_json MESSAGE_ID=$MSGID_RESULT FWCTL_CALLER_PID="$pid")
                [ -n "$r" ] && break
                sleep 0.05
        done
        [ -n "$r" ] || fail "no audit result entry for the Set Feature"
        assert_eq SET_FEATURE "$(jq -r .FWCTL_OPERATION <<<"$r")" "FWCTL_OPERATION"
        assert_eq 1 "$(jq -r .FWCTL_CONFIGURATION_WRITE <<<"$r")" "FWCTL_CONFIGURATION_WRITE"
        assert_eq 2 "$(jq -r .FWCTL_SCOPE <<<"$r")" "FWCTL_SCOPE"
        # the value landed
        assert_ok client rpc "$d" 0 64 "hex:$(cxl_gf $CXL_U_RESET 0 8 0)"
        assert_eq 08000000000000001112131415161718 "$(kv response_hex <<<"$LAST_OUT")" "current value"
        # the immediate feature at write-full (root has CAP_SYS_RAWIO)
        assert_ok client rpc "$d" 3 64 "hex:$(cxl_sf $CXL_U_FULL 0a000000)"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "write-full status"
}

test_cxl_exec_operations() {
        local d out j
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$d" "$FWCTL_DEV_IFACE" ListOperations) \
                || fail "ListOperations failed"
        assert_eq '["get-supported-features","get-feature","set-feature"]' "$(jq -c '[.data[0][][0]]' <<<"$out")" "operations"
        assert_eq 2 "$(jq -c '.data[0][2][2]' <<<"$out")" "set-feature declared scope"

        out=$(cxl_exec "$d" get-supported-features '{}') || fail "get-supported-features: $out"
        j=$(gdbus_json "$out")
        assert_eq 6 "$(jq .count <<<"$j")" "count"
        assert_eq 4 "$(jq .changeable <<<"$j")" "changeable (the kernel clears it on scrub)"
        assert_eq '["debug-write-full","debug-write","not-settable","kernel-exclusive","not-settable","not-settable"]' \
                "$(jq -c '[.features[].set_scope]' <<<"$j")" "set_scope per feature"
        assert_eq patrol-scrub "$(jq -r '.features[3].name' <<<"$j")" "scrub name"
        assert_eq '["COLD_RESET","EFFECTS_VALID"]' "$(jq -c '.features[1].effects_decoded' <<<"$j")" "effects decoded"

        out=$(cxl_exec "$d" get-feature "{\"uuid\":\"$CXL_U_RO\",\"selection\":\"current\"}") || fail "get-feature: $out"
        j=$(gdbus_json "$out")
        assert_eq 454d552d43584c2d54454c454d000001 "$(jq -r .data <<<"$j")" "get-feature data"
        assert_eq SUCCESS "$(jq -r .status <<<"$j")" "get-feature status"
        out=$(cxl_exec "$d" get-feature "{\"uuid\":\"$CXL_U_RO\",\"selection\":\"saved\"}") || fail "get-feature saved: $out"
        assert_eq INVALID_INPUT "$(gdbus_json "$out" | jq -r .status)" "saved selection of a feature without SAVED_SEL"

        out=$(cxl_exec "$d" set-feature "{\"uuid\":\"$CXL_U_RESET\",\"data\":\"aabb\",\"offset\":2}") || fail "set-feature: $out"
        j=$(gdbus_json "$out")
        assert_eq debug-write "$(jq -r .scope <<<"$j")" "set-feature scope"
        assert_eq SUCCESS "$(jq -r .status <<<"$j")" "set-feature status"
        out=$(cxl_exec "$d" get-feature "{\"uuid\":\"$CXL_U_RESET\",\"offset\":2,\"count\":2}") || fail "read back: $out"
        assert_eq aabb "$(gdbus_json "$out" | jq -r .data)" "value after set-feature"
        out=$(cxl_exec "$d" set-feature "{\"uuid\":\"$CXL_U_FULL\",\"data\":\"0b000000\"}") || fail "set-feature full: $out"
        assert_eq debug-write-full "$(gdbus_json "$out" | jq -r .scope)" "set-feature scope (immediate)"
}

test_cxl_exec_bad_parameters() {
        local d before
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        before=$(emu_rpc_count "$d")
        assert_dbus_error InvalidArguments cxl_exec "$d" set-feature '{"data":"01"'
        assert_dbus_error InvalidArguments cxl_exec "$d" set-feature '{"data":"01"}'
        assert_match 'uuid' "$LAST_OUT" "names uuid"
        assert_dbus_error InvalidArguments cxl_exec "$d" set-feature "{\"uuid\":\"$CXL_U_SCRUB\",\"data\":\"01\"}"
        assert_match 'uuid.*kernel-exclusive' "$LAST_OUT" "kernel-exclusive names uuid"
        assert_dbus_error InvalidArguments cxl_exec "$d" set-feature "{\"uuid\":\"$CXL_U_RO\",\"data\":\"01\"}"
        assert_match 'uuid' "$LAST_OUT" "not settable names uuid"
        assert_dbus_error InvalidArguments cxl_exec "$d" set-feature "{\"uuid\":\"$CXL_U_RESET\",\"data\":\"0g\"}"
        assert_match 'data' "$LAST_OUT" "names data"
        assert_dbus_error InvalidArguments cxl_exec "$d" set-feature "{\"uuid\":\"$CXL_U_RESET\",\"data\":\"01\",\"offset\":\"x\"}"
        assert_match 'offset' "$LAST_OUT" "names offset"
        assert_dbus_error InvalidArguments cxl_exec "$d" get-feature "{\"uuid\":\"$CXL_U_RO\",\"selection\":\"later\"}"
        assert_match 'selection' "$LAST_OUT" "names selection"
        assert_dbus_error InvalidArguments cxl_exec "$d" get-feature '{"uuid":7}'
        assert_dbus_error NoSuchOperation cxl_exec "$d" erase-everything '{}'
        assert_eq "$before" "$(emu_rpc_count "$d")" "RPCs reaching the device"
}

test_cxl_exec_authorization_follows_effects() {
        local d before j
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        before=$(emu_rpc_count "$d")
        # fwtest: scopes 0-1 anywhere, debug-write on fwctl0 only, write-full needs admin auth
        assert_ok cxl_exec_as fwtest "$d" get-feature "{\"uuid\":\"$CXL_U_RO\"}"
        assert_eq $((before + 1)) "$(emu_rpc_count "$d")" "get-feature as fwtest reached the device"
        assert_dbus_error NotAuthorized cxl_exec_as fwtest "$d" set-feature "{\"uuid\":\"$CXL_U_RESET\",\"data\":\"01\"}"
        assert_match 'rpc-debug-write ' "$LAST_OUT" "reset-only feature asks for rpc-debug-write"
        j=$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_CALLER_UID=4242 FWCTL_DEVICE="$d" | tail -n 1)
        assert_eq 2 "$(jq -r .FWCTL_SCOPE <<<"$j")" "denial scope of the reset-only feature"
        assert_dbus_error org.freedesktop.DBus.Error.InteractiveAuthorizationRequired \
                cxl_exec_as fwtest "$d" set-feature "{\"uuid\":\"$CXL_U_FULL\",\"data\":\"01\"}"
        assert_match 'rpc-debug-write-full' "$LAST_OUT" "immediate feature asks for rpc-debug-write-full"
        j=$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_CALLER_UID=4242 FWCTL_DEVICE="$d" | tail -n 1)
        assert_eq 3 "$(jq -r .FWCTL_SCOPE <<<"$j")" "denial scope of the immediate feature"
        assert_eq $((before + 1)) "$(emu_rpc_count "$d")" "RPCs reaching the device after denials"
}

test_cxl_malformed_replies() {
        local d out j rc
        d=$(cxl_dev) || fail "no cxl device"
        # max_response too small for the data asked: the kernel still gets 16 + count, the reply is trimmed
        assert_ok client rpc "$d" 0 16 "hex:$(cxl_gf $CXL_U_RO 0 16 0)"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "short max_response: truncated"
        assert_eq 24 "$(kv result.response_length <<<"$LAST_OUT")" "short max_response: true length"
        # firmware faults (GSF comes from the kernel's cache: the firmware cannot spoil it)
        emu fault "$d" busy >/dev/null || fail "emu fault failed"
        assert_ok client rpc "$d" 0 64 "hex:$(cxl_gf $CXL_U_RO 0 16 0)"
        assert_eq 6 "$(kv result.status <<<"$LAST_OUT")" "mailbox Busy in retval"
        assert_eq 16 "$(kv result.kernel_out_len <<<"$LAST_OUT")" "kernel out_len of a failed Get Feature"
        emu fault "$d" short-data >/dev/null
        # the kernel's min_out check: size 0, retval 0
        out=$(cxl_exec "$d" get-feature "{\"uuid\":\"$CXL_U_RO\"}") || fail "get-feature short-data: $out"
        j=$(gdbus_json "$out")
        assert_eq 0 "$(jq -r .length <<<"$j")" "short firmware read: length 0"
        assert_eq SUCCESS "$(jq -r .status <<<"$j")" "short firmware read: status"
        emu fault "$d" none >/dev/null
        # the daemon survived and answers again
        assert_ok client rpc "$d" 0 512 "hex:$(cxl_gsf 288 0)"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status after the faults"
        assert_eq 312 "$(kv result.kernel_out_len <<<"$LAST_OUT")" "GSF kernel out_len = 16 + size"
        rc=0
        cxl_exec "$d" get-supported-features '{}' >/dev/null || rc=$?
        assert_eq 0 "$rc" "get-supported-features after the faults"
}
