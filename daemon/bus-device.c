/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include <fwctld/fwctl-uapi.h>

#include "bus.h"
#include "call.h"
#include "device.h"
#include "log.h"
#include "manager.h"
#include "names.h"
#include "plugin-loader.h"


static int device_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                       void **ret_found, sd_bus_error *error) {
        _cleanup_(freep) char *name = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_path_decode(path, FWCTLD_DEVICE_PATH_PREFIX, &name);
        if (r <= 0)
                return r;

        /* A device being removed stays findable until InterfacesRemoved went out. */
        for (Device *d = m->devices; d; d = d->next)
                if (d->state != DEVICE_PROBING && streq(d->name, name)) {
                        *ret_found = d;
                        return 1;
                }
        return 0;
}

static int device_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                            sd_bus_error *error) {
        Manager *m = userdata;
        char **nodes;
        size_t n = 0, k = 0;

        for (Device *d = m->devices; d; d = d->next)
                if (d->state == DEVICE_READY)
                        n++;
        nodes = calloc(n + 1, sizeof(char *));
        if (!nodes)
                return -ENOMEM;
        for (Device *d = m->devices; d && k < n; d = d->next) {
                if (d->state != DEVICE_READY)
                        continue;
                nodes[k] = strdup(d->object_path);
                if (!nodes[k]) {
                        for (size_t i = 0; i < k; i++)
                                free(nodes[i]);
                        free(nodes);
                        return -ENOMEM;
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

/* Identity from the bus daemon, never from anything the caller says. */
static int call_fill_caller(Call *c, sd_bus_message *message) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL, *unit_creds = NULL;
        const char *unit = NULL;
        uid_t uid;
        pid_t pid;
        int r;

        c->sender = strdup(strempty(sd_bus_message_get_sender(message)));
        if (!c->sender)
                return -ENOMEM;
        c->interactive = sd_bus_message_get_allow_interactive_authorization(message) > 0;

        r = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_PID, &creds);
        if (r < 0)
                return r;
        if (sd_bus_creds_get_euid(creds, &uid) >= 0 || sd_bus_creds_get_uid(creds, &uid) >= 0)
                c->uid = uid;
        else
                return -EPERM; /* without a uid nothing can be authorised */
        if (sd_bus_creds_get_pid(creds, &pid) >= 0)
                c->pid = pid;
        /* The unit is for the audit record only: read from /proc, best effort (the pid may be gone). */
        if (c->pid > 0 && sd_bus_creds_new_from_pid(&unit_creds, c->pid, SD_BUS_CREDS_UNIT) >= 0 &&
            sd_bus_creds_get_unit(unit_creds, &unit) >= 0 && unit) {
                c->unit = strdup(unit);
                if (!c->unit)
                        return -ENOMEM;
        }
        return 0;
}

static int device_start_call(Device *d, Call *c, sd_bus_message *message, sd_bus_error *error) {
        int r;

        r = call_fill_caller(c, message);
        if (r < 0) {
                call_free(c);
                return r;
        }
        r = call_start(c, error);
        if (r < 0)
                call_free(c);
        return r;
}

static int method_rpc(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Device *d = userdata;
        Call *c;
        const void *request;
        size_t size;
        uint32_t scope, max_response;
        int r;

        r = sd_bus_message_read(message, "u", &scope);
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(message, 'y', &request, &size);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "u", &max_response);
        if (r < 0)
                return r;

        r = call_new(d->manager, d, CALL_RPC, message, &c);
        if (r < 0)
                return r;
        c->scope = scope;
        c->max_response = max_response;
        c->request_size = size;
        /* Copy only what is within the limit; call_start() rejects the rest by size. */
        if (size > 0 && size <= FWCTLD_MAX_RPC_LEN) {
                c->request = malloc(size);
                if (!c->request) {
                        call_free(c);
                        return -ENOMEM;
                }
                memcpy(c->request, request, size);
        }
        return device_start_call(d, c, message, error);
}

