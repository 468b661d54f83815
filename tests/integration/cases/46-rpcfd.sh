# shellcheck shell=bash
# Device.RpcFd: the request in a sealed memfd, the response in a new sealed memfd; the same
# checks, authorisation and journal as Rpc.

RPCFD=$SRCDIR/tests/integration/rpcfd-client.py

# rpcfd_check_memfd: the last RpcFd's response memfd is sealed for good and read from 0
rpcfd_check_memfd() {
        assert_eq true "$(kv response_sealed <<<"$LAST_OUT")" "response memfd sealed"
        assert_eq true "$(kv response_seal_seal <<<"$LAST_OUT")" "response memfd seals sealed"
        assert_eq 0 "$(kv response_offset <<<"$LAST_OUT")" "response memfd offset"
}

# rpcfd_held: what fwctld still holds of RpcFd memfds (the caller's request, its own response):
# mappings and open fds
rpcfd_held_lines() {
        local pid
        pid=$(bus_owner_pid)
        grep -e 'memfd:fwctl-request' -e 'memfd:fwctl-response' "/proc/$pid/maps"
        find "/proc/$pid/fd" -lname '*memfd:fwctl-re*' -printf '%p -> %l\n' 2>/dev/null
}
rpcfd_held() { rpcfd_held_lines | wc -l; }
rpcfd_released() { [ "$(rpcfd_held)" = 0 ]; }

test_rpcfd_query_adapter() {
        assert_ok "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 272 "$(kv response_size <<<"$LAST_OUT")" "response bytes"
        rpcfd_check_memfd
        assert_eq QUERY_ADAPTER "$(kv result.operation <<<"$LAST_OUT")" "operation"
        assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        # the same bytes as through Rpc
        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        local via_rpc
        via_rpc=$(kv response_hex <<<"$LAST_OUT")
        assert_ok "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq "$via_rpc" "$(kv response_hex <<<"$LAST_OUT")" "RpcFd and Rpc answer the same"
}

test_rpcfd_refuses_unsealed_and_oversized() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)" --unsealed
        assert_match 'sealed' "$(kv message <<<"$LAST_OUT")" "unsealed memfd"
        assert_dbus_error RequestRejected "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)" --pipe
        assert_dbus_error PayloadTooLarge "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)" --size 2097153
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
}

test_rpcfd_authorised_like_rpc() {
        assert_ok as_user fwtest "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 272 "$(kv response_size <<<"$LAST_OUT")" "fwtest's response"
        assert_dbus_error NotAuthorized as_user fwdeny "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        # a configuration write through RpcFd is journaled like any other
        assert_ok "$RPCFD" fwctl0 0 512 "$(mlx5_req 0x805 0)"
        assert_ge 1 "$(journal_json MESSAGE_ID=$MSGID_ATTEMPT FWCTL_OPERATION=ACCESS_REG FWCTL_CALLER_UID=0 | jq -s length)" \
                "attempt record of an ACCESS_REG write via RpcFd"
}

test_rpcfd_refuses_empty_sealed() {
        local before
        before=$(emu_rpc_count fwctl0)
        assert_dbus_error RequestRejected "$RPCFD" fwctl0 0 512 "" --size 0
        assert_match 'empty' "$(kv message <<<"$LAST_OUT")" "sealed empty memfd"
        assert_eq "$before" "$(emu_rpc_count fwctl0)" "RPCs reaching fwctl0"
}

# QUERY_ADAPTER writes 272 bytes whatever max_response says (fwctld sizes the kernel buffer from
# that): with 100 allowed, the memfd holds exactly the first 100.
test_rpcfd_truncated_to_max_response() {
        local full
        assert_ok "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        full=$(kv response_hex <<<"$LAST_OUT")
        assert_ok "$RPCFD" fwctl0 0 100 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 100 "$(kv response_size <<<"$LAST_OUT")" "response bytes"
        assert_eq "${full:0:200}" "$(kv response_hex <<<"$LAST_OUT")" "the head of the full response"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        assert_eq 272 "$(kv result.response_length <<<"$LAST_OUT")" "response_length"
        rpcfd_check_memfd
        # nothing allowed back: an empty sealed memfd
        assert_ok "$RPCFD" fwctl0 0 0 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 0 "$(kv response_size <<<"$LAST_OUT")" "response bytes for max_response 0"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated at 0"
        rpcfd_check_memfd
}

