# shellcheck shell=bash
# polkitd unreachable: unprivileged callers are refused quickly, never hang.

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

test_polkitd_stopped_refuses_quickly() {
        local t0 ms rc
        harness_stop_polkitd || fail "polkitd did not stop"
        t0=$(date +%s%N)
        LAST_OUT=$(timeout 5 $(user_prefix fwtest) "$FWCTL_CLIENT" rpc fwctl0 0 64 "hex:$QA_HEX" 2>&1)
        rc=$?
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        harness_start_polkitd_bg
        [ "$rc" -ne 124 ] || fail "Rpc hung with polkitd stopped (killed after 5 s)"
        assert_match 'error=org\.freedesktop\.fwctl1\.Error\.NotAuthorized' "$LAST_OUT" "error with polkitd stopped"
        [ "$ms" -lt 5000 ] || fail "refusal took $ms ms"
        # root is never asked, so it keeps working without polkitd (checked after restart too)
        wait_until 10 bus_has_name org.freedesktop.PolicyKit1 || fail "polkitd did not come back"
        wait_until 5 as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 0 64 "hex:$QA_HEX" \
                || fail "fwtest still refused after polkitd restart"
}

test_root_not_asked() {
        local t0
        harness_stop_polkitd || fail "polkitd did not stop"
        assert_ok client --timeout-ms 5000 rpc fwctl0 0 64 "hex:$QA_HEX"
        harness_start_polkitd_bg
        wait_until 10 bus_has_name org.freedesktop.PolicyKit1 || fail "polkitd did not come back"
}

# What fwctld asks (who is calling, polkit) goes out on a second connection of its own, so
# the answers never queue behind calls the bus holds for its name (the 2 MiB floods of
# 98-overload.sh): pinned here from the bus's side.
test_questions_on_the_control_connection() {
        local main pid asker
        main=$(busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetNameOwner s "$FWCTL_BUS" | jq -r '.data[0]')
        pid=$(bus_owner_pid)
        bus_watch_start
        assert_ok as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 0 64 "hex:$QA_HEX"
        bus_watch_stop
        assert_eq 1 "$(bus_callers org.freedesktop.PolicyKit1.Authority CheckAuthorization | wc -l)" \
                "connections that asked polkit"
        asker=$(bus_callers org.freedesktop.PolicyKit1.Authority CheckAuthorization)
        assert_ne "$main" "$asker" "CheckAuthorization's sender (the name's owner is $main)"
        assert_eq "$pid" "$(busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus \
                org.freedesktop.DBus GetConnectionUnixProcessID s "$asker" | jq -r '.data[0]')" "the asker's pid"
        # the new client's credentials were asked for on the same connection
        assert_eq "$asker" "$(bus_callers org.freedesktop.DBus GetConnectionCredentials | grep -Fx -- "$asker")" \
                "GetConnectionCredentials from the control connection"
}
