/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctlctl: command line client of fwctld (org.freedesktop.fwctl1 on the system bus).
 * main.c holds option parsing, the bus connection (local, -H, -M), the polkit agent,
 * D-Bus error reporting and the output helpers; one cmd-<verb>.c per command.
 */
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "fwctlctl.h"

#ifndef POLKIT_AGENT_BINARY_PATH
#define POLKIT_AGENT_BINARY_PATH "/usr/bin/pkttyagent"
#endif

bool arg_json = false;
int arg_json_flags = JSON_C_TO_STRING_PLAIN;
bool arg_legend = true;
bool arg_ask_password = true;
int arg_scope = -1;
char **arg_in = NULL;
size_t arg_n_in = 0;
uint32_t arg_max = 65536;
const char *arg_out = NULL;
const char *arg_file = NULL;
bool arg_write = false;
bool arg_session = true;
unsigned report_call = 0;
unsigned report_line = 0;
const char *arg_host = NULL;
static const char *arg_machine = NULL;

static int exit_status = EXIT_FAIL;

/* The options of some commands only: given to another one, they are refused, not ignored. */
typedef enum CommandOption {
        OPT_SCOPE      = 1 << 0,
        OPT_IN         = 1 << 1,
        OPT_MAX        = 1 << 2,
        OPT_OUT        = 1 << 3,
        OPT_FILE       = 1 << 4,
        OPT_WRITE      = 1 << 5,
        OPT_NO_SESSION = 1 << 6,
} CommandOption;

static const char *const command_option_names[] = {
        "--scope", "--in", "--max", "--out", "--file", "--write", "--no-session",
};
static unsigned arg_command_options = 0;   /* the CommandOptions given */
static pid_t agent_pid = 0;

/* ------------------------------------------------------------------ errors */

static void json_print_error(const char *name, const char *message) {
        _cleanup_(json_object_putp) json_object *j = NULL, *e = NULL;

        if (!arg_json)
                return;
        e = json_object_new_object();
        j = json_object_new_object();
        if (!e || !j)
                return;
        json_object_object_add(e, "name", json_object_new_string(strempty(name)));
        json_object_object_add(e, "message", json_object_new_string(strempty(message)));
        json_object_object_add(e, "exit_status", json_object_new_int(exit_status));
        json_object_object_add(j, "error", TAKE_PTR(e));
        if (report_call > 0)
                json_object_object_add(j, "call", json_object_new_int64(report_call));
        if (report_line > 0)
                json_object_object_add(j, "line", json_object_new_int64(report_line));
        json_print(j);
}

_printf_(4, 0) static int vreport(int r, int status, const char *name, const char *fmt, va_list ap) {
        _cleanup_(freep) char *line = NULL;

        exit_status = status;
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        if (report_call > 0 && report_line > 0)
                fprintf(stderr, "call %u (line %u): ", report_call, report_line);
        else if (report_call > 0)
                fprintf(stderr, "call %u: ", report_call);
        else if (report_line > 0)
                fprintf(stderr, "line %u: ", report_line);
        fprintf(stderr, "%s\n", line ?: "out of memory");
        json_print_error(name, line);
        return r < 0 ? r : -EIO;
}

int report_error(int r, int status, const char *name, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        r = vreport(r, status, name, fmt, ap);
        va_end(ap);
        return r;
}

/* A local failure: "what: strerror" with exit status 1 (or 2 for -EINVAL from parsing). */
int report_errno(int r, const char *fmt, ...) {
        _cleanup_(freep) char *what = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0)
                what = NULL;
        return report_error(r, EXIT_FAIL, "local", "%s: %s", what ?: "error", strerror(-r));
}

static const char *polkit_action_suffix(const CallContext *ctx) {
        if (ctx && ctx->scope >= 0 && ctx->scope <= 3)
                return scope_to_string((unsigned) ctx->scope) ?: "<scope>";
        return "<scope>";
}

typedef struct ErrorClass {
        const char *name;       /* full D-Bus error name */
        int exit_status;
        const char *label;
} ErrorClass;

