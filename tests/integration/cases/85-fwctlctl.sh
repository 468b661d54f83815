# shellcheck shell=bash
# fwctlctl, the command line client: every command against the emulated devices
# (fwctl0 = mlx5@0000:03:00.0, fwctl1 = cxl@0000:0d:00.0), as root and as the test
# users, --json parsed with jq, exit codes per error class, -H over a fake ssh that
# runs systemd-stdio-bridge locally, -M, the polkit agent and bash completion; several
# calls in one session (batch, repeated --in) and large payloads by RpcFd, counted on the
# bus by dbus-monitor, and the fallbacks for a fwctld without either.

FWCTLCTL=/usr/bin/fwctlctl
QA_HEX=$(mlx5_req $MLX5_QUERY_ADAPTER)

# ctl_rc EXPECTED_RC CMD...: run CMD, check its exit status; stdout in $CTL_OUT, stderr in $CTL_ERR
ctl_rc() {
        local want=$1 rc
        shift
        CTL_OUT=$("$@" 2>"$T/tmp/ctl.err")
        rc=$?
        CTL_ERR=$(cat "$T/tmp/ctl.err")
        [ "$rc" = "$want" ] || fail "exit status $rc (want $want): $* -> out: ${CTL_OUT:0:300} err: ${CTL_ERR:0:300}"
}

# jq_ok FILTER JSON [WHAT]: JSON parses and FILTER is true
jq_ok() {
        jq -e "$1" >/dev/null 2>&1 <<<"$2" || fail "${3:-jq}: '$1' not true for ${2:0:400}"
}

test_fwctlctl_installed() {
        assert_true "fwctlctl installed in /usr/bin" test -x "$FWCTLCTL"
        ctl_rc 0 fwctlctl --version
        assert_match '^fwctlctl [0-9]' "$CTL_OUT" "--version"
        ctl_rc 0 fwctlctl --help
        assert_match 'monitor' "$CTL_OUT" "--help lists commands"
        ctl_rc 2 fwctlctl frobnicate
        assert_match "Unknown command 'frobnicate'" "$CTL_ERR" "unknown command message"
        # a bad option is a usage error, and with --json (before or after it) a document too
        ctl_rc 2 fwctlctl --json --bogus
        jq_ok '.error.name == "usage" and .error.exit_status == 2 and (.error.message | contains("--bogus"))' \
                "$CTL_OUT" "--json --bogus"
        ctl_rc 2 fwctlctl -x --json list
        jq_ok '.error.message == "Unknown option '"'"'-x'"'"' (see --help)"' "$CTL_OUT" "-x --json"
        ctl_rc 2 fwctlctl --json rpc fwctl0 --scope
        jq_ok '.error.message | startswith("Option '"'"'--scope'"'"' needs a value")' "$CTL_OUT" "--scope without a value"
        ctl_rc 2 fwctlctl --bogus
        assert_eq "" "$CTL_OUT" "no document without --json"
        assert_eq "Unknown or ambiguous option '--bogus' (see --help)" "$CTL_ERR" "bad option message"
        ctl_rc 2 fwctlctl ops
}

test_fwctlctl_list() {
        local who
        for who in as_root "as_user fwtest" "as_user fwdeny"; do
                ctl_rc 0 $who fwctlctl list
                assert_match 'DEVICE +TYPE +DRIVER +ADDRESS +PLUGIN' "$CTL_OUT" "$who: list header"
                assert_match 'fwctl0 +mlx5 +[^ ]+ +0000:03:00.0 ' "$CTL_OUT" "$who: list fwctl0 row"
                assert_match 'fwctl1 +cxl +[^ ]+ +0000:0d:00.0 ' "$CTL_OUT" "$who: list fwctl1 row"
                assert_match 'devices listed' "$CTL_OUT" "$who: legend"
                ctl_rc 0 $who fwctlctl --json list
                jq_ok '.devices | length >= 2' "$CTL_OUT" "$who: list --json"
                jq_ok '.kernel_tainted | type == "boolean"' "$CTL_OUT" "$who: kernel_tainted"
                jq_ok '.devices[] | select(.name == "fwctl0") | .pci_address == "0000:03:00.0" and
                       .device_type == 1 and .device_type_name == "mlx5" and
                       .object == "/org/freedesktop/fwctl1/device/fwctl0" and (.driver | type == "string") and
                       (.parent | startswith("/sys/")) and (.device_node | length > 0) and (.plugin | length > 0)' \
                        "$CTL_OUT" "$who: fwctl0 in list --json"
                jq_ok '.devices[] | select(.name == "fwctl1") | .device_type_name == "cxl"' "$CTL_OUT" "$who: fwctl1"
        done
        ctl_rc 0 fwctlctl list --no-legend
        [[ $CTL_OUT != *DEVICE* && $CTL_OUT != *listed* ]] || fail "--no-legend still prints a legend: $CTL_OUT"
        # default command is list; --json=pretty is multi-line and still one document
        ctl_rc 0 fwctlctl --json=pretty
        [ "$(wc -l <<<"$CTL_OUT")" -gt 3 ] || fail "--json=pretty not pretty"
        jq_ok '.devices | length >= 2' "$CTL_OUT" "--json=pretty"
}

