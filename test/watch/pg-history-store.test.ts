import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import type { Seen } from "../../src/model/change.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import { LookQueue } from "../../src/watch/look-queue-store.js";
import { lookRecord } from "../../src/watch/look-record.js";
import { PgHistoryStore } from "../../src/watch/pg-history-store.js";
import { migrateStore } from "../../src/watch/pg-schema-store.js";
import { postgresMissing, startPostgres, type TestPostgres } from "../helpers/postgres.js";

// The PostgreSQL store against a real, throwaway PostgreSQL (test/helpers/postgres.ts): migrations,
// exactly-once writes, row-level security between hosts, and a database that goes away mid-run.

const dir = mkdtempSync(join(tmpdir(), "pw-pgstore-"));
let db: TestPostgres;
let admin: pg.Client;
before(async () => { if (!postgresMissing) { db = await startPostgres(); admin = await db.client(); } });
after(async () => { await admin?.end(); await db?.destroy(); rmSync(dir, { recursive: true, force: true }); });

const proc = (pid: number, exe: string): ProcessInfo => ({ pid, name: exe.slice(exe.lastIndexOf("/") + 1), exe, exeDeleted: false, cmdline: [], uid: 0, user: "root", containerId: null, netns: 1 });
const sock = (port: number, p: ProcessInfo | null, verdict: Socket["verdict"] = "unknown"): Socket => ({ proto: "tcp", family: 4, local: { address: "0.0.0.0", port }, remote: null, state: "LISTEN", direction: "listening", exposure: "all-interfaces", netns: 1, inode: 1, uid: 0, service: null, process: p, sharedWith: [], verdict, reasons: [], explanation: null });
const look = (...ports: number[]) => new Map<string, Seen>(ports.map((port) => { const id = `L|tcp|${port}|/usr/bin/app|root|host`; return [id, { identity: id, verdict: "unknown", socket: sock(port, proc(10, "/usr/bin/app")) }]; }));
const host = (hostId: string) => ({ hostId, hostname: `${hostId}.example`, intervalMs: 1000 });
const problems: string[] = [];
const queueOf = (name: string) => new LookQueue(join(dir, name), (m) => problems.push(m));
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s)).toISOString();
const count = async (sql: string, args: unknown[] = []) => Number((await admin.query<{ n: string }>(sql, args)).rows[0]?.n);
const skip = postgresMissing;

/** Waits (bounded) until `check` holds. */
async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe("PgHistoryStore", { skip }, () => {
  it("migrateStore applies each migration once when several starters race, and says so to the next", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => migrateStore({ url: db.url(), password: db.password })));
    assert.deepEqual(results.map((r) => r.applied).flat(), [1, 2]);
    assert.deepEqual((await admin.query("SELECT version FROM schema_migrations")).rows, [{ version: 1 }, { version: 2 }]);
    assert.deepEqual(await migrateStore({ url: db.url(), password: db.password }), { applied: [], version: 2 });
  });

  it("PgHistoryStore writes each look once in one transaction, and a replay of a written look writes nothing", async () => {
    const target = { url: db.url(), password: db.password };
    const store = await PgHistoryStore.open(target, host("replay"), queueOf("q-replay"), (m) => problems.push(m));
    store.record(look(22, 80), [], at(1));
    store.record(look(22), [], at(2));
    assert.equal(await store.close(5000), 0);
    // The second look as a queued file (a run that was killed after the commit, before removing it).
    const q = queueOf("q-replay");
    q.push(q.reserve(), lookRecord(look(22), [], at(2), host("replay")));
    const again = await PgHistoryStore.open(target, host("replay"), q, (m) => problems.push(m));
    assert.equal(await again.close(5000), 0);
    assert.equal(await count("SELECT count(*) AS n FROM fleet_looks WHERE host_id = 'replay'"), 2);
    const rows = (await admin.query("SELECT identity, times_seen, last_seen FROM fleet_identities WHERE host_id = 'replay' ORDER BY identity")).rows;
    assert.deepEqual(rows.map((r: { identity: string; times_seen: number; last_seen: Date }) => [r.identity, r.times_seen, r.last_seen.toISOString()]),
      [["L|tcp|22|/usr/bin/app|root|host", 2, at(2)], ["L|tcp|80|/usr/bin/app|root|host", 1, at(1)]]);
    const last = await (await PgHistoryStore.open(target, host("replay"), null, () => undefined)).lastLook();
    assert.deepEqual([last?.at, last?.entries.map((e) => e.identity)], [at(2), ["L|tcp|22|/usr/bin/app|root|host"]]);
  });

  it("PgHistoryStore keeps looks on disk while the database is stopped and writes every one exactly once, in order, when it is back", async () => {
    const target = { url: db.url(), password: db.password };
    const seen: string[] = [];
    const store = await PgHistoryStore.open(target, host("restart"), queueOf("q-restart"), (m) => seen.push(m));
    store.record(look(22), [], at(10));
    await until(async () => (await count("SELECT count(*) AS n FROM fleet_looks WHERE host_id = 'restart'")) === 1, "the first look written");
    await admin.end();
    await db.stop();
    for (let s = 11; s <= 14; s++) store.record(look(22, 1000 + s), [], at(s)); // while it is away: queued, the watcher goes on
    await until(async () => readdirSync(join(dir, "q-restart")).length === 4, "four looks queued", 10_000);
    await db.start();
    admin = await db.client();
    store.record(look(22), [], at(15));
    await until(async () => (await count("SELECT count(*) AS n FROM fleet_looks WHERE host_id = 'restart'")) === 6, "all six looks written");
    assert.equal(await store.close(5000), 0);
    const looks = (await admin.query("SELECT at FROM fleet_looks WHERE host_id = 'restart' ORDER BY written_at, at")).rows.map((r: { at: Date }) => r.at.toISOString());
    assert.deepEqual(looks, [10, 11, 12, 13, 14, 15].map(at), "each look once, in the order taken");
    assert.equal(await count("SELECT times_seen AS n FROM fleet_identities WHERE host_id = 'restart' AND identity LIKE 'L|tcp|22|%'"), 6);
    assert.ok(seen.some((m) => /cannot write to the fleet store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/postgres: .*looks wait on disk/.test(m)), seen.join("\n"));
    assert.ok(seen.some((m) => /answers again: wrote \d+ queued look/.test(m)), seen.join("\n"));
    assert.ok(!seen.join("\n").includes(db.password), "the password is never in a message");
  });

  it("PgHistoryStore opened while the database is away warns, queues, and writes when it answers; a refused password is an error at once", async () => {
    await assert.rejects(PgHistoryStore.open({ url: db.url(), password: "wrong" }, host("refused"), queueOf("q-refused"), () => undefined),
      (e: Error) => e.name === "InputError" && /password authentication failed/.test(e.message) && /--store-password-file/.test(e.message));
    const seen: string[] = [];
    const away = await PgHistoryStore.open({ url: "postgres://postgres@127.0.0.1:1/postgres", password: db.password }, host("away"), queueOf("q-away"), (m) => seen.push(m));
    away.record(look(22), [], at(20));
    assert.equal(await away.close(200), 1);
    assert.match(seen[0] ?? "", /cannot write to the fleet store postgres:\/\/\*\*\*@127\.0\.0\.1:1\/postgres: .*is PostgreSQL running/);
  });
});

