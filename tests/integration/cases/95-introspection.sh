# shellcheck shell=bash
# The live objects implement exactly the interfaces in dbus/*.xml (methods,
# arguments, properties, signals; annotations and whitespace ignored).

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
    for p in iface.findall("property"):
        out.append("property %s %s %s" % (p.get("name"), p.get("type"), p.get("access")))
    print("\n".join(sorted(out)))
if not found:
    sys.exit(3)
' "$1"
}

compare_iface() { # IFACE XMLFILE OBJECT
        local want live
        [ -f "$2" ] || fail "missing $2"
        want=$(canon_iface "$1" <"$2") || fail "$2 has no interface $1"
        live=$(busctl --system --xml-interface introspect "$FWCTL_BUS" "$3" | canon_iface "$1") \
                || fail "$3 does not implement $1"
        [ "$want" == "$live" ] || fail "$1 differs from $2: $(diff <(echo "$want") <(echo "$live") | grep '^[<>]' | tr '\n' ' ')"
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