static const ErrorClass error_classes[] = {
        { FWCTL_ERROR_PREFIX "NoSuchDevice",                         EXIT_NOT_FOUND,      "No such device" },
        { FWCTL_ERROR_PREFIX "DeviceGone",                           EXIT_NOT_FOUND,      "Device gone" },
        { FWCTL_ERROR_PREFIX "NoSuchOperation",                      EXIT_NOT_FOUND,      "No such operation" },
        { "org.freedesktop.DBus.Error.UnknownObject",                EXIT_NOT_FOUND,      "No such device object" },
        { FWCTL_ERROR_PREFIX "NotAuthorized",                        EXIT_NOT_AUTHORIZED, "Not authorized" },
        { "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", EXIT_NOT_AUTHORIZED, "Authentication required" },
        { "org.freedesktop.DBus.Error.AccessDenied",                 EXIT_NOT_AUTHORIZED, "Access denied" },
        { FWCTL_ERROR_PREFIX "InvalidScope",                         EXIT_REJECTED,       "Invalid scope" },
        { FWCTL_ERROR_PREFIX "ScopeTooLow",                          EXIT_REJECTED,       "Scope too low" },
        { FWCTL_ERROR_PREFIX "RequestRejected",                      EXIT_REJECTED,       "Request rejected" },
        { FWCTL_ERROR_PREFIX "PayloadTooLarge",                      EXIT_REJECTED,       "Payload too large" },
        { FWCTL_ERROR_PREFIX "InvalidArguments",                     EXIT_REJECTED,       "Invalid arguments" },
        { "org.freedesktop.DBus.Error.InvalidArgs",                  EXIT_REJECTED,       "Invalid arguments" },
        { FWCTL_ERROR_PREFIX "NotSupported",                         EXIT_DEVICE,         "Not supported" },
        { FWCTL_ERROR_PREFIX "DeviceError",                          EXIT_DEVICE,         "Device error" },
        { FWCTL_ERROR_PREFIX "PluginMissing",                        EXIT_DEVICE,         "Plugin missing" },
        { FWCTL_ERROR_PREFIX "AuditFailed",                          EXIT_DEVICE,         "Not recorded, not run" },
        { FWCTL_ERROR_PREFIX "Busy",                                 EXIT_BUSY,           "Busy" },
        { "org.freedesktop.DBus.Error.NoReply",                      EXIT_BUSY,           "No reply" },
        { "org.freedesktop.DBus.Error.Timeout",                      EXIT_BUSY,           "Timed out" },
        { "org.freedesktop.DBus.Error.ServiceUnknown",               EXIT_UNAVAILABLE,    "fwctld is not available" },
        { "org.freedesktop.DBus.Error.NameHasNoOwner",               EXIT_UNAVAILABLE,    "fwctld is not available" },
        { "org.freedesktop.DBus.Error.Spawn.ChildExited",            EXIT_UNAVAILABLE,    "fwctld is not available" },
        { "org.freedesktop.DBus.Error.Disconnected",                 EXIT_UNAVAILABLE,    "Disconnected" },
};

