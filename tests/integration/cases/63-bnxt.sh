# shellcheck shell=bash
# bnxt plugin: Info, Rpc classification before the ioctl, the DMA envelopes
# (NVM_READ, NVM_WRITE, DBG_READ_DIRECT, PORT_QSTATS, NVM_GET_DIR_ENTRIES),
# named operations, the debug-write audit trail and malformed replies.
# Each test hotplugs its own bnxt device and removes it when it ends.

BNXT_PCI=0000:15:00.0

bnxt_down() {
        [ -n "${BNXT:-}" ] || return 0
        emu fault "$BNXT" none >/dev/null 2>&1
        emu remove "$BNXT" >/dev/null 2>&1
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$BNXT $FWCTL_DEV_IFACE" \
                >/dev/null 2>&1
        BNXT=
}

bnxt_up() {
        BNXT=$(emu_add bnxt $BNXT_PCI) || fail "emu add bnxt failed"
        trap bnxt_down EXIT
        wait_until 5 dev_exists "$BNXT" || fail "$BNXT did not appear"
}

bnxt_le16() { printf '%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)); }
bnxt_le32() { printf '%s%s' "$(bnxt_le16 $(($1 & 0xffff)))" "$(bnxt_le16 $(($1 >> 16 & 0xffff)))"; }

# bnxt_req TYPE [LEN] -> hex of an HWRM request: header (cmpl_ring/target_id 0xffff,
# seq_id 0x42, resp_addr 0) padded with zeros to LEN bytes (default 16)
bnxt_req() {
        local len=${2:-16} h
        h="$(bnxt_le16 $(($1)))ffff4200ffff0000000000000000"
        while [ ${#h} -lt $((len * 2)) ]; do h+=00; done
        printf '%s' "${h:0:$((len * 2))}"
}

# bnxt_nvm_read DIR OFFSET LEN [ADDR_HEX16] -> the 40-byte NVM_READ envelope
bnxt_nvm_read() {
        printf '%s%s%s0000%s%s00000000' "$(bnxt_req 0xfffd)" "${4:-0000000000000000}" \
                "$(bnxt_le16 "$1")" "$(bnxt_le32 "$2")" "$(bnxt_le32 "$3")"
}

# bnxt_dma_req TYPE SIZE [OFFSET HEX]... -> a SIZE-byte request of TYPE with HEX written at each OFFSET
bnxt_dma_req() {
        local h
        h=$(bnxt_req "$1" "$2")
        shift 2
        while [ $# -ge 2 ]; do
                h="${h:0:$(($1 * 2))}$2${h:$(($1 * 2 + ${#2}))}"
                shift 2
        done
        printf '%s' "$h"
}

# what the emulated firmware writes into from-device buffer K of command TYPE: byte i = i*7 + K*0x51 + TYPE
bnxt_dma_expect() {
        local i out=
        for ((i = 0; i < $3; i++)); do out+=$(printf '%02x' $(((i * 7 + $2 * 0x51 + $1) & 255))); done
        printf '%s' "$out"
}

# what the emulated firmware stores: byte i of entry DIR at OFFSET is (OFFSET+i)*13+DIR
bnxt_nvm_expect() {
        local i out=
        for ((i = 0; i < $3; i++)); do out+=$(printf '%02x' $(((($2 + i) * 13 + $1) & 255))); done
        printf '%s' "$out"
}

# bnxt_exec OP JSON -> the result JSON (gdbus prints ('...',))
bnxt_exec() {
        local out
        out=$(gdbus call --system --dest "$FWCTL_BUS" --object-path "$FWCTL_DEV_PREFIX/$BNXT" \
                --method "$FWCTL_DEV_IFACE.Execute" "$1" "$2" 2>&1) || { printf '%s\n' "$out"; return 1; }
        out=${out#"('"}
        printf '%s\n' "${out%"',)"}"
}

bnxt_journal_entry() {
        local i out
        for ((i = 0; i < 40; i++)); do
                out=$(journal_json MESSAGE_ID="$1" FWCTL_CALLER_PID="$2")
                [ -n "$out" ] && break
                sleep 0.05
        done
        printf '%s\n' "$out"
}

test_bnxt_info() {
        local out j
        bnxt_up
        assert_eq '"bnxt"' "$(dev_prop "$BNXT" Plugin)" "Plugin"
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$BNXT" "$FWCTL_DEV_IFACE" Info) \
                || fail "Info failed: $out"
        assert_eq 3 "$(jq '.data[0]' <<<"$out")" "device_type"
        assert_eq '[15,0,0,0]' "$(jq -c '.data[1]' <<<"$out")" "device_data (uctx_caps le32)"
        j=$(jq -r '.data[2]' <<<"$out")
        assert_eq bnxt "$(jq -r .plugin <<<"$j")" "info plugin"
        assert_eq 15 "$(jq -r .uctx_caps <<<"$j")" "info uctx_caps"
        assert_eq '["inline","query","send","dma"]' "$(jq -c .command_classes <<<"$j")" "info command_classes"
        assert_eq true "$(jq -r .advisory <<<"$j")" "info advisory"
}

test_bnxt_rpc_ver_get() {
        local before
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_ok client rpc "$BNXT" 1 256 "hex:$(bnxt_req 0 24)"
        assert_eq VER_GET "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq 0 "$(kv result.status <<<"$LAST_OUT")" "status"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status_name"
        assert_eq 104 "$(kv result.response_length <<<"$LAST_OUT")" "response_length = resp_len"
        assert_eq 104 "$(kv response_size <<<"$LAST_OUT")" "response bytes returned"
        assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        assert_eq false "$(kv result.configuration_write <<<"$LAST_OUT")" "configuration_write"
        assert_match '^000000004200680001' "$(kv response_hex <<<"$LAST_OUT")" "response header + interface 1.10"
        # a caller buffer smaller than resp_len: truncated, true length still reported
        assert_ok client rpc "$BNXT" 1 32 "hex:$(bnxt_req 0 24)"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated at 32"
        assert_eq 104 "$(kv result.response_length <<<"$LAST_OUT")" "response_length at 32"
        assert_eq 32 "$(kv response_size <<<"$LAST_OUT")" "response bytes at 32"
        assert_eq $((before + 2)) "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
}

test_bnxt_rpc_scope_too_low() {
        local before
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error ScopeTooLow client rpc "$BNXT" 0 256 "hex:$(bnxt_req 0 24)"
        assert_match 'VER_GET.*debug-read-only' "$LAST_OUT" "message names the command and scope"
        assert_dbus_error ScopeTooLow client rpc "$BNXT" 1 64 "hex:$(bnxt_req 0x2b 24)"
        assert_match 'PORT_PHY_I2C_WRITE.*debug-write' "$LAST_OUT" "message names debug-write"
        assert_dbus_error ScopeTooLow client rpc "$BNXT" 0 64 "hex:$(bnxt_nvm_read 0 0 16)"
        assert_eq "$before" "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
}

test_bnxt_rpc_rejected_before_ioctl() {
        local before
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error RequestRejected client rpc "$BNXT" 3 64 "hex:$(bnxt_req 0x1234)"
        assert_match '0x1234' "$LAST_OUT" "reason names the req_type"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 64 "hex:$(bnxt_req 0 129)"
        assert_match '129' "$LAST_OUT" "reason names the size"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 64 "hex:$(bnxt_req 0 15)"
        # DMA commands whose layout is not verified against the HSI header are refused
        assert_dbus_error RequestRejected client rpc "$BNXT" 2 64 "hex:$(bnxt_req 0xff2d 48)"
        assert_match 'DBG_PTRACE' "$LAST_OUT" "reason names the DMA command"
        assert_dbus_error RequestRejected client rpc "$BNXT" 3 64 "hex:$(bnxt_req 0xff30 48)"
        assert_match 'not verified' "$LAST_OUT" "DBG_TOKEN_CFG refused until verified"
        assert_eq "$before" "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
        # max_response below the 8-byte response header: the kernel still gets 8, the reply is trimmed
        assert_ok client rpc "$BNXT" 1 7 "hex:$(bnxt_req 0 24)"
        assert_eq 7 "$(kv response_size <<<"$LAST_OUT")" "bytes returned for max_response 7"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
}

test_bnxt_rpc_nvm_read_envelope() {
        local before hex
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_ok client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 2 16 8)"
        assert_eq NVM_READ "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status_name"
        assert_eq 24 "$(kv result.response_length <<<"$LAST_OUT")" "response_length = resp_len + data"
        hex=$(kv response_hex <<<"$LAST_OUT")
        assert_match '^0000fdff42001000' "$hex" "HWRM response header first (resp_len 16)"
        assert_eq "$(bnxt_nvm_expect 2 16 8)" "${hex:32}" "read data after the response"
        assert_eq $((before + 1)) "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
}

test_bnxt_rpc_nvm_read_bad_lengths() {
        local before
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 0 0 0)"
        assert_match 'length field.*is 0' "$LAST_OUT" "length 0"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 0 0 4294967295)"
        assert_match '4294967295' "$LAST_OUT" "length overflowing the limit"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 0 0 1048577)"
        # the driver's per-buffer limit is 64 KiB
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 0 0 65537)"
        assert_match 'limit of 65536' "$LAST_OUT" "64 KiB limit named"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 0 0 8)00"
        assert_match 'must be 40 bytes' "$LAST_OUT" "exact request size"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 4096 \
                "hex:$(bnxt_nvm_read 0 0 8 0010000000000000)"
        assert_match 'must be zero' "$LAST_OUT" "address field"
        assert_eq "$before" "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
}

