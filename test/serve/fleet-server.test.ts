import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { chromium, type Browser } from "playwright-core";
import { createAuditor } from "../../src/audit/auditor.js";
import { createLooker } from "../../src/audit/look-loop.js";
import type { Seen } from "../../src/model/change.js";
import type { FleetHost } from "../../src/model/fleet.js";
import { renderFleetPage } from "../../src/serve/fleet-page.js";
import { startFleetDashboard } from "../../src/serve/fleet-server.js";
import type { Dashboard } from "../../src/serve/server.js";
import { FleetLookReader } from "../../src/watch/fleet-look-store.js";
import { LookQueue } from "../../src/watch/look-queue-store.js";
import { PgHistoryStore } from "../../src/watch/pg-history-store.js";
import { migrateStore } from "../../src/watch/pg-schema-store.js";
import { postgresMissing, startPostgres, type TestPostgres } from "../helpers/postgres.js";

// The dashboard's fleet view (serve --store) against a real, throwaway PostgreSQL (test/helpers/postgres.ts):
// three hosts write looks of the captured Debian 12 tree (test/fixtures/proc/debian12-holders, see its
// CAPTURE.json) through the store, each as its own writer role (contrib/postgres/roles.sql); the
// dashboard reads as the reader role only. The HTTP API is asked with the token; the page is checked in
// Debian's chromium, loopback only. The clock of the fleet view is fixed, so "not reporting" is certain.

const CHROMIUM = "/usr/bin/chromium";
const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const roles = fileURLToPath(new URL("../../contrib/postgres/roles.sql", import.meta.url));
const pass = "fleet-view-password";
const at = (m: number, s = 0) => new Date(Date.UTC(2026, 11, 1, 12, m, s)).toISOString();
const NOW = new Date(at(10));
const skip = postgresMissing;

let db: TestPostgres;
let admin: pg.Client;
let dir: string;
let seen: Map<string, Seen>;
let counts: Map<string, number>;
let dashboard: Dashboard;
const problems: string[] = [];

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers }, (res) => { let body = ""; res.on("data", (d) => { body += d; }); res.on("end", () => ok({ status: res.statusCode ?? 0, body })); });
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}
const api = async <T>(path: string): Promise<T> => {
  const r = await get(`${dashboard.url.replace(/\/$/, "")}${path}`, { authorization: `Bearer ${dashboard.token}` });
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return JSON.parse(r.body) as T;
};

