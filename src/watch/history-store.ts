import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ChangeEvent, HistoryEntry, Seen } from "../model/change.js";
import { programOf } from "../model/process.js";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS identities (
    identity TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, times_seen INTEGER NOT NULL,
    owners TEXT NOT NULL, last_verdict TEXT NOT NULL, proto TEXT NOT NULL, port INTEGER, direction TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS identities_last_seen ON identities (last_seen);
  CREATE INDEX IF NOT EXISTS identities_port ON identities (port);
  CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, type TEXT NOT NULL, identity TEXT NOT NULL, verdict TEXT NOT NULL, was TEXT);
  CREATE INDEX IF NOT EXISTS events_at ON events (at);
`;

/**
 * The watch history in SQLite (better-sqlite3, WAL): per identity first and last seen, times seen, the
 * owners seen and the last verdict, plus the change events. Each look is one transaction, so a kill -9
 * in the middle loses only that look and never corrupts the file; rows older than the retention go.
 */
export class HistoryStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private writes = 0;

  constructor(readonly path: string, private readonly retentionDays = 30) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    this.upsert = this.db.prepare(`
      INSERT INTO identities (identity, first_seen, last_seen, times_seen, owners, last_verdict, proto, port, direction)
      VALUES (@identity, @at, @at, 1, @owners, @verdict, @proto, @port, @direction)
      ON CONFLICT (identity) DO UPDATE SET last_seen = @at, times_seen = times_seen + 1, last_verdict = @verdict,
        owners = CASE WHEN instr(owners, @ownerKey) > 0 OR json_array_length(owners) >= 20 THEN owners ELSE json_insert(owners, '$[#]', @owner) END`);
    this.insertEvent = this.db.prepare("INSERT INTO events (at, type, identity, verdict, was) VALUES (?, ?, ?, ?, ?)");
  }

  /** Records one look (every identity seen, and the changes) in one transaction. */
  record(seen: ReadonlyMap<string, Seen>, events: readonly ChangeEvent[], at: string): void {
    const tx = this.db.transaction(() => {
      for (const s of seen.values()) {
        const p = s.socket.process;
        const owner = p ? programOf(p) : "-";
        this.upsert.run({
          identity: s.identity, at, owners: JSON.stringify([owner]), owner, ownerKey: JSON.stringify(owner), verdict: s.verdict,
          proto: s.socket.proto, port: s.socket.direction === "outbound" ? s.socket.remote?.port ?? null : s.socket.local.port, direction: s.socket.direction,
        });
      }
      for (const e of events) this.insertEvent.run(e.at, e.type, e.identity, e.socket.verdict, e.was ?? null);
    });
    tx();
    if (++this.writes % 100 === 1) this.prune(at);
  }

  /** Deletes what was last seen before the retention window. */
  prune(now: string): void {
    const cutoff = new Date(Date.parse(now) - this.retentionDays * 86_400_000).toISOString();
    this.db.prepare("DELETE FROM identities WHERE last_seen < ?").run(cutoff);
    this.db.prepare("DELETE FROM events WHERE at < ?").run(cutoff);
  }

  /** Identities seen since `since` (ISO time), optionally on one port, most recent first. */
  query(options: { since?: string; port?: number; limit?: number } = {}): HistoryEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (options.since) { where.push("last_seen >= ?"); args.push(options.since); }
    if (options.port !== undefined) { where.push("port = ?"); args.push(options.port); }
    const rows = this.db.prepare(`SELECT * FROM identities ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY last_seen DESC, identity LIMIT ?`)
      .all(...args, options.limit ?? 1000) as Record<string, unknown>[];
    return rows.map(entryOf);
  }

  /** What history knows of one identity, or null. */
  get(identity: string): HistoryEntry | null {
    const r = this.db.prepare("SELECT * FROM identities WHERE identity = ?").get(identity) as Record<string, unknown> | undefined;
    return r ? entryOf(r) : null;
  }

  /** The identities of the last look recorded (those last seen at the latest time), with that time; null when none is. */
  lastLook(): { at: string; entries: HistoryEntry[] } | null {
    const r = this.db.prepare("SELECT max(last_seen) AS at FROM identities").get() as { at: string | null } | undefined;
    if (!r?.at) return null;
    const rows = this.db.prepare("SELECT * FROM identities WHERE last_seen = ?").all(r.at) as Record<string, unknown>[];
    return { at: r.at, entries: rows.map(entryOf) };
  }

  /** Change events since `since`, oldest first. */
  events(since: string, limit = 1000): { at: string; type: string; identity: string; verdict: string; was: string | null }[] {
    return this.db.prepare("SELECT at, type, identity, verdict, was FROM events WHERE at >= ? ORDER BY id LIMIT ?").all(since, limit) as never[];
  }

  /** SQLite's own consistency check ("ok" when the file is sound). */
  integrity(): string {
    return this.db.pragma("integrity_check", { simple: true }) as string;
  }

  close(): void {
    this.db.close();
  }
}

/** One row of the identities table as a HistoryEntry. */
function entryOf(r: Record<string, unknown>): HistoryEntry {
  return {
    identity: r["identity"] as string, firstSeen: r["first_seen"] as string, lastSeen: r["last_seen"] as string, timesSeen: r["times_seen"] as number,
    owners: JSON.parse(r["owners"] as string) as string[], lastVerdict: r["last_verdict"] as string, proto: r["proto"] as string,
    port: r["port"] as number | null, direction: r["direction"] as string,
  };
}
