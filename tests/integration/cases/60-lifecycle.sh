# shellcheck shell=bash
# Unplug during calls, callers that vanish, and the daemon staying up.

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

rpc_count_at_least() { [ "$(emu_rpc_count "$1")" -ge "$2" ]; }

test_remove_while_rpc_waits() {
        local name a b rca rcb outb t0
        name=$(emu_add mlx5 0000:07:00.0) || fail "emu add mlx5 failed"
        wait_until 5 dev_exists "$name" || fail "$name did not appear"
        assert_match '^ok' "$(emu delay "$name" 1500)" "emu delay"

        client --timeout-ms 15000 rpc "$name" 0 64 "hex:$QA_HEX" >"$T/log/inflight-a.out" 2>&1 &
        a=$!
        wait_until 5 rpc_count_at_least "$name" 1 || fail "first RPC never reached the device"
        client --timeout-ms 15000 rpc "$name" 0 64 "hex:$QA_HEX" >"$T/log/inflight-b.out" 2>&1 &
        b=$!
        sleep 0.3
        t0=$SECONDS
        assert_match '^ok' "$(emu remove "$name")" "emu remove"
        wait $a; rca=$?
        wait $b; rcb=$?
        assert_eq 0 "$rca" "in-flight RPC result ($(tr '\n' ' ' <"$T/log/inflight-a.out"))"
        outb=$(grep '^error=' "$T/log/inflight-b.out")
        assert_match '^error=(org\.freedesktop\.fwctl1\.Error\.DeviceGone|org\.freedesktop\.DBus\.Error\.Unknown(Object|Method))$' \
                "$outb" "queued RPC after unplug (rc $rcb)"
        [ $((SECONDS - t0)) -le 8 ] || fail "calls took too long to finish after unplug"
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE" \
                || fail "$name still published after unplug"
        assert_dbus_error NoSuchDevice gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_MGR_PATH" --method "$FWCTL_MGR_IFACE.GetDevice" 0000:07:00.0
        # the other devices keep working
        assert_ok client --timeout-ms 5000 rpc fwctl0 0 64 "hex:$QA_HEX"
        assert_ok busctl --system call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/fwctl1" "$FWCTL_DEV_IFACE" Info
}

test_caller_disconnects_midcall() {
        local name slow before
        name=$(emu_add mlx5 0000:08:00.0) || fail "emu add mlx5 failed"
        wait_until 5 dev_exists "$name" || fail "$name did not appear"
        assert_match '^ok' "$(emu delay "$name" 1500)" "emu delay"
        before=$(bus_owner_pid)

        timeout -s KILL 0.5 "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:$QA_HEX" >/dev/null 2>&1
        assert_eq 137 "$?" "client killed mid-call"
        timeout -s KILL 0.5 $(user_prefix fwtest) "$FWCTL_CLIENT" rpc "$name" 1 64 "hex:$QA_HEX" >/dev/null 2>&1
        # the daemon survives and serves the next call; the other device does not wait
        # for the delayed one: its answer comes while a call to the delayed one still runs
        client --timeout-ms 15000 rpc "$name" 0 64 "hex:$QA_HEX" >/dev/null 2>&1 &
        slow=$!
        assert_ok client --timeout-ms 3000 rpc fwctl0 0 64 "hex:$QA_HEX"
        assert_true "call to the delayed $name still running when fwctl0 answered" kill -0 "$slow"
        wait "$slow"
        assert_eq "$before" "$(bus_owner_pid)" "bus name owner"
        # and the delayed device too, once its queue drains
        assert_ok client --timeout-ms 15000 rpc "$name" 0 64 "hex:$QA_HEX"
        emu delay "$name" 0 >/dev/null
        emu remove "$name" >/dev/null
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE"
        assert_true "daemon still owns its name" bus_has_name "$FWCTL_BUS"
}