static const char *error_hint(const char *name, const char *message, const CallContext *ctx, char *buf, size_t size) {
        const char *suffix = name;

        if (strncmp(name, FWCTL_ERROR_PREFIX, strlen(FWCTL_ERROR_PREFIX)) == 0)
                suffix = name + strlen(FWCTL_ERROR_PREFIX);

        if (streq(suffix, "NoSuchDevice") || streq(suffix, "DeviceGone") ||
            streq(name, "org.freedesktop.DBus.Error.UnknownObject"))
                return "see 'fwctlctl list' for the devices fwctld serves";
        if (streq(suffix, "NoSuchOperation") || streq(suffix, "InvalidArguments"))
                return "see 'fwctlctl ops DEVICE' for the device's operations";
        if (streq(suffix, "NotAuthorized") && ctx && ctx->read_only_session)
                return "the session was opened for reads only: add --write to let its calls change the device";
        if (streq(suffix, "NotAuthorized")) {
                snprintf(buf, size, "a polkit rule or an administrator must allow org.freedesktop.fwctl1.rpc-%s",
                         polkit_action_suffix(ctx));
                return buf;
        }
        if (streq(name, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")) {
                snprintf(buf, size,
                         "org.freedesktop.fwctl1.rpc-%s needs authentication: run on a terminal without "
                         "--no-ask-password, or have a polkit rule allow it",
                         polkit_action_suffix(ctx));
                return buf;
        }
        if (streq(name, "org.freedesktop.DBus.Error.AccessDenied"))
                return "the D-Bus policy does not allow this call";
        if (streq(suffix, "PluginMissing"))
                return "install the device type's plugin ('busctl get-property org.freedesktop.fwctl1 "
                       "/org/freedesktop/fwctl1 org.freedesktop.fwctl1.Manager Plugins' lists what is missing)";
        if (streq(suffix, "AuditFailed"))
                return "the journal did not accept the record; check systemd-journald";
        if (streq(suffix, "InvalidScope"))
                return "scopes are configuration, debug-read-only, debug-write, debug-write-full";
        if (streq(suffix, "ScopeTooLow"))
                return "retry with the higher --scope the message names";
        /* fwctld refuses for the deny list (the message names the rule), for an empty or
         * badly sealed request, or because the plugin refused it: only the last is the
         * request's format. */
        if (streq(suffix, "RequestRejected") && message && strstr(message, "denied by local policy"))
                return "a rule of the local deny list (/etc/fwctld/deny.d) refuses it; an administrator "
                       "may remove the rule the message names";
        if (streq(suffix, "RequestRejected"))
                return "fwctld or the device's plugin refused it before it reached the device; the message says why";
        if (streq(suffix, "PayloadTooLarge"))
                return "requests and --max are limited to 2 MiB; a response larger than --max may also fail";
        if (streq(suffix, "NotSupported"))
                return "the device or its driver does not support this request";
        if (streq(suffix, "DeviceError"))
                return "the kernel or the firmware failed the call";
        if (streq(suffix, "Busy") || streq(name, "org.freedesktop.DBus.Error.NoReply") ||
            streq(name, "org.freedesktop.DBus.Error.Timeout"))
                return "too many calls in progress or a slow device; retry later";
        if (strstr(name, "ServiceUnknown") || strstr(name, "NameHasNoOwner") || strstr(name, "Spawn."))
                return "is fwctld installed? see 'systemctl status fwctld'";
        return NULL;
}

int report_bus_error(const sd_bus_error *error, int r, const CallContext *ctx) {
        const char *name = error && error->name ? error->name : NULL;
        const char *message = error && error->message ? error->message : NULL;
        const char *hint;
        char buf[256];

        if (!name)
                return report_error(r, EXIT_UNAVAILABLE, "local", "Failed to talk to fwctld: %s", strerror(-r));

        /* sd-bus turns local and transport failures into System.Error.<ERRNO> */
        if (strncmp(name, "System.Error.", 13) == 0)
                return report_error(r, EXIT_UNAVAILABLE, name, "Failed to talk to fwctld: %s [%s]",
                                    message ?: strerror(-r), name);

        hint = error_hint(name, message, ctx, buf, sizeof(buf));
        for (size_t i = 0; i < ELEMENTSOF(error_classes); i++)
                if (streq(name, error_classes[i].name))
                        return report_error(r, error_classes[i].exit_status, name, "%s: %s%s%s%s [%s]",
                                            error_classes[i].label,
                                            message ?: "(no message)",
                                            hint ? " (" : "", hint ?: "", hint ? ")" : "", name);

        return report_error(r, EXIT_FAIL, name, "Call failed: %s [%s]", message ?: "(no message)", name);
}

/* ------------------------------------------------------------------ polkit agent */

/* As systemctl does: on a terminal, run pkttyagent for our process and wait until it
 * registered (it closes the notify fd), so polkit can ask for a password here. */
int polkit_agent_open_if_enabled(void) {
        const char *agent = getenv("FWCTLCTL_POLKIT_AGENT") ?: POLKIT_AGENT_BINARY_PATH;
        int pipe_fd[2];
        struct pollfd pfd;
        pid_t pid;

        if (!arg_ask_password || arg_host || arg_machine || agent_pid > 0)
                return 0;
        if (!isatty(STDIN_FILENO))
                return 0;
        if (access(agent, X_OK) < 0)
                return 0;

        if (pipe2(pipe_fd, O_CLOEXEC) < 0)
                return -errno;

        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                int k = -errno;
                close(pipe_fd[0]);
                close(pipe_fd[1]);
                return k;
        }
        if (pid == 0) {
                char fdstr[16];

                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                close(pipe_fd[0]);
                if (fcntl(pipe_fd[1], F_SETFD, 0) < 0)
                        _exit(EXIT_FAILURE);
                snprintf(fdstr, sizeof(fdstr), "%i", pipe_fd[1]);
                execl(agent, agent, "--notify-fd", fdstr, "--fallback", (char *) NULL);
                _exit(EXIT_FAILURE);
        }

        agent_pid = pid;
        close(pipe_fd[1]);
        pfd = (struct pollfd) { .fd = pipe_fd[0], .events = POLLIN };
        for (;;) {
                char c;
                int k = poll(&pfd, 1, 10 * 1000);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                k = (int) read(pipe_fd[0], &c, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
        }
        close(pipe_fd[0]);
        return 0;
}

static void polkit_agent_close(void) {
        if (agent_pid <= 0)
                return;
        (void) kill(agent_pid, SIGTERM);
        (void) kill(agent_pid, SIGCONT);
        while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        agent_pid = 0;
}

/* ------------------------------------------------------------------ bus helpers */

int resolve_device(sd_bus *bus, const char *name, char **ret_path, const CallContext *ctx) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *p;
        int r;

        if (strncmp(name, FWCTL_DEVICE_PREFIX, strlen(FWCTL_DEVICE_PREFIX)) == 0 &&
            sd_bus_object_path_is_valid(name)) {
                p = strdup(name);
                if (!p)
                        return report_errno(-ENOMEM, "Failed to resolve %s", name);
                *ret_path = p;
                return 0;
        }

        r = sd_bus_call_method(bus, FWCTL_BUS, FWCTL_MANAGER_PATH, FWCTL_MANAGER_IFACE, "GetDevice",
                               &error, &reply, "s", name);
        if (r < 0)
                return report_bus_error(&error, r, ctx);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return report_errno(r, "Failed to parse the GetDevice reply");
        p = strdup(path);
        if (!p)
                return report_errno(-ENOMEM, "Failed to resolve %s", name);
        *ret_path = p;
        return 0;
}

