/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <cmocka.h>

#include "bus-caller.h"
#include "call.h"
#include "device.h"
#include "hashmap.h"
#include "names.h"
#include "private-bus.h"

/*
 * bus_caller_submit() against a private dbus-daemon. Clients send real method calls to the
 * server connection, which only keeps them (the inbox); the test hands them to
 * bus_caller_submit() itself, so it decides what happens before and after the loop runs. The
 * dispatch callback records the caller and answers. A monitor connection sees the errors sent
 * to clients that have gone. Everything is one sd_event loop.
 */

#define TEST_PATH "/org/example/Test"
#define TEST_INTERFACE "org.example.Test"
#define N_MAX (2u * BUS_CALLER_WAITING_PER_SENDER + 32u)
#define N_CLIENTS 8u

typedef struct Reply {
        bool answered;
        char *error_name;
        char *error_message;
} Reply;

typedef struct Dispatched {
        uint64_t seq;
        uid_t uid;
        pid_t pid;
        char *sender;
        char *unit;
        bool interactive;
} Dispatched;

/* An error the monitor saw: to whom, and what. */
typedef struct SeenError {
        char *destination, *name, *message;
} SeenError;

static struct {
        PrivateBus bus;
        sd_event *event;
        sd_bus *server, *monitor;
        sd_bus_slot *object_slot, *monitor_slot, *owner_slot;
        Device *device;
        BusContext b;

        sd_bus *clients[N_CLIENTS];
        unsigned n_clients;
        unsigned n_sent;                /* calls sent; each call's seq is its index */
        sd_bus_message *inbox[N_MAX];   /* by seq */
        unsigned n_inbox;
        Reply replies[N_MAX];           /* by seq */
        unsigned reply_order[N_MAX];    /* seqs, in the order the clients got their answers */
        unsigned n_replies;
        Dispatched dispatched[N_MAX];
        unsigned n_dispatched;
        SeenError seen[N_MAX];
        unsigned n_seen;
        const char *awaited_name;       /* set gone when NameOwnerChanged says it left */
        unsigned gone;
} T;

/* --- the server: keeps what it receives --------------------------------------------------- */

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint64_t seq;

        if (!sd_bus_message_is_method_call(m, TEST_INTERFACE, "Call"))
                return 0;
        assert_int_equal(sd_bus_message_read(m, "t", &seq), 1);
        assert_int_equal(seq, T.n_inbox);
        assert_true(T.n_inbox < N_MAX);
        T.inbox[T.n_inbox++] = sd_bus_message_ref(m);
        return 1; /* answered later, by the dispatch callback or by bus-caller.c */
}

static void on_dispatch(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id) {
        Dispatched *d = &T.dispatched[T.n_dispatched++];

        assert_ptr_equal(b, &T.b);
        assert_true(session_id < T.n_inbox);
        assert_ptr_equal(message, T.inbox[session_id]);
        assert_non_null(c->caller.sender);
        assert_string_equal(c->caller.sender, sd_bus_message_get_sender(message));
        *d = (Dispatched) {
                .seq = session_id,
                .uid = c->caller.uid,
                .pid = c->caller.pid,
                .sender = strdup(c->caller.sender),
                .unit = c->caller.unit ? strdup(c->caller.unit) : NULL,
                .interactive = c->caller.interactive,
        };
        assert_true(sd_bus_reply_method_return(message, NULL) >= 0);
        call_free(c);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (T.awaited_name && strcmp(name, T.awaited_name) == 0 && *new_owner == '\0')
                T.gone++;
        return 0;
}

static int on_monitored(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        SeenError *s;

        if (!e || strncmp(e->name, FWCTLD_ERROR_PREFIX, strlen(FWCTLD_ERROR_PREFIX)) != 0)
                return 0;
        assert_true(T.n_seen < N_MAX);
        s = &T.seen[T.n_seen++];
        s->destination = strdup(sd_bus_message_get_destination(m) ?: "");
        s->name = strdup(e->name);
        s->message = strdup(e->message ?: "");
        return 0;
}

