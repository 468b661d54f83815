# shellcheck shell=bash
# Info(): (u device_type, ay device_data, s info_json), open to any caller.

info_json() { # [as_user USER] NAME
        busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$1" "$FWCTL_DEV_IFACE" Info
}

test_info_mlx5() {
        local out
        out=$(info_json fwctl0) || fail "Info on fwctl0 failed"
        assert_eq 1 "$(jq '.data[0]' <<<"$out")" "device_type"
        assert_eq 8 "$(jq '.data[1] | length' <<<"$out")" "device_data length (uid, uctx_caps)"
        jq -e '.data[2] | fromjson | type == "object"' <<<"$out" >/dev/null || fail "info_json is not a JSON object: $(jq .data[2] <<<"$out")"
}

test_info_cxl() {
        local out
        out=$(info_json fwctl1) || fail "Info on fwctl1 failed"
        assert_eq 2 "$(jq '.data[0]' <<<"$out")" "device_type"
        assert_eq 0 "$(jq '.data[1] | length' <<<"$out")" "device_data length"
        jq -e '.data[2] | fromjson | type == "object"' <<<"$out" >/dev/null || fail "info_json is not a JSON object: $(jq .data[2] <<<"$out")"
}

test_info_open_to_anyone() {
        local out
        out=$(as_user fwdeny busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/fwctl0" "$FWCTL_DEV_IFACE" Info) \
                || fail "Info as fwdeny failed: $out"
        assert_eq 1 "$(jq '.data[0]' <<<"$out")" "device_type as fwdeny"
        assert_ok as_user fwdeny busctl --system get-property "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/fwctl0" "$FWCTL_DEV_IFACE" Name
        assert_ok as_user fwdeny busctl --system call "$FWCTL_BUS" "$FWCTL_MGR_PATH" org.freedesktop.DBus.ObjectManager GetManagedObjects
}
