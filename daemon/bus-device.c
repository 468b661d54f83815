/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fwctld/fwctl-uapi.h>

#include "bus-caller.h"
#include "bus-device.h"
#include "call.h"
#include "device-type.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"
#include "polkit.h"
#include "scope.h"

static const char *const bus_error_table[_CALL_ERROR_MAX] = {
        [CALL_ERROR_NO_SUCH_DEVICE] = FWCTLD_ERROR_NO_SUCH_DEVICE,
        [CALL_ERROR_DEVICE_GONE] = FWCTLD_ERROR_DEVICE_GONE,
        [CALL_ERROR_INVALID_SCOPE] = FWCTLD_ERROR_INVALID_SCOPE,
        [CALL_ERROR_SCOPE_TOO_LOW] = FWCTLD_ERROR_SCOPE_TOO_LOW,
        [CALL_ERROR_REQUEST_REJECTED] = FWCTLD_ERROR_REQUEST_REJECTED,
        [CALL_ERROR_PAYLOAD_TOO_LARGE] = FWCTLD_ERROR_PAYLOAD_TOO_LARGE,
        [CALL_ERROR_NOT_AUTHORIZED] = FWCTLD_ERROR_NOT_AUTHORIZED,
        [CALL_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED] = FWCTLD_ERROR_INTERACTIVE_AUTH_REQUIRED,
        [CALL_ERROR_NOT_SUPPORTED] = FWCTLD_ERROR_NOT_SUPPORTED,
        [CALL_ERROR_BUSY] = FWCTLD_ERROR_BUSY,
        [CALL_ERROR_DEVICE_ERROR] = FWCTLD_ERROR_DEVICE_ERROR,
        [CALL_ERROR_INVALID_ARGUMENTS] = FWCTLD_ERROR_INVALID_ARGUMENTS,
        [CALL_ERROR_NO_SUCH_OPERATION] = FWCTLD_ERROR_NO_SUCH_OPERATION,
        [CALL_ERROR_PLUGIN_MISSING] = FWCTLD_ERROR_PLUGIN_MISSING,
        [CALL_ERROR_AUDIT_FAILED] = FWCTLD_ERROR_AUDIT_FAILED,
};

const char *bus_device_error_name(CallError e) {
        return e > CALL_ERROR_NONE && e < _CALL_ERROR_MAX ? bus_error_table[e] : NULL;
}

/* Let sd-bus clients map our error names back to errnos. */
const sd_bus_error_map fwctld_bus_errors[] = {
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NO_SUCH_DEVICE, ENODEV),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_DEVICE_GONE, ENODEV),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_INVALID_SCOPE, EINVAL),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_SCOPE_TOO_LOW, EPERM),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_REQUEST_REJECTED, EINVAL),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_PAYLOAD_TOO_LARGE, EMSGSIZE),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NOT_AUTHORIZED, EACCES),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NOT_SUPPORTED, EOPNOTSUPP),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_BUSY, EBUSY),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_DEVICE_ERROR, EIO),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_INVALID_ARGUMENTS, EINVAL),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_NO_SUCH_OPERATION, ENOENT),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_PLUGIN_MISSING, ENOPKG),
        SD_BUS_ERROR_MAP(FWCTLD_ERROR_AUDIT_FAILED, ENOLINK),
        SD_BUS_ERROR_MAP_END,
};

int bus_device_path(const Device *d, char **ret) {
        return sd_bus_path_encode(FWCTLD_DEVICE_PATH_PREFIX, d->name, ret);
}

/* Every method call, property read and object of GetManagedObjects comes through here: O(1). */
static int device_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **ret_found, sd_bus_error *error) {
        _cleanup_(freep) char *name = NULL;
        BusContext *b = userdata;
        Device *d;
        int r;

        r = sd_bus_path_decode(path, FWCTLD_DEVICE_PATH_PREFIX, &name);
        if (r <= 0)
                return r;

        /* A device being removed stays findable until InterfacesRemoved went out. */
        d = manager_get_device_by_name(b->manager, name);
        if (!d || d->state == DEVICE_PROBING)
                return 0;
        *ret_found = d;
        return 1;
}

/* Is path the device prefix or one of its ancestors ("/", "/org", ...)? */
static bool path_is_device_prefix_or_above(const char *path) {
        size_t n = strlen(path);

        if (streq(path, "/"))
                return true;
        return strncmp(FWCTLD_DEVICE_PATH_PREFIX, path, n) == 0 &&
               (FWCTLD_DEVICE_PATH_PREFIX[n] == '\0' || FWCTLD_DEVICE_PATH_PREFIX[n] == '/');
}

