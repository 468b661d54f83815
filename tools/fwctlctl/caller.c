/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The calls of one command to one device: on the Device object one by one (each its own
 * polkit check), or in an authorised session (Device.OpenSession: one check for all).
 * Large payloads go in sealed memfds (RpcFd) when the connection can pass fds; a daemon
 * without sessions or RpcFd is served the older way.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fwctlctl.h"

#define ERROR_UNKNOWN_METHOD "org.freedesktop.DBus.Error.UnknownMethod"
#define ERROR_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"

int caller_init(Caller *c, sd_bus *bus, const char *device, uint32_t scope) {
        CallContext ctx = { .device = device, .scope = (int) scope };
        int r;

        *c = (Caller) {
                .bus = bus,
                .device = device,
                .scope = scope,
                /* ssh (-H) carries bytes only, whatever the local end of it negotiated */
                .fd = !arg_host && sd_bus_can_send(bus, SD_BUS_TYPE_UNIX_FD) > 0,
        };
        r = resolve_device(bus, device, &c->path, &ctx);
        return r < 0 ? r : 0;
}

static CallContext caller_context(const Caller *c, int scope, const char *operation) {
        return (CallContext) {
                .device = c->device,
                .scope = scope,
                .operation = operation,
                .read_only_session = c->session && !c->configuration_write,
        };
}

int caller_open_session(Caller *c, bool configuration_write) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        CallContext ctx = caller_context(c, (int) c->scope, NULL);
        const char *path;
        char *p;
        int r;

        r = sd_bus_call_method(c->bus, FWCTL_BUS, c->path, FWCTL_DEVICE_IFACE, "OpenSession", &error, &reply,
                               "ua{sv}", c->scope, 1, "configuration_write", "b", configuration_write);
        if (r < 0) {
                /* An older fwctld: the calls go one by one, as they always did. */
                if (sd_bus_error_has_name(&error, ERROR_UNKNOWN_METHOD))
                        return 0;
                return report_bus_error(&error, r, &ctx);
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return report_errno(r, "Failed to parse the OpenSession reply");
        p = strdup(path);
        if (!p)
                return report_errno(-ENOMEM, "Failed to open a session");
        free(c->session);
        c->session = p;
        c->configuration_write = configuration_write;
        return 1;
}

/* Best effort: fwctld also ends the session when this connection goes, right after. */
static void caller_close_session(Caller *c) {
        if (!c->session)
                return;
        (void) sd_bus_call_method(c->bus, FWCTL_BUS, c->session, FWCTL_SESSION_IFACE, "Close", NULL, NULL, NULL);
        free(c->session);
        c->session = NULL;
}

void caller_done(Caller *c) {
        caller_close_session(c);
        free(c->path);
        c->path = NULL;
}

json_object *caller_json_new(const Caller *c) {
        json_object *j = json_object_new_object();

        if (!j)
                return NULL;
        /* In a run of several calls, which one this is and the session it ran in. */
        if (report_call > 0) {
                json_object_object_add(j, "call", json_object_new_int64(report_call));
                json_object_object_add(j, "session", c->session ? json_object_new_string(c->session) : NULL);
                if (report_line > 0)
                        json_object_object_add(j, "line", json_object_new_int64(report_line));
        }
        json_object_object_add(j, "device", json_object_new_string(c->device));
        json_object_object_add(j, "object", json_object_new_string(c->path));
        return j;
}

void rpc_reply_done(RpcReply *r) {
        free(r->response);
        json_object_putp(&r->result);
        *r = (RpcReply) {};
}

/* A session that ended under us (idle or too old, fwctld reloaded) is opened again once,
 * which is one more polkit check; a call on its object never reached the device. Returns
 * 1 to retry the call, 0 when the error stands, < 0 when reopening failed (reported). */
static int caller_reopen_after(Caller *c, const sd_bus_error *error, bool *reopened) {
        int r;

        if (!c->session || *reopened || !sd_bus_error_has_name(error, ERROR_UNKNOWN_OBJECT))
                return 0;
        *reopened = true;
        free(c->session);
        c->session = NULL;
        r = caller_open_session(c, c->configuration_write);
        return r < 0 ? r : 1;
}

