import type pg from "pg";
import type { ChangeEvent, HistoryEntry, Seen } from "../model/change.js";
import { InputError } from "../model/errors.js";
import type { LookRecord } from "../model/fleet.js";
import { redactUrl } from "../model/redact-url.js";
import type { History } from "./history.js";
import { lookRecord } from "./look-record.js";
import type { LookQueue } from "./look-queue-store.js";
import { isAway, pgPool, pgReason, type PgTarget } from "./pg-pool-store.js";
import { migrate, schemaVersion, versionProblem } from "./pg-schema-store.js";

/** This host as the fleet knows it. */
export interface HostOfLooks {
  hostId: string;
  hostname: string;
  intervalMs: number;
}

const INSERT_LOOK = `INSERT INTO fleet_looks (host_id, at, hostname, identities, expected, unknown, suspicious)
  VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7) ON CONFLICT (host_id, at) DO NOTHING`;
const UPSERT_HOST = `INSERT INTO fleet_hosts AS h (host_id, hostname, first_look, last_look, interval_ms, expected, unknown, suspicious)
  VALUES ($1, $2, $3::timestamptz, $3::timestamptz, $4, $5, $6, $7)
  ON CONFLICT (host_id) DO UPDATE SET hostname = EXCLUDED.hostname, last_look = EXCLUDED.last_look, interval_ms = EXCLUDED.interval_ms,
    expected = EXCLUDED.expected, unknown = EXCLUDED.unknown, suspicious = EXCLUDED.suspicious
  WHERE h.last_look < EXCLUDED.last_look`;
// One statement per look for every identity; a look written before (a replay) changes nothing: its rows
// are last seen at that look already (WHERE f.last_seen < EXCLUDED.last_seen), and fleet_looks stops it first.
const UPSERT_IDENTITIES = `INSERT INTO fleet_identities AS f (host_id, identity, hostname, first_seen, last_seen, times_seen, owners, last_verdict, proto, port, direction, program, name, local, remote, lists, sockets, socket)
  SELECT $1, x.identity, $2, $3::timestamptz, $3::timestamptz, 1, jsonb_build_array(x.program), x.verdict, x.proto, x.port, x.direction, x.program, x.name, x.local, x.remote,
    ARRAY(SELECT jsonb_array_elements_text(x.lists)), x.sockets, x.socket
  FROM jsonb_to_recordset($4::jsonb) AS x(identity text, verdict text, proto text, port integer, direction text, program text, name text, local text, remote text, lists jsonb, sockets integer, socket jsonb)
  ON CONFLICT (host_id, identity) DO UPDATE SET hostname = EXCLUDED.hostname, last_seen = EXCLUDED.last_seen, times_seen = f.times_seen + 1,
    last_verdict = EXCLUDED.last_verdict, port = EXCLUDED.port, program = EXCLUDED.program, name = EXCLUDED.name, local = EXCLUDED.local,
    remote = EXCLUDED.remote, lists = EXCLUDED.lists, sockets = EXCLUDED.sockets, socket = EXCLUDED.socket,
    owners = CASE WHEN f.owners ? EXCLUDED.program OR jsonb_array_length(f.owners) >= 20 THEN f.owners ELSE f.owners || jsonb_build_array(EXCLUDED.program) END
  WHERE f.last_seen < EXCLUDED.last_seen`;
const INSERT_EVENTS = `INSERT INTO fleet_events (host_id, at, type, identity, hostname, verdict, was)
  SELECT $1, x.at, x.type, x.identity, $2, x.verdict, x.was FROM jsonb_to_recordset($3::jsonb) AS x(at timestamptz, type text, identity text, verdict text, was text)
  ON CONFLICT DO NOTHING`;

/**
 * The watcher's history in a shared PostgreSQL (`--store postgres://…`): every row carries this host's
 * id and name. Each look is one transaction keyed by (host_id, look time), so writing a look twice (a
 * replay after a lost answer) writes nothing the second time. `record` never waits for the database: a
 * look goes straight to it when nothing else is on the way, else (a write in flight, looks queued, the
 * database away) into the disk queue (look-queue-store.ts), which is written back in order when the
 * database answers again (retried after 1 s, doubling up to 30 s).
 */
export class PgHistoryStore implements History {
  readonly place: string;
  private busy: Promise<void> | null = null;
  private inFlight: { seq: number; record: LookRecord } | null = null;
  private away: string | null = null;
  private retryMs = 1000;
  private timer: NodeJS.Timeout | null = null;
  private schemaReady = false;
  private writes = 0;
  private closed = false;
  private stopping = false;

