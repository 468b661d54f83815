# shellcheck shell=bash
# Coldplugged devices, their properties, and GetDevice lookups.
# fwctl0 = mlx5@0000:03:00.0, fwctl1 = cxl@0000:0d:00.0 (harness_start_daemon)

test_manager_properties_at_start() {
        local v
        v=$(mgr_prop Version) || fail "cannot read Version"
        assert_match '^"[0-9]+\.[0-9]+' "$v" "Manager.Version"
        assert_eq false "$(mgr_prop KernelTainted)" "KernelTainted at start"
        v=$(mgr_prop Plugins) || fail "cannot read Plugins"
        # a(sus): [name, device type, file]
        assert_match '^\[\[' "$v" "Plugins is a non-empty a(sus)"
        [ "$(jq '[.[] | select(.[1] == 1)] | length' <<<"$v")" -ge 1 ] || fail "no plugin for device type 1 (mlx5): $v"
        [ "$(jq '[.[] | select(.[1] == 2)] | length' <<<"$v")" -ge 1 ] || fail "no plugin for device type 2 (cxl): $v"
}

test_managed_objects_lists_both() {
        local out paths
        out=$(busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" \
                org.freedesktop.DBus.ObjectManager GetManagedObjects) || fail "GetManagedObjects failed"
        paths=$(jq -r --arg i "$FWCTL_DEV_IFACE" '.data[0] | to_entries[] | select(.value[$i]) | .key' <<<"$out" | sort | tr '\n' ' ')
        assert_eq "$FWCTL_DEV_PREFIX/fwctl0 $FWCTL_DEV_PREFIX/fwctl1 " "$paths" "device objects in GetManagedObjects"
        assert_eq '"mlx5"' "$(jq -c --arg i "$FWCTL_DEV_IFACE" --arg p "$FWCTL_DEV_PREFIX/fwctl0" '.data[0][$p][$i].DeviceTypeName.data' <<<"$out")" \
                "fwctl0 DeviceTypeName in GetManagedObjects"
        assert_eq '"0000:0d:00.0"' "$(jq -c --arg i "$FWCTL_DEV_IFACE" --arg p "$FWCTL_DEV_PREFIX/fwctl1" '.data[0][$p][$i].PciAddress.data' <<<"$out")" \
                "fwctl1 PciAddress in GetManagedObjects"
}

check_device_props() { # NAME TYPE TYPENAME PCI
        local n=$1 v
        assert_eq "\"$n\"" "$(dev_prop "$n" Name)" "$n Name"
        assert_eq "$2" "$(dev_prop "$n" DeviceType)" "$n DeviceType"
        assert_eq "\"$3\"" "$(dev_prop "$n" DeviceTypeName)" "$n DeviceTypeName"
        assert_eq "\"$4\"" "$(dev_prop "$n" PciAddress)" "$n PciAddress"
        assert_eq "\"/dev/fwctl/$n\"" "$(dev_prop "$n" DeviceNode)" "$n DeviceNode"
        v=$(dev_prop "$n" Parent)
        assert_match "^\"/sys/devices/.*${4//./\\.}" "$v" "$n Parent (sysfs path under the PCI function)"
        v=$(dev_prop "$n" Driver)
        assert_match '^".*"$' "$v" "$n Driver"
        v=$(dev_prop "$n" Plugin)
        assert_match '^"..*"$' "$v" "$n Plugin"
}

test_device_properties_mlx5() {
        check_device_props fwctl0 1 mlx5 0000:03:00.0
}

test_device_properties_cxl() {
        check_device_props fwctl1 2 cxl 0000:0d:00.0
}

get_device() {
        busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" GetDevice s "$1" | jq -r '.data[0]'
}

test_get_device_by_name() {
        assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(get_device fwctl0)" "GetDevice fwctl0"
        assert_eq "$FWCTL_DEV_PREFIX/fwctl1" "$(get_device fwctl1)" "GetDevice fwctl1"
}

test_get_device_by_pci_address() {
        assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(get_device 0000:03:00.0)" "GetDevice 0000:03:00.0"
        assert_eq "$FWCTL_DEV_PREFIX/fwctl1" "$(get_device 0000:0d:00.0)" "GetDevice 0000:0d:00.0"
}

test_get_device_by_sysfs_path() {
        local p
        p=$(dev_prop fwctl0 Parent | jq -r .)
        assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(get_device "$p")" "GetDevice $p"
        p=$(dev_prop fwctl1 Parent | jq -r .)
        assert_eq "$FWCTL_DEV_PREFIX/fwctl1" "$(get_device "$p")" "GetDevice $p"
}

# Every name GetDevice takes for one device (each looked up in its own index; the parent's
# name in a /sys/bus/ link is in 12-hardening.sh), and the same forms for no device.
test_get_device_every_form() {
        local n node pci what
        for n in fwctl0 fwctl1; do
                node=$(dev_prop "$n" DeviceNode | jq -r .)
                pci=$(dev_prop "$n" PciAddress | jq -r .)
                assert_eq "/dev/fwctl/$n" "$node" "$n's node"
                assert_eq "$FWCTL_DEV_PREFIX/$n" "$(get_device "$node")" "GetDevice $node"
                assert_eq "$FWCTL_DEV_PREFIX/$n" "$(get_device "/sys/class/fwctl/$n")" "GetDevice /sys/class/fwctl/$n"
                assert_eq "$FWCTL_DEV_PREFIX/$n" "$(get_device "/sys/bus/pci/devices/$pci")" \
                        "GetDevice /sys/bus/pci/devices/$pci"
        done
        for what in /dev/fwctl/fwctl99 /sys/class/fwctl/fwctl99 /sys/bus/pci/devices/0000:ff:1f.7 \
                /sys/bus/pci/0000:03:00.0 /sys/bus/pci/devices/0000:03:00.0/fwctl; do
                assert_dbus_error NoSuchDevice gdbus call --system --dest "$FWCTL_BUS" \
                        --object-path "$FWCTL_MGR_PATH" --method "$FWCTL_MGR_IFACE.GetDevice" "$what"
        done
}

test_get_device_unknown() {
        local what
        for what in fwctl99 0000:ff:1f.7 /sys/devices/pci0000:00/0000:00:1f.0 "" "../../etc/passwd"; do
                assert_dbus_error NoSuchDevice gdbus call --system --dest "$FWCTL_BUS" \
                        --object-path "$FWCTL_MGR_PATH" --method "$FWCTL_MGR_IFACE.GetDevice" "$what"
        done
}
