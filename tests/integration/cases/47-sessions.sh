# shellcheck shell=bash
# Authorised sessions (Device.OpenSession): one polkit check, then calls for the opening
# connection alone, each still classified, deny-listed and journaled.

SESSION=$SRCDIR/tests/integration/session-client.py
MSGID_SESSION_OPENED=1f109dc7d1d54517ab4276e3999d0cc3
MSGID_SESSION_CLOSED=d9fe3f47814e4003bd9699b8836c39f4

test_session_reads_and_properties() {
        local qa out
        qa=$(mlx5_req $MLX5_QUERY_ADAPTER)
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "rpc:$qa" "execute:query-adapter:{}" props close "rpc:$qa"
        out=$LAST_OUT
        assert_match '^/org/freedesktop/fwctl1/session/[0-9]+$' "$(kv session <<<"$out")" "session path"
        assert_eq 272 "$(kv 0.response_size <<<"$out")" "Rpc in the session"
        assert_match 'MT_0000000001' "$(kv 1.result <<<"$out")" "Execute in the session"
        assert_eq 0 "$(kv 2.Scope <<<"$out")" "Scope"
        assert_eq 0 "$(kv 2.ConfigurationWrite <<<"$out")" "ConfigurationWrite"
        assert_eq /org/freedesktop/fwctl1/device/fwctl0 "$(kv 2.Device <<<"$out")" "Device"
        [ "$(kv 2.Expires <<<"$out")" -gt "$(( $(date +%s) * 1000000 ))" ] || fail "Expires is not in the future: $out"
        assert_eq true "$(kv 3.closed <<<"$out")" "Close"
        assert_eq org.freedesktop.DBus.Error.UnknownObject "$(kv 4.error <<<"$out")" "a call after Close"
        assert_ge 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_OPENED FWCTL_CALLER_UID=4242 | jq -s length)" "opened record"
        assert_ge 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_CALLER_UID=4242 \
                FWCTL_SESSION_END="closed by its opener" | jq -s length)" "closed record"
}

# A read-only session cannot change the device; one opened for writes can, journaled.
test_session_configuration_write() {
        local write n
        write=$(mlx5_req 0x805 0)
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "rpc:$write"
        assert_eq "$FWCTL_ERR.NotAuthorized" "$(kv 0.error <<<"$LAST_OUT")" "write in a read-only session"
        assert_match 'configuration_write' "$(kv 0.message <<<"$LAST_OUT")" "message"
        n=$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_OPERATION=ACCESS_REG FWCTL_CALLER_UID=4242 | jq -s length)
        assert_ok as_user fwtest "$SESSION" fwctl0 0 true "rpc:$write"
        assert_eq ACCESS_REG "$(kv 0.operation <<<"$LAST_OUT")" "write in a write session"
        assert_eq $((n + 1)) "$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_OPERATION=ACCESS_REG FWCTL_CALLER_UID=4242 \
                | jq -s length)" "the write is journaled like any other"
}

test_session_refusals() {
        local qa before
        qa=$(mlx5_req $MLX5_QUERY_ADAPTER)
        # no tainting sessions
        assert_dbus_error RequestRejected "$SESSION" fwctl0 2 false
        assert_match 'taints the kernel' "$(kv message <<<"$LAST_OUT")" "why no debug-write session"
        # polkit decides whether a session opens
        assert_dbus_error NotAuthorized as_user fwdeny "$SESSION" fwctl0 0 false
        # another connection of the same user cannot use it
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "foreign-rpc:$qa"
        assert_eq "$FWCTL_ERR.NotAuthorized" "$(kv 0.error <<<"$LAST_OUT")" "a foreign connection"
        # nor read what the session is (its owner's bus name, device, scope, expiry)
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false foreign-props props
        assert_eq "$FWCTL_ERR.NotAuthorized" "$(kv 0.error <<<"$LAST_OUT")" "GetAll from a foreign connection"
        assert_eq 0 "$(kv 1.Scope <<<"$LAST_OUT")" "GetAll from the opener"
        # root may look (busctl as an admin), and still not use it
        session_while fwctl0 3
        assert_eq '"/org/freedesktop/fwctl1/device/fwctl0"' "$(busctl --system --json=short get-property \
                "$FWCTL_BUS" "$(kv session <"$T/tmp/session-while.out")" org.freedesktop.fwctl1.Session Device \
                | jq -c .data)" "root reads a fwtest session's Device"
        assert_false "root closes a fwtest session" busctl --system call "$FWCTL_BUS" \
                "$(kv session <"$T/tmp/session-while.out")" org.freedesktop.fwctl1.Session Close
        wait "$SESSION_PID"
        # a request above the session's scope
        before=$(emu_rpc_count fwctl0)
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "rpc:$(mlx5_req 0x805 1)"
        assert_eq "$FWCTL_ERR.ScopeTooLow" "$(kv 0.error <<<"$LAST_OUT")" "ACCESS_REG read needs debug-read-only"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
        # the opener left without Close: the session ended with it
        assert_ge 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_SESSION_END="its opener left" | jq -s length)" \
                "closed when its opener left"
}