/* --- the clients -------------------------------------------------------------------------- */

static sd_bus *new_client(void) {
        assert_true(T.n_clients < N_CLIENTS);
        T.clients[T.n_clients] = private_bus_connect(&T.bus, T.event);
        return T.clients[T.n_clients++];
}

static const char *name_of(sd_bus *client) {
        const char *unique = NULL;

        assert_int_equal(sd_bus_get_unique_name(client, &unique), 0);
        return unique;
}

/* The client disconnects; returns once the server has heard it. */
static void drop_client(sd_bus *client) {
        char *name = strdup(name_of(client));

        for (unsigned i = 0; i < T.n_clients; i++)
                if (T.clients[i] == client)
                        T.clients[i] = NULL;
        T.awaited_name = name;
        T.gone = 0;
        sd_bus_flush_close_unref(client);
        (void) private_bus_run_until(T.event, &T.gone, 1);
        T.awaited_name = NULL;
        free(name);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Reply *r = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        assert_false(r->answered);
        r->answered = true;
        if (e) {
                r->error_name = strdup(e->name);
                r->error_message = strdup(e->message ?: "");
        }
        T.reply_order[T.n_replies++] = (unsigned) (r - T.replies);
        return 0;
}

/* n calls from client; returns the seq of the first, once the server holds them all. */
static unsigned send_calls(sd_bus *client, unsigned n, bool interactive) {
        unsigned first = T.n_sent;

        assert_true(T.n_sent + n <= N_MAX);
        for (unsigned i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                unsigned seq = T.n_sent++;

                assert_true(sd_bus_message_new_method_call(client, &m, name_of(T.server), TEST_PATH,
                                                           TEST_INTERFACE, "Call") >= 0);
                assert_true(sd_bus_message_append(m, "t", (uint64_t) seq) >= 0);
                assert_true(sd_bus_message_set_allow_interactive_authorization(m, interactive) >= 0);
                assert_true(sd_bus_call_async(client, NULL, m, on_reply, &T.replies[seq], 0) >= 0);
        }
        (void) private_bus_run_until(T.event, &T.n_inbox, T.n_sent);
        return first;
}

/* A call holding request_size bytes (counted, never allocated) that asks for a max_response
 * reply (not counted while it waits here: no reply buffer exists yet). */
static Call *new_call(size_t request_size, size_t max_response) {
        Call *c = NULL;

        assert_int_equal(call_new(T.device, NULL, CALL_RPC, &c), 0);
        c->request_size = request_size; /* nothing here reads c->request */
        c->max_response = max_response;
        return c;
}

static int submit_sized(unsigned seq, size_t request_size, size_t max_response) {
        assert_true(seq < T.n_inbox);
        return bus_caller_submit(&T.b, new_call(request_size, max_response), T.inbox[seq], seq, on_dispatch);
}

static int submit(unsigned seq) {
        return submit_sized(seq, 16, 64);
}

/* Where seq's answer came among the answers the clients got. */
static unsigned reply_rank(unsigned seq) {
        for (unsigned i = 0; i < T.n_replies; i++)
                if (T.reply_order[i] == seq)
                        return i;
        fail_msg("call %u was not answered", seq);
        return UINT_MAX;
}

/* What a call of submit() holds while it waits. */
static uint64_t small_call_bytes(void) {
        Call *c = new_call(16, 64);
        uint64_t bytes = call_input_bytes(c);

        call_free(c);
        return bytes;
}

/* --- fixtures ----------------------------------------------------------------------------- */