/*
 * sd-bus asks for the children of the path it serves: once per GetManagedObjects and per
 * Introspect, of any node at or below the prefix too (a device's own Introspect). Devices have
 * no children: only the prefix and the nodes above it get the list, so that introspecting
 * every device (busctl tree) costs O(N) in all, not O(N) per device.
 */
static int device_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                            sd_bus_error *error) {
        BusContext *b = userdata;
        char **nodes;
        size_t n = 0, k = 0;
        int r;

        if (path_is_device_prefix_or_above(path))
                for (Device *d = manager_devices(b->manager); d; d = d->next)
                        if (d->state == DEVICE_READY)
                                n++;
        nodes = calloc(n + 1, sizeof(char *));
        if (!nodes)
                return -ENOMEM;
        for (Device *d = manager_devices(b->manager); d && k < n; d = d->next) {
                if (d->state != DEVICE_READY)
                        continue;
                r = bus_device_path(d, &nodes[k]);
                if (r < 0) {
                        for (size_t i = 0; i < k; i++)
                                free(nodes[i]);
                        free(nodes);
                        return r;
                }
                k++;
        }
        *ret_nodes = nodes;
        return 1;
}

static int property_get_type_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "s", device_type_to_string(d->type));
}

static int property_get_plugin(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Device *d = userdata;

        return sd_bus_message_append(reply, "s", device_plugin_name(d));
}

static int method_info(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Device *d = userdata;
        int r;

        if (d->state != DEVICE_READY)
                return sd_bus_error_setf(error, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' is gone.", d->name);

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "u", d->type);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(reply, 'y', d->info_data ?: "", d->info_size);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", d->info_json);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_operations(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Device *d = userdata;
        const fwctld_plugin *p;
        int r;

        if (d->state != DEVICE_READY)
                return sd_bus_error_setf(error, FWCTLD_ERROR_DEVICE_GONE, "Device '%s' is gone.", d->name);
        p = d->plugin->desc;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssu)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_operations; i++) {
                r = sd_bus_message_append(reply, "(ssu)", p->operations[i].name,
                                          strempty(p->operations[i].description), p->operations[i].min_scope);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Hand the call to the engine; a session may have ended while we asked who the caller is. */
static void bus_dispatch(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id) {
        Session *s;

        if (session_id == 0)
                return manager_submit_call(b->manager, c, bus_device_call_done, sd_bus_message_ref(message));
        s = manager_find_session(b->manager, session_id);
        if (!s || !streq_ptr(s->owner.sender, c->caller.sender)) {
                (void) sd_bus_reply_method_errorf(message, "org.freedesktop.DBus.Error.UnknownObject",
                                                  "The session has ended.");
                call_free(c);
                return;
        }
        manager_submit_session_call(b->manager, s, c, bus_device_call_done, sd_bus_message_ref(message));
}

/* Fill the caller (asked of the bus once per connection, without blocking the loop) and
 * hand the call to the manager. */
int bus_device_submit(BusContext *b, Call *c, sd_bus_message *message, uint64_t session_id) {
        return bus_caller_submit(b, c, message, session_id, bus_dispatch);
}

/* --- Rpc and Execute: a call per request, answered from its completion --------------- */

static void bus_reply_error(sd_bus_message *message, const Call *c) {
        const char *name = bus_device_error_name(c->domain_error) ?: FWCTLD_ERROR_DEVICE_ERROR;

        (void) sd_bus_reply_method_errorf(message, name, "%s", strempty(c->error_message));
}

static int append_result(sd_bus_message *reply, const Call *c) {
        const RpcExchange *x = &c->rpc;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
                                  "truncated", "b", x->response_length > x->response_size,
                                  "response_length", "u", (uint32_t) MIN(x->response_length, (size_t) UINT32_MAX),
                                  "kernel_out_len", "u", (uint32_t) MIN(x->reported_len, (size_t) UINT32_MAX),
                                  "operation", "s", isempty(c->cls.operation) ? "unknown" : c->cls.operation,
                                  "scope", "u", c->scope,
                                  "issued_scope", "u", c->issued_scope,
                                  "configuration_write", "b", c->cls.configuration_write);
        if (r < 0)
                return r;
        if (x->status_set) {
                r = sd_bus_message_append(reply, "{sv}{sv}", "status", "u", x->status,
                                          "status_name", "s", strempty(x->status_name));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static void bus_reply_rpc(sd_bus_message *message, const Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0 && c->response_memfd)
                /* The engine left the response in its memfd, sealed; sd-bus sends a dup of it. */
                r = c->rpc.memfd_sealed ? sd_bus_message_append(reply, "h", c->rpc.memfd) : -EIO;
        else if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', c->rpc.response ?: "", c->rpc.response_size);
        if (r >= 0)
                r = append_result(reply, c);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0) {
                log_device_warning_errno(c->device->name, r, "Failed to send Rpc reply: %m");
                (void) sd_bus_reply_method_errno(message, r, NULL);
        }
}

