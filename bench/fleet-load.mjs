// The fleet store under load (issue 18, "Done when" #2): HOSTS simulated hosts each write a look every
// INTERVAL of simulated time for DURATION of simulated time into one PostgreSQL on this machine (a
// throwaway cluster made by test/helpers/postgres.ts: initdb in a temporary folder, loopback only,
// fsync off as in the tests), then the fleet's queries are timed. Writes bench/RESULTS-fleet.md.
//
//   npm run build && node --import tsx bench/fleet-load.mjs [--hosts 200] [--minutes 10] [--interval-s 10] [--concurrency 8] [--out FILE]
//     [--without-sockets]   (each identity without its socket JSON, as schema version 1 wrote looks: what the fleet view costs)
//
// The looks are realistic in shape: each host starts from one real look at a captured Debian 12 host
// (test/fixtures/proc/debian12-holders, through createLooker: real sockets with their verdicts, reasons
// and explanations; not this machine, whose socket count others' benchmarks change), widened to a few hundred identities by
// copies of its sockets on other ports and with other programs (listeners, inbound and outbound flows),
// and each look changes a few of them (identities that go, new ones, a verdict that changes). Every
// look goes through the store's real write path: lookRecord (watch/look-record.ts) and
// PgHistoryStore's write (one transaction: fleet_looks, fleet_hosts, fleet_identities with each
// identity's socket JSON, fleet_events; pruning every 100 looks). The clock is simulated (each look's
// time is the simulated one), so ten minutes of a fleet take a few minutes here: the simulated hosts of
// one tick write as fast as `--concurrency` connections allow, which is harsher than 200 agents spread
// over 10 s. The test helper's cluster allows 50 connections, so the simulated hosts share one pool of
// `--concurrency` connections (a real fleet has one connection per agent). Stops only the cluster it made.
import { writeFileSync } from "node:fs";
import pg from "pg";
import { createAuditor } from "../dist/audit/auditor.js";
import { createLooker } from "../dist/audit/look-loop.js";
import { identityOf } from "../dist/evaluate/identity.js";
import { FleetReader } from "../dist/watch/fleet-reader-store.js";
import { lookRecord } from "../dist/watch/look-record.js";
import { PgHistoryStore } from "../dist/watch/pg-history-store.js";
import { migrateStore } from "../dist/watch/pg-schema-store.js";
import { startPostgres } from "../test/helpers/postgres.ts";

const arg = (name, d) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : d; };
const HOSTS = Number(arg("hosts", 200)), MINUTES = Number(arg("minutes", 10)), INTERVAL_S = Number(arg("interval-s", 10));
const CONCURRENCY = Number(arg("concurrency", 8)), OUT = arg("out", new URL("./RESULTS-fleet.md", import.meta.url).pathname);
const WITHOUT_SOCKETS = process.argv.includes("--without-sockets");
const LOOKS = Math.round((MINUTES * 60) / INTERVAL_S);