# NVM_WRITE (debug-write, to-device): 56-byte request, dir_data_length le32 @32 = 8, then the 8 data bytes.
test_bnxt_rpc_nvm_write() {
        local before pid a r hex
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_ok client rpc "$BNXT" 2 256 "hex:$(bnxt_dma_req 0xfffe 56 24 0e00 32 08000000)0102030405060708"
        assert_eq NVM_WRITE "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq true "$(kv result.configuration_write <<<"$LAST_OUT")" "configuration_write"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status_name"
        assert_eq 16 "$(kv result.response_length <<<"$LAST_OUT")" "response_length = resp_len (no read data)"
        hex=$(kv response_hex <<<"$LAST_OUT")
        # dir_item_length = 8 bytes received, dir_idx = the emulator's sum of them (36 = 0x24)
        assert_match '^0000feff420010000800000024000001$' "$hex" "response shows the data reached the device"
        assert_eq $((before + 1)) "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
        pid=$(kv pid <<<"$LAST_OUT")
        a=$(bnxt_journal_entry $MSGID_ATTEMPT "$pid")
        r=$(bnxt_journal_entry $MSGID_RESULT "$pid")
        [ -n "$a" ] || fail "no attempt entry for pid $pid"
        [ -n "$r" ] || fail "no result entry for pid $pid"
        assert_eq NVM_WRITE "$(jq -r .FWCTL_OPERATION <<<"$a")" "attempt FWCTL_OPERATION"
        assert_eq NVM_WRITE "$(jq -r .FWCTL_OPERATION <<<"$r")" "result FWCTL_OPERATION"
        assert_eq 2 "$(jq -r .FWCTL_SCOPE <<<"$r")" "result FWCTL_SCOPE"
        assert_eq ok "$(jq -r .FWCTL_RESULT <<<"$r")" "result FWCTL_RESULT"
        # the envelope must carry exactly dir_data_length bytes of data
        assert_dbus_error RequestRejected client rpc "$BNXT" 2 256 \
                "hex:$(bnxt_dma_req 0xfffe 56 32 08000000)01020304050607"
        assert_match 'must be 64 bytes' "$LAST_OUT" "envelope size named"
        assert_eq $((before + 1)) "$(emu_rpc_count "$BNXT")" "RPCs after the bad envelope"
}

