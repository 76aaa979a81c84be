import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { createAuditor } from "../../src/audit/auditor.js";
import { createLooker } from "../../src/audit/look-loop.js";
import { startDashboard, type Dashboard } from "../../src/serve/server.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = process.env["PORTWATCH_SCREENSHOTS"] ? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url)) : null;
const MARK = "portwatch-test-plant";

/** Starts a small marked process that listens on 127.0.0.1 (optionally under a given name); resolves with its port. */
function plantListener(name?: string): Promise<{ child: ChildProcess; port: number }> {
  const script = name
    ? ["import ctypes, socket, sys", `ctypes.CDLL(None).prctl(15, ${JSON.stringify(name)}.encode(), 0, 0, 0)`, "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()", "print(s.getsockname()[1], flush=True)", "sys.stdin.read()"].join("\n")
    : null;
  const child = script
    ? spawn("python3", ["-c", script, MARK], { stdio: ["pipe", "pipe", "inherit"] })
    : spawn(process.execPath, ["-e", `const s=require("net").createServer().listen(0,"127.0.0.1",()=>console.log(s.address().port));process.stdin.resume();process.stdin.on("end",()=>process.exit(0));setTimeout(()=>process.exit(0),60000)`, MARK], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the planted listener did not start")), 10_000);
    child.stdout!.once("data", (d: Buffer) => { clearTimeout(timer); ok({ child, port: Number(String(d).trim()) }); });
  });
}
const kill = (child: ChildProcess) => { child.stdin?.end(); if (child.pid && child.exitCode === null) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } } };

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers }, (res) => { let body = ""; res.on("data", (d) => { body += d; }); res.on("end", () => ok({ status: res.statusCode ?? 0, body })); });
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

