/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "scope.h"

#define FWCTL_BUS "org.freedesktop.fwctl1"
#define FWCTL_MANAGER_PATH "/org/freedesktop/fwctl1"
#define FWCTL_MANAGER_IFACE "org.freedesktop.fwctl1.Manager"
#define FWCTL_DEVICE_IFACE "org.freedesktop.fwctl1.Device"
#define FWCTL_SESSION_IFACE "org.freedesktop.fwctl1.Session"
#define FWCTL_DEVICE_PREFIX "/org/freedesktop/fwctl1/device/"
#define FWCTL_ERROR_PREFIX "org.freedesktop.fwctl1.Error."
#define FWCTL_MAX_PAYLOAD (2U * 1024U * 1024U)
/* Above this many request or response bytes, rpc passes the payloads in memfds (RpcFd):
 * a byte array costs milliseconds per MiB on the bus each way, an fd almost nothing. */
#define FWCTL_FD_THRESHOLD (64U * 1024U)

/* Exit statuses, one per error class; documented in docs/fwctlctl.md and fwctlctl(1). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,             /* anything not listed below */
        EXIT_USAGE = 2,            /* bad command line, unreadable input file */
        EXIT_NOT_FOUND = 3,        /* NoSuchDevice, DeviceGone, NoSuchOperation, UnknownObject */
        EXIT_NOT_AUTHORIZED = 4,   /* NotAuthorized, InteractiveAuthorizationRequired, AccessDenied */
        EXIT_REJECTED = 5,         /* InvalidScope, ScopeTooLow, RequestRejected, PayloadTooLarge, InvalidArguments */
        EXIT_DEVICE = 6,           /* DeviceError, NotSupported, PluginMissing, AuditFailed */
        EXIT_BUSY = 7,             /* Busy, timeouts */
        EXIT_UNAVAILABLE = 8,      /* no bus, fwctld not running or not installed, transport failure */
};

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)
#define TAKE_PTR(p)                                  \
        ({                                           \
                __typeof__(p) _p_ = (p);             \
                (p) = NULL;                          \
                _p_;                                 \
        })
#define TAKE_FD(fd)                                  \
        ({                                           \
                int _fd_ = (fd);                     \
                (fd) = -EBADF;                       \
                _fd_;                                \
        })

static inline bool isempty(const char *s) {
        return !s || !*s;
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}

static inline int safe_close(int fd) {
        if (fd >= 0)
                (void) close(fd);
        return -EBADF;
}

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}

static inline void json_object_putp(json_object **j) {
        if (*j)
                (void) json_object_put(*j);
}

/* Global options (main.c). */
extern bool arg_json;
extern int arg_json_flags;
extern bool arg_legend;
extern bool arg_ask_password;
extern const char *arg_host;      /* -H: the bus is reached through ssh */
extern int arg_scope;          /* -1: not given */
extern char **arg_in;           /* rpc: --in, repeatable: one call each */
extern size_t arg_n_in;
extern uint32_t arg_max;
extern const char *arg_out;       /* rpc: the raw response; metrics: the text, written atomically */
extern const char *arg_file;      /* batch: the calls; NULL or "-": stdin */
extern bool arg_write;            /* sessions: may change the device (configuration_write) */
extern bool arg_session;          /* several calls at scope 0/1 share one session; false: --no-session */

/* Scopes */

/* Bus helpers (main.c). The error context names what the caller was trying to do. */
typedef struct CallContext {
        const char *device;     /* as given by the user */
        int scope;              /* scope of the call, for the polkit action name; -1 unknown */
        const char *operation;  /* Execute operation */
        bool read_only_session; /* the call ran in a session opened without configuration_write */
} CallContext;

/* The call a multi-call run (batch, rpc with several --in) is at, counted from 1, for
 * error reports ("call N: ..." and "call" in the JSON error document); 0 otherwise. */
extern unsigned report_call;
/* The line of batch input being parsed, for its errors ("line N: ..."); 0 otherwise. */
extern unsigned report_line;

int resolve_device(sd_bus *bus, const char *name, char **ret_path, const CallContext *ctx);
int get_string_property(sd_bus *bus, const char *path, const char *iface, const char *prop, char **ret);
int report_bus_error(const sd_bus_error *error, int r, const CallContext *ctx);
int report_error(int r, int exit_status, const char *name, const char *fmt, ...) _printf_(4, 5);
int report_errno(int r, const char *fmt, ...) _printf_(2, 3);
int polkit_agent_open_if_enabled(void);
int parse_max(const char *s, const char *what, uint32_t *ret);  /* a byte count up to UINT32_MAX */

/* Output */
void json_print(json_object *j);
char *hex_encode(const void *p, size_t n);
int hex_decode(const char *s, uint8_t **ret, size_t *ret_len);
int json_from_bus_value(sd_bus_message *m, json_object **ret);  /* reads the next value, any type */
const char *json_str(json_object *j, const char *key);          /* "" when missing or null */