int get_string_property(sd_bus *bus, const char *path, const char *iface, const char *prop, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_string(bus, FWCTL_BUS, path, iface, prop, &error, ret);
        if (r < 0)
                return report_bus_error(&error, r, NULL);
        return 0;
}

/* ------------------------------------------------------------------ output helpers */

void json_print(json_object *j) {
        fputs(json_object_to_json_string_ext(j, arg_json_flags | JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
        fputc('\n', stdout);
        fflush(stdout);
}

char *hex_encode(const void *p, size_t n) {
        static const char digits[] = "0123456789abcdef";
        const uint8_t *b = p;
        char *s = malloc(n * 2 + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                s[2 * i] = digits[b[i] >> 4];
                s[2 * i + 1] = digits[b[i] & 15];
        }
        s[n * 2] = '\0';
        return s;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Hex digits; whitespace, ':' and '-' between bytes and a leading "0x" are ignored. */
int hex_decode(const char *s, uint8_t **ret, size_t *ret_len) {
        _cleanup_(freep) uint8_t *buf = NULL;
        size_t n = 0;
        int hi = -1;

        if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0)
                s += 2;
        buf = malloc(strlen(s) / 2 + 1);
        if (!buf)
                return -ENOMEM;
        for (; *s; s++) {
                int v;

                if (isspace((unsigned char) *s) || *s == ':' || *s == '-') {
                        if (hi >= 0)
                                return -EINVAL;
                        continue;
                }
                v = hexval(*s);
                if (v < 0)
                        return -EINVAL;
                if (hi < 0)
                        hi = v;
                else {
                        buf[n++] = (uint8_t) (hi << 4 | v);
                        hi = -1;
                }
        }
        if (hi >= 0)
                return -EINVAL;
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

json_object *json_parse_or_string(const char *s) {
        json_object *j;

        if (isempty(s))
                return NULL;
        j = json_tokener_parse(s);
        return j ?: json_object_new_string(s);
}

/* Every D-Bus basic type, read through one union and converted by type. */
static int json_from_bus_basic(sd_bus_message *m, char type, json_object **ret) {
        union {
                int b;
                uint8_t y;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
        } v = {};
        json_object *j;
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;
        switch (type) {
        case SD_BUS_TYPE_BOOLEAN:
                j = json_object_new_boolean(v.b);
                break;
        case SD_BUS_TYPE_BYTE:
                j = json_object_new_int(v.y);
                break;
        case SD_BUS_TYPE_INT16:
                j = json_object_new_int(v.n);
                break;
        case SD_BUS_TYPE_UINT16:
                j = json_object_new_int(v.q);
                break;
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UNIX_FD:
                j = json_object_new_int(v.i);
                break;
        case SD_BUS_TYPE_UINT32:
                j = json_object_new_int64(v.u);
                break;
        case SD_BUS_TYPE_INT64:
                j = json_object_new_int64(v.x);
                break;
        case SD_BUS_TYPE_UINT64:
                j = json_object_new_uint64(v.t);
                break;
        case SD_BUS_TYPE_DOUBLE:
                j = json_object_new_double(v.d);
                break;
        default: /* string, object path, signature */
                j = json_object_new_string(v.s);
                break;
        }
        if (!j)
                return -ENOMEM;
        *ret = j;
        return 0;
}

static int json_from_bus_bytes(sd_bus_message *m, json_object **ret) {
        _cleanup_(freep) char *hex = NULL;
        const void *p;
        size_t n;
        int r;

        r = sd_bus_message_read_array(m, SD_BUS_TYPE_BYTE, &p, &n);
        if (r < 0)
                return r;
        hex = hex_encode(p, n);
        if (!hex)
                return -ENOMEM;
        *ret = json_object_new_string(hex);
        return *ret ? 0 : -ENOMEM;
}

/* One element of an array or struct; a dict entry becomes a member of the object j. */
static int json_add_bus_element(sd_bus_message *m, json_object *j, bool dict) {
        _cleanup_(json_object_putp) json_object *k = NULL, *v = NULL;
        int r;

        if (!dict) {
                r = json_from_bus_value(m, &v);
                if (r < 0)
                        return r;
                (void) json_object_array_add(j, TAKE_PTR(v));
                return 0;
        }
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, NULL);
        if (r < 0)
                return r;
        r = json_from_bus_value(m, &k);
        if (r < 0)
                return r;
        r = json_from_bus_value(m, &v);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        (void) json_object_object_add(j, json_object_get_string(k), TAKE_PTR(v));
        return 0;
}

/* Arrays and structs become JSON arrays, dicts JSON objects, ay a hex string; a variant is
 * replaced by its content. */
static int json_from_bus_container(sd_bus_message *m, char type, const char *contents, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        bool dict = type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN;
        int r;

        if (type == SD_BUS_TYPE_ARRAY && streq(contents, "y"))
                return json_from_bus_bytes(m, ret);

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;
        if (type == SD_BUS_TYPE_VARIANT)
                r = json_from_bus_value(m, &j);
        else {
                j = dict ? json_object_new_object() : json_object_new_array();
                if (!j)
                        return -ENOMEM;
                while ((r = sd_bus_message_at_end(m, false)) == 0) {
                        r = json_add_bus_element(m, j, dict);
                        if (r < 0)
                                return r;
                }
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

int json_from_bus_value(sd_bus_message *m, json_object **ret) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;

        if (strchr("ybnqiuxtdsogh", type))
                return json_from_bus_basic(m, type, ret);
        if (type == SD_BUS_TYPE_VARIANT || type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT)
                return json_from_bus_container(m, type, contents, ret);
        r = sd_bus_message_skip(m, NULL);
        if (r < 0)
                return r;
        *ret = NULL;
        return 0;
}

int bus_map_dict(sd_bus_message *m, const char *entry, BusDictCallback cb, void *userdata) {
        char contents[32];
        const char *key;
        int r;

        r = snprintf(contents, sizeof(contents), "{%s}", entry);
        if (r < 0 || (size_t) r >= sizeof(contents))
                return -EINVAL;
        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, contents);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry)) > 0) {
                r = sd_bus_message_read_basic(m, entry[0], &key);
                if (r < 0)
                        return r;
                r = cb(m, key, userdata);
                if (r == 0)
                        r = sd_bus_message_skip(m, entry + 1);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

const char *json_str(json_object *j, const char *key) {
        json_object *v;

        if (!j || !json_object_object_get_ex(j, key, &v) || json_object_is_type(v, json_type_null))
                return "";
        return json_object_get_string(v);
}

struct Table {
        size_t n_columns;
        size_t n_cells;
        char **cells;
};

Table *table_new(size_t n_columns, ...) {
        Table *t;
        va_list ap;

        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->cells = calloc(n_columns, sizeof(char *));
        if (!t->cells)
                return table_free(t);
        va_start(ap, n_columns);
        for (size_t i = 0; i < n_columns; i++) {
                t->cells[i] = strdup(va_arg(ap, const char *));
                if (!t->cells[i]) {
                        va_end(ap);
                        return table_free(t);
                }
                t->n_cells++;
        }
        va_end(ap);
        return t;
}

int table_add_row(Table *t, ...) {
        char **c;
        va_list ap;

        c = realloc(t->cells, (t->n_cells + t->n_columns) * sizeof(char *));
        if (!c)
                return -ENOMEM;
        t->cells = c;
        va_start(ap, t);
        for (size_t i = 0; i < t->n_columns; i++) {
                const char *s = va_arg(ap, const char *);
                t->cells[t->n_cells] = strdup(isempty(s) ? "-" : s);
                if (!t->cells[t->n_cells]) {
                        va_end(ap);
                        return -ENOMEM;
                }
                t->n_cells++;
        }
        va_end(ap);
        return 0;
}

void table_print(Table *t) {
        size_t width[16] = {};
        size_t first = arg_legend ? 0 : t->n_columns;

        for (size_t i = first; i < t->n_cells; i++) {
                size_t col = i % t->n_columns, l = strlen(t->cells[i]);
                if (col < ELEMENTSOF(width) && l > width[col])
                        width[col] = l;
        }
        for (size_t i = first; i < t->n_cells; i++) {
                size_t col = i % t->n_columns;
                if (col + 1 == t->n_columns)
                        printf("%s\n", t->cells[i]);
                else
                        printf("%-*s ", (int) width[col < ELEMENTSOF(width) ? col : 0], t->cells[i]);
        }
        fflush(stdout);
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

/* ------------------------------------------------------------------ main */

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n\n"
               "Query and control firmware (fwctl) devices through fwctld.\n\n"
               "Commands:\n"
               "  list                          List devices (default)\n"
               "  status [DEVICE]               Show a device's properties and decoded Info,\n"
               "                                or fwctld's state without DEVICE\n"
               "  ops DEVICE                    List a device's named operations\n"
               "  exec DEVICE OPERATION [JSON | KEY=VALUE...]\n"
               "                                Run a named operation\n"
               "  rpc DEVICE --in HEX|@FILE [--scope SCOPE] [--max N] [--out FILE]\n"
               "                                Send a raw RPC in the device's format\n"
               "  monitor                       Show devices appearing and going and taint\n"
               "                                changes until interrupted\n"
               "  batch DEVICE [--scope SCOPE] [--write] [--file FILE]\n"
               "                                Run the calls read from FILE or stdin, one a line\n"
               "                                ('rpc HEX|@FILE [MAX]', 'exec OP [JSON|KEY=VALUE...]'),\n"
               "                                in one session at scope 0 or 1\n"
               "  metrics [--out FILE]          Print fwctld's counters in the Prometheus text\n"
               "                                format (--json: the daemon's JSON)\n\n"
               "Options:\n"
               "  -h --help                     Show this help\n"
               "     --version                  Show the version\n"
               "     --json[=pretty|short|off]  Print one JSON document on stdout\n"
               "     --no-legend                Do not print table headers\n"
               "     --no-ask-password          Never ask for authentication interactively\n"
               "  -H --host=[USER@]HOST         Operate on a remote host (over ssh)\n"
               "  -M --machine=CONTAINER        Operate in a local container\n"
               "  -s --scope=SCOPE              rpc, batch: configuration, debug-read-only, debug-write,\n"
               "                                debug-write-full (or 0-3); default configuration\n"
               "  -i --in=HEX|@FILE             rpc: the request, as hex or read from FILE (@- stdin);\n"
               "                                repeat for several calls (one session at scope 0/1)\n"
               "  -m --max=BYTES                rpc, batch: largest response accepted (default 65536)\n"
               "  -o --out=FILE                 rpc: write the raw response to FILE;\n"
               "                                metrics: replace FILE atomically (mode 0644)\n"
               "  -f --file=FILE                batch: read the calls from FILE (default stdin)\n"
               "     --write                    batch, rpc: the session may change the device\n"
               "     --no-session               batch, rpc: one authorisation per call, no session\n\n"
               "DEVICE is a name (fwctl0), a PCI address (0000:03:00.0) or a sysfs path.\n"
               "See fwctlctl(1).\n",
               program_invocation_short_name);
}