# DBG_READ_DIRECT: read_len32 le32 @28 counts 32-bit words: 4 words = 16 bytes of data.
test_bnxt_rpc_dbg_read_direct() {
        local hex
        bnxt_up
        assert_ok client rpc "$BNXT" 1 256 "hex:$(bnxt_dma_req 0xff10 32 24 00100000 28 04000000)"
        assert_eq DBG_READ_DIRECT "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq 32 "$(kv result.response_length <<<"$LAST_OUT")" "response_length = 16 + 4 words"
        hex=$(kv response_hex <<<"$LAST_OUT")
        assert_match '^000010ff42001000' "$hex" "HWRM response header"
        assert_eq "$(bnxt_dma_expect 0x10 0 16)" "${hex:32}" "16 bytes of read data"
        # 0x4001 words = 65540 bytes: beyond the 64 KiB limit after the unit multiply
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 256 "hex:$(bnxt_dma_req 0xff10 32 28 01400000)"
        assert_match '16385 units of 4 bytes' "$LAST_OUT" "unit multiply named"
}

# PORT_QSTATS: two fixed from-device buffers, tx_port_stats (408) then rx_port_stats (528).
test_bnxt_rpc_port_qstats() {
        local hex
        bnxt_up
        assert_ok client rpc "$BNXT" 1 4096 "hex:$(bnxt_dma_req 0x23 40 16 0100)"
        assert_eq PORT_QSTATS "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq $((16 + 408 + 528)) "$(kv result.response_length <<<"$LAST_OUT")" "response_length"
        assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        hex=$(kv response_hex <<<"$LAST_OUT")
        assert_match '^000023004200100098011002' "$hex" "header, tx_stat_size 408, rx_stat_size 528"
        assert_eq "$(bnxt_dma_expect 0x23 0 408)" "${hex:32:816}" "tx buffer"
        assert_eq "$(bnxt_dma_expect 0x23 1 528)" "${hex:848}" "rx buffer"
        # a max_response that cuts the rx buffer: truncated, true length still reported
        assert_ok client rpc "$BNXT" 1 424 "hex:$(bnxt_dma_req 0x23 40 16 0100)"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated at 424"
        assert_eq 952 "$(kv result.response_length <<<"$LAST_OUT")" "response_length at 424"
        assert_eq 424 "$(kv response_size <<<"$LAST_OUT")" "bytes returned at 424"
}