static int group_setup(void **state) {
        const DeviceIdentity id = {
                .syspath = (char *) "/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/fwctl/fwctl0",
                .name = (char *) "fwctl0",
                .devnode = (char *) "/dev/fwctl/fwctl0",
        };
        sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_int_equal(device_new(&id, NULL, &T.device), 0);
        assert_int_equal(sd_event_new(&T.event), 0);
        T.server = private_bus_connect(&T.bus, T.event);
        assert_true(sd_bus_add_object(T.server, &T.object_slot, TEST_PATH, on_call, NULL) >= 0);
        assert_true(sd_bus_match_signal(T.server, &T.owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed,
                                        NULL) >= 0);

        T.monitor = private_bus_connect(&T.bus, T.event);
        assert_true(sd_bus_add_filter(T.monitor, &T.monitor_slot, on_monitored, NULL) >= 0);
        assert_true(sd_bus_call_method(T.monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor", &error, NULL, "asu", 1,
                                       "type='error'", 0) >= 0);
        sd_bus_error_free(&error);
        return 0;
}

static int group_teardown(void **state) {
        sd_bus_slot_unref(T.object_slot);
        sd_bus_slot_unref(T.owner_slot);
        sd_bus_slot_unref(T.monitor_slot);
        sd_bus_flush_close_unref(T.server);
        sd_bus_flush_close_unref(T.monitor);
        sd_event_unref(T.event);
        /* Every call was freed: the dispatched ones by on_dispatch, the others by bus-caller.c. */
        assert_int_equal(T.device->n_ref, 1);
        device_unref(T.device);
        return 0;
}

static int setup(void **state) {
        T.b = (BusContext) { .bus = T.server, .control = T.server };
        assert_int_equal(hashmap_new(&T.b.callers), 0);
        return 0;
}

static int teardown(void **state) {
        bus_caller_forget_all(&T.b);
        assert_int_equal(hashmap_size(T.b.callers), 0);
        assert_int_equal(T.b.waiting_bytes, 0);
        hashmap_free(T.b.callers);
        for (unsigned i = 0; i < T.n_clients; i++)
                if (T.clients[i])
                        sd_bus_flush_close_unref(T.clients[i]);
        for (unsigned i = 0; i < T.n_inbox; i++)
                sd_bus_message_unref(T.inbox[i]);
        for (unsigned i = 0; i < N_MAX; i++) {
                free(T.replies[i].error_name);
                free(T.replies[i].error_message);
                free(T.dispatched[i].sender);
                free(T.dispatched[i].unit);
                free(T.seen[i].destination);
                free(T.seen[i].name);
                free(T.seen[i].message);
        }
        memset(T.clients, 0, sizeof(T.clients));
        memset(T.inbox, 0, sizeof(T.inbox));
        memset(T.replies, 0, sizeof(T.replies));
        memset(T.dispatched, 0, sizeof(T.dispatched));
        memset(T.seen, 0, sizeof(T.seen));
        T.n_clients = T.n_sent = T.n_inbox = T.n_replies = T.n_dispatched = T.n_seen = 0;
        return 0;
}

/* --- tests -------------------------------------------------------------------------------- */

/* The first call waits for the bus; the connection's next one goes straight through. */
static void test_first_waits_then_known(void **state) {
        sd_bus *client = new_client();
        unsigned first = send_calls(client, 1, false);
        unsigned second = send_calls(client, 1, true);

        assert_int_equal(submit(first), 1);
        assert_int_equal(T.n_dispatched, 0); /* not before the bus answered */
        assert_int_equal(hashmap_size(T.b.callers), 1);
        assert_int_equal(T.b.waiting_bytes, small_call_bytes());

        (void) private_bus_run_until(T.event, &T.n_dispatched, 1);
        assert_int_equal(T.dispatched[0].seq, first);
        assert_int_equal(T.dispatched[0].uid, getuid());
        assert_int_equal(T.dispatched[0].pid, getpid()); /* the client is this process */
        assert_string_equal(T.dispatched[0].sender, name_of(client));
        assert_non_null(T.dispatched[0].unit);
        assert_false(T.dispatched[0].interactive);
        assert_int_equal(T.b.waiting_bytes, 0);

        /* Known now: dispatched inside bus_caller_submit(), without asking the bus again. */
        assert_int_equal(submit(second), 1);
        assert_int_equal(T.n_dispatched, 2);
        assert_int_equal(T.dispatched[1].seq, second);
        assert_int_equal(T.dispatched[1].uid, getuid());
        assert_int_equal(T.dispatched[1].pid, getpid());
        assert_true(T.dispatched[1].interactive);
        assert_int_equal(hashmap_size(T.b.callers), 1);
        assert_int_equal(T.b.waiting_bytes, 0);

        (void) private_bus_run_until(T.event, &T.n_replies, 2);
        assert_null(T.replies[first].error_name);
        assert_null(T.replies[second].error_name);
}

