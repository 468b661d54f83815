# shellcheck shell=bash
# The live objects implement exactly the interfaces in dbus/*.xml (methods,
# arguments, properties, signals, and whether each property's changes are signalled; other
# annotations and whitespace ignored).

canon_iface() { # IFACE < XML -> sorted member lines
        /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
want = sys.argv[1]
root = ET.fromstring(sys.stdin.read())
found = False
for iface in root.iter("interface"):
    if iface.get("name") != want:
        continue
    found = True
    out = []
    for m in iface.findall("method"):
        args = ",".join("%s %s %s" % (a.get("direction", "in"), a.get("type"), a.get("name", "")) for a in m.findall("arg"))
        out.append("method %s(%s)" % (m.get("name"), args))
    for s in iface.findall("signal"):
        args = ",".join("%s %s" % (a.get("type"), a.get("name", "")) for a in s.findall("arg"))
        out.append("signal %s(%s)" % (s.get("name"), args))
    ecs = "org.freedesktop.DBus.Property.EmitsChangedSignal"
    default = next((a.get("value") for a in iface.findall("annotation") if a.get("name") == ecs), "true")
    for p in iface.findall("property"):
        emits = next((a.get("value") for a in p.findall("annotation") if a.get("name") == ecs), default)
        out.append("property %s %s %s emits-changed=%s" % (p.get("name"), p.get("type"), p.get("access"), emits))
    print("\n".join(sorted(out)))
if not found:
    sys.exit(3)
' "$1"
}

compare_iface_xml() { # IFACE XMLFILE LIVE_XML_FILE WHAT
        local want live
        [ -f "$2" ] || fail "missing $2"
        want=$(canon_iface "$1" <"$2") || fail "$2 has no interface $1"
        live=$(canon_iface "$1" <"$3") || fail "$4 does not implement $1"
        [ "$want" == "$live" ] || fail "$1 differs from $2: $(diff <(echo "$want") <(echo "$live") | grep '^[<>]' | tr '\n' ' ')"
}

compare_iface() { # IFACE XMLFILE OBJECT
        busctl --system --xml-interface introspect "$FWCTL_BUS" "$3" >"$T/tmp/introspected.xml" \
                || fail "cannot introspect $3"
        compare_iface_xml "$1" "$2" "$T/tmp/introspected.xml" "$3"
}

test_introspection_manager() {
        compare_iface org.freedesktop.fwctl1.Manager "$SRCDIR/dbus/org.freedesktop.fwctl1.Manager.xml" "$FWCTL_MGR_PATH"
        busctl --system --xml-interface introspect "$FWCTL_BUS" "$FWCTL_MGR_PATH" | grep 'org.freedesktop.DBus.ObjectManager' >/dev/null \
                || fail "Manager object lacks org.freedesktop.DBus.ObjectManager"
}

test_introspection_device() {
        compare_iface org.freedesktop.fwctl1.Device "$SRCDIR/dbus/org.freedesktop.fwctl1.Device.xml" "$FWCTL_DEV_PREFIX/fwctl0"
        compare_iface org.freedesktop.fwctl1.Device "$SRCDIR/dbus/org.freedesktop.fwctl1.Device.xml" "$FWCTL_DEV_PREFIX/fwctl1"
}

# A session object, introspected by the connection that opened it (sessions live as long as it).
test_introspection_session() {
        local xml=$T/tmp/session-introspected.xml
        assert_ok "$SRCDIR/tests/integration/session-client.py" fwctl0 0 false "introspect:$xml"
        compare_iface_xml org.freedesktop.fwctl1.Session "$SRCDIR/dbus/org.freedesktop.fwctl1.Session.xml" "$xml" \
                "$(kv session <<<"$LAST_OUT")"
}