test_fwctlctl_status() {
        local parent spec name
        parent=$(dev_prop fwctl0 Parent | jq -r .)
        for spec in fwctl0 0000:03:00.0 "$parent" /org/freedesktop/fwctl1/device/fwctl0; do
                ctl_rc 0 as_user fwtest fwctlctl --json status "$spec"
                jq_ok '.name == "fwctl0" and .device_type_name == "mlx5" and .pci_address == "0000:03:00.0"' \
                        "$CTL_OUT" "status $spec"
                jq_ok '(.info.device_type == 1) and (.info.data | test("^[0-9a-f]*$")) and has("info")' \
                        "$CTL_OUT" "status $spec info"
                jq_ok '.info | has("decoded")' "$CTL_OUT" "status $spec info.decoded"
        done
        name=$(jq -r .parent <<<"$CTL_OUT")
        assert_eq "$parent" "$name" "status parent"
        ctl_rc 0 fwctlctl status fwctl1
        assert_match '^fwctl1 \(cxl\)' "$CTL_OUT" "status fwctl1 title"
        assert_match 'PCI address: 0000:0d:00.0' "$CTL_OUT" "status fwctl1 PCI address"
        assert_match 'Info: ' "$CTL_OUT" "status fwctl1 Info"
        # without a device: fwctld itself
        ctl_rc 0 fwctlctl --json status
        assert_eq "$(mgr_prop Version | jq -r .)" "$(jq -r .version <<<"$CTL_OUT")" "status version"
        jq_ok '(.plugins | length >= 1) and (.plugins[0] | has("name") and has("device_type") and has("file"))' \
                "$CTL_OUT" "status plugins"
        ctl_rc 0 fwctlctl status
        assert_match 'Version: ' "$CTL_OUT" "status text"
        # a plugin a line, the ones after the first under it without a label
        assert_eq "" "$(grep -E '^ +: ' <<<"$CTL_OUT")" "status: no empty label"
        assert_match $'\n {18}[a-z0-9_-]+ \\((type [0-9]+|any other type)\\): ' "$CTL_OUT" "status: plugins under the first"
        # errors: exit 3, one line naming the error; --json puts an error document on stdout
        ctl_rc 3 fwctlctl status fwctl99
        assert_match '^No such device: .*\(see .fwctlctl list.*\) \[org.freedesktop.fwctl1.Error.NoSuchDevice\]$' \
                "$CTL_ERR" "NoSuchDevice message"
        [ "$(wc -l <<<"$CTL_ERR")" = 1 ] || fail "error is not one line: $CTL_ERR"
        ctl_rc 3 fwctlctl --json status 0000:99:00.0
        jq_ok '.error.name == "org.freedesktop.fwctl1.Error.NoSuchDevice" and .error.exit_status == 3' \
                "$CTL_OUT" "--json error document"
}

test_fwctlctl_ops() {
        local n
        ctl_rc 0 as_user fwtest fwctlctl --json ops fwctl0
        jq_ok '.device == "fwctl0" and (.operations | type == "array")' "$CTL_OUT" "ops --json"
        jq_ok 'all(.operations[]; (.name | length > 0) and (.scope >= 0 and .scope <= 3) and
               (.scope_name | IN("configuration","debug-read-only","debug-write","debug-write-full")) and
               has("description"))' "$CTL_OUT" "ops entries"
        n=$(jq '.operations | length' <<<"$CTL_OUT")
        ctl_rc 0 fwctlctl ops fwctl0
        assert_match 'OPERATION +SCOPE +DESCRIPTION' "$CTL_OUT" "ops header"
        assert_match "$n operations?\." "$CTL_OUT" "ops legend"
        ctl_rc 0 fwctlctl ops 0000:0d:00.0
        ctl_rc 3 fwctlctl ops fwctl99
}

test_fwctlctl_exec() {
        local op rc
        ctl_rc 3 fwctlctl exec fwctl0 no-such-operation
        assert_match '^No such operation: .*NoSuchOperation\]$' "$CTL_ERR" "NoSuchOperation message"
        ctl_rc 3 fwctlctl --json exec fwctl0 no-such-operation a=1 b=true c=text
        jq_ok '.error.name == "org.freedesktop.fwctl1.Error.NoSuchOperation"' "$CTL_OUT" "exec --json error"
        ctl_rc 2 fwctlctl exec fwctl0 op '[1,2]'
        ctl_rc 2 fwctlctl exec fwctl0 op =x
        # a real operation when the plugin has one at scope <= 1 (plugins may not have any yet)
        ctl_rc 0 fwctlctl --json ops fwctl0
        op=$(jq -r '[.operations[] | select(.scope <= 1)][0].name // empty' <<<"$CTL_OUT")
        [ -n "$op" ] || return 0
        CTL_OUT=$(as_user fwtest fwctlctl --json exec fwctl0 "$op" 2>"$T/tmp/ctl.err")
        rc=$?
        case $rc in
        0) jq_ok ".operation == \"$op\" and has(\"result\")" "$CTL_OUT" "exec $op --json" ;;
        5) jq_ok '.error.name | test("InvalidArguments|RequestRejected|ScopeTooLow")' "$CTL_OUT" "exec $op error" ;;
        *) fail "exec $op as fwtest: exit $rc: $CTL_OUT $(cat "$T/tmp/ctl.err")" ;;
        esac
}

test_fwctlctl_rpc_root() {
        local hex
        ctl_rc 0 fwctlctl --json rpc fwctl0 --scope configuration --in "$QA_HEX" --max 512
        jq_ok '.result.truncated == false and .result.response_length >= 16 and .scope == 0 and
               .scope_name == "configuration" and .request_size == 16 and (.response | startswith("00")) and
               (.result.operation | length > 0) and (.result | has("kernel_out_len") and has("configuration_write"))' \
                "$CTL_OUT" "rpc --json"
        hex=$(jq -r .response <<<"$CTL_OUT")
        # @FILE in, --out FILE: the same bytes
        printf '%s' "$QA_HEX" | xxd -r -p >"$T/tmp/qa.bin"
        ctl_rc 0 fwctlctl rpc 0000:03:00.0 -s 1 --in "@$T/tmp/qa.bin" --max 512 --out "$T/tmp/qa.out"
        assert_match 'truncated: false' "$CTL_OUT" "rpc text result"
        assert_eq "$hex" "$(xxd -p "$T/tmp/qa.out" | tr -d '\n')" "--out file vs --json response"
        ctl_rc 0 fwctlctl rpc fwctl0 --in @- --max 64 <"$T/tmp/qa.bin"
        assert_match '00000000  00' "$CTL_OUT" "rpc hexdump"
        # the documented --in syntax (0x, '-' and ':' between bytes) and --json=off
        ctl_rc 0 fwctlctl --json --json=off rpc fwctl0 --in "0x${QA_HEX:0:2}-${QA_HEX:2:2}:${QA_HEX:4}" --max 64
        assert_match '00000000  00' "$CTL_OUT" "--in 0x01-01:... with --json=off"
        # a response larger than --max: truncated, or refused (plugin or kernel EMSGSIZE: exit 5)
        CTL_OUT=$(fwctlctl --json rpc fwctl0 --in "$QA_HEX" --max 4 2>/dev/null)
        jq_ok '(.result.truncated == true and .response_size <= 4) or
               (.error.exit_status == 5 and (.error.name | test("PayloadTooLarge|RequestRejected")))' \
                "$CTL_OUT" "rpc --max 4"
}