/* BUS_CALLER_WAITING_PER_SENDER wait in order; one more is refused at once, before the bus
 * has answered. */
static void test_per_connection_cap(void **state) {
        sd_bus *client = new_client();
        unsigned first = send_calls(client, BUS_CALLER_WAITING_PER_SENDER + 1, false);
        unsigned last = first + BUS_CALLER_WAITING_PER_SENDER;

        for (unsigned i = first; i < last; i++)
                assert_int_equal(submit(i), 1);
        assert_int_equal(T.b.waiting_bytes, BUS_CALLER_WAITING_PER_SENDER * small_call_bytes());
        assert_true(submit(last) >= 0);
        assert_int_equal(T.b.waiting_bytes, BUS_CALLER_WAITING_PER_SENDER * small_call_bytes());
        assert_int_equal(T.n_dispatched, 0);

        (void) private_bus_run_until(T.event, &T.n_replies, BUS_CALLER_WAITING_PER_SENDER + 1);
        /* The refusal was sent before the query was answered, so it reached the client first. */
        assert_int_equal(T.reply_order[0], last);
        assert_string_equal(T.replies[last].error_name, FWCTLD_ERROR_BUSY);
        assert_non_null(strstr(T.replies[last].error_message, "too many calls from this connection"));

        assert_int_equal(T.n_dispatched, BUS_CALLER_WAITING_PER_SENDER);
        for (unsigned i = 0; i < BUS_CALLER_WAITING_PER_SENDER; i++) {
                assert_int_equal(T.dispatched[i].seq, first + i);
                assert_null(T.replies[first + i].error_name);
        }
        assert_int_equal(T.b.waiting_bytes, 0);

        /* Known now: no cap on its calls any more. */
        assert_int_equal(submit(send_calls(client, 1, false)), 1);
        assert_int_equal(T.n_dispatched, BUS_CALLER_WAITING_PER_SENDER + 1);
}

