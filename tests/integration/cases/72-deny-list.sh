# shellcheck shell=bash
# The local deny list (/etc/fwctld/deny.d/*.conf, reloaded on SIGHUP): refused before
# polkit and before any ioctl, journaled as a denial, lifted by removing the rule.

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)
DENY_FILE=/etc/fwctld/deny.d/50-test.conf

# qa_refused: a scope-0 QUERY_ADAPTER on fwctl0 is refused by the deny list
qa_refused() {
        local out
        out=$("$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$QA_HEX" 2>&1)
        grep -q 'denied by local policy' <<<"$out"
}
qa_allowed() { "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$QA_HEX" >/dev/null 2>&1; }

test_deny_list_reload() {
        local pid before n out
        pid=$(bus_owner_pid)
        [ -n "$pid" ] || fail "no daemon pid"
        assert_true "QUERY_ADAPTER allowed before any rule" qa_allowed

        mkdir -p "$(dirname "$DENY_FILE")"
        printf '# test rules\nmlx5 QUERY_ADAPTER configuration\nmlx5 query-hca-cap\nbogus line with too many words\n' \
                >"$DENY_FILE"
        kill -HUP "$pid"
        wait_until 5 qa_refused || fail "the rule did not take effect after SIGHUP"

        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected client rpc fwctl0 0 512 "hex:$QA_HEX"
        assert_match "denied by local policy \\($DENY_FILE:2\\)" "$(kv message <<<"$LAST_OUT")" "refusal names the rule"
        # fwctlctl's hint points at the deny list, not at the request's format
        out=$(fwctlctl rpc fwctl0 --in "$QA_HEX" 2>&1)
        assert_eq 5 "$?" "fwctlctl exit status for a deny-list refusal"
        assert_match "denied by local policy \\($DENY_FILE:2\\)\\. \\(a rule of the local deny list \\(/etc/fwctld/deny.d\\) refuses it" \
                "$out" "fwctlctl hint for a deny-list refusal"
        # a scope is a floor: configuration (0) stops scope 1 as well
        assert_dbus_error RequestRejected client rpc fwctl0 1 512 "hex:$QA_HEX"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"

        # a non-root caller is refused before polkit is asked, and the denial is journaled
        assert_dbus_error RequestRejected as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$QA_HEX"
        n=$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_DENIAL=local-policy FWCTL_CALLER_UID=4242 | jq -s 'length')
        assert_ge 1 "$n" "local-policy denial records for uid 4242"

        # named operations match by their own name
        assert_dbus_error RequestRejected gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_DEV_PREFIX/fwctl0" --method "$FWCTL_DEV_IFACE.Execute" query-hca-cap '{"op_mod": 0}'
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0 after refusals"

        # the daemon kept running through the reloads, and removing the rule lifts it
        rm -f "$DENY_FILE"
        kill -HUP "$pid"
        wait_until 5 qa_allowed || fail "the rule stayed in force after removal and SIGHUP"
        assert_eq "$pid" "$(bus_owner_pid)" "daemon pid across reloads"
}
