# shellcheck shell=bash
# The holes of the outside review (issue 10), attacked from outside: as root, as
# fwtest (polkit allows configuration and debug-read-only, debug-write on fwctl0) and
# as fwdeny (no grant). Each test failed on the daemon before the fix.
#
# 1. buffers sized from what the driver writes   2. no raw pointer formats
# 3. one name, every door                          4. every change recorded, first
# 5. never taint without need

MSGID_SUPPRESSED=524d9a39ac2e45b085b03c21f8c96d22
SEC_DENY_FILE=/etc/fwctld/deny.d/45-security.conf
SEC_RULES=/etc/polkit-1/rules.d/40-fwctld-security.rules
SEC_RAW_TYPES=/etc/fwctld/raw-types.conf
CXL_U_RO=c3f1a8d2-6e4b-4a7c-b239-5d8e1f0a2b64 # read-only, 16 bytes

# sec_cxl_gf UUID OFFSET COUNT SELECTION -> raw Get Feature request
sec_cxl_gf() {
        echo "$(le32 0x501)00000000$(le32 21)00000000${1//-/}$(le16 "$2")$(le16 "$3")$(printf %02x "$4")"
}

sec_reload() { kill -HUP "$(bus_owner_pid)"; sleep 0.3; }

sec_plugindir() {
        mgr_prop Plugins | jq -r '.[] | select(.[0] == "mlx5") | .[2]' | xargs dirname
}

sec_execute() { # DEV OP JSON
        gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$1" \
                --method "$FWCTL_DEV_IFACE.Execute" "$2" "$3"
}

# ---------------------------------------------------------------- 1. buffers

# Mainline CXL Get Feature writes 8 + count bytes after the header into a buffer of
# exactly out_len: a small max_response must never reach the kernel as out_len.
test_sec_cxl_get_feature_small_max_response() {
        local d m who
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        for who in as_root "as_user fwtest"; do
                for m in 0 4 8 20; do
                        # shellcheck disable=SC2086
                        assert_ok $who "$FWCTL_CLIENT" rpc "$d" 0 "$m" "hex:$(sec_cxl_gf $CXL_U_RO 0 16 0)"
                        assert_eq "$m" "$(kv response_size <<<"$LAST_OUT")" "bytes returned for max_response $m"
                        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated for max_response $m"
                        assert_eq 24 "$(kv result.response_length <<<"$LAST_OUT")" "true length for max_response $m"
                        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status for max_response $m"
                done
        done
        # what fits is returned whole: 8-byte header + 16 bytes of data
        assert_ok client rpc "$d" 0 64 "hex:$(sec_cxl_gf $CXL_U_RO 0 16 0)"
        assert_eq 24 "$(kv response_size <<<"$LAST_OUT")" "whole reply"
        assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "whole reply not truncated"
        assert_match '^1000000000000000454d552d43584c2d54454c454d000001$' "$(kv response_hex <<<"$LAST_OUT")" "reply bytes"
}

# The driver accepts a longer in_len and any selection byte: so does fwctld now.
test_sec_cxl_accepts_what_the_driver_accepts() {
        local d
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        assert_ok client rpc "$d" 0 64 "hex:$(sec_cxl_gf $CXL_U_RO 0 16 0)000000"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "longer in_len"
        # selection 3 reaches the device, which answers with a mailbox code
        assert_ok client rpc "$d" 0 64 "hex:$(sec_cxl_gf $CXL_U_RO 0 16 3)"
        assert_ne 0 "$(kv result.status <<<"$LAST_OUT")" "mailbox status for selection 3"
        # shorter than the header says: the driver would read past its copy
        assert_dbus_error RequestRejected client rpc "$d" 0 64 "hex:$(sec_cxl_gf $CXL_U_RO 0 16 0 | cut -c1-70)"
}

# ---------------------------------------------------------------- 2. pointer formats

