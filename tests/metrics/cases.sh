# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/metrics: fwctlctl metrics, promtool and a real node_exporter (run.sh sources this
# inside the integration harness; each test_* runs in a sub-shell, in file order, and the
# later ones read what the earlier ones left in $MX).

MX=$T/metrics
PY=/usr/bin/python3
EXPO=$SRCDIR/tests/metrics/expo.py
UNIT=/usr/lib/systemd/system/fwctld-metrics.service
TIMER=/usr/lib/systemd/system/fwctld-metrics.timer
QA=01010000000000000000000000000000        # mlx5 QUERY_ADAPTER, scope 0: 272 bytes back
UNKNOWN=0fff0000000000000000000000000000   # an opcode the mlx5 plugin refuses
# cxl Get Feature (0x0501) of the read-only feature c3f1a8d2-..., offset 0, 16 bytes
CXL_GF=01050000000000001500000000000000c3f1a8d26e4b4a7cb2395d8e1f0a2b640000100000
FWCTL0='device="fwctl0",type="mlx5",pci_address="0000:03:00.0"'
mkdir -p "$MX"

# the value of one sample line (exact match of everything before the value), or 0
value_of() { # TEXT SERIES
        awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print substr($0, length(s) + 2); found = 1 }
                       END { if (!found) print 0 }' <<<"$1"
}

json_calls() { # JSON DEVICE SCOPE RESULT
        jq --arg d "$2" --arg s "$3" --arg r "$4" \
                '[.devices[] | select(.name == $d) | .calls[] | select(.scope == $s and .result == $r) | .count] | add // 0' <<<"$1"
}

# The integer samples fwctlctl must print for a GetMetrics document, computed here with
# jq from the JSON alone (the histogram's sum is a float: compared in the scrape test).
expected_lines() {
        jq -r '
          def lbl: "device=\"\(.name)\",type=\"\(.type)\",pci_address=\"\(.pci_address)\"";
          def series(p; l):
            (.calls[] | "\(p)calls_total{\(l)\(if l == "" then "" else "," end)scope=\"\(.scope)\",result=\"\(.result)\"} \(.count)"),
            (.denials[] | "\(p)denials_total{\(l)\(if l == "" then "" else "," end)reason=\"\(.reason)\"} \(.count)"),
            (.device_status[] | "\(p)device_status_total{\(l)\(if l == "" then "" else "," end)status=\"\(.name)\"} \(.count)"),
            (.latency_seconds.buckets[] | "\(p)call_duration_seconds_bucket{\(l)\(if l == "" then "" else "," end)le=\"\(.le)\"} \(.count)"),
            ("\(p)call_duration_seconds_count\(if l == "" then "" else "{\(l)}" end) \(.latency_seconds.count)"),
            ("\(p)bytes_received_total\(if l == "" then "" else "{\(l)}" end) \(.bytes_in)"),
            ("\(p)bytes_sent_total\(if l == "" then "" else "{\(l)}" end) \(.bytes_out)");
          (.devices[] | (lbl as $l | series("fwctl_"; $l),
                         "fwctl_queue_depth{\($l)} \(.queue_depth)",
                         "fwctl_calls_in_progress{\($l)} \(.calls_in_progress)",
                         "fwctl_device_info{\($l),parent=\"\(.parent)\"} 1")),
          (.total | series("fwctl_daemon_"; "")),
          "fwctl_kernel_tainted \(if .kernel_tainted then 1 else 0 end)",
          "fwctl_devices \(.devices | length)",
          "fwctl_devices_added_total \(.devices_added)",
          "fwctl_devices_removed_total \(.devices_removed)",
          "fwctl_daemon_calls_in_progress \(.calls_in_progress)"' <<<"$1"
}

