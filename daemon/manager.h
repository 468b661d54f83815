/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libudev.h>
#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "deny-list.h"
#include "raw-types.h"
#include "types.h"

struct Manager {
        sd_event *event;
        sd_bus *bus;

        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *monitor_source;

        /* Workers hand finished jobs to the loop through this queue and eventfd. */
        int completion_fd;
        sd_event_source *completion_source;
        pthread_mutex_t completion_lock;
        Job *completions_head, *completions_tail;

        Device *devices;
        unsigned n_workers;
        Call *calls;
        unsigned n_calls;
        uint64_t pending_bytes;

        Plugin **plugins;
        size_t n_plugins;
        char *plugin_dir;

        /* The local deny list (NULL dir: none) and the raw opt-in list; reloaded on SIGHUP.
         * Workers read them for the RPCs of named operations: under config_lock. */
        char *deny_dir;
        DenyList *deny;
        char *raw_types_path;
        RawTypes *raw_types;
        pthread_mutex_t config_lock;
        sd_event_source *denial_timer;

        bool tainted;
        char *tainted_path;
        sd_event_source *taint_timer;

        unsigned coldplug_pending;
        bool name_requested;
        sd_event_source *coldplug_timeout;

        sd_bus_slot *name_owner_slot;
        uint64_t polkit_counter;
};

int manager_new(const char *plugin_dir, Manager **ret);
Manager *manager_free(Manager *m);

static inline void manager_freep(Manager **m) {
        if (*m)
                (void) manager_free(*m);
}

/* Loop, bus, vtables, plugins, coldplug; the name is requested once coldplug settled. */
int manager_start(Manager *m);
int manager_run(Manager *m);

const Plugin *manager_find_plugin(Manager *m, uint32_t device_type);

/* (Re)read the deny list and the raw opt-in list; on failure the previous one stays in force. */
int manager_load_deny_list(Manager *m);
int manager_load_raw_types(Manager *m);

/* Any thread. Is (type, any of the comma-separated operations, scope) denied? 1 and the
 * rule's origin (malloc()ed) if so. */
int manager_deny_check(Manager *m, uint32_t device_type, const char *operations, uint32_t scope,
                       char **ret_origin);
bool manager_raw_type_allowed(Manager *m, uint32_t device_type);

/* udev add/remove, keyed by syspath (the kernel name is not stable across hotplug). */
int manager_add_device(Manager *m, const char *syspath, const char *name, const char *devnode, dev_t devnum,
                       const char *parent, const char *pci_address, const char *driver, bool coldplug);
void manager_remove_device(Manager *m, Device *d);
Device *manager_find_device(Manager *m, const char *name_or_parent);
Device *manager_find_device_by_syspath(Manager *m, const char *syspath);
Device *manager_find_device_by_name(Manager *m, const char *name);

void manager_track_call(Manager *m, Call *c);
void manager_untrack_call(Manager *m, Call *c);
unsigned manager_count_calls_of_sender(Manager *m, const char *sender);
void manager_sender_gone(Manager *m, const char *sender);

/* Any thread. */
void manager_post_completion(Manager *m, Job *j);

/* Re-read the taint flags; emits PropertiesChanged on a flip. Returns the current state. */
bool manager_refresh_taint(Manager *m);

/* The call the current worker thread runs (for fwctld_device_rpc() scope limits). */
void manager_set_thread_call(Call *c);
Call *manager_get_thread_call(void);
