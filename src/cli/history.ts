import { openHistory } from "../audit/alerting.js";
import { InputError } from "../model/errors.js";
import { renderHistory } from "../report/render-history.js";
import { jsonSafe } from "../report/safe-text.js";
import { stateOf } from "./context.js";
import type { Output } from "./output.js";

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
export async function runHistory(options: { db?: string; stateDir?: string; since?: string; port?: number; json?: boolean }, io: Output): Promise<number> {
  const path = options.db ?? stateOf(options).history;
  // Read-only: a database that is not portwatch's is refused, never changed (no tables added, no WAL switch).
  const store = await openHistory(path, { readonly: true });
  try {
    const rows = store.query({
      ...(options.since ? { since: parseSince(options.since, new Date()) } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    if (options.json) io.out(`${jsonSafe(JSON.stringify(rows))}\n`);
    else io.out(renderHistory(rows, io.width));
  } finally {
    store.close();
  }
  return 0;
}