# NVM_GET_DIR_ENTRIES: no length field, the driver's fixed 64 KiB buffer.
test_bnxt_rpc_nvm_get_dir_entries() {
        local hex
        bnxt_up
        assert_ok client rpc "$BNXT" 1 65552 "hex:$(bnxt_req 0xfffa 24)"
        assert_eq NVM_GET_DIR_ENTRIES "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq 65552 "$(kv result.response_length <<<"$LAST_OUT")" "response_length = 16 + 65536"
        assert_eq 65552 "$(kv response_size <<<"$LAST_OUT")" "bytes returned"
        hex=$(kv response_hex <<<"$LAST_OUT")
        assert_eq "$(bnxt_dma_expect 0xfa 0 64)" "${hex:32:128}" "start of the directory buffer"
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 65552 "hex:$(bnxt_req 0xfffa 32)"
        assert_match 'must be 24 bytes' "$LAST_OUT" "exact size named"
}

test_bnxt_rpc_dma_scope_too_low() {
        local before
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error ScopeTooLow client rpc "$BNXT" 1 256 \
                "hex:$(bnxt_dma_req 0xfffe 56 32 04000000)01020304"
        assert_match 'NVM_WRITE.*debug-write' "$LAST_OUT" "NVM_WRITE needs debug-write"
        assert_dbus_error ScopeTooLow client rpc "$BNXT" 2 256 "hex:$(bnxt_dma_req 0xffff 40 28 04000000)01020304"
        assert_match 'NVM_RAW_WRITE_BLK.*debug-write-full' "$LAST_OUT" "RAW_WRITE_BLK needs debug-write-full"
        assert_dbus_error ScopeTooLow client rpc "$BNXT" 0 4096 "hex:$(bnxt_dma_req 0x23 40)"
        assert_eq "$before" "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
}

