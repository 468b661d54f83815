// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Browser checks of the fwctl Cockpit page, run by tests/cockpit/run.sh inside
// its namespace (fwctld under the emulator, cockpit-ws for root on
// FWCTL_CK_ROOT_URL and for the polkit-denied user fwdeny on FWCTL_CK_DENY_URL).
// Prints one PASS/FAIL/SKIP line per check; exit 1 on any failure.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import path from "node:path";

const env = process.env;
const ROOT_URL = env.FWCTL_CK_ROOT_URL;
const DENY_URL = env.FWCTL_CK_DENY_URL;
const TEST_URL = env.FWCTL_CK_TEST_URL; // fwtest: polkit allows scopes 0 and 1 (harness rule)
const ARTIFACTS = env.FWCTL_CK_ARTIFACTS;
const PAGE = "/cockpit/@localhost/fwctl/index.html";
const BUS = "org.freedesktop.fwctl1";
const DEV = "org.freedesktop.fwctl1.Device";
const MGR_PATH = "/org/freedesktop/fwctl1";
const T_WAIT = 15000;
const QUERY_ADAPTER_HEX = "01010000000000000000000000000000"; // mlx5 QUERY_ADAPTER, scope 0
const SET_DIAGNOSTIC_PARAMS_HEX = "08200000000000000000000000000000"; // mlx5, needs debug-write
const MGR = "org.freedesktop.fwctl1.Manager";
const SESSION = "org.freedesktop.fwctl1.Session";
const MSGID_SESSION_OPENED = "1f109dc7d1d54517ab4276e3999d0cc3";
const MSGID_SESSION_CLOSED = "d9fe3f47814e4003bd9699b8836c39f4";
const MSGID_ATTEMPT = "eb625ee66c5e4d54a5647a3ceb9895e1"; // a call that changes a device, before it runs
const ACCESS_REG_WRITE_HEX = "08050000000000000000000000000000"; // mlx5 ACCESS_REG, op_mod 0: a configuration write
const TEST_UID = 4242; // fwtest
const DENY_UID = 4243; // fwdeny
// README's screenshots (docs/screenshots) are written here too when set (run.sh: FWCTL_DOCS_SCREENSHOTS)
const DOCS_SHOTS = env.FWCTL_CK_DOCS_SHOTS || "";

let failed = 0;
const results = [];

function sh(cmd, args) {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 20000 });
}
const emu = (...args) => sh(env.FWCTL_CK_EMU, ["--ctl", env.FWCTL_CK_EMU_SOCK, ...args]).trim();
const busJson = (...args) => JSON.parse(sh("busctl", ["--system", "--json=short", ...args]));
const devPath = name => `/org/freedesktop/fwctl1/device/${name}`;

// fwctld's journal records (the harness's journald), oldest first
function journal(...matches) {
    try {
        sh("journalctl", ["--sync"]);
    } catch (e) { /* the records are read anyway */ }
    let out;
    try {
        out = sh("journalctl", ["--directory=/run/log/journal", "-o", "json", "-q", "--no-pager", ...matches]);
    } catch (e) {
        out = e.stdout || "";
    }
    return out.split("\n").filter(l => l.startsWith("{")).map(l => JSON.parse(l));
}
const sessionsOpened = uid => journal(`MESSAGE_ID=${MSGID_SESSION_OPENED}`, `FWCTL_CALLER_UID=${uid}`);
const sessionsClosed = id => journal(`MESSAGE_ID=${MSGID_SESSION_CLOSED}`, `FWCTL_SESSION=${id}`);
const sessionPathOf = rec => `/org/freedesktop/fwctl1/session/${rec.FWCTL_SESSION}`;
const sessionIdOf = p => p.substring(p.lastIndexOf("/") + 1);

// A session object's property, or null once the object is gone from the bus.
function sessionProp(p, prop) {
    try {
        return busJson("get-property", BUS, p, SESSION, prop).data;
    } catch (e) {
        if (/Unknown object|UnknownObject|has ended/.test(String(e.stderr || e.message)))
            return null;
        throw e;
    }
}

async function waitFor(fn, what, timeout) {
    const end = Date.now() + (timeout || T_WAIT);
    for (;;) {
        const v = fn();
        if (v)
            return v;
        if (Date.now() > end)
            throw new Error(`timed out waiting for ${what}`);
        await new Promise(r => setTimeout(r, 100));
    }
}