before(async () => {
  if (postgresMissing) return;
  dir = mkdtempSync(join(tmpdir(), "pw-fleet-view-"));
  db = await startPostgres();
  admin = await db.client();
  await migrateStore({ url: db.url(), password: db.password });
  await admin.query(readFileSync(roles, "utf8"));
  for (const h of ["a", "b", "c"]) {
    await admin.query(`CREATE ROLE pw_host_${h} LOGIN PASSWORD '${pass}' IN ROLE portwatch_writer`);
    await admin.query("INSERT INTO fleet_host_roles (role, host_id) VALUES ($1, $2)", [`pw_host_${h}`, `host-${h}`]);
  }
  await admin.query(`CREATE ROLE pw_reader LOGIN PASSWORD '${pass}' IN ROLE portwatch_reader`);
  const look = await createLooker(createAuditor(), { procRoot: tree }).next();
  seen = look.seen;
  counts = look.counts;
  // host-a and host-b report (last look 5 s before NOW, a 10 s interval); host-c's last look is 10 minutes old.
  // host-b has one identity fewer, and a host name with markup and a terminal escape in it.
  const dropped = [...seen.keys()][0] as string;
  const hosts = [
    { role: "pw_host_a", hostId: "host-a", hostname: "alpha.example", looks: [at(9, 45), at(9, 55)], seen },
    { role: "pw_host_b", hostId: "host-b", hostname: "<b>beta</b>\u001b[31m", looks: [at(9, 55)], seen: new Map([...seen].filter(([k]) => k !== dropped)) },
    { role: "pw_host_c", hostId: "host-c", hostname: "gamma.example", looks: [at(0)], seen },
  ];
  for (const h of hosts) {
    const store = await PgHistoryStore.open({ url: db.url(h.role), password: pass }, { hostId: h.hostId, hostname: h.hostname, intervalMs: 10_000 },
      new LookQueue(join(dir, h.hostId), (m) => problems.push(m)), (m) => problems.push(m));
    for (const t of h.looks) store.record(h.seen, [], t, counts);
    assert.equal(await store.close(10_000), 0, `${h.hostId} wrote its looks`);
  }
  const fleet = await FleetLookReader.open({ url: db.url("pw_reader"), password: pass });
  dashboard = await startFleetDashboard({ fleet, now: () => NOW });
  const close = dashboard.close;
  dashboard.close = async () => { await close(); await fleet.close(); };
});
after(async () => {
  await dashboard?.close();
  await admin?.end();
  await db?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("startFleetDashboard: the fleet's HTTP API, read as the reader role", { skip }, () => {
  it("startFleetDashboard refuses a request without the token and binds to loopback", async () => {
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const path of ["/", "/api/hosts", "/host/host-a/api/identities"]) {
      assert.equal((await get(`${dashboard.url.replace(/\/$/, "")}${path}`)).status, 401, path);
    }
  });

  it("startFleetDashboard lists every host with its last look, counts per verdict, and the one not reporting", async () => {
    const hosts = await api<FleetHost[]>("/api/hosts");
    assert.deepEqual(hosts.map((h) => [h.hostId, h.lastLook, h.notReportingSince]).sort(), [
      ["host-a", at(9, 55), null], ["host-b", at(9, 55), null], ["host-c", at(0), at(0)],
    ]);
    const verdicts = { expected: 0, unknown: 0, suspicious: 0 };
    for (const s of seen.values()) verdicts[s.verdict]++;
    assert.deepEqual(hosts.find((h) => h.hostId === "host-a")?.counts, verdicts);
  });

  it("startFleetDashboard gives one host's last look as the dashboard's identities, with each socket's verdict, reasons and explanation", async () => {
    const ids = await api<{ hostname: string; at: string; summary: Record<string, number>; identities: { identity: string; verdict: string; count: number; socket: { verdict: string; reasons: unknown[]; explanation: string | null } }[]; fleet: { hostId: string } }>("/host/host-a/api/identities");
    assert.equal(ids.hostname, "alpha.example");
    assert.equal(ids.at, at(9, 55));
    assert.equal(ids.fleet.hostId, "host-a");
    assert.deepEqual(ids.identities.map((i) => i.identity).sort(), [...seen.keys()].sort());
    for (const i of ids.identities) {
      const s = seen.get(i.identity)!;
      assert.equal(i.verdict, s.verdict);
      assert.equal(i.count, counts.get(i.identity));
      assert.deepEqual([i.socket.verdict, i.socket.reasons, i.socket.explanation], [s.socket.verdict, JSON.parse(JSON.stringify(s.socket.reasons)), s.socket.explanation]);
    }
    assert.equal(ids.summary["sockets"], [...counts.values()].reduce((a, b) => a + b, 0));
    assert.equal((await api<{ identities: unknown[] }>("/host/host-b/api/identities")).identities.length, seen.size - 1);
  });

  it("startFleetDashboard gives an identity's detail with its history in the store, and 404 for a host it does not have", async () => {
    const id = [...seen.keys()][0] as string;
    const d = await api<{ count: number; history: { timesSeen: number; firstSeen: string }; sockets: unknown[] }>(`/host/host-a/api/identity?id=${encodeURIComponent(id)}`);
    assert.deepEqual([d.history.timesSeen, d.history.firstSeen, d.sockets.length, d.count], [2, at(9, 45), 1, counts.get(id)]);
    const none = await get(`${dashboard.url}host/nowhere/api/identities`, { authorization: `Bearer ${dashboard.token}` });
    assert.equal(none.status, 404);
  });

  it("FleetLookReader refuses a store whose schema keeps no sockets, and says what to do", async () => {
    const old = "pw_fleet_v1";
    await admin.query(`CREATE DATABASE ${old}`);
    try {
      const target = { url: db.url("postgres", old), password: db.password };
      const pgm = await import("pg");
      const client = new pgm.default.Client({ host: "127.0.0.1", port: db.port, user: "postgres", database: old, password: db.password });
      await client.connect();
      const { MIGRATIONS } = await import("../../src/watch/pg-schema-store.js");
      await client.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      await client.query(MIGRATIONS[0]!.sql);
      await client.query("INSERT INTO schema_migrations (version, name) VALUES (1, 'v1')");
      await client.end();
      await assert.rejects(FleetLookReader.open(target), /fleet schema is version 1, which keeps no sockets for the dashboard \(run "portwatch fleet init/);
    } finally { await admin.query(`DROP DATABASE ${old}`); }
  });
});

describe("renderFleetPage", () => {
  const host = (hostname: string, notReportingSince: string | null): FleetHost => ({ hostId: "h-1", hostname, lastLook: at(9), intervalMs: 10_000, counts: { expected: 3, unknown: 2, suspicious: 1 }, notReportingSince });
  it("renderFleetPage escapes a host's name and shows its control characters, never runs them", () => {
    const html = renderFleetPage([host("<script>x</script>\u001b[2J", null)], "postgres://***@db/fleet");
    assert.ok(!html.includes("<script>x"));
    assert.ok(html.includes("&#60;script&#62;x&#60;/script&#62;\\x1b[2J"));
    assert.ok(html.includes('href="/host/h-1/"'));
  });
  it("renderFleetPage says since when a host is not reporting", () => {
    assert.match(renderFleetPage([host("a", at(0))], "p"), /not reporting since [^<]+<\/td>/);
    assert.doesNotMatch(renderFleetPage([host("a", null)], "p"), /not reporting since/);
  });
});

describe("portwatch serve --store: the fleet in a real browser (Debian chromium, loopback only)", { skip }, () => {
  let browser: Browser;
  before(async () => {
    if (postgresMissing) return;
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (npm test does, as root: scripts/test-deps.sh)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  });
  after(async () => { await browser?.close(); });

  it("the fleet page lists the hosts, opens one host in the dashboard's own view, and shows a row's explanation", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript("globalThis.__name = (f) => f");
    try {
      await page.goto(dashboard.loginUrl);
      assert.equal(new URL(page.url()).search, "", "the token left the address bar");
      await page.waitForSelector("#hosts tbody tr", { timeout: 10_000 });
      const rows = await page.$$eval("#hosts tbody tr", (els) => els.map((e) => e.textContent ?? ""));
      assert.equal(rows.length, 3);
      assert.ok(rows.some((r) => r.startsWith("<b>beta</b>\\x1b[31m")), rows.join("\n"));
      assert.ok(rows.find((r) => r.includes("host-c"))?.includes("not reporting since"));
      assert.ok(!rows.find((r) => r.includes("host-a"))?.includes("not reporting"));
      await page.click('a[href="/host/host-a/"]');
      await page.waitForSelector("#rows .row", { timeout: 10_000 });
      assert.equal(await page.textContent("#host"), "alpha.example");
      assert.equal(await page.textContent("#shown"), `${seen.size} of ${seen.size} shown`);
      assert.match(await page.textContent("#status") ?? "", /its last look in the fleet store/);
      await page.waitForSelector("#baseline-note:has-text(\"fleet store\")", { timeout: 10_000 });
      assert.match(await page.textContent("#baseline-note") ?? "", /fleet store keeps no baselines/);
      await page.click("#rows .row");
      await page.waitForSelector("#detail dt", { timeout: 10_000 });
      const detail = await page.textContent("#detail") ?? "";
      assert.match(detail, /Explanation/);
      assert.match(detail, /History.*seen 2 times/);
      await page.click("#fleet-back");
      await page.waitForSelector("#hosts", { timeout: 10_000 });
    } finally { await page.close(); }
  });
});