describe("portwatch serve: dashboard in a real browser (Debian chromium, loopback only)", () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (npm test does, as root: scripts/test-deps.sh)`);
    const looker = createLooker(createAuditor());
    dashboard = await startDashboard({ intervalMs: 300, look: () => looker.next() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it("the dashboard refuses a browser without the token", async () => {
    const res = await page.goto(dashboard.url);
    assert.equal(res?.status(), 401);
    assert.match(await page.textContent("body") ?? "", /a token is needed/);
  });

  it("the dashboard opens with the token, and shows a listener the test opens live, without a reload, until it closes", async () => {
    await page.goto(dashboard.loginUrl);
    assert.equal(new URL(page.url()).search, "", "the token left the address bar");
    await page.waitForSelector("#rows .row");
    const { child, port } = await plantListener();
    try {
      const row = `#rows .row:has-text("127.0.0.1:${port}"):has-text("LISTEN")`; // not a UDP socket on the same number
      await page.fill("#f-search", String(port));
      await page.waitForSelector(row, { timeout: 10_000 });
      if (SHOTS) await page.screenshot({ path: `${SHOTS}dashboard-search.png` });
      await page.click(row);
      await page.waitForSelector("#detail dt");
      const detail = await page.textContent("#detail") ?? "";
      assert.match(detail, new RegExp(`L\\|tcp\\|${port}\\|`));
      assert.match(detail, /Explanation/);
      assert.match(detail, new RegExp(`This process listens on.*tcp ${port}`));
      assert.match(detail, new RegExp(`Started by.*\\(pid ${process.pid}\\)`), "the planted listener was started by this test");
      if (SHOTS) await page.screenshot({ path: `${SHOTS}dashboard-detail.png` });
      kill(child);
      await page.waitForSelector(row, { state: "detached", timeout: 10_000 });
      assert.match(await page.textContent("#feed") ?? "", new RegExp(`disappeared .*127\\.0\\.0\\.1:${port}`));
    } finally {
      kill(child);
    }
  });

  it("the dashboard filters by verdict, protocol, process and port", async (t) => {
    t.after(async () => { for (const f of ["#f-search", "#f-port", "#f-process"]) await page.fill(f, ""); await page.selectOption("#f-proto", ""); await page.selectOption("#f-verdict", ""); });
    await page.fill("#f-search", "");
    const own = new URL(dashboard.url).port; // the dashboard's own port: its listener and the browser's connections
    await page.fill("#f-port", own);
    const rows = await page.$$eval("#rows .row", (els) => els.map((e) => e.textContent ?? ""));
    assert.ok(rows.length > 0, "the dashboard's own listener is listed");
    assert.ok(rows.every((t) => t.includes(`:${own}`)), `every row is on port ${own}: ${rows.join(" / ")}`);
    await page.fill("#f-port", "");
    await page.fill("#f-process", "chromium");
    const progs = await page.$$eval("#rows .row .c-process", (els) => els.map((e) => e.textContent));
    const onOwnPort = async () => (await page.$$eval("#rows .row", (els) => els.map((e) => e.textContent ?? ""))).join(" / ");
    assert.ok(progs.length > 0, `the browser's own connections are listed; on port ${own}: ${await (async () => { await page.fill("#f-process", ""); await page.fill("#f-port", own); return onOwnPort(); })()}`);
    assert.ok(progs.every((p) => p?.startsWith("chromium")));
    await page.fill("#f-process", "");
    await page.selectOption("#f-proto", "udp");
    const protos = await page.$$eval("#rows .row .c-proto", (els) => els.map((e) => e.textContent));
    assert.ok(protos.every((p) => p === "udp" || p === "udp6"));
    await page.selectOption("#f-proto", "");
    await page.selectOption("#f-verdict", "expected");
    const verdicts = await page.$$eval("#rows .row .c-verdict", (els) => els.map((e) => e.textContent));
    assert.ok(verdicts.every((v) => v === "expected"));
    await page.selectOption("#f-verdict", "");
    if (SHOTS) await page.screenshot({ path: `${SHOTS}dashboard.png` });
  });

  it("the dashboard shows a process named with HTML as text, and its control characters as \\xNN, as the terminal does", async () => {
    const { child, port } = await plantListener("<b>pw</b>\u0007");
    try {
      await page.fill("#f-search", String(port));
      const row = `#rows .row:has-text("127.0.0.1:${port}"):has-text("LISTEN")`;
      await page.waitForSelector(row, { timeout: 10_000 });
      const text = await page.textContent(row) ?? "";
      assert.match(text, /<b>pw<\/b>\\x07 \(pid \d+\)/);
      assert.equal(await page.$$eval("#rows b", (els) => els.length), 0);
    } finally {
      kill(child);
      await page.fill("#f-search", "");
    }
  });

  it("/metrics speaks Prometheus text, with bounded labels and no remote addresses", async () => {
    const res = await get(`${dashboard.url}metrics`, { authorization: `Bearer ${dashboard.token}` });
    assert.equal(res.status, 200);
    const lines = res.body.split("\n").filter((l) => l && !l.startsWith("#"));
    const series = lines.map((l) => /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(l));
    assert.ok(series.every((m) => m !== null), "every line parses");
    assert.match(res.body, /# HELP portwatch_sockets .+\n# TYPE portwatch_sockets gauge/);
    assert.ok(series.some((m) => m![1] === "portwatch_sockets" && /verdict="(expected|unknown|suspicious)"/.test(m![3] ?? "")));
    assert.ok(series.some((m) => m![1] === "portwatch_scan_duration_seconds" && Number(m![4]) > 0));
    assert.ok(!series.some((m) => /remote/.test(m![3] ?? "")));
  });

  it("the server refuses other Host headers (DNS rebinding), cross-origin requests and a missing token", async () => {
    const auth = { authorization: `Bearer ${dashboard.token}` };
    assert.equal((await get(`${dashboard.url}api/snapshot`, { ...auth, host: "evil.example" })).status, 403);
    assert.equal((await get(`${dashboard.url}api/snapshot`, { ...auth, origin: "http://evil.example" })).status, 403);
    assert.equal((await get(`${dashboard.url}api/snapshot`, {})).status, 401);
    assert.equal((await get(`${dashboard.url}api/snapshot`, { authorization: "Bearer 00" })).status, 401);
    const ok = await get(`${dashboard.url}api/snapshot`, auth);
    assert.equal(JSON.parse(ok.body).schema, 1);
  });

  it("startDashboard will not bind beyond loopback unless told to", async () => {
    await assert.rejects(startDashboard({ host: "0.0.0.0", intervalMs: 1000, look: () => createLooker(createAuditor()).next() }), /Refusing to serve on "0\.0\.0\.0".*--expose/);
  });
});

describe("portwatch serve: the page misses no look (Debian chromium, loopback only)", () => {
  let dashboard: Dashboard;
  let browser: Browser;
  before(async () => {
    const looker = createLooker(createAuditor());
    dashboard = await startDashboard({ intervalMs: 3_600_000, look: () => looker.next() }); // looks only when the test says
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it("the dashboard shows a listener whose look came before its event stream opened (a slow page, a reconnect)", async () => {
    const page = await browser.newPage();
    let open = () => {};
    const gate = new Promise<void>((ok) => { open = ok; });
    await page.route("**/api/events", async (route) => { await gate; await route.continue(); });
    const { child, port } = await plantListener();
    try {
      const asked = page.waitForRequest("**/api/events");
      await page.goto(dashboard.loginUrl);
      await asked; // the page has asked for its event stream (and read whatever it reads first)
      await dashboard.refresh(); // the look that sees the listener: its change goes to no open stream
      open();
      await page.fill("#f-search", String(port));
      await page.waitForSelector(`#rows .row:has-text("127.0.0.1:${port}"):has-text("LISTEN")`, { timeout: 10_000 });
    } finally {
      kill(child);
      open();
      await page.close();
    }
  });
});
