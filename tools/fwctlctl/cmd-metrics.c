/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fwctlctl metrics: Manager.GetMetrics() in the Prometheus text exposition format (0.0.4,
 * what node_exporter's textfile collector and promtool read), or the daemon's JSON as is
 * with --json. --out FILE writes atomically: a temporary file in FILE's directory, mode
 * 0644, renamed over FILE, so a reader (node_exporter) never sees half a file.
 *
 * Every metric is documented in docs/fwctlctl.md and fwctlctl(1); the names are stable.
 * Per-device families carry the labels device, type and pci_address; the fwctl_daemon_*
 * families are fwctld's totals over every device it served since it started (removed
 * devices included), so that sum() over a per-device family never counts a call twice.
 */
#include <math.h>

#include "fwctlctl.h"

#define LABEL_DEVICE_MAX 1024

/* The labels of one series source: a device's, or none for the daemon's totals. */
typedef struct Source {
        json_object *counters;  /* the object holding "calls", "denials", ... */
        char labels[LABEL_DEVICE_MAX];  /* rendered: device="fwctl0",type="mlx5",... or "" */
} Source;

typedef struct Family Family;
typedef void (*SampleFunc)(FILE *f, const Family *fam, const Source *s);

/* Where a family's numbers are in the GetMetrics document (docs/dbus-api.md). */
typedef enum FamilySource {
        SOURCE_DEVICE,  /* each element of "devices", labelled by device */
        SOURCE_TOTAL,   /* "total": every device since fwctld started */
        SOURCE_TOP,     /* the top level */
} FamilySource;

struct Family {
        const char *name;
        const char *type;       /* counter, gauge, histogram */
        FamilySource source;
        SampleFunc samples;
        const char *key;        /* the JSON member the sample function reads */
        const char *help;
};

/* ------------------------------------------------------------------ formatting */

