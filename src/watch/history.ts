import type { ChangeEvent, HistoryEntry, Seen } from "../model/change.js";

/**
 * The watcher's history, whatever keeps it: the embedded SQLite file (history-store.ts, the default) or
 * a shared PostgreSQL (pg-history-store.ts, `--store postgres://…`). `watch` records each look through it,
 * `history` reads it, and a start compares the first look with `lastLook`.
 */
export interface History {
  /** Where it is, for messages (a file path, or the URL without its secrets). */
  readonly place: string;
  /**
   * Records one look (every identity seen, and the changes; `counts`: sockets per identity, kept by PostgreSQL for the fleet view). SQLite writes it before returning; PostgreSQL
   * hands it to a writer that never holds up the look loop (queued on disk while the database is away).
   */
  record(seen: ReadonlyMap<string, Seen>, events: readonly ChangeEvent[], at: string, counts?: ReadonlyMap<string, number>): void;
  /** The identities of the last look recorded (of this host), with its time; null when none is. */
  lastLook(): Promise<{ at: string; entries: HistoryEntry[] } | null>;
  /** Identities seen since `since` (ISO time), optionally on one port, most recent first. */
  query(options?: { since?: string; port?: number; limit?: number }): Promise<HistoryEntry[]>;
  /** Stops: waits up to `ms` for looks still being written; returns how many wait on disk for the next run. */
  close(ms?: number): Promise<number>;
}