# The deny list applies inside a session too.
test_session_deny_list() {
        local f=/etc/fwctld/deny.d/47-session.conf
        mkdir -p /etc/fwctld/deny.d
        printf 'mlx5 QUERY_ADAPTER\n' >"$f"
        # shellcheck disable=SC2064
        trap "rm -f '$f'; kill -HUP \$(bus_owner_pid)" EXIT
        kill -HUP "$(bus_owner_pid)"
        sleep 0.3
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "rpc:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq "$FWCTL_ERR.RequestRejected" "$(kv 0.error <<<"$LAST_OUT")" "denied in a session"
        assert_match 'local policy' "$(kv 0.message <<<"$LAST_OUT")" "message"
}

# A session ends after FWCTLD_SESSION_IDLE_SEC unused and after FWCTLD_SESSION_MAX_SEC in all
# (the unit's environment; here the daemon's, restarted with 2 s and 4 s): the next call finds
# no session, and the journal says which limit ended it. Expires shows the nearer one.
test_session_idle_and_max() {
        local qa out id now_us expires
        qa=$(mlx5_req $MLX5_QUERY_ADAPTER)
        harness_planned_stop || fail "could not stop the daemon"
        trap 'harness_stop_daemon; unset FWCTLD_SESSION_IDLE_SEC FWCTLD_SESSION_MAX_SEC' EXIT
        export FWCTLD_SESSION_IDLE_SEC=2 FWCTLD_SESSION_MAX_SEC=4
        harness_start_daemon

        # idle: one call, 3.5 s unused (the daemon looks every second), the next call is refused
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "rpc:$qa" props sleep:3.5 "rpc:$qa"
        out=$LAST_OUT
        now_us=$(( $(date +%s%N) / 1000 ))
        expires=$(kv 1.Expires <<<"$out")
        [ "$expires" -le "$now_us" ] && [ "$expires" -ge $(( now_us - 4000000 )) ] \
                || fail "Expires $expires is not 2 s after the call (now $now_us, 3.5 s later)"
        assert_eq 272 "$(kv 0.response_size <<<"$out")" "the call before the pause"
        assert_eq org.freedesktop.DBus.Error.UnknownObject "$(kv 3.error <<<"$out")" "a call after 2 s unused"
        id=$(kv session <<<"$out")
        assert_eq 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_SESSION="${id##*/}" \
                FWCTL_SESSION_END=idle | jq -s length)" "closed as idle"

        # in all: a call a second keeps it from idling; it still ends 4 s after it opened
        assert_ok as_user fwtest "$SESSION" fwctl0 0 false "rpc:$qa" sleep:1 "rpc:$qa" sleep:1 "rpc:$qa" \
                sleep:1 "rpc:$qa" sleep:2.5 "rpc:$qa"
        out=$LAST_OUT
        assert_eq 272 "$(kv 6.response_size <<<"$out")" "a call 3 s after opening"
        assert_eq org.freedesktop.DBus.Error.UnknownObject "$(kv 8.error <<<"$out")" "a call 5.5 s after opening"
        id=$(kv session <<<"$out")
        assert_eq 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_SESSION="${id##*/}" \
                FWCTL_SESSION_END=expired | jq -s length)" "closed as expired"
}

# session_while N SECONDS STEP...: a session held by fwtest on fwctlN, its first call made, a
# pause, then the steps; in the background (output in $T/tmp/session-while.out). Returns once
# the first call was answered.
session_while() {
        local out=$T/tmp/session-while.out dev=$1 pause=$2
        shift 2
        rm -f "$out"
        as_user fwtest "$SESSION" "$dev" 0 false "rpc:$(mlx5_req $MLX5_QUERY_ADAPTER)" "sleep:$pause" "$@" >"$out" 2>&1 &
        SESSION_PID=$!
        wait_until 10 grep -q '^0.response_size=' "$out" || fail "the session's first call: $(cat "$out")"
}

# A session ends with its device (hot-unplugged between two calls) and on reload (SIGHUP, what
# systemctl reload sends): the next call finds no session; the journal says why.
test_session_ends_with_device_and_reload() {
        local name out=$T/tmp/session-while.out id
        name=$(emu_add mlx5 0000:4a:00.0) || fail "mlx5 hot-add failed"
        wait_until 5 dev_exists "$name" || fail "$name not published"
        session_while "$name" 2 "rpc:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        emu remove "$name" >/dev/null
        wait "$SESSION_PID"
        assert_eq org.freedesktop.DBus.Error.UnknownObject "$(kv 2.error <"$out")" "a call after the device went"
        id=$(kv session <"$out")
        assert_eq 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_SESSION="${id##*/}" \
                FWCTL_SESSION_END="its device went away" | jq -s length)" "closed with its device"

        session_while fwctl0 2 "rpc:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        kill -HUP "$(bus_owner_pid)"
        wait "$SESSION_PID"
        assert_eq org.freedesktop.DBus.Error.UnknownObject "$(kv 2.error <"$out")" "a call after a reload"
        id=$(kv session <"$out")
        assert_eq 1 "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_SESSION="${id##*/}" \
                FWCTL_SESSION_END=reload | jq -s length)" "closed on reload"
        assert_true "fwctld still serves after the reload" dev_exists fwctl0
}