# The EXAMPLES of fwctlctl(1) run as written, so that they cannot rot: in a directory
# with the files they name, -H (needs ssh; test_fwctlctl_remote_host) left out.
test_fwctlctl_man_examples() {
        local d=$T/tmp/man-examples line n=0
        mkdir -p "$d" /var/lib/prometheus/node-exporter   # /var is the harness's overlay
        printf '%s' "$QA_HEX" | xxd -r -p >"$d/request.bin"
        printf 'rpc %s\nexec query-adapter\n' "$QA_HEX" >"$d/calls.txt"
        while IFS= read -r line; do
                [[ $line == *" -H "* ]] && continue
                [[ $line == *promtool* ]] && ! command -v promtool >/dev/null && continue
                n=$((n + 1))
                ( cd "$d" && bash -o pipefail -c "$line" ) >"$d/out" 2>&1 ||
                        fail "man page example failed: $line -> $(head -c 400 "$d/out")"
        done < <(sed -n '/^# EXAMPLES/,/^# /s/^\t//p' "$SRCDIR/man/fwctlctl.1.scd")
        assert_ge 8 "$n" "man page examples run"
}

# --out is created before the call: an unwritable one fails with nothing sent to the device,
# the answer of a call that ran is never lost; the file replaces a symlink's target.
test_fwctlctl_rpc_out() {
        local before d=$T/tmp/rpc-out
        mkdir -p "$d"
        before=$(emu_rpc_count fwctl0) || fail "emu stats failed"
        ctl_rc 1 fwctlctl rpc fwctl0 --in "$QA_HEX" --out /nonexistent/dir/x
        assert_match '^Failed to create /nonexistent/dir/x: No such file or directory' "$CTL_ERR" "--out in a missing directory"
        ctl_rc 1 fwctlctl --json rpc fwctl0 --in "$QA_HEX" --out "$d"
        jq_ok '.error.message | test("Is a directory")' "$CTL_OUT" "--out DIRECTORY"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs with an unwritable --out"
        ctl_rc 0 fwctlctl rpc fwctl0 --in "$QA_HEX" --out "$d/qa.out"
        assert_eq "$((before + 1))" "$(emu_rpc_count fwctl0)" "RPC with --out"
        assert_eq 0644 "$(stat -c %#a "$d/qa.out")" "--out mode"
        assert_eq "" "$(find "$d" -name '.qa.out.*')" "no temporary file left"
        ln -sf qa.out "$d/link"
        ctl_rc 0 fwctlctl rpc fwctl0 --in "$QA_HEX" --out "$d/link"
        assert_true "--out SYMLINK stays a symlink" test -L "$d/link"
        # a pipe is written as it is (the response, then the text result)
        assert_eq "$(xxd -p "$d/qa.out")" \
                "$(fwctlctl rpc fwctl0 --in "$QA_HEX" --out /dev/stdout | head -c "$(stat -c %s "$d/qa.out")" | xxd -p)" \
                "--out /dev/stdout on a pipe"
}

# The options of rpc, batch and metrics are refused by the other commands, not ignored.
test_fwctlctl_command_options() {
        local before
        before=$(emu_rpc_count fwctl0)
        ctl_rc 2 fwctlctl exec fwctl0 query-adapter --scope 3
        assert_eq "--scope applies to rpc and batch only, not to exec (see --help)" "$CTL_ERR" "exec --scope"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs after a refused option"
        ctl_rc 2 fwctlctl list --in 0101
        assert_match '^--in applies to rpc only, not to list' "$CTL_ERR" "list --in"
        ctl_rc 2 fwctlctl metrics --file foo
        assert_match '^--file applies to batch only, not to metrics' "$CTL_ERR" "metrics --file"
        ctl_rc 2 fwctlctl ops fwctl0 --write
        assert_match '^--write applies to rpc and batch only, not to ops' "$CTL_ERR" "ops --write"
        ctl_rc 2 fwctlctl status fwctl0 -m 64
        assert_match '^--max applies to rpc and batch only' "$CTL_ERR" "status -m"
        ctl_rc 2 fwctlctl monitor --no-session
        ctl_rc 2 fwctlctl batch fwctl0 --out "$T/tmp/x" </dev/null
        assert_match '^--out applies to rpc and metrics only, not to batch' "$CTL_ERR" "batch --out"
        ctl_rc 2 fwctlctl rpc fwctl0 --in "$QA_HEX" --file "$T/tmp/x"
        ctl_rc 2 fwctlctl --json exec fwctl0 query-adapter --max 4
        jq_ok '.error.exit_status == 2 and (.error.message | startswith("--max applies"))' "$CTL_OUT" "--json usage error"
        ctl_rc 0 fwctlctl metrics --out "$T/tmp/metrics.prom"
}

test_fwctlctl_rpc_users() {
        local s
        for s in 0 configuration 1 debug-read-only debug-write; do
                ctl_rc 0 as_user fwtest fwctlctl --json rpc fwctl0 --scope "$s" --in "$QA_HEX" --max 64
                jq_ok '.response | startswith("00")' "$CTL_OUT" "fwtest scope $s"
        done
        # scope 3 is a challenge: with --no-ask-password the standard error, exit 4
        ctl_rc 4 as_user fwtest fwctlctl --no-ask-password rpc fwctl0 --scope debug-write-full --in "$QA_HEX"
        assert_match '^Authentication required: .*org.freedesktop.fwctl1.rpc-debug-write-full needs authentication.*InteractiveAuthorizationRequired\]$' \
                "$CTL_ERR" "challenge message"
        # without it (no terminal, so no agent): still refused, exit 4
        ctl_rc 4 as_user fwtest fwctlctl rpc fwctl0 --scope 3 --in "$QA_HEX"
        # polkit says no
        ctl_rc 4 as_user fwdeny fwctlctl rpc fwctl0 --in "$QA_HEX"
        assert_match '^Not authorized: .*\(a polkit rule or an administrator must allow org.freedesktop.fwctl1.rpc-configuration\) \[org.freedesktop.fwctl1.Error.NotAuthorized\]$' \
                "$CTL_ERR" "NotAuthorized message"
        ctl_rc 4 as_user fwdeny fwctlctl --json rpc fwctl0 --scope debug-write --in "$QA_HEX"
        jq_ok '.error.name == "org.freedesktop.fwctl1.Error.NotAuthorized" and .error.exit_status == 4 and
               (.error.message | contains("rpc-debug-write)"))' "$CTL_OUT" "NotAuthorized --json"
}