/* The bytes held by every waiting call, whoever sent it, are capped. */
static void test_bytes_cap(void **state) {
        const uint64_t quarter = BUS_CALLER_WAITING_BYTES_MAX / 4;
        sd_bus *a = new_client(), *bc = new_client();
        unsigned a0 = send_calls(a, 3, false), b0 = send_calls(bc, 3, false);
        _cleanup_(freep) char *params = malloc(quarter / 2);
        uint64_t held, room;
        Call *c;

        /* Real parameters, a string of an eighth of the cap (counted twice: ours and the message's). */
        c = new_call(0, 0);
        assert_non_null(params);
        memset(params, 'x', quarter / 2);
        assert_int_equal(call_set_parameters(c, params, quarter / 2), 0);
        held = call_input_bytes(c);
        assert_int_equal(held, quarter + 512);
        assert_int_equal(bus_caller_submit(&T.b, c, T.inbox[a0], a0, on_dispatch), 1);
        assert_int_equal(submit_sized(a0 + 1, quarter / 2, 0), 1);
        assert_int_equal(submit_sized(b0, quarter / 2, 0), 1);
        assert_int_equal(T.b.waiting_bytes, 3 * held);
        room = BUS_CALLER_WAITING_BYTES_MAX - 3 * held;

        /* More than the room left: refused, and nothing else changes. */
        assert_true(submit_sized(a0 + 2, (room - 512) / 2 + 1, 0) >= 0);
        assert_int_equal(T.b.waiting_bytes, 3 * held);
        /* Exactly the room left: taken. */
        assert_int_equal(submit_sized(b0 + 1, (room - 512) / 2, 0), 1);
        assert_int_equal(T.b.waiting_bytes, BUS_CALLER_WAITING_BYTES_MAX);
        assert_int_equal(T.n_dispatched, 0);

        (void) private_bus_run_until(T.event, &T.n_replies, 5);
        assert_string_equal(T.replies[a0 + 2].error_name, FWCTLD_ERROR_BUSY);
        assert_non_null(strstr(T.replies[a0 + 2].error_message, "too many bytes"));
        /* Refused at once: before its connection's earlier calls were answered. */
        assert_true(reply_rank(a0 + 2) < reply_rank(a0));
        assert_true(reply_rank(a0 + 2) < reply_rank(a0 + 1));
        assert_int_equal(T.n_dispatched, 4);
        assert_null(T.replies[a0].error_name);
        assert_null(T.replies[a0 + 1].error_name);
        assert_null(T.replies[b0].error_name);
        assert_null(T.replies[b0 + 1].error_name);
        assert_int_equal(T.b.waiting_bytes, 0);

        /* The reply a call asks for is not held yet: a 4 GiB max_response is the engine's to
         * refuse (PayloadTooLarge), not a reason for Busy here. */
        bus_caller_forget(&T.b, name_of(bc));
        assert_int_equal(submit_sized(b0 + 2, 0, UINT32_MAX), 1);
        assert_int_equal(T.b.waiting_bytes, 512);
        (void) private_bus_run_until(T.event, &T.n_replies, 6);
        assert_int_equal(T.n_dispatched, 5);
        assert_null(T.replies[b0 + 2].error_name);
        assert_int_equal(T.b.waiting_bytes, 0);
}

/* Forgotten while the bus is being asked: what waits is dropped; the next call asks again. */
static void test_forget_in_flight(void **state) {
        sd_bus *client = new_client();
        unsigned first = send_calls(client, 5, false);

        for (unsigned i = first; i < first + 3; i++)
                assert_int_equal(submit(i), 1);
        assert_int_equal(hashmap_size(T.b.callers), 1);

        bus_caller_forget(&T.b, name_of(client));
        assert_int_equal(hashmap_size(T.b.callers), 0);
        assert_int_equal(T.b.waiting_bytes, 0);
        bus_caller_forget(&T.b, ":1.999999"); /* nobody: nothing happens */

        /* Asks again: not dispatched from inside submit. */
        assert_int_equal(submit(first + 3), 1);
        assert_int_equal(T.n_dispatched, 0);
        assert_int_equal(hashmap_size(T.b.callers), 1);
        /* The bus answers in order: the first query's answer came (and was ignored) before this. */
        (void) private_bus_run_until(T.event, &T.n_dispatched, 1);
        assert_int_equal(T.dispatched[0].seq, first + 3);
        assert_int_equal(T.dispatched[0].uid, getuid());

        assert_int_equal(submit(first + 4), 1);
        assert_int_equal(T.n_dispatched, 2);
        (void) private_bus_run_until(T.event, &T.n_replies, 2);
        assert_int_equal(T.n_dispatched, 2);
        /* The dropped calls were never answered: their client is gone, as far as we know. */
        for (unsigned i = first; i < first + 3; i++)
                assert_false(T.replies[i].answered);
        assert_int_equal(T.reply_order[0], first + 3);
        assert_int_equal(T.reply_order[1], first + 4);
}

