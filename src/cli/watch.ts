import { hostname } from "node:os";
import { alertJson, openAlerting, unwatchedChanges } from "../audit/alerting.js";
import { openWatchHistory } from "../audit/store.js";
import { createLooker, lookLoop, type LoopLook } from "../audit/look-loop.js";
import { InputError } from "../model/errors.js";
import type { ChangeEvent } from "../model/change.js";
import { renderEventLine } from "../report/render-events.js";
import { renderCounts } from "../report/render-table.js";
import { safeText } from "../report/safe-text.js";
import { clockText } from "../report/time-text.js";
import { listsReloader } from "../audit/lists.js";
import { auditorOnce, stateOf, provenanceOf } from "./context.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";
import { count } from "../model/words.js";
import { heapTrimmer } from "./heap-trim.js";
import { hostIdOf, storeTargetOf, type StoreFlags } from "./store.js";

/** Options of `portwatch watch`. */
export interface WatchOptions extends StoreFlags {
  intervalMs: number;
  ndjson?: boolean;
  /** Stop after this many looks (default: until interrupted). */
  count?: number;
  procRoot?: string;
  policy?: string;
  stateDir?: string;
  /** POST each alert as JSON to this URL (queued on disk, retried). */
  webhook?: string;
  /** First retry delay of the webhook, in ms (doubling up to 5 min). */
  webhookRetryMs?: number;
  /** The webhook's queue folder (default: the state directory's "queue"). */
  queueDir?: string;
  /** Run this program with each alert's JSON on stdin (split on spaces, no shell). */
  exec?: string;
  /** --exec-timeout: the time one handler (with what it starts) may take, in ms (default 10 s). */
  execTimeoutMs?: number;
  /** --exec-concurrency: handlers running at once (default 4). */
  execConcurrency?: number;
  /** Send alerts to syslog (RFC 5424) through this socket (true: /dev/log). */
  syslog?: string | boolean;
  /** The history database (default: the state directory's history.sqlite); null: keep no history. */
  db?: string | null;
  /** Every this many looks (from the first), also look for ports nobody lists (--deep); 0 or absent: never. */
  deepEvery?: number;
}

/** "2s", "500ms", "1m", "1.5s" → milliseconds; at least 100 ms. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InputError(`Cannot use interval "${text}": expected a duration like 2s, 500ms or 1m`);
  const ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000);
  if (ms < 100) throw new InputError(`Cannot use interval "${text}": the shortest is 100ms`);
  return ms;
}

/** One change as a line; a change found at start says it happened while no watcher ran. */
function eventLine(e: ChangeEvent): string {
  return e.unwatchedSince ? `${renderEventLine(e)} (while portwatch was not watching, since ${clockText(e.unwatchedSince)})` : renderEventLine(e);
}

/** The terminal view of `watch`: counts, the sockets that need a look, the last changes; redrawn in place. */
function screen(sockets: Parameters<typeof renderCounts>[0], feed: readonly string[]): string {
  const bad = sockets.filter((s) => s.verdict !== "expected").slice(0, 20)
    .map((s) => safeText(`  ${s.verdict.padEnd(10)} ${s.proto} ${s.local.address}:${s.local.port} ${s.process?.name ?? "-"}`));
  return `\u001b[H\u001b[2J${clockText(new Date())}  ${renderCounts(sockets)}\n${bad.join("\n")}\n\nChanges:\n${feed.join("\n") || "  (none yet)"}\n`;
}

/**
 * `portwatch watch`: looks at the host every interval and reports what appeared, disappeared or changed
 * verdict, or changed reach with no socket change (a firewall rule), by identity (a restarted daemon or a new
 * client port is no change). On a terminal the view is
 * redrawn in place; otherwise (or with --ndjson) one line per change.
 */