# every expected line is in the text, exactly
assert_text_matches_json() { # TEXT JSON
        local line missing=()
        while IFS= read -r line; do
                grep -qxF -- "$line" <<<"$1" || missing+=("$line")
        done < <(expected_lines "$2")
        [ ${#missing[@]} -eq 0 ] || fail "${#missing[@]} sample(s) missing from the text, e.g. '${missing[0]}'"
}

assert_promtool_clean() { # FILE
        local out rc=0
        out=$(promtool check metrics <"$1" 2>&1) || rc=$?
        [ "$rc" -eq 0 ] && [ -z "$out" ] || fail "promtool check metrics (exit $rc): ${out:0:400}"
}

# The ExecStart= of the installed fwctld-metrics.service, run as systemd would (its
# UMask=0077, FWCTLD_METRICS_DIR from the environment) but writing into DIR.
run_unit_command() { # DIR
        local cmd
        cmd=$(sed -n 's/^ExecStart=//p' "$UNIT")
        [ -n "$cmd" ] || fail "no ExecStart= in $UNIT"
        env FWCTLD_METRICS_DIR="$1" bash -c "umask 0077; exec $cmd"
}

test_metrics_text_after_calls() {
        local before after text ok0 rc=0
        before=$(fwctlctl --json metrics) || fail "fwctlctl --json metrics failed"
        printf '%s\n' "$before" >"$MX/before.json"

        assert_ok fwctlctl rpc fwctl0 --in "$QA" --max 512
        assert_ok fwctlctl rpc fwctl0 --in "$QA" --max 512
        fwctlctl rpc fwctl0 --in "$UNKNOWN" --max 512 >/dev/null 2>&1 || rc=$?
        assert_eq 5 "$rc" "exit status of a rejected call"
        rc=0
        as_user fwdeny fwctlctl --no-ask-password rpc fwctl0 --in "$QA" --max 512 >/dev/null 2>&1 || rc=$?
        assert_eq 4 "$rc" "exit status of an unauthorised call"
        # a device status of its own: the cxl mailbox answers Busy (a successful call)
        emu fault fwctl1 busy >/dev/null || fail "emu fault busy"
        assert_ok fwctlctl rpc fwctl1 --in "$CXL_GF" --max 64
        emu fault fwctl1 none >/dev/null

        text=$(fwctlctl metrics) || fail "fwctlctl metrics failed"
        after=$(fwctlctl --json metrics) || fail "fwctlctl --json metrics failed"
        printf '%s\n' "$text" >"$MX/after.prom"
        printf '%s\n' "$after" >"$MX/after.json"
        echo "$text"

        ok0=$(json_calls "$before" fwctl0 configuration ok)
        assert_eq $((ok0 + 2)) "$(value_of "$text" "fwctl_calls_total{$FWCTL0,scope=\"configuration\",result=\"ok\"}")" "ok calls"
        assert_eq $(($(json_calls "$before" fwctl0 configuration RequestRejected) + 1)) \
                "$(value_of "$text" "fwctl_calls_total{$FWCTL0,scope=\"configuration\",result=\"RequestRejected\"}")" "rejected calls"
        assert_eq $(($(json_calls "$before" fwctl0 configuration NotAuthorized) + 1)) \
                "$(value_of "$text" "fwctl_calls_total{$FWCTL0,scope=\"configuration\",result=\"NotAuthorized\"}")" "unauthorised calls"
        assert_ge 1 "$(value_of "$text" "fwctl_denials_total{$FWCTL0,reason=\"denied\"}")" "polkit denials"
        assert_match 'fwctl_device_status_total\{device="fwctl1",type="cxl",pci_address="0000:0d:00.0",status="[^"]+"\} [1-9]' \
                "$text" "the cxl Busy status"
        assert_ge 544 "$(value_of "$text" "fwctl_bytes_sent_total{$FWCTL0}")" "bytes sent: two replies of 272"
        assert_eq 0 "$(value_of "$text" "fwctl_queue_depth{$FWCTL0}")" "queue depth at rest"
        assert_eq 0 "$(value_of "$text" "fwctl_kernel_tainted")" "taint"
        assert_eq 2 "$(value_of "$text" "fwctl_devices")" "devices"
        assert_match "fwctl_last_error_timestamp_seconds\\{$FWCTL0,error=\"NotAuthorized\"\\} 1[0-9]{9}" "$text" "last error"
        assert_match 'fwctl_call_duration_seconds_bucket\{device="fwctl0",[^}]*le="\+Inf"\} [1-9]' "$text" "histogram +Inf"
        # every family has HELP and TYPE lines, once, before its samples
        assert_eq "" "$(awk '/^# TYPE/ { t[$3]++ } /^# HELP/ { h[$3]++ }
                           !/^#/ { n = $1; sub(/\{.*/, "", n); b = n; sub(/_(bucket|sum|count)$/, "", b)
                                   if (!(n in t) && !(b in t)) print "no TYPE before " n }
                           END { for (k in t) if (t[k] != 1 || h[k] != 1) print k " has " t[k] " TYPE, " h[k] " HELP" }' <<<"$text")" \
                "HELP and TYPE"
        assert_text_matches_json "$text" "$after"
}

test_metrics_promtool_accepts() {
        [ -s "$MX/after.prom" ] || fail "no metrics from the first test"
        assert_promtool_clean "$MX/after.prom"
        # and so does the text with no call made yet on a device: a fresh hot-plugged one
        promtool --version | head -n 1
}

test_metrics_json_as_the_daemon_sent_it() {
        local busctl_doc ours
        # no Rpc/Execute in between: the document does not change
        busctl_doc=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" GetMetrics |
                jq -j '.data[0]') || fail "busctl GetMetrics"
        ours=$(fwctlctl --json metrics) || fail "fwctlctl --json metrics"
        assert_eq "$busctl_doc" "$ours" "fwctlctl --json metrics vs the daemon's document"
}

