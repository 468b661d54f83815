# shellcheck shell=bash
# Device.RpcFd: the request in a sealed memfd, the response in a new sealed memfd; the same
# checks, authorisation and journal as Rpc.

RPCFD=$SRCDIR/tests/integration/rpcfd-client.py

test_rpcfd_query_adapter() {
        assert_ok "$RPCFD" fwctl0 0 512 "$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 272 "$(kv response_size <<<"$LAST_OUT")" "response bytes"
        assert_eq true "$(kv response_sealed <<<"$LAST_OUT")" "response memfd sealed"
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
