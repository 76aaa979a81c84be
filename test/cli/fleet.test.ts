import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import type { Seen } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";
import { LookQueue } from "../../src/watch/look-queue-store.js";
import { PgHistoryStore } from "../../src/watch/pg-history-store.js";
import { migrateStore } from "../../src/watch/pg-schema-store.js";
import { postgresMissing, startPostgres, type TestPostgres } from "../helpers/postgres.js";

// Several watchers as different hosts (--host-id), each a real `portwatch watch --store` process with its
// own writer role, against a throwaway PostgreSQL; then the fleet's questions through the built CLI.
// Hosts a and c look at the captured proc tree (a suspicious listener on 127.0.0.1:56303 held by a deleted
// /tmp/pwcap-bMut83/kworker whose name carries a terminal escape); host b looks at this machine, where
// this test plants one loopback listener. Only what is planted is asserted about.

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const roles = fileURLToPath(new URL("../../contrib/postgres/roles.sql", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-cli-fleet-"));
const pass = "writer-password";
const passFile = join(dir, "writer-password");
writeFileSync(passFile, `${pass}\n`, { mode: 0o600 });
let db: TestPostgres;
let admin: pg.Client;
let planted: ChildProcess | null = null;
let plantedPort = 0;

/** Runs the built CLI (bounded: 60 s); resolves with its exit code and output. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((ok) => {
    const child = spawn(main, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "", COLUMNS: "", PORTWATCH_STORE: "", PGPASSWORD: "", ...env } });
    let out = "", err = "";
    child.stdout.on("data", (d: Buffer) => { out += d; });
    child.stderr.on("data", (d: Buffer) => { err += d; });
    const timer = setTimeout(() => { if (child.pid) process.kill(child.pid, "SIGKILL"); }, 60_000);
    child.on("close", (code) => { clearTimeout(timer); ok({ code, out, err }); });
  });
}
const watcher = (role: string, hostId: string, extra: string[]) => run(["watch", "--ndjson", "--store", db.url(role), "--store-password-file", passFile, "--host-id", hostId, "--state-dir", join(dir, `state-${hostId}`), ...extra]);
const fleet = (...args: string[]) => run(["fleet", ...args, "--store", db.url("pw_reader"), "--store-password-file", passFile]);
const json = async <T>(...args: string[]): Promise<T> => { const r = await fleet(...args, "--json"); assert.equal(r.code, 0, r.err); return JSON.parse(r.out) as T; };

before(async () => {
  if (postgresMissing) return;
  db = await startPostgres();
  admin = await db.client();
  await migrateStore({ url: db.url(), password: db.password });
  await admin.query((await import("node:fs")).readFileSync(roles, "utf8"));
  for (const h of ["a", "b", "c", "d", "e"]) {
    await admin.query(`CREATE ROLE pw_host_${h} LOGIN PASSWORD '${pass}' IN ROLE portwatch_writer`);
    await admin.query("INSERT INTO fleet_host_roles (role, host_id) VALUES ($1, $2)", [`pw_host_${h}`, `host-${h}`]);
  }
  await admin.query(`CREATE ROLE pw_reader LOGIN PASSWORD '${pass}' IN ROLE portwatch_reader`);
  const code = `const s=require("net").createServer().listen(0,"127.0.0.1",()=>console.log(s.address().port));setTimeout(()=>process.exit(0),60000)`;
  planted = spawn(process.execPath, ["-e", code, "portwatch-fleet-plant"], { stdio: ["ignore", "pipe", "ignore"] });
  plantedPort = await new Promise<number>((ok, fail) => { const t = setTimeout(() => fail(new Error("the planted listener did not start in 10 s")), 10_000); planted!.stdout!.once("data", (d: Buffer) => { clearTimeout(t); ok(Number(String(d).trim())); }); });
});
after(async () => {
  if (planted?.pid && planted.exitCode === null) { try { process.kill(planted.pid, "SIGKILL"); } catch { /* gone */ } }
  await admin?.end();
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface Host { hostId: string; notReportingSince: string | null; counts: { suspicious: number } }
interface Found { hostId: string; port: number; program: string; name: string; verdict: string; lists: string[] }