int parse_max(const char *s, const char *what, uint32_t *ret) {
        unsigned long long v;
        char *end = NULL;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno != 0 || !end || *end || end == s || s[0] == '-' || v > UINT32_MAX)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Invalid %s '%s'", what, s);
        *ret = (uint32_t) v;
        return 0;
}

/* --in is repeatable: one call each */
static int arg_in_add(char *spec) {
        char **a = realloc(arg_in, (arg_n_in + 1) * sizeof(char *));

        if (!a)
                return report_errno(-ENOMEM, "Failed to parse --in");
        arg_in = a;
        arg_in[arg_n_in++] = spec;
        return 0;
}

#define OPTSTRING "hH:M:s:i:m:o:f:"

/* Whether ARG ("--NAME[=VALUE]", NAME maybe abbreviated) is the long option of VAL. */
static bool arg_is_long_option(const char *arg, const struct option *options, int val) {
        size_t n;

        if (strncmp(arg, "--", 2) != 0)
                return false;
        n = strcspn(arg + 2, "=");
        for (; options->name; options++)
                if (options->val == val && n <= strlen(options->name) && strncmp(options->name, arg + 2, n) == 0)
                        return true;
        return false;
}

/* getopt_long() returned '?': an unknown, ambiguous or incomplete option. A --json anywhere
 * on the command line (even after the bad option) asks for the error as a document. A
 * long option always moved optind past itself; a short one in a group ("-qs") may not. */
