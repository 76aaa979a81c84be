import Database from "better-sqlite3";
import type { ChangeEvent, HistoryEntry, Seen } from "../model/change.js";
import { InputError } from "../model/errors.js";
import { programOf } from "../model/process.js";
import { prepareFile, UnsafePlaceError } from "../collect/safe-file-store.js";

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

/** The columns of portwatch's tables: a database whose tables differ is another program's (or another version's). */
const TABLES: Record<string, readonly string[]> = {
  identities: ["identity", "first_seen", "last_seen", "times_seen", "owners", "last_verdict", "proto", "port", "direction"],
  events: ["id", "at", "type", "identity", "verdict", "was"],
};

/** Why `db` is not a portwatch history (tables missing or different), or null; `empty` allows a database with no tables yet. */
function schemaProblem(db: Database.Database, empty: boolean): string | null {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  if (empty && tables.length === 0) return null;
  for (const [table, columns] of Object.entries(TABLES)) {
    if (!tables.includes(table)) return `it is not a portwatch history (no table "${table}"; it has ${tables.length === 0 ? "no tables" : `${tables.slice(0, 5).map((t) => `"${t}"`).join(", ")}${tables.length > 5 ? ", ..." : ""}`})`;
    const have = (db.prepare("SELECT name FROM pragma_table_info(?)").all(table) as { name: string }[]).map((r) => r.name);
    const missing = columns.filter((c) => !have.includes(c));
    if (missing.length > 0) return `it is not a portwatch history (table "${table}" has no column "${missing[0]}")`;
  }
  return null;
}

/** The plain-words reason of an SQLite error (a damaged file, not a database, read-only, busy). */
export function sqliteReason(e: unknown): string {
  const code = (e as { code?: string }).code ?? "";
  if (code === "SQLITE_NOTADB") return "it is not an SQLite database (or it is damaged)";
  if (code.startsWith("SQLITE_CORRUPT")) return `it is damaged (${code}); move it away and let "portwatch watch" start a new one`;
  if (code.startsWith("SQLITE_CANTOPEN")) return `it cannot be opened (${code})`;
  if (code.startsWith("SQLITE_READONLY")) return `it cannot be written (${code})`;
  if (code.startsWith("SQLITE_BUSY")) return `another program holds it (${code})`;
  return code || (e as Error).message;
}

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

  /**
   * Opens (and with `readonly` false, creates) the history at `path`. Its folder must be private
   * (safe-file-store.ts: SQLite makes files with fixed names beside it, the -wal and -shm), a new file is made
   * with mode 0600, and a database that is not portwatch's is refused before anything is written to it.
   * `readonly` (the history command): opened read-only, never created or changed. Problems are InputErrors.
   */
  constructor(readonly path: string, private readonly retentionDays = 30, options: { readonly?: boolean } = {}) {
    const readonly = options.readonly ?? false;
    if (path !== ":memory:") {
      let there: boolean;
      try { there = prepareFile(path, { create: !readonly, privateFolder: true }); } catch (e) {
        if (e instanceof UnsafePlaceError) throw new InputError(`Cannot open the history database "${path}": ${e.message}`);
        throw new InputError(`Cannot open the history database "${path}": ${(e as { code?: string }).code ?? (e as Error).message} (choose another with --db FILE or --state-dir DIR${readonly ? "" : ", or --no-history"})`);
      }
      if (!there) throw new InputError(`Cannot read history "${path}": there is none yet (run "portwatch watch" to record it)`);
    }
    let db: Database.Database;
    try { db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {}); } catch (e) {
      throw new InputError(`Cannot open the history database "${path}": ${sqliteReason(e)}`);
    }
    try {
      const problem = schemaProblem(db, !readonly);
      if (problem !== null) throw new InputError(`Cannot open the history database "${path}": ${problem}; give portwatch a file of its own with --db FILE`);
      if (!readonly) {
        db.pragma("journal_mode = WAL");
        db.pragma("synchronous = NORMAL");
      }
      db.pragma("busy_timeout = 5000");
      if (!readonly) db.exec(SCHEMA);
    } catch (e) {
      db.close();
      if (e instanceof InputError) throw e;
      throw new InputError(`Cannot open the history database "${path}": ${sqliteReason(e)}`);
    }
    this.db = db;
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
    return this.reading(() => {
      const rows = this.db.prepare(`SELECT * FROM identities ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY last_seen DESC, identity LIMIT ?`)
        .all(...args, options.limit ?? 1000) as Record<string, unknown>[];
      return rows.map(entryOf);
    });
  }

  /** Runs a read; a damaged file passes the opening checks and fails here, page by page: an InputError (the user's to move away). */
  private reading<T>(read: () => T): T {
    try { return read(); } catch (e) {
      throw new InputError(`Cannot read the history database "${this.path}": ${e instanceof SyntaxError ? "it holds a row portwatch did not write (an owners list that is not JSON)" : sqliteReason(e)}`);
    }
  }

  /** What history knows of one identity, or null. */
  get(identity: string): HistoryEntry | null {
    const r = this.db.prepare("SELECT * FROM identities WHERE identity = ?").get(identity) as Record<string, unknown> | undefined;
    return r ? entryOf(r) : null;
  }

  /** The identities of the last look recorded (those last seen at the latest time), with that time; null when none is. */
  lastLook(): { at: string; entries: HistoryEntry[] } | null {
    return this.reading(() => {
      const r = this.db.prepare("SELECT max(last_seen) AS at FROM identities").get() as { at: string | null } | undefined;
      if (!r?.at) return null;
      const rows = this.db.prepare("SELECT * FROM identities WHERE last_seen = ?").all(r.at) as Record<string, unknown>[];
      return { at: r.at, entries: rows.map(entryOf) };
    });
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