describe("portwatch fleet (built CLI, a real PostgreSQL)", { skip: postgresMissing }, () => {
  it("portwatch fleet hosts, find and changes answer for the hosts whose watchers wrote, each host with its own writer role", async () => {
    // Host c: one look at a 100 ms interval, so it is "not reporting" (5 intervals) by the time the others are done.
    const c = await watcher("pw_host_c", "host-c", ["--interval", "100ms", "--count", "1", "--proc-root", tree]);
    assert.equal(c.code, 0, c.err);
    const [a, b] = await Promise.all([
      watcher("pw_host_a", "host-a", ["--interval", "10s", "--count", "1", "--proc-root", tree]),
      watcher("pw_host_b", "host-b", ["--interval", "10s", "--count", "1"]),
    ]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    await new Promise((ok) => setTimeout(ok, 600)); // host c's 5 intervals (500 ms) are over
    const hosts = await json<Host[]>("hosts");
    const mine = hosts.filter((h) => ["host-a", "host-b", "host-c"].includes(h.hostId)).sort((x, y) => x.hostId.localeCompare(y.hostId));
    assert.deepEqual(mine.map((h) => [h.hostId, h.notReportingSince !== null]), [["host-a", false], ["host-b", false], ["host-c", true]], JSON.stringify(hosts));
    assert.deepEqual(mine.filter((h) => h.hostId !== "host-b").map((h) => h.counts.suspicious), [2, 2]);
    assert.ok((await json<Host[]>("hosts", "--stale", "1h")).every((h) => h.notReportingSince === null), "--stale 1h: every host reports");

    const onPort = await json<Found[]>("find", "--port", String(plantedPort));
    // Only host b's look has the planted port (its holder is not asserted: on a host loaded by other tests'
    // 200,000 sockets the owner lookup of one look may come back partial; the program is checked on a and c).
    assert.deepEqual(onPort.map((f) => [f.hostId, f.port]), [["host-b", plantedPort]], `${JSON.stringify(onPort)}\nhost b's watcher said: ${b.err}`);
    const suspicious = (await json<Found[]>("find", "--verdict", "suspicious")).filter((f) => f.hostId !== "host-b");
    assert.deepEqual(suspicious.map((f) => `${f.hostId}:${f.port}`).sort(), ["host-a:53407", "host-a:56303", "host-c:53407", "host-c:56303"], JSON.stringify(suspicious));
    const byProgram = await json<Found[]>("find", "--program", "kworker", "--port", "56303");
    assert.deepEqual(byProgram.map((f) => [f.hostId, f.program]), [["host-a", "/tmp/pwcap-bMut83/kworker"], ["host-c", "/tmp/pwcap-bMut83/kworker"]]);

    const table = await fleet("find", "--verdict", "suspicious", "--port", "56303");
    assert.equal(table.code, 0, table.err);
    assert.ok(!table.out.includes("\u001b"), "the planted name's escape is shown, not obeyed");
    const lines = table.out.split("\n").filter(Boolean);
    assert.match(lines[0] ?? "", /^Host\s+Verdict\s+Proto\s+Direction\s+Port\s+Local\s+Remote\s+Program\s+Lists$/);
    const col = (lines[0] ?? "").indexOf("Local");
    assert.deepEqual(lines.slice(1, 3).map((l) => l.slice(col, col + 15)), ["127.0.0.1:56303", "127.0.0.1:56303"], "aligned columns");
    assert.match(lines.at(-1) ?? "", /^2 socket identities on 2 host\(s\)$/);
    const hostTable = await fleet("hosts");
    assert.match(hostTable.out, /host-c\s.*not reporting since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d/);
  });

  it("portwatch fleet find --list and fleet changes show the lists and changes a watcher wrote", async () => {
    const remote = { address: "203.0.113.9", port: 443, lists: [{ name: "feodo", category: "malware", date: null, network: "203.0.113.9" }] };
    const socket = { proto: "tcp", family: 4, local: { address: "10.0.0.5", port: 50123 }, remote, state: "ESTABLISHED", direction: "outbound", exposure: null, netns: 1, inode: 1, uid: 0, service: null, process: { pid: 7, name: "xmrig", exe: "/opt/x/xmrig", exeDeleted: false, cmdline: [], uid: 0, user: "root", containerId: null, netns: 1 }, sharedWith: [], verdict: "suspicious", reasons: [], explanation: null } as Socket;
    const id = "O|tcp|203.0.113.9|443|/opt/x/xmrig|root|host";
    const seen = new Map<string, Seen>([[id, { identity: id, verdict: "suspicious", socket }]]);
    const store = await PgHistoryStore.open({ url: db.url("pw_host_d"), password: pass }, { hostId: "host-d", hostname: "d.example", intervalMs: 1000 }, new LookQueue(join(dir, "q-d"), () => undefined), () => undefined);
    const at = new Date().toISOString();
    store.record(seen, [{ type: "appeared", identity: id, socket, at }], at);
    assert.equal(await store.close(5000), 0);
    const listed = await json<Found[]>("find", "--list", "feodo");
    assert.deepEqual(listed.map((f) => [f.hostId, f.port, f.program, f.lists]), [["host-d", 443, "/opt/x/xmrig", ["feodo"]]]);
    assert.deepEqual((await json<Found[]>("find", "--program", "xmrig")).map((f) => f.hostId), ["host-d"]);
    const changes = (await json<{ hostId: string; type: string; identity: string; program: string }[]>("changes", "--since", "1h")).filter((e) => e.hostId === "host-d");
    assert.deepEqual(changes.map((e) => [e.type, e.identity, e.program]), [["appeared", id, "/opt/x/xmrig"]]);
    // More rows than --limit: the first ones, and a line on stderr, never a silent cut.
    const some = await fleet("find", "--verdict", "suspicious", "--limit", "1", "--json");
    assert.equal(some.code, 0, some.err);
    assert.equal((JSON.parse(some.out) as Found[]).length, 1);
    assert.match(some.err, /more than 1 socket identities match; only the first 1 are shown: .*raise --limit/);
    const all = await fleet("find", "--list", "feodo", "--limit", "1", "--json");
    assert.equal(all.err, "", "exactly the limit: nothing to say");
    assert.match((await fleet("changes", "--since", "1h", "--limit", "0")).err, /expected a number of rows, 1 or more/);
    const table = await fleet("changes", "--since", "1h");
    assert.match(table.out, /^When\s+Host\s+Change\s+Verdict\s+Port\s+Program\s+Identity$/m);
    assert.match(table.out, /d\.example\s+appeared\s+suspicious\s+443\s+\/opt\/x\/xmrig/);
  });

  it("portwatch watch --store keeps every look exactly once when the database is stopped and restarted mid-run", async () => {
    const looks = async () => Number((await admin.query<{ n: string }>("SELECT count(*) AS n FROM fleet_looks WHERE host_id = 'host-e'")).rows[0]?.n);
    const running = watcher("pw_host_e", "host-e", ["--interval", "200ms", "--count", "15", "--proc-root", tree]);
    for (let i = 0; i < 300 && (await looks()) < 2; i++) await new Promise((ok) => setTimeout(ok, 50)); // bounded: 15 s
    assert.ok((await looks()) >= 2, "the watcher wrote before the stop");
    await admin.end();
    await db.stop();
    await new Promise((ok) => setTimeout(ok, 1000)); // about five looks while the database is away
    await db.start();
    admin = await db.client();
    const done = await running;
    assert.equal(done.code, 0, done.err);
    assert.match(done.err, /cannot write to the fleet store .*looks wait on disk/);
    assert.doesNotMatch(done.err, /wait for the fleet store/, "nothing left queued at the end");
    const rows = (await admin.query<{ at: Date; n: string }>("SELECT at, count(*) AS n FROM fleet_looks WHERE host_id = 'host-e' GROUP BY at")).rows;
    assert.equal(rows.length, 15, "every look is there");
    assert.ok(rows.every((r) => Number(r.n) === 1));
    const times = await admin.query<{ t: number }>("SELECT times_seen AS t FROM fleet_identities WHERE host_id = 'host-e' AND port = 56303");
    assert.deepEqual(times.rows, [{ t: 15 }], "each look counted once");
  });

  it("portwatch history --store shows one host's identities from the fleet store", async () => {
    const r = await run(["history", "--json", "--port", "56303", "--store", db.url("pw_reader"), "--store-password-file", passFile, "--host-id", "host-a"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((JSON.parse(r.out) as { identity: string; lastVerdict: string }[]).map((e) => e.lastVerdict), ["suspicious"]);
  });

  it("portwatch fleet refuses what it cannot use: no store, no question, a wrong password; a password in the URL is warned about and never printed", async () => {
    const none = await run(["fleet", "hosts"]);
    assert.equal(none.code, 2);
    assert.match(none.err, /Cannot query the fleet: no store given \(use --store postgres:\/\/ROLE@HOST\/DB or set PORTWATCH_STORE\)/);
    const noQuestion = await fleet("find");
    assert.equal(noQuestion.code, 2);
    assert.match(noQuestion.err, /give --port N, --program NAME, --verdict VERDICT or --list NAME/);
    const secret = "s3cret-in-url";
    const inUrl = await run(["fleet", "hosts", "--store", `postgres://pw_reader:${secret}@127.0.0.1:${db.port}/postgres`]);
    assert.equal(inUrl.code, 2, "a wrong password is refused");
    assert.match(inUrl.err, /has a password in its URL: other users can read it in the process list/);
    assert.match(inUrl.err, /password authentication failed/);
    assert.ok(!(inUrl.out + inUrl.err).includes(secret), inUrl.err);
    const env = await run(["fleet", "hosts", "--json"], { PORTWATCH_STORE: db.url("pw_reader"), PGPASSWORD: pass });
    assert.equal(env.code, 0, env.err);
    const badFile = join(dir, "open-password");
    writeFileSync(badFile, `${pass}\n`, { mode: 0o644 });
    const open = await run(["fleet", "hosts", "--store", db.url("pw_reader"), "--store-password-file", badFile]);
    assert.equal(open.code, 2);
    assert.match(open.err, /others may read or write it \(mode 0644\); make it private: chmod 600/);
  });

  it("portwatch fleet --help names its commands and each command's options", async () => {
    const help = await run(["fleet", "--help"]);
    for (const c of ["hosts", "find", "changes", "init"]) assert.match(help.out, new RegExp(`^  ${c}\\b`, "m"));
    const find = await run(["fleet", "find", "--help"]);
    for (const o of ["--port", "--program", "--verdict", "--list", "--json", "--store", "--store-password-file"]) assert.ok(find.out.includes(o), o);
    const watch = await run(["watch", "--help"]);
    for (const o of ["--store", "--store-password-file", "--host-id"]) assert.ok(watch.out.includes(o), o);
  });
});