test_fwctlctl_rpc_errors() {
        # ScopeTooLow needs the mlx5 plugin's classification (the generic one takes any scope)
        if [ "$(dev_prop fwctl0 Plugin | jq -r .)" = mlx5 ]; then
                ctl_rc 5 fwctlctl rpc fwctl0 --scope 0 --in "$(mlx5_req $MLX5_NOP)"
                assert_match '^Scope too low: .*ScopeTooLow\]$' "$CTL_ERR" "ScopeTooLow message"
        fi
        ctl_rc 5 fwctlctl rpc fwctl0 --in ""
        assert_match 'RequestRejected' "$CTL_ERR" "empty request"
        assert_match "\\(fwctld or the device's plugin refused it before it reached the device; the message says why\\)" \
                "$CTL_ERR" "RequestRejected hint"
        ctl_rc 5 fwctlctl --json rpc fwctl0 --in 00 --max 4194304
        jq_ok '.error.name == "org.freedesktop.fwctl1.Error.PayloadTooLarge"' "$CTL_OUT" "PayloadTooLarge"
        ctl_rc 2 fwctlctl rpc fwctl0 --scope root --in 00
        ctl_rc 2 fwctlctl rpc fwctl0 --in 0g
        ctl_rc 2 fwctlctl rpc fwctl0 --in "@$T/does-not-exist"
        ctl_rc 2 fwctlctl rpc fwctl0
        ctl_rc 3 fwctlctl rpc fwctl42 --in 00
}

test_fwctlctl_monitor() {
        local out=$T/log/fwctlctl-monitor.json err=$T/log/fwctlctl-monitor.err pid name rc
        stdbuf -oL fwctlctl --json monitor >"$out" 2>"$err" &
        pid=$!
        wait_until 5 grep -q Monitoring "$err" || { kill $pid; fail "monitor did not start: $(cat "$err")"; }
        name=$(emu_add mlx5 0000:07:00.0) || { kill $pid; fail "emu add failed"; }
        wait_until 5 grep -q "\"device-added\".*\"$name\"" "$out" || { kill $pid; fail "no device-added: $(cat "$out")"; }
        emu remove "$name" >/dev/null
        wait_until 5 grep -q "\"device-removed\".*\"$name\"" "$out" || { kill $pid; fail "no device-removed: $(cat "$out")"; }
        # a call at a tainting scope re-reads the taint word, so KernelTainted changes: to
        # false from a cleared word (QUERY_ADAPTER runs at configuration and taints nothing)
        # if it was true, then to true (the driver wants debug-write for SET_DIAGNOSTIC_PARAMS)
        echo 0 >"$T/tainted"
        fwctlctl rpc fwctl0 --scope debug-write --in "$QA_HEX" >/dev/null 2>&1
        fwctlctl rpc fwctl0 --scope debug-write --in "$(mlx5_req $MLX5_SET_DIAGNOSTIC_PARAMS)" >/dev/null 2>&1
        wait_until 5 grep -q '"kernel-tainted"' "$out" || { kill $pid; fail "no kernel-tainted event: $(cat "$out")"; }
        kill -INT $pid
        wait $pid
        rc=$?
        assert_eq 0 "$rc" "monitor exit status after SIGINT"
        # every line is a JSON document
        while IFS= read -r line; do
                jq_ok '.event | IN("device-added","device-removed","kernel-tainted","daemon-started","daemon-stopped")' \
                        "$line" "monitor line"
        done <"$out"
        jq_ok "select(.event == \"device-added\") | .device.pci_address == \"0000:07:00.0\" and .device.device_type_name == \"mlx5\" and (.timestamp_usec > 0)" \
                "$(grep device-added "$out" | head -n 1)" "device-added event"
        # text mode, as an unprivileged user
        out=$T/log/fwctlctl-monitor.txt
        err=$T/log/fwctlctl-monitor.txt.err
        stdbuf -oL setpriv --reuid=4242 --regid=4242 --clear-groups -- fwctlctl monitor >"$out" 2>"$err" &
        pid=$!
        wait_until 5 grep -q Monitoring "$err" || { kill $pid; fail "text monitor did not start"; }
        name=$(emu_add cxl 0000:08:00.0) || { kill $pid; fail "emu add failed"; }
        wait_until 5 grep -q "^+ $name cxl 0000:08:00.0" "$out" || { kill $pid; fail "no + line: $(cat "$out")"; }
        emu remove "$name" >/dev/null
        wait_until 5 grep -q "^- $name\$" "$out" || { kill $pid; fail "no - line: $(cat "$out")"; }
        kill -TERM $pid
        wait $pid
        assert_eq 0 "$?" "text monitor exit status after SIGTERM"
}

