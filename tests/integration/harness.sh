# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# fwctld integration harness (sourced by run.sh, inside a private mount+pid
# namespace). It installs the build into overlays on /usr, /etc and /var and
# runs the real journald, dbus-daemon (system bus, distro config), polkitd
# and the daemon under the umockdev-based fwctl emulator. Every write lands
# in the test directory $T; the host is never changed.

FWCTL_BUS=org.freedesktop.fwctl1
FWCTL_MGR_PATH=/org/freedesktop/fwctl1
FWCTL_MGR_IFACE=org.freedesktop.fwctl1.Manager
FWCTL_DEV_IFACE=org.freedesktop.fwctl1.Device
FWCTL_DEV_PREFIX=/org/freedesktop/fwctl1/device
FWCTL_ERR=org.freedesktop.fwctl1.Error

MSGID_ATTEMPT=eb625ee66c5e4d54a5647a3ceb9895e1
MSGID_RESULT=f50e156c71714753b7f2153eb4430df0
MSGID_DENIED=bf60d8a981034db6b13b43d67eba051d
MSGID_ADDED=935491da429e4a4ca4f6900714ecb8a9
MSGID_REMOVED=cffb21bb4bd9413fbefa3d42e80a3de1

FWCTLD_BIN=/usr/libexec/fwctld
JOURNALD_BIN=/lib/systemd/systemd-journald
POLKITD_BIN=/usr/lib/polkit-1/polkitd
TAINT_FWCTL=524288 # 0x80000

HARNESS_PIDS=()
T=""

log() { printf '[harness] %s\n' "$*" >&2; }
die() { printf '[harness] FATAL: %s\n' "$*" >&2; exit 1; }

# wait_until TIMEOUT_S CMD...: poll CMD every 50 ms, bounded.
wait_until() {
        local limit=$1 i=0 n
        shift
        n=$(( limit * 20 ))
        while ! "$@" >/dev/null 2>&1; do
                i=$(( i + 1 ))
                [ "$i" -ge "$n" ] && return 1
                sleep 0.05
        done
        return 0
}