export async function runWatch(options: WatchOptions, io: Output, signal: AbortSignal): Promise<number> {
  const policy = await readPolicy(options.policy);
  const state = stateOf(options);
  const problem = (m: string) => io.err(`warning: ${safeText(m)}\n`);
  if (options.exec === undefined && (options.execTimeoutMs !== undefined || options.execConcurrency !== undefined)) {
    throw new InputError(`Cannot use ${options.execTimeoutMs !== undefined ? "--exec-timeout" : "--exec-concurrency"} without --exec: it sets how the --exec handlers run`);
  }
  const alerts = openAlerting({
    ...(options.webhook !== undefined ? { webhook: options.webhook } : {}), ...(options.webhookRetryMs !== undefined ? { webhookRetryMs: options.webhookRetryMs } : {}),
    queueDir: options.queueDir ?? state.queue, ...(options.exec !== undefined ? { exec: options.exec } : {}),
    ...(options.execTimeoutMs !== undefined ? { execTimeoutMs: options.execTimeoutMs } : {}), ...(options.execConcurrency !== undefined ? { execConcurrency: options.execConcurrency } : {}),
    ...(options.syslog !== undefined ? { syslog: options.syslog } : {}), onProblem: problem,
  });
  // --db FILE (or --no-history) on the command line wins over PORTWATCH_STORE in the environment; with --store it is a conflict.
  const store = options.db !== undefined && options.store === undefined ? undefined : storeTargetOf(options, problem);
  if (store !== undefined && options.db !== undefined) throw new InputError(options.db === null ? "Cannot use --no-history with --store: the store is where the history goes" : "Cannot use both --db FILE and --store URL: choose the SQLite file or the PostgreSQL store");
  if (store === undefined && options.hostId !== undefined) throw new InputError("Cannot use --host-id without --store URL (or PORTWATCH_STORE): it names this host in the fleet store");
  const host = { hostId: store !== undefined ? hostIdOf(options) : "", hostname: hostname(), intervalMs: options.intervalMs };
  const history = options.db === null ? null : await openWatchHistory({ ...(store !== undefined ? { store } : {}), db: options.db ?? state.history }, host, state.fleetQueue, problem);
  const lastWatched = (await history?.lastLook()) ?? null; // what was there when a watcher last looked
  const feed: string[] = [];
  const tty = io.width !== undefined && !options.ndjson;
  const timings = Boolean(process.env["PORTWATCH_TIMINGS"]); // per-look cost on stderr (for the benchmark)
  // Without the terminal view only identities are kept: a look's garbage is collected at once (cli/heap-trim.ts),
  // and so is what reading the host left before a look judges it.
  const trim = tty ? null : heapTrimmer();
  const looker = createLooker(auditorOnce(), {
    ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy, ...provenanceOf(options), lists: listsReloader(stateOf(options)),
    ...(options.deepEvery ? { deepEvery: options.deepEvery } : {}), lean: !tty, ...(trim ? { beforeJudging: () => trim.beforeJudging(), whileJudging: () => trim.whileJudging() } : {}),
  });
  let phases: Record<string, number> = {};
  let started = Date.now();
  let cpuBefore = timings ? process.cpuUsage() : null;
  const timing = { intervalMs: options.intervalMs, signal, ...(options.count !== undefined ? { count: options.count } : {}) };
  const looks = lookLoop(looker, timing, () => {
    phases = {}; started = Date.now(); cpuBefore = timings ? process.cpuUsage() : null;
    return phases;
  });
  // Not `for await`: its binding of the last look lives on while the next look is taken, so a look that
  // judged the host (the first: 100,000 sockets, ~25 MiB) stayed live through the next one's collection.
  try {
    for (;;) {
      let next: IteratorResult<LoopLook> | null = await looks.next();
      if (next.done) break;
      let item: LoopLook | null = next.value;
      next = null;
      showLook(item);
      item = null; // nothing holds the look while the next one is taken
      trim?.afterLook(); // its garbage (judged sockets, the dumps of a full comparison) goes now, not when the next look starts
    }
  } finally {
    await looks.return(undefined); // as `for await` does when the body throws (a closed pipe)
  }
  function showLook({ look, seen, counts, events: changes, at, tick }: LoopLook): void {
    const events = tick === 0 ? [...unwatchedChanges(lastWatched, seen, at), ...changes] : changes;
    history?.record(seen, events, at, counts);
    if (tick === 0) io.err(`watching ${safeText(look.hostname)}: ${count(look.socketCount, "socket")}, ${count(seen.size, "identity", "identities")}; every ${options.intervalMs} ms\n`);
    if (tick === 0 && lastWatched) io.err(`compared with the last look of ${lastWatched.at} in the history: ${count(events.length, "change")} while portwatch was not watching\n`);
    alerts.deliver(events);
    if (options.ndjson) for (const e of events) io.out(`${alertJson(e)}\n`);
    else if (!tty) for (const e of events) io.out(`${eventLine(e)}\n`);
    else {
      feed.push(...events.map(eventLine));
      feed.splice(0, Math.max(0, feed.length - 15));
      io.out(screen(look.sockets, feed));
    }
    if (cpuBefore) {
      const cpu = process.cpuUsage(cpuBefore);
      io.err(`look ${tick + 1}: cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms, wall ${Date.now() - started} ms (${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}); ${memoryText()}\n`);
    }
  }
  const looksLeft = (await history?.close(2000)) ?? 0;
  if (looksLeft > 0) problem(`${count(looksLeft, "look")} wait for the fleet store in "${state.fleetQueue}"; they are written when portwatch watch runs again`);
  const left = await alerts.close(2000);
  if (left > 0) problem(`${left} alerts wait in the webhook queue; they are sent when portwatch watch runs again`);
  return 0;
}

/** The watcher's memory, for PORTWATCH_TIMINGS (the benchmark): V8's heap used and held, memory outside it, and RSS. */
function memoryText(): string {
  const m = process.memoryUsage();
  const mib = (n: number) => (n / 1048576).toFixed(0);
  return `heap ${mib(m.heapUsed)} MiB (of ${mib(m.heapTotal)}), external ${mib(m.external)} (buffers ${mib(m.arrayBuffers)}), rss ${mib(m.rss)}`;
}