static int report_bad_option(int argc, char *argv[], const struct option *options) {
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";

        for (int i = 1; i < argc && !streq(argv[i], "--"); i++)
                if (streq(argv[i], "--json") || strncmp(argv[i], "--json=", 7) == 0)
                        arg_json = !streq(argv[i], "--json=off");
        arg_json_flags = JSON_C_TO_STRING_PLAIN;

        if (optopt == 0)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Unknown or ambiguous option '%s' (see --help)", arg);
        if (arg_is_long_option(arg, options, optopt) && strchr(arg, '='))
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Option '%.*s' takes no value (see --help)",
                                    (int) (strchr(arg, '=') - arg), arg);
        if (arg_is_long_option(arg, options, optopt))
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Option '%s' needs a value (see --help)", arg);
        if (optopt < 0x100 && strchr(OPTSTRING, optopt))
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Option '-%c' needs a value (see --help)", optopt);
        return report_error(-EINVAL, EXIT_USAGE, "usage", "Unknown option '-%c' (see --help)",
                            optopt < 0x100 ? optopt : '?');
}

/* --json[=pretty|short|off] */
static int parse_json_mode(const char *mode) {
        arg_json = true;
        if (!mode)
                arg_json_flags = isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;
        else if (streq(mode, "pretty"))
                arg_json_flags = JSON_C_TO_STRING_PRETTY;
        else if (streq(mode, "short"))
                arg_json_flags = JSON_C_TO_STRING_PLAIN;
        else if (streq(mode, "off"))
                arg_json = false;
        else
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Unknown --json= mode '%s' (pretty, short, off)",
                                    mode);
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_LEGEND,
                ARG_NO_ASK_PASSWORD,
                ARG_WRITE,
                ARG_NO_SESSION,
        };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h'                 },
                { "version",         no_argument,       NULL, ARG_VERSION         },
                { "json",            optional_argument, NULL, ARG_JSON            },
                { "no-legend",       no_argument,       NULL, ARG_NO_LEGEND       },
                { "no-ask-password", no_argument,       NULL, ARG_NO_ASK_PASSWORD },
                { "host",            required_argument, NULL, 'H'                 },
                { "machine",         required_argument, NULL, 'M'                 },
                { "scope",           required_argument, NULL, 's'                 },
                { "in",              required_argument, NULL, 'i'                 },
                { "max",             required_argument, NULL, 'm'                 },
                { "out",             required_argument, NULL, 'o'                 },
                { "file",            required_argument, NULL, 'f'                 },
                { "write",           no_argument,       NULL, ARG_WRITE           },
                { "no-session",      no_argument,       NULL, ARG_NO_SESSION      },
                {}
        };
        int c;

        opterr = 0;     /* report_bad_option() says it, with --json as a document too */
        while ((c = getopt_long(argc, argv, OPTSTRING, options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("fwctlctl %s\n", PROJECT_VERSION);
                        return 0;
                case ARG_JSON:
                        if (parse_json_mode(optarg) < 0)
                                return -EINVAL;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case 'H':
                        arg_host = optarg;
                        break;
                case 'M':
                        arg_machine = optarg;
                        break;
                case 's':
                        arg_command_options |= OPT_SCOPE;
                        arg_scope = scope_is_valid(scope_from_string(optarg)) ? (int) scope_from_string(optarg) : -1;
                        if (arg_scope < 0)
                                return report_error(-EINVAL, EXIT_USAGE, "usage",
                                                    "Unknown scope '%s' (configuration, debug-read-only, "
                                                    "debug-write, debug-write-full, or 0-3)", optarg);
                        break;
                case 'i':
                        arg_command_options |= OPT_IN;
                        if (arg_in_add(optarg) < 0)
                                return -ENOMEM;
                        break;
                case 'm':
                        arg_command_options |= OPT_MAX;
                        if (parse_max(optarg, "--max", &arg_max) < 0)
                                return -EINVAL;
                        break;
                case 'o':
                        arg_command_options |= OPT_OUT;
                        arg_out = optarg;
                        break;
                case 'f':
                        arg_command_options |= OPT_FILE;
                        arg_file = optarg;
                        break;
                case ARG_WRITE:
                        arg_command_options |= OPT_WRITE;
                        arg_write = true;
                        break;
                case ARG_NO_SESSION:
                        arg_command_options |= OPT_NO_SESSION;
                        arg_session = false;
                        break;
                case '?':
                        return report_bad_option(argc, argv, options);
                default:
                        return -EINVAL;
                }
        }

        if (arg_host && arg_machine)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "--host= and --machine= cannot be combined");
        return 1;
}

