/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cockpit page for fwctld (org.freedesktop.fwctl1 on the system bus).
 * Plain JS on Cockpit's cockpit.js: no framework, no build step. Every string
 * that comes from the bus goes into the DOM through textContent only.
 */
(function () {
    "use strict";

    const BUS = "org.freedesktop.fwctl1";
    const MGR_PATH = "/org/freedesktop/fwctl1";
    const MGR_IFACE = "org.freedesktop.fwctl1.Manager";
    const DEV_IFACE = "org.freedesktop.fwctl1.Device";
    const DEV_PREFIX = "/org/freedesktop/fwctl1/device/";
    const SESSION_IFACE = "org.freedesktop.fwctl1.Session";
    const OM_IFACE = "org.freedesktop.DBus.ObjectManager";
    const PROPS_IFACE = "org.freedesktop.DBus.Properties";
    const CALL_TIMEOUT = 120000;
    const METRICS_INTERVAL = 5000; /* GetMetrics while the page is visible */

    const SCOPES = [
        { name: "configuration", label: "Configuration", write: false },
        { name: "debug-read-only", label: "Debug, read-only", write: false },
        { name: "debug-write", label: "Debug write", write: true },
        { name: "debug-write-full", label: "Debug write, full", write: true },
    ];

    /* A plain sentence for each error the daemon (or the bus) can return. */
    const ERRORS = {
        NotAuthorized: "You are not allowed to do this: the system's polkit policy refused the request for your user.",
        InteractiveAuthorizationRequired: "An administrator must authenticate for this, and this session cannot answer a password prompt. Turn on administrative access or ask for a polkit rule.",
        DeviceGone: "The device was removed or stopped answering while the request was in progress.",
        NoSuchDevice: "There is no such fwctl device (any more).",
        NoSuchOperation: "The device's plugin does not offer this operation.",
        InvalidArguments: "The parameters are not valid for this operation.",
        InvalidScope: "The scope must be 0 (configuration), 1 (debug read-only), 2 (debug write) or 3 (debug write, full).",
        ScopeTooLow: "The request needs a higher scope than the one it was sent with; nothing was sent to the device.",
        RequestRejected: "The device plugin refused the request: it is malformed or not allowed.",
        PayloadTooLarge: "The request or the response limit is larger than the device accepts.",
        NotSupported: "The device or its driver does not support this request.",
        Busy: "The device has too many requests queued; try again in a moment.",
        DeviceError: "The device or the kernel reported an error.",
        ServiceUnknown: "The fwctld service is not running and could not be started.",
        NameHasNoOwner: "The fwctld service is not running.",
        AccessDenied: "The system bus policy does not allow this call.",
        NoReply: "fwctld did not answer in time.",
        Timeout: "fwctld did not answer in time.",
        UnknownMethod: "This version of fwctld does not have that method.",
        UnknownObject: "The device is no longer published on the bus.",
    };

    const client = cockpit.dbus(BUS, { bus: "system" });

    const devices = new Map(); /* name -> { path, props } */
    let manager = { Version: "", KernelTainted: false, Plugins: [] };
    let current = null; /* name of the device in the detail view */
    let detailSeq = 0;
    let owner; /* undefined: not known yet */
    /* Manager.GetMetrics(): the last document, when it was read, and whether fwctld has it. */
    let metrics = null;
    let metricsTime = null;
    let metricsSupported = true;
    let metricsTimer = null;
    let metricsPending = null;
    let metricsSeq = 0;
    /* Authorised sessions (Device.OpenSession) of the device in the detail view, one per
     * scope, by "devicePath|scope": { devPath, scope, state: "opening" | "open" | "refused",
     * opening (Promise of the path or null), path, expires (µs, CLOCK_REALTIME), timer, error }. */
    const sessions = new Map();

    /* ------------------------------------------------------------ helpers */

    const $ = id => document.getElementById(id);

    function el(tag, attrs, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (v === undefined || v === null || v === false)
                continue;
            if (k === "class")
                e.className = v;
            else if (k === "text")
                e.textContent = v;
            else if (k.startsWith("on"))
                e.addEventListener(k.substring(2), v);
            else
                e.setAttribute(k, v === true ? "" : v);
        }
        for (const c of children) {
            if (c === null || c === undefined || c === false)
                continue;
            e.append(typeof c === "string" ? document.createTextNode(c) : c);
        }
        return e;
    }

    function unvariant(v) {
        return (v && typeof v === "object" && "v" in v && "t" in v) ? v.v : v;
    }

    function nameCompare(a, b) {
        return a.localeCompare(b, undefined, { numeric: true });
    }

    function scopeText(s) {
        const sc = SCOPES[s];
        return sc ? `${s} · ${sc.name}` : String(s);
    }

    function scopeBadge(s) {
        const sc = SCOPES[s];
        return el("span", {
            class: "fw-badge " + (sc && sc.write ? "fw-badge-write" : "fw-badge-read"),
            title: sc && sc.write ? "Writes to the device; taints the kernel" : "Read-only",
            text: scopeText(s),
        });
    }

    function b64ToBytes(s) {
        const bin = atob(s || "");
        const out = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++)
            out[i] = bin.charCodeAt(i);
        return out;
    }

    function bytesToB64(bytes) {
        let s = "";
        for (const b of bytes)
            s += String.fromCharCode(b);
        return btoa(s);
    }

    function hexDump(bytes) {
        const lines = [];
        for (let off = 0; off < bytes.length; off += 16) {
            const row = Array.from(bytes.slice(off, off + 16));
            lines.push(off.toString(16).padStart(6, "0") + "  " +
                       row.map(b => b.toString(16).padStart(2, "0")).join(" ").padEnd(48) + "  " +
                       row.map(b => (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : ".").join(""));
        }
        return lines.join("\n");
    }

    /* An error box: the D-Bus error name plus a plain sentence. */
    function errorBox(ex, what) {
        const full = (ex && ex.name) || (ex && ex.problem ? "cockpit." + ex.problem : "Error");
        const short = full.substring(full.lastIndexOf(".") + 1);
        let sentence = ERRORS[short];
        if (!sentence && ex && ex.problem === "access-denied")
            sentence = "Cockpit was not allowed to talk to the system bus.";
        if (!sentence)
            sentence = "The call failed.";
        const box = el("div", { class: "fw-alert fw-alert-danger fw-error", role: "alert", "data-error": full },
                       el("div", { class: "fw-error-title" },
                          el("strong", { text: (what ? what + " failed: " : "") + sentence })),
                       el("div", { class: "fw-error-name" }, el("code", { text: full })));
        if (ex && ex.message && ex.message !== full)
            box.append(el("div", { class: "fw-error-message", text: ex.message }));
        return box;
    }

    /* Renders parsed JSON as nested key/value tables, the raw text below. */
    function renderValue(v, depth) {
        if (v === null)
            return el("span", { class: "fw-json-null", text: "null" });
        if (typeof v === "boolean")
            return el("span", { class: "fw-json-bool", text: v ? "yes" : "no" });
        if (typeof v === "number")
            return el("span", { class: "fw-json-num", text: String(v) });
        if (typeof v === "string")
            return el("span", { class: "fw-json-str", text: v });
        if (Array.isArray(v)) {
            if (v.length === 0)
                return el("span", { class: "fw-muted", text: "(none)" });
            if (v.every(x => x === null || typeof x !== "object"))
                return el("span", { class: "fw-json-list", text: v.map(x => String(x)).join(", ") });
            if (depth > 4)
                return el("code", { text: JSON.stringify(v) });
            const ol = el("ol", { class: "fw-json-array", start: "0" });
            for (const x of v)
                ol.append(el("li", {}, renderValue(x, depth + 1)));
            return ol;
        }
        if (depth > 4)
            return el("code", { text: JSON.stringify(v) });
        const keys = Object.keys(v);
        if (keys.length === 0)
            return el("span", { class: "fw-muted", text: "(empty)" });
        const tbody = el("tbody");
        for (const k of keys)
            tbody.append(el("tr", {}, el("th", { scope: "row", text: k }), el("td", {}, renderValue(v[k], depth + 1))));
        return el("table", { class: "fw-kv" }, tbody);
    }

    function renderJson(text, label) {
        const wrap = el("div", { class: "fw-json" });
        let parsed;
        try {
            parsed = JSON.parse(text);
        } catch (e) {
            wrap.append(el("p", { class: "fw-muted", text: label + " is not valid JSON; shown as sent." }),
                        el("pre", { class: "fw-pre", text }));
            return wrap;
        }
        wrap.append(renderValue(parsed, 0));
        wrap.append(el("details", { class: "fw-raw" },
                       el("summary", { text: "Raw JSON" }),
                       el("pre", { class: "fw-pre fw-raw-json", text: JSON.stringify(parsed, null, 2) })));
        return wrap;
    }

    /* Confirmation for scopes 2 and 3; resolves true only on an explicit "run". */
    function confirmWrite(scope, what, devName) {
        const dlg = $("confirm-dialog");
        const sc = SCOPES[scope] || { name: String(scope) };
        $("confirm-title").textContent = `Run ${what} at scope ${scope} (${sc.name})?`;
        $("confirm-text").textContent =
            `Scope ${scope} (${sc.name}) lets the firmware of ${devName} change device state. ` +
            "Running it taints the kernel (TAINT_FWCTL) until the next reboot, which support teams treat as a modified system.";
        $("confirm-run").textContent = `Run at scope ${scope} and taint the kernel`;
        return new Promise(resolve => {
            dlg.addEventListener("close", () => resolve(dlg.returnValue === "run"), { once: true });
            dlg.returnValue = "";
            dlg.showModal();
            $("confirm-cancel").focus();
        });
    }

    /* ------------------------------------------------------------ authorised sessions */

    /* In the detail view the user makes several calls to one device: each scope-0/1 call
     * goes through a session of that device and scope (one polkit check for all of them),
     * opened at the first such call, reopened once when it has ended (idle, expired,
     * fwctld reloaded), closed when the user leaves the device or the page. Scopes 2 and
     * 3 taint the kernel: fwctld has no sessions for them, each call keeps its own check.
     * When fwctld refuses a session (polkit, an older fwctld) the calls go one by one. */
    const sessionKey = (devPath, scope) => `${devPath}|${scope}`;
    const errorIs = (ex, name) => !!(ex && typeof ex.name === "string" && ex.name.endsWith("." + name));

    function sessionForget(s) {
        clearTimeout(s.timer);
        s.timer = null;
        if (sessions.get(sessionKey(s.devPath, s.scope)) === s)
            sessions.delete(sessionKey(s.devPath, s.scope));
    }

    /* Close every session of DEVPATH (all of them without), or only forget them when
     * fwctld already ended them (device removed, fwctld restarted). */
    function closeSessions(devPath, closeOnBus) {
        let changed = false;
        for (const s of Array.from(sessions.values())) {
            if (devPath && s.devPath !== devPath)
                continue;
            sessionForget(s);
            changed = true;
            if (closeOnBus && s.state === "open")
                client.call(s.path, SESSION_IFACE, "Close", [], { type: "" }).catch(() => {});
            /* "opening": the answer sees it was dropped and closes the session */
        }
        if (changed)
            renderSessions();
    }

    /* Expires moves with every call (idle limit): read it again, and forget the session
     * when that time passes without a call. */
    function sessionReadExpires(s) {
        client.call(s.path, PROPS_IFACE, "Get", [SESSION_IFACE, "Expires"], { type: "ss" })
                .then(([v]) => {
                    if (sessions.get(sessionKey(s.devPath, s.scope)) !== s)
                        return;
                    s.expires = Number(unvariant(v)) || 0;
                    clearTimeout(s.timer);
                    if (s.expires)
                        s.timer = setTimeout(() => { sessionForget(s); renderSessions() },
                                             Math.max(0, s.expires / 1000 - Date.now()) + 1000);
                    renderSessions();
                })
                .catch(() => {});
    }

    /* The session of DEVPATH at SCOPE, opened on first use: resolves to its path, or to
     * null when there is none to use (refused: the caller makes the call on its own). */
    function sessionPath(devPath, scope) {
        const key = sessionKey(devPath, scope);
        let s = sessions.get(key);
        if (s)
            return s.state === "open" ? Promise.resolve(s.path) : s.state === "refused" ? Promise.resolve(null) : s.opening;
        s = { devPath, scope, state: "opening", opening: null, path: null, expires: 0, timer: null, error: null };
        sessions.set(key, s);
        renderSessions();
        s.opening = client.call(devPath, DEV_IFACE, "OpenSession",
                                [scope, { configuration_write: cockpit.variant("b", false) }],
                                { type: "ua{sv}", timeout: CALL_TIMEOUT })
                .then(([path]) => {
                    if (sessions.get(key) !== s) {
                        /* the user left the device meanwhile */
                        client.call(path, SESSION_IFACE, "Close", [], { type: "" }).catch(() => {});
                        return null;
                    }
                    s.state = "open";
                    s.path = path;
                    sessionReadExpires(s);
                    renderSessions();
                    return path;
                })
                .catch(ex => {
                    if (sessions.get(key) === s) {
                        /* Busy (the per-user limit) may pass: ask again next time; anything else
                         * (NotAuthorized, no OpenSession in this fwctld...) holds for this visit. */
                        if (errorIs(ex, "Busy") || errorIs(ex, "NoReply") || errorIs(ex, "Timeout")) {
                            sessionForget(s);
                        } else {
                            s.state = "refused";
                            s.error = ex;
                        }
                        renderSessions();
                    }
                    return null;
                });
        return s.opening;
    }

    /* A call that ended with the session, not one the session refused. */
    const sessionEnded = ex => errorIs(ex, "UnknownObject");

    /* METHOD ("Execute" or "Rpc") on the device at SCOPE. ARGS are the Session method's
     * arguments (Device.Rpc takes the scope first). At scope 0/1 in the device's session,
     * reopened once if it ended; on its own when there is no session, or when the
     * session does not cover the call (NotAuthorized: a write; ScopeTooLow: an Execute
     * whose scope the plugin raised from its parameters; nothing ran), so polkit decides
     * that call by itself;
     * with READONLY (Run all read-only) that refusal stands instead. */
    async function deviceCall(devPath, scope, method, args, readOnly) {
        const types = { Execute: ["ss", "ss"], Rpc: ["ayu", "uayu"] }[method];
        if (scope === 0 || scope === 1) {
            for (let attempt = 0; attempt < 2; attempt++) {
                const path = await sessionPath(devPath, scope);
                if (!path)
                    break;
                try {
                    const reply = await client.call(path, SESSION_IFACE, method, args,
                                                    { type: types[0], timeout: CALL_TIMEOUT });
                    const s = sessions.get(sessionKey(devPath, scope));
                    if (s && s.path === path)
                        sessionReadExpires(s);
                    return reply;
                } catch (ex) {
                    const s = sessions.get(sessionKey(devPath, scope));
                    if (sessionEnded(ex)) {
                        if (s && s.path === path) {
                            sessionForget(s);
                            renderSessions();
                        }
                        continue;
                    }
                    const notCovered = errorIs(ex, "NotAuthorized") ||
                                       (method === "Execute" && errorIs(ex, "ScopeTooLow"));
                    if (!notCovered || readOnly)
                        throw ex;
                    break;
                }
            }
        }
        return client.call(devPath, DEV_IFACE, method, method === "Rpc" ? [scope, ...args] : args,
                           { type: types[1], timeout: CALL_TIMEOUT });
    }

    function clockText(usec) {
        const d = new Date(Number(usec) / 1000);
        return isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }

    /* The detail view's line about sessions: which are open and until when. */
    function renderSessions() {
        const box = $("detail-session");
        if (!box)
            return;
        const dev = current ? devices.get(current) : null;
        const list = Array.from(sessions.values())
                .filter(s => dev && s.devPath === dev.path && s.state !== "opening")
                .sort((a, b) => a.scope - b.scope);
        box.replaceChildren();
        for (const s of list) {
            const sc = SCOPES[s.scope] || { name: String(s.scope) };
            if (s.state === "open") {
                box.append(el("div", { class: "fw-session fw-session-open", "data-scope": String(s.scope),
                                       "data-state": "open", "data-path": s.path,
                                       title: `${s.path}: calls at scope ${s.scope} need no further check. ` +
                                              "It ends after 5 minutes without a call, when you leave this device, or when fwctld reloads." },
                                   el("span", { class: "fw-session-dot", "aria-hidden": "true" }),
                                   el("span", { text: `Authorised for ${sc.name}` +
                                                      (s.expires ? ` until ${clockText(s.expires)}` : "") }),
                                   el("button", { type: "button", class: "fw-btn fw-btn-link fw-session-close",
                                                  "data-scope": String(s.scope), text: "End",
                                                  onclick: () => closeSession(s) })));
            } else {
                const name = (s.error && s.error.name) || "";
                box.append(el("div", { class: "fw-session fw-session-refused fw-muted", "data-scope": String(s.scope),
                                       "data-state": "refused", "data-error": name,
                                       text: `No authorised session for ${sc.name}` +
                                             (name ? ` (${shortError(name)})` : "") +
                                             ": each call is authorised on its own." }));
            }
        }
        box.hidden = list.length === 0;
    }

    function closeSession(s) {
        sessionForget(s);
        if (s.state === "open")
            client.call(s.path, SESSION_IFACE, "Close", [], { type: "" }).catch(() => {});
        renderSessions();
    }

    /* ------------------------------------------------------------ manager */

    function setServiceError(ex) {
        const box = $("service-error");
        box.replaceChildren();
        if (!ex) {
            box.hidden = true;
            return;
        }
        box.append(errorBox(ex, "Talking to fwctld"));
        box.hidden = false;
    }

    function renderTaint() {
        $("taint-banner").hidden = !manager.KernelTainted;
        document.body.dataset.tainted = manager.KernelTainted ? "true" : "false";
    }

    function renderDaemonInfo() {
        const plugins = (manager.Plugins || []).map(p => p[0]).filter(Boolean);
        $("daemon-info").textContent = manager.Version
            ? `fwctld ${manager.Version}` + (plugins.length ? ` · plugins: ${plugins.join(", ")}` : "") +
              ` · kernel ${manager.KernelTainted ? "tainted by fwctl" : "not tainted"}`
            : "";
    }

    function updateManager(changed) {
        for (const [k, v] of Object.entries(changed))
            manager[k] = unvariant(v);
        renderTaint();
        renderDaemonInfo();
    }

    /* ------------------------------------------------------------ health (GetMetrics) */

    /* The counters of one device (by kernel name) from the last document, or null. */
    function deviceMetrics(name) {
        if (!metrics || !Array.isArray(metrics.devices))
            return null;
        return metrics.devices.find(d => d.name === name) || null;
    }

    const sum = list => (list || []).reduce((a, e) => a + (Number(e.count) || 0), 0);

    /* calls, failed calls (any result but ok), and the failed ones by error name */
    function callSummary(m) {
        const calls = sum(m.calls);
        const failed = (m.calls || []).filter(c => c.result !== "ok");
        const byName = {};
        for (const c of failed)
            byName[c.result] = (byName[c.result] || 0) + (Number(c.count) || 0);
        return { calls, errors: sum(failed), byName };
    }

    function shortError(name) {
        return String(name || "").substring(String(name || "").lastIndexOf(".") + 1);
    }

    function timeText(usec) {
        const d = new Date(Number(usec) / 1000);
        return isNaN(d.getTime()) ? "" : d.toLocaleString();
    }

    function countsText(obj) {
        const e = Object.entries(obj);
        return e.length ? e.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
    }

    /* The list's health cells of one device. */
    function healthCells(name) {
        const m = deviceMetrics(name);
        if (!m)
            return [el("td", { class: "fw-num fw-muted", text: "—" }), el("td", { class: "fw-num fw-muted", text: "—" }),
                    el("td", { class: "fw-num fw-muted", text: "—" })];
        const s = callSummary(m);
        const last = m.last_error ? shortError(m.last_error.name) : null;
        return [
            el("td", { class: "fw-num fw-health-calls", "data-calls": String(s.calls), text: String(s.calls) }),
            el("td", { class: "fw-num fw-health-errors", "data-errors": String(s.errors),
                       title: last ? `Last error: ${last} (${timeText(m.last_error.time_usec)})` : null },
               el("span", { class: s.errors ? "fw-count-bad" : null, text: String(s.errors) }),
               last ? el("span", { class: "fw-muted fw-last-error-short", text: ` · ${last}` }) : null),
            el("td", { class: "fw-num fw-health-queue", "data-queue": String(m.queue_depth || 0),
                       text: String(m.queue_depth || 0) }),
        ];
    }

    /* Only the health cells of the list's rows: no re-render under the pointer. */
    function renderHealthCells() {
        for (const tr of $("device-rows").querySelectorAll("tr[data-device]")) {
            const cells = tr.querySelectorAll("td.fw-num");
            const fresh = healthCells(tr.dataset.device);
            cells.forEach((td, i) => td.replaceWith(fresh[i]));
        }
    }

    function healthRow(dl, key, label, value, extra) {
        dl.append(el("dt", { text: label }), el("dd", { "data-metric": key }, value, extra || null));
    }

    /* The detail view's Health card, from the last document. */
    function renderHealth() {
        const box = $("detail-health");
        if (!box || !current)
            return;
        const m = deviceMetrics(current);
        box.replaceChildren();
        if (!metricsSupported) {
            box.append(el("p", { class: "fw-muted", text: "This version of fwctld keeps no counters (no GetMetrics)." }));
            return;
        }
        if (!m) {
            box.append(el("p", { class: "fw-muted", text: metrics ? "No counters for this device." : "Loading…" }));
            return;
        }
        const s = callSummary(m);
        const dl = el("dl", { class: "fw-dl fw-health" });
        const lat = m.latency_seconds || {};
        const avg = lat.count ? `${(1000 * lat.sum / lat.count).toFixed(2)} ms average over ${lat.count}` : "no call yet";
        healthRow(dl, "calls", "Calls", `${s.calls}`,
                  s.calls ? el("span", { class: "fw-muted", text: ` (ok ${s.calls - s.errors})` }) : null);
        healthRow(dl, "errors", "Errors", el("span", { class: s.errors ? "fw-count-bad" : null, text: String(s.errors) }),
                  s.errors ? el("span", { class: "fw-muted", text: ` · ${countsText(s.byName)}` }) : null);
        const denials = {};
        for (const d of m.denials || [])
            denials[d.reason] = d.count;
        healthRow(dl, "denials", "Refused", countsText(denials));
        const statuses = {};
        for (const d of m.device_status || [])
            statuses[d.name] = d.count;
        healthRow(dl, "device_status", "Device status errors", countsText(statuses));
        if (m.last_error) {
            healthRow(dl, "last_error", "Last error",
                      el("code", { class: "fw-last-error-name", text: shortError(m.last_error.name) }),
                      el("div", { class: "fw-muted fw-last-error-detail",
                                  text: `${timeText(m.last_error.time_usec)}${m.last_error.message ? " — " + m.last_error.message : ""}` }));
        } else {
            healthRow(dl, "last_error", "Last error", "none");
        }
        healthRow(dl, "queue_depth", "Queue depth", String(m.queue_depth || 0),
                  el("span", { class: "fw-muted", text: ` (${m.calls_in_progress || 0} in progress)` }));
        healthRow(dl, "latency", "Latency", avg);
        healthRow(dl, "bytes", "Data", `${m.bytes_in || 0} bytes received, ${m.bytes_out || 0} sent`);
        healthRow(dl, "kernel_tainted", "Kernel",
                  el("span", { class: metrics.kernel_tainted ? "fw-count-bad" : null,
                               text: metrics.kernel_tainted ? "tainted by fwctl (TAINT_FWCTL)" : "not tainted" }));
        box.append(dl, el("p", { class: "fw-muted fw-health-updated",
                                 text: `Counters since fwctld started · updated ${metricsTime ? metricsTime.toLocaleTimeString() : ""}` }));
    }

    /* One GetMetrics (at most one in flight; a request while one runs is served by it). */
    function refreshMetrics() {
        if (!metricsSupported)
            return Promise.resolve();
        if (metricsPending)
            return metricsPending;
        metricsPending = client.call(MGR_PATH, MGR_IFACE, "GetMetrics", [], { type: "" })
                .then(([json]) => {
                    metrics = JSON.parse(json);
                    metricsTime = new Date();
                    if (typeof metrics.kernel_tainted === "boolean" && metrics.kernel_tainted !== manager.KernelTainted)
                        updateManager({ KernelTainted: metrics.kernel_tainted });
                })
                .catch(ex => {
                    /* an older fwctld: no health, no polling; anything else: try again later */
                    if (ex && ex.name === "org.freedesktop.DBus.Error.UnknownMethod")
                        metricsSupported = false;
                    metrics = null;
                })
                .finally(() => {
                    metricsPending = null;
                    metricsSeq++;
                    renderHealthCells();
                    renderHealth();
                    document.body.dataset.metricsSeq = String(metricsSeq);
                });
        return metricsPending;
    }

    /* Poll only while the page is shown: cockpit.hidden follows both the browser tab and
     * the shell (which hides the frames of pages not on screen). */
    function scheduleMetrics(now) {
        clearInterval(metricsTimer);
        metricsTimer = null;
        if (cockpit.hidden || !metricsSupported)
            return;
        metricsTimer = setInterval(refreshMetrics, METRICS_INTERVAL);
        if (now)
            refreshMetrics();
    }

    /* ------------------------------------------------------------ device list */

    function deviceAdded(path, ifaces) {
        if (!path.startsWith(DEV_PREFIX) || !ifaces[DEV_IFACE])
            return;
        const props = {};
        for (const [k, v] of Object.entries(ifaces[DEV_IFACE]))
            props[k] = unvariant(v);
        const name = props.Name || path.substring(DEV_PREFIX.length);
        devices.set(name, { path, props });
        renderList();
        if (current === name)
            showDetail(name);
        if (document.body.dataset.loaded === "true")
            refreshMetrics();
    }

    function deviceRemoved(path, ifaces) {
        if (!path.startsWith(DEV_PREFIX) || (ifaces && ifaces.indexOf(DEV_IFACE) < 0))
            return;
        for (const [name, d] of devices) {
            if (d.path !== path)
                continue;
            devices.delete(name);
            closeSessions(path, false);
            if (current === name)
                markDetailGone(name);
        }
        renderList();
    }

    function renderList() {
        const rows = $("device-rows");
        const names = Array.from(devices.keys()).sort(nameCompare);
        rows.replaceChildren();
        for (const name of names) {
            const p = devices.get(name).props;
            const tr = el("tr", { "data-device": name, tabindex: "0", class: "fw-row-link",
                                  onclick: () => cockpit.location.go([name]),
                                  onkeydown: ev => { if (ev.key === "Enter") cockpit.location.go([name]) } },
                          el("td", {}, el("a", { href: "#/" + encodeURIComponent(name), class: "fw-device-link", text: name })),
                          el("td", {}, el("span", { class: "fw-type fw-type-" + (p.DeviceTypeName || "unknown"), text: p.DeviceTypeName || "unknown" })),
                          el("td", { text: p.Driver || "—" }),
                          el("td", { class: "fw-mono", text: p.PciAddress || "—" }),
                          el("td", { text: p.Plugin || "—" }),
                          el("td", { class: "fw-mono", text: p.DeviceNode || "" }),
                          ...healthCells(name));
            rows.append(tr);
        }
        $("device-table").hidden = names.length === 0;
        $("device-empty").hidden = names.length !== 0;
        $("list-count").textContent = names.length === 1 ? "1 device" : `${names.length} devices`;
        document.body.dataset.devices = names.join(" ");
    }

    function loadAll() {
        return Promise.all([
            client.call(MGR_PATH, PROPS_IFACE, "GetAll", [MGR_IFACE], { type: "s" })
                    .then(([props]) => updateManager(props)),
            client.call(MGR_PATH, OM_IFACE, "GetManagedObjects", [], { type: "" })
                    .then(([objects]) => {
                        devices.clear();
                        for (const [path, ifaces] of Object.entries(objects))
                            deviceAdded(path, ifaces);
                        renderList();
                    }),
        ]).then(() => {
            setServiceError(null);
            return refreshMetrics();
        }).catch(ex => {
            devices.clear();
            renderList();
            setServiceError(ex);
        }).finally(() => {
            document.body.dataset.loaded = "true";
            route();
        });
    }

    /* ------------------------------------------------------------ detail */

    function propRow(dl, label, value, mono) {
        dl.append(el("dt", { text: label }), el("dd", { class: mono ? "fw-mono" : null, text: value || "—" }));
    }

    function markDetailGone(name) {
        const box = $("detail-gone");
        box.textContent = `${name} was removed. Its operations are no longer available.`;
        box.hidden = false;
        document.querySelectorAll("#detail-view button, #detail-view input, #detail-view select")
                .forEach(e => { e.disabled = true });
        $("detail-view").dataset.gone = "true";
    }

    function showDetail(name) {
        const seq = ++detailSeq;
        const dev = devices.get(name);
        const view = $("detail-view");
        current = name;
        view.dataset.loaded = "false";
        delete view.dataset.gone;
        $("detail-title").textContent = name;
        $("detail-gone").hidden = true;
        $("detail-props").replaceChildren();
        $("detail-info").replaceChildren(el("p", { class: "fw-muted", text: "Loading…" }));
        $("detail-ops").replaceChildren();
        $("rpc-output").replaceChildren();
        $("ops-run-all").hidden = true;
        renderHealth();
        renderSessions();
        document.querySelectorAll("#detail-view button, #detail-view input, #detail-view select")
                .forEach(e => { e.disabled = false });
        $("list-view").hidden = true;
        view.hidden = false;

        if (!dev) {
            markDetailGone(name);
            $("detail-info").replaceChildren();
            view.dataset.loaded = "true";
            return;
        }

        const p = dev.props;
        const dl = $("detail-props");
        propRow(dl, "Name", p.Name);
        propRow(dl, "Type", `${p.DeviceTypeName || "unknown"} (${p.DeviceType})`);
        propRow(dl, "Driver", p.Driver);
        propRow(dl, "Plugin", p.Plugin);
        propRow(dl, "PCI address", p.PciAddress, true);
        propRow(dl, "Device node", p.DeviceNode, true);
        propRow(dl, "Parent", p.Parent, true);
        propRow(dl, "Object path", dev.path, true);

        const info = client.call(dev.path, DEV_IFACE, "Info", [], { type: "" })
                .then(([type, data, json]) => {
                    if (seq !== detailSeq)
                        return;
                    const bytes = b64ToBytes(data);
                    const box = $("detail-info");
                    box.replaceChildren(renderJson(json, "The device information"));
                    box.append(el("details", { class: "fw-raw" },
                                  el("summary", { text: `Raw FWCTL_INFO data (${bytes.length} bytes, type ${type})` }),
                                  el("pre", { class: "fw-pre", text: bytes.length ? hexDump(bytes) : "(empty)" })));
                })
                .catch(ex => {
                    if (seq === detailSeq)
                        $("detail-info").replaceChildren(errorBox(ex, "Reading the device information"));
                });

        const ops = client.call(dev.path, DEV_IFACE, "ListOperations", [], { type: "" })
                .then(([list]) => {
                    if (seq === detailSeq)
                        renderOperations(name, dev.path, list);
                })
                .catch(ex => {
                    if (seq === detailSeq)
                        $("detail-ops").replaceChildren(errorBox(ex, "Listing the operations"));
                });

        Promise.all([info, ops]).finally(() => {
            if (seq === detailSeq)
                view.dataset.loaded = "true";
        });
    }

    function renderOperations(name, path, list) {
        const box = $("detail-ops");
        box.replaceChildren();
        if (!list.length) {
            box.append(el("p", { class: "fw-empty", id: "ops-empty" },
                          `The ${devices.get(name) ? devices.get(name).props.Plugin || "generic" : "generic"} plugin offers no named operations for ${name}. ` +
                          "Raw requests in the device's own format can still be sent below."));
            return;
        }
        list = list.slice().sort((a, b) => a[2] - b[2] || nameCompare(a[0], b[0]));
        const reads = [];
        const tbody = el("tbody");
        for (const [op, desc, scope] of list) {
            const sc = SCOPES[scope] || { write: true, name: String(scope) };
            const params = el("input", { type: "text", class: "fw-params fw-mono", value: "{}", spellcheck: "false",
                                         "aria-label": `Parameters for ${op} (JSON)` });
            const out = el("div", { class: "fw-op-output" });
            const btn = el("button", { type: "button", class: "fw-btn " + (sc.write ? "fw-btn-danger-outline" : "fw-btn-primary"),
                                       "data-op": op, text: sc.write ? "Run…" : "Run" });
            btn.addEventListener("click", () => runOperation(name, path, op, scope, params, btn, out, false));
            if (scope === 0 || scope === 1)
                reads.push(() => runOperation(name, path, op, scope, params, btn, out, true));
            tbody.append(el("tr", { "data-op": op, "data-scope": String(scope) },
                            el("td", {}, el("code", { class: "fw-op-name", text: op }),
                               el("div", { class: "fw-muted fw-op-desc", text: desc })),
                            el("td", {}, scopeBadge(scope)),
                            el("td", { class: "fw-op-params" }, params),
                            el("td", { class: "fw-op-actions" }, btn)));
            tbody.append(el("tr", { class: "fw-op-result-row", "data-result-for": op }, el("td", { colspan: "4" }, out)));
        }
        box.append(el("table", { class: "fw-table fw-ops" },
                      el("thead", {}, el("tr", {}, el("th", { text: "Operation" }), el("th", { text: "Minimum scope" }),
                                         el("th", { text: "Parameters (JSON)" }), el("th"))),
                      tbody));
        const all = $("ops-run-all");
        all.hidden = reads.length === 0;
        all.disabled = false;
        all.onclick = () => runAllReads(name, reads, all);
    }

    /* Every scope-0/1 operation with its parameters, one after the other: several calls,
     * so they share the device's sessions (one authorisation per scope). */
    async function runAllReads(name, reads, btn) {
        const seq = detailSeq;
        btn.disabled = true;
        $("detail-ops").dataset.runAll = "running";
        for (const run of reads) {
            if (seq !== detailSeq || !devices.has(name))
                break;
            await run();
        }
        if (seq === detailSeq) {
            btn.disabled = !devices.has(name);
            $("detail-ops").dataset.runAll = "done";
        }
    }

    async function runOperation(name, path, op, scope, paramsInput, btn, out, readOnly) {
        let params = paramsInput.value.trim() || "{}";
        try {
            params = JSON.stringify(JSON.parse(params));
        } catch (e) {
            out.replaceChildren(errorBox({ name: "InvalidArguments", message: "The parameters are not valid JSON: " + e.message }));
            out.dataset.state = "error";
            return;
        }
        if (SCOPES[scope] === undefined || SCOPES[scope].write) {
            if (!await confirmWrite(scope, `“${op}”`, name)) {
                out.replaceChildren(el("p", { class: "fw-muted", text: "Cancelled; nothing was sent." }));
                return;
            }
        }
        btn.disabled = true;
        out.dataset.state = "running";
        out.replaceChildren(el("p", { class: "fw-muted", text: `Running ${op}…` }));
        const started = performance.now();
        try {
            const [result] = await deviceCall(path, scope, "Execute", [op, params], readOnly);
            const ms = Math.round(performance.now() - started);
            out.replaceChildren(el("div", { class: "fw-result-head" },
                                   el("strong", { text: `${op}` }), ` finished in ${ms} ms`),
                                renderJson(result, "The result"));
            out.dataset.state = "done";
        } catch (ex) {
            out.replaceChildren(errorBox(ex, op));
            out.dataset.state = "error";
        } finally {
            btn.disabled = !devices.has(name);
            refreshMetrics();
        }
    }

    async function runRpc(ev) {
        ev.preventDefault();
        const name = current;
        const dev = devices.get(name);
        const out = $("rpc-output");
        if (!dev)
            return;
        const scope = parseInt($("rpc-scope").value, 10);
        const hex = $("rpc-request").value.replace(/0x/gi, "").replace(/[\s:,]/g, "");
        const max = parseInt($("rpc-max").value, 10) || 0;
        if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
            out.replaceChildren(errorBox({ name: "InvalidArguments", message: "The request must be an even number of hex digits." }));
            return;
        }
        const bytes = new Uint8Array(hex.length / 2);
        for (let i = 0; i < bytes.length; i++)
            bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
        if (SCOPES[scope].write && !await confirmWrite(scope, "this raw request", name)) {
            out.replaceChildren(el("p", { class: "fw-muted", text: "Cancelled; nothing was sent." }));
            return;
        }
        out.dataset.state = "running";
        out.replaceChildren(el("p", { class: "fw-muted", text: "Sending…" }));
        try {
            const [resp, result] = await deviceCall(dev.path, scope, "Rpc", [bytesToB64(bytes), max]);
            const r = {};
            for (const [k, v] of Object.entries(result))
                r[k] = unvariant(v);
            const rb = b64ToBytes(resp);
            out.replaceChildren(el("div", { class: "fw-result-head" },
                                   el("strong", { text: `Scope ${scope} request` }), ` to ${name}: ${rb.length} response bytes`),
                                renderValue(r, 0),
                                el("pre", { class: "fw-pre fw-hex", text: rb.length ? hexDump(rb) : "(empty response)" }));
            out.dataset.state = "done";
        } catch (ex) {
            out.replaceChildren(errorBox(ex, "The request"));
            out.dataset.state = "error";
        }
        refreshMetrics();
    }

    /* ------------------------------------------------------------ routing */

    /* Sessions belong to the device in view: leaving it (for the list or another
     * device) ends them. */
    function leaveDevice(next) {
        const keep = next && devices.get(next) ? devices.get(next).path : null;
        for (const s of Array.from(sessions.values()))
            if (s.devPath !== keep)
                closeSession(s);
    }

    function route() {
        const path = cockpit.location.path;
        if (path.length > 0 && path[0]) {
            if (current !== path[0])
                leaveDevice(path[0]);
            if (current !== path[0] || $("detail-view").hidden)
                showDetail(path[0]);
        } else {
            leaveDevice(null);
            current = null;
            detailSeq++;
            $("detail-view").hidden = true;
            $("list-view").hidden = false;
        }
    }

    /* ------------------------------------------------------------ start */

    function init() {
        $("rpc-form").addEventListener("submit", runRpc);
        $("back-link").addEventListener("click", ev => { ev.preventDefault(); cockpit.location.go([]) });
        cockpit.addEventListener("locationchanged", route);

        /* Subscribe before the first GetManagedObjects so no hotplug is missed. */
        client.subscribe({ path: MGR_PATH, interface: OM_IFACE }, (path, iface, signal, args) => {
            if (signal === "InterfacesAdded")
                deviceAdded(args[0], args[1]);
            else if (signal === "InterfacesRemoved")
                deviceRemoved(args[0], args[1]);
        });
        client.subscribe({ path: MGR_PATH, interface: PROPS_IFACE, member: "PropertiesChanged" }, (path, iface, signal, args) => {
            if (args[0] !== MGR_IFACE)
                return;
            updateManager(args[1] || {});
            if ((args[2] || []).indexOf("KernelTainted") >= 0)
                client.call(MGR_PATH, PROPS_IFACE, "Get", [MGR_IFACE, "KernelTainted"], { type: "ss" })
                        .then(([v]) => updateManager({ KernelTainted: v }))
                        .catch(() => {});
        });
        /* fwctld restarted or stopped: reload, or say so. */
        client.addEventListener("owner", (ev, o) => {
            const was = owner;
            owner = o;
            if (was === undefined || was === o)
                return;
            closeSessions(null, false); /* they ended with the old fwctld */
            if (o)
                loadAll();
            else
                setServiceError({ name: BUS + ".NameHasNoOwner", message: "fwctld stopped; the list updates when it is back." });
        });
        client.addEventListener("close", (ev, options) => {
            setServiceError({ name: "cockpit." + (options.problem || "disconnected"), problem: options.problem,
                              message: "The connection to the system bus was closed." });
        });

        cockpit.addEventListener("visibilitychange", () => {
            /* the shell hid this page (another page chosen) or the tab: end the sessions;
             * they reopen at the next call */
            if (cockpit.hidden)
                closeSessions(null, true);
            scheduleMetrics(true);
        });
        /* best effort; otherwise fwctld ends them when the bridge's connection goes, or idle */
        window.addEventListener("pagehide", () => closeSessions(null, true));
        loadAll().then(() => scheduleMetrics(false));
    }

    document.addEventListener("DOMContentLoaded", init);
}());
