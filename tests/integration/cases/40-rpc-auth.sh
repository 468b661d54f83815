# shellcheck shell=bash
# Rpc and authorization: root (never asked), fwtest (rules: scope 0/1 yes,
# scope 2 only on fwctl0, scope 3 challenge), fwdeny (always no).

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

test_rpc_query_adapter_root() {
        local out
        assert_ok client rpc fwctl0 0 512 "hex:$QA_HEX"
        out=$LAST_OUT
        assert_ge 16 "$(kv response_size <<<"$out")" "response size"
        assert_match '^00' "$(kv response_hex <<<"$out")" "mlx5 status byte"
        assert_eq false "$(kv result.truncated <<<"$out")" "result.truncated"
        assert_ge 16 "$(kv result.response_length <<<"$out")" "result.response_length"
        assert_match '.' "$(kv result.operation <<<"$out")" "result.operation"
        # QUERY_ADAPTER's output is 272 bytes: a 64-byte buffer is truncated, and says so
        assert_ok client rpc fwctl0 0 64 "hex:$QA_HEX"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "result.truncated at 64"
        assert_eq 272 "$(kv result.response_length <<<"$LAST_OUT")" "result.response_length at 64"
        assert_eq 64 "$(kv response_size <<<"$LAST_OUT")" "response size at 64"
}

test_rpc_root_every_scope() {
        local s before after
        before=$(emu_rpc_count fwctl0) || fail "emu stats failed"
        for s in 0 1 2 3; do
                assert_ok client rpc fwctl0 $s 512 "hex:$QA_HEX"
                assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "scope $s truncated"
        done
        after=$(emu_rpc_count fwctl0)
        assert_eq $((before + 4)) "$after" "RPCs that reached the device"
}

test_rpc_fwtest_allowed_scopes() {
        local s
        for s in 0 1 2; do
                assert_ok as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 $s 64 "hex:$QA_HEX"
                assert_match '^00' "$(kv response_hex <<<"$LAST_OUT")" "scope $s status byte"
        done
}

test_rpc_fwtest_scope3_challenge() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error org.freedesktop.DBus.Error.InteractiveAuthorizationRequired \
                as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 3 64 "hex:$QA_HEX"
        # the same through busctl (exit status only; busctl does not print error names)
        assert_false "busctl --allow-interactive-authorization=no scope 3 as fwtest" \
                as_user fwtest busctl --system --allow-interactive-authorization=no call "$FWCTL_BUS" \
                "$FWCTL_DEV_PREFIX/fwctl0" "$FWCTL_DEV_IFACE" Rpc uayu 3 16 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 64
        assert_dbus_error org.freedesktop.DBus.Error.InteractiveAuthorizationRequired \
                as_user fwtest gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/fwctl0" \
                --method "$FWCTL_DEV_IFACE.Rpc" 3 "[byte 1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0]" 64
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device after challenges"
}

test_rpc_fwtest_debug_write_other_device() {
        local name before
        name=$(emu_add mlx5 0000:06:00.0) || fail "emu add mlx5 failed"
        wait_until 5 dev_exists "$name" || fail "$name did not appear"
        before=$(emu_rpc_count "$name")
        assert_dbus_error NotAuthorized as_user fwtest "$FWCTL_CLIENT" rpc "$name" 2 64 "hex:$QA_HEX"
        assert_eq "$before" "$(emu_rpc_count "$name")" "RPCs reaching $name after a denial"
        assert_ok as_user fwtest "$FWCTL_CLIENT" rpc "$name" 1 64 "hex:$QA_HEX"
        assert_ok client rpc "$name" 2 64 "hex:$QA_HEX"
        assert_eq $((before + 2)) "$(emu_rpc_count "$name")" "RPCs reaching $name"
        emu remove "$name" >/dev/null
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE"
}

test_rpc_fwdeny_not_authorized() {
        local s before j
        before=$(emu_rpc_count fwctl0)
        for s in 0 1 2 3; do
                assert_dbus_error NotAuthorized as_user fwdeny "$FWCTL_CLIENT" rpc fwctl0 $s 64 "hex:$QA_HEX"
        done
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device after denials"
        j=$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_CALLER_UID=4243 | tail -n 1)
        [ -n "$j" ] || fail "no authorization-denied journal entry for uid 4243"
        assert_eq fwctl0 "$(jq -r .FWCTL_DEVICE <<<"$j")" "denial FWCTL_DEVICE"
        assert_eq 3 "$(jq -r .FWCTL_SCOPE <<<"$j")" "denial FWCTL_SCOPE (last call was scope 3)"
        [ "$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_CALLER_UID=4243 | wc -l)" -ge 4 ] \
                || fail "expected a denial entry per refused call"
}

test_rpc_scope_too_low() {
        local before
        before=$(emu_rpc_count fwctl0)
        # NOP needs DEBUG_READ_ONLY; SET_DIAGNOSTIC_PARAMS needs DEBUG_WRITE
        assert_dbus_error ScopeTooLow client rpc fwctl0 0 64 "hex:$(mlx5_req $MLX5_NOP)"
        assert_dbus_error ScopeTooLow client rpc fwctl0 1 64 "hex:$(mlx5_req $MLX5_SET_DIAGNOSTIC_PARAMS)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
        assert_ok client rpc fwctl0 1 64 "hex:$(mlx5_req $MLX5_NOP)"
        assert_eq $((before + 1)) "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}