test_metrics_any_user() {
        local out
        out=$(as_user fwdeny fwctlctl metrics) || fail "fwctlctl metrics as fwdeny (polkit says no to everything)"
        assert_match "fwctl_calls_total\\{$FWCTL0," "$out" "per-device counters for any user"
}

test_metrics_out_is_atomic() {
        local d=$MX/out f ino1 ino2 rc=0 err
        mkdir -p "$d"
        f=$d/fwctld.prom
        (umask 0077 && fwctlctl metrics --out "$f") || fail "metrics --out"
        assert_eq 644 "$(stat -c %a "$f")" "mode under umask 0077"
        ino1=$(stat -c %i "$f")
        assert_promtool_clean "$f"
        (umask 0077 && fwctlctl metrics -o "$f") || fail "metrics -o again"
        ino2=$(stat -c %i "$f")
        assert_ne "$ino1" "$ino2" "a new file renamed over the old one"
        assert_eq "fwctld.prom" "$(ls -A "$d")" "no temporary file left"
        # --json --out: the document, the same way
        fwctlctl --json metrics --out "$d/fwctld.json" || fail "--json --out"
        jq -e '.version == 1' "$d/fwctld.json" >/dev/null || fail "--json --out wrote no document"
        rm -f "$d/fwctld.json"
        # a directory that does not exist: exit 1, a message, nothing written
        err=$(fwctlctl metrics --out "$MX/nowhere/fwctld.prom" 2>&1) || rc=$?
        assert_eq 1 "$rc" "exit status for a missing directory"
        assert_match "nowhere/fwctld.prom: No such file or directory" "$err" "message"
        assert_false "nothing created" test -e "$MX/nowhere"
        # the installed unit's own command line writes the same file
        run_unit_command "$d" || fail "the unit's ExecStart failed"
        assert_eq 644 "$(stat -c %a "$f")" "mode of the unit's file"
        assert_eq "fwctld.prom" "$(ls -A "$d")" "the unit's run left one file"
}

test_metrics_units_verify() {
        local out score
        assert_true "timer installed" test -f "$TIMER"
        out=$(systemd-analyze verify --man=no "$UNIT" "$TIMER" 2>&1) || fail "systemd-analyze verify: $out"
        [ -z "$out" ] || fail "systemd-analyze verify says: ${out:0:400}"
        grep -qx 'Type=oneshot' "$UNIT" || fail "the service is not Type=oneshot"
        grep -qx 'Environment=FWCTLD_METRICS_DIR=/var/lib/prometheus/node-exporter' "$UNIT" \
                || fail "the default directory is not Debian's node_exporter textfile directory"
        # Debian's node_exporter reads that directory by default
        prometheus-node-exporter --help 2>&1 | grep -- '--collector.textfile.directory="/var/lib/prometheus/node-exporter"' >/dev/null \
                || fail "prometheus-node-exporter's default textfile directory changed"
        out=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1)
        score=$(sed -n 's/.*Overall exposure level for fwctld-metrics.service: \([0-9.]*\).*/\1/p' <<<"$out")
        [[ $score =~ ^[0-9]+\.[0-9]+$ ]] || fail "no exposure score: ${out: -300}"
        echo "systemd-analyze security: fwctld-metrics.service exposure $score"
        awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' \
                || fail "fwctld-metrics.service exposure $score > 1.5: $(grep '✗' <<<"$out" | head -n 12)"
}

