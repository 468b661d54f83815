/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "bus-caller.h"
#include "log.h"
#include "names.h"
#include "util.h"

typedef struct BusCallerWait BusCallerWait;

struct BusCallerWait {
        Call *call;
        sd_bus_message *message;
        uint64_t session_id; /* 0: a Device door */
        uint64_t bytes;      /* counted in BusContext.waiting_bytes */
        BusCallerDispatch dispatch;
        BusCallerWait *next;
};

/* Who a connected client is (unique names are never reused); until known, its calls wait in
 * order. */
typedef struct BusCreds {
        BusContext *context;
        char *sender;
        uid_t uid;
        pid_t pid;
        char *unit;
        sd_bus_slot *query;          /* GetConnectionCredentials in flight; NULL: known */
        BusCallerWait *first, *last; /* calls waiting for the answer, oldest first */
        unsigned n_waiting;
} BusCreds;

static BusCallerWait *bus_caller_wait_free(BusContext *b, BusCallerWait *w) {
        b->waiting_bytes -= w->bytes;
        sd_bus_message_unref(w->message);
        call_free(w->call);
        free(w);
        return NULL;
}

/* Answer every waiting call with an error and drop them. */
static void bus_creds_fail_waiting(BusContext *b, BusCreds *x, const char *name, const char *message) {
        while (x->first) {
                BusCallerWait *w = x->first;

                x->first = w->next;
                if (name)
                        (void) sd_bus_reply_method_errorf(w->message, name, "%s", message);
                bus_caller_wait_free(b, w);
        }
        x->last = NULL;
        x->n_waiting = 0;
}

static BusCreds *bus_creds_free(BusContext *b, BusCreds *x) {
        if (!x)
                return NULL;
        x->query = sd_bus_slot_unref(x->query); /* its callback never runs now */
        bus_creds_fail_waiting(b, x, NULL, NULL);
        free(x->sender);
        free(x->unit);
        free(x);
        return NULL;
}

void bus_caller_forget(BusContext *b, const char *sender) {
        bus_creds_free(b, hashmap_remove(b->callers, sender));
}

void bus_caller_forget_all(BusContext *b) {
        BusCreds *x;

        /* fwctld is stopping: calls still waiting to learn who sent them never ran. */
        while ((x = hashmap_steal_first(b->callers))) {
                bus_creds_fail_waiting(b, x, FWCTLD_ERROR_BUSY,
                                       "fwctld is stopping: the call did not run; retry once it is back.");
                bus_creds_free(b, x);
        }
}

static int bus_parse_credentials(sd_bus_message *reply, uid_t *ret_uid, pid_t *ret_pid) {
        bool have_uid = false;
        uint32_t u;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "UnixUserID") || streq(key, "ProcessID")) {
                        r = sd_bus_message_read(reply, "v", "u", &u);
                        if (r < 0)
                                return r;
                        if (streq(key, "UnixUserID")) {
                                *ret_uid = (uid_t) u;
                                have_uid = true;
                        } else
                                *ret_pid = (pid_t) u;
                } else {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return have_uid ? 0 : -EPERM; /* without a uid nothing can be authorised */
}

static int bus_call_set_caller(Call *c, const BusCreds *x) {
        c->caller.uid = x->uid;
        c->caller.pid = x->pid;
        c->caller.unit = strdup(strempty(x->unit));
        return c->caller.unit ? 0 : -ENOMEM;
}

static void bus_creds_known(BusCreds *x, uid_t uid, pid_t pid) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *unit_creds = NULL;
        const char *unit = NULL;

        x->uid = uid;
        x->pid = pid;
        /* The unit is for the audit record only: read from /proc, best effort (the pid may be gone). */
        if (pid > 0 && sd_bus_creds_new_from_pid(&unit_creds, pid, SD_BUS_CREDS_UNIT) >= 0 &&
            sd_bus_creds_get_unit(unit_creds, &unit) >= 0)
                x->unit = strdup(strempty(unit));
}

/* Fill the caller and dispatch; on failure answer the call. Takes c. */
static void bus_caller_dispatch(BusContext *b, const BusCreds *x, Call *c, sd_bus_message *message,
                                uint64_t session_id, BusCallerDispatch dispatch) {
        if (bus_call_set_caller(c, x) < 0) {
                (void) sd_bus_reply_method_errorf(message, FWCTLD_ERROR_BUSY, "Out of memory: retry.");
                call_free(c);
                return;
        }
        dispatch(b, c, message, session_id);
}

static_assert(BUS_CALLER_QUERY_TIMEOUT_USEC == 20ull * 1000 * 1000, "the Busy message says 20 s");