# pid_gone PID: the process has exited (a zombie counts as gone)
pid_gone() {
        local st
        st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        st=${st##*) }
        [ "${st%% *}" = Z ]
}

# bus_owner_pid: pid of the process that owns fwctld's bus name
bus_owner_pid() {
        busctl --system --json=short call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$FWCTL_BUS" 2>/dev/null | jq -r '.data[0]' 2>/dev/null
}

bus_has_name() {
        busctl --system --timeout=2 status "$1" >/dev/null 2>&1
}

# ---------------------------------------------------------------- bring-up

harness_setup() {
        local build=$1 d
        [ -n "$build" ] || die "harness_setup BUILD_DIR"
        BUILD=$(cd "$build" && pwd) || die "no build dir $build"
        SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
        [ -f "$BUILD/build.ninja" ] || die "$BUILD is not a configured meson build dir"
        [ "$(id -u)" = 0 ] || die "must run as root"
        [ "${FWCTL_IT_NS:-}" = 1 ] || die "harness_setup must run inside run.sh's namespace"

        T=$(mktemp -d "${TMPDIR:-/tmp}/fwctl-it.XXXXXX") || die "mktemp"
        chmod 0755 "$T"
        mkdir -p "$T"/{log,run,tmp,bin,services,empty,polkit-share-rules} \
                 "$T"/ovl/{usr,etc,var}/{upper,work}
        export TMPDIR=$T/tmp
        chmod 1777 "$T/tmp"
        # The emulator appends one line here per request that would make a real
        # kernel overflow, over-read or oops (tests/emulator/README.md); the test
        # that was running fails (run_one), and so does the suite (harness_summary).
        export FWCTL_EMU_FAULT_LOG=$T/log/emu-faults.log
        : >"$FWCTL_EMU_FAULT_LOG"
        EMU_FAULTS_SEEN=0
        trap harness_teardown EXIT

        # /run is on the root disk here: never touch the host's.
        mount -t tmpfs -o mode=0755 tmpfs /run || die "tmpfs /run"
        if [ -d /var/log/journal ]; then
                mount -t tmpfs -o mode=2755 tmpfs /var/log/journal || die "tmpfs /var/log/journal"
        fi
        for d in usr etc var; do
                mount -t overlay overlay \
                        -o "lowerdir=/$d,upperdir=$T/ovl/$d/upper,workdir=$T/ovl/$d/work" "/$d" \
                        || die "overlay on /$d"
        done
        # /var/log/journal must stay a tmpfs above the /var overlay too
        if [ -d /var/log/journal ]; then
                mount -t tmpfs -o mode=2755 tmpfs /var/log/journal || die "tmpfs /var/log/journal"
        fi

        log "installing $BUILD into the overlays"
        meson install -C "$BUILD" --no-rebuild --quiet >"$T/log/install.log" 2>&1 \
                || { cat "$T/log/install.log" >&2; die "meson install failed"; }

        # Only our activation file is activatable: distro services (packagekitd,
        # polkitd, ...) must never be started by the private bus.
        if [ -f /usr/share/dbus-1/system-services/$FWCTL_BUS.service ]; then
                cp /usr/share/dbus-1/system-services/$FWCTL_BUS.service "$T/services/"
        else
                log "warning: activation file $FWCTL_BUS.service not installed"
        fi
        mount --bind "$T/services" /usr/share/dbus-1/system-services || die "bind system-services"
        # Distro polkit rules must not decide for us; the test rules below do.
        mount --bind "$T/polkit-share-rules" /usr/share/polkit-1/rules.d || die "bind polkit rules"

        # test users (dbus-daemon drops uids with no passwd entry)
        printf 'fwtest:x:4242:4242:fwctld test:/nonexistent:/usr/sbin/nologin\n' >>/etc/passwd
        printf 'fwdeny:x:4243:4243:fwctld deny:/nonexistent:/usr/sbin/nologin\n' >>/etc/passwd
        printf 'fwtest:x:4242:\nfwdeny:x:4243:\n' >>/etc/group

        mkdir -p /etc/polkit-1/rules.d
        cat >/etc/polkit-1/rules.d/50-fwctld-test.rules <<'EOF'
// fwctld integration tests
polkit.addRule(function(action, subject) {
        if (action.id.indexOf("org.freedesktop.fwctl1.") != 0)
                return undefined;
        if (subject.user == "fwdeny")
                return polkit.Result.NO;
        if (subject.user != "fwtest")
                return undefined;
        if (action.id == "org.freedesktop.fwctl1.rpc-configuration" ||
            action.id == "org.freedesktop.fwctl1.rpc-debug-read-only")
                return polkit.Result.YES;
        if (action.id == "org.freedesktop.fwctl1.rpc-debug-write")
                return action.lookup("device") == "fwctl0" ? polkit.Result.YES : polkit.Result.NO;
        if (action.id == "org.freedesktop.fwctl1.rpc-debug-write-full")
                return polkit.Result.AUTH_ADMIN;
        return polkit.Result.NO;
});
EOF
        chmod 0644 /etc/polkit-1/rules.d/50-fwctld-test.rules

        # fake kernel taint word, shared by the emulator (writer) and the daemon
        echo 0 >"$T/tainted"
        mount --bind "$T/tainted" /proc/sys/kernel/tainted || die "bind over /proc/sys/kernel/tainted failed"
        [ "$(cat /proc/sys/kernel/tainted)" = 0 ] || die "taint bind mount not effective"
        echo 1 >"$T/tainted"
        [ "$(cat /proc/sys/kernel/tainted)" = 1 ] || die "taint bind mount does not follow the file"
        echo 0 >"$T/tainted"

        harness_find_client

        harness_start_journald
        harness_start_dbus
        harness_start_polkitd
}

harness_find_client() {
        FWCTL_CLIENT=$BUILD/tests/integration/fwctl-test-client
        if [ ! -x "$FWCTL_CLIENT" ]; then
                FWCTL_CLIENT=$T/bin/fwctl-test-client
                # shellcheck disable=SC2046
                cc -O1 -o "$FWCTL_CLIENT" "$SRCDIR/tests/integration/fwctl-client.c" \
                        $(pkg-config --cflags --libs libsystemd) || die "cannot build fwctl-test-client"
        fi
}

harness_start_journald() {
        mkdir -p /run/systemd/journald.conf.d /run/log/journal
        cat >/run/systemd/journald.conf.d/test.conf <<'EOF'
[Journal]
Storage=volatile
ReadKMsg=no
RateLimitBurst=0
RateLimitIntervalSec=0
ForwardToSyslog=no
ForwardToWall=no
ForwardToConsole=no
EOF
        "$JOURNALD_BIN" >"$T/log/journald.log" 2>&1 &
        JOURNALD_PID=$!
        HARNESS_PIDS+=("$JOURNALD_PID")
        wait_until 5 test -S /run/systemd/journal/socket || die "journald did not start"
}

# FWCTL_IT_BUS=dbus-broker: the system bus is dbus-broker (the broker of Fedora and Arch,
# packaged in Debian) instead of dbus-daemon, with the same distro config. It accounts
# what a uid queues to another peer per uid, where dbus-daemon has one FIFO per
# receiver. It cannot bus-activate without a systemd to ask: run the cases that do not
# need activation (the overload floods).
harness_provide_dbus_broker() {
        local deb x=$T/dbus-broker
        command -v dbus-broker-launch >/dev/null && return 0
        # scripts/deps.sh fetched the .deb (not installed: it would become the host's bus)
        deb=$(compgen -G "/var/cache/fwctld-test/debs/dbus-broker_*.deb" | head -n 1)
        [ -n "$deb" ] || die "FWCTL_IT_BUS=dbus-broker: no dbus-broker .deb in /var/cache/fwctld-test/debs (scripts/deps.sh)"
        dpkg-deb -x "$deb" "$x" || die "cannot unpack $deb"
        cp "$x/usr/bin/dbus-broker" "$x/usr/bin/dbus-broker-launch" /usr/bin/ || die "cannot install dbus-broker into the overlay"
}

harness_start_dbus() {
        mkdir -p /run/dbus
        unset DBUS_SYSTEM_BUS_ADDRESS DBUS_SESSION_BUS_ADDRESS
        if [ "${FWCTL_IT_BUS:-dbus-daemon}" = dbus-broker ]; then
                harness_provide_dbus_broker
                # started on the first connection, given the listening socket
                systemd-socket-activate -l /run/dbus/system_bus_socket dbus-broker-launch --scope system \
                        >"$T/log/dbus.log" 2>&1 &
        else
                dbus-daemon --system --nofork --nopidfile >"$T/log/dbus.log" 2>&1 &
        fi
        DBUS_PID=$!
        HARNESS_PIDS+=("$DBUS_PID")
        wait_until 5 test -S /run/dbus/system_bus_socket || die "dbus-daemon did not start"
        # every user connects to the system bus (dbus-daemon makes its socket so itself)
        chmod 0666 /run/dbus/system_bus_socket
        wait_until 5 bus_has_name org.freedesktop.DBus || die "system bus not answering"
}

harness_start_polkitd() {
        harness_start_polkitd_bg
        wait_until 10 bus_has_name org.freedesktop.PolicyKit1 || die "polkitd did not take its name"
}

# Start polkitd without waiting; usable from a test's sub-shell (the pid
# goes to $T/polkitd.pid so teardown and later tests find it).
harness_start_polkitd_bg() {
        "$POLKITD_BIN" --no-debug >>"$T/log/polkitd.log" 2>&1 &
        echo $! >"$T/polkitd.pid"
}

harness_stop_polkitd() {
        local pid
        pid=$(cat "$T/polkitd.pid" 2>/dev/null)
        [ -n "$pid" ] || return 0
        kill -TERM "$pid" 2>/dev/null
        wait_until 5 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
        : >"$T/polkitd.pid"
        wait_until 5 sh -c '! busctl --system --timeout=1 status org.freedesktop.PolicyKit1'
}

# The emulator spawns the daemon inside the fake /sys,/dev and exits with it.
harness_start_daemon() {
        EMU_BIN=$BUILD/tests/emulator/fwctl-emu
        EMU_SOCK=$T/emu.sock
        [ -x "$FWCTLD_BIN" ] || die "$FWCTLD_BIN not installed (daemon not built yet?)"
        [ -x "$EMU_BIN" ] || die "$EMU_BIN missing (emulator not built yet?)"
        umockdev-wrapper "$EMU_BIN" --control "$EMU_SOCK" --taint-file "$T/tainted" \
                --device mlx5@0000:03:00.0 --device cxl@0000:0d:00.0 -- "$FWCTLD_BIN" \
                >"$T/log/daemon.log" 2>&1 &
        DAEMON_PID=$!
        HARNESS_PIDS+=("$DAEMON_PID")
        if ! wait_until 10 bus_has_name "$FWCTL_BUS"; then
                tail -n 30 "$T/log/daemon.log" >&2
                die "$FWCTL_BUS not owned within 10 s"
        fi
        wait_until 5 test -S "$EMU_SOCK" || die "emulator control socket missing"
        # the coldplugged devices are published before the name is taken, but be lenient
        wait_until 5 dev_exists fwctl1 || log "warning: fwctl1 not published"
}

# After a crash: stop a bus-activated instance (it runs outside the emulator,
# with no devices) and start emulator + daemon again.
harness_restart_daemon() {
        local pid
        DAEMON_PID=""
        pid=$(bus_owner_pid)
        if [[ $pid =~ ^[0-9]+$ ]]; then
                log "stopping bus-activated fwctld (pid $pid)"
                kill -TERM "$pid" 2>/dev/null
                wait_until 5 sh -c "! busctl --system --timeout=1 status $FWCTL_BUS" || kill -KILL "$pid" 2>/dev/null
        fi
        rm -f "$EMU_SOCK"
        mv "$T/log/daemon.log" "$T/log/daemon.log.crashed.$(date +%s%N)" 2>/dev/null
        harness_start_daemon
}

# Stop the emulator (SIGTERM is forwarded to the daemon); returns the exit status.
harness_stop_daemon() {
        local i rc
        [ -n "${DAEMON_PID:-}" ] || return 0
        kill -TERM "$DAEMON_PID" 2>/dev/null
        for ((i = 0; i < 200; i++)); do
                kill -0 "$DAEMON_PID" 2>/dev/null || break
                sleep 0.05
        done
        if kill -0 "$DAEMON_PID" 2>/dev/null; then
                kill -KILL "$DAEMON_PID" 2>/dev/null
                wait "$DAEMON_PID" 2>/dev/null
                DAEMON_PID=""
                return 124
        fi
        wait "$DAEMON_PID"
        rc=$?
        DAEMON_PID=""
        return "$rc"
}

# Inside a test: stop the harness's daemon on purpose, so that the test can run one of
# its own (harness_start_daemon, then harness_stop_daemon before it returns, e.g. after
# changing the installed plugins); the harness starts a fresh one after the test.
harness_planned_stop() {
        : >"$T/planned-stop"
        kill -TERM "$DAEMON_PID" 2>/dev/null
        wait_until 10 pid_gone "$DAEMON_PID" || return 1
        wait_until 5 sh -c "! busctl --system --timeout=1 status $FWCTL_BUS" || return 1
        mv "$T/log/daemon.log" "$T/log/daemon.log.stopped.$(date +%s%N)" 2>/dev/null
        rm -f "$EMU_SOCK"
        DAEMON_PID=""
}

harness_teardown() {
        local p
        trap - EXIT
        [ -n "${DAEMON_PID:-}" ] && harness_stop_daemon
        # keep a readable journal for post-mortem (the journal itself is on tmpfs)
        journalctl --directory=/run/log/journal -o short-monotonic --no-pager >"$T/log/journal.txt" 2>&1
        p=$(cat "$T/polkitd.pid" 2>/dev/null)
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
        for ((p = ${#HARNESS_PIDS[@]} - 1; p >= 0; p--)); do
                kill -TERM "${HARNESS_PIDS[p]}" 2>/dev/null
        done
        sleep 0.1
        for p in "${HARNESS_PIDS[@]}"; do
                kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        if emu_fault_check; then
                log "EMULATOR FAULTS not checked by any test (see $FWCTL_EMU_FAULT_LOG):"
                printf '%s\n' "$EMU_NEW_FAULTS" | sed 's/^/[harness]     | /' >&2
                HARNESS_FAILED=1
        fi
        # mounts vanish with the namespace; keep $T for post-mortem unless asked
        if [ -n "$T" ] && [ "${FWCTL_IT_KEEP:-0}" = 0 ] && [ "${HARNESS_FAILED:-0}" = 0 ]; then
                umount -R /usr /etc /var /run 2>/dev/null
                rm -rf "$T"
        elif [ -n "$T" ]; then
                log "test dir kept: $T"
        fi
}

# ---------------------------------------------------------------- helpers

# bus_watch_start / bus_watch_stop: every method call on the system bus between the two,
# from dbus-monitor (a bus monitor as root: it also sees fwctld's CheckAuthorization calls
# to polkitd), line-buffered into a file of its own. A call to the bus driver marks each
# end (GetId the start, GetNameOwner the end), so nothing is missed or still in flight.
bus_watch_start() {
        BUS_WATCH_N=$(( ${BUS_WATCH_N:-0} + 1 ))
        BUS_WATCH=$T/tmp/bus-watch.$BASHPID.$BUS_WATCH_N
        stdbuf -oL dbus-monitor --system --profile "type='method_call'" >"$BUS_WATCH" 2>&1 &
        BUS_WATCH_PID=$!
        wait_until 5 bus_watch_marked GetId || fail "dbus-monitor did not start: $(head -c 300 "$BUS_WATCH")"
}

# bus_watch_marked MEMBER: call MEMBER of the bus driver; true once the watch saw it
bus_watch_marked() {
        local args=()
        [ "$1" = GetNameOwner ] && args=(s org.freedesktop.DBus)
        busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus "$1" "${args[@]}" \
                >/dev/null 2>&1
        [ "$(bus_calls org.freedesktop.DBus "$1")" -gt 0 ]
}

bus_watch_stop() {
        wait_until 5 bus_watch_marked GetNameOwner || fail "dbus-monitor stalled: $(tail -c 300 "$BUS_WATCH")"
        kill "$BUS_WATCH_PID" 2>/dev/null
        wait "$BUS_WATCH_PID" 2>/dev/null
}

# bus_calls INTERFACE MEMBER -> how many such method calls the watch saw
bus_calls() {
        awk -F'\t' -v i="$1" -v m="$2" '$1 == "mc" && $(NF-1) == i && $NF == m' "$BUS_WATCH" | wc -l
}

# bus_callers INTERFACE MEMBER -> the unique names that made such calls, one per line
bus_callers() {
        awk -F'\t' -v i="$1" -v m="$2" '$1 == "mc" && $(NF-1) == i && $NF == m { print $4 }' "$BUS_WATCH" | sort -u
}

emu() { "$EMU_BIN" --ctl "$EMU_SOCK" "$@"; }

# emu_add TYPE PCI -> prints the new fwctlN name
emu_add() {
        local out
        out=$(emu add "$1" "$2") || { echo "emu add failed: $out" >&2; return 1; }
        echo "${out#ok }"
}

# emu_rpc_count fwctlN -> number of RPC ioctls that reached the device
emu_rpc_count() {
        local out
        out=$(emu stats "$1") || return 1
        [[ $out =~ rpc=([0-9]+) ]] || return 1
        echo "${BASH_REMATCH[1]}"
}

as_root() { "$@"; }

as_user() {
        local user=$1 uid gid
        shift
        uid=$(id -u "$user") && gid=$(id -g "$user") || return 2
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
}

client() { "$FWCTL_CLIENT" "$@"; }

# user_prefix USER -> the setpriv words, for wrappers that cannot run shell
# functions (timeout): timeout 5 $(user_prefix fwtest) busctl ...
user_prefix() {
        echo "setpriv --reuid=$(id -u "$1") --regid=$(id -g "$1") --clear-groups --"
}

# kv KEY <<<"key=value lines"
kv() {
        local line
        while IFS= read -r line; do
                if [ "${line%%=*}" = "$1" ]; then
                        printf '%s\n' "${line#*=}"
                        return 0
                fi
        done
        return 1
}

dev_path() { echo "$FWCTL_DEV_PREFIX/$1"; }

dev_exists() {
        busctl --system --timeout=3 introspect "$FWCTL_BUS" "$(dev_path "$1")" "$FWCTL_DEV_IFACE" >/dev/null 2>&1
}

# dev_prop fwctlN PROP -> property value as JSON
dev_prop() {
        busctl --system --timeout=5 --json=short get-property "$FWCTL_BUS" "$(dev_path "$1")" \
                "$FWCTL_DEV_IFACE" "$2" | jq -c .data
}

mgr_prop() {
        busctl --system --timeout=5 --json=short get-property "$FWCTL_BUS" "$FWCTL_MGR_PATH" \
                "$FWCTL_MGR_IFACE" "$1" | jq -c .data
}

# mlx5_req OPCODE [OP_MOD] -> hex of a 16-byte mlx5 mailbox input header
mlx5_req() {
        local op=$(( $1 )) opmod=$(( ${2:-0} ))
        printf '%04x%04x%04x%04x%016x' "$op" 0 0 "$opmod" 0
}

# le16/le32 VALUE -> little-endian hex (VALUE may be an arithmetic expression)
le16() {
        local v=$(( $1 ))
        printf '%02x%02x' $((v & 255)) $((v >> 8 & 255))
}
le32() {
        local v=$(( $1 ))
        printf '%02x%02x%02x%02x' $((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255))
}

# cxl_dev -> the current name of the emulated CXL device
cxl_dev() {
        local n
        for n in 0 1 2 3 4 5 6 7 8 9; do
                if [ "$(dev_prop "fwctl$n" DeviceTypeName 2>/dev/null)" = '"cxl"' ]; then
                        echo "fwctl$n"
                        return 0
                fi
        done
        return 1
}

MLX5_QUERY_ADAPTER=0x0101
MLX5_NOP=0x080d
MLX5_SET_DIAGNOSTIC_PARAMS=0x0820
MLX5_UNKNOWN=0x0fff

# journal_json FIELD=VALUE... -> one JSON object per line
journal_json() {
        journalctl --sync >/dev/null 2>&1
        journalctl --directory=/run/log/journal -o json --no-pager "$@" 2>/dev/null
}

# ---------------------------------------------------------------- assertions

# Every assertion records a reason and ends the (sub-shell) test on failure.
fail() {
        local msg="$*"
        msg=${msg//$'\n'/ | }
        printf '%s\n' "$msg" >>"$TEST_FAIL_FILE"
        printf 'ASSERTION FAILED: %s\n' "$*" >&2
        exit 1
}

assert_eq() { # EXPECTED ACTUAL [WHAT]
        [ "$1" == "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

assert_ne() {
        [ "$1" != "$2" ] || fail "${3:-value}: expected something other than '$1'"
}

assert_match() { # REGEX STRING [WHAT]
        [[ $2 =~ $1 ]] || fail "${3:-value}: '${2:0:300}' does not match /$1/"
}

assert_true() { # WHAT CMD...
        local what=$1
        shift
        "$@" >/dev/null 2>&1 || fail "$what (command failed: $*)"
}

assert_false() {
        local what=$1
        shift
        ! "$@" >/dev/null 2>&1 || fail "$what (command unexpectedly succeeded: $*)"
}

assert_ge() { # MIN ACTUAL [WHAT]
        [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$1" ] || fail "${3:-value}: expected >= $1, got '$2'"
}

# assert_dbus_error NAME CMD...: CMD must fail and its output must name the
# D-Bus error NAME (fwctl-test-client prints error=NAME, gdbus prints
# GDBus.Error:NAME). A short NAME is taken as org.freedesktop.fwctl1.Error.NAME.
# The output is left in $LAST_OUT.
assert_dbus_error() {
        local name=$1 rc
        shift
        [[ $name == *.* ]] || name=$FWCTL_ERR.$name
        LAST_OUT=$("$@" 2>&1)
        rc=$?
        [ "$rc" -ne 0 ] || fail "expected $name, but the call succeeded: ${LAST_OUT:0:300}"
        if [[ $LAST_OUT != *"error=$name"$'\n'* && $LAST_OUT != *"error=$name" &&
              $LAST_OUT != *"GDBus.Error:$name:"* && $LAST_OUT != *"GDBus.Error:$name" ]]; then
                fail "expected $name, got: ${LAST_OUT:0:300}"
        fi
}

# assert_ok CMD...: CMD must succeed; output in $LAST_OUT
assert_ok() {
        LAST_OUT=$("$@" 2>&1) || fail "call failed: $* -> ${LAST_OUT:0:300}"
}

# ---------------------------------------------------------------- emulator faults

# emu_fault_check: true if the emulator's fault log has lines not reported yet;
# they are left in EMU_NEW_FAULTS (and count as reported from now on).
emu_fault_check() {
        local n
        EMU_NEW_FAULTS=""
        [ -s "${FWCTL_EMU_FAULT_LOG:-}" ] || return 1
        n=$(wc -l <"$FWCTL_EMU_FAULT_LOG")
        [ "$n" -gt "${EMU_FAULTS_SEEN:-0}" ] || return 1
        EMU_NEW_FAULTS=$(sed -n "$(( ${EMU_FAULTS_SEEN:-0} + 1 )),${n}p" "$FWCTL_EMU_FAULT_LOG")
        EMU_FAULTS_SEEN=$n
        return 0
}

# emu_fault_reason: the FAIL reason for the faults in EMU_NEW_FAULTS
emu_fault_reason() {
        local first=${EMU_NEW_FAULTS%%$'\n'*} n
        n=$(printf '%s\n' "$EMU_NEW_FAULTS" | wc -l)
        printf 'EMULATOR FAULT x%s, a kernel memory-safety bug on real hardware: %s (all: %s)' \
                "$n" "${first#EMULATOR FAULT: }" "$FWCTL_EMU_FAULT_LOG"
}

# ---------------------------------------------------------------- registry

TESTS=()

# register_file FILE: source a case file and queue its test_* functions in file order
register_file() {
        local f=$1 name
        # shellcheck disable=SC1090
        source "$f"
        while IFS= read -r name; do
                TESTS+=("$name")
        done < <(sed -n 's/^\(test_[A-Za-z0-9_]*\)[[:space:]]*()[[:space:]]*{.*/\1/p' "$f")
}

TEST_TIMEOUT=${FWCTL_IT_TEST_TIMEOUT:-60}

# run_one NAME: runs the test in a sub-shell with a watchdog
run_one() {
        local t=$1 rc pid wd why rc_daemon
        mkdir -p "$T/log/tests"
        TEST_FAIL_FILE=$T/log/tests/$t.fail
        : >"$TEST_FAIL_FILE"
        ( set +e; "$t" ) >"$T/log/tests/$t.log" 2>&1 &
        pid=$!
        ( sleep "$TEST_TIMEOUT"; kill -TERM "$pid" 2>/dev/null ) >/dev/null 2>&1 &
        wd=$!
        wait "$pid"
        rc=$?
        kill "$wd" 2>/dev/null
        wait "$wd" 2>/dev/null
        why=$(head -n 1 "$TEST_FAIL_FILE")
        # a daemon that died during the test fails it; restart for the next ones
        if [ -n "${DAEMON_PID:-}" ] && pid_gone "$DAEMON_PID"; then
                wait "$DAEMON_PID"
                rc_daemon=$?
                if [ -f "$T/planned-stop" ]; then
                        # the test stopped it on purpose (harness_planned_stop): it must have exited cleanly
                        [ "$rc_daemon" -eq 0 ] || why="${why:+$why; }daemon exit status $rc_daemon at a planned stop"
                else
                        why="${why:+$why; }daemon exited during the test (status $rc_daemon; see daemon.log)"
                        DAEMON_CRASHED=1
                fi
                rm -f "$T/planned-stop"
                harness_restart_daemon
        fi
        # a request the real kernel would have corrupted its memory with fails the test
        if emu_fault_check; then
                why="${why:+$why; }$(emu_fault_reason)"
        fi
        if [ "$rc" -eq 0 ] && [ -z "$why" ]; then
                echo "PASS $t"
                PASSED=$(( PASSED + 1 ))
        else
                [ -n "$why" ] || why="exit status $rc$( [ "$rc" -eq 143 ] && echo ' (timed out)')"
                echo "FAIL $t: $why"
                FAILED=$(( FAILED + 1 ))
                if [ -n "$EMU_NEW_FAULTS" ]; then
                        printf '%s\n' "$EMU_NEW_FAULTS" | sed 's/^/    | /'
                fi
                if [ "${FWCTL_IT_VERBOSE:-0}" = 1 ]; then
                        sed 's/^/    | /' "$T/log/tests/$t.log"
                fi
        fi
}

run_tests() {
        local t
        PASSED=0
        FAILED=0
        for t in "${TESTS[@]}"; do
                if [ -n "${FWCTL_IT_FILTER:-}" ] && ! [[ $t =~ $FWCTL_IT_FILTER ]]; then
                        continue
                fi
                run_one "$t"
        done
}

# Last check, run in the main shell after all cases: the daemon exits
# cleanly on SIGTERM (through the emulator), with no sanitizer report
# (ASan/LSan/UBSan write to the daemon's stderr, i.e. daemon.log).
check_daemon_clean_shutdown() {
        local rc why=""
        harness_stop_daemon
        rc=$?
        [ "$rc" -eq 0 ] || why="daemon (via emulator) exit status $rc after SIGTERM"
        [ "${DAEMON_CRASHED:-0}" = 0 ] || why="${why:+$why; }daemon crashed during the run"
        if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' \
                "$T"/log/daemon.log*; then
                why="${why:+$why; }sanitizer report in daemon.log"
                grep -h -E -A 12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/log/daemon.log* | head -n 40 | sed 's/^/    | /'
        fi
        if [ -z "$why" ]; then
                echo "PASS daemon_clean_shutdown"
                PASSED=$(( PASSED + 1 ))
        else
                echo "FAIL daemon_clean_shutdown: $why"
                FAILED=$(( FAILED + 1 ))
        fi
}

harness_summary() {
        # faults after the last test (daemon shutdown, say) fail the suite too
        if emu_fault_check; then
                echo "FAIL emulator_faults: $(emu_fault_reason)"
                printf '%s\n' "$EMU_NEW_FAULTS" | sed 's/^/    | /'
                FAILED=$(( FAILED + 1 ))
        fi
        echo "$PASSED passed, $FAILED failed"
        [ "$FAILED" -eq 0 ] || HARNESS_FAILED=1
        [ "$FAILED" -eq 0 ]
}