# A pds/bnxt device whose plugin did not load is shown but never served raw: the
# review wrote into the daemon through a raw pds struct naming a heap address.
test_sec_known_type_without_plugin_not_served() {
        local dir name before out kstruct
        dir=$(sec_plugindir)
        [ -f "$dir/pds.so" ] && [ -f "$dir/bnxt.so" ] || fail "plugins not installed in '$dir'"
        mkdir -p "$T/held-plugins"
        harness_planned_stop || fail "could not stop the daemon"
        mv "$dir/pds.so" "$dir/bnxt.so" "$T/held-plugins/"
        # shellcheck disable=SC2064
        trap "harness_stop_daemon; mv '$T/held-plugins/pds.so' '$T/held-plugins/bnxt.so' '$dir/'" EXIT
        harness_start_daemon

        out=$(mgr_prop Plugins)
        assert_eq '["pds",4,""]' "$(jq -c '.[] | select(.[1] == 4)' <<<"$out")" "pds listed as missing"
        assert_eq '["bnxt",3,""]' "$(jq -c '.[] | select(.[1] == 3)' <<<"$out")" "bnxt listed as missing"

        name=$(emu_add pds 0000:45:00.1) || fail "pds hot-add failed"
        wait_until 5 dev_exists "$name" || fail "$name not published"
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$name" "$FWCTL_DEV_IFACE" Info)
        assert_eq pds "$(jq -r '.data[2]' <<<"$out" | jq -r .plugin_missing)" "Info names the missing plugin"

        # the kernel's own 48-byte struct with made-up daemon addresses
        kstruct=0100000001000000000000001000000000100000007f000000000000000000000000000010000000002000000000007f
        before=$(emu_rpc_count "$name")
        assert_dbus_error PluginMissing as_user fwtest "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:$kstruct"
        assert_match 'pds plugin is not loaded' "$(kv message <<<"$LAST_OUT")" "message names the plugin"
        assert_dbus_error PluginMissing client rpc "$name" 0 64 "hex:$kstruct"
        assert_dbus_error PluginMissing sec_execute "$name" rpc '{}'
        assert_eq "$before" "$(emu_rpc_count "$name")" "RPCs reaching the pds device"

        name=$(emu_add bnxt 0000:45:00.2) || fail "bnxt hot-add failed"
        wait_until 5 dev_exists "$name" || fail "$name not published"
        assert_dbus_error PluginMissing client rpc "$name" 1 64 "hex:$(printf 'fffd%060x' 0)"
        assert_eq 0 "$(emu_rpc_count "$name")" "RPCs reaching the bnxt device"
}

# A type no plugin knows: raw to root only, unless the administrator opts it in.
test_sec_unknown_type_raw_root_only() {
        local name
        rm -f "$SEC_RAW_TYPES"
        name=$(emu_add sample 0000:45:00.0) || fail "sample device hot-add failed"
        wait_until 5 dev_exists "$name" || fail "$name not published"
        assert_eq '"generic"' "$(dev_prop "$name" Plugin)" "served by the fallback"

        assert_dbus_error NotAuthorized as_user fwtest "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:0102030405060708"
        assert_match 'raw-types.conf' "$(kv message <<<"$LAST_OUT")" "message says how to opt in"
        assert_dbus_error NotAuthorized as_user fwdeny "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:0102030405060708"
        assert_eq 0 "$(emu_rpc_count "$name")" "RPCs from non-root callers"

        assert_ok client rpc "$name" 0 64 "hex:0102030405060708"
        assert_eq 0102030405060708 "$(kv response_hex <<<"$LAST_OUT")" "root gets the echo"

        mkdir -p "$(dirname "$SEC_RAW_TYPES")"
        printf '# the sample driver\n8\n' >"$SEC_RAW_TYPES"
        sec_reload
        assert_ok as_user fwtest "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:0a0b"
        assert_eq 0a0b "$(kv response_hex <<<"$LAST_OUT")" "opted-in type served to fwtest"
        # polkit still decides: fwdeny has no grant
        assert_dbus_error NotAuthorized as_user fwdeny "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:0a0b"
        rm -f "$SEC_RAW_TYPES"
        sec_reload
        assert_dbus_error NotAuthorized as_user fwtest "$FWCTL_CLIENT" rpc "$name" 0 64 "hex:0a0b"
        emu remove "$name" >/dev/null 2>&1
}

# ---------------------------------------------------------------- 3. every door

test_sec_deny_rpc_name_stops_execute() {
        local before
        mkdir -p "$(dirname "$SEC_DENY_FILE")"
        printf 'mlx5 QUERY_ADAPTER\n' >"$SEC_DENY_FILE"
        # shellcheck disable=SC2064
        trap "rm -f '$SEC_DENY_FILE'; kill -HUP \$(bus_owner_pid)" EXIT
        sec_reload
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected sec_execute fwctl0 query-adapter '{}'
        assert_match 'QUERY_ADAPTER.*denied by local policy' "$LAST_OUT" "refusal names the RPC"
        assert_dbus_error RequestRejected as_user fwtest gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_DEV_PREFIX/fwctl0" --method "$FWCTL_DEV_IFACE.Execute" query-adapter '{}'
        assert_dbus_error RequestRejected client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
        # other operations are not affected
        assert_ok sec_execute fwctl0 query-hca-cap '{"op_mod": 0}'
}