/* The length of the valid UTF-8 sequence at p, or 0 if it is not one. */
static size_t utf8_sequence_length(const unsigned char *p) {
        size_t n;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                n = 2;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                n = 3;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                n = 4;
        else
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
            (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
                return 0; /* overlong, surrogate, beyond U+10FFFF */
        return n;
}

/* A label value, escaped as the text format wants (\\, \", \n); bytes that are not
 * valid UTF-8 become U+FFFD, since Prometheus refuses them. */
static void label_value(FILE *f, const char *s) {
        const unsigned char *p = (const unsigned char *) strempty(s);

        while (*p) {
                size_t n = utf8_sequence_length(p);

                if (n == 0) {
                        fputs("\xef\xbf\xbd", f);
                        p++;
                } else if (*p == '\\' || *p == '"') {
                        fputc('\\', f);
                        fputc(*p++, f);
                } else if (*p == '\n') {
                        fputs("\\n", f);
                        p++;
                } else {
                        fwrite(p, 1, n, f);
                        p += n;
                }
        }
}

/* The shortest decimal that reads back as the same double: "0.0001" (not "0.000100"),
 * "30" (not "3e+01"), "1764460800.25"; exponents only for very small or large values. */
static void format_double(double v, char *buf, size_t size) {
        if (isinf(v)) {
                snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (isnan(v)) {
                snprintf(buf, size, "NaN");
                return;
        }
        if (v == 0 || (fabs(v) >= 1e-6 && fabs(v) < 1e15)) {
                for (int decimals = 0; decimals <= 21; decimals++) {
                        snprintf(buf, size, "%.*f", decimals, v);
                        if (strtod(buf, NULL) == v)
                                return;
                }
        }
        for (int precision = 1; precision <= 17; precision++) {
                snprintf(buf, size, "%.*g", precision, v);
                if (strtod(buf, NULL) == v)
                        return;
        }
}

/* A sample value from JSON: integers exactly, doubles shortest, "+Inf" as is. */
static void format_value(json_object *v, char *buf, size_t size) {
        const char *s;

        switch (json_object_get_type(v)) {
        case json_type_int:
                if (json_object_get_int64(v) < 0)
                        snprintf(buf, size, "%" PRId64, json_object_get_int64(v));
                else
                        snprintf(buf, size, "%" PRIu64, json_object_get_uint64(v));
                return;
        case json_type_double:
                format_double(json_object_get_double(v), buf, size);
                return;
        case json_type_boolean:
                snprintf(buf, size, "%d", json_object_get_boolean(v) ? 1 : 0);
                return;
        case json_type_string:
                s = json_object_get_string(v);
                if (streq(s, "+Inf") || streq(s, "-Inf") || streq(s, "NaN")) {
                        snprintf(buf, size, "%s", s);
                        return;
                }
                format_double(strtod(s, NULL), buf, size);
                return;
        default:
                snprintf(buf, size, "0");
                return;
        }
}

/* name{source labels,k1="v1",k2="v2"} value; k1 and k2 may be NULL. */
static void sample(FILE *f, const char *name, const char *suffix, const Source *s, json_object *v, const char *k1,
                   const char *v1, const char *k2, const char *v2) {
        const char *keys[] = { k1, k2 }, *values[] = { v1, v2 };
        bool first = isempty(s->labels);
        char num[64];

        format_value(v, num, sizeof(num));
        fprintf(f, "%s%s", name, strempty(suffix));
        if (first && !k1 && !k2) {
                fprintf(f, " %s\n", num);
                return;
        }
        fprintf(f, "{%s", s->labels);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (!keys[i])
                        continue;
                fprintf(f, "%s%s=\"", first ? "" : ",", keys[i]);
                label_value(f, values[i]);
                fputc('"', f);
                first = false;
        }
        fprintf(f, "} %s\n", num);
}

static json_object *member(json_object *j, const char *key) {
        json_object *v = NULL;

        if (!j || !json_object_object_get_ex(j, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return v;
}

/* ------------------------------------------------------------------ families */

/* One number, unlabelled beyond the source's labels. */
static void samples_value(FILE *f, const Family *fam, const Source *s) {
        json_object *v = member(s->counters, fam->key);

        if (v)
                sample(f, fam->name, NULL, s, v, NULL, NULL, NULL, NULL);
}

/* Each {LABEL: "...", "count": N} of the array fam->key becomes name{label="..."} N; the
 * JSON key is the label's name except device_status's "name" (label "status"). */
static void samples_list(FILE *f, const Family *fam, const Source *s) {
        json_object *a = member(s->counters, fam->key);
        size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
        bool status = streq(fam->key, "device_status");

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i), *count = member(e, "count");

                if (!count)
                        continue;
                if (streq(fam->key, "calls"))
                        sample(f, fam->name, NULL, s, count, "scope", json_str(e, "scope"), "result",
                               json_str(e, "result"));
                else if (status)
                        sample(f, fam->name, NULL, s, count, "status", json_str(e, "name"), NULL, NULL);
                else
                        sample(f, fam->name, NULL, s, count, "reason", json_str(e, "reason"), NULL, NULL);
        }
}

static void samples_histogram(FILE *f, const Family *fam, const Source *s) {
        json_object *h = member(s->counters, fam->key), *b = member(h, "buckets");
        size_t n = b && json_object_is_type(b, json_type_array) ? json_object_array_length(b) : 0;
        json_object *sum = member(h, "sum"), *count = member(h, "count");
        char le[64];

        if (n == 0 || !sum || !count)
                return;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(b, i), *c = member(e, "count");

                if (!c || !member(e, "le"))
                        continue;
                format_value(member(e, "le"), le, sizeof(le));
                sample(f, fam->name, "_bucket", s, c, "le", le, NULL, NULL);
        }
        sample(f, fam->name, "_sum", s, sum, NULL, NULL, NULL, NULL);
        sample(f, fam->name, "_count", s, count, NULL, NULL, NULL, NULL);
}

static void samples_last_error(FILE *f, const Family *fam, const Source *s) {
        json_object *e = member(s->counters, fam->key), *t = member(e, "time_usec");
        _cleanup_(json_object_putp) json_object *seconds = NULL;
        const char *error;

        if (!t)
                return;
        error = json_str(e, "name");
        error = strrchr(error, '.') ? strrchr(error, '.') + 1 : error;
        seconds = json_object_new_double((double) json_object_get_uint64(t) / 1e6);
        if (seconds)
                sample(f, fam->name, NULL, s, seconds, "error", error, NULL, NULL);
}

static void samples_info(FILE *f, const Family *fam, const Source *s) {
        _cleanup_(json_object_putp) json_object *one = json_object_new_int(1);

        if (one)
                sample(f, fam->name, NULL, s, one, fam->key, json_str(s->counters, fam->key), NULL, NULL);
}

static void samples_count(FILE *f, const Family *fam, const Source *s) {
        json_object *a = member(s->counters, fam->key);
        _cleanup_(json_object_putp) json_object *n = NULL;

        n = json_object_new_int64(a && json_object_is_type(a, json_type_array) ? (int64_t) json_object_array_length(a) : 0);
        if (n)
                sample(f, fam->name, NULL, s, n, NULL, NULL, NULL, NULL);
}

