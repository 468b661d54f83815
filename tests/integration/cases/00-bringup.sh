# shellcheck shell=bash
# Harness self-checks: the private environment is what the other cases assume.

test_bringup_host_untouched_paths() {
        assert_match '^overlay$' "$(findmnt -n -o FSTYPE /usr)" "/usr mount"
        assert_match '^overlay$' "$(findmnt -n -o FSTYPE /etc)" "/etc mount"
        assert_match '^overlay$' "$(findmnt -n -o FSTYPE /var)" "/var mount"
        assert_eq tmpfs "$(findmnt -n -o FSTYPE /run)" "/run mount"
}

test_bringup_installed_layout() {
        local f
        for f in /usr/libexec/fwctld \
                 /usr/share/dbus-1/system.d/org.freedesktop.fwctl1.conf \
                 /usr/share/polkit-1/actions/org.freedesktop.fwctl1.policy \
                 /usr/lib/systemd/system/fwctld.service \
                 /usr/lib/systemd/catalog/fwctld.catalog; do
                [ -e "$f" ] || fail "not installed: $f"
        done
        compgen -G '/usr/lib/x86_64-linux-gnu/fwctld/plugins/*.so' >/dev/null \
                || fail "no plugins in /usr/lib/x86_64-linux-gnu/fwctld/plugins"
}

test_bringup_only_our_service_activatable() {
        local list
        list=$(ls /usr/share/dbus-1/system-services)
        assert_eq "org.freedesktop.fwctl1.service" "$list" "activatable services"
        grep -q '^Exec=/usr/libexec/fwctld' /usr/share/dbus-1/system-services/org.freedesktop.fwctl1.service \
                || fail "activation file does not Exec /usr/libexec/fwctld"
        grep -q '^Name=org.freedesktop.fwctl1$' /usr/share/dbus-1/system-services/org.freedesktop.fwctl1.service \
                || fail "activation file has no Name=org.freedesktop.fwctl1"
}

test_bringup_users() {
        assert_eq 4242 "$(id -u fwtest)" "fwtest uid"
        assert_eq 4243 "$(id -u fwdeny)" "fwdeny uid"
        assert_eq 4242 "$(as_user fwtest id -u)" "setpriv uid"
}

test_bringup_bus_and_polkit() {
        assert_true "system bus answers" busctl --system status org.freedesktop.DBus
        assert_true "polkitd owns its name" busctl --system status org.freedesktop.PolicyKit1
        assert_true "fwtest can reach the bus" as_user fwtest busctl --system status org.freedesktop.DBus
}

test_bringup_journal_roundtrip() {
        local tag="fwctl-it-$$-$RANDOM" n
        logger --journald <<EOF2
MESSAGE=harness self check
SYSLOG_IDENTIFIER=$tag
EOF2
        n=$(journal_json SYSLOG_IDENTIFIER="$tag" | wc -l)
        assert_eq 1 "$n" "journal entries read back"
}

test_bringup_taint_file() {
        assert_eq 0 "$(cat /proc/sys/kernel/tainted)" "/proc/sys/kernel/tainted"
        echo $((TAINT_FWCTL)) >"$T/tainted"
        assert_eq 524288 "$(cat /proc/sys/kernel/tainted)" "tainted follows \$T/tainted"
        echo 0 >"$T/tainted"
}

# The "serving" record comes once every coldplugged device is published, and counts them all:
# the harness starts fwctld with two (mlx5, cxl).
test_bringup_started_record_counts_devices() {
        local msg
        msg=$(journal_json MESSAGE_ID=a43a151d30d14e7b94fbf826d9b2e8b1 | jq -rs '.[0].MESSAGE')
        assert_eq "fwctld serving 2 fwctl device(s) with 5 plugin(s)." "$msg" "the first start's record"
}
