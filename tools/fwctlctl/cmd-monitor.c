/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl monitor: devices appearing and going, KernelTainted changes and fwctld
 * starting and stopping, as they happen, until SIGINT/SIGTERM. */
#include <signal.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "fwctlctl.h"

static void emit(json_object *event, const char *text) {
        struct timespec ts;

        if (!arg_json) {
                printf("%s\n", text);
                fflush(stdout);
                return;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        json_object_object_add(event, "timestamp_usec",
                               json_object_new_int64((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000));
        /* One compact document per line (JSON Lines), whatever --json= asked for. */
        fputs(json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
        fputc('\n', stdout);
        fflush(stdout);
}

static json_object *event_new(const char *type) {
        json_object *j = json_object_new_object();

        if (j)
                json_object_object_add(j, "event", json_object_new_string(type));
        return j;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(json_object_putp) json_object *ev = NULL, *dev = NULL;
        _cleanup_(freep) char *line = NULL;
        const char *path, *addr;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return 0;
        r = device_object_to_json(m, &dev);
        if (r <= 0)
                return 0;

        ev = event_new("device-added");
        if (!ev)
                return 0;
        json_object_object_add(dev, "object", json_object_new_string(path));
        addr = json_str(dev, "pci_address");
        if (asprintf(&line, "+ %s %s %s driver=%s plugin=%s", json_str(dev, "name"), json_str(dev, "device_type_name"),
                     isempty(addr) ? json_str(dev, "parent") : addr, json_str(dev, "driver"), json_str(dev, "plugin")) < 0)
                return 0;
        json_object_object_add(ev, "device", TAKE_PTR(dev));
        emit(ev, line);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(json_object_putp) json_object *ev = NULL;
        _cleanup_(freep) char *name = NULL, *line = NULL;
        const char *path, *iface;
        bool device = false;
        int r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return 0;
        while (sd_bus_message_read(m, "s", &iface) > 0)
                if (streq(iface, FWCTL_DEVICE_IFACE))
                        device = true;
        if (!device)
                return 0;

        if (sd_bus_path_decode(path, "/org/freedesktop/fwctl1/device", &name) <= 0)
                name = strdup(path);
        ev = event_new("device-removed");
        if (!ev || !name || asprintf(&line, "- %s", name) < 0)
                return 0;
        json_object_object_add(ev, "name", json_object_new_string(name));
        json_object_object_add(ev, "object", json_object_new_string(path));
        emit(ev, line);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *iface, *prop;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || !streq(iface, FWCTL_MANAGER_IFACE))
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &prop) < 0)
                        return 0;
                if (streq(prop, "KernelTainted")) {
                        _cleanup_(json_object_putp) json_object *ev = NULL;
                        int b;

                        if (sd_bus_message_read(m, "v", "b", &b) < 0)
                                return 0;
                        ev = event_new("kernel-tainted");
                        if (!ev)
                                return 0;
                        json_object_object_add(ev, "kernel_tainted", json_object_new_boolean(b));
                        emit(ev, b ? "! KernelTainted: yes (TAINT_FWCTL set)" : "! KernelTainted: no");
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(json_object_putp) json_object *ev = NULL;
        const char *name, *old_owner, *new_owner;
        bool up;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, FWCTL_BUS))
                return 0;
        up = !isempty(new_owner);
        ev = event_new(up ? "daemon-started" : "daemon-stopped");
        if (!ev)
                return 0;
        emit(ev, up ? "* fwctld started" : "* fwctld stopped");
        return 0;
}

int cmd_monitor(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return report_errno(-errno, "Failed to block signals");

        r = sd_event_default(&event);
        if (r < 0)
                return report_errno(r, "Failed to allocate the event loop");
        r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r < 0)
                return report_errno(r, "Failed to watch signals");

        r = sd_bus_match_signal(bus, NULL, FWCTL_BUS, FWCTL_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                "InterfacesAdded", on_interfaces_added, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, FWCTL_BUS, FWCTL_MANAGER_PATH,
                                        "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
                                        on_interfaces_removed, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, FWCTL_BUS, FWCTL_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, NULL);
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                     "arg0='" FWCTL_BUS "'",
                                     on_name_owner_changed, NULL);
        if (r < 0)
                return report_errno(r, "Failed to subscribe to fwctld's signals");

        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return report_errno(r, "Failed to attach the bus to the event loop");
        (void) sd_bus_set_exit_on_disconnect(bus, true);

        fprintf(stderr, "Monitoring fwctld; press ^C to stop.\n");

        r = sd_event_loop(event);
        if (r < 0)
                return report_errno(r, "Event loop failed");
        (void) sd_bus_detach_event(bus);
        return 0;
}
