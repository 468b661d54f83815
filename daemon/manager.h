/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "call.h"
#include "device-identity.h"
#include "metrics.h"
#include "types.h"

/*
 * The engine: the only owner of devices and calls. It runs the pipeline of every call
 * (check → authorise → journal → worker → complete) and tells its listener what changed.
 * It holds no D-Bus: authorisation is a mechanism handed in (the bus layer's polkit
 * adapter), and answers go back through each call's completion.
 */

typedef struct ManagerListener {
        void (*device_added)(Device *d, void *userdata);
        void (*device_removed)(Device *d, void *userdata);
        void (*tainted_changed)(bool tainted, void *userdata);
        /* The devices present at start are probed: time to take the bus name. */
        void (*ready)(void *userdata);
        /* A session ended (Close, its opener left, expiry, its device went, reload). */
        void (*session_closed)(Session *s, void *userdata);
        void *userdata;
} ManagerListener;

typedef struct ManagerAuthorizer {
        /* Start authorising c for scope_to_action(c->scope); answer with
         * manager_authorization_done() exactly once, unless cancel() came first. */
        int (*start)(Call *c, void *userdata);
        void (*cancel)(Call *c, void *userdata);
        void *userdata;
} ManagerAuthorizer;

typedef struct ManagerConfig {
        const char *plugin_dir;
        const char *deny_dir;       /* NULL: no deny list */
        const char *raw_types_path; /* NULL: none */
        const char *tainted_path;
        uint64_t session_idle_usec; /* 0: FWCTLD_SESSION_IDLE_USEC */
        uint64_t session_max_usec;  /* 0: FWCTLD_SESSION_MAX_USEC */
} ManagerConfig;

int manager_new(sd_event *e, const ManagerConfig *config, Manager **ret);
Manager *manager_free(Manager *m);

static inline void manager_freep(Manager **m) {
        if (*m)
                (void) manager_free(*m);
}

void manager_set_listener(Manager *m, const ManagerListener *listener);
void manager_set_authorizer(Manager *m, const ManagerAuthorizer *authorizer);

/* Plugins, the local policy, udev (enumerate + watch); ready() follows once coldplug settled. */
int manager_start(Manager *m);
/* Remove every device and wait for its worker: every call is answered. Before the bus goes. */
void manager_stop(Manager *m);
/* SIGHUP: re-read the deny list and the raw opt-in list. */
void manager_reload(Manager *m);

/* Takes c. done(c, userdata) is called exactly once, possibly before this returns; c is freed
 * right after it. A CALL_ERROR_CANCELLED call has nobody to answer. */
void manager_submit_call(Manager *m, Call *c, CallDoneFunc done, void *userdata);
/* A call inside session s (the bus layer checked the caller opened it): everything but the
 * polkit check, which the session stands for. */
void manager_submit_session_call(Manager *m, Session *s, Call *c, CallDoneFunc done, void *userdata);
Session *manager_find_session(Manager *m, uint64_t id);
void manager_close_session(Manager *m, Session *s, const char *reason);
/* When s ends by itself, CLOCK_REALTIME µs. */
uint64_t manager_session_expires(Manager *m, const Session *s);

/* The authorizer's answer for c. */
void manager_authorization_done(Manager *m, Call *c, int r, bool authorized, bool challenge, const char *error_message);
/* A bus client left: its calls are dropped (queued ones never reach the device). */
void manager_cancel_sender(Manager *m, const char *sender);

/* Lookups of published devices: O(1) by name; by anything device_matches() accepts, O(1) for a
 * name, /sys/class/fwctl/NAME, a syspath or a parent, O(N) for the other forms. */
Device *manager_find_device(Manager *m, const char *name_or_parent);
Device *manager_find_device_by_name(Manager *m, const char *name);
/* The device under this kernel name in any state, NULL if none: O(1). A removed device is found
 * until the listener's device_removed() returned. */
Device *manager_get_device_by_name(Manager *m, const char *name);
/* Iterate every device, in any state: for (Device *d = manager_devices(m); d; d = d->next). */
Device *manager_devices(Manager *m);

bool manager_tainted(Manager *m);
/* Every call's counters (removed devices' included) and the devices seen come and go. */
const Metrics *manager_metrics(Manager *m, uint64_t *ret_added, uint64_t *ret_removed);
unsigned manager_calls_in_progress(Manager *m);
Plugin *const *manager_plugins(Manager *m, size_t *ret_n);
const char *manager_raw_types_path(Manager *m);