/* The order of the output. Names, types and labels are stable (docs/fwctlctl.md). */
static const Family families[] = {
        { "fwctl_device_info", "gauge", SOURCE_DEVICE, samples_info, "parent",
          "A device fwctld serves (always 1): kernel name, type, PCI address and parent sysfs path." },
        { "fwctl_calls_total", "counter", SOURCE_DEVICE, samples_list, "calls",
          "Rpc and Execute calls to the device, by the scope authorised and the result (ok, or the short D-Bus error name)." },
        { "fwctl_denials_total", "counter", SOURCE_DEVICE, samples_list, "denials",
          "Calls to the device refused before it saw them, by reason (local-policy, denied, challenge, polkit-unavailable, busy)." },
        { "fwctl_device_status_total", "counter", SOURCE_DEVICE, samples_list, "device_status",
          "Answers of the device carrying a non-zero status of its own (mlx5 status, CXL return code, bnxt error), by status name." },
        { "fwctl_bytes_received_total", "counter", SOURCE_DEVICE, samples_value, "bytes_in",
          "Request bytes received from callers for the device (Execute: the parameters JSON)." },
        { "fwctl_bytes_sent_total", "counter", SOURCE_DEVICE, samples_value, "bytes_out",
          "Response bytes sent to callers from the device (Execute: the result JSON)." },
        { "fwctl_call_duration_seconds", "histogram", SOURCE_DEVICE, samples_histogram, "latency_seconds",
          "Time from a call's arrival to its answer, authorisation and queueing included." },
        { "fwctl_queue_depth", "gauge", SOURCE_DEVICE, samples_value, "queue_depth",
          "Calls on the device's worker now, queued or running." },
        { "fwctl_calls_in_progress", "gauge", SOURCE_DEVICE, samples_value, "calls_in_progress",
          "Calls to the device not answered yet, in any state (authorising, queued, running)." },
        { "fwctl_last_error_timestamp_seconds", "gauge", SOURCE_DEVICE, samples_last_error, "last_error",
          "When the device's last failed call was answered (Unix time), with its short D-Bus error name." },
        { "fwctl_kernel_tainted", "gauge", SOURCE_TOP, samples_value, "kernel_tainted",
          "1 while the kernel's TAINT_FWCTL flag is set (a debug-write call ran since boot), else 0." },
        { "fwctl_devices", "gauge", SOURCE_TOP, samples_count, "devices",
          "fwctl devices fwctld serves now." },
        { "fwctl_devices_added_total", "counter", SOURCE_TOP, samples_value, "devices_added",
          "fwctl devices fwctld started serving since it started (found at start and hotplugged)." },
        { "fwctl_devices_removed_total", "counter", SOURCE_TOP, samples_value, "devices_removed",
          "fwctl devices that went away since fwctld started." },
        { "fwctl_daemon_calls_in_progress", "gauge", SOURCE_TOP, samples_value, "calls_in_progress",
          "Calls not answered yet, all devices." },
        { "fwctl_daemon_calls_total", "counter", SOURCE_TOTAL, samples_list, "calls",
          "Rpc and Execute calls, all devices since fwctld started (removed ones included), by scope and result." },
        { "fwctl_daemon_denials_total", "counter", SOURCE_TOTAL, samples_list, "denials",
          "Calls refused before reaching a device, all devices since fwctld started, by reason." },
        { "fwctl_daemon_device_status_total", "counter", SOURCE_TOTAL, samples_list, "device_status",
          "Answers with a non-zero device status, all devices since fwctld started, by status name." },
        { "fwctl_daemon_bytes_received_total", "counter", SOURCE_TOTAL, samples_value, "bytes_in",
          "Request bytes received from callers, all devices since fwctld started." },
        { "fwctl_daemon_bytes_sent_total", "counter", SOURCE_TOTAL, samples_value, "bytes_out",
          "Response bytes sent to callers, all devices since fwctld started." },
        { "fwctl_daemon_call_duration_seconds", "histogram", SOURCE_TOTAL, samples_histogram, "latency_seconds",
          "Time from a call's arrival to its answer, all devices since fwctld started." },
        { "fwctl_daemon_last_error_timestamp_seconds", "gauge", SOURCE_TOTAL, samples_last_error, "last_error",
          "When the last failed call on any device was answered (Unix time), with its short D-Bus error name." },
};