// A seeded generator (mulberry32), so every run writes the same fleet.
function random(seed) {
  let a = seed >>> 0;
  return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const PROGRAMS = ["/usr/sbin/nginx", "/usr/bin/python3.11", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/usr/sbin/postgres", "/usr/bin/node", "/usr/sbin/sshd",
  "/usr/bin/redis-server", "/usr/sbin/named", "/usr/bin/containerd", "/usr/local/bin/prometheus-node-exporter", "/opt/app/bin/worker", "/usr/bin/curl"];

const looker = createLooker(createAuditor(), { procRoot: new URL("../test/fixtures/proc/debian12-holders", import.meta.url).pathname });
const base = await looker.next();
const sockets = [...base.seen.values()].map((s) => s.socket);
const listener = sockets.find((s) => s.direction === "listening" && s.process !== null) ?? sockets[0];
const flow = sockets.find((s) => s.direction === "outbound" && s.process !== null) ?? listener;
if (listener === undefined) throw new Error("the captured host has no socket to start the simulated looks from");

/** A variant of a real socket: another port and program, so another identity. */
function variant(from, rnd, k) {
  const exe = PROGRAMS[Math.floor(rnd() * PROGRAMS.length)];
  const process = from.process ? { ...from.process, exe, name: exe.split("/").pop().slice(0, 15), pid: 1000 + k } : null;
  const port = 1024 + (k % 31_000); // below the ephemeral range (32768-60999)
  const s = { ...from, process, local: { ...from.local, port: from.direction === "listening" ? port : from.local.port } };
  if (from.remote) s.remote = { ...from.remote, address: `198.51.100.${k % 250}`, port };
  s.service = null;
  return s;
}

/** One host's identities: the real look's, then variants up to 200–400. */
function hostLook(h) {
  const rnd = random(h + 1);
  const seen = new Map(base.seen);
  const target = 200 + Math.floor(rnd() * 200);
  for (let k = 0; seen.size < target; k++) {
    const s = variant(rnd() < 0.3 ? listener : flow, rnd, k + h * 10_000);
    seen.set(identityOf(s, base.look.hostNetns), { identity: identityOf(s, base.look.hostNetns), verdict: s.verdict, socket: s });
  }
  return { seen, rnd, next: 500_000 + h * 10_000 };
}

/** The next look of a host: 1–4 identities go, as many come, and now and then a verdict changes. */
function change(host, at) {
  const events = [];
  const keys = [...host.seen.keys()];
  const n = 1 + Math.floor(host.rnd() * 4);
  for (let i = 0; i < n; i++) {
    const gone = keys[Math.floor(host.rnd() * keys.length)];
    const old = host.seen.get(gone);
    if (old && host.seen.delete(gone)) events.push({ type: "disappeared", identity: gone, socket: old.socket, at });
    const s = variant(host.rnd() < 0.3 ? listener : flow, host.rnd, host.next++);
    const id = identityOf(s, base.look.hostNetns);
    host.seen.set(id, { identity: id, verdict: s.verdict, socket: s });
    events.push({ type: "appeared", identity: id, socket: s, at });
  }
  if (host.rnd() < 0.1) {
    const id = keys[Math.floor(host.rnd() * keys.length)];
    const old = host.seen.get(id);
    if (old) {
      const verdict = old.verdict === "suspicious" ? "unknown" : "suspicious";
      const s = { ...old.socket, verdict };
      host.seen.set(id, { identity: id, verdict, socket: s });
      events.push({ type: "verdict-changed", identity: id, socket: s, was: old.verdict, at });
    }
  }
  return events;
}

const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0; };
const ms = (x) => `${x.toFixed(1)} ms`;

