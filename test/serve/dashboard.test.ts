import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { createAuditor } from "../../src/audit/auditor.js";
import { baselineFromLook, loadBaseline, saveBaseline, type Baseline } from "../../src/audit/baseline.js";
import { createLooker } from "../../src/audit/look-loop.js";
import { startDashboard, type Dashboard } from "../../src/serve/server.js";
import { timeText } from "../../src/report/time-text.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = process.env["PORTWATCH_SCREENSHOTS"] ? (process.env["PORTWATCH_SCREENSHOTS"].startsWith("/") ? `${process.env["PORTWATCH_SCREENSHOTS"]}/` : fileURLToPath(new URL("../../docs/screenshots/", import.meta.url))) : null;
const MARK = "portwatch-test-plant";
const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

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
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // tsx compiles this file keeping function names (esbuild's __name helper), also in the functions that
    // page.$eval sends to the page: give the page that helper (through the DevTools protocol, which the
    // page's Content Security Policy does not govern).
    await page.addInitScript("globalThis.__name = (f) => f");
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
      // reach, as the firewall leaves it (a live look reads it as root; scripts/test-deps.sh installs nft): in the list and the detail
      assert.equal(await page.textContent(`${row} .c-reach`), "local");
      assert.match(detail, /Reachloopback-only: bound to 127\.0\.0\.1/);
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
    if (progs.length === 0) {
      // Say what the page had on the dashboard's port instead (only when failing: it changes the filters).
      await page.fill("#f-process", "");
      await page.fill("#f-port", own);
      const onOwnPort = (await page.$$eval("#rows .row", (els) => els.map((e) => e.textContent ?? ""))).join(" / ");
      assert.fail(`the browser's own connections are listed; on port ${own}: ${onOwnPort}`);
    }
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

  for (const width of [1400, 800]) {
    it(`the dashboard at ${width} px shows a planted listener's port and program uncut, no remote address, the detail ${width < 1100 ? "below" : "beside"} the list and its numbers whole`, async (t) => {
      await page.setViewportSize({ width, height: 900 });
      const { child, port } = await plantListener();
      t.after(async () => { kill(child); await page.fill("#f-search", ""); await page.setViewportSize({ width: 1400, height: 900 }); });
      const row = `#rows .row:has-text("127.0.0.1:${port}"):has-text("LISTEN")`;
      await page.fill("#f-search", String(port));
      await page.waitForSelector(row, { timeout: 10_000 });
      await page.click(row);
      await page.waitForSelector("#detail dt");
      if (SHOTS) await page.screenshot({ path: `${SHOTS}dashboard-${width}.png` });
      // Each box: its text, whether it lies within the window, and whether its text fits (scrollWidth <= clientWidth).
      const boxes = await page.$eval(row, (r) => {
        const win = r.ownerDocument.defaultView!;
        const box = (e: typeof r | null) => {
          if (e === null) return null;
          const b = e.getBoundingClientRect();
          return { text: e.textContent, inside: b.left >= 0 && b.right <= win.innerWidth && b.width > 0, fits: e.scrollWidth <= e.clientWidth };
        };
        const q = (sel: string) => box(r.querySelector<typeof r>(sel));
        return { port: q(".c-local .hold"), local: q(".c-local"), remote: q(".c-remote"), process: q(".c-process"), name: q(".c-process .hold"), pid: q(".c-process .give"), sockets: q(".c-sockets") };
      });
      assert.deepEqual(boxes.port, { text: `:${port}`, inside: true, fits: true }, "the port is whole and in view");
      assert.equal(boxes.local?.text, `127.0.0.1:${port}`);
      assert.deepEqual(boxes.name, { text: "node", inside: true, fits: true }, "the program's name is whole and in view");
      assert.deepEqual({ ...boxes.process, text: undefined }, { text: undefined, inside: true, fits: true }, "the process cell fits");
      assert.equal(boxes.pid?.fits, true, `the pid is not cut: ${boxes.pid?.text}`);
      assert.equal(boxes.remote?.text, "", "a listener has no remote address");
      assert.deepEqual(boxes.sockets, { text: "1", inside: true, fits: true });
      const page_ = await page.$eval("html", (root) => {
        const doc = root.ownerDocument, win = doc.defaultView!;
        const rect = (id: string) => { const b = doc.getElementById(id)!.getBoundingClientRect(); return { left: b.left, right: b.right, top: b.top, bottom: b.bottom }; };
        const fits = (e: typeof root) => e.scrollWidth <= e.clientWidth && e.getBoundingClientRect().right <= win.innerWidth;
        return {
          list: rect("list-wrap"), detail: rect("detail"),
          numbers: [...doc.querySelectorAll<typeof root>("#counts, #counts .count, #shown")].map((e) => ({ text: e.textContent, fits: fits(e) })),
          headCut: [...doc.querySelectorAll<typeof root>("#head span")].filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.textContent),
          pageScrolls: root.scrollWidth > win.innerWidth,
        };
      });
      if (width < 1100) assert.ok(page_.detail.top >= page_.list.bottom, `the detail is below the list: ${JSON.stringify(page_)}`);
      else assert.ok(page_.detail.left >= page_.list.right, `the detail is beside the list: ${JSON.stringify(page_)}`);
      assert.ok(page_.numbers.length >= 5 && page_.numbers.every((n) => n.fits), `numbers cut: ${JSON.stringify(page_.numbers)}`);
      assert.match(page_.numbers.at(-1)?.text ?? "", /^\d+ of \d+ shown$/);
      assert.deepEqual(page_.headCut, [], "no column head is cut");
      assert.equal(page_.pageScrolls, false, "the page does not scroll sideways");
    });
  }

  it("the dashboard's timeline has a count axis, a time axis and a legend of the verdict colours", async () => {
    await page.waitForSelector("#timeline text.time-label", { timeout: 10_000 });
    const svg = await page.$eval("#timeline", (el) => {
      const inside = (e: typeof el) => { const b = e.getBoundingClientRect(), s = el.getBoundingClientRect(); return b.left >= s.left - 0.5 && b.right <= s.right + 0.5 && b.top >= s.top - 0.5 && b.bottom <= s.bottom + 0.5; };
      const texts = (sel: string) => [...el.querySelectorAll<typeof el>(sel)].map((e) => ({ text: e.textContent, colour: e.getAttribute("class"), inside: inside(e) }));
      return { axis: el.querySelectorAll("path.axis").length, counts: texts("text.count-label"), times: texts("text.time-label"), legend: texts("text.legend"), title: texts("text.axis-title") };
    });
    assert.equal(svg.axis, 1);
    assert.equal(svg.counts[0]?.text, "0");
    assert.ok(svg.counts.length >= 2 && svg.counts.every((c) => /^\d+(\.\d)?[kM]?$/.test(c.text ?? "") && c.inside), JSON.stringify(svg.counts));
    assert.ok(svg.times.every((t) => /^\d\d:\d\d:\d\d$/.test(t.text ?? "") && t.inside), JSON.stringify(svg.times));
    assert.match(svg.title[0]?.text ?? "", /times UTC([+-]\d\d:\d\d)?$/, "the times' zone is said");
    assert.deepEqual(svg.legend.map((l) => [l.text, l.colour, l.inside]).sort(), [["expected", "legend green", true], ["suspicious", "legend red", true], ["unknown", "legend yellow", true]]);
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
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
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

describe("portwatch serve: the changes since the baseline, as baseline diff prints them (Debian chromium, a captured proc tree)", () => {
  // The captured tree test/fixtures/proc/debian12-holders (see its CAPTURE.json): every look at it is the
  // same, so the dashboard and `portwatch baseline diff` see the same sockets. The baseline is saved from it
  // through the library into a temporary state directory, then changed so that one listener appears, one
  // identity is gone and one verdict differs; every other unknown socket stays baselined.
  const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
  const cli = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
  let dir: string;
  let dashboard: Dashboard;
  let browser: Browser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "portwatch-serve-baseline-"));
    const first = await createAuditor().lookAtHost({ procRoot: tree });
    // Everything, the suspicious too (baseline save leaves those out unless --accept names their rules).
    const { baseline: saved } = baselineFromLook(first, "2026-11-20T08:30:00.000Z", [...new Set(first.sockets.flatMap((s) => s.reasons.filter((r) => r.verdict === "suspicious").map((r) => r.rule)))]);
    const listener = saved.entries.find((e) => e.identity.startsWith("L|tcp|") && e.verdict === "unknown")!;
    const expected = saved.entries.find((e) => e.verdict === "expected")!;
    const changed: Baseline = {
      ...saved,
      entries: [...saved.entries.filter((e) => e !== listener).map((e) => (e === expected ? { ...e, verdict: "unknown" as const } : e)), { ...listener, identity: "L|tcp|1|/usr/sbin/gone|root|host" }],
    };
    saveBaseline(join(dir, "baseline.json"), changed);
    const baseline = loadBaseline(join(dir, "baseline.json")); // as portwatch serve reads it (cli/serve.ts)
    const looker = createLooker(createAuditor(), { procRoot: tree, baseline });
    dashboard = await startDashboard({ intervalMs: 3_600_000, look: () => looker.next(), baseline: () => baseline });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the dashboard's \"since the baseline\" panel shows what portwatch baseline diff prints for the same look", async () => {
    assert.ok(existsSync(cli), `${cli} is missing: npm run build`);
    const printed = spawnSync(cli, ["baseline", "diff", "--state-dir", dir, "--proc-root", tree], { encoding: "utf8", timeout: 30_000, env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(printed.status, 0, printed.stderr);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(dashboard.loginUrl);
      await page.waitForSelector("#baseline li.total", { timeout: 10_000 });
      if (SHOTS) await page.screenshot({ path: `${SHOTS}dashboard-baseline.png` });
      const shown = await page.$$eval("#baseline li", (els) => els.map((e) => e.textContent ?? ""));
      // The lines without their time (the two looks were taken at different moments).
      const timeless = (line: string) => line.replace(/^(\S+) \d\d:\d\d:\d\d [+-]\d\d:\d\d /, "$1 ");
      const [head, ...lines] = printed.stdout.trimEnd().split("\n");
      const savedAt = timeText("2026-11-20T08:30:00.000Z"); // the page and the CLI run in this machine's zone
      assert.ok((head ?? "").startsWith(`Since the baseline of ${savedAt} `), head);
      assert.equal(await page.textContent("#baseline-note"), `Since the baseline of ${savedAt}:`);
      assert.deepEqual(shown.map((l, i) => (i < shown.length - 1 ? timeless(l) : l)), lines.map((l, i) => (i < lines.length - 1 ? timeless(l) : l)));
      assert.deepEqual(shown.slice(0, -1).map((l) => timeless(l).split(/\s+/)[1]), ["disappeared", "appeared", "verdict-changed"], "the planted changes, and no baselined unknown as a verdict change");
      assert.equal(shown.at(-1), "1 appeared, 1 disappeared, 1 changed verdict");
    } finally {
      await page.close();
    }
  });

  it("the dashboard's \"since the baseline\" panel follows the looks: a listener opened after the page shows up in it", async (t) => {
    // Real looks at the live host, of which the dashboard is shown only the sockets of the process the test
    // plants, against a baseline of nothing: the panel must follow the looks, whatever else the host (and
    // other test files, thousands of short-lived listeners) does meanwhile; the panel's list is cut at
    // 1,000 lines, and a whole loaded host could push the planted listener past the cut.
    const baseline: Baseline = { schema: 1, savedAt: "2026-11-20T08:30:00.000Z", hostname: null, entries: [] };
    const looker = createLooker(createAuditor(), { baseline });
    let planted: number | null = null;
    const mine = async () => {
      const next = await looker.next();
      return { ...next, look: { ...next.look, sockets: next.look.sockets.filter((s) => planted !== null && s.process?.pid === planted) as typeof next.look.sockets } };
    };
    const live = await startDashboard({ intervalMs: 300, look: mine, baseline: () => baseline });
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    t.after(async () => { await page.close(); await live.close(); });
    await page.goto(live.loginUrl);
    await page.waitForSelector("#baseline li.total", { timeout: 10_000 });
    const { child, port } = await plantListener();
    planted = child.pid ?? null;
    try {
      // Each look reads the whole live host; with other test files loading it, looks can take seconds.
      await page.waitForSelector(`#baseline li:has-text("appeared"):has-text("127.0.0.1:${port} LISTEN")`, { timeout: 30_000 });
    } finally {
      kill(child);
    }
  });
});