free_port() {
        "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# node_exporter as Debian's unit runs it (user prometheus), only the textfile collector
start_node_exporter() { # DIR PORT LOG
        setpriv --reuid=prometheus --regid=prometheus --clear-groups -- \
                prometheus-node-exporter --collector.disable-defaults --collector.textfile \
                --collector.textfile.directory="$1" --web.listen-address="127.0.0.1:$2" >"$3" 2>&1 &
        NE_PID=$!
        wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$2/metrics" \
                || { cat "$3" >&2; fail "node_exporter not answering on 127.0.0.1:$2"; }
}

assert_scrape_has_file() { # SCRAPE FILE
        local want got
        want=$("$EXPO" fwctl_ <"$2") || fail "fwctlctl's text does not parse: $(grep UNPARSED <<<"$want" | head -n 1)"
        got=$("$EXPO" fwctl_ <<<"$1") || fail "the scrape does not parse"
        [ -n "$want" ] || fail "no fwctl_ sample in $2"
        diff <(echo "$want") <(echo "$got") >"$MX/scrape.diff" \
                || fail "node_exporter serves other fwctl_ samples than the file: $(head -n 6 "$MX/scrape.diff")"
}

test_metrics_node_exporter_scrape() {
        local d=$MX/textfile port scrape ok1 ok2 log=$T/log/node-exporter.log
        mkdir -p "$d"
        run_unit_command "$d" || fail "the unit's command"
        port=$(free_port) || fail "no free port"
        NE_PID=""
        trap '[ -n "$NE_PID" ] && kill "$NE_PID" 2>/dev/null' EXIT
        start_node_exporter "$d" "$port" "$log"
        echo "node_exporter $(prometheus-node-exporter --version 2>&1 | head -n 1) on 127.0.0.1:$port, textfile dir $d"

        scrape=$(curl -sf "http://127.0.0.1:$port/metrics") || fail "scrape"
        printf '%s\n' "$scrape" >"$MX/scrape1.txt"
        assert_match 'node_textfile_scrape_error 0' "$scrape" "the textfile collector read the file"
        assert_match "node_textfile_mtime_seconds\\{file=\"[^\"]*fwctld.prom\"\\}" "$scrape" "the file's mtime"
        assert_match '# TYPE fwctl_call_duration_seconds histogram' "$scrape" "histogram type kept"
        assert_match '# HELP fwctl_calls_total Rpc and Execute calls' "$scrape" "help kept"
        assert_scrape_has_file "$scrape" "$d/fwctld.prom"
        ok1=$(grep -E '^fwctl_calls_total\{' <<<"$scrape" | grep 'device="fwctl0"' | grep 'result="ok"' |
                grep 'scope="configuration"' | awk '{ print $2 }')
        [[ $ok1 =~ ^[0-9]+$ ]] && [ "$ok1" -ge 2 ] || fail "fwctl0's ok calls in the scrape: '$ok1'"

        # live: one more call, the next run of the unit, the next scrape sees it
        assert_ok fwctlctl rpc fwctl0 --in "$QA" --max 512
        run_unit_command "$d" || fail "the unit's command, second run"
        scrape=$(curl -sf "http://127.0.0.1:$port/metrics") || fail "second scrape"
        ok2=$(grep -E '^fwctl_calls_total\{' <<<"$scrape" | grep 'device="fwctl0"' | grep 'result="ok"' |
                grep 'scope="configuration"' | awk '{ print $2 }')
        assert_eq $((ok1 + 1)) "$ok2" "ok calls after one more"
        assert_scrape_has_file "$scrape" "$d/fwctld.prom"
        grep -c '^fwctl_' <<<"$scrape" | sed 's/^/fwctl_ samples scraped: /'
}

test_metrics_hotplug() {
        local before after bnxt text rc=0
        before=$(fwctlctl --json metrics) || fail "metrics"
        bnxt=$(emu_add bnxt 0000:05:00.0) || fail "emu add bnxt"
        wait_until 5 dev_exists "$bnxt" || fail "$bnxt not published"
        text=$(fwctlctl metrics) || fail "metrics with $bnxt"
        assert_eq $(($(jq .devices_added <<<"$before") + 1)) "$(value_of "$text" fwctl_devices_added_total)" "devices added"
        assert_eq 3 "$(value_of "$text" fwctl_devices)" "devices now"
        assert_match "fwctl_device_info\\{device=\"$bnxt\",type=\"bnxt\",pci_address=\"0000:05:00.0\",parent=\"/sys/" "$text" "info"
        # a fresh device has no call yet: its families still check
        printf '%s\n' "$text" >"$MX/hotplug.prom"
        assert_promtool_clean "$MX/hotplug.prom"
        assert_ok fwctlctl exec "$bnxt" ver-get
        fwctlctl rpc "$bnxt" --in 00 >/dev/null 2>&1 || rc=$?
        [ "$rc" -ne 0 ] || fail "a one-byte bnxt request succeeded"
        emu remove "$bnxt" >/dev/null || fail "emu remove"
        wait_until 5 sh -c "! busctl --system --timeout=1 introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$bnxt" || fail "still there"
        text=$(fwctlctl metrics) || fail "metrics after the removal"
        after=$(fwctlctl --json metrics) || fail "json after the removal"
        assert_eq $(($(jq .devices_removed <<<"$before") + 1)) "$(value_of "$text" fwctl_devices_removed_total)" "devices removed"
        assert_false "the removed device's series are gone" grep -q "device=\"$bnxt\"" <<<"$text"
        # the daemon's totals keep the removed device's calls
        assert_ge $(($(jq '[.total.calls[].count] | add' <<<"$before") + 2)) \
                "$(jq '[.total.calls[].count] | add' <<<"$after")" "totals keep a removed device's calls"
        assert_text_matches_json "$text" "$after"
}

# A stand-in fwctld on a private bus serves documents the emulator cannot produce.
start_fake_fwctld() { # DOC
        local bus=$MX/fake-bus
        rm -f "$bus"
        dbus-daemon --session --nofork --nopidfile --address="unix:path=$bus" >"$T/log/fake-bus.log" 2>&1 &
        FAKE_PIDS=("$!")
        wait_until 5 test -S "$bus" || fail "private bus did not start"
        DBUS_SESSION_BUS_ADDRESS="unix:path=$bus" "$PY" "$SRCDIR/tests/metrics/fake-fwctld.py" "$1" \
                >"$MX/fake.out" 2>"$T/log/fake-fwctld.log" &
        FAKE_PIDS+=("$!")
        wait_until 10 grep -q ready "$MX/fake.out" || { cat "$T/log/fake-fwctld.log" >&2; fail "fake fwctld not ready"; }
        FAKE_BUS="unix:path=$bus"
}

stop_fake_fwctld() {
        local p
        for p in "${FAKE_PIDS[@]}"; do
                kill "$p" 2>/dev/null
        done
}

test_metrics_label_escaping() {
        local doc=$MX/fake.json text line want_json
        FAKE_PIDS=()
        trap stop_fake_fwctld EXIT
        # a device name with a quote, a backslash and a newline; a parent with a backslash;
        # a status name outside ASCII; the totals with a quote in a status name
        jq -n -c '{version: 1, kernel_tainted: true, devices_added: 1, devices_removed: 0, calls_in_progress: 0,
                   devices: [{name: "we\"ird\\dev\nice", type: "mlx5", pci_address: "0000:03:00.0",
                              parent: "/sys/devices/a\\b", calls_in_progress: 1, queue_depth: 1,
                              calls: [{scope: "configuration", result: "ok", count: 3}],
                              denials: [], device_status: [{name: "ÉTAT_\"7\"", count: 2}],
                              latency_seconds: {buckets: [{le: 0.0001, count: 1}, {le: 0.0005, count: 2},
                                                          {le: "+Inf", count: 3}], sum: 0.000731, count: 3},
                              bytes_in: 48, bytes_out: 816,
                              last_error: {name: "org.freedesktop.fwctl1.Error.Busy", message: "m", time_usec: 1764460800250000}}],
                   total: {calls: [{scope: "debug-write", result: "DeviceError", count: 1}], denials: [],
                           device_status: [], latency_seconds: {buckets: [{le: "+Inf", count: 1}], sum: 2.5, count: 1},
                           bytes_in: 0, bytes_out: 0, last_error: null}}' >"$doc"
        start_fake_fwctld "$doc"
        text=$(DBUS_SYSTEM_BUS_ADDRESS=$FAKE_BUS fwctlctl metrics) || fail "fwctlctl metrics against the stand-in"
        echo "$text"
        printf '%s\n' "$text" >"$MX/escaped.prom"
        local dev='device="we\"ird\\dev\nice",type="mlx5",pci_address="0000:03:00.0"'
        for line in \
                "fwctl_device_info{$dev,parent=\"/sys/devices/a\\\\b\"} 1" \
                "fwctl_calls_total{$dev,scope=\"configuration\",result=\"ok\"} 3" \
                "fwctl_device_status_total{$dev,status=\"ÉTAT_\\\"7\\\"\"} 2" \
                "fwctl_call_duration_seconds_bucket{$dev,le=\"0.0001\"} 1" \
                "fwctl_call_duration_seconds_bucket{$dev,le=\"0.0005\"} 2" \
                "fwctl_call_duration_seconds_bucket{$dev,le=\"+Inf\"} 3" \
                "fwctl_call_duration_seconds_sum{$dev} 0.000731" \
                "fwctl_last_error_timestamp_seconds{$dev,error=\"Busy\"} 1764460800.25" \
                "fwctl_queue_depth{$dev} 1" \
                "fwctl_kernel_tainted 1" \
                "fwctl_daemon_calls_total{scope=\"debug-write\",result=\"DeviceError\"} 1" \
                "fwctl_daemon_call_duration_seconds_sum 2.5"; do
                grep -qxF -- "$line" <<<"$text" || fail "missing: $line"
        done
        assert_false "no denials family without samples" grep -q 'fwctl_denials_total' <<<"$text"
        assert_false "no last error family for the totals (null)" grep -q 'fwctl_daemon_last_error' <<<"$text"
        assert_promtool_clean "$MX/escaped.prom"
        # the parser of expo.py reads back the same label values
        "$EXPO" fwctl_device_info <"$MX/escaped.prom" | grep -F 'device="we\"ird\\dev\nice"' >/dev/null || fail "labels do not read back"

        # --json: the stand-in's document, byte for byte
        want_json=$(cat "$doc")
        assert_eq "$want_json" "$(DBUS_SYSTEM_BUS_ADDRESS=$FAKE_BUS fwctlctl --json metrics)" "--json as sent"
        # a document version this fwctlctl does not know: refused, exit 1, nothing written
        jq -c '.version = 2' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
        local rc=0 err
        err=$(DBUS_SYSTEM_BUS_ADDRESS=$FAKE_BUS fwctlctl metrics --out "$MX/v2.prom" 2>&1) || rc=$?
        assert_eq 1 "$rc" "exit status for version 2"
        assert_match "version 2" "$err" "message for version 2"
        assert_false "nothing written for version 2" test -e "$MX/v2.prom"
}

test_metrics_completion() {
        local f=/usr/share/bash-completion/completions/fwctlctl
        # bash-completion's helpers first: the completion reassembles words from COMP_LINE
        # shellcheck disable=SC1090,SC1091
        source /usr/share/bash-completion/bash_completion && source "$f"
        COMP_LINE='fwctlctl met' COMP_POINT=12 COMP_WORDS=(fwctlctl met); COMP_CWORD=1; _fwctlctl
        assert_eq metrics "${COMPREPLY[*]}" "command completion"
        COMP_LINE='fwctlctl metrics --o' COMP_POINT=20 COMP_WORDS=(fwctlctl metrics --o); COMP_CWORD=2; _fwctlctl
        assert_eq "--out" "${COMPREPLY[*]}" "--out for metrics"
        fwctlctl --help | grep '^  metrics' >/dev/null || fail "--help does not list metrics"
}