test_fwctlctl_remote_host() {
        local bin=$T/fake-ssh-bin
        mkdir -p "$bin"
        # a fake ssh: records its argv, then runs the remote command (after -- HOST) here
        cat >"$bin/ssh" <<SSH_EOF
#!/bin/bash
printf '%s\n' "\$@" >"$T/tmp/ssh.argv"
while [ \$# -gt 0 ] && [ "\$1" != -- ]; do shift; done
shift 2
exec "\$@"
SSH_EOF
        chmod +x "$bin/ssh"
        ctl_rc 0 env PATH="$bin:$PATH" fwctlctl -H fwtest@fwhost --json list
        jq_ok '.devices[] | select(.name == "fwctl0") | .pci_address == "0000:03:00.0"' "$CTL_OUT" "-H list"
        assert_match '-xT' "$(cat "$T/tmp/ssh.argv")" "ssh options"
        assert_match 'fwtest@fwhost' "$(cat "$T/tmp/ssh.argv")" "ssh host"
        assert_match 'systemd-stdio-bridge' "$(cat "$T/tmp/ssh.argv")" "ssh remote command"
        ctl_rc 0 env PATH="$bin:$PATH" fwctlctl --host=fwhost --json rpc fwctl0 --in "$QA_HEX" --max 64
        jq_ok '.response | startswith("00")' "$CTL_OUT" "-H rpc"
        # an ssh that cannot connect: the transport error class
        printf '#!/bin/sh\necho "ssh: connect to host $4 port 22: No route to host" >&2\nexit 255\n' >"$bin/ssh"
        ctl_rc 8 env PATH="$bin:$PATH" fwctlctl -H nohost list
}

test_fwctlctl_machine() {
        ctl_rc 8 fwctlctl -M no-such-container list
        assert_match 'no-such-container' "$CTL_ERR" "-M error names the container"
        ctl_rc 2 fwctlctl -M a -H b list
}

test_fwctlctl_polkit_agent() {
        local d=$T/agent
        mkdir -p "$d" && chmod 0777 "$d"
        # a fake pkttyagent: records argv and exits, which closes the notify fd
        printf '#!/bin/sh\nprintf "%%s\\n" "$@" >%s/argv\n' "$d" >"$d/agent"
        chmod 0755 "$d/agent"
        script -qec "env FWCTLCTL_POLKIT_AGENT=$d/agent $(user_prefix fwtest) fwctlctl rpc fwctl0 --in $QA_HEX --max 64" \
                /dev/null >"$d/out" 2>&1 || fail "rpc on a terminal failed: $(cat "$d/out")"
        assert_eq "--notify-fd" "$(sed -n 1p "$d/argv")" "agent argv[1]"
        assert_match '^[0-9]+$' "$(sed -n 2p "$d/argv")" "agent notify fd"
        assert_eq "--fallback" "$(sed -n 3p "$d/argv")" "agent argv[3]"
        rm -f "$d/argv"
        # several calls: the agent is there before the session's one check
        script -qec "env FWCTLCTL_POLKIT_AGENT=$d/agent $(user_prefix fwtest) fwctlctl --json rpc fwctl0 --in $QA_HEX --in $QA_HEX --max 64" \
                /dev/null >"$d/out" 2>&1 || fail "several calls on a terminal failed: $(cat "$d/out")"
        assert_eq "--notify-fd" "$(sed -n 1p "$d/argv")" "agent for a session"
        assert_match '"session":"/org/freedesktop/fwctl1/session/' "$(cat "$d/out")" "session on a terminal"
        rm -f "$d/argv"
        script -qec "env FWCTLCTL_POLKIT_AGENT=$d/agent $(user_prefix fwtest) fwctlctl --no-ask-password rpc fwctl0 --in $QA_HEX" \
                /dev/null >"$d/out" 2>&1
        assert_false "no agent with --no-ask-password" test -e "$d/argv"
}

# complete_line LINE: call _fwctlctl as bash would with the cursor at the end of LINE:
# COMP_WORDS split at blanks and, as COMP_WORDBREAKS says, around runs of ':' and '='
# ("0000:03" -> 0000 : 03); the completion reassembles what it needs from COMP_LINE.
complete_line() {
        local line=$1 c w='' i brk wbrk
        COMP_WORDS=()
        for ((i = 0; i < ${#line}; i++)); do
                c=${line:i:1}
                brk=0 wbrk=0
                [[ $c == [:=] ]] && brk=1
                [[ ${w: -1} == [:=] ]] && wbrk=1
                if [[ $c == [[:blank:]] ]]; then
                        [ -n "$w" ] && COMP_WORDS+=("$w")
                        w=''
                elif [ -n "$w" ] && [ $brk != $wbrk ]; then
                        COMP_WORDS+=("$w")
                        w=$c
                else
                        w+=$c
                fi
        done
        COMP_WORDS+=("$w")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMPREPLY=()
        _fwctlctl
}

test_fwctlctl_bash_completion() {
        local f=/usr/share/bash-completion/completions/fwctlctl
        assert_true "completion installed" test -f "$f"
        # shellcheck disable=SC1090,SC1091
        source /usr/share/bash-completion/bash_completion && source "$f"
        complete_line 'fwctlctl st'
        assert_eq status "${COMPREPLY[*]}" "command completion"
        complete_line 'fwctlctl status '
        assert_match 'fwctl0' "${COMPREPLY[*]}" "device completion"
        assert_match 'fwctl1' "${COMPREPLY[*]}" "device completion"
        assert_match '0000:03:00.0' "${COMPREPLY[*]}" "PCI address completion"
        # bash replaces the word after the last ':' or '=' only
        complete_line 'fwctlctl status 000'
        assert_match '(^| )0000:03:00.0( |$)' "${COMPREPLY[*]}" "PCI address from 000"
        complete_line 'fwctlctl status 0000:0'
        assert_match '(^| )03:00.0( |$)' "${COMPREPLY[*]}" "PCI address after a colon"
        assert_match '(^| )0d:00.0( |$)' "${COMPREPLY[*]}" "PCI address after a colon (cxl)"
        complete_line 'fwctlctl status 0000:03:0'
        assert_eq 00.0 "${COMPREPLY[*]}" "PCI address after the second colon"
        complete_line 'fwctlctl exec 0000:03:00.0 q'
        assert_match '(^| )query-adapter( |$)' "${COMPREPLY[*]}" "operation after a PCI address"
        complete_line 'fwctlctl rpc fwctl0 --scope debug-w'
        assert_eq "debug-write debug-write-full" "${COMPREPLY[*]}" "scope completion"
        complete_line 'fwctlctl rpc fwctl0 --scope=debug-w'
        assert_eq "debug-write debug-write-full" "${COMPREPLY[*]}" "--scope=VALUE completion"
        complete_line 'fwctlctl --json=s'
        assert_eq short "${COMPREPLY[*]}" "--json=VALUE completion"
        complete_line 'fwctlctl --host=localhost st'
        assert_eq status "${COMPREPLY[*]}" "command after --host=HOST"
        complete_line 'fwctlctl ba'
        assert_eq batch "${COMPREPLY[*]}" "batch command completion"
        complete_line 'fwctlctl batch '
        assert_match 'fwctl0' "${COMPREPLY[*]}" "batch device completion"
        complete_line 'fwctlctl batch fwctl0 --'
        assert_match '(^| )--file( |$)' "${COMPREPLY[*]}" "batch --file"
        assert_match '(^| )--write( |$)' "${COMPREPLY[*]}" "batch --write"
        assert_match '(^| )--no-session( |$)' "${COMPREPLY[*]}" "batch --no-session"
        complete_line 'fwctlctl rpc fwctl0 --no-s'
        assert_eq --no-session "${COMPREPLY[*]}" "rpc --no-session"
        complete_line 'fwctlctl exec fwctl0 '
        assert_eq "$(fwctlctl ops fwctl0 --no-legend | awk '{print $1}' | sort | xargs)" \
                "$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | xargs)" "operation completion"
}

# ---------------------------------------------------------------- several calls, sessions, RpcFd

MSGID_SESSION_CLOSED=d9fe3f47814e4003bd9699b8836c39f4

# session_objects -> the Session objects fwctld serves now
session_objects() {
        busctl --system --list tree "$FWCTL_BUS" 2>/dev/null | grep -c '^/org/freedesktop/fwctl1/session/'
}

# jqs_ok FILTER JSON_LINES [WHAT]: FILTER is true of the documents as one array (jq -s)
jqs_ok() {
        jq -e -s "$1" >/dev/null 2>&1 <<<"$2" || fail "${3:-jq}: '$1' not true for ${2:0:600}"
}

# ctl_json_lines N: $CTL_OUT is N JSON documents, one a line
ctl_json_lines() {
        local line n=0
        while IFS= read -r line; do
                jq -e . >/dev/null 2>&1 <<<"$line" || fail "not one JSON document a line: ${line:0:300}"
                n=$((n + 1))
        done <<<"$CTL_OUT"
        assert_eq "$1" "$n" "JSON lines"
}

# Three calls at configuration as fwtest: one session, one polkit check, closed at the end.
test_fwctlctl_rpc_several_one_session() {
        local single closed
        ctl_rc 0 as_user fwtest fwctlctl --json rpc fwctl0 --in "$QA_HEX" --max 512
        single=$(jq -r .response <<<"$CTL_OUT")
        closed=$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_CALLER_UID=4242 \
                FWCTL_SESSION_END="closed by its opener" | jq -s length)
        bus_watch_start
        ctl_rc 0 as_user fwtest fwctlctl --json=pretty rpc fwctl0 --in "$QA_HEX" --in "$QA_HEX" --in "@$(qa_file)" --max 512
        bus_watch_stop
        ctl_json_lines 3
        jqs_ok '[.[].call] == [1,2,3] and ([.[].session] | unique | length == 1) and
                  (.[0].session | test("^/org/freedesktop/fwctl1/session/[0-9]+$")) and
                  all(.[]; .scope == 0 and .request_size == 16 and .result.operation == "QUERY_ADAPTER")' \
                "$CTL_OUT" "rpc with three --in"
        assert_eq "$single $single $single" "$(jq -r .response <<<"$CTL_OUT" | xargs)" "responses"
        assert_eq 1 "$(bus_calls org.freedesktop.PolicyKit1.Authority CheckAuthorization)" "polkit checks"
        assert_eq 1 "$(bus_calls $FWCTL_DEV_IFACE OpenSession)" "OpenSession calls"
        assert_eq 3 "$(bus_calls org.freedesktop.fwctl1.Session Rpc)" "Session.Rpc calls"
        assert_eq 0 "$(bus_calls $FWCTL_DEV_IFACE Rpc)" "Device.Rpc calls"
        assert_eq 1 "$(bus_calls org.freedesktop.fwctl1.Session Close)" "Close calls"
        assert_eq 0 "$(session_objects)" "session objects left"
        assert_eq $((closed + 1)) "$(journal_json MESSAGE_ID=$MSGID_SESSION_CLOSED FWCTL_CALLER_UID=4242 \
                FWCTL_SESSION_END="closed by its opener" | jq -s length)" "closed by fwctlctl, journaled"
        # --no-session: one check per call, as before
        bus_watch_start
        ctl_rc 0 as_user fwtest fwctlctl --json --no-session rpc fwctl0 --in "$QA_HEX" --in "$QA_HEX" --max 512
        bus_watch_stop
        jqs_ok 'length == 2 and all(.[]; .session == null)' "$CTL_OUT" "--no-session"
        assert_eq 2 "$(bus_calls org.freedesktop.PolicyKit1.Authority CheckAuthorization)" "--no-session checks"
        assert_eq 0 "$(bus_calls $FWCTL_DEV_IFACE OpenSession)" "--no-session OpenSession"
        # text output: each call under its own heading
        ctl_rc 0 as_user fwtest fwctlctl rpc fwctl0 --in "$QA_HEX" --in "$QA_HEX" --max 64
        assert_eq 2 "$(grep -c '^call [12]: rpc, 16 bytes$' <<<"$CTL_OUT")" "text headings"
        assert_eq 2 "$(grep -c '^00000000  00' <<<"$CTL_OUT")" "text hexdumps"
        # one response file cannot take several
        ctl_rc 2 fwctlctl rpc fwctl0 --in "$QA_HEX" --in "$QA_HEX" --out "$T/tmp/x"
}

# qa_file -> a file holding the QUERY_ADAPTER request
qa_file() {
        printf '%s' "$QA_HEX" | xxd -r -p >"$T/tmp/qa.bin"
        chmod 0644 "$T/tmp/qa.bin"
        echo "$T/tmp/qa.bin"
}

# Each call at a tainting scope is its own decision: no session, a check per call.
test_fwctlctl_rpc_several_tainting() {
        bus_watch_start
        ctl_rc 0 as_user fwtest fwctlctl --json rpc fwctl0 --scope debug-write --in "$QA_HEX" --in "$QA_HEX" --max 64
        bus_watch_stop
        jqs_ok 'length == 2 and all(.[]; .session == null and .scope == 2)' "$CTL_OUT" "debug-write calls"
        assert_eq 0 "$(bus_calls $FWCTL_DEV_IFACE OpenSession)" "OpenSession at debug-write"
        assert_eq 2 "$(bus_calls org.freedesktop.PolicyKit1.Authority CheckAuthorization)" "checks at debug-write"
        assert_eq 2 "$(bus_calls $FWCTL_DEV_IFACE Rpc)" "Device.Rpc at debug-write"
}

# Refused sessions are reported like refused calls; nothing reaches the device.
test_fwctlctl_session_refused() {
        local before
        before=$(emu_rpc_count fwctl0)
        ctl_rc 4 as_user fwdeny fwctlctl rpc fwctl0 --in "$QA_HEX" --in "$QA_HEX"
        assert_match '^Not authorized: .*\(a polkit rule or an administrator must allow org.freedesktop.fwctl1.rpc-configuration\) \[org.freedesktop.fwctl1.Error.NotAuthorized\]$' \
                "$CTL_ERR" "OpenSession refused"
        ctl_rc 4 as_user fwdeny fwctlctl --json rpc fwctl0 --scope debug-read-only --in "$QA_HEX" --in "$QA_HEX"
        jq_ok '.error.name == "org.freedesktop.fwctl1.Error.NotAuthorized" and .error.exit_status == 4 and
               (has("call") | not) and (.error.message | contains("rpc-debug-read-only)"))' "$CTL_OUT" "--json"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
        assert_eq 0 "$(session_objects)" "session objects left"
}

test_fwctlctl_batch() {
        local f=$T/tmp/batch.txt before n
        cat >"$f" <<BATCH_EOF
# the adapter, twice, and a named operation
rpc $QA_HEX 512

   rpc @$(qa_file)
exec query-adapter {}
BATCH_EOF
        chmod 0644 "$f"
        bus_watch_start
        ctl_rc 0 as_user fwtest fwctlctl --json batch fwctl0 --file "$f"
        bus_watch_stop
        ctl_json_lines 3
        jqs_ok '[.[].call] == [1,2,3] and [.[].line] == [2,4,5] and ([.[].session] | unique | length == 1) and
                  (.[0].session != null) and .[0].response_size > 16 and .[0].response == .[1].response and
                  .[2].operation == "query-adapter" and (.[2].result | tostring | test("MT_0000000001"))' \
                "$CTL_OUT" "batch --json"
        assert_eq 1 "$(bus_calls org.freedesktop.PolicyKit1.Authority CheckAuthorization)" "polkit checks"
        assert_eq 1 "$(bus_calls org.freedesktop.fwctl1.Session Execute)" "Session.Execute calls"
        assert_eq 0 "$(session_objects)" "session objects left"
        # stdin, text
        ctl_rc 0 as_user fwtest fwctlctl batch 0000:03:00.0 <"$f"
        assert_match 'call 3: exec query-adapter' "$CTL_OUT" "text heading"
        # one call alone needs no session
        ctl_rc 0 as_user fwtest fwctlctl --json batch fwctl0 <<<"rpc $QA_HEX"
        jq_ok '.call == 1 and .session == null' "$CTL_OUT" "one call"
        # no calls: --json still prints one document
        : >"$T/tmp/empty.txt"
        ctl_rc 0 fwctlctl --json batch fwctl0 --file "$T/tmp/empty.txt"
        jq_ok '.device == "fwctl0" and (.object | endswith("/fwctl0")) and .session == null and .calls == 0' \
                "$CTL_OUT" "empty batch --json"
        ctl_rc 0 fwctlctl --json batch fwctl0 <<<'# only a comment'
        jq_ok '.calls == 0' "$CTL_OUT" "batch of comments --json"
        ctl_rc 3 fwctlctl --json batch fwctl42 </dev/null
        # the input is checked before any call
        before=$(emu_rpc_count fwctl0)
        ctl_rc 2 fwctlctl batch fwctl0 <<<$'rpc '"$QA_HEX"$'\nrpc 0g'
        assert_match '^line 2: Not a hex string' "$CTL_ERR" "bad hex"
        ctl_rc 2 fwctlctl --json batch fwctl0 <<<$'rpc 00\nfrob 00'
        jq_ok '.error.name == "usage" and .line == 2' "$CTL_OUT" "unknown call"
        ctl_rc 2 fwctlctl batch fwctl0 <<<'rpc 00 512 7'
        ctl_rc 2 fwctlctl batch fwctl0 <<<'exec'
        ctl_rc 2 fwctlctl batch fwctl0 <<<'exec op [1]'
        ctl_rc 2 fwctlctl batch fwctl0 --file "$T/does-not-exist"
        ctl_rc 2 fwctlctl batch fwctl0 --file "$T/tmp"
        assert_eq "Failed to read $T/tmp: Is a directory" "$CTL_ERR" "batch --file DIRECTORY"
        ctl_rc 2 fwctlctl batch fwctl0 --in 00 </dev/null
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
        # the first failure stops the run: a write in a session opened for reads
        n=$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_OPERATION=ACCESS_REG FWCTL_CALLER_UID=4242 | jq -s length)
        printf 'rpc %s\nrpc %s\nrpc %s\n' "$QA_HEX" "$(mlx5_req 0x805 0)" "$QA_HEX" >"$f"
        ctl_rc 4 as_user fwtest fwctlctl --json batch fwctl0 --file "$f"
        ctl_json_lines 2
        jqs_ok '.[0].call == 1 and .[1].call == 2 and .[1].line == 2 and
                  .[1].error.name == "org.freedesktop.fwctl1.Error.NotAuthorized" and
                  (.[1].error.message | contains("--write"))' "$CTL_OUT" "stopped at the write"
        ctl_rc 4 as_user fwtest fwctlctl batch fwctl0 --file "$f"
        assert_match '^call 2 \(line 2\): Not authorized: ' "$CTL_ERR" "error names the call"
        assert_eq 0 "$(session_objects)" "session closed after a failure"
        # --write: the session may change the device; the write is journaled as any other
        ctl_rc 0 as_user fwtest fwctlctl --json batch fwctl0 --write --file "$f"
        ctl_json_lines 3
        jqs_ok '.[1].result.operation == "ACCESS_REG" and .[1].result.configuration_write == true' \
                "$CTL_OUT" "write in a --write session"
        assert_eq $((n + 1)) "$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_OPERATION=ACCESS_REG \
                FWCTL_CALLER_UID=4242 | jq -s length)" "the write's attempt record"
}

# A request above 64 KiB goes in a sealed memfd (RpcFd); the output is the byte-array
# path's, byte for byte (-H over the fake ssh cannot pass fds, so it takes that path).
test_fwctlctl_rpc_fd() {
        local big=$T/tmp/big.bin bin=$T/fake-ssh-bin mode
        { printf '%s' "$QA_HEX" | xxd -r -p; head -c $((100 * 1024)) /dev/zero; } >"$big"
        chmod 0644 "$big"
        mkdir -p "$bin"
        printf '#!/bin/bash\nwhile [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done\nshift 2\nexec "$@"\n' >"$bin/ssh"
        chmod 0755 "$bin/ssh"
        for mode in "" --json; do
                bus_watch_start
                ctl_rc 0 as_user fwtest fwctlctl $mode rpc fwctl0 --in "@$big" --max 512 --out "$T/tmp/fd.out"
                bus_watch_stop
                assert_eq 1 "$(bus_calls $FWCTL_DEV_IFACE RpcFd)" "RpcFd calls ($mode)"
                assert_eq 0 "$(bus_calls $FWCTL_DEV_IFACE Rpc)" "Rpc calls ($mode)"
                cp "$T/tmp/fd.out" "$T/tmp/fd.resp"
                printf '%s' "$CTL_OUT" >"$T/tmp/fd.txt"
                bus_watch_start
                ctl_rc 0 env PATH="$bin:$PATH" fwctlctl -H fwhost $mode rpc fwctl0 --in "@$big" --max 512 \
                        --out "$T/tmp/fd.out"
                bus_watch_stop
                assert_eq 0 "$(bus_calls $FWCTL_DEV_IFACE RpcFd)" "RpcFd calls over ssh ($mode)"
                assert_eq 1 "$(bus_calls $FWCTL_DEV_IFACE Rpc)" "Rpc calls over ssh ($mode)"
                assert_true "same output ($mode)" cmp "$T/tmp/fd.txt" <(printf '%s' "$CTL_OUT")
                assert_true "same response file ($mode)" cmp "$T/tmp/fd.resp" "$T/tmp/fd.out"
                # root's --out replaced the file (a rename): fwtest could not replace root's
                # file in the sticky $T/tmp, so the next round starts without it
                rm -f "$T/tmp/fd.out"
        done
        jq_ok '.request_size == 102416 and .response_size > 16 and .response == null' "$CTL_OUT" "--json"
        # a response allowed above 64 KiB takes the fd too; the same hexdump as through Rpc
        bus_watch_start
        ctl_rc 0 fwctlctl rpc fwctl0 --in "$QA_HEX" --max 65537
        bus_watch_stop
        assert_eq 1 "$(bus_calls $FWCTL_DEV_IFACE RpcFd)" "RpcFd for --max 65537"
        printf '%s' "$CTL_OUT" >"$T/tmp/fd.txt"
        ctl_rc 0 env PATH="$bin:$PATH" fwctlctl -H fwhost rpc fwctl0 --in "$QA_HEX" --max 65537
        assert_true "hexdump via RpcFd and Rpc" cmp "$T/tmp/fd.txt" <(printf '%s' "$CTL_OUT")
        assert_match '00000000  00' "$CTL_OUT" "hexdump"
        # in a session: Session.RpcFd
        bus_watch_start
        ctl_rc 0 as_user fwtest fwctlctl --json rpc fwctl0 --in "@$big" --in "$QA_HEX" --max 512
        bus_watch_stop
        assert_eq 1 "$(bus_calls org.freedesktop.fwctl1.Session RpcFd)" "Session.RpcFd calls"
        assert_eq 1 "$(bus_calls org.freedesktop.fwctl1.Session Rpc)" "Session.Rpc calls"
        jqs_ok '.[0].response == .[1].response' "$CTL_OUT" "the big request's answer"
}

# A fwctld from before sessions and RpcFd (a stand-in with Rpc and Execute only, in
# place of the real one): fwctlctl falls back to one call each, byte arrays.
test_fwctlctl_older_daemon() {
        local standin=$T/tmp/standin.py log=$T/tmp/standin.log big=$T/tmp/standin.bin pid
        cat >"$standin" <<'PY_EOF'
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

LOG = open(sys.argv[1], "a", buffering=1)


class Manager(dbus.service.Object):
    @dbus.service.method("org.freedesktop.fwctl1.Manager", in_signature="s", out_signature="o")
    def GetDevice(self, name):
        return "/org/freedesktop/fwctl1/device/fwctl0"


class Device(dbus.service.Object):
    @dbus.service.method("org.freedesktop.fwctl1.Device", in_signature="uayu", out_signature="aya{sv}",
                         byte_arrays=True)
    def Rpc(self, scope, request, max_response):
        LOG.write("Rpc %d %d\n" % (scope, len(request)))
        return dbus.ByteArray(bytes(request[:8])), {"operation": "STANDIN", "truncated": dbus.Boolean(False)}

    @dbus.service.method("org.freedesktop.fwctl1.Device", in_signature="ss", out_signature="s")
    def Execute(self, operation, parameters):
        LOG.write("Execute %s\n" % operation)
        return '{"standin": true}'


dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
name = dbus.service.BusName("org.freedesktop.fwctl1", bus)
Manager(bus, "/org/freedesktop/fwctl1")
Device(bus, "/org/freedesktop/fwctl1/device/fwctl0")
GLib.MainLoop().run()
PY_EOF
        { printf '0102030405060708'; head -c $((70 * 1024)) /dev/zero; } >"$big"
        harness_planned_stop || fail "could not stop fwctld"
        /usr/bin/python3 "$standin" "$log" >"$T/log/standin.log" 2>&1 &
        pid=$!
        # shellcheck disable=SC2064
        trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null" EXIT
        wait_until 10 bus_has_name "$FWCTL_BUS" || fail "stand-in did not start: $(cat "$T/log/standin.log")"
        ctl_rc 0 fwctlctl --json rpc fwctl0 --in 0102 --in "@$big" --max 512
        jqs_ok 'length == 2 and all(.[]; .session == null and .result.operation == "STANDIN") and
                .[0].response == "0102" and .[1].response == "3031303230333034" and .[1].request_size == 71696' \
                "$CTL_OUT" "two calls, one by one"
        ctl_rc 0 fwctlctl --json batch fwctl0 <<<$'rpc 0a0b\nexec op x=1'
        jqs_ok 'length == 2 and .[0].response == "0a0b" and .[1].result.standin == true' "$CTL_OUT" "batch"
        assert_eq "Rpc 0 2|Rpc 0 71696|Rpc 0 2|Execute op" "$(paste -sd'|' "$log")" "calls the stand-in saw"
        kill "$pid"
        wait "$pid" 2>/dev/null
        trap - EXIT
}