test_bnxt_rpc_dma_zero_length() {
        local before
        bnxt_up
        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 256 "hex:$(bnxt_dma_req 0xff10 32)"
        assert_match 'DBG_READ_DIRECT.*offset 28 is 0' "$LAST_OUT" "read_len32 0"
        # PORT_QSTATS_EXT: tx_stat_size 32, rx_stat_size 0
        assert_dbus_error RequestRejected client rpc "$BNXT" 1 256 "hex:$(bnxt_dma_req 0xb4 40 18 2000)"
        assert_match 'PORT_QSTATS_EXT.*offset 20 is 0' "$LAST_OUT" "second buffer length 0"
        assert_eq "$before" "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
}

test_bnxt_execute_operations() {
        local out before
        bnxt_up
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$BNXT" "$FWCTL_DEV_IFACE" \
                ListOperations) || fail "ListOperations failed: $out"
        assert_eq '["func-qcaps","nvm-get-dev-info","nvm-read","temp-monitor-query","ver-get"]' \
                "$(jq -c '[.data[0][][0]] | sort' <<<"$out")" "operations"
        assert_eq '[1,1,1,1,1]' "$(jq -c '[.data[0][][2]]' <<<"$out")" "operation scopes"

        out=$(bnxt_exec ver-get '{}') || fail "ver-get: $out"
        assert_eq SUCCESS "$(jq -r .status_name <<<"$out")" "ver-get status"
        assert_eq 1.10.2 "$(jq -r .hwrm_interface_version <<<"$out")" "ver-get interface"
        assert_eq 224.0.123.0 "$(jq -r .hwrm_firmware_version <<<"$out")" "ver-get firmware"
        assert_eq 224.0.123.0 "$(jq -r .hwrm_firmware_name <<<"$out")" "ver-get firmware name"
        assert_eq 224.1.0.0 "$(jq -r .active_package_name <<<"$out")" "ver-get package"

        out=$(bnxt_exec func-qcaps '{}') || fail "func-qcaps: $out"
        assert_eq 00:0a:f7:12:34:56 "$(jq -r .mac_address <<<"$out")" "func-qcaps mac"
        assert_eq 16 "$(jq -r .max_vfs <<<"$out")" "func-qcaps max_vfs"
        assert_eq 64 "$(jq -r .max_tx_rings <<<"$out")" "func-qcaps max_tx_rings"

        out=$(bnxt_exec temp-monitor-query '{}') || fail "temp-monitor-query: $out"
        assert_eq 47 "$(jq -r .temperature_c <<<"$out")" "temperature"
        assert_eq 52 "$(jq -r .phy_temperature_c <<<"$out")" "phy temperature"

        out=$(bnxt_exec nvm-get-dev-info '{}') || fail "nvm-get-dev-info: $out"
        assert_eq 16777216 "$(jq -r .nvram_size <<<"$out")" "nvram_size"
        assert_eq 4096 "$(jq -r .sector_size <<<"$out")" "sector_size"

        out=$(bnxt_exec nvm-read '{"dir_idx": 5, "offset": 100, "length": 32}') || fail "nvm-read: $out"
        assert_eq "$(bnxt_nvm_expect 5 100 32)" "$(jq -r .data <<<"$out")" "nvm-read data"
        assert_eq 32 "$(jq -r .length <<<"$out")" "nvm-read length"

        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error InvalidArguments bnxt_exec nvm-read '{"dir_idx": 5, "offset": 0}'
        assert_match "'length'" "$LAST_OUT" "missing field named"
        assert_dbus_error InvalidArguments bnxt_exec nvm-read '{"dir_idx": "5", "offset": 0, "length": 4}'
        assert_match "'dir_idx'" "$LAST_OUT" "ill-typed field named"
        assert_dbus_error InvalidArguments bnxt_exec nvm-read '{"dir_idx": 5, "offset": 0, "length": 0}'
        assert_dbus_error InvalidArguments bnxt_exec ver-get '{not json'
        assert_dbus_error NoSuchOperation bnxt_exec nvm-write '{}'
        assert_eq "$before" "$(emu_rpc_count "$BNXT")" "RPCs reaching the device after bad parameters"
}

