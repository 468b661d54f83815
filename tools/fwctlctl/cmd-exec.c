/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fwctlctl exec DEVICE OPERATION [JSON | KEY=VALUE...]: run a named operation. */
#include "fwctlctl.h"

/* KEY=VALUE: true/false/null, integers and JSON objects, arrays or strings keep their
 * type; anything else is a string. */
static json_object *value_from_string(const char *s) {
        char *end = NULL;
        long long v;

        if (streq(s, "true"))
                return json_object_new_boolean(1);
        if (streq(s, "false"))
                return json_object_new_boolean(0);
        if (streq(s, "null"))
                return NULL;
        if (*s && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
                errno = 0;
                v = strtoll(s, &end, 0);
                if (errno == 0 && end && *end == '\0')
                        return json_object_new_int64(v);
        }
        if (s[0] == '{' || s[0] == '[' || s[0] == '"') {
                json_object *j = json_tokener_parse(s);
                if (j)
                        return j;
        }
        return json_object_new_string(s);
}

int exec_build_parameters(int argc, char **argv, char **ret) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        char *s;

        if (argc == 1 && argv[0][0] != '\0' && (argv[0][0] == '{' || !strchr(argv[0], '='))) {
                j = json_tokener_parse(argv[0]);
                if (!j || !json_object_is_type(j, json_type_object))
                        return report_error(-EINVAL, EXIT_USAGE, "usage",
                                            "Parameters must be a JSON object or KEY=VALUE words: %s", argv[0]);
        } else {
                j = json_object_new_object();
                if (!j)
                        return -ENOMEM;
                for (int i = 0; i < argc; i++) {
                        const char *eq = strchr(argv[i], '=');
                        _cleanup_(freep) char *key = NULL;

                        if (!eq || eq == argv[i])
                                return report_error(-EINVAL, EXIT_USAGE, "usage",
                                                    "Expected KEY=VALUE, got '%s'", argv[i]);
                        key = strndup(argv[i], eq - argv[i]);
                        if (!key)
                                return -ENOMEM;
                        json_object_object_add(j, key, value_from_string(eq + 1));
                }
        }
        s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The operation's minimum scope, to name the polkit action in errors; -1 when unknown.
 * With cache, the operations are asked for once and the reply kept there. */
int exec_operation_scope(sd_bus *bus, const char *path, const char *op, sd_bus_message **cache) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name, *description;
        uint32_t scope;
        int r;

        if (cache && *cache) {
                reply = sd_bus_message_ref(*cache);
                r = sd_bus_message_rewind(reply, true);
        } else
                r = sd_bus_call_method(bus, FWCTL_BUS, path, FWCTL_DEVICE_IFACE, "ListOperations", NULL, &reply,
                                       NULL);
        if (r < 0)
                return -1;
        if (cache && !*cache)
                *cache = sd_bus_message_ref(reply);
        if (sd_bus_message_enter_container(reply, 'a', "(ssu)") < 0)
                return -1;
        while (sd_bus_message_read(reply, "(ssu)", &name, &description, &scope) > 0)
                if (streq(name, op))
                        return scope <= 3 ? (int) scope : -1;
        return -1;
}

int exec_print(const Caller *c, const char *operation, const char *parameters, int operation_scope,
               const char *result_json) {
        _cleanup_(json_object_putp) json_object *j = NULL, *result = NULL;

        result = json_tokener_parse(result_json);
        if (!arg_json) {
                if (report_call > 0)
                        printf("%scall %u: exec %s\n", report_call > 1 ? "\n" : "", report_call, operation);
                if (result)
                        puts(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        puts(result_json);
                fflush(stdout);
                return 0;
        }

        j = caller_json_new(c);
        if (!j)
                return report_errno(-ENOMEM, "Failed to print the result");
        json_object_object_add(j, "operation", json_object_new_string(operation));
        json_object_object_add(j, "parameters", json_tokener_parse(parameters));
        json_object_object_add(j, "scope", operation_scope >= 0 ? json_object_new_int(operation_scope) : NULL);
        json_object_object_add(j, "result", result ? json_object_get(result) : json_object_new_string(result_json));
        json_print(j);
        return 0;
}

int cmd_exec(sd_bus *bus, int argc, char **argv) {
        _cleanup_(caller_done) Caller c = {};
        _cleanup_(freep) char *params = NULL, *result = NULL;
        int r, scope;

        r = exec_build_parameters(argc - 2, argv + 2, &params);
        if (r < 0)
                return r == -ENOMEM ? report_errno(r, "Failed to build the parameters") : r;

        r = caller_init(&c, bus, argv[0], 0);
        if (r < 0)
                return r;
        scope = exec_operation_scope(bus, c.path, argv[1], NULL);

        (void) polkit_agent_open_if_enabled();

        r = caller_execute(&c, argv[1], params, scope, &result);
        if (r < 0)
                return r;
        return exec_print(&c, argv[1], params, scope, result);
}