describe("row-level security (contrib/postgres/roles.sql)", { skip }, () => {
  const roles = readFileSync(fileURLToPath(new URL("../../contrib/postgres/roles.sql", import.meta.url)), "utf8");
  const pass = "writer-password";

  it("a host's writer role writes its own rows only: another host's rows cannot be inserted, changed or read; the reader reads all", async () => {
    await migrateStore({ url: db.url(), password: db.password });
    await admin.query(roles);
    await admin.query(roles); // safe to run again
    for (const r of ["pw_host_a", "pw_host_b"]) await admin.query(`CREATE ROLE ${r} LOGIN PASSWORD '${pass}' IN ROLE portwatch_writer`);
    await admin.query(`CREATE ROLE pw_reader LOGIN PASSWORD '${pass}' IN ROLE portwatch_reader`);
    await admin.query("INSERT INTO fleet_host_roles (role, host_id) VALUES ('pw_host_a', 'host-a'), ('pw_host_b', 'host-b')");
    for (const [role, id] of [["pw_host_a", "host-a"], ["pw_host_b", "host-b"]] as const) {
      const store = await PgHistoryStore.open({ url: db.url(role), password: pass }, host(id), queueOf(`q-${id}`), (m) => problems.push(m));
      store.record(look(22, id === "host-a" ? 6667 : 443), [], at(30));
      assert.equal(await store.close(5000), 0, `${id} wrote its look`);
    }
    const a = await db.client("pw_host_a", pass);
    try {
      await assert.rejects(a.query("INSERT INTO fleet_looks (host_id, at, hostname, identities, expected, unknown, suspicious) VALUES ('host-b', now(), 'forged', 0, 0, 0, 0)"),
        (e: { code?: string; message: string }) => e.code === "42501" && /row-level security/.test(e.message));
      const changed = await a.query("UPDATE fleet_identities SET last_verdict = 'expected' WHERE host_id = 'host-b'");
      assert.equal(changed.rowCount, 0, "host-b's rows are invisible to host-a's writer");
      await assert.rejects(a.query("UPDATE fleet_identities SET host_id = 'host-b' WHERE host_id = 'host-a'"), (e: { code?: string }) => e.code === "42501");
      await assert.rejects(a.query("INSERT INTO fleet_host_roles (role, host_id) VALUES ('pw_host_a2', 'host-b')"), (e: { code?: string }) => e.code === "42501");
      await assert.rejects(a.query("UPDATE fleet_host_roles SET host_id = 'host-b' WHERE role = 'pw_host_a'"), (e: { code?: string }) => e.code === "42501");
      assert.deepEqual((await a.query("SELECT DISTINCT host_id FROM fleet_identities")).rows, [{ host_id: "host-a" }]);
    } finally { await a.end(); }
    // The store itself, told to be host-b with host-a's role: refused by the database, kept on disk, nothing written.
    const seen: string[] = [];
    const forged = await PgHistoryStore.open({ url: db.url("pw_host_a"), password: pass }, host("host-b"), queueOf("q-forged"), (m) => seen.push(m));
    forged.record(look(31337), [], at(31));
    assert.equal(await forged.close(1000), 1);
    assert.match(seen[0] ?? "", /row-level security/);
    const reader = await db.client("pw_reader", pass);
    try {
      assert.deepEqual((await reader.query("SELECT host_id, port FROM fleet_identities WHERE host_id LIKE 'host-%' AND port <> 22 ORDER BY host_id")).rows, [{ host_id: "host-a", port: 6667 }, { host_id: "host-b", port: 443 }]);
      await assert.rejects(reader.query("DELETE FROM fleet_looks"), (e: { code?: string }) => e.code === "42501");
    } finally { await reader.end(); }
  });
});
