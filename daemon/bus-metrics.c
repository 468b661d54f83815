/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "bus-device.h"
#include "bus-metrics.h"
#include "call.h"
#include "device-type.h"
#include "device.h"
#include "manager.h"
#include "metrics.h"
#include "names.h"
#include "scope.h"

/* A JSON string: quotes, backslashes and control characters escaped; other bytes as they are. */
static void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) strempty(s); *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

/* "ok", or the short D-Bus error name ("DeviceError"): stable labels. */
static const char *result_label(int result) {
        const char *name;

        if (result == CALL_ERROR_NONE)
                return "ok";
        if (result == CALL_ERROR_CANCELLED)
                return "Cancelled";
        name = bus_device_error_name(result);
        if (!name)
                return "unknown";
        return strrchr(name, '.') + 1;
}

static void json_calls(FILE *f, const Metrics *m) {
        bool first = true;

        fputs("\"calls\":[", f);
        for (uint32_t scope = 0; scope < _FWCTLD_SCOPE_MAX; scope++)
                for (int r = 0; r < _CALL_ERROR_MAX; r++) {
                        if (m->calls[scope][r] == 0)
                                continue;
                        fprintf(f, "%s{\"scope\":", first ? "" : ",");
                        json_string(f, scope_to_string(scope));
                        fputs(",\"result\":", f);
                        json_string(f, result_label(r));
                        fprintf(f, ",\"count\":%" PRIu64 "}", m->calls[scope][r]);
                        first = false;
                }
        fputc(']', f);
}

static void json_denials_and_statuses(FILE *f, const Metrics *m) {
        bool first = true;

        fputs(",\"denials\":[", f);
        for (MetricsDenial d = 0; d < _METRICS_DENIAL_MAX; d++) {
                if (m->denials[d] == 0)
                        continue;
                fprintf(f, "%s{\"reason\":", first ? "" : ",");
                json_string(f, metrics_denial_to_string(d));
                fprintf(f, ",\"count\":%" PRIu64 "}", m->denials[d]);
                first = false;
        }
        fputs("],\"device_status\":[", f);
        first = true;
        for (size_t i = 0; i < METRICS_STATUS_NAMES_MAX && m->statuses[i].name[0]; i++) {
                fprintf(f, "%s{\"name\":", first ? "" : ",");
                json_string(f, m->statuses[i].name);
                fprintf(f, ",\"count\":%" PRIu64 "}", m->statuses[i].count);
                first = false;
        }
        if (m->statuses_other > 0)
                fprintf(f, "%s{\"name\":\"other\",\"count\":%" PRIu64 "}", first ? "" : ",", m->statuses_other);
        fputc(']', f);
}

static void json_latency_and_last_error(FILE *f, const Metrics *m) {
        fputs(",\"latency_seconds\":{\"buckets\":[", f);
        for (size_t i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
                if (metrics_latency_le_usec[i] == UINT64_MAX)
                        fprintf(f, "%s{\"le\":\"+Inf\",\"count\":%" PRIu64 "}", i ? "," : "", m->latency_buckets[i]);
                else
                        fprintf(f, "%s{\"le\":%.6f,\"count\":%" PRIu64 "}", i ? "," : "",
                                (double) metrics_latency_le_usec[i] / 1e6, m->latency_buckets[i]);
        }
        fprintf(f, "],\"sum\":%.6f,\"count\":%" PRIu64 "}", (double) m->latency_sum_usec / 1e6, m->latency_count);
        fprintf(f, ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64, m->bytes_in, m->bytes_out);
        fputs(",\"last_error\":", f);
        if (m->last_error == CALL_ERROR_NONE) {
                fputs("null", f);
                return;
        }
        fputs("{\"name\":", f);
        json_string(f, m->last_error == CALL_ERROR_CANCELLED ? "Cancelled" : bus_device_error_name(m->last_error));
        fputs(",\"message\":", f);
        json_string(f, m->last_error_message);
        fprintf(f, ",\"time_usec\":%" PRIu64 "}", m->last_error_realtime_usec);
}

static void json_metrics(FILE *f, const Metrics *m) {
        json_calls(f, m);
        json_denials_and_statuses(f, m);
        json_latency_and_last_error(f, m);
}

static void json_device(FILE *f, const Device *d) {
        fputs("{\"name\":", f);
        json_string(f, d->name);
        fputs(",\"type\":", f);
        json_string(f, device_type_to_string(d->type));
        fputs(",\"pci_address\":", f);
        json_string(f, d->pci_address);
        fputs(",\"parent\":", f);
        json_string(f, d->parent);
        fprintf(f, ",\"calls_in_progress\":%u,\"queue_depth\":%u,", d->n_calls, d->n_submitted);
        json_metrics(f, d->metrics ?: &(const Metrics) {});
        fputc('}', f);
}

int bus_metrics_json(Manager *m, char **ret) {
        _cleanup_(freep) char *buf = NULL;
        const Metrics *total;
        uint64_t added, removed;
        size_t size = 0;
        bool first = true;
        FILE *f;

        assert(m);
        assert(ret);
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        total = manager_metrics(m, &added, &removed);
        fprintf(f, "{\"version\":1,\"kernel_tainted\":%s,\"devices_added\":%" PRIu64 ",\"devices_removed\":%" PRIu64
                   ",\"calls_in_progress\":%u,\"devices\":[",
                manager_tainted(m) ? "true" : "false", added, removed, manager_calls_in_progress(m));
        for (Device *d = manager_devices(m); d; d = d->next) {
                if (d->state != DEVICE_READY)
                        continue;
                if (!first)
                        fputc(',', f);
                json_device(f, d);
                first = false;
        }
        fputs("],\"total\":{", f);
        json_metrics(f, total);
        fputs("}}", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
