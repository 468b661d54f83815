/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>

#include "log.h"
#include "names.h"
#include "polkit.h"
#include "util.h"

/* CheckAuthorization flags (polkit's PolkitCheckAuthorizationFlags). */
#define POLKIT_CHECK_ALLOW_USER_INTERACTION UINT32_C(1)

struct PolkitCheck {
        sd_bus *bus;        /* for CancelCheckAuthorization */
        sd_bus_slot *slot;  /* the pending CheckAuthorization; NULL once answered or cancelled */
        char *cancel_id;
        bool interactive;
        bool in_callback;
        PolkitCallback callback;
        void *userdata;
};

/* polkitd keys cancellation on this id per sender; a counter makes it unique per run. */
static uint64_t cancel_counter = 0;

static PolkitCheck *polkit_check_free(PolkitCheck *check) {
        if (!check)
                return NULL;
        sd_bus_slot_unref(check->slot);
        sd_bus_unref(check->bus);
        free(check->cancel_id);
        free(check);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(PolkitCheck *, polkit_check_free);

static int parse_reply(sd_bus_message *reply, bool *ret_authorized, bool *ret_challenge) {
        int authorized, challenge, r;

        /* 0 means "nothing there": as malformed as a wrong type. */
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r == 0)
                r = -EBADMSG;
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r == 0)
                r = -EBADMSG;
        if (r < 0)
                return r;
        r = sd_bus_message_skip(reply, "a{ss}");
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        *ret_authorized = authorized;
        *ret_challenge = challenge;
        return 0;
}

static void polkit_send_cancel(PolkitCheck *check) {
        int r;

        r = sd_bus_call_method_async(check->bus, /* slot= */ NULL, FWCTLD_POLKIT_BUS_NAME, FWCTLD_POLKIT_PATH,
                                     FWCTLD_POLKIT_INTERFACE, "CancelCheckAuthorization", /* callback= */ NULL,
                                     /* userdata= */ NULL, "s", check->cancel_id);
        if (r < 0)
                (void) log_debug_errno(r, "Failed to cancel polkit check '%s', ignoring: %m", check->cancel_id);
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitCheck *check = userdata;
        const sd_bus_error *e;
        const char *message = NULL;
        bool authorized = false, challenge = false;
        int r;

        assert(reply);
        assert(check);

        /* sd-bus holds the slot through this callback, so dropping ours here is safe. */
        check->slot = sd_bus_slot_unref(check->slot);

        e = sd_bus_message_get_error(reply);
        if (e) {
                r = -sd_bus_message_get_errno(reply) ?: -EACCES;
                message = e->message ?: e->name;
                /* Our wait ended, polkitd's did not: an agent that never answers would keep
                 * the check, and one of our connection's pending replies, forever. */
                if (r == -ETIMEDOUT)
                        polkit_send_cancel(check);
                log_debug("polkit CheckAuthorization failed: %s: %s",
                          strempty(e->name), strempty(e->message));
        } else {
                r = parse_reply(reply, &authorized, &challenge);
                if (r < 0) {
                        (void) log_debug_errno(r, "Malformed polkit CheckAuthorization reply: %m");
                        message = "malformed polkit reply";
                }
        }

        /* A cancel from inside the callback must not free the check under our feet. */
        check->in_callback = true;
        check->callback(r, authorized, challenge, message, check->userdata);
        polkit_check_free(check);
        return 0;
}

/* Stops at the terminating NULL; a key without a value is refused rather than silently dropped. */
static int append_details(sd_bus_message *m, char *const *details) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        for (char *const *k = details; k && *k; k += 2) {
                if (!k[1])
                        return -EINVAL;
                r = sd_bus_message_append(m, "{ss}", k[0], k[1]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int check_message_new(sd_bus *bus, const char *sender, const char *action, char *const *details,
                             bool interactive, const char *cancel_id, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, FWCTLD_POLKIT_BUS_NAME, FWCTLD_POLKIT_PATH,
                                           FWCTLD_POLKIT_INTERFACE, "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r < 0)
                return r;
        r = append_details(m, details);
        if (r < 0)
                return r;
        /* AllowUserInteraction only when the caller said it may be asked. */
        r = sd_bus_message_append(m, "us", interactive ? POLKIT_CHECK_ALLOW_USER_INTERACTION : UINT32_C(0),
                                  cancel_id);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

int polkit_check(sd_bus *bus,
                 const char *sender,
                 const char *action,
                 char *const *details,
                 bool interactive,
                 PolkitCallback callback,
                 void *userdata,
                 PolkitCheck **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(polkit_check_freep) PolkitCheck *check = NULL;
        int r;

        assert(bus);
        assert(action);
        assert(callback);
        /* Whoever is called back must be able to cancel first. */
        assert(ret);

        /* No unique name (a direct connection): there is no subject polkit could judge. */
        if (isempty(sender))
                return -EPERM;

        check = calloc(1, sizeof(*check));
        if (!check)
                return -ENOMEM;
        *check = (PolkitCheck) {
                .bus = sd_bus_ref(bus),
                .interactive = interactive,
                .callback = callback,
                .userdata = userdata,
        };
        if (asprintf(&check->cancel_id, "fwctld-%" PRIu64, ++cancel_counter) < 0) {
                check->cancel_id = NULL;
                return -ENOMEM;
        }

        r = check_message_new(bus, sender, action, details, interactive, check->cancel_id, &m);
        if (r < 0)
                return log_debug_errno(r, "Failed to build polkit CheckAuthorization for '%s': %m", action);
        r = sd_bus_call_async(bus, &check->slot, m, on_check_reply, check,
                              interactive ? FWCTLD_POLKIT_INTERACTIVE_TIMEOUT_USEC : FWCTLD_POLKIT_TIMEOUT_USEC);
        if (r < 0)
                return log_debug_errno(r, "Failed to send polkit CheckAuthorization for '%s': %m", action);

        *ret = TAKE_PTR(check);
        return 0;
}

PolkitCheck *polkit_check_cancel(PolkitCheck *check) {
        if (!check)
                return NULL;
        /* Answered already: on_check_reply() frees it once the callback returns. */
        if (check->in_callback)
                return NULL;

        /* Only an interactive check may hold an agent dialog open in polkitd. */
        if (check->slot && check->interactive)
                polkit_send_cancel(check);
        return polkit_check_free(check);
}