static int method_execute(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Device *d = userdata;
        const char *operation, *parameters;
        Call *c;
        int r;

        r = sd_bus_message_read(message, "ss", &operation, &parameters);
        if (r < 0)
                return r;
        if (strlen(parameters) > FWCTLD_MAX_RPC_LEN)
                return sd_bus_error_setf(error, FWCTLD_ERROR_PAYLOAD_TOO_LARGE,
                                         "Parameters exceed %u bytes.", FWCTLD_MAX_RPC_LEN);
        if (strlen(operation) >= FWCTLD_OPERATION_NAME_MAX)
                return sd_bus_error_setf(error, FWCTLD_ERROR_NO_SUCH_OPERATION, "Operation name too long.");

        r = call_new(d->manager, d, CALL_EXECUTE, message, &c);
        if (r < 0)
                return r;
        (void) snprintf(c->execute_operation, sizeof(c->execute_operation), "%s", operation);
        c->parameters_json = strdup(isempty(parameters) ? "{}" : parameters);
        if (!c->parameters_json) {
                call_free(c);
                return -ENOMEM;
        }
        return device_start_call(d, c, message, error);
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
                                method_rpc,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListOperations",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssu)", operations),
                                method_list_operations,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Execute",
                                SD_BUS_ARGS("s", operation, "s", parameters_json),
                                SD_BUS_RESULT("s", result_json),
                                method_execute,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_device_setup(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, FWCTLD_DEVICE_PATH_PREFIX, FWCTLD_DEVICE_INTERFACE,
                                       device_vtable, device_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add device objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, FWCTLD_DEVICE_PATH_PREFIX, device_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add device enumerator: %m");
        return 0;
}

void bus_device_emit_added(Device *d) {
        int r = sd_bus_emit_object_added(d->manager->bus, d->object_path);

        if (r < 0)
                log_device_warning_errno(d->name, r, "Failed to announce '%s': %m", d->object_path);
}

void bus_device_emit_removed(Device *d) {
        int r = sd_bus_emit_object_removed(d->manager->bus, d->object_path);

        if (r < 0)
                log_device_warning_errno(d->name, r, "Failed to announce removal of '%s': %m", d->object_path);
}

void bus_call_reply_error(Call *c, const char *name, const char *message) {
        if (c->message)
                (void) sd_bus_reply_method_errorf(c->message, name, "%s", message);
}

static int append_result(sd_bus_message *reply, Call *c) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
                                  "truncated", "b", c->response_length > c->response_size,
                                  "response_length", "u", (uint32_t) MIN(c->response_length, (size_t) UINT32_MAX),
                                  "kernel_out_len", "u", (uint32_t) MIN(c->reported_len, (size_t) UINT32_MAX),
                                  "operation", "s", isempty(c->cls.operation) ? "unknown" : c->cls.operation,
                                  "scope", "u", c->scope,
                                  "issued_scope", "u", c->issued_scope,
                                  "configuration_write", "b", c->cls.configuration_write);
        if (r < 0)
                return r;
        if (c->status_set) {
                r = sd_bus_message_append(reply, "{sv}{sv}", "status", "u", c->status,
                                          "status_name", "s", strempty(c->status_name));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

void bus_call_reply_rpc(Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(c->message, &reply);
        if (r >= 0)
                r = sd_bus_message_append_array(reply, 'y', c->response ?: "", c->response_size);
        if (r >= 0)
                r = append_result(reply, c);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0) {
                log_device_warning_errno(c->device->name, r, "Failed to send Rpc reply: %m");
                (void) sd_bus_reply_method_errno(c->message, r, NULL);
        }
}

void bus_call_reply_execute(Call *c) {
        int r = sd_bus_reply_method_return(c->message, "s", c->result_json ?: "{}");

        if (r < 0)
                log_device_warning_errno(c->device->name, r, "Failed to send Execute reply: %m");
}
