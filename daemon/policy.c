/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "device-type.h"
#include "log.h"
#include "policy.h"
#include "scope.h"
#include "taint.h"
#include "util.h"

int policy_new(const char *deny_dir, const char *raw_types_path, const char *tainted_path, Policy **ret) {
        _cleanup_(policy_freep) Policy *p = NULL;

        assert(tainted_path);
        assert(ret);

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        pthread_mutex_init(&p->lock, NULL);
        p->tainted_path = strdup(tainted_path);
        if (!p->tainted_path)
                return -ENOMEM;
        if (deny_dir && !(p->deny_dir = strdup(deny_dir)))
                return -ENOMEM;
        if (raw_types_path && !(p->raw_types_path = strdup(raw_types_path)))
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        deny_list_free(p->deny);
        raw_types_free(p->raw_types);
        pthread_mutex_destroy(&p->lock);
        free(p->deny_dir);
        free(p->raw_types_path);
        free(p->tainted_path);
        free(p);
        return NULL;
}

static void policy_reload_deny_list(Policy *p) {
        DenyList *l;
        int r;

        if (!p->deny_dir)
                return;
        r = deny_list_load_dir(p->deny_dir, &l);
        if (r < 0) {
                log_warning_errno(r, "Failed to load the deny list from '%s', keeping the previous one: %m",
                                  p->deny_dir);
                return;
        }
        pthread_mutex_lock(&p->lock);
        deny_list_free(p->deny);
        p->deny = l;
        pthread_mutex_unlock(&p->lock);
        if (l->n > 0)
                log_info("Deny list: %zu rule(s) from '%s'.", l->n, p->deny_dir);
}

static void policy_reload_raw_types(Policy *p) {
        RawTypes *t;
        int r;

        if (!p->raw_types_path)
                return;
        r = raw_types_load(p->raw_types_path, &t);
        if (r < 0) {
                log_warning_errno(r, "Failed to load '%s', keeping the previous list: %m", p->raw_types_path);
                return;
        }
        pthread_mutex_lock(&p->lock);
        raw_types_free(p->raw_types);
        p->raw_types = t;
        pthread_mutex_unlock(&p->lock);
        if (t->n > 0)
                log_info("Raw service for non-root callers opted in for %zu device type(s) in '%s'.", t->n,
                         p->raw_types_path);
}

void policy_reload(Policy *p) {
        assert(p);
        policy_reload_deny_list(p);
        policy_reload_raw_types(p);
}

int policy_deny_check(Policy *p, uint32_t device_type, const char *operations, uint32_t scope, char **ret_origin) {
        const DenyRule *rule;
        int r = 0;

        assert(p);
        pthread_mutex_lock(&p->lock);
        rule = deny_list_match_any(p->deny, device_type_to_string(device_type), operations, scope);
        if (rule) {
                r = 1;
                if (ret_origin)
                        *ret_origin = strdup(strempty(rule->origin));
        }
        pthread_mutex_unlock(&p->lock);
        return r;
}

bool policy_raw_type_allowed(Policy *p, uint32_t device_type) {
        bool allowed;

        assert(p);
        pthread_mutex_lock(&p->lock);
        allowed = raw_types_contains(p->raw_types, device_type);
        pthread_mutex_unlock(&p->lock);
        return allowed;
}

bool policy_read_taint(Policy *p, bool previous) {
        bool tainted;

        assert(p);
        return taint_read(p->tainted_path, &tainted) < 0 ? previous : tainted;
}
