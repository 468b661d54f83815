# shellcheck shell=bash
# Smaller holes from the outside review (issue 10, section 6): plugins only from root-owned files
# no one else can write, GetDevice paths read lexically (never resolved), and a node swapped
# under a device's name never served.
# fwctl0 = mlx5@0000:03:00.0, fwctl1 = cxl@0000:0d:00.0 (harness_start_daemon)

# hd_get_device [USER] NAME -> the object path GetDevice answers (as USER when given)
hd_get_device() {
        local user=root
        [ $# -eq 2 ] && { user=$1; shift; }
        hd_as "$user" busctl --system --json=short call "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" \
                GetDevice s "$1" | jq -r '.data[0]'
}

# hd_as USER CMD...: CMD as USER (root: as is)
hd_as() { if [ "$1" = root ]; then shift; "$@"; else as_user "$@"; fi; }

hd_no_such_device() { # USER NAME
        assert_dbus_error NoSuchDevice hd_as "$1" gdbus call --system --dest "$FWCTL_BUS" \
                --object-path "$FWCTL_MGR_PATH" --method "$FWCTL_MGR_IFACE.GetDevice" "$2"
}

# GetDevice reads a path as the string it is: ".." or "." never walk anywhere (the old
# realpath() took "/sys/../dev/fwctl/fwctl0" to the node and the class link's ".." to the
# device), and the sysfs forms a user types still work without touching the filesystem.
test_hardening_get_device_lexical() {
        local user parent p
        parent=$(dev_prop fwctl0 Parent | jq -r .)
        for user in root fwtest fwdeny; do
                for p in /sys/class/fwctl/../fwctl/fwctl0 /sys/../dev/fwctl/fwctl0 /sys/../etc/passwd \
                         /sys/../sys/class/fwctl/fwctl0 /sys/class/fwctl/./fwctl0 /sys/class/fwctl//fwctl0 \
                         /sys/class/fwctl/fwctl0/ /sys/bus/pci/devices/../devices/0000:03:00.0 \
                         "$parent/../${parent##*/}" "$parent/fwctl/../fwctl/fwctl0" /dev/fwctl/../fwctl/fwctl0 \
                         /sys/class/fwctl/fwctl0/device /sys/bus/pci/devices/0000:03:00.0/fwctl/fwctl0 \
                         /sys/bus/pci/devices/0000:0d:00.1 /sys/class/fwctl/fwctl99 /sys/..; do
                        hd_no_such_device "$user" "$p"
                done

                assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(hd_get_device "$user" /sys/class/fwctl/fwctl0)" \
                        "$user: GetDevice /sys/class/fwctl/fwctl0"
                assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(hd_get_device "$user" /sys/bus/pci/devices/0000:03:00.0)" \
                        "$user: GetDevice /sys/bus/pci/devices/0000:03:00.0"
                assert_eq "$FWCTL_DEV_PREFIX/fwctl1" "$(hd_get_device "$user" /sys/class/fwctl/fwctl1)" \
                        "$user: GetDevice /sys/class/fwctl/fwctl1"
                # cxl: the parent is the memdev, named on its bus; its PCI function names it on the pci bus
                assert_eq "$FWCTL_DEV_PREFIX/fwctl1" "$(hd_get_device "$user" /sys/bus/cxl/devices/mem0)" \
                        "$user: GetDevice /sys/bus/cxl/devices/mem0"
                assert_eq "$FWCTL_DEV_PREFIX/fwctl1" "$(hd_get_device "$user" /sys/bus/pci/devices/0000:0d:00.0)" \
                        "$user: GetDevice /sys/bus/pci/devices/0000:0d:00.0"
                assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(hd_get_device "$user" "$parent")" "$user: GetDevice $parent"
                assert_eq "$FWCTL_DEV_PREFIX/fwctl0" "$(hd_get_device "$user" /dev/fwctl/fwctl0)" \
                        "$user: GetDevice /dev/fwctl/fwctl0"
        done
}

# ---------------------------------------------------------------- swapped node

# hd_warning FWCTL_DEVICE REGEX: the daemon's warning for that device matches (waits a little)
hd_warning() {
        local m
        # read whole before grep -q can end the pipe early (pipefail)
        m=$(journal_json FWCTL_DEVICE="$1" PRIORITY=4 | jq -r .MESSAGE)
        grep -E -q -- "$2" <<<"$m"
}

# A node whose device number is not the one udev announced (as if another node had been put
# under the name, here /dev/mem's 1:1) is refused at the probe, before any ioctl reaches it.
test_hardening_swapped_node_refused() {
        local out name good user
        out=$(emu add mlx5 0000:05:00.0 node=1:1) || fail "emu add with a swapped node failed: $out"
        name=${out#ok }
        # shellcheck disable=SC2064
        trap "emu remove '$name' >/dev/null 2>&1" EXIT
        wait_until 5 hd_warning "$name" "is device 1:1, but udev announced 238:[0-9]+ .*not the same node, refusing it" \
                || fail "no refusal of $name in the journal: $(journal_json FWCTL_DEVICE="$name" | jq -r .MESSAGE | tr '\n' '|')"
        assert_false "$name is not published" dev_exists "$name"
        for user in root fwtest fwdeny; do
                hd_no_such_device "$user" 0000:05:00.0
                hd_no_such_device "$user" "$name"
        done
        # not even FWCTL_INFO reached the node
        assert_eq "ok info=0 rpc=0" "$(emu stats "$name")" "ioctls on the swapped node"
        assert_match '^ok' "$(emu remove "$name")" "emu remove $name"
        trap - EXIT

        # the same device with its own node is served
        good=$(emu_add mlx5 0000:05:00.0) || fail "emu add mlx5 failed"
        # shellcheck disable=SC2064
        trap "emu remove '$good' >/dev/null 2>&1" EXIT
        wait_until 5 dev_exists "$good" || fail "$good (a true node) not published"
        assert_eq "$FWCTL_DEV_PREFIX/$good" "$(hd_get_device 0000:05:00.0)" "GetDevice of the true node"
        assert_ok busctl --system call "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/$good" "$FWCTL_DEV_IFACE" Info
        assert_match '^ok' "$(emu remove "$good")" "emu remove $good"
        trap - EXIT
        wait_until 5 sh -c "! busctl --system introspect $FWCTL_BUS $FWCTL_DEV_PREFIX/$good $FWCTL_DEV_IFACE" \
                || fail "$good still published after remove"
}

# ---------------------------------------------------------------- plugins

# The running daemon loaded its plugins at start. These tests start a second fwctld from the
# installed tree, under its own emulator, on a private bus (the main one keeps serving the
# other tests), after making a plugin or the plugin directory untrustworthy in the overlay.

HD_BUS_SOCK=""
HD_EMU_PID=""

hd_plugindir() {
        local d
        for d in /usr/lib/*/fwctld/plugins /usr/lib/fwctld/plugins /usr/lib64/fwctld/plugins; do
                [ -f "$d/generic.so" ] && { echo "$d"; return 0; }
        done
        return 1
}

hd_busctl() { busctl --address="unix:path=$HD_BUS_SOCK" --timeout=5 "$@"; }
hd_owns_name() { busctl --address="unix:path=$HD_BUS_SOCK" --timeout=1 status "$FWCTL_BUS"; }

hd_start_instance() { # TAG
        local tag=$1 conf=$T/hd-bus-$1.conf
        HD_BUS_SOCK=$T/hd-bus-$tag.sock
        # A permissive private bus: what is tested is the daemon, not a bus policy.
        cat >"$conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$HD_BUS_SOCK</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
        dbus-daemon --config-file="$conf" --nofork --nopidfile >"$T/log/hd-bus-$tag.log" 2>&1 &
        echo $! >"$T/hd-bus-$tag.pid"
        wait_until 5 test -S "$HD_BUS_SOCK" || fail "private bus $tag did not start"
        umockdev-wrapper "$EMU_BIN" --control "$T/hd-emu-$tag.sock" --taint-file "$T/hd-tainted-$tag" \
                --device mlx5@0000:03:00.0 --device cxl@0000:0d:00.0 -- \
                env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$HD_BUS_SOCK" "$FWCTLD_BIN" \
                >"$T/log/hd-instance-$tag.log" 2>&1 &
        HD_EMU_PID=$!
        wait_until 10 hd_owns_name \
                || fail "second fwctld ($tag) did not take its name: $(tail -n 5 "$T/log/hd-instance-$tag.log" | tr '\n' '|')"
}

# hd_stop_instance TAG: the emulator forwards SIGTERM; the daemon must exit cleanly
hd_stop_instance() {
        local tag=$1 rc=0 bus
        if [ -n "$HD_EMU_PID" ]; then
                kill -TERM "$HD_EMU_PID" 2>/dev/null
                wait_until 10 pid_gone "$HD_EMU_PID" || kill -KILL "$HD_EMU_PID" 2>/dev/null
                wait "$HD_EMU_PID" 2>/dev/null
                rc=$?
                HD_EMU_PID=""
        fi
        bus=$(cat "$T/hd-bus-$tag.pid" 2>/dev/null)
        [ -n "$bus" ] && kill -TERM "$bus" 2>/dev/null
        return "$rc"
}

hd_instance_pid() {
        hd_busctl --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$FWCTL_BUS" | jq -r '.data[0]'
}

# hd_instance_said PID TEXT: a warning of that daemon contains TEXT
hd_instance_said() {
        local m
        m=$(journal_json _PID="$1" PRIORITY=4 | jq -r .MESSAGE)
        grep -q -F -- "$2" <<<"$m"
}

hd_check_clean_exit() { # TAG
        hd_stop_instance "$1" || fail "second fwctld ($1) did not exit cleanly (status $?)"
        if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/log/hd-instance-$1.log"; then
                fail "sanitizer report in $T/log/hd-instance-$1.log"
        fi
}

# An mlx5.so writable by its group and a cxl.so owned by another user are refused before
# dlopen(), with a warning naming the file and why; their devices are not served by them.
test_hardening_untrusted_plugin_files() {
        local dir pid plugins p mode
        dir=$(hd_plugindir) || fail "no installed plugin directory"
        [ -f "$dir/mlx5.so" ] && [ -f "$dir/cxl.so" ] || fail "mlx5.so/cxl.so not installed in $dir"
        mode=$(stat -c %a "$dir/mlx5.so")
        # shellcheck disable=SC2064
        trap "chmod $mode '$dir/mlx5.so'; chown 0:0 '$dir/cxl.so'; hd_stop_instance files" EXIT
        trap 'exit 143' TERM
        chmod g+w "$dir/mlx5.so"
        chown fwtest "$dir/cxl.so"

        hd_start_instance files
        pid=$(hd_instance_pid)
        assert_match '^[0-9]+$' "$pid" "second fwctld pid"
        wait_until 5 hd_instance_said "$pid" "Refusing plugin '$dir/mlx5.so': writable by group or others (mode 0$(stat -c %a "$dir/mlx5.so"))." \
                || fail "no warning for the group-writable mlx5.so: $(journal_json _PID="$pid" | jq -r .MESSAGE | tr '\n' '|')"
        hd_instance_said "$pid" "Refusing plugin '$dir/cxl.so': owned by uid 4242, not by uid 0." \
                || fail "no warning for the cxl.so owned by fwtest: $(journal_json _PID="$pid" | jq -r .MESSAGE | tr '\n' '|')"

        plugins=$(hd_busctl --json=short get-property "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" Plugins | jq -c .data)
        for p in mlx5.so cxl.so; do
                [ "$(jq --arg f "$dir/$p" '[.[] | select(.[2] == $f)] | length' <<<"$plugins")" = 0 ] \
                        || fail "$p listed as loaded: $plugins"
        done
        [ "$(jq --arg f "$dir/generic.so" '[.[] | select(.[2] == $f)] | length' <<<"$plugins")" = 1 ] \
                || fail "generic.so (root-owned, 0644) not loaded: $plugins"
        # their devices are not served by them (whatever serves them now, if anything)
        for p in fwctl0:mlx5 fwctl1:cxl; do
                if hd_busctl introspect "$FWCTL_BUS" "$FWCTL_DEV_PREFIX/${p%%:*}" "$FWCTL_DEV_IFACE" >/dev/null 2>&1; then
                        assert_ne "\"${p#*:}\"" "$(hd_busctl --json=short get-property "$FWCTL_BUS" \
                                "$FWCTL_DEV_PREFIX/${p%%:*}" "$FWCTL_DEV_IFACE" Plugin | jq -c .data)" "${p%%:*} Plugin"
                fi
        done
        hd_check_clean_exit files
}

# A plugin directory others can write to loads nothing at all.
test_hardening_untrusted_plugin_dir() {
        local dir pid mode
        dir=$(hd_plugindir) || fail "no installed plugin directory"
        mode=$(stat -c %a "$dir")
        # shellcheck disable=SC2064
        trap "chmod $mode '$dir'; hd_stop_instance dir" EXIT
        trap 'exit 143' TERM
        chmod o+w "$dir"

        hd_start_instance dir
        pid=$(hd_instance_pid)
        assert_match '^[0-9]+$' "$pid" "second fwctld pid"
        wait_until 5 hd_instance_said "$pid" "Refusing plugin directory '$dir': writable by group or others" \
                || fail "no warning for the world-writable $dir: $(journal_json _PID="$pid" | jq -r .MESSAGE | tr '\n' '|')"
        assert_eq '[]' "$(hd_busctl --json=short get-property "$FWCTL_BUS" "$FWCTL_MGR_PATH" "$FWCTL_MGR_IFACE" \
                Plugins | jq -c '[.data[] | select(.[2] != "")]')" "plugins loaded from a world-writable directory"
        hd_check_clean_exit dir
}
