# shellcheck shell=bash
# Hotplug through the emulator's control socket: objects appear and vanish.

test_hotplug_add_remove() {
        local mon=$T/log/hotplug-monitor.out monpid name path j
        stdbuf -oL gdbus monitor --system --dest "$FWCTL_BUS" >"$mon" 2>&1 &
        monpid=$!
        wait_until 5 grep -q 'is owned by' "$mon" || { kill $monpid; fail "gdbus monitor did not start"; }

        name=$(emu_add bnxt 0000:05:00.0) || { kill $monpid; fail "emu add bnxt failed"; }
        assert_match '^fwctl[0-9]+$' "$name" "emulator reply"
        path=$FWCTL_DEV_PREFIX/$name
        wait_until 5 dev_exists "$name" || { kill $monpid; fail "object $path did not appear"; }
        assert_eq '"bnxt"' "$(dev_prop "$name" DeviceTypeName)" "DeviceTypeName"
        assert_eq 3 "$(dev_prop "$name" DeviceType)" "DeviceType"
        assert_eq '"0000:05:00.0"' "$(dev_prop "$name" PciAddress)" "PciAddress"
        assert_eq "$path" "$(get_device_path 0000:05:00.0)" "GetDevice after add"
        wait_until 3 grep -q "InterfacesAdded.*$path" "$mon" \
                || { kill $monpid; fail "no InterfacesAdded for $path: $(tr '\n' ' ' <"$mon" | head -c 300)"; }

        assert_match '^ok' "$(emu remove "$name")" "emu remove"
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $path $FWCTL_DEV_IFACE" \
                || { kill $monpid; fail "object $path still there after remove"; }
        assert_dbus_error NoSuchDevice gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_MGR_PATH" --method "$FWCTL_MGR_IFACE.GetDevice" 0000:05:00.0
        wait_until 3 grep -q "InterfacesRemoved.*$path" "$mon"
        kill $monpid
        grep -q "InterfacesRemoved.*$path" "$mon" || fail "no InterfacesRemoved for $path"

        # journal: device added / removed records
        j=$(journal_json MESSAGE_ID=$MSGID_ADDED FWCTL_DEVICE="$name" | tail -n 1)
        [ -n "$j" ] || fail "no device-added journal entry for $name"
        assert_match '0000:05:00\.0' "$(jq -r .FWCTL_PARENT <<<"$j")" "added entry FWCTL_PARENT"
        j=$(journal_json MESSAGE_ID=$MSGID_REMOVED FWCTL_DEVICE="$name" | tail -n 1)
        [ -n "$j" ] || fail "no device-removed journal entry for $name"
        assert_match '0000:05:00\.0' "$(jq -r .FWCTL_PARENT <<<"$j")" "removed entry FWCTL_PARENT"
}

get_device_path() {
        busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" GetDevice s "$1" | jq -r '.data[0]'
}

test_hotplug_readd() {
        local name i
        for i in 1 2; do
                name=$(emu_add bnxt 0000:05:00.0) || fail "emu add bnxt (round $i) failed"
                wait_until 5 dev_exists "$name" || fail "round $i: $name did not appear"
                assert_ok busctl --system call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$name" "$FWCTL_DEV_IFACE" Info
                assert_match '^ok' "$(emu remove "$name")" "emu remove (round $i)"
                wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE" \
                        || fail "round $i: $name still there after remove"
        done
        assert_true "fwctl0 still present" dev_exists fwctl0
        assert_true "fwctl1 still present" dev_exists fwctl1
}

test_hotplug_pds() {
        local name
        name=$(emu_add pds 0000:09:00.1) || fail "emu add pds failed"
        wait_until 5 dev_exists "$name" || fail "$name did not appear"
        assert_eq '"pds"' "$(dev_prop "$name" DeviceTypeName)" "DeviceTypeName"
        assert_eq 4 "$(dev_prop "$name" DeviceType)" "DeviceType"
        assert_match '^ok' "$(emu remove "$name")" "emu remove"
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$name $FWCTL_DEV_IFACE" \
                || fail "$name still there after remove"
}
