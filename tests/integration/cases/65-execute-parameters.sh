# shellcheck shell=bash
# Execute parameters are one strict JSON object in every plugin (plugin_parse_params()):
# text after it or null is InvalidArguments naming what is wrong, before any RPC, on
# mlx5 (fwctl0) and cxl; an empty string stays the daemon's "{}".

xp_execute() { # DEV OP JSON
        gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" "$2" "$3"
}

test_execute_parameters_one_strict_object() {
        local cxl dev op before
        cxl=$(cxl_dev) || fail "no cxl device"
        emu fault "$cxl" none >/dev/null
        for dev in fwctl0 "$cxl"; do
                op=query-adapter
                [ "$dev" = fwctl0 ] || op=get-supported-features
                before=$(emu_rpc_count "$dev")
                assert_dbus_error InvalidArguments xp_execute "$dev" "$op" '{} x'
                assert_match 'text after the JSON object, at offset 3' "$LAST_OUT" "$dev $op: trailing text named"
                assert_dbus_error InvalidArguments xp_execute "$dev" "$op" '{}{}'
                assert_match 'text after the JSON object, at offset 2' "$LAST_OUT" "$dev $op: second object named"
                assert_dbus_error InvalidArguments xp_execute "$dev" "$op" 'null'
                assert_match 'must be a JSON object, not null' "$LAST_OUT" "$dev $op: null named"
                assert_dbus_error InvalidArguments xp_execute "$dev" "$op" '{"x": 1}'
                assert_match 'unknown field "x"' "$LAST_OUT" "$dev $op: unknown field named"
                assert_eq "$before" "$(emu_rpc_count "$dev")" "$dev $op: RPCs reaching the device"
                # The daemon passes {} for an empty string.
                assert_ok xp_execute "$dev" "$op" ''
        done
        assert_dbus_error InvalidArguments xp_execute fwctl0 query-hca-cap '{"op_mod": 1, "op_mod": 2}'
        assert_match 'field "op_mod" appears more than once' "$LAST_OUT" "duplicate key named"
}