# A rule's scope is a floor: "debug-read-only" also stops debug-write and -write-full.
test_sec_deny_scope_is_a_floor() {
        local before
        mkdir -p "$(dirname "$SEC_DENY_FILE")"
        printf 'mlx5 QUERY_ADAPTER debug-read-only\n' >"$SEC_DENY_FILE"
        # shellcheck disable=SC2064
        trap "rm -f '$SEC_DENY_FILE'; kill -HUP \$(bus_owner_pid)" EXIT
        sec_reload
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected client rpc fwctl0 1 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_dbus_error RequestRejected client rpc fwctl0 2 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_dbus_error RequestRejected client rpc fwctl0 3 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
}

# pds Execute "rpc" is seen by the deny list and polkit under the endpoint operation it sends.
test_sec_pds_execute_named_by_what_it_sends() {
        local name before
        name=$(emu_add pds 0000:45:00.3) || fail "pds hot-add failed"
        wait_until 5 dev_exists "$name" || fail "$name not published"
        printf 'pds ep1.op0x0002\n' >"$SEC_DENY_FILE"
        # shellcheck disable=SC2064
        trap "rm -f '$SEC_DENY_FILE'; kill -HUP \$(bus_owner_pid); emu remove '$name' >/dev/null 2>&1" EXIT
        sec_reload
        before=$(emu_rpc_count "$name")
        assert_dbus_error RequestRejected sec_execute "$name" rpc \
                '{"endpoint": 1, "operation": 2, "payload": "aabb", "response_size": 8}'
        assert_match 'ep1.op0x0002' "$LAST_OUT" "refusal names the endpoint operation"
        assert_eq "$before" "$(emu_rpc_count "$name")" "RPCs reaching the pds device"
        assert_ok sec_execute "$name" rpc '{"endpoint": 1, "operation": 1, "payload": "01020304", "response_size": 16}'
}

# polkit sees the RPC names an Execute issues, and whether it writes.
test_sec_polkit_details() {
        local before
        cat >"$SEC_RULES" <<'EOF'
polkit.addRule(function(action, subject) {
        if (subject.user != "fwtest" || action.id.indexOf("org.freedesktop.fwctl1.") != 0)
                return undefined;
        if (action.lookup("operation") == "QUERY_ADAPTER" && action.lookup("execute_operation") == "query-adapter")
                return polkit.Result.NO;
        if (action.lookup("configuration_write") == "true")
                return polkit.Result.NO;
        return undefined;
});
EOF
        chmod 0644 "$SEC_RULES"
        # shellcheck disable=SC2064
        trap "rm -f '$SEC_RULES'" EXIT
        sleep 1 # polkitd reloads rules on inotify
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error NotAuthorized as_user fwtest gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_DEV_PREFIX/fwctl0" --method "$FWCTL_DEV_IFACE.Execute" query-adapter '{}'
        # an ACCESS_REG write (op_mod 0) is a configuration write: refused; the read passes
        assert_dbus_error NotAuthorized as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$(mlx5_req 0x805 0)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
        assert_ok as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 1 512 "hex:$(mlx5_req 0x805 1)"
        assert_ok as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
}

# ---------------------------------------------------------------- 4. records

# An ACCESS_REG write at scope 0 changes the device: attempt and result records.
test_sec_configuration_write_journaled() {
        local pid n
        assert_ok as_user fwtest "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$(mlx5_req 0x805 0)"
        pid=$(kv pid <<<"$LAST_OUT")
        n=$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_CALLER_PID="$pid" FWCTL_OPERATION=ACCESS_REG \
                FWCTL_CONFIGURATION_WRITE=1 FWCTL_SCOPE=0 | jq -s length)
        assert_eq 1 "$n" "attempt records"
        n=$(journal_json MESSAGE_ID=$MSGID_RESULT FWCTL_CALLER_PID="$pid" FWCTL_RESULT=ok FWCTL_ISSUED_SCOPE=0 \
                FWCTL_CALLER_UID=4242 | jq -s length)
        assert_eq 1 "$n" "result records"
        # a read leaves none
        assert_ok client rpc fwctl0 1 512 "hex:$(mlx5_req 0x805 1)"
        pid=$(kv pid <<<"$LAST_OUT")
        assert_eq 0 "$(journal_json FWCTL_CALLER_PID="$pid" | jq -s length)" "records of a read"
}

# Each RPC of an Execute is recorded under its own name, and the operation's.
test_sec_execute_rpcs_journaled_by_name() {
        local d out n
        d=$(cxl_dev) || fail "no cxl device"
        emu fault "$d" none >/dev/null
        out=$(sec_execute "$d" set-feature '{"uuid": "7a4c2e91-3b6d-4f08-8c15-9e2a7b3c4d51", "data": "0102000004000000"}') \
                || fail "set-feature failed: $out"
        n=$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_DEVICE="$d" FWCTL_OPERATION=SET_FEATURE \
                FWCTL_EXECUTE_OPERATION=set-feature | jq -s length)
        assert_ge 1 "$n" "SET_FEATURE attempt records under set-feature"
        n=$(journal_json MESSAGE_ID=$MSGID_RESULT FWCTL_DEVICE="$d" FWCTL_OPERATION=SET_FEATURE \
                FWCTL_EXECUTE_OPERATION=set-feature FWCTL_RESULT=ok | jq -s length)
        assert_ge 1 "$n" "SET_FEATURE result records"
}