test_bnxt_debug_write_journal() {
        local pid a r
        bnxt_up
        assert_ok client rpc "$BNXT" 2 64 "hex:$(bnxt_req 0x2b 24)"
        assert_eq PORT_PHY_I2C_WRITE "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq true "$(kv result.configuration_write <<<"$LAST_OUT")" "configuration_write"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status_name"
        pid=$(kv pid <<<"$LAST_OUT")
        a=$(bnxt_journal_entry $MSGID_ATTEMPT "$pid")
        r=$(bnxt_journal_entry $MSGID_RESULT "$pid")
        [ -n "$a" ] || fail "no attempt entry for pid $pid"
        [ -n "$r" ] || fail "no result entry for pid $pid"
        assert_eq PORT_PHY_I2C_WRITE "$(jq -r .FWCTL_OPERATION <<<"$a")" "attempt FWCTL_OPERATION"
        assert_eq PORT_PHY_I2C_WRITE "$(jq -r .FWCTL_OPERATION <<<"$r")" "result FWCTL_OPERATION"
        assert_eq "$BNXT" "$(jq -r .FWCTL_DEVICE <<<"$r")" "result FWCTL_DEVICE"
        assert_eq 2 "$(jq -r .FWCTL_SCOPE <<<"$r")" "result FWCTL_SCOPE"
        assert_eq ok "$(jq -r .FWCTL_RESULT <<<"$r")" "result FWCTL_RESULT"
}

test_bnxt_malformed_replies() {
        local before
        bnxt_up
        assert_match '^ok' "$(emu fault "$BNXT" resp-len-overflow)" "emu fault"
        before=$(emu_rpc_count "$BNXT")
        assert_dbus_error DeviceError client rpc "$BNXT" 1 256 "hex:$(bnxt_req 0 24)"
        assert_match 'resp_len.*beyond' "$LAST_OUT" "reason for resp_len overflow"
        assert_dbus_error DeviceError bnxt_exec temp-monitor-query '{}'
        assert_dbus_error DeviceError client rpc "$BNXT" 1 4096 "hex:$(bnxt_nvm_read 1 0 8)"
        assert_match '^ok' "$(emu fault "$BNXT" short)" "emu fault short"
        assert_dbus_error DeviceError client rpc "$BNXT" 1 256 "hex:$(bnxt_req 0 24)"
        # the kernel copies only resp_len (4) bytes: the caller sees resp_len 0
        assert_match 'resp_len 0' "$LAST_OUT" "reason for a short resp_len"
        assert_dbus_error DeviceError bnxt_exec ver-get '{}'
        assert_eq $((before + 5)) "$(emu_rpc_count "$BNXT")" "RPCs reaching the device"
        # the daemon survives and the device works again once the firmware behaves
        assert_match '^ok' "$(emu fault "$BNXT" none)" "emu fault none"
        assert_ok client rpc "$BNXT" 1 256 "hex:$(bnxt_req 0 24)"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status after the faults"
        assert_ok client rpc fwctl0 0 64 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
}