const sleep = ms => new Promise(r => setTimeout(r, ms));
const denialsOf = m => (m ? (m.denials || []).reduce((a, d) => a + d.count, 0) : 0);

async function check(name, fn) {
    const t0 = Date.now();
    try {
        const skip = await fn();
        if (typeof skip === "string") {
            console.log(`SKIP ${name}: ${skip}`);
            return;
        }
        console.log(`PASS ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${(e && e.message ? e.message : String(e)).split("\n")[0]}`);
    }
}

function assert(cond, msg) {
    if (!cond)
        throw new Error(msg);
}

async function openPage(browser, base, hash) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await ctx.newPage();
    page.on("pageerror", e => console.log(`# page error (${base}): ${e.message}`));
    page.on("console", m => { if (m.type() === "error") console.log(`# console error (${base}): ${m.text()}`) });
    await page.goto(base + PAGE + (hash || ""), { waitUntil: "load" });
    await page.waitForSelector("body[data-loaded=true]", { timeout: T_WAIT });
    return page;
}

async function shot(page, file) {
    const p = path.join(ARTIFACTS, file);
    await page.screenshot({ path: p, fullPage: true });
    console.log(`# screenshot: ${p}`);
}

// Manager.GetMetrics(), as the page reads it: a device's counters, its calls and failed calls
const getMetrics = () => JSON.parse(busJson("call", BUS, MGR_PATH, MGR, "GetMetrics").data[0]);
const devMetrics = name => getMetrics().devices.find(d => d.name === name) || null;
const callsOf = m => (m ? m.calls.reduce((a, c) => a + c.count, 0) : 0);
const errorsOf = m => (m ? m.calls.filter(c => c.result !== "ok").reduce((a, c) => a + c.count, 0) : 0);

// The detail view's Health card shows COUNT calls (its text starts with the number).
async function waitHealth(page, metric, re, timeout) {
    await page.waitForFunction(([m, src]) => {
        const dd = document.querySelector(`#detail-health dd[data-metric="${m}"]`);
        return dd && new RegExp(src).test(dd.textContent.trim());
    }, [metric, re.source], { timeout: timeout || T_WAIT });
}

// fullPage, or only the page's content (no empty viewport below a short list)
async function docsShot(page, file, fullPage) {
    if (!DOCS_SHOTS)
        return;
    const p = path.join(DOCS_SHOTS, file);
    if (fullPage)
        await page.screenshot({ path: p, fullPage: true });
    else
        await page.locator("main.fw-page").screenshot({ path: p });
    console.log(`# docs screenshot: ${p}`);
}

const deviceNames = page => page.evaluate(() =>
    Array.from(document.querySelectorAll("#device-rows tr[data-device]")).map(r => r.dataset.device));

async function openDetail(page, name) {
    await page.click(`#device-rows tr[data-device="${name}"] a`);
    await page.waitForSelector(`#detail-view[data-loaded=true]:not([hidden])`, { timeout: T_WAIT });
    const title = await page.textContent("#detail-title");
    assert(title === name, `detail view shows '${title}', expected '${name}'`);
}

// Runs a listed operation from the page and waits for its outcome ("done" or "error").
async function runOp(page, op) {
    const out = `#detail-ops tr[data-result-for="${op}"] .fw-op-output`;
    await page.$eval(out, e => { delete e.dataset.state });
    await page.click(`#detail-ops button[data-op="${op}"]`);
    await page.waitForSelector(`${out}[data-state=done], ${out}[data-state=error]`, { timeout: T_WAIT });
    return page.getAttribute(out, "data-state");
}

// Sends a raw request from the page's form and waits for its outcome.
async function runRaw(page, scope, hex) {
    if (!await page.$eval("#rpc-details", d => d.open))
        await page.click("#rpc-details > summary");
    await page.selectOption("#rpc-scope", String(scope));
    await page.fill("#rpc-request", hex);
    await page.fill("#rpc-max", "256");
    await page.$eval("#rpc-output", e => { delete e.dataset.state });
    await page.click("#rpc-run");
    await page.waitForSelector("#rpc-output[data-state=done], #rpc-output[data-state=error]", { timeout: T_WAIT });
    return page.getAttribute("#rpc-output", "data-state");
}

// The session paths the page shows as open, by scope.
const shownSessions = page => page.$$eval("#detail-session .fw-session[data-state=open]",
                                          es => Object.fromEntries(es.map(e => [e.dataset.scope, e.dataset.path])));