static int device_source(json_object *dev, Source *ret) {
        size_t size = 0;
        _cleanup_(freep) char *labels = NULL;
        FILE *m;

        m = open_memstream(&labels, &size);
        if (!m)
                return -ENOMEM;
        fputs("device=\"", m);
        label_value(m, json_str(dev, "name"));
        fputs("\",type=\"", m);
        label_value(m, json_str(dev, "type"));
        fputs("\",pci_address=\"", m);
        label_value(m, json_str(dev, "pci_address"));
        fputc('"', m);
        if (fclose(m) != 0)
                return -ENOMEM;
        if (size >= sizeof(ret->labels))
                return -E2BIG;
        ret->counters = dev;
        memcpy(ret->labels, labels, size + 1);
        return 0;
}

/* One family: its samples first, into memory; HELP and TYPE only when it has any. */
static int render_family(FILE *out, json_object *doc, size_t i) {
        const Family *fam = &families[i];
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        if (fam->source == SOURCE_DEVICE) {
                json_object *devs = member(doc, "devices");
                size_t n = devs && json_object_is_type(devs, json_type_array) ? json_object_array_length(devs) : 0;

                for (size_t d = 0; d < n && r >= 0; d++) {
                        Source s;

                        r = device_source(json_object_array_get_idx(devs, d), &s);
                        if (r >= 0)
                                fam->samples(f, fam, &s);
                }
        } else {
                Source s = { .counters = fam->source == SOURCE_TOP ? doc : member(doc, "total") };

                if (s.counters)
                        fam->samples(f, fam, &s);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        if (size == 0)
                return 0;
        fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
        fwrite(buf, 1, size, out);
        return 0;
}

static int compare_devices(const void *a, const void *b) {
        json_object *const *x = a, *const *y = b;

        return strverscmp(json_str(*x, "name"), json_str(*y, "name"));
}

static int render_text(json_object *doc, char **ret, size_t *ret_size) {
        _cleanup_(freep) char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        /* devices in name order (fwctl2 before fwctl10), so two runs compare line by line */
        if (json_object_is_type(member(doc, "devices"), json_type_array))
                json_object_array_sort(member(doc, "devices"), compare_devices);
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(families) && r >= 0; i++)
                r = render_family(f, doc, i);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

/* ------------------------------------------------------------------ output */

static int get_metrics(sd_bus *bus, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *s;
        char *copy;
        int r;

        r = sd_bus_call_method(bus, FWCTL_BUS, FWCTL_MANAGER_PATH, FWCTL_MANAGER_IFACE, "GetMetrics", &error, &reply,
                               NULL);
        if (r < 0)
                return report_bus_error(&error, r, NULL);
        r = sd_bus_message_read(reply, "s", &s);
        if (r < 0)
                return report_errno(r, "Failed to parse the GetMetrics reply");
        copy = strdup(s);
        if (!copy)
                return report_errno(-ENOMEM, "Failed to read the metrics");
        *ret = copy;
        return 0;
}

/* The text, or with --json the daemon's document as it sent it (one line). */
static int metrics_output(const char *json, char **ret, size_t *ret_size) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        int version;

        if (arg_json) {
                if (asprintf(ret, "%s\n", json) < 0)
                        return report_errno(-ENOMEM, "Failed to format the metrics");
                *ret_size = strlen(*ret);
                return 0;
        }
        doc = json_tokener_parse(json);
        if (!doc || !json_object_is_type(doc, json_type_object))
                return report_error(-EBADMSG, EXIT_FAIL, "local", "fwctld's metrics are not a JSON object");
        version = json_object_get_int(member(doc, "version"));
        if (version != 1)
                return report_error(-EPROTO, EXIT_FAIL, "local",
                                    "Unknown metrics document version %d (this fwctlctl reads version 1)", version);
        version = render_text(doc, ret, ret_size);
        if (version < 0)
                return report_errno(version, "Failed to format the metrics");
        return 0;
}

int cmd_metrics(sd_bus *bus, int argc, char **argv) {
        _cleanup_(freep) char *json = NULL, *text = NULL;
        size_t size = 0;
        int r;

        r = get_metrics(bus, &json);
        if (r < 0)
                return r;
        r = metrics_output(json, &text, &size);
        if (r < 0)
                return r;

        if (arg_out) {
                r = write_atomic(arg_out, text, size);
                if (r < 0)
                        return report_errno(r, "Failed to write %s", arg_out);
                return 0;
        }
        if (fwrite(text, 1, size, stdout) != size || fflush(stdout) != 0)
                return report_errno(-EIO, "Failed to write the metrics");
        return 0;
}
