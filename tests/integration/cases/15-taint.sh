# shellcheck shell=bash
# KernelTainted follows the TAINT_FWCTL bit (the emulator ORs 0x80000 into the
# bind-mounted /proc/sys/kernel/tainted on scope 2/3 RPCs, like the kernel).
# Runs before any other case issues a scope-2/3 RPC.

test_taint_flips_after_scope2_rpc() {
        local mon=$T/log/taint-monitor.out monpid out
        assert_eq false "$(mgr_prop KernelTainted)" "KernelTainted before any scope-2 RPC"
        stdbuf -oL gdbus monitor --system --dest "$FWCTL_BUS" --object-path "$FWCTL_MGR_PATH" >"$mon" 2>&1 &
        monpid=$!
        wait_until 5 grep -q 'is owned by' "$mon" || { kill $monpid; fail "gdbus monitor did not start"; }

        assert_ok client rpc fwctl0 1 64 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 0 "$(cat /proc/sys/kernel/tainted)" "taint word after a scope-1 RPC"
        assert_eq false "$(mgr_prop KernelTainted)" "KernelTainted after a scope-1 RPC"

        # QUERY_ADAPTER at scope 2 runs at the scope it needs (0): no taint
        assert_ok client rpc fwctl0 2 64 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_eq 0 "$(cat /proc/sys/kernel/tainted)" "taint word after QUERY_ADAPTER at scope 2"
        # SET_DIAGNOSTIC_PARAMS needs debug-write: the kernel taints
        assert_ok client rpc fwctl0 2 64 "hex:$(mlx5_req $MLX5_SET_DIAGNOSTIC_PARAMS)"
        out=$(cat /proc/sys/kernel/tainted)
        (( (out & TAINT_FWCTL) != 0 )) || { kill $monpid; fail "emulator did not taint (tainted=$out)"; }
        if ! wait_until 3 sh -c "busctl --system get-property $FWCTL_BUS $FWCTL_MGR_PATH $FWCTL_MGR_IFACE KernelTainted | grep -q true"; then
                kill $monpid
                fail "KernelTainted still false after a scope-2 RPC"
        fi
        wait_until 3 grep -q "KernelTainted.*true" "$mon"
        kill $monpid
        grep -q "PropertiesChanged.*$FWCTL_MGR_IFACE.*KernelTainted.*true" "$mon" \
                || fail "no PropertiesChanged(KernelTainted=true) seen: $(tr '\n' ' ' <"$mon" | head -c 400)"
}