async function errorName(page, scopeSel) {
    const box = await page.waitForSelector(`${scopeSel} .fw-error`, { timeout: T_WAIT });
    return { name: await box.getAttribute("data-error"), text: (await box.textContent()).trim() };
}

const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});

try {
    const page = await openPage(browser, ROOT_URL);
    await page.evaluate(() => { window.__fwctlNoReload = "still-here" });

    // Does fwctl0 have the mlx5 plugin's named operations? Decides the operation checks.
    const plugins = busJson("get-property", BUS, MGR_PATH, "org.freedesktop.fwctl1.Manager", "Plugins").data;
    const ops0 = busJson("call", BUS, devPath("fwctl0"), DEV, "ListOperations").data[0];
    const hasQueryAdapter = ops0.some(o => o[0] === "query-adapter");
    const mlx5Plugin = plugins.some(p => p[0] === "mlx5");
    console.log(`# plugins: ${plugins.map(p => p[0]).join(", ") || "(none)"}; fwctl0 operations: ${ops0.map(o => o[0]).join(", ") || "(none)"}`);

    await check("list_shows_both_emulated_devices", async () => {
        const names = await deviceNames(page);
        assert(names.includes("fwctl0") && names.includes("fwctl1"), `rows: ${names.join(",")}`);
        const t0 = await page.textContent(`#device-rows tr[data-device=fwctl0]`);
        const t1 = await page.textContent(`#device-rows tr[data-device=fwctl1]`);
        assert(t0.includes("mlx5") && t0.includes("0000:03:00.0"), `fwctl0 row: ${t0}`);
        assert(t1.includes("cxl") && t1.includes("0000:0d:00.0"), `fwctl1 row: ${t1}`);
        assert(await page.isHidden("#taint-banner"), "taint banner shown before any scope-2 call");
        assert(await page.isHidden("#service-error"), "service error shown");
    });

    await check("list_shows_health_counters", async () => {
        await page.waitForSelector("#device-rows tr[data-device=fwctl0] td.fw-health-calls", { timeout: T_WAIT });
        for (const name of ["fwctl0", "fwctl1"]) {
            const m = devMetrics(name);
            assert(m, `GetMetrics has no ${name}`);
            const row = `#device-rows tr[data-device=${name}]`;
            const calls = await page.getAttribute(`${row} td.fw-health-calls`, "data-calls");
            const errors = await page.getAttribute(`${row} td.fw-health-errors`, "data-errors");
            const queue = await page.getAttribute(`${row} td.fw-health-queue`, "data-queue");
            assert(Number(calls) === callsOf(m) && Number(errors) === errorsOf(m) && Number(queue) === m.queue_depth,
                   `${name}: page calls/errors/queue ${calls}/${errors}/${queue}, daemon ${callsOf(m)}/${errorsOf(m)}/${m.queue_depth}`);
        }
        const footer = await page.textContent("#daemon-info");
        assert(/kernel not tainted/.test(footer), `footer: ${footer}`);
        assert(/bnxt/.test(footer), `footer does not list the bnxt plugin: ${footer}`);
    });

    await shot(page, "fwctl-list.png");

    let added = null;
    await check("hotplug_add_appears_without_reload", async () => {
        const out = emu("add", "bnxt", "0000:05:00.0");
        assert(out.startsWith("ok "), `emu add: ${out}`);
        added = out.substring(3).trim();
        await page.waitForSelector(`#device-rows tr[data-device="${added}"]`, { timeout: T_WAIT });
        const row = await page.textContent(`#device-rows tr[data-device="${added}"]`);
        assert(row.includes("bnxt") && row.includes("0000:05:00.0"), `row of ${added}: ${row}`);
        assert(await page.evaluate(() => window.__fwctlNoReload) === "still-here", "the page was reloaded");
    });

    await check("hotplug_remove_disappears_without_reload", async () => {
        assert(added, "nothing was added");
        const out = emu("remove", added);
        assert(out.startsWith("ok"), `emu remove: ${out}`);
        await page.waitForSelector(`#device-rows tr[data-device="${added}"]`, { state: "detached", timeout: T_WAIT });
        const names = await deviceNames(page);
        assert(names.includes("fwctl0") && names.includes("fwctl1"), `rows after removal: ${names.join(",")}`);
        assert(await page.evaluate(() => window.__fwctlNoReload) === "still-here", "the page was reloaded");
    });

    await check("detail_shows_properties_and_info_json", async () => {
        await openDetail(page, "fwctl0");
        const props = await page.textContent("#detail-props");
        for (const want of ["0000:03:00.0", "mlx5", "/dev/fwctl/fwctl0", devPath("fwctl0")])
            assert(props.includes(want), `properties lack '${want}': ${props}`);
        const infoJson = busJson("call", BUS, devPath("fwctl0"), DEV, "Info").data[2];
        const raw = await page.textContent("#detail-info .fw-raw-json");
        assert(raw === JSON.stringify(JSON.parse(infoJson), null, 2), `raw Info JSON differs: ${raw.slice(0, 200)}`);
        // ...and decoded: every top-level key is a row of the table
        const keys = await page.$$eval("#detail-info .fw-json > table.fw-kv > tbody > tr > th", ths => ths.map(t => t.textContent));
        const want = Object.keys(JSON.parse(infoJson));
        assert(want.every(k => keys.includes(k)), `decoded keys ${keys.join(",")} vs ${want.join(",")}`);
    });

    await check("health_counters_move_after_a_call", async () => {
        // the detail view (fwctl0, opened above) shows the daemon's counters...
        const before = callsOf(devMetrics("fwctl0"));
        await waitHealth(page, "calls", new RegExp(`^${before}\\b`));
        await waitHealth(page, "queue_depth", /^0\b/);
        // ...and sees a call made elsewhere (fwctl-test-client) without a reload, by its poll
        const t0 = Date.now();
        sh(env.FWCTL_CK_CLIENT, ["rpc", "fwctl0", "0", "512", "hex:" + QUERY_ADAPTER_HEX]);
        await waitHealth(page, "calls", new RegExp(`^${before + 1}\\b`));
        console.log(`# the Health card showed the new call after ${Date.now() - t0} ms`);
        await page.waitForSelector(`#device-rows tr[data-device=fwctl0] td.fw-health-calls[data-calls="${before + 1}"]`,
                                   { state: "attached", timeout: T_WAIT });
        assert(await page.evaluate(() => window.__fwctlNoReload) === "still-here", "the page was reloaded");
    });

    await check("detail_lists_operations_with_scopes", async () => {
        const rows = await page.$$eval("#detail-ops tr[data-op]", trs => trs.map(t => [t.dataset.op, Number(t.dataset.scope)]));
        const want = ops0.map(o => [o[0], o[2]]).sort().join(";");
        assert(rows.slice().sort().join(";") === want, `page lists ${JSON.stringify(rows)}, daemon ${JSON.stringify(ops0)}`);
        if (ops0.length === 0)
            assert(await page.isVisible("#ops-empty"), "no 'no named operations' note");
        if (mlx5Plugin)
            assert(hasQueryAdapter, "the mlx5 plugin is loaded but fwctl0 does not list query-adapter");
    });

    await check("read_only_operation_result_shown", async () => {
        if (!hasQueryAdapter)
            return "fwctl0 lists no 'query-adapter' (mlx5 plugin not built/installed yet): checked the raw RPC path only";
        await page.click(`#detail-ops button[data-op="query-adapter"]`);
        await page.waitForSelector(`#detail-ops tr[data-result-for="query-adapter"] .fw-op-output[data-state=done]`, { timeout: T_WAIT });
        assert(await page.isHidden("#confirm-dialog"), "scope-0 operation asked for confirmation");
        const raw = await page.textContent(`tr[data-result-for="query-adapter"] .fw-raw-json`);
        const parsed = JSON.parse(raw);
        assert(parsed && typeof parsed === "object", `result not an object: ${raw.slice(0, 200)}`);
        assert(await page.$(`tr[data-result-for="query-adapter"] table.fw-kv`) !== null || Array.isArray(parsed),
               "result not rendered as a table");
    });

    await check("raw_read_only_rpc_result_shown", async () => {
        await page.click("#rpc-details > summary");
        await page.selectOption("#rpc-scope", "0");
        await page.fill("#rpc-request", QUERY_ADAPTER_HEX);
        await page.fill("#rpc-max", "256");
        await page.click("#rpc-run");
        await page.waitForSelector("#rpc-output[data-state=done]", { timeout: T_WAIT });
        const text = await page.textContent("#rpc-output");
        assert(text.includes("response_length") && text.includes("truncated"), `result: ${text.slice(0, 300)}`);
        // a call from the page refreshes the counters at once (no wait for the next poll)
        const now = callsOf(devMetrics("fwctl0"));
        await waitHealth(page, "calls", new RegExp(`^${now}\\b`), 3000);
    });

    await shot(page, "fwctl-detail.png");

    await check("write_scope_needs_confirmation_naming_scope_and_taint", async () => {
        const before = emu("stats", "fwctl0");
        await page.selectOption("#rpc-scope", "2");
        await page.click("#rpc-run");
        await page.waitForSelector("#confirm-dialog[open]", { timeout: T_WAIT });
        const text = await page.textContent("#confirm-dialog");
        assert(/scope 2/.test(text) && /debug-write/.test(text) && /taints the kernel/i.test(text), `dialog: ${text}`);
        await page.screenshot({ path: path.join(ARTIFACTS, "fwctl-confirm.png") });
        console.log(`# screenshot: ${path.join(ARTIFACTS, "fwctl-confirm.png")}`);
        await page.click("#confirm-cancel");
        await page.waitForSelector("#confirm-dialog:not([open])", { state: "attached", timeout: T_WAIT });
        // The page writes its note once the dialog's promise has settled: after the close.
        await page.waitForFunction(() => (document.querySelector("#rpc-output")?.textContent || "")
                                          .includes("nothing was sent"), null, { timeout: T_WAIT })
                  .catch(() => {});
        assert((await page.textContent("#rpc-output")).includes("nothing was sent"), "no 'cancelled' note");
        assert(emu("stats", "fwctl0") === before, "an RPC reached the device after Cancel");
        assert(await page.isHidden("#taint-banner"), "taint banner after a cancelled call");
    });

    // Authorised sessions: fwtest (allowed scopes 0-1) runs several reads from the page.
    const readOps = ops0.filter(o => o[2] <= 1);
    const qaScope = hasQueryAdapter ? ops0.find(o => o[0] === "query-adapter")[2] : 0;
    let testPage = null;
    await check("session_one_per_scope_for_several_reads", async () => {
        testPage = await openPage(browser, TEST_URL, "#/fwctl0");
        await testPage.waitForSelector("#detail-view[data-loaded=true]:not([hidden])", { timeout: T_WAIT });
        assert(await testPage.isHidden("#detail-session"), "a session is shown before any call");
        const before = sessionsOpened(TEST_UID).length;
        let scopes;
        if (readOps.length) {
            // "Run all read-only": every scope-0/1 operation, then query-adapter twice more
            await testPage.click("#ops-run-all");
            await testPage.waitForSelector("#detail-ops[data-run-all=done]", { timeout: 2 * T_WAIT });
            scopes = [...new Set(readOps.map(o => o[2]))].sort();
            // each has the outcome root's own call has (done exactly where it succeeds)
            for (const [op] of readOps) {
                const state = await testPage.getAttribute(`#detail-ops tr[data-result-for="${op}"] .fw-op-output`, "data-state");
                let want = "done";
                try {
                    busJson("call", BUS, devPath("fwctl0"), DEV, "Execute", "ss", op, "{}");
                } catch (e) {
                    want = "error";
                }
                assert(state === want, `${op}: page ${state}, root's own call ${want}`);
            }
        } else {
            // no named operations: raw scope-0 requests instead
            scopes = [0];
            for (let i = 0; i < 2; i++)
                assert(await runRaw(testPage, 0, QUERY_ADAPTER_HEX) === "done", "raw QUERY_ADAPTER failed");
        }
        let opened = sessionsOpened(TEST_UID).slice(before);
        assert(opened.length === scopes.length &&
               scopes.every(sc => opened.filter(r => Number(r.FWCTL_SCOPE) === sc).length === 1) &&
               opened.every(r => r.FWCTL_DEVICE === "fwctl0"),
               `sessions opened for scopes ${opened.map(r => `${r.FWCTL_DEVICE}:${r.FWCTL_SCOPE}`).join(",")}, ` +
               `want one each for ${scopes.join(",")}`);
        // the page names each session and fwctld has it, for this device and scope, read-only
        await testPage.waitForSelector("#detail-session:not([hidden]) .fw-session[data-state=open]", { timeout: T_WAIT });
        const shown = await shownSessions(testPage);
        for (const r of opened) {
            const p = sessionPathOf(r);
            assert(shown[r.FWCTL_SCOPE] === p, `page shows ${JSON.stringify(shown)}, journal ${p}`);
            assert(sessionProp(p, "Device") === devPath("fwctl0") && sessionProp(p, "Scope") === Number(r.FWCTL_SCOPE) &&
                   sessionProp(p, "ConfigurationWrite") === false, `${p}: properties`);
        }
        await testPage.waitForFunction(() => /Authorised for \S+ until \d/.test(document.getElementById("detail-session").textContent),
                                       null, { timeout: T_WAIT });
        // more calls go through the same session: no new one, and its idle deadline moves
        const p = sessionPathOf(opened.find(r => Number(r.FWCTL_SCOPE) === (readOps.length ? qaScope : 0)));
        const expires = sessionProp(p, "Expires");
        assert(expires * 1 > Date.now() * 1000, `Expires ${expires} is not in the future`);
        await sleep(1100);
        if (hasQueryAdapter) {
            assert(await runOp(testPage, "query-adapter") === "done", "query-adapter failed");
            const want = JSON.parse(busJson("call", BUS, devPath("fwctl0"), DEV, "Execute", "ss", "query-adapter", "{}").data[0]);
            const raw = await testPage.textContent(`tr[data-result-for="query-adapter"] .fw-raw-json`);
            assert(JSON.stringify(JSON.parse(raw)) === JSON.stringify(want), `query-adapter result differs from root's: ${raw.slice(0, 200)}`);
        } else {
            assert(await runRaw(testPage, 0, QUERY_ADAPTER_HEX) === "done", "raw QUERY_ADAPTER failed");
        }
        const later = sessionProp(p, "Expires");
        assert(later - expires >= 1000000, `Expires did not move with the call (${expires} -> ${later}): not made in the session`);
        opened = sessionsOpened(TEST_UID).slice(before);
        assert(opened.length === scopes.length, `${opened.length - scopes.length} more session(s) opened by the later call`);
        await shot(testPage, "fwctl-session.png");
    });

    await check("session_closed_when_leaving_device", async () => {
        assert(testPage, "no page");
        const open = Object.values(await shownSessions(testPage));
        assert(open.length > 0, "no session shown open");
        await testPage.click("#back-link");
        await testPage.waitForSelector("#list-view:not([hidden])", { timeout: T_WAIT });
        for (const p of open) {
            await waitFor(() => sessionProp(p, "Scope") === null, `${p} to leave the bus`);
            const rec = await waitFor(() => sessionsClosed(sessionIdOf(p))[0], `the close record of ${p}`);
            assert(rec.FWCTL_SESSION_END === "closed by its opener", `${p} ended: ${rec.FWCTL_SESSION_END}`);
        }
    });

    await check("session_reopened_once_after_it_ended", async () => {
        assert(testPage, "no page");
        await openDetail(testPage, "fwctl0");
        const before = sessionsOpened(TEST_UID).length;
        assert(await runRaw(testPage, 0, QUERY_ADAPTER_HEX) === "done", "raw QUERY_ADAPTER failed");
        const first = (await shownSessions(testPage))["0"];
        assert(first && sessionProp(first, "Scope") === 0, `no scope-0 session after the call: ${first}`);
        // a reload ends every session (fwctld authorises again afterwards)
        const pid = busJson("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                            "GetConnectionUnixProcessID", "s", BUS).data[0];
        process.kill(pid, "SIGHUP");
        const rec = await waitFor(() => sessionsClosed(sessionIdOf(first))[0], `the close record of ${first}`);
        assert(rec.FWCTL_SESSION_END === "reload", `${first} ended: ${rec.FWCTL_SESSION_END}`);
        // the next call fails on the old session, opens a new one and succeeds in it
        assert(await runRaw(testPage, 0, QUERY_ADAPTER_HEX) === "done",
               `the call after the reload: ${(await testPage.textContent("#rpc-output")).slice(0, 200)}`);
        const text = await testPage.textContent("#rpc-output");
        assert(text.includes("response_length"), `result: ${text.slice(0, 200)}`);
        const opened = sessionsOpened(TEST_UID).slice(before).map(sessionPathOf);
        assert(opened.length === 2 && opened[0] === first && opened[1] !== first,
               `sessions opened: ${opened.join(", ")} (want ${first} and one new)`);
        await testPage.waitForFunction(p => {
            const e = document.querySelector('#detail-session .fw-session[data-state=open][data-scope="0"]');
            return e && e.dataset.path === p;
        }, opened[1], { timeout: T_WAIT });
        assert(sessionProp(opened[1], "Scope") === 0, `${opened[1]} is not on the bus`);
    });

    await check("session_write_gets_its_own_check", async () => {
        // the page's sessions are read-only: a scope-0 write is refused in the session
        // (nothing runs) and made on its own, which polkit allows fwtest at scope 0
        assert(testPage, "no page");
        const session = (await shownSessions(testPage))["0"];
        assert(session, "no scope-0 session open");
        const attempts = () => journal(`MESSAGE_ID=${MSGID_ATTEMPT}`, "FWCTL_OPERATION=ACCESS_REG",
                                       `FWCTL_CALLER_UID=${TEST_UID}`).length;
        const before = attempts();
        const opened = sessionsOpened(TEST_UID).length;
        assert(await runRaw(testPage, 0, ACCESS_REG_WRITE_HEX) === "done",
               `the write: ${(await testPage.textContent("#rpc-output")).slice(0, 200)}`);
        assert(attempts() === before + 1, `${attempts() - before} ACCESS_REG records, want 1`);
        assert((await shownSessions(testPage))["0"] === session && sessionProp(session, "Scope") === 0,
               "the read-only session did not stay");
        assert(sessionsOpened(TEST_UID).length === opened, "another session was opened");
        await testPage.click("#back-link");
        await waitFor(() => sessionProp(session, "Scope") === null, `${session} to leave the bus`);
        await testPage.context().close();
        testPage = null;
    });

    await check("session_refused_falls_back_to_per_call", async () => {
        // fwdeny: polkit refuses the session; each call is then checked (and refused) on its own
        const deny = await openPage(browser, DENY_URL, "#/fwctl0");
        await deny.waitForSelector("#detail-view[data-loaded=true]:not([hidden])", { timeout: T_WAIT });
        const before = denialsOf(devMetrics("fwctl0"));
        for (let i = 0; i < 2; i++) {
            assert(await runRaw(deny, 0, QUERY_ADAPTER_HEX) === "error", "a refused call succeeded");
            const e = await errorName(deny, "#rpc-output");
            assert(e.name === "org.freedesktop.fwctl1.Error.NotAuthorized", `error: ${e.name} (${e.text})`);
        }
        const note = await deny.waitForSelector('#detail-session .fw-session[data-state=refused][data-scope="0"]', { timeout: T_WAIT });
        assert((await note.getAttribute("data-error")).endsWith(".NotAuthorized"), "refusal note without its error");
        assert(sessionsOpened(DENY_UID).length === 0, "a session was opened for fwdeny");
        // OpenSession refused once (not asked again), then each of the two calls on its own
        const after = denialsOf(devMetrics("fwctl0"));
        assert(after - before === 3, `${after - before} refusals, want 3 (one OpenSession, two calls)`);
        await deny.context().close();
    });

    await check("denied_user_sees_NotAuthorized", async () => {
        const deny = await openPage(browser, DENY_URL, "#/fwctl0");
        await deny.waitForSelector("#detail-view[data-loaded=true]:not([hidden])", { timeout: T_WAIT });
        await deny.click("#rpc-details > summary");
        await deny.fill("#rpc-request", QUERY_ADAPTER_HEX);
        await deny.click("#rpc-run");
        let e = await errorName(deny, "#rpc-output");
        assert(e.name === "org.freedesktop.fwctl1.Error.NotAuthorized", `error: ${e.name} (${e.text})`);
        assert(/not allowed/i.test(e.text), `no plain sentence: ${e.text}`);
        if (hasQueryAdapter) {
            await deny.click(`#detail-ops button[data-op="query-adapter"]`);
            e = await errorName(deny, `#detail-ops tr[data-result-for="query-adapter"]`);
            assert(e.name === "org.freedesktop.fwctl1.Error.NotAuthorized", `Execute error: ${e.name} (${e.text})`);
        }
        await shot(deny, "fwctl-denied.png");
        await deny.context().close();
    });

    await check("health_shows_last_error_and_errors", async () => {
        // fwdeny's refused calls above: the root page's Health card names the last error
        const m = devMetrics("fwctl0");
        assert(m.last_error && m.last_error.name.endsWith(".NotAuthorized"), `daemon last error: ${JSON.stringify(m.last_error)}`);
        await page.waitForFunction(() => {
            const c = document.querySelector('#detail-health dd[data-metric="last_error"] code');
            return c && c.textContent === "NotAuthorized";
        }, null, { timeout: T_WAIT });
        await waitHealth(page, "errors", new RegExp(`^${errorsOf(devMetrics("fwctl0"))}\\b`));
        const denials = await page.textContent('#detail-health dd[data-metric="denials"]');
        assert(/denied \d+/.test(denials), `refused: ${denials}`);
        const taint = await page.textContent('#detail-health dd[data-metric="kernel_tainted"]');
        assert(/not tainted/.test(taint), `kernel: ${taint}`);
    });

    // README's screenshots: all four device types, counters moved, a named operation's result
    await check("docs_screenshots", async () => {
        const bnxt = emu("add", "bnxt", "0000:05:00.0").substring(3).trim();
        const pds = emu("add", "pds", "0000:07:00.1").substring(3).trim();
        await page.click("#back-link");
        await page.waitForSelector(`#device-rows tr[data-device="${pds}"]`, { timeout: T_WAIT });
        sh("busctl", ["--system", "call", BUS, devPath(bnxt), DEV, "Execute", "ss", "ver-get", "{}"]);
        sh(env.FWCTL_CK_CLIENT, ["rpc", "fwctl1", "0", "512", "hex:" + "000500000000000008000000000000002001000000000000"]);
        const want = callsOf(devMetrics(bnxt));
        await page.waitForSelector(`#device-rows tr[data-device="${bnxt}"] td.fw-health-calls[data-calls="${want}"]`,
                                   { state: "attached", timeout: T_WAIT });
        await docsShot(page, "cockpit-list.png", false);
        await openDetail(page, "fwctl0");
        if (hasQueryAdapter) {
            await page.click(`#detail-ops button[data-op="query-adapter"]`);
            await page.waitForSelector(`#detail-ops tr[data-result-for="query-adapter"] .fw-op-output[data-state=done]`, { timeout: T_WAIT });
        }
        await waitHealth(page, "calls", new RegExp(`^${callsOf(devMetrics("fwctl0"))}\\b`));
        await page.evaluate(() => { document.getElementById("rpc-details").open = false });
        await docsShot(page, "cockpit-detail.png", true);
        await page.click("#back-link");
        for (const n of [bnxt, pds]) {
            assert(emu("remove", n).startsWith("ok"), `emu remove ${n}`);
            await page.waitForSelector(`#device-rows tr[data-device="${n}"]`, { state: "detached", timeout: T_WAIT });
        }
        await openDetail(page, "fwctl0");
    });

    await check("taint_banner_after_scope2_call", async () => {
        assert(await page.isHidden("#taint-banner"), "banner already shown");
        // SET_DIAGNOSTIC_PARAMS needs debug-write: the kernel taints (QUERY_ADAPTER sent at
        // scope 2 would run at 0, the scope it needs, and taint nothing).
        sh(env.FWCTL_CK_CLIENT, ["rpc", "fwctl0", "2", "64", "hex:" + SET_DIAGNOSTIC_PARAMS_HEX]);
        await page.waitForSelector("#taint-banner", { state: "visible", timeout: T_WAIT });
        await waitHealth(page, "kernel_tainted", /^tainted/);
        await page.click("#back-link");
        await page.waitForSelector("#list-view:not([hidden])", { timeout: T_WAIT });
        const footer = await page.textContent("#daemon-info");
        assert(/kernel tainted by fwctl/.test(footer), `footer after the taint: ${footer}`);
        await shot(page, "fwctl-tainted.png");
    });

    await check("shell_menu_entry", async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const shell = await ctx.newPage();
        await shell.goto(ROOT_URL + "/fwctl", { waitUntil: "load" });
        const frame = await (await shell.waitForSelector(`iframe[name="cockpit1:localhost/fwctl"]`, { timeout: T_WAIT })).contentFrame();
        await frame.waitForSelector("body[data-loaded=true]", { timeout: T_WAIT });
        await shell.waitForSelector("text=Firmware control (fwctl)", { timeout: T_WAIT });
        await shot(shell, "fwctl-shell.png");
        await ctx.close();
    });
} catch (e) {
    failed++;
    console.log(`FAIL test_page: ${e.message}`);
} finally {
    await browser.close();
}
process.exit(failed ? 1 : 0);