typedef struct Verb {
        const char *name;
        int min_args, max_args;         /* after the verb; -1: unlimited */
        unsigned options;               /* the CommandOptions it takes */
        int (*run)(sd_bus *bus, int argc, char **argv);
} Verb;

#define OPTS_RPC (OPT_SCOPE | OPT_IN | OPT_MAX | OPT_OUT | OPT_WRITE | OPT_NO_SESSION)
#define OPTS_BATCH (OPT_SCOPE | OPT_MAX | OPT_FILE | OPT_WRITE | OPT_NO_SESSION)

static const Verb verbs[] = {
        { "list",    0,  0, 0,          cmd_list    },
        { "status",  0,  1, 0,          cmd_status  },
        { "ops",     1,  1, 0,          cmd_ops     },
        { "exec",    2, -1, 0,          cmd_exec    },
        { "rpc",     1,  1, OPTS_RPC,   cmd_rpc     },
        { "monitor", 0,  0, 0,          cmd_monitor },
        { "metrics", 0,  0, OPT_OUT,    cmd_metrics },
        { "batch",   1,  1, OPTS_BATCH, cmd_batch   },
};

/* "--scope applies to rpc and batch only, not to exec" */
static int verb_check_options(const Verb *verb) {
        for (size_t i = 0; i < ELEMENTSOF(command_option_names); i++) {
                unsigned o = 1u << i;
                char list[64] = "";
                size_t n = 0;

                if (!(arg_command_options & o) || (verb->options & o))
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(verbs); k++)
                        if (verbs[k].options & o)
                                n += (size_t) snprintf(list + n, sizeof(list) - n, "%s%s", n > 0 ? " and " : "",
                                                       verbs[k].name);
                return report_error(-EINVAL, EXIT_USAGE, "usage", "%s applies to %s only, not to %s (see --help)",
                                    command_option_names[i], list, verb->name);
        }
        return 0;
}

