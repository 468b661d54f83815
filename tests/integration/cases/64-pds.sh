# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# pds plugin (docs/plugin-pds.md): the pointer-free envelope through Rpc, the
# "rpc" named operation through Execute, the kernel as the judge of scopes, and
# the plugin's checks of what comes back. The emulated firmware's private table:
# endpoint 1 ops 1 (read), 2 (write), 3 (sync); endpoint 2 ops 0x10 (debug-read),
# 0x11 (debug-write), 0x12 (privileged), 0x13 (debug-read, retval 5).

PDS_PCI=0000:07:00.1

# pds_dev -> the fwctlN of the hot-plugged pds device (added on first use)
pds_dev() {
        local name
        name=$(cat "$T/pds.name" 2>/dev/null)
        if [ -n "$name" ] && dev_exists "$name"; then
                echo "$name"
                return 0
        fi
        name=$(emu_add pds $PDS_PCI) || return 1
        wait_until 5 dev_exists "$name" || return 1
        echo "$name" >"$T/pds.name"
        echo "$name"
}

# pds_env OP EP PAYLOAD_HEX RESPONSE_LEN [PAYLOAD_LEN] [MAGIC_HEX] [VERSION_RESERVED_HEX]
# -> the request envelope in hex (24-byte little-endian header + payload)
pds_env() {
        local plen=${5:-$(( ${#3} / 2 ))}
        printf '%s%s%s%s%s%s%s' "${6:-50445351}" "${7:-01000000}" "$(le32 "$1")" "$(le32 "$2")" \
                "$(le32 "$plen")" "$(le32 "$4")" "$3"
}

# pds_execute DEV JSON -> the result JSON document (gdbus prints ('...',))
pds_execute() {
        local out
        out=$(gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" rpc "$2" 2>&1) || { echo "$out"; return 1; }
        out=${out#\(\'}
        printf '%s\n' "${out%\',)}"
}

pds_execute_err() {
        gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" rpc "$2"
}

test_pds_info() {
        local name out j
        name=$(pds_dev) || fail "pds device did not appear"
        assert_eq '"pds"' "$(dev_prop "$name" Plugin)" "Plugin"
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$name" "$FWCTL_DEV_IFACE" Info) \
                || fail "Info failed: $out"
        assert_eq 4 "$(jq '.data[0]' <<<"$out")" "device_type"
        assert_eq 0 "$(jq '.data[1] | length' <<<"$out")" "device_data length"
        j=$(jq -r '.data[2]' <<<"$out")
        assert_eq pds "$(jq -r .plugin <<<"$j")" "info_json.plugin"
        assert_eq true "$(jq 'has("info") and .info == null' <<<"$j")" "info_json.info is null"
        assert_match 'no device info' "$(jq -r .note <<<"$j")" "info_json.note"
        # the kernel has no listing: the plugin offers exactly one operation, at configuration
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$name" "$FWCTL_DEV_IFACE" ListOperations) \
                || fail "ListOperations failed: $out"
        assert_eq '[["rpc",0]]' "$(jq -c '[.data[0][] | [.[0], .[2]]]' <<<"$out")" "operations"
}

test_pds_rpc_success() {
        local name before out
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        assert_ok client rpc "$name" 0 64 "hex:$(pds_env 1 1 01020304 16)"
        out=$LAST_OUT
        # response envelope: "PDSA", v1, retval 0, len 16, op 1, ep 1, then the 16 bytes the
        # emulated firmware wrote (the first 4 echo the request, the rest its pattern)
        assert_eq "5044534101000000000000001000000001000000010000000102030424252627""28292a2b2c2d2e2f" \
                "$(kv response_hex <<<"$out")" "response envelope"
        assert_eq 40 "$(kv response_size <<<"$out")" "response_size"
        assert_eq 40 "$(kv result.response_length <<<"$out")" "result.response_length"
        assert_eq 48 "$(kv result.kernel_out_len <<<"$out")" "result.kernel_out_len"
        assert_eq false "$(kv result.truncated <<<"$out")" "result.truncated"
        assert_eq ep1.op0x0001 "$(kv result.operation <<<"$out")" "result.operation"
        assert_eq 0 "$(kv result.status <<<"$out")" "result.status"
        assert_eq SUCCESS "$(kv result.status_name <<<"$out")" "result.status_name"
        assert_eq $((before + 1)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
        # the config write op at configuration scope, a versioned op (version 2 <= firmware's 2)
        assert_ok client rpc "$name" 0 64 "hex:$(pds_env 0x00020002 1 aabb 8)"
        assert_eq ep1.op0x20002 "$(kv result.operation <<<"$LAST_OUT")" "versioned operation name"
        assert_match '^504453410100000000000000080000000200020001000000aabb' "$(kv response_hex <<<"$LAST_OUT")" \
                "versioned op response"
        # no payload, no response
        assert_ok client rpc "$name" 0 24 "hex:$(pds_env 3 1 '' 0)"
        assert_eq "504453410100000000000000000000000300000001000000" "$(kv response_hex <<<"$LAST_OUT")" \
                "empty response envelope"
}

test_pds_rpc_scope_too_low() {
        local name before
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        # endpoint 2 op 0x10 needs debug-read-only: only the kernel knows, so it reaches it
        assert_dbus_error DeviceError client rpc "$name" 0 64 "hex:$(pds_env 0x10 2 '' 8)"
        assert_match 'EPERM' "$(kv message <<<"$LAST_OUT")" "error message"
        assert_match 'ep2.op0x0010' "$(kv message <<<"$LAST_OUT")" "error message names the operation"
        assert_eq $((before + 1)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
        assert_ok client rpc "$name" 1 64 "hex:$(pds_env 0x10 2 '' 8)"
        assert_eq 0 "$(kv result.status <<<"$LAST_OUT")" "status at debug-read-only"
        assert_eq $((before + 2)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
}

test_pds_rpc_unknown_endpoint() {
        local name before
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        assert_dbus_error DeviceError client rpc "$name" 0 64 "hex:$(pds_env 1 9 '' 8)"
        assert_match 'EINVAL' "$(kv message <<<"$LAST_OUT")" "unknown endpoint"
        assert_dbus_error DeviceError client rpc "$name" 0 64 "hex:$(pds_env 0x0009 1 '' 8)"
        assert_match 'EINVAL' "$(kv message <<<"$LAST_OUT")" "unknown operation"
        # version 2 of op 1 is newer than the firmware's version 1
        assert_dbus_error DeviceError client rpc "$name" 0 64 "hex:$(pds_env 0x00020001 1 '' 8)"
        assert_match 'EINVAL' "$(kv message <<<"$LAST_OUT")" "operation version too new"
        assert_eq $((before + 3)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
}

test_pds_rpc_malformed_envelope() {
        local name before
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:$(pds_env 1 1 0102 8 2 50445352)"
        assert_match 'magic' "$(kv message <<<"$LAST_OUT")" "bad magic"
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:$(pds_env 1 1 0102 8 3)"
        assert_match 'payload_len 3 does not match' "$(kv message <<<"$LAST_OUT")" "payload_len too large"
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:$(pds_env 1 1 010203 8 2)"
        assert_match 'payload_len 2 does not match' "$(kv message <<<"$LAST_OUT")" "payload_len too small"
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:$(pds_env 1 1 '' 2097153)"
        assert_match 'response_len 2097153 exceeds' "$(kv message <<<"$LAST_OUT")" "oversized response_len"
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:$(pds_env 1 1 '' 8 '' '' 02000000)"
        assert_match 'version 2' "$(kv message <<<"$LAST_OUT")" "bad version"
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:$(pds_env 1 1 '' 8 '' '' 01000100)"
        assert_match 'reserved' "$(kv message <<<"$LAST_OUT")" "reserved field"
        assert_dbus_error RequestRejected client rpc "$name" 0 64 "hex:5044535101000000"
        assert_match 'shorter' "$(kv message <<<"$LAST_OUT")" "short header"
        assert_eq "$before" "$(emu_rpc_count "$name")" "RPCs reaching the device"
        # 24 + 16 bytes of response envelope with max_response 39: the daemon's buffers
        # are sized from the envelope, the reply is trimmed
        assert_ok client rpc "$name" 0 39 "hex:$(pds_env 1 1 '' 16)"
        assert_eq 39 "$(kv response_size <<<"$LAST_OUT")" "bytes returned for max_response 39"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        assert_ok client rpc "$name" 0 40 "hex:$(pds_env 1 1 '' 16)"
        assert_eq $((before + 2)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
}

test_pds_execute_rpc() {
        local name before out
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        out=$(pds_execute "$name" '{"endpoint":1,"operation":1,"payload":"01020304","response_size":16}') \
                || fail "Execute rpc failed: $out"
        assert_eq 0 "$(jq .retval <<<"$out")" "retval"
        assert_eq SUCCESS "$(jq -r .status_name <<<"$out")" "status_name"
        assert_eq 0102030424252627""28292a2b2c2d2e2f "$(jq -r .response <<<"$out")" "response"
        assert_eq $((before + 1)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
        # the named scope is what is authorised and sent: debug-read-only for op 0x10
        out=$(pds_execute "$name" '{"endpoint":2,"operation":16,"payload":"","response_size":4,"scope":1}') \
                || fail "Execute rpc at scope 1 failed: $out"
        assert_eq 0 "$(jq .retval <<<"$out")" "retval at scope 1"
        assert_eq 4 "$(jq '.response | length / 2' <<<"$out")" "response bytes"
        # without it the kernel refuses (the plugin cannot know in advance)
        assert_dbus_error DeviceError pds_execute_err "$name" '{"endpoint":2,"operation":16,"payload":"","response_size":4}'
        assert_match 'EPERM' "$LAST_OUT" "kernel refusal"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":7,"operation":1,"payload":"","response_size":4}'
        assert_match 'EINVAL' "$LAST_OUT" "unknown endpoint through Execute"
        assert_eq $((before + 4)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
}

test_pds_execute_bad_params() {
        local name before
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"operation":1,"payload":"","response_size":4}'
        assert_match 'missing field "endpoint"' "$LAST_OUT" "missing endpoint"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":1,"operation":"1","payload":"","response_size":4}'
        assert_match '"operation" must be an integer' "$LAST_OUT" "ill-typed operation"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":1,"operation":1,"payload":"xyz","response_size":4}'
        assert_match '"payload"' "$LAST_OUT" "bad payload hex"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":1,"operation":1,"payload":""}'
        assert_match 'missing field "response_size"' "$LAST_OUT" "missing response_size"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":1,"operation":1,"payload":"","response_size":2097153}'
        assert_match '"response_size"' "$LAST_OUT" "oversized response_size"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":1,"operation":1,"payload":"","response_size":4,"scope":4}'
        assert_match '"scope"' "$LAST_OUT" "scope 4"
        assert_dbus_error InvalidArguments pds_execute_err "$name" '{"endpoint":1,"operation":1,"payload":"","response_size":4,"ep":1}'
        assert_match 'unknown field "ep"' "$LAST_OUT" "unknown field"
        assert_dbus_error InvalidArguments pds_execute_err "$name" 'not json'
        assert_match 'not valid JSON' "$LAST_OUT" "not JSON"
        assert_eq "$before" "$(emu_rpc_count "$name")" "RPCs reaching the device"
}

test_pds_firmware_status() {
        local name out
        name=$(pds_dev) || fail "pds device did not appear"
        # endpoint 2 op 0x13: the firmware answers retval 5
        out=$(pds_execute "$name" '{"endpoint":2,"operation":19,"payload":"","response_size":8,"scope":1}') \
                || fail "Execute rpc failed: $out"
        assert_eq 5 "$(jq .retval <<<"$out")" "retval"
        assert_eq ERROR_5 "$(jq -r .status_name <<<"$out")" "status_name"
        assert_ok client rpc "$name" 1 64 "hex:$(pds_env 0x13 2 '' 8)"
        assert_eq 5 "$(kv result.status <<<"$LAST_OUT")" "result.status"
        assert_eq ERROR_5 "$(kv result.status_name <<<"$LAST_OUT")" "result.status_name"
        assert_match '^504453410100000005000000' "$(kv response_hex <<<"$LAST_OUT")" "retval in the envelope"
}

test_pds_scope2_journaled() {
        local name pid a r i
        name=$(pds_dev) || fail "pds device did not appear"
        # endpoint 2 op 0x11 is a debug write: scope 2, which taints and is audited
        assert_ok client rpc "$name" 2 64 "hex:$(pds_env 0x11 2 '' 8)"
        pid=$(kv pid <<<"$LAST_OUT")
        for ((i = 0; i < 40; i++)); do
                r=$(journal_json MESSAGE_ID="$MSGID_RESULT" FWCTL_CALLER_PID="$pid")
                [ -n "$r" ] && break
                sleep 0.05
        done
        a=$(journal_json MESSAGE_ID="$MSGID_ATTEMPT" FWCTL_CALLER_PID="$pid")
        [ -n "$a" ] || fail "no attempt entry for pid $pid"
        [ -n "$r" ] || fail "no result entry for pid $pid"
        assert_eq ep2.op0x0011 "$(jq -r .FWCTL_OPERATION <<<"$a")" "attempt FWCTL_OPERATION"
        assert_eq ep2.op0x0011 "$(jq -r .FWCTL_OPERATION <<<"$r")" "result FWCTL_OPERATION"
        assert_eq "$name" "$(jq -r .FWCTL_DEVICE <<<"$r")" "FWCTL_DEVICE"
        assert_eq 2 "$(jq -r .FWCTL_SCOPE <<<"$r")" "FWCTL_SCOPE"
        assert_eq ok "$(jq -r .FWCTL_RESULT <<<"$r")" "FWCTL_RESULT"
        assert_eq 0 "$(jq -r .FWCTL_DEVICE_STATUS <<<"$r")" "FWCTL_DEVICE_STATUS"
        assert_eq 1 "$(jq -r .FWCTL_CONFIGURATION_WRITE <<<"$r")" "FWCTL_CONFIGURATION_WRITE (unknowable: assumed)"
}

test_pds_malformed_reply() {
        local name before
        name=$(pds_dev) || fail "pds device did not appear"
        before=$(emu_rpc_count "$name")
        # the kernel's out_len and out.len are not the firmware's to change; an
        # admin queue failure is: the driver returns its errno (EIO), no retval
        assert_match '^ok' "$(emu fault "$name" adminq-error)" "emu fault"
        assert_dbus_error DeviceError client rpc "$name" 0 64 "hex:$(pds_env 1 1 0102 8)"
        assert_match 'EIO' "$(kv message <<<"$LAST_OUT")" "admin queue errno"
        assert_dbus_error DeviceError pds_execute_err "$name" '{"endpoint":1,"operation":1,"payload":"","response_size":8}'
        assert_match 'EIO' "$LAST_OUT" "admin queue errno through Execute"
        assert_match '^ok' "$(emu fault "$name" none)" "emu fault none"
        assert_eq $((before + 2)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
        # the daemon survived and the device still answers
        assert_ok client rpc "$name" 0 64 "hex:$(pds_env 1 1 0102 8)"
        assert_eq 0 "$(kv result.status <<<"$LAST_OUT")" "status after the faults"
}

test_pds_remove() {
        local name
        name=$(pds_dev) || fail "pds device did not appear"
        assert_match '^ok' "$(emu remove "$name")" "emu remove"
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE" \
                || fail "$name still there after remove"
        rm -f "$T/pds.name"
}
