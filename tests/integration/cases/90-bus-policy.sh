# shellcheck shell=bash
# The installed bus policy: only root may own the name.

request_name_as() {
        as_user "$1" gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
                --method org.freedesktop.DBus.RequestName "$FWCTL_BUS" 4
}

test_unprivileged_cannot_own_name() {
        assert_dbus_error org.freedesktop.DBus.Error.AccessDenied request_name_as fwtest
        assert_dbus_error org.freedesktop.DBus.Error.AccessDenied request_name_as fwdeny
        assert_true "daemon still owns its name" bus_has_name "$FWCTL_BUS"
}