  private constructor(private readonly pool: pg.Pool, private readonly target: PgTarget, private readonly host: HostOfLooks,
    private readonly queue: LookQueue | null, private readonly onProblem: (message: string) => void, private readonly retentionDays = 30) {
    this.place = redactUrl(target.url);
  }

  /**
   * Connects and brings the schema up to date (migrations run by a role that may create tables; a writer
   * role only checks the version). A database that is away is no error when `queue` is given (the
   * watcher): it warns and queues; a refusal (password, permissions, a newer schema) is an InputError.
   */
  static async open(target: PgTarget, host: HostOfLooks, queue: LookQueue | null, onProblem: (message: string) => void): Promise<PgHistoryStore> {
    const store = new PgHistoryStore(pgPool(target, () => undefined), target, host, queue, onProblem);
    try { await store.ensureSchema(); } catch (e) {
      if (queue === null || !isAway(e)) {
        await store.pool.end().catch(() => undefined);
        throw new InputError(`Cannot use the fleet store ${store.place}: ${pgReason(e, target.url)}`);
      }
      store.wentAway(e);
    }
    if (queue !== null && queue.size() > 0) store.kick(); // looks an earlier run could not write
    return store;
  }

  private async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    const client = await this.pool.connect();
    try {
      if (this.queue !== null) await migrate(client);
      const problem = versionProblem(await schemaVersion(client));
      if (problem !== null) throw new InputError(`Cannot use the fleet store ${this.place}: ${problem}`);
      this.schemaReady = true;
    } finally { client.release(); }
  }

  record(seen: ReadonlyMap<string, Seen>, events: readonly ChangeEvent[], at: string, counts?: ReadonlyMap<string, number>): void {
    if (this.queue === null || this.closed) throw new Error("PgHistoryStore: record on a store opened to read");
    const record = lookRecord(seen, events, at, this.host, counts);
    const seq = this.queue.reserve();
    if (this.busy !== null || this.away !== null || this.queue.size() > 0) {
      this.keep(seq, record);
      this.kick();
      return;
    }
    this.inFlight = { seq, record };
    this.busy = this.write(record).then(() => undefined, (e: unknown) => {
      if (this.inFlight) this.keep(seq, record);
      this.wentAway(e);
    }).finally(() => {
      this.inFlight = null;
      this.busy = null;
      if (this.away === null && (this.queue?.size() ?? 0) > 0) this.kick();
    });
  }

  /** Puts a look in the disk queue; a queue that cannot be written (a full disk) costs that look, with a warning, not the watcher. */
  private keep(seq: number, record: LookRecord): void {
    try { this.queue?.push(seq, record); } catch (e) {
      this.onProblem(`cannot keep the look of ${record.at} on disk in "${this.queue?.dir}" for the fleet store: ${(e as { code?: string }).code ?? (e as Error).message}; it is lost`);
    }
  }

  /** Writes the queued looks, oldest first, until none is left or the database fails again. */
  private kick(): void {
    if (this.busy !== null || this.timer !== null || this.closed || this.queue === null) return;
    const queue = this.queue;
    this.busy = (async () => {
      let written = 0;
      try {
        await this.ensureSchema();
        for (let next = queue.oldest(); next !== null && !this.closed; next = queue.oldest()) {
          await this.write(next.record);
          queue.remove(next.seq);
          written++;
        }
        if (this.away !== null) this.onProblem(`the fleet store ${this.place} answers again: wrote ${written} queued look(s)`);
        this.away = null;
        this.retryMs = 1000;
      } catch (e) {
        this.wentAway(e);
      }
    })().finally(() => {
      this.busy = null;
      if (this.away === null && !this.closed && queue.size() > 0) this.kick(); // queued while the last one was written
    });
  }

  /** Notes a failed write (warned once per outage) and tries again later. */
  private wentAway(e: unknown): void {
    const reason = pgReason(e, this.target.url);
    if (this.away === null) this.onProblem(`cannot write to the fleet store ${this.place}: ${reason}; looks wait on disk in "${this.queue?.dir}" and are written when it answers`);
    this.away = reason;
    if (this.stopping || this.timer !== null) return;
    this.timer = setTimeout(() => { this.timer = null; this.kick(); }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  /** One look in one transaction; nothing when the look is there already. */
  private async write(r: LookRecord): Promise<void> {
    const counts = { expected: 0, unknown: 0, suspicious: 0 };
    for (const i of r.identities) if (i.verdict in counts) counts[i.verdict as keyof typeof counts]++;
    const identities = JSON.stringify(r.identities), events = JSON.stringify(r.events); // before the transaction: no gap in it
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A server that ends the session between two statements (a restart) is an 'error' event of the client,
    // which would end the watcher if nobody listened: the next statement fails anyway, and the look is kept.
    const onError = (e: Error) => { broken = e; };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const look = await client.query(INSERT_LOOK, [r.hostId, r.at, r.hostname, r.identities.length, counts.expected, counts.unknown, counts.suspicious]);
      if (look.rowCount === 0) { await client.query("ROLLBACK"); return; } // written before: a replay
      await client.query(UPSERT_HOST, [r.hostId, r.hostname, r.at, r.intervalMs, counts.expected, counts.unknown, counts.suspicious]);
      await client.query(UPSERT_IDENTITIES, [r.hostId, r.hostname, r.at, identities]);
      if (r.events.length > 0) await client.query(INSERT_EVENTS, [r.hostId, r.hostname, events]);
      await client.query("COMMIT");
    } catch (e) {
      broken = e as Error;
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
    if (++this.writes % 100 === 1) await this.prune(r.at).catch(() => undefined);
  }

  /** Deletes this host's rows older than the retention (30 days). */
  private async prune(now: string): Promise<void> {
    const cutoff = new Date(Date.parse(now) - this.retentionDays * 86_400_000).toISOString();
    for (const [table, column] of [["fleet_identities", "last_seen"], ["fleet_events", "at"], ["fleet_looks", "at"]] as const) {
      await this.pool.query(`DELETE FROM ${table} WHERE host_id = $1 AND ${column} < $2::timestamptz`, [this.host.hostId, cutoff]);
    }
  }

  async lastLook(): Promise<{ at: string; entries: HistoryEntry[] } | null> {
    try {
      const h = await this.pool.query<{ last_look: Date }>("SELECT last_look FROM fleet_hosts WHERE host_id = $1", [this.host.hostId]);
      const at = h.rows[0]?.last_look;
      if (at === undefined) return null;
      const rows = await this.pool.query("SELECT * FROM fleet_identities WHERE host_id = $1 AND last_seen = $2", [this.host.hostId, at]);
      return { at: at.toISOString(), entries: rows.rows.map(entryOf) };
    } catch (e) {
      if (this.queue !== null && isAway(e)) return null; // the watcher starts anyway; the comparison waits for a next run
      throw new InputError(`Cannot read the fleet store ${this.place}: ${pgReason(e, this.target.url)}`);
    }
  }

  async query(options: { since?: string; port?: number; limit?: number } = {}): Promise<HistoryEntry[]> {
    const where = ["host_id = $1"];
    const args: (string | number)[] = [this.host.hostId];
    if (options.since) { args.push(options.since); where.push(`last_seen >= $${args.length}::timestamptz`); }
    if (options.port !== undefined) { args.push(options.port); where.push(`port = $${args.length}`); }
    args.push(options.limit ?? 1000);
    try {
      const r = await this.pool.query(`SELECT * FROM fleet_identities WHERE ${where.join(" AND ")} ORDER BY last_seen DESC, identity LIMIT $${args.length}`, args);
      return r.rows.map(entryOf);
    } catch (e) {
      throw new InputError(`Cannot read the fleet store ${this.place}: ${pgReason(e, this.target.url)}`);
    }
  }

  async close(ms = 2000): Promise<number> {
    const deadline = Date.now() + ms;
    const within = (p: Promise<void>) => Promise.race([p, new Promise((ok) => setTimeout(ok, Math.max(0, deadline - Date.now())).unref())]);
    this.stopping = true;
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    // What is on its way, then one more try for what waits (the database may be back before the retry was due).
    let tried = false;
    while (Date.now() < deadline) {
      if (this.busy !== null) { await within(this.busy); continue; }
      if (tried || (this.queue?.size() ?? 0) === 0) break;
      tried = true;
      this.kick();
    }
    this.closed = true;
    // A look still on its way is kept on disk too: should it commit after all, its replay writes nothing.
    const left = this.inFlight;
    if (left !== null) { this.inFlight = null; this.keep(left.seq, left.record); }
    await Promise.race([this.pool.end().catch(() => undefined), new Promise((ok) => setTimeout(ok, 1000).unref())]);
    return this.queue?.size() ?? 0;
  }
}

/** One fleet_identities row as a HistoryEntry. */
function entryOf(r: Record<string, unknown>): HistoryEntry {
  return {
    identity: r["identity"] as string, firstSeen: (r["first_seen"] as Date).toISOString(), lastSeen: (r["last_seen"] as Date).toISOString(),
    timesSeen: r["times_seen"] as number, owners: r["owners"] as string[], lastVerdict: r["last_verdict"] as string, proto: r["proto"] as string,
    port: r["port"] as number | null, direction: r["direction"] as string,
  };
}