static int bus_connect(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (arg_host)
                r = sd_bus_open_system_remote(&bus, arg_host);
        else if (arg_machine)
                r = sd_bus_open_system_machine(&bus, arg_machine);
        else
                r = sd_bus_open_system(&bus);
        if (r < 0)
                return report_error(r, EXIT_UNAVAILABLE, "local", "Failed to connect to the system bus%s%s: %s",
                                    arg_host ? " on " : arg_machine ? " of " : "",
                                    arg_host ?: arg_machine ?: "", strerror(-r));

        r = sd_bus_set_allow_interactive_authorization(bus, arg_ask_password);
        if (r < 0)
                return report_errno(r, "Failed to set up interactive authorization");

        *ret = TAKE_PTR(bus);
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const Verb *verb = NULL;
        const char *name;
        int r, n;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        name = optind < argc ? argv[optind] : "list";
        n = optind < argc ? argc - optind - 1 : 0;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(name, verbs[i].name))
                        verb = &verbs[i];
        if (!verb)
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Unknown command '%s' (see --help)", name);
        if (n < verb->min_args || (verb->max_args >= 0 && n > verb->max_args))
                return report_error(-EINVAL, EXIT_USAGE, "usage", "Wrong number of arguments for '%s' (see --help)",
                                    name);
        r = verb_check_options(verb);
        if (r < 0)
                return r;

        r = bus_connect(&bus);
        if (r < 0)
                return r;

        return verb->run(bus, n, optind < argc ? argv + optind + 1 : argv + argc);
}

int main(int argc, char *argv[]) {
        int r;

        r = run(argc, argv);
        polkit_agent_close();
        free(arg_in);
        fflush(stdout);
        if (r >= 0)
                return EXIT_OK;
        return exit_status == EXIT_OK ? EXIT_FAIL : exit_status;
}