/* The completion: the one place a call's answer is sent. userdata is the method call message. */
void bus_device_call_done(Call *c, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *message = userdata;
        _cleanup_(freep) char *path = NULL;
        int r;

        if (c->domain_error == CALL_ERROR_CANCELLED)
                return; /* the caller left */
        if (c->domain_error != CALL_ERROR_NONE)
                return bus_reply_error(message, c);
        if (c->kind == CALL_RPC)
                return bus_reply_rpc(message, c);
        if (c->kind == CALL_OPEN_SESSION) {
                r = bus_session_path(c->session, &path);
                if (r >= 0)
                        r = sd_bus_reply_method_return(message, "o", path);
        } else
                r = sd_bus_reply_method_return(message, "s", c->result_json ?: "{}");
        if (r < 0)
                log_device_warning_errno(c->device->name, r, "Failed to send the reply: %m");
}

/* The vtable's own userdata (the found object is the Device or the Session). */
BusContext *bus_device_current_context(sd_bus_message *message) {
        return sd_bus_slot_get_userdata(sd_bus_get_current_slot(sd_bus_message_get_bus(message)));
}

static int read_rpc(sd_bus_message *message, Device *d, bool with_scope, Call **ret) {
        uint32_t scope = 0, max_response;
        const void *request;
        size_t size;
        Call *c;
        int r;

        if (with_scope) {
                r = sd_bus_message_read(message, "u", &scope);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_read_array(message, 'y', &request, &size);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "u", &max_response);
        if (r < 0)
                return r;

        r = call_new(d, NULL, CALL_RPC, &c);
        if (r < 0)
                return r;
        c->scope = scope;
        c->max_response = max_response;
        c->request_size = size;
        /* Copy only what is within the limit; the checks reject the rest by size. */
        if (size > 0 && size <= FWCTLD_MAX_RPC_LEN) {
                c->request = malloc(size);
                if (!c->request) {
                        call_free(c);
                        return -ENOMEM;
                }
                memcpy(c->request, request, size);
        }
        *ret = c;
        return 0;
}

/*
 * RpcFd's request: a memfd sealed against write, shrink and grow, at most 2 MiB, mapped
 * rather than copied. The seals make the mapping safe: F_SEAL_WRITE means no writable
 * mapping of it exists or can be made, so what is classified and authorised is what the
 * driver reads, and F_SEAL_SHRINK means its pages cannot go away under us (no SIGBUS).
 */
static int bus_map_sealed_request(int fd, Call *c, sd_bus_error *error) {
        struct stat st;
        void *p;
        int seals;

        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0 || (seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) !=
                                 (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW))
                return sd_bus_error_set(error, FWCTLD_ERROR_REQUEST_REJECTED,
                                        "The request must be a memfd sealed with F_SEAL_WRITE, F_SEAL_SHRINK and "
                                        "F_SEAL_GROW: it could otherwise change after it was checked.");
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return sd_bus_error_set(error, FWCTLD_ERROR_REQUEST_REJECTED, "The request must be a memfd.");
        if (st.st_size <= 0)
                return sd_bus_error_set(error, FWCTLD_ERROR_REQUEST_REJECTED, "The request is empty.");
        if ((uint64_t) st.st_size > FWCTLD_MAX_RPC_LEN)
                return sd_bus_error_setf(error, FWCTLD_ERROR_PAYLOAD_TOO_LARGE,
                                         "Request of %" PRIu64 " bytes exceeds the limit of %u bytes.",
                                         (uint64_t) st.st_size, FWCTLD_MAX_RPC_LEN);
        p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        c->request = p;
        c->request_size = (size_t) st.st_size;
        c->request_mapped = true;
        return 0;
}

