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
const ARTIFACTS = env.FWCTL_CK_ARTIFACTS;
const PAGE = "/cockpit/@localhost/fwctl/index.html";
const BUS = "org.freedesktop.fwctl1";
const DEV = "org.freedesktop.fwctl1.Device";
const MGR_PATH = "/org/freedesktop/fwctl1";
const T_WAIT = 15000;
const QUERY_ADAPTER_HEX = "01010000000000000000000000000000"; // mlx5 QUERY_ADAPTER, scope 0
const SET_DIAGNOSTIC_PARAMS_HEX = "08200000000000000000000000000000"; // mlx5, needs debug-write
const MGR = "org.freedesktop.fwctl1.Manager";
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
        assert((await page.textContent("#rpc-output")).includes("nothing was sent"), "no 'cancelled' note");
        assert(emu("stats", "fwctl0") === before, "an RPC reached the device after Cancel");
        assert(await page.isHidden("#taint-banner"), "taint banner after a cancelled call");
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
