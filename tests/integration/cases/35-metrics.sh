# shellcheck shell=bash
# Manager.GetMetrics(): the counters every caller may read, moved by calls made here.

metrics() { busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" GetMetrics | jq -r '.data[0]'; }

# count JSON DEVICE SCOPE RESULT -> the calls counter of that device (0 when absent)
calls_of() {
        jq --arg d "$2" --arg s "$3" --arg r "$4" \
                '[.devices[] | select(.name == $d) | .calls[] | select(.scope == $s and .result == $r) | .count] | add // 0' <<<"$1"
}

test_metrics_count_calls() {
        local before after j
        before=$(metrics) || fail "GetMetrics failed"
        jq -e '.version == 1 and (.devices | length) >= 2' <<<"$before" >/dev/null || fail "bad document: ${before:0:300}"

        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_ok client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"
        assert_dbus_error RequestRejected client rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_UNKNOWN)"
        assert_dbus_error NotAuthorized as_user fwdeny "$FWCTL_CLIENT" rpc fwctl0 0 512 "hex:$(mlx5_req $MLX5_QUERY_ADAPTER)"

        # any user may read them
        after=$(as_user fwdeny busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" \
                GetMetrics | jq -r '.data[0]') || fail "GetMetrics as fwdeny failed"
        assert_eq $(( $(calls_of "$before" fwctl0 configuration ok) + 2 )) "$(calls_of "$after" fwctl0 configuration ok)" \
                "ok calls at configuration"
        assert_eq $(( $(calls_of "$before" fwctl0 configuration RequestRejected) + 1 )) \
                "$(calls_of "$after" fwctl0 configuration RequestRejected)" "rejected calls"
        assert_eq $(( $(calls_of "$before" fwctl0 configuration NotAuthorized) + 1 )) \
                "$(calls_of "$after" fwctl0 configuration NotAuthorized)" "unauthorised calls"
        j=$(jq '.devices[] | select(.name == "fwctl0")' <<<"$after")
        assert_eq $(( $(jq '.devices[] | select(.name == "fwctl0") | .bytes_out' <<<"$before") + 544 )) \
                "$(jq .bytes_out <<<"$j")" "bytes out: two QUERY_ADAPTER replies of 272"
        assert_ge 1 "$(jq '[.denials[] | select(.reason == "denied") | .count] | add // 0' <<<"$j")" "denials"
        assert_eq NotAuthorized "$(jq -r '.last_error.name' <<<"$j" | sed 's/.*\.//')" "last error"
        # the histogram is cumulative and ends with +Inf holding every call
        jq -e '.latency_seconds as $l | ($l.buckets[-1].le == "+Inf") and ($l.buckets[-1].count == $l.count)
               and ([$l.buckets[].count] | . == sort)' <<<"$j" >/dev/null || fail "latency histogram: $j"
        assert_eq 0 "$(jq .queue_depth <<<"$j")" "queue depth at rest"
        # totals include every device
        assert_ge "$(calls_of "$after" fwctl0 configuration ok)" \
                "$(jq '[.total.calls[] | select(.scope == "configuration" and .result == "ok") | .count] | add' <<<"$after")" "totals"
}
