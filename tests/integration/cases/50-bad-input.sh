# shellcheck shell=bash
# Input the daemon must refuse without issuing an ioctl, and device refusals.

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

test_rpc_invalid_scope() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error InvalidScope client rpc fwctl0 4 64 "hex:$QA_HEX"
        assert_dbus_error InvalidScope client rpc fwctl0 4294967295 64 "hex:$QA_HEX"
        assert_dbus_error InvalidScope as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 4 64 "hex:$QA_HEX"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_rpc_empty_request() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected client rpc fwctl0 0 64 empty
        assert_dbus_error RequestRejected client rpc fwctl1 0 64 empty
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_rpc_request_too_large() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error PayloadTooLarge client rpc fwctl0 0 64 fill:2097153
        assert_dbus_error PayloadTooLarge as_user fwdeny "$FWCTL_CLIENT" rpc fwctl0 0 64 fill:2097153
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_rpc_max_response_too_large() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error PayloadTooLarge client rpc fwctl0 0 2097153 "hex:$QA_HEX"
        assert_dbus_error PayloadTooLarge client rpc fwctl0 0 4294967295 "hex:$QA_HEX"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_rpc_max_response_at_limit() {
        # exactly MAX_RPC_LEN is allowed
        assert_ok client rpc fwctl0 0 2097152 "hex:$QA_HEX"
        assert_ge 16 "$(kv response_size <<<"$LAST_OUT")" "response size"
}

test_rpc_not_authorized_leaves_device_alone() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error NotAuthorized as_user fwdeny "$FWCTL_CLIENT" rpc fwctl0 0 64 "hex:$QA_HEX"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_rpc_device_refuses_opcode() {
        local before
        before=$(emu_rpc_count fwctl0)
        # the mlx5 plugin knows the driver's allowlist: the request never reaches the kernel
        # (which would taint first at scopes 2-3, then say EBADMSG)
        assert_dbus_error RequestRejected client rpc fwctl0 2 64 "hex:$(mlx5_req $MLX5_UNKNOWN)"
        assert_match 'opcode 0x0fff is not allowed' "$(kv message <<<"$LAST_OUT")" "RequestRejected message"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching the device"
}

test_rpc_malformed_firmware_reply() {
        local before
        before=$(emu_rpc_count fwctl0)
        # firmware that never completes the command: mlx5 returns ETIMEDOUT
        assert_match '^ok' "$(emu fault fwctl0 cmd-timeout)" "emu fault"
        assert_dbus_error DeviceError client rpc fwctl0 0 64 "hex:$QA_HEX"
        assert_match 'ETIMEDOUT' "$(kv message <<<"$LAST_OUT")" "DeviceError message"
        emu fault fwctl0 none >/dev/null
        assert_eq $((before + 1)) "$(emu_rpc_count fwctl0)" "RPCs reaching the device (exactly one)"
        assert_ok client rpc fwctl0 0 64 "hex:$QA_HEX"
}

test_rpc_unknown_object() {
        local out
        out=$(client rpc fwctl77 0 64 "hex:$QA_HEX") && fail "Rpc on a missing object succeeded"
        assert_match '^error=org\.freedesktop\.DBus\.Error\.Unknown(Object|Method)$' \
                "$(grep '^error=' <<<"$out")" "error on a missing object"
}
