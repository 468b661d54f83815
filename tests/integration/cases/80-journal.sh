# shellcheck shell=bash
# Audit records in the journal for taint-scope RPCs (read back from the real
# journald: sd_journal_send() succeeds even when nothing listens).

QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

# journal_entry MSGID PID -> the single entry for that caller pid (waits a little)
journal_entry() {
        local i out
        for ((i = 0; i < 40; i++)); do
                out=$(journal_json MESSAGE_ID="$1" FWCTL_CALLER_PID="$2")
                [ -n "$out" ] && break
                sleep 0.05
        done
        printf '%s\n' "$out"
}

# check_audit_fields JSON KIND SCOPE RESULT
check_audit_fields() {
        local j=$1 kind=$2 f parent
        for f in FWCTL_DEVICE FWCTL_DEVICE_TYPE FWCTL_PARENT FWCTL_SCOPE FWCTL_OPERATION \
                 FWCTL_REQUEST_SIZE FWCTL_RESULT FWCTL_CALLER_UID FWCTL_CALLER_PID FWCTL_CALLER_UNIT \
                 FWCTL_KERNEL_TAINTED_BEFORE; do
                jq -e --arg f "$f" 'has($f)' <<<"$j" >/dev/null || fail "$kind entry lacks $f: $j"
        done
        parent=$(dev_prop fwctl0 Parent | jq -r .)
        assert_eq fwctl0 "$(jq -r .FWCTL_DEVICE <<<"$j")" "$kind FWCTL_DEVICE"
        assert_match '^(mlx5|1)$' "$(jq -r .FWCTL_DEVICE_TYPE <<<"$j")" "$kind FWCTL_DEVICE_TYPE"
        assert_eq "$parent" "$(jq -r .FWCTL_PARENT <<<"$j")" "$kind FWCTL_PARENT"
        assert_eq "$3" "$(jq -r .FWCTL_SCOPE <<<"$j")" "$kind FWCTL_SCOPE"
        assert_match '.' "$(jq -r .FWCTL_OPERATION <<<"$j")" "$kind FWCTL_OPERATION"
        assert_eq 16 "$(jq -r .FWCTL_REQUEST_SIZE <<<"$j")" "$kind FWCTL_REQUEST_SIZE"
        assert_eq "$4" "$(jq -r .FWCTL_RESULT <<<"$j")" "$kind FWCTL_RESULT"
        assert_eq 0 "$(jq -r .FWCTL_CALLER_UID <<<"$j")" "$kind FWCTL_CALLER_UID"
        assert_match '^[01]$' "$(jq -r .FWCTL_KERNEL_TAINTED_BEFORE <<<"$j")" "$kind FWCTL_KERNEL_TAINTED_BEFORE"
        # _AFTER is only knowable once the ioctl returned: required on the result entry
        if [ "$kind" = result ]; then
                assert_match '^[01]$' "$(jq -r .FWCTL_KERNEL_TAINTED_AFTER <<<"$j")" "$kind FWCTL_KERNEL_TAINTED_AFTER"
        fi
}

test_journal_scope2_attempt_and_result() {
        local pid a r
        assert_ok client rpc fwctl0 2 64 "hex:$QA_HEX"
        pid=$(kv pid <<<"$LAST_OUT")
        a=$(journal_entry $MSGID_ATTEMPT "$pid")
        r=$(journal_entry $MSGID_RESULT "$pid")
        [ -n "$a" ] || fail "no attempt entry (MESSAGE_ID=$MSGID_ATTEMPT) for pid $pid"
        [ -n "$r" ] || fail "no result entry (MESSAGE_ID=$MSGID_RESULT) for pid $pid"
        assert_eq 1 "$(wc -l <<<"$a")" "attempt entries for one call"
        assert_eq 1 "$(wc -l <<<"$r")" "result entries for one call"
        check_audit_fields "$a" attempt 2 pending
        check_audit_fields "$r" result 2 ok
        assert_eq 1 "$(jq -r .FWCTL_KERNEL_TAINTED_AFTER <<<"$r")" "result FWCTL_KERNEL_TAINTED_AFTER"
        assert_eq "$pid" "$(jq -r .FWCTL_CALLER_PID <<<"$r")" "FWCTL_CALLER_PID"
        # attempt is recorded before the result
        [ "$(jq -r .__REALTIME_TIMESTAMP <<<"$a")" -le "$(jq -r .__REALTIME_TIMESTAMP <<<"$r")" ] \
                || fail "attempt entry is later than the result entry"
}

test_journal_scope3_and_device_error() {
        local pid r
        assert_ok client rpc fwctl0 3 64 "hex:$QA_HEX"
        pid=$(kv pid <<<"$LAST_OUT")
        r=$(journal_entry $MSGID_RESULT "$pid")
        [ -n "$r" ] || fail "no result entry for the scope-3 call"
        check_audit_fields "$r" result 3 ok

        # a firmware failure at a tainting scope: delivered (and tainting), then an errno
        assert_match '^ok' "$(emu fault fwctl0 cmd-timeout)" "emu fault"
        assert_dbus_error DeviceError client rpc fwctl0 2 64 "hex:$QA_HEX"
        emu fault fwctl0 none >/dev/null
        pid=$(kv pid <<<"$LAST_OUT")
        [ -n "$(journal_entry $MSGID_ATTEMPT "$pid")" ] || fail "no attempt entry for the refused call"
        r=$(journal_entry $MSGID_RESULT "$pid")
        [ -n "$r" ] || fail "no result entry for the refused call"
        assert_eq ETIMEDOUT "$(jq -r .FWCTL_RESULT <<<"$r")" "FWCTL_RESULT of a firmware timeout"
        # the kernel taints before the driver validates
        assert_eq 1 "$(jq -r .FWCTL_KERNEL_TAINTED_AFTER <<<"$r")" "FWCTL_KERNEL_TAINTED_AFTER"
}

test_journal_low_scope_not_audited() {
        local pid
        assert_ok client rpc fwctl0 0 64 "hex:$QA_HEX"
        pid=$(kv pid <<<"$LAST_OUT")
        sleep 0.2
        assert_eq "" "$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_CALLER_PID="$pid")" "attempt entry for a scope-0 call"
}

test_journal_catalog() {
        local id cat
        journalctl --update-catalog >/dev/null 2>&1 || fail "journalctl --update-catalog failed"
        cat=$(journalctl --list-catalog --no-pager 2>/dev/null)
        for id in $MSGID_ATTEMPT $MSGID_RESULT $MSGID_DENIED $MSGID_ADDED $MSGID_REMOVED; do
                grep -q "^$id " <<<"$cat" || fail "MESSAGE_ID $id not in the installed catalog"
        done
}