# A caller that leaves while its call is still queued: the call never reaches the device,
# and its journal attempt record gets a result record (ECANCELED).
test_disconnected_queued_call_is_dropped() {
        local name a before n_attempt n_result parent
        name=$(emu_add mlx5 0000:09:00.0) || fail "emu add mlx5 failed"
        wait_until 5 dev_exists "$name" || fail "$name did not appear"
        # kernel names are reused by other tests' devices: match the journal by parent
        parent=$(dev_prop "$name" Parent | jq -r .)
        [ -n "$parent" ] || fail "no Parent for $name"
        assert_match '^ok' "$(emu delay "$name" 1500)" "emu delay"
        before=$(emu_rpc_count "$name")

        client --timeout-ms 15000 rpc "$name" 0 64 "hex:$QA_HEX" >/dev/null 2>&1 &
        a=$!
        wait_until 5 rpc_count_at_least "$name" $((before + 1)) || fail "first RPC never reached the device"
        # queued behind the first one at a tainting scope, then the caller is killed
        timeout -s KILL 0.4 "$FWCTL_CLIENT" rpc "$name" 2 64 "hex:$QA_HEX" >/dev/null 2>&1
        assert_eq 137 "$?" "queued caller killed"
        wait $a
        assert_eq 0 "$?" "the first call completed"
        sleep 0.3
        assert_eq $((before + 1)) "$(emu_rpc_count "$name")" "RPCs that reached $name"

        n_attempt=$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_PARENT="$parent" | jq -s 'length')
        n_result=$(journal_json MESSAGE_ID=$MSGID_RESULT FWCTL_PARENT="$parent" FWCTL_RESULT=ECANCELED | jq -s 'length')
        assert_eq 1 "$n_attempt" "attempt records for $name"
        assert_eq 1 "$n_result" "ECANCELED result records for $name"
        emu delay "$name" 0 >/dev/null
        emu remove "$name" >/dev/null
}

# SIGTERM (systemctl stop) with calls in flight and queued: the in-flight one gets its real
# answer (it ran: for a write, the caller must know), the queued ones Busy saying fwctld is
# stopping and did not run them; the daemon exits 0, and the journal does not record the
# stop as every device being unplugged.
test_stop_answers_every_call() {
        local inflight queued=() rc i out cursor
        harness_planned_stop || fail "could not stop the daemon"
        trap 'harness_stop_daemon' EXIT
        harness_start_daemon
        cursor=$(journalctl --directory=/run/log/journal --show-cursor -n 0 -q 2>/dev/null | sed -n 's/^-- cursor: //p')
        assert_match '^ok' "$(emu delay fwctl0 1500)" "emu delay"
        client --timeout-ms 15000 rpc fwctl0 0 64 "hex:$QA_HEX" >"$T/log/stop-inflight.out" 2>&1 &
        inflight=$!
        wait_until 5 rpc_count_at_least fwctl0 1 || fail "the first RPC never reached the device"
        for i in 1 2 3; do
                client --timeout-ms 15000 rpc fwctl0 0 64 "hex:$QA_HEX" >"$T/log/stop-queued-$i.out" 2>&1 &
                queued+=($!)
        done
        sleep 0.3
        harness_stop_daemon
        rc=$?
        trap - EXIT
        assert_eq 0 "$rc" "fwctld's exit status after SIGTERM"
        wait "$inflight"
        assert_eq 0 "$?" "the in-flight call's answer ($(tr '\n' ' ' <"$T/log/stop-inflight.out"))"
        assert_eq 64 "$(kv response_size <"$T/log/stop-inflight.out")" "its response (max_response 64)"
        for i in 1 2 3; do
                wait "${queued[i - 1]}"
                out=$(tr '\n' ' ' <"$T/log/stop-queued-$i.out")
                assert_match 'error=org\.freedesktop\.fwctl1\.Error\.Busy' "$out" "queued call $i"
                assert_match 'fwctld is stopping' "$out" "queued call $i's message"
        done
        assert_eq 0 "$(journal_json --after-cursor="$cursor" MESSAGE_ID=$MSGID_REMOVED | jq -s length)" \
                "device-removed records for the stop"
}