const server = await startPostgres();
try {
  const target = { url: server.url(), password: server.password };
  await migrateStore(target);
  const pool = new pg.Pool({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres", password: server.password, max: CONCURRENCY });
  const hosts = [];
  for (let h = 0; h < HOSTS; h++) {
    const store = await PgHistoryStore.open(target, { hostId: `sim-${String(h).padStart(3, "0")}`, hostname: `host-${h}.fleet.example`, intervalMs: INTERVAL_S * 1000 }, null, () => undefined);
    await store.pool.end(); // its own pool: replaced by the shared one (see the head of this file)
    store.pool = pool;
    hosts.push({ store, info: { hostId: `sim-${String(h).padStart(3, "0")}`, hostname: `host-${h}.fleet.example`, intervalMs: INTERVAL_S * 1000 }, ...hostLook(h) });
  }
  const start = Date.parse("2026-12-01T12:00:00Z");
  const latencies = [];
  const realStart = performance.now();
  let identitiesWritten = 0, eventsWritten = 0;
  for (let t = 0; t < LOOKS; t++) {
    const queue = hosts.map((host, h) => ({ host, at: new Date(start + t * INTERVAL_S * 1000 + h * 37).toISOString() }));
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const events = t === 0 ? [] : change(job.host, job.at);
        const started = performance.now();
        // What PgHistoryStore.record hands to its writer, awaited here (record itself does not wait).
        const record = lookRecord(job.host.seen, events, job.at, job.host.info);
        if (WITHOUT_SOCKETS) for (const i of record.identities) delete i.socket;
        await job.host.store.write(record);
        latencies.push(performance.now() - started);
        identitiesWritten += job.host.seen.size;
        eventsWritten += events.length;
      }
    }));
    if (t % 10 === 9) process.stderr.write(`look ${t + 1}/${LOOKS} of every host, ${((performance.now() - realStart) / 1000).toFixed(0)} s\n`);
  }
  const realSeconds = (performance.now() - realStart) / 1000;
  const c = await server.client();
  const tables = ["fleet_hosts", "fleet_looks", "fleet_identities", "fleet_events"];
  const rows = [];
  for (const table of tables) {
    const r = await c.query(`SELECT count(*)::int AS n, pg_total_relation_size('${table}')::bigint AS bytes FROM ${table}`);
    rows.push({ table, n: r.rows[0].n, bytes: Number(r.rows[0].bytes) });
  }
  const size = Number((await c.query("SELECT pg_database_size(current_database())::bigint AS b")).rows[0].b);
  await c.end();
  const reader = await FleetReader.open(target);
  const now = new Date(start + LOOKS * INTERVAL_S * 1000);
  const queries = [
    ["fleet hosts", () => reader.hosts({ now })],
    [`fleet find --port ${listener.local.port}`, () => reader.find({ port: listener.local.port })],
    ["fleet find --program java", () => reader.find({ program: "java" })],
    ["fleet find --verdict suspicious", () => reader.find({ verdict: "suspicious" })],
    ["fleet changes --since 5m", () => reader.changes(new Date(now.getTime() - 300_000).toISOString())],
    ["fleet changes --since 1d", () => reader.changes(new Date(now.getTime() - 86_400_000).toISOString())],
  ];
  const timed = [];
  for (const [name, q] of queries) {
    const times = [];
    let n = 0;
    for (let i = 0; i < 5; i++) { const s = performance.now(); n = (await q()).length; times.push(performance.now() - s); }
    timed.push({ name, n, median: quantile(times, 0.5), max: Math.max(...times) });
  }
  await reader.close();
  await pool.end();
  const load = (await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(", ");
  const perHost = hosts.map((h) => h.seen.size);
  const text = `# The fleet store under load

\`node --import tsx bench/fleet-load.mjs --hosts ${HOSTS} --minutes ${MINUTES} --interval-s ${INTERVAL_S} --concurrency ${CONCURRENCY}${WITHOUT_SOCKETS ? " --without-sockets" : ""}\`, ${new Date().toISOString().slice(0, 16)}Z.

${HOSTS} simulated hosts, a look every ${INTERVAL_S} s for ${MINUTES} minutes of simulated time: ${LOOKS} looks per host, ${latencies.length} looks in all,
${identitiesWritten} identity rows upserted and ${eventsWritten} changes, into one PostgreSQL (${(await (async () => { const c2 = await server.client(); const v = (await c2.query("SHOW server_version")).rows[0].server_version; await c2.end(); return v; })())}) on this machine:
a throwaway cluster from test/helpers/postgres.ts (loopback, \`fsync=off\`, \`synchronous_commit=off\`, as in the tests: a real server
with fsync on pays a WAL flush per look on top). Each host holds ${Math.min(...perHost)}–${Math.max(...perHost)} identities; each look after the first changes 1–4 of
them (and a verdict in one look of ten). Every look is one transaction of the store's real write path, ${WITHOUT_SOCKETS ? "WITHOUT each identity's socket JSON (--without-sockets)" : "with each identity's socket JSON\n(schema version 2, for the dashboard's fleet view)"}. The simulated hosts share ${CONCURRENCY} connections and write each tick's looks back to back,
so the ${LOOKS} ticks took ${realSeconds.toFixed(0)} s of real time (${(latencies.length / realSeconds).toFixed(1)} looks/s; the fleet needs ${(HOSTS / INTERVAL_S).toFixed(1)} looks/s).

**The machine is shared**: 2 cores, other people's builds and tests ran at the same time (load average at the end: ${load}), and
PostgreSQL, this script and the others share those cores. The figures are an upper bound for this machine, not a clean measurement.

## Write latency per look (one transaction, from lookRecord to COMMIT)

| p50 | p95 | p99 | max |
|---:|---:|---:|---:|
| ${ms(quantile(latencies, 0.5))} | ${ms(quantile(latencies, 0.95))} | ${ms(quantile(latencies, 0.99))} | ${ms(Math.max(...latencies))} |

## Rows and sizes

| table | rows | size (with indexes and TOAST) |
|---|---:|---:|
${rows.map((r) => `| ${r.table} | ${r.n} | ${(r.bytes / 1048576).toFixed(1)} MiB |`).join("\n")}

Database size (\`pg_database_size\`): ${(size / 1048576).toFixed(1)} MiB.

## Fleet queries (the FleetReader of \`portwatch fleet\`, 5 runs each, after the load)

| query | answers | median | max |
|---|---:|---:|---:|
${timed.map((q) => `| \`${q.name}\` | ${q.n} | ${ms(q.median)} | ${ms(q.max)} |`).join("\n")}
`;
  writeFileSync(OUT, text);
  process.stdout.write(text);
} finally {
  await server.destroy();
}
