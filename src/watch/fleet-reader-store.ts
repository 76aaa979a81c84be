import type pg from "pg";
import { InputError } from "../model/errors.js";
import type { FleetChange, FleetFinding, FleetHost, FleetQuery } from "../model/fleet.js";
import { redactUrl } from "../model/redact-url.js";
import { pgPool, pgReason, type PgTarget } from "./pg-pool-store.js";
import { schemaVersion, versionProblem } from "./pg-schema-store.js";

/** How many intervals a host may miss before it counts as not reporting (without --stale). */
export const STALE_INTERVALS = 5;

/**
 * The fleet's questions to its PostgreSQL, read-only (a reader role, portwatch_reader, suffices): which
 * hosts report and what their last look held (hosts), where a port, program, verdict or address list is
 * now (find), and what changed anywhere since a time (changes). `portwatch fleet` and, later, the
 * dashboard's fleet view read through it. Every answer's times are ISO strings.
 */
export class FleetReader {
  readonly place: string;

  private constructor(private readonly pool: pg.Pool, private readonly target: PgTarget) {
    this.place = redactUrl(target.url);
  }

  /** Connects and checks the schema; a database without one (no watcher wrote yet) or a refusal is an InputError. */
  static async open(target: PgTarget): Promise<FleetReader> {
    const reader = new FleetReader(pgPool(target), target);
    await reader.run(async () => {
      const client = await reader.pool.connect();
      try {
        const version = await schemaVersion(client);
        if (version === 0) throw new InputError(`Cannot read the fleet store ${reader.place}: it has no fleet tables yet (run "portwatch fleet init --store URL" as the database's owner, or start a watcher with --store)`);
        const problem = versionProblem(version);
        if (problem !== null) throw new InputError(`Cannot read the fleet store ${reader.place}: ${problem}`);
      } finally { client.release(); }
    }).catch(async (e: unknown) => { await reader.pool.end().catch(() => undefined); throw e; });
    return reader;
  }

  /** Every host with its last look; `notReportingSince` when that look is older than `staleMs` (default: STALE_INTERVALS of its interval). */
  async hosts(options: { now?: Date; staleMs?: number } = {}): Promise<FleetHost[]> {
    const now = (options.now ?? new Date()).getTime();
    const r = await this.run(() => this.pool.query("SELECT * FROM fleet_hosts ORDER BY hostname, host_id"));
    return r.rows.map((h: Record<string, unknown>) => {
      const last = h["last_look"] as Date;
      const limit = options.staleMs ?? STALE_INTERVALS * (h["interval_ms"] as number);
      return {
        hostId: h["host_id"] as string, hostname: h["hostname"] as string, lastLook: last.toISOString(), intervalMs: h["interval_ms"] as number,
        counts: { expected: h["expected"] as number, unknown: h["unknown"] as number, suspicious: h["suspicious"] as number },
        notReportingSince: now - last.getTime() > limit ? last.toISOString() : null,
      };
    });
  }

  /** The identities of each host's last look that match every criterion of `query`, by host, port, identity. */
  async find(query: FleetQuery, limit = 10_000): Promise<FleetFinding[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const arg = (v: string | number) => { args.push(v); return `$${args.length}`; };
    if (query.port !== undefined) where.push(`i.port = ${arg(query.port)}`);
    if (query.verdict !== undefined) where.push(`i.last_verdict = ${arg(query.verdict)}`);
    if (query.list !== undefined) where.push(`${arg(query.list)} = ANY (i.lists)`);
    if (query.program !== undefined) {
      const p = arg(query.program);
      where.push(`(i.program = ${p} OR i.name = ${p} OR right(i.program, length(${p}) + 1) = '/' || ${p})`);
    }
    const sql = `SELECT i.*, h.hostname AS host_name FROM fleet_identities i JOIN fleet_hosts h ON h.host_id = i.host_id AND i.last_seen = h.last_look
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY h.hostname, i.host_id, i.port NULLS LAST, i.identity LIMIT ${arg(limit)}`;
    const r = await this.run(() => this.pool.query(sql, args));
    return r.rows.map((i: Record<string, unknown>) => ({
      hostId: i["host_id"] as string, hostname: i["host_name"] as string, identity: i["identity"] as string, verdict: i["last_verdict"] as string,
      proto: i["proto"] as string, port: i["port"] as number | null, direction: i["direction"] as string, program: i["program"] as string,
      name: i["name"] as string | null, local: i["local"] as string, remote: i["remote"] as string | null, lists: i["lists"] as string[],
      lastSeen: (i["last_seen"] as Date).toISOString(),
    }));
  }

  /** The changes of every host since `since` (ISO time), oldest first. */
  async changes(since: string, limit = 10_000): Promise<FleetChange[]> {
    const r = await this.run(() => this.pool.query(`SELECT e.*, i.program, i.port FROM fleet_events e LEFT JOIN fleet_identities i USING (host_id, identity)
      WHERE e.at >= $1::timestamptz ORDER BY e.at, e.hostname, e.host_id, e.identity LIMIT $2`, [since, limit]));
    return r.rows.map((e: Record<string, unknown>) => ({
      hostId: e["host_id"] as string, hostname: e["hostname"] as string, at: (e["at"] as Date).toISOString(), type: e["type"] as string,
      identity: e["identity"] as string, verdict: e["verdict"] as string, was: e["was"] as string | null,
      program: e["program"] as string | null, port: e["port"] as number | null,
    }));
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  /** Runs a query; a database error is an InputError that names the store (without its secrets). */
  private async run<T>(q: () => Promise<T>): Promise<T> {
    try { return await q(); } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`Cannot read the fleet store ${this.place}: ${pgReason(e, this.target.url)}`);
    }
  }
}