# 2 MiB each way through the generic plugin (no marshal(), no decode()): the request read where
# the caller wrote it, the response memfd written from the driver's buffer; byte for byte what
# Rpc answers. The sample device echoes.
test_rpcfd_sample_2mib_round_trip() {
        local name big=$T/tmp/rpcfd-2mib.bin sum before
        name=$(emu_add sample 0000:46:00.0) || fail "sample device hot-add failed"
        trap 'emu remove "$name" >/dev/null 2>&1' EXIT
        wait_until 5 dev_exists "$name" || fail "$name not published"
        head -c 2097152 /dev/urandom >"$big"
        sum=$(sha256sum "$big" | cut -d' ' -f1)
        before=$(emu_rpc_count "$name")
        assert_ok "$RPCFD" "$name" 0 2097152 "@$big"
        assert_eq 2097152 "$(kv response_size <<<"$LAST_OUT")" "response bytes"
        assert_eq "$sum" "$(kv response_sha256 <<<"$LAST_OUT")" "the echo of the request"
        assert_eq false "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        assert_eq 2097152 "$(kv result.kernel_out_len <<<"$LAST_OUT")" "kernel_out_len"
        rpcfd_check_memfd
        assert_ok "$RPCFD" "$name" 0 2097152 "@$big" --rpc
        assert_eq "$sum" "$(kv response_sha256 <<<"$LAST_OUT")" "Rpc answers the same"
        # a smaller max_response: exactly that many bytes, the head of the echo
        assert_ok "$RPCFD" "$name" 0 4096 "@$big"
        assert_eq 4096 "$(kv response_size <<<"$LAST_OUT")" "response bytes for max_response 4096"
        assert_eq "$(head -c 4096 "$big" | sha256sum | cut -d' ' -f1)" "$(kv response_sha256 <<<"$LAST_OUT")" \
                "the head of the echo"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        assert_eq 2097152 "$(kv result.response_length <<<"$LAST_OUT")" "response_length"
        rpcfd_check_memfd
        assert_eq $((before + 3)) "$(emu_rpc_count "$name")" "RPCs reaching the device"
}

# rpcfd_stocked: fwctld's RpcFd response memfds not given out yet, one line each: seals, size,
# whether every byte is allocated, and whether fwctld maps it (read through /proc as root)
rpcfd_stocked() {
        python3 - "$(bus_owner_pid)" <<'PY'
import fcntl, os, sys
pid = sys.argv[1]
maps = open("/proc/%s/maps" % pid).read()
for n in os.listdir("/proc/%s/fd" % pid):
    try:
        if os.readlink("/proc/%s/fd/%s" % (pid, n)) != "/memfd:fwctl-response (deleted)":
            continue
        fd = os.open("/proc/%s/fd/%s" % (pid, n), os.O_RDONLY)
    except OSError:
        continue
    st = os.fstat(fd)
    mapped = any(l.split()[4] == str(st.st_ino) for l in maps.splitlines() if len(l.split()) > 5)
    # allocated: every byte has its page (4 KiB pages, or huge ones where shmem uses them)
    print("seals=%d size=%d allocated=%s mapped=%s" % (fcntl.fcntl(fd, fcntl.F_GET_SEALS), st.st_size,
                                                    st.st_blocks * 512 >= st.st_size, mapped))
    os.close(fd)
PY
}
rpcfd_stock_is() { [ "$(rpcfd_stocked)" = "$1" ]; }