static int read_rpc_fd(sd_bus_message *message, Device *d, bool with_scope, Call **ret, sd_bus_error *error) {
        _cleanup_(call_freep) Call *c = NULL;
        uint32_t scope = 0, max_response;
        int fd, r;

        if (with_scope) {
                r = sd_bus_message_read(message, "u", &scope);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_read(message, "hu", &fd, &max_response);
        if (r < 0)
                return r;
        r = call_new(d, NULL, CALL_RPC, &c);
        if (r < 0)
                return r;
        r = bus_map_sealed_request(fd, c, error);
        if (r < 0)
                return r;
        c->scope = scope;
        c->max_response = max_response;
        c->response_memfd = true;
        *ret = TAKE_PTR(c);
        return 0;
}

static int read_execute(sd_bus_message *message, Device *d, Call **ret, sd_bus_error *error) {
        const char *operation, *parameters;
        size_t size;
        Call *c;
        int r;

        r = sd_bus_message_read(message, "ss", &operation, &parameters);
        if (r < 0)
                return r;
        size = strnlen(parameters, (size_t) FWCTLD_MAX_RPC_LEN + 1);
        if (size > FWCTLD_MAX_RPC_LEN)
                return sd_bus_error_setf(error, FWCTLD_ERROR_PAYLOAD_TOO_LARGE, "Parameters exceed %u bytes.",
                                         FWCTLD_MAX_RPC_LEN);
        if (strlen(operation) >= FWCTLD_OPERATION_NAME_MAX)
                return sd_bus_error_setf(error, FWCTLD_ERROR_NO_SUCH_OPERATION, "Operation name too long.");

        r = call_new(d, NULL, CALL_EXECUTE, &c);
        if (r < 0)
                return r;
        (void) snprintf(c->execute_operation, sizeof(c->execute_operation), "%s", operation);
        r = size == 0 ? call_set_parameters(c, "{}", 2) : call_set_parameters(c, parameters, size);
        if (r < 0) {
                call_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int bus_device_read_call(sd_bus_message *message, Device *d, bool with_scope, Call **ret, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(message);
        Call *c = NULL;
        int r;

        if (streq_ptr(member, "RpcFd"))
                r = read_rpc_fd(message, d, with_scope, &c, error);
        else if (streq_ptr(member, "Execute"))
                r = read_execute(message, d, &c, error);
        else
                r = read_rpc(message, d, with_scope, &c);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

/* Rpc, RpcFd and Execute: a call each, answered from its completion. */
static int method_call(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = bus_device_current_context(message);
        Call *c;
        int r;

        r = bus_device_read_call(message, userdata, true, &c, error);
        if (r < 0)
                return r;
        /* The manager answers through bus_device_call_done(), which drops the message ref. */
        return bus_device_submit(b, c, message, 0);
}

static int method_open_session(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        BusContext *b = bus_device_current_context(message);
        Device *d = userdata;
        bool configuration_write = false;
        uint32_t scope;
        Call *c;
        int r;

        r = sd_bus_message_read(message, "u", &scope);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                const char *key;
                int v;

                r = sd_bus_message_read(message, "s", &key);
                if (r < 0)
                        return r;
                if (!streq(key, "configuration_write"))
                        return sd_bus_error_setf(error, FWCTLD_ERROR_INVALID_ARGUMENTS, "Unknown option '%s'.", key);
                r = sd_bus_message_read(message, "v", "b", &v);
                if (r < 0)
                        return sd_bus_error_set(error, FWCTLD_ERROR_INVALID_ARGUMENTS,
                                                "Option 'configuration_write' must be a boolean.");
                configuration_write = v;
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;

        r = call_new(d, NULL, CALL_OPEN_SESSION, &c);
        if (r < 0)
                return r;
        c->scope = scope;
        c->session_configuration_write = configuration_write;
        return bus_device_submit(b, c, message, 0);
}

static const sd_bus_vtable device_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", NULL, offsetof(Device, name), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DeviceType", "u", NULL, offsetof(Device, type), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DeviceTypeName", "s", property_get_type_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Driver", "s", NULL, offsetof(Device, driver), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Parent", "s", NULL, offsetof(Device, parent), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("PciAddress", "s", NULL, offsetof(Device, pci_address), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DeviceNode", "s", NULL, offsetof(Device, devnode), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Plugin", "s", property_get_plugin, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Info",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("u", device_type, "ay", device_data, "s", info_json),
                                method_info,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Rpc",
                                SD_BUS_ARGS("u", scope, "ay", request, "u", max_response),
                                SD_BUS_RESULT("ay", response, "a{sv}", result),
                                method_call,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RpcFd",
                                SD_BUS_ARGS("u", scope, "h", request, "u", max_response),
                                SD_BUS_RESULT("h", response, "a{sv}", result),
                                method_call,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenSession",
                                SD_BUS_ARGS("u", scope, "a{sv}", options),
                                SD_BUS_RESULT("o", session),
                                method_open_session,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListOperations",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssu)", operations),
                                method_list_operations,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Execute",
                                SD_BUS_ARGS("s", operation, "s", parameters_json),
                                SD_BUS_RESULT("s", result_json),
                                method_call,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_device_setup(BusContext *b) {
        int r;

        r = sd_bus_add_fallback_vtable(b->bus, NULL, FWCTLD_DEVICE_PATH_PREFIX, FWCTLD_DEVICE_INTERFACE,
                                       device_vtable, device_find, b);
        if (r < 0)
                return log_error_errno(r, "Failed to add device objects: %m");
        r = sd_bus_add_node_enumerator(b->bus, NULL, FWCTLD_DEVICE_PATH_PREFIX, device_enumerate, b);
        if (r < 0)
                return log_error_errno(r, "Failed to add device enumerator: %m");
        return 0;
}

void bus_device_emit_added(BusContext *b, Device *d) {
        _cleanup_(freep) char *path = NULL;
        int r;

        r = bus_device_path(d, &path);
        if (r >= 0)
                r = sd_bus_emit_object_added(b->bus, path);
        if (r < 0)
                log_device_warning_errno(d->name, r, "Failed to announce '%s': %m", d->name);
}

void bus_device_emit_removed(BusContext *b, Device *d) {
        _cleanup_(freep) char *path = NULL;
        int r;

        /* Stopping because the bus went away (dbus-daemon stopped first): nobody to tell. */
        if (sd_bus_is_open(b->bus) <= 0)
                return;
        r = bus_device_path(d, &path);
        if (r >= 0)
                r = sd_bus_emit_object_removed(b->bus, path);
        if (r < 0)
                log_device_warning_errno(d->name, r, "Failed to announce removal of '%s': %m", d->name);
}

/* --- The manager's authorizer: polkit, with what the call is about ------------------- */

typedef struct BusAuthorization {
        BusContext *context;
        Call *call;
        PolkitCheck *check;
} BusAuthorization;

static void on_polkit_answer(int r, bool authorized, bool challenge, const char *error_message, void *userdata) {
        BusAuthorization *a = userdata;
        BusContext *b = a->context;
        Call *c = a->call;

        free(a);
        manager_authorization_done(b->manager, c, r, authorized, challenge, error_message);
}

static int authorizer_start(Call *c, void *userdata) {
        BusContext *b = userdata;
        const Device *d = c->device;
        char scope[16];
        BusAuthorization *a;
        int r;

        if (isempty(c->caller.sender))
                return -EPERM;
        (void) snprintf(scope, sizeof(scope), "%" PRIu32, c->scope);
        /* operation: the RPC names that reach the device, for Rpc and Execute alike. */
        char *const details[] = {
                (char *) "device", d->name,
                (char *) "device_type", (char *) device_type_to_string(d->type),
                (char *) "parent", d->parent,
                (char *) "scope", scope,
                (char *) "operation", (char *) (isempty(c->cls.operation) ? "unknown" : c->cls.operation),
                (char *) "execute_operation", (char *) c->execute_operation,
                (char *) "configuration_write", (char *) (c->cls.configuration_write ? "true" : "false"),
                (char *) "session", (char *) (c->kind == CALL_OPEN_SESSION ? "true" : "false"),
                NULL,
        };

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        *a = (BusAuthorization) { .context = b, .call = c };
        r = polkit_check(b->control, c->caller.sender, scope_to_action(c->scope), details, c->caller.interactive,
                         on_polkit_answer, a, &a->check);
        if (r < 0) {
                free(a);
                return r;
        }
        c->authorization = a;
        return 0;
}

static void authorizer_cancel(Call *c, void *userdata) {
        BusAuthorization *a = c->authorization;

        if (!a)
                return;
        (void) polkit_check_cancel(a->check);
        free(a);
        c->authorization = NULL;
}

void bus_device_authorizer(BusContext *b, ManagerAuthorizer *ret) {
        *ret = (ManagerAuthorizer) {
                .start = authorizer_start,
                .cancel = authorizer_cancel,
                .userdata = b,
        };
}
