import { openReadHistory } from "../audit/store.js";
import { InputError } from "../model/errors.js";
import { renderHistory } from "../report/render-history.js";
import { jsonSafe, safeText } from "../report/safe-text.js";
import { stateOf } from "./context.js";
import type { Output } from "./output.js";
import { hostIdOf, storeTargetOf, type StoreFlags } from "./store.js";

/** "1d", "12h", "30m", "45s" before `now`, or an ISO date → an ISO time. */
export function parseSince(text: string, now: Date): string {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (m) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as "s"];
    return new Date(now.getTime() - Number(m[1]) * unit * 1000).toISOString();
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InputError(`Cannot use --since "${text}": expected a span like 1d, 12h or 30m, or a date like 2026-11-26`);
  return new Date(t).toISOString();
}

/** `portwatch history`: what the watcher has seen, per identity. */
export async function runHistory(options: StoreFlags & { db?: string; stateDir?: string; since?: string; port?: number; json?: boolean }, io: Output): Promise<number> {
  const path = options.db ?? stateOf(options).history;
  // --db FILE on the command line wins over PORTWATCH_STORE in the environment; with --store it is a conflict.
  const target = options.db !== undefined && options.store === undefined ? undefined : storeTargetOf(options, (m) => io.err(`warning: ${safeText(m)}\n`));
  if (target !== undefined && options.db !== undefined) throw new InputError("Cannot use both --db FILE and --store URL: choose the SQLite file or the PostgreSQL store");
  if (target === undefined && options.hostId !== undefined) throw new InputError("Cannot use --host-id without --store URL (or PORTWATCH_STORE): it names a host in the fleet store");
  // Read-only: a database that is not portwatch's is refused, never changed (no tables added, no WAL switch);
  // in the fleet store, this host's rows (or --host-id's).
  const store = await openReadHistory({ ...(target !== undefined ? { store: target } : {}), db: path }, target !== undefined ? hostIdOf(options) : "");
  try {
    const rows = await store.query({
      ...(options.since ? { since: parseSince(options.since, new Date()) } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    if (options.json) io.out(`${jsonSafe(JSON.stringify(rows))}\n`);
    else io.out(renderHistory(rows, io.width));
  } finally {
    await store.close();
  }
  return 0;
}
