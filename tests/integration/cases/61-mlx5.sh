# shellcheck shell=bash
# The mlx5 plugin (plugins/mlx5): Info decoding, classification before the
# ioctl, PRM status decoding, named operations, malformed firmware replies.

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

mlx5_execute() { # NAME OP JSON -> result JSON on stdout (gdbus prints a tuple)
        local out
        out=$(gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" "$2" "$3" 2>&1) || { printf '%s\n' "$out"; return 1; }
        # ('{...}',) -> {...}
        out=${out#\(\'}
        out=${out%\',)}
        printf '%s\n' "$out"
}

mlx5_journal_entry() { # MESSAGE_ID PID
        local i out
        for ((i = 0; i < 40; i++)); do
                out=$(journal_json MESSAGE_ID="$1" FWCTL_CALLER_PID="$2")
                [ -n "$out" ] && break
                sleep 0.05
        done
        printf '%s\n' "$out" | tail -n 1
}

test_mlx5_plugin_serves_fwctl0() {
        assert_eq '"mlx5"' "$(dev_prop fwctl0 Plugin)" "fwctl0 Plugin"
        [ "$(mgr_prop Plugins | jq '[.[] | select(.[0] == "mlx5" and .[1] == 1)] | length')" = 1 ] \
                || fail "Plugins lacks (mlx5, 1): $(mgr_prop Plugins)"
}

test_mlx5_info_json() {
        local out j
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/fwctl0" "$FWCTL_DEV_IFACE" Info) \
                || fail "Info failed"
        j=$(jq -r '.data[2]' <<<"$out")
        assert_eq mlx5 "$(jq -r .plugin <<<"$j")" "info.plugin"
        assert_eq 4 "$(jq -r .uctx_caps <<<"$j")" "info.uctx_caps"
        assert_eq true "$(jq -r .tools_resources <<<"$j")" "info.tools_resources"
        # uid: the u32 at offset 0 of device_data, host order (little-endian here)
        assert_eq "$(jq '.data[1][0] + 256 * .data[1][1] + 65536 * .data[1][2] + 16777216 * .data[1][3]' <<<"$out")" \
                "$(jq -r .uid <<<"$j")" "info.uid"
        [ "$(jq -r .uid <<<"$j")" -gt 0 ] || fail "info.uid is 0: $j"
}

test_mlx5_rpc_query_adapter() {
        assert_ok client rpc fwctl0 0 512 "hex:$QA_HEX"
        assert_eq QUERY_ADAPTER "$(kv result.operation <<<"$LAST_OUT")" "result.operation"
        assert_eq 0 "$(kv result.status <<<"$LAST_OUT")" "result.status"
        assert_eq OK "$(kv result.status_name <<<"$LAST_OUT")" "result.status_name"
        assert_eq false "$(kv result.configuration_write <<<"$LAST_OUT")" "result.configuration_write"
        # mlx5 echoes out_len (512); the plugin knows QUERY_ADAPTER is 272 bytes
        assert_eq 512 "$(kv result.kernel_out_len <<<"$LAST_OUT")" "result.kernel_out_len"
        assert_eq 272 "$(kv result.response_length <<<"$LAST_OUT")" "result.response_length"
        assert_eq 272 "$(kv response_size <<<"$LAST_OUT")" "response_size"
        assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "result.truncated"
        # PSID at byte 256 of query_adapter_out
        assert_eq "$(printf 'MT_0000000001' | od -An -tx1 | tr -d ' \n')" \
                "$(kv response_hex <<<"$LAST_OUT" | cut -c513-538)" "PSID in the response"
}

test_mlx5_nop_scope_too_low() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error ScopeTooLow client rpc fwctl0 0 64 "hex:$(mlx5_req $MLX5_NOP)"
        assert_match 'debug-read-only' "$(kv message <<<"$LAST_OUT")" "ScopeTooLow message"
        assert_match "'NOP'" "$(kv message <<<"$LAST_OUT")" "ScopeTooLow message names the command"
        # ACCESS_REG read (op_mod 1) needs debug-read-only, write (op_mod 0) configuration
        assert_dbus_error ScopeTooLow client rpc fwctl0 0 64 "hex:$(mlx5_req 0x0805 1)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
        assert_ok client rpc fwctl0 0 64 "hex:$(mlx5_req 0x0805 0)"
        assert_eq true "$(kv result.configuration_write <<<"$LAST_OUT")" "ACCESS_REG write configuration_write"
        assert_eq $((before + 1)) "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_mlx5_unknown_opcode_rejected() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected client rpc fwctl0 0 64 "hex:$(mlx5_req $MLX5_UNKNOWN)"
        assert_match 'opcode 0x0fff is not allowed by mlx5_fwctl' "$(kv message <<<"$LAST_OUT")" "message"
        # even at debug-write-full: no ioctl, so no taint and no device refusal
        assert_dbus_error RequestRejected client rpc fwctl0 3 64 "hex:$(mlx5_req $MLX5_UNKNOWN)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_mlx5_short_request_and_response() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected client rpc fwctl0 0 64 "hex:${QA_HEX:0:30}"
        assert_match '15 bytes' "$(kv message <<<"$LAST_OUT")" "short request message"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
        # a short max_response no longer shrinks the kernel's buffer: the reply is trimmed
        assert_ok client rpc fwctl0 0 15 "hex:$QA_HEX"
        assert_eq 15 "$(kv response_size <<<"$LAST_OUT")" "bytes returned for max_response 15"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        assert_eq 272 "$(kv result.response_length <<<"$LAST_OUT")" "true length"
}

test_mlx5_set_diagnostic_params_journaled() {
        local pid a r
        assert_ok client rpc fwctl0 2 64 "hex:$(mlx5_req $MLX5_SET_DIAGNOSTIC_PARAMS)"
        assert_eq SET_DIAGNOSTIC_PARAMS "$(kv result.operation <<<"$LAST_OUT")" "result.operation"
        assert_eq OK "$(kv result.status_name <<<"$LAST_OUT")" "result.status_name"
        pid=$(kv pid <<<"$LAST_OUT")
        a=$(mlx5_journal_entry $MSGID_ATTEMPT "$pid")
        r=$(mlx5_journal_entry $MSGID_RESULT "$pid")
        [ -n "$a" ] || fail "no attempt entry"
        [ -n "$r" ] || fail "no result entry"
        assert_eq SET_DIAGNOSTIC_PARAMS "$(jq -r .FWCTL_OPERATION <<<"$a")" "attempt FWCTL_OPERATION"
        assert_eq SET_DIAGNOSTIC_PARAMS "$(jq -r .FWCTL_OPERATION <<<"$r")" "result FWCTL_OPERATION"
        assert_eq 0 "$(jq -r .FWCTL_DEVICE_STATUS <<<"$r")" "result FWCTL_DEVICE_STATUS"
}

test_mlx5_hca_cap_bad_op_mod() {
        local name
        assert_ok client rpc fwctl0 0 64 "hex:$(mlx5_req 0x0100 0xffff)"
        assert_eq QUERY_HCA_CAP "$(kv result.operation <<<"$LAST_OUT")" "result.operation"
        assert_eq 2 "$(kv result.status <<<"$LAST_OUT")" "result.status"
        name=$(kv result.status_name <<<"$LAST_OUT")
        assert_match '^BAD_OP \(syndrome 0x[0-9a-f]{8}\)$' "$name" "result.status_name"
        assert_ne "BAD_OP (syndrome 0x00000000)" "$name" "syndrome"
}

test_mlx5_list_operations() {
        local out
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/fwctl0" "$FWCTL_DEV_IFACE" \
                ListOperations) || fail "ListOperations failed"
        assert_eq '["access-reg-read",1] ["query-adapter",0] ["query-diagnostic-counters",1] ["query-hca-cap",0]' \
                "$(jq -c '.data[0][] | [.[0], .[2]]' <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//')" "operations"
}

test_mlx5_execute_query_adapter() {
        local j before
        before=$(emu_rpc_count fwctl0)
        j=$(mlx5_execute fwctl0 query-adapter '{}') || fail "Execute query-adapter: $j"
        assert_eq 0 "$(jq -r .status <<<"$j")" "status"
        assert_eq OK "$(jq -r .status_name <<<"$j")" "status_name"
        assert_eq 0 "$(jq -r .syndrome <<<"$j")" "syndrome"
        assert_eq MT_0000000001 "$(jq -r .psid <<<"$j")" "psid"
        assert_eq 713 "$(jq -r .ieee_vendor_id <<<"$j")" "ieee_vendor_id (00:02:c9)"
        assert_eq 5555 "$(jq -r .vsd_vendor_id <<<"$j")" "vsd_vendor_id (0x15b3)"
        assert_eq $((before + 1)) "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_mlx5_execute_query_hca_cap() {
        local j
        j=$(mlx5_execute fwctl0 query-hca-cap '{"op_mod": 1}') || fail "Execute query-hca-cap: $j"
        assert_eq OK "$(jq -r .status_name <<<"$j")" "status_name"
        assert_eq 0 "$(jq -r .capability_type <<<"$j")" "capability_type"
        assert_eq true "$(jq -r .current <<<"$j")" "current"
        assert_eq 8192 "$(jq -r '.capability | length' <<<"$j")" "capability hex length (4096 bytes)"
        j=$(mlx5_execute fwctl0 query-hca-cap '{"op_mod": 65535}') || fail "Execute query-hca-cap bad: $j"
        assert_eq 2 "$(jq -r .status <<<"$j")" "status"
        assert_eq BAD_OP "$(jq -r .status_name <<<"$j")" "status_name"
        assert_ne 0 "$(jq -r .syndrome <<<"$j")" "syndrome"
        assert_eq null "$(jq -r .capability <<<"$j")" "no capability on failure"
}

test_mlx5_execute_diagnostic_counters() {
        local j
        j=$(mlx5_execute fwctl0 query-diagnostic-counters '{"sample_index": 3, "max_counters": 4}') \
                || fail "Execute query-diagnostic-counters: $j"
        assert_eq OK "$(jq -r .status_name <<<"$j")" "status_name"
        assert_eq 4 "$(jq -r '.counters | length' <<<"$j")" "counters"
        assert_eq 4097 "$(jq -r '.counters[0].counter_id' <<<"$j")" "counter_id"
        assert_eq 3 "$(jq -r '.counters[0].sample_id' <<<"$j")" "sample_id"
        assert_eq 1024 "$(jq -r '.counters[3].value' <<<"$j")" "value"
}

test_mlx5_execute_access_reg_read() {
        local j
        j=$(mlx5_execute fwctl0 access-reg-read '{"register_id": 36871, "payload": "0001000000000000"}') \
                || fail "Execute access-reg-read: $j"
        assert_eq 0 "$(jq -r .status <<<"$j")" "status"
        assert_eq 36871 "$(jq -r .register_id <<<"$j")" "register_id"
        # index dword echoed, data filled by the firmware
        assert_match '^00010000[0-9a-f]{8}$' "$(jq -r .data <<<"$j")" "data"
        assert_ne 0001000000000000 "$(jq -r .data <<<"$j")" "data filled"
}

test_mlx5_execute_fwtest_scopes() {
        # fwtest may use scopes 0 and 1: every operation is allowed
        local j
        j=$(as_user fwtest gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/fwctl0" \
                --method "$FWCTL_DEV_IFACE.Execute" query-diagnostic-counters '{}' 2>&1) || fail "fwtest: $j"
        assert_dbus_error NotAuthorized as_user fwdeny gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_DEV_PREFIX/fwctl0" --method "$FWCTL_DEV_IFACE.Execute" query-adapter '{}'
}

test_mlx5_execute_bad_parameters() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error InvalidArguments mlx5_execute fwctl0 query-hca-cap '{}'
        assert_match "'op_mod'" "$LAST_OUT" "missing op_mod named"
        assert_dbus_error InvalidArguments mlx5_execute fwctl0 query-hca-cap '{"op_mod": "x"}'
        assert_match "'op_mod'" "$LAST_OUT" "ill-typed op_mod named"
        assert_dbus_error InvalidArguments mlx5_execute fwctl0 query-hca-cap '{"op_mod":'
        assert_match 'not valid JSON' "$LAST_OUT" "bad JSON"
        assert_dbus_error InvalidArguments mlx5_execute fwctl0 access-reg-read '{"register_id": 1, "payload": "abc"}'
        assert_match "'payload'" "$LAST_OUT" "bad payload named"
        assert_dbus_error InvalidArguments mlx5_execute fwctl0 access-reg-read '{"payload": "00"}'
        assert_match "'register_id'" "$LAST_OUT" "missing register_id named"
        assert_dbus_error NoSuchOperation mlx5_execute fwctl0 frobnicate '{}'
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_mlx5_short_reply_device_error() {
        local name
        name=$(emu_add mlx5 0000:07:00.0) || fail "emu add mlx5 failed"
        wait_until 5 dev_exists "$name" || fail "$name did not appear"
        # mlx5 echoes out_len, so no firmware can shorten the reply; a command
        # timeout (mlx5_cmd_do's ETIMEDOUT) is what a misbehaving firmware gives
        emu fault "$name" cmd-timeout >/dev/null || fail "emu fault failed"
        assert_dbus_error DeviceError client rpc "$name" 0 64 "hex:$QA_HEX"
        assert_match 'ETIMEDOUT' "$(kv message <<<"$LAST_OUT")" "DeviceError message"
        assert_dbus_error DeviceError mlx5_execute "$name" query-adapter '{}'
        assert_match 'ETIMEDOUT' "$LAST_OUT" "Execute DeviceError message"
        emu fault "$name" none >/dev/null || fail "emu fault none failed"
        # the daemon survived and the device works again
        assert_ok client rpc "$name" 0 64 "hex:$QA_HEX"
        assert_eq OK "$(kv result.status_name <<<"$LAST_OUT")" "status after clearing the fault"
        emu remove "$name" >/dev/null
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE"
}