# No attempt record, no call: with journald gone the socket refuses the record.
test_sec_audit_fails_closed() {
        local jpid before
        jpid=$(pgrep -f systemd-journald | head -n 1)
        [ -n "$jpid" ] || fail "no journald"
        # shellcheck disable=SC2064
        trap "harness_start_journald >/dev/null 2>&1" EXIT
        kill -STOP "$jpid"
        kill -KILL "$jpid"
        wait_until 5 pid_gone "$jpid" || fail "journald did not stop"
        [ -S /run/systemd/journal/socket ] || fail "journal socket vanished with journald"
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error AuditFailed client rpc fwctl0 0 512 "hex:$(mlx5_req 0x805 0)"
        assert_dbus_error AuditFailed client rpc fwctl0 2 512 "hex:$(mlx5_req $MLX5_SET_DIAGNOSTIC_PARAMS)"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0 without a journal"
        # reads need no record and still work
        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        harness_start_journald
        trap - EXIT
        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req 0x805 0)"
}

# A user with no grant cannot flood the journal: 10 records per 10 s, then a summary.
test_sec_denial_records_limited_per_uid() {
        local before after i n
        before=$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_CALLER_UID=4243 | jq -s length)
        for ((i = 0; i < 40; i++)); do
                as_user fwdeny "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)" >/dev/null 2>&1
        done
        after=$(journal_json MESSAGE_ID=$MSGID_DENIED FWCTL_CALLER_UID=4243 | jq -s length)
        n=$((after - before))
        [ "$n" -ge 1 ] && [ "$n" -le 10 ] || fail "denial records for 40 refusals: $n (expected 1..10)"
        # root's calls are still recorded meanwhile
        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req 0x805 0)"
        assert_eq 1 "$(journal_json MESSAGE_ID=$MSGID_RESULT FWCTL_CALLER_PID="$(kv pid <<<"$LAST_OUT")" | jq -s length)" \
                "root's result record"
        wait_until 25 sh -c "journalctl --sync; journalctl --directory=/run/log/journal -o json \
                MESSAGE_ID=$MSGID_SUPPRESSED FWCTL_CALLER_UID=4243 | grep -q FWCTL_SUPPRESSED" \
                || fail "no summary record for the suppressed denials"
        n=$(journal_json MESSAGE_ID=$MSGID_SUPPRESSED FWCTL_CALLER_UID=4243 | jq -s '[.[].FWCTL_SUPPRESSED | tonumber] | add')
        assert_ge 30 "$n" "denials counted in summaries"
}

# ---------------------------------------------------------------- 5. taint

# QUERY_ADAPTER needs configuration: sent at debug-write it runs at 0 and taints nothing.
test_sec_no_needless_taint() {
        local pid d
        echo 0 >"$T/tainted"
        assert_ok client rpc fwctl0 2 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 2 "$(kv result.scope <<<"$LAST_OUT")" "authorised scope"
        assert_eq 0 "$(kv result.issued_scope <<<"$LAST_OUT")" "issued scope"
        assert_eq 0 "$(cat "$T/tainted")" "taint word after QUERY_ADAPTER at debug-write"
        pid=$(kv pid <<<"$LAST_OUT")
        assert_eq 1 "$(journal_json MESSAGE_ID=$MSGID_RESULT FWCTL_CALLER_PID="$pid" FWCTL_SCOPE=2 \
                FWCTL_ISSUED_SCOPE=0 | jq -s length)" "result record with both scopes"
        d=$(cxl_dev) || fail "no cxl device"
        assert_ok client rpc "$d" 3 64 "hex:$(sec_cxl_gf $CXL_U_RO 0 16 0)"
        assert_eq 0 "$(kv result.issued_scope <<<"$LAST_OUT")" "cxl Get Feature issued scope"
        assert_eq 0 "$(cat "$T/tainted")" "taint word after Get Feature at debug-write-full"
        # a request that needs debug-write still taints, as it must
        assert_ok client rpc fwctl0 2 512 "hex:$(mlx5_req $MLX5_SET_DIAGNOSTIC_PARAMS)"
        assert_eq 2 "$(kv result.issued_scope <<<"$LAST_OUT")" "SET_DIAGNOSTIC_PARAMS issued scope"
        (( ($(cat "$T/tainted") & TAINT_FWCTL) != 0 )) || fail "SET_DIAGNOSTIC_PARAMS did not taint"
        echo 0 >"$T/tainted"
}
