import { InputError } from "../model/errors.js";
import { redactUrl } from "../model/redact-url.js";
import type { FleetReader } from "../watch/fleet-reader-store.js";
import type { History } from "../watch/history.js";
import type { HistoryStore } from "../watch/history-store.js";
import type { HostOfLooks } from "../watch/pg-history-store.js";
import type { PgTarget } from "../watch/pg-pool-store.js";
import { openHistory } from "./alerting.js";

// The doors of cli/ to the history stores (watch/): the embedded SQLite file, the default, or a shared
// PostgreSQL (--store postgres://… or PORTWATCH_STORE). pg is loaded only when a store URL is given.

/** Where the history is: a PostgreSQL target, or else the SQLite file. */
export interface HistoryPlace {
  store?: PgTarget;
  /** The SQLite file (used when `store` is absent). */
  db: string;
}

/** A host id as --host-id takes it: letters, digits, ".", "_", ":" and "-", up to 128 characters. */
export function checkHostId(id: string, from: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id)) throw new InputError(`Cannot use ${from} "${id}": a host id is 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`);
  return id;
}

/**
 * A --store value checked: a postgres:// or postgresql:// URL. Returns the warnings to print: a password
 * in the URL works but is visible to every user in the process list (the URL is never printed with it).
 */
export function checkStoreUrl(url: string, from: string): string[] {
  let parsed: URL;
  try { parsed = new URL(url); } catch {
    throw new InputError(`Cannot use ${from} "${redactUrl(url)}": expected a URL like postgres://portwatch@db.example.org/portwatch?sslmode=verify-full (the SQLite history is --db FILE)`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new InputError(`Cannot use ${from} "${redactUrl(url)}": only postgres:// and postgresql:// URLs are stores (the SQLite history is --db FILE)`);
  }
  return parsed.password !== "" ? [`${from} has a password in its URL: other users can read it in the process list; give it with --store-password-file FILE, PGPASSFILE or PGPASSWORD instead`] : [];
}

/** The SQLite history behind the History interface (its own methods stay as they are, synchronous). */
function sqliteHistory(store: HistoryStore): History {
  return {
    place: store.path,
    record: (seen, events, at) => store.record(seen, events, at), // counts: the fleet view's alone
    lastLook: () => Promise.resolve(store.lastLook()),
    query: (options) => Promise.resolve(store.query(options)),
    close: () => { store.close(); return Promise.resolve(0); },
  };
}

/**
 * The watcher's history, made when missing: PostgreSQL (schema migrated; a database that is away is a
 * warning, the looks wait in `queueDir`) or the SQLite file.
 */
export async function openWatchHistory(place: HistoryPlace, host: HostOfLooks, queueDir: string, onProblem: (message: string) => void): Promise<History> {
  if (place.store === undefined) return sqliteHistory(await openHistory(place.db));
  const [{ PgHistoryStore }, { LookQueue }] = await Promise.all([import("../watch/pg-history-store.js"), import("../watch/look-queue-store.js")]);
  let queue;
  try { queue = new LookQueue(queueDir, onProblem); } catch (e) {
    if (e instanceof InputError) throw new InputError(`Cannot use the fleet store's queue "${queueDir}": ${e.message}`);
    throw new InputError(`Cannot use the fleet store's queue "${queueDir}": ${(e as { code?: string }).code ?? (e as Error).message} (choose another state directory with --state-dir DIR)`);
  }
  return PgHistoryStore.open(place.store, host, queue, onProblem);
}

/** The history to read (`portwatch history`): never created or changed; for PostgreSQL, this host's rows. */
export async function openReadHistory(place: HistoryPlace, hostId: string): Promise<History> {
  if (place.store === undefined) return sqliteHistory(await openHistory(place.db, { readonly: true }));
  const { PgHistoryStore } = await import("../watch/pg-history-store.js");
  return PgHistoryStore.open(place.store, { hostId, hostname: "", intervalMs: 0 }, null, () => undefined);
}

/** The fleet's reader (`portwatch fleet hosts|find|changes`). */
export async function openFleet(target: PgTarget): Promise<FleetReader> {
  const { FleetReader } = await import("../watch/fleet-reader-store.js");
  return FleetReader.open(target);
}

/** `portwatch fleet init`: makes or migrates the fleet's tables. */
export async function initFleet(target: PgTarget): Promise<{ applied: number[]; version: number }> {
  const { migrateStore } = await import("../watch/pg-schema-store.js");
  return migrateStore(target);
}

export type { FleetReader, History, PgTarget };