# After a large response fwctld makes the next response memfd ahead, off the call's path: one
# memfd, never sealed, mapped or written, its pages allocated; the next RpcFd gets it, holding
# exactly its own response; it goes 5 s after the last large response.
test_rpcfd_stocked_memfd() {
        local name big=$T/tmp/rpcfd-stock.bin small=$T/tmp/rpcfd-stock-small.bin
        name=$(emu_add sample 0000:47:00.0) || fail "sample device hot-add failed"
        trap 'emu remove "$name" >/dev/null 2>&1' EXIT
        wait_until 5 dev_exists "$name" || fail "$name not published"
        head -c 1048576 /dev/urandom >"$big"
        head -c 70000 /dev/urandom >"$small"
        assert_ok "$RPCFD" "$name" 0 2097152 "@$big"
        wait_until 5 rpcfd_stock_is "seals=0 size=1048576 allocated=True mapped=False" \
                || fail "stocked after 1 MiB: $(rpcfd_stocked)"
        # the next response is smaller than what was made ahead: exactly its own bytes
        assert_ok "$RPCFD" "$name" 0 2097152 "@$small"
        assert_eq 70000 "$(kv response_fd_size <<<"$LAST_OUT")" "size of the response memfd"
        assert_eq "$(sha256sum <"$small" | cut -d' ' -f1)" "$(kv response_sha256 <<<"$LAST_OUT")" "the echo"
        rpcfd_check_memfd
        # 70000 bytes is still large: one made ahead at that size, then none once idle
        wait_until 5 rpcfd_stock_is "seals=0 size=70000 allocated=True mapped=False" \
                || fail "stocked after 70000 bytes: $(rpcfd_stocked)"
        wait_until 10 rpcfd_released || fail "fwctld still holds $(rpcfd_held) RpcFd memfds after 10 s idle:" \
                "$(rpcfd_held_lines | tr '\n' ' ') stocked: $(rpcfd_stocked | tr '\n' ' ')"
}

# pds has marshal() and decode() (pds_dev, pds_env: 64-pds.sh): its own buffers and response;
# the same bytes as Rpc's, trimmed the same way.
test_rpcfd_marshal_plugin() {
        local name via_rpc
        name=$(pds_dev) || fail "pds device did not appear"
        assert_ok client rpc "$name" 0 64 "hex:$(pds_env 1 1 01020304 16)"
        via_rpc=$(kv response_hex <<<"$LAST_OUT")
        assert_ok "$RPCFD" "$name" 0 64 "$(pds_env 1 1 01020304 16)"
        assert_eq "$via_rpc" "$(kv response_hex <<<"$LAST_OUT")" "RpcFd and Rpc answer the same"
        assert_eq 40 "$(kv response_size <<<"$LAST_OUT")" "response bytes"
        assert_eq SUCCESS "$(kv result.status_name <<<"$LAST_OUT")" "status_name"
        rpcfd_check_memfd
        assert_ok "$RPCFD" "$name" 0 39 "$(pds_env 1 1 '' 16)"
        assert_eq 39 "$(kv response_size <<<"$LAST_OUT")" "bytes returned for max_response 39"
        assert_eq true "$(kv result.truncated <<<"$LAST_OUT")" "truncated"
        rpcfd_check_memfd
}

# Answered or failed (the device refusing after both memfds were there, with fwctld's buffers
# or a plugin's), a call leaves nothing of either memfd in fwctld: no mapping, no fd.
test_rpcfd_leaves_nothing_mapped() {
        local name
        name=$(pds_dev) || fail "pds device did not appear"
        trap 'emu fault fwctl0 none >/dev/null 2>&1' EXIT
        assert_match '^ok' "$(emu fault fwctl0 cmd-timeout)" "emu fault"
        assert_dbus_error DeviceError "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_match 'ETIMEDOUT' "$(kv message <<<"$LAST_OUT")" "DeviceError message"
        emu fault fwctl0 none >/dev/null
        assert_dbus_error DeviceError "$RPCFD" "$name" 0 64 "$(pds_env 1 9 '' 8)"
        assert_ok "$RPCFD" fwctl0 0 100 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_ok "$RPCFD" "$name" 0 64 "$(pds_env 1 1 01020304 16)"
        # the reply goes out before the call is freed; a memfd made ahead goes after 5 s idle
        wait_until 10 rpcfd_released || fail "fwctld still holds $(rpcfd_held) RpcFd memfd mappings or fds"
}