static int memfd_new_sealed(const void *p, size_t n) {
        _cleanup_(closep) int fd = -EBADF;
        int r;

        fd = memfd_create("fwctlctl-request", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        r = write_all(fd, p, n);
        if (r < 0)
                return r;
        /* fwctld refuses a request that could still change after it was checked */
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The whole of the response memfd, from offset 0 whatever its file position. */
static int memfd_read_all(int fd, uint8_t **ret, size_t *ret_size) {
        _cleanup_(freep) uint8_t *buf = NULL;
        struct stat st;
        size_t done = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t) st.st_size > FWCTL_MAX_PAYLOAD)
                return -EBADMSG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (done < (size_t) st.st_size) {
                ssize_t k = pread(fd, buf + done, (size_t) st.st_size - done, (off_t) done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EBADMSG;
                done += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_size = done;
        return 0;
}

static int rpc_message_new(Caller *c, int request_fd, const void *request, size_t size, uint32_t max_response,
                           sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(c->bus, &m, FWCTL_BUS, c->session ?: c->path,
                                           c->session ? FWCTL_SESSION_IFACE : FWCTL_DEVICE_IFACE,
                                           request_fd >= 0 ? "RpcFd" : "Rpc");
        if (r >= 0 && !c->session)
                r = sd_bus_message_append(m, "u", c->scope);
        if (r >= 0 && request_fd >= 0)
                r = sd_bus_message_append(m, "h", request_fd);
        else if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', request ?: (const void *) "", size);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", max_response);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int rpc_reply_read(sd_bus_message *reply, bool fd, RpcReply *ret) {
        _cleanup_(rpc_reply_done) RpcReply out = {};
        const void *p;
        int r, response_fd;

        if (fd) {
                r = sd_bus_message_read(reply, "h", &response_fd);
                if (r >= 0)
                        r = memfd_read_all(response_fd, &out.response, &out.size);
        } else {
                r = sd_bus_message_read_array(reply, 'y', &p, &out.size);
                if (r >= 0) {
                        out.response = malloc(out.size + 1);
                        if (!out.response)
                                r = -ENOMEM;
                        else if (out.size > 0)
                                memcpy(out.response, p, out.size);
                }
        }
        if (r >= 0)
                r = json_from_bus_value(reply, &out.result);
        if (r < 0)
                return r;
        *ret = out;
        out = (RpcReply) {};
        return 0;
}

int caller_rpc(Caller *c, const void *request, size_t size, uint32_t max_response, RpcReply *ret) {
        _cleanup_(closep) int request_fd = -EBADF;
        CallContext ctx;
        bool reopened = false;
        int r, r2;

        if (c->fd && (size > FWCTL_FD_THRESHOLD || max_response > FWCTL_FD_THRESHOLD)) {
                request_fd = memfd_new_sealed(request, size);
                if (request_fd < 0)
                        return report_errno(request_fd, "Failed to put the request in a memfd");
        }

        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;

                r = rpc_message_new(c, request_fd, request, size, max_response, &m);
                if (r < 0)
                        return report_errno(r, "Failed to build the Rpc call");
                r = sd_bus_call(c->bus, m, 0, &error, &reply);
                if (r >= 0) {
                        r = rpc_reply_read(reply, request_fd >= 0, ret);
                        return r < 0 ? report_errno(r, "Failed to parse the Rpc reply") : 0;
                }
                /* A daemon without RpcFd: the byte arrays, as before. */
                if (request_fd >= 0 && sd_bus_error_has_name(&error, ERROR_UNKNOWN_METHOD)) {
                        c->fd = false;
                        request_fd = safe_close(request_fd);
                        continue;
                }
                r2 = caller_reopen_after(c, &error, &reopened);
                if (r2 < 0)
                        return r2;
                if (r2 > 0)
                        continue;
                ctx = caller_context(c, (int) c->scope, NULL);
                return report_bus_error(&error, r, &ctx);
        }
}

int caller_execute(Caller *c, const char *operation, const char *parameters, int operation_scope, char **ret) {
        bool reopened = false;
        CallContext ctx;
        const char *s;
        int r, r2;

        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                r = sd_bus_call_method(c->bus, FWCTL_BUS, c->session ?: c->path,
                                       c->session ? FWCTL_SESSION_IFACE : FWCTL_DEVICE_IFACE, "Execute", &error,
                                       &reply, "ss", operation, parameters);
                if (r >= 0) {
                        r = sd_bus_message_read(reply, "s", &s);
                        if (r < 0)
                                return report_errno(r, "Failed to parse the Execute reply");
                        *ret = strdup(s);
                        return *ret ? 0 : report_errno(-ENOMEM, "Failed to parse the Execute reply");
                }
                r2 = caller_reopen_after(c, &error, &reopened);
                if (r2 < 0)
                        return r2;
                if (r2 > 0)
                        continue;
                /* In a session the session's scope is what polkit authorised. */
                ctx = caller_context(c, c->session ? (int) c->scope : operation_scope, operation);
                return report_bus_error(&error, r, &ctx);
        }
}