static int on_credentials(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusCreds *x = userdata;
        BusContext *b = x->context;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uid_t uid = (uid_t) -1;
        pid_t pid = 0;
        int r;

        x->query = sd_bus_slot_unref(x->query);
        r = e ? -sd_bus_error_get_errno(e) ?: -EIO : bus_parse_credentials(reply, &uid, &pid);
        if (r < 0) {
                /* Forgotten, so that the connection's next call asks again. */
                (void) hashmap_remove_value(b->callers, x->sender, x);
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY) || r == -ETIMEDOUT)
                        bus_creds_fail_waiting(b, x, FWCTLD_ERROR_BUSY,
                                               "Refused: the bus did not say who is calling in time (limits: "
                                               "20 s for its answer); it is congested, try again.");
                else {
                        _cleanup_(freep) char *why = NULL;

                        if (asprintf(&why, "Could not tell who is calling: %s.", errno_name(r)) < 0)
                                why = NULL;
                        bus_creds_fail_waiting(b, x, FWCTLD_ERROR_NOT_AUTHORIZED, why ?: "Could not tell who is calling.");
                }
                bus_creds_free(b, x);
                return 0;
        }

        bus_creds_known(x, uid, pid);
        while (x->first) {
                BusCallerWait *w = x->first;

                x->first = w->next;
                x->n_waiting--;
                b->waiting_bytes -= w->bytes;
                bus_caller_dispatch(b, x, TAKE_PTR(w->call), w->message, w->session_id, w->dispatch);
                sd_bus_message_unref(w->message);
                free(w);
        }
        x->last = NULL;
        return 0;
}

static int bus_creds_ask(BusContext *b, const char *sender, BusCreds **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BusCreds *x;
        int r;

        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        x->context = b;
        x->sender = strdup(sender);
        if (!x->sender) {
                free(x);
                return -ENOMEM;
        }
        r = sd_bus_message_new_method_call(b->control, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "GetConnectionCredentials");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", sender);
        if (r >= 0)
                r = sd_bus_call_async(b->control, &x->query, m, on_credentials, x, BUS_CALLER_QUERY_TIMEOUT_USEC);
        if (r >= 0)
                r = hashmap_put(b->callers, x->sender, x);
        if (r < 0) {
                bus_creds_free(b, x);
                return r;
        }
        *ret = x;
        return 0;
}

/* Room for one more call of x (whose caller is not known yet)? */
static const char *bus_caller_no_room(const BusContext *b, const BusCreds *x, uint64_t bytes) {
        if (x && x->n_waiting >= BUS_CALLER_WAITING_PER_SENDER)
                return "too many calls from this connection before the bus said who is calling";
        if (b->waiting_bytes + bytes > BUS_CALLER_WAITING_BYTES_MAX)
                return "too many bytes held by calls whose callers the bus has not named yet";
        return NULL;
}

int bus_caller_submit(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id,
                      BusCallerDispatch dispatch) {
        const char *sender = sd_bus_message_get_sender(message), *why;
        uint64_t bytes;
        BusCallerWait *w;
        BusCreds *x;
        int r;

        c->caller.sender = strdup(strempty(sender));
        if (!c->caller.sender || isempty(sender)) {
                call_free(c);
                return isempty(sender) ? -EPERM : -ENOMEM;
        }
        c->caller.interactive = sd_bus_message_get_allow_interactive_authorization(message) > 0;

        x = hashmap_get(b->callers, sender);
        if (x && !x->query) {
                bus_caller_dispatch(b, x, c, message, session_id, dispatch);
                return 1;
        }

        /* What it holds while it waits here: its message and our copy of what it carries (no
         * reply buffer yet; max_response is checked later, once the caller is known). */
        bytes = call_input_bytes(c);
        why = bus_caller_no_room(b, x, bytes);
        if (why) {
                call_free(c);
                return sd_bus_reply_method_errorf(message, FWCTLD_ERROR_BUSY,
                                                  "Refused: %s (limits: %u calls per connection, %llu MiB in all); "
                                                  "try again when your first call has been answered.",
                                                  why, BUS_CALLER_WAITING_PER_SENDER,
                                                  BUS_CALLER_WAITING_BYTES_MAX / (1024ull * 1024ull));
        }
        w = calloc(1, sizeof(*w));
        if (!w) {
                call_free(c);
                return -ENOMEM;
        }
        if (!x) {
                r = bus_creds_ask(b, sender, &x);
                if (r < 0) {
                        free(w);
                        call_free(c);
                        return r;
                }
        }
        *w = (BusCallerWait) { .call = c, .message = sd_bus_message_ref(message), .session_id = session_id,
                               .bytes = bytes, .dispatch = dispatch };
        b->waiting_bytes += bytes;
        if (x->last)
                x->last->next = w;
        else
                x->first = w;
        x->last = w;
        x->n_waiting++;
        return 1;
}