/* The client left before the bus was asked: the bus cannot say who it was. */
static void test_sender_gone(void **state) {
        sd_bus *client = new_client();
        unsigned first = send_calls(client, 2, false);
        char *name = strdup(name_of(client));

        drop_client(client);
        assert_int_equal(submit(first), 1);
        assert_int_equal(submit(first + 1), 1);
        assert_int_equal(hashmap_size(T.b.callers), 1);

        (void) private_bus_run_until(T.event, &T.n_seen, 2);
        assert_int_equal(T.n_dispatched, 0);
        for (unsigned i = 0; i < 2; i++) {
                assert_string_equal(T.seen[i].destination, name);
                assert_string_equal(T.seen[i].name, FWCTLD_ERROR_NOT_AUTHORIZED);
                assert_true(strncmp(T.seen[i].message, "Could not tell who is calling", 29) == 0);
        }
        /* Forgotten: another call from that name would ask again. */
        assert_int_equal(hashmap_size(T.b.callers), 0);
        assert_int_equal(T.b.waiting_bytes, 0);
        free(name);
}

/* Shutdown with callers known and callers being asked about: those waiting get Busy. */
static void test_forget_all(void **state) {
        sd_bus *known[2] = { new_client(), new_client() }, *pending[2] = { new_client(), new_client() };
        sd_bus *late = new_client();
        unsigned k[2], p[2], again, after;

        for (unsigned i = 0; i < 2; i++) {
                k[i] = send_calls(known[i], 1, false);
                assert_int_equal(submit(k[i]), 1);
        }
        (void) private_bus_run_until(T.event, &T.n_dispatched, 2);
        /* Everything in the inbox before the first query is sent: nothing runs the loop after. */
        p[0] = send_calls(pending[0], 2, false);
        p[1] = send_calls(pending[1], 2, false);
        again = send_calls(known[0], 1, false);
        after = send_calls(late, 1, false);
        for (unsigned i = 0; i < 2; i++) {
                assert_int_equal(submit(p[i]), 1);
                assert_int_equal(submit(p[i] + 1), 1);
        }
        assert_int_equal(hashmap_size(T.b.callers), 4);
        assert_int_equal(T.b.waiting_bytes, 4 * small_call_bytes());

        bus_caller_forget_all(&T.b);
        assert_int_equal(hashmap_size(T.b.callers), 0);
        assert_int_equal(T.b.waiting_bytes, 0);

        /* A known caller is asked about again. */
        assert_int_equal(submit(again), 1);
        assert_int_equal(T.n_dispatched, 2);
        /* After the pending queries' answers (the bus answers in order), which reach nobody. */
        assert_int_equal(submit(after), 1);
        (void) private_bus_run_until(T.event, &T.n_dispatched, 4);
        /* The four dispatched, and the four that waited: Busy, they never ran. */
        (void) private_bus_run_until(T.event, &T.n_replies, 8);
        assert_int_equal(T.n_dispatched, 4);
        assert_int_equal(T.dispatched[2].seq, again);
        for (unsigned i = 0; i < 4; i++) {
                const Reply *r = &T.replies[p[i / 2] + i % 2];

                assert_true(r->answered);
                assert_string_equal(r->error_name, FWCTLD_ERROR_BUSY);
                assert_non_null(strstr(r->error_message, "fwctld is stopping"));
        }
}

/* No sender (not from the bus): nobody to ask about. */
static void test_no_sender(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        assert_true(sd_bus_message_new_method_call(T.server, &m, NULL, TEST_PATH, TEST_INTERFACE, "Call") >= 0);
        assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
        assert_int_equal(bus_caller_submit(&T.b, new_call(16, 64), m, 0, on_dispatch), -EPERM);
        assert_int_equal(T.n_dispatched, 0);
        assert_int_equal(hashmap_size(T.b.callers), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_first_waits_then_known, setup, teardown),
                cmocka_unit_test_setup_teardown(test_per_connection_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bytes_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forget_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sender_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forget_all, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_sender, setup, teardown),
        };

        return private_bus_run_group(&T.bus, "test-bus-caller", tests, ELEMENTSOF(tests), group_setup, group_teardown);
}