/* Walks the dictionary a{<entry>} at the read position, e.g. entry "sv" for an a{sv} or
 * "oa{sa{sv}}" for GetManagedObjects; the key must be a string, object path or signature.
 * cb is called with the message at each value: it reads the value and returns > 0, returns 0
 * to have the value skipped, or a negative errno to stop. */
typedef int (*BusDictCallback)(sd_bus_message *m, const char *key, void *userdata);
int bus_map_dict(sd_bus_message *m, const char *entry, BusDictCallback cb, void *userdata);
json_object *json_parse_or_string(const char *s);

typedef struct Table Table;
Table *table_new(size_t n_columns, ...);
int table_add_row(Table *t, ...);       /* n_columns strings */
void table_print(Table *t);
Table *table_free(Table *t);
static inline void table_freep(Table **t) {
        if (*t)
                table_free(*t);
}

/* Commands */
int cmd_list(sd_bus *bus, int argc, char **argv);
int cmd_status(sd_bus *bus, int argc, char **argv);
int cmd_ops(sd_bus *bus, int argc, char **argv);
int cmd_exec(sd_bus *bus, int argc, char **argv);
int cmd_rpc(sd_bus *bus, int argc, char **argv);
int cmd_monitor(sd_bus *bus, int argc, char **argv);
int cmd_metrics(sd_bus *bus, int argc, char **argv);
int cmd_batch(sd_bus *bus, int argc, char **argv);

int list_operations(sd_bus *bus, const char *path, const CallContext *ctx, json_object **ret);

/* caller.c: the calls of one command to one device, in a session when one is open. */
typedef struct Caller {
        sd_bus *bus;
        const char *device;     /* as given by the user */
        char *path;             /* the Device object */
        uint32_t scope;
        bool configuration_write;
        char *session;          /* the Session object; NULL: each call on the Device */
        bool fd;                /* large payloads by RpcFd: the connection passes fds and the daemon has it */
} Caller;

typedef struct RpcReply {
        uint8_t *response;
        size_t size;
        json_object *result;    /* the daemon's a{sv} */
} RpcReply;

int caller_init(Caller *c, sd_bus *bus, const char *device, uint32_t scope);
/* One polkit check for what follows: 1 opened, 0 the daemon has no sessions (the calls
 * then go one by one), < 0 reported. */
int caller_open_session(Caller *c, bool configuration_write);
int caller_rpc(Caller *c, const void *request, size_t size, uint32_t max_response, RpcReply *ret);
int caller_execute(Caller *c, const char *operation, const char *parameters, int operation_scope, char **ret);
void caller_done(Caller *c);    /* closes the session, if any */
/* A result object: the call and session in a run of several calls, the device, its object. */
json_object *caller_json_new(const Caller *c);
void rpc_reply_done(RpcReply *r);

/* cmd-rpc.c, cmd-exec.c: shared with batch */
/* --out FILE: a temporary file in FILE's directory, renamed over FILE by commit (atomic-file.c) */
typedef struct AtomicFile {
        char *path;     /* what commit replaces; NULL when fd is FILE itself (a pipe, a device) */
        char *tmp;      /* the temporary file until commit renames it */
        int fd;
} AtomicFile;

int atomic_file_open(AtomicFile *f, const char *path);
int atomic_file_commit(AtomicFile *f, const void *data, size_t size);
void atomic_file_done(AtomicFile *f);   /* closes; removes the temporary file unless committed */
int write_atomic(const char *path, const void *data, size_t size);
/* All of it, through EINTR and short writes. */
int write_all(int fd, const void *p, size_t n);

int rpc_read_input(const char *spec, uint8_t **ret, size_t *ret_len);
int rpc_print(const Caller *c, size_t request_size, const RpcReply *reply, const char *out, AtomicFile *out_file);
int exec_build_parameters(int argc, char **argv, char **ret);
int exec_operation_scope(sd_bus *bus, const char *path, const char *operation, sd_bus_message **cache);
int exec_print(const Caller *c, const char *operation, const char *parameters, int operation_scope,
               const char *result_json);

/* cmd-batch.c: several calls, in one session where the scope allows it. */
typedef enum BatchKind {
        BATCH_RPC,
        BATCH_EXEC,
} BatchKind;

typedef struct BatchCall {
        BatchKind kind;
        unsigned line;          /* of the batch input; 0 for rpc's --in */
        uint8_t *request;
        size_t request_size;
        uint32_t max_response;
        char *operation;
        char *parameters;
} BatchCall;

void batch_calls_free(BatchCall *calls, size_t n);
int batch_run(sd_bus *bus, const char *device, uint32_t scope, BatchCall *calls, size_t n);

/* Shared by list, status and monitor: the Device properties of one object as JSON. */
int device_properties_to_json(sd_bus_message *m, json_object **ret);    /* reads an a{sv} */
/* Reads an object's a{sa{sv}} (GetManagedObjects, InterfacesAdded): returns 1 and the Device
 * interface's properties, or 0 and NULL when the object has no Device interface. */
int device_object_to_json(sd_bus_message *m, json_object **ret);
