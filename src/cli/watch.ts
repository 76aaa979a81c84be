import { createOwnerCache } from "../collect/linux.js";
import { safeText } from "../report/safe-text.js";
import { identityOf } from "../evaluate/identity.js";
import type { Socket } from "../model/socket.js";
import { InputError } from "../model/errors.js";
import { renderEventJson, renderEventLine } from "../report/render-events.js";
import { renderCounts } from "../report/render-table.js";
import { byIdentity, diff, type ChangeEvent, type Seen } from "../watch/diff.js";
import { dirname, join } from "node:path";
import { alertFilter } from "../watch/alerts.js";
import { defaultBaselinePath } from "../watch/baseline-store.js";
import { execSink } from "../watch/exec-sink.js";
import { syslogSink } from "../watch/syslog-sink.js";
import { WebhookSink } from "../watch/webhook-sink.js";
import { lookAtHost } from "./audit.js";
import { defaultHistoryPath } from "./history.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";

/** Options of `portwatch watch`. */
export interface WatchOptions {
  intervalMs: number;
  ndjson?: boolean;
  /** Stop after this many looks (default: until interrupted). */
  count?: number;
  procRoot?: string;
  policy?: string;
  /** POST each alert as JSON to this URL (queued on disk, retried). */
  webhook?: string;
  /** First retry delay of the webhook, in ms (doubling up to 5 min). */
  webhookRetryMs?: number;
  /** The webhook's queue folder (default: the state directory's "queue"). */
  queueDir?: string;
  /** Run this program with each alert's JSON on stdin (split on spaces, no shell). */
  exec?: string;
  /** Send alerts to syslog (RFC 5424) through this socket (true: /dev/log). */
  syslog?: string | boolean;
  /** The history database (default: the state directory's history.sqlite); null: keep no history. */
  db?: string | null;
}

async function openHistory(path: string) {
  const { HistoryStore } = await import("../watch/history-store.js");
  try { return new HistoryStore(path); } catch (e) {
    throw new InputError(`Cannot open the history database "${path}": ${(e as { code?: string }).code ?? (e as Error).message} (choose another with --db FILE, or --no-history)`);
  }
}

function sinkOrExplain(make: () => WebhookSink): WebhookSink {
  try { return make(); } catch (e) {
    throw new InputError(`Cannot prepare the webhook queue: ${(e as { code?: string }).code ?? (e as Error).message} (choose a folder with --queue-dir)`);
  }
}

/** "2s", "500ms", "1m", "1.5s" → milliseconds; at least 100 ms. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InputError(`Cannot use interval "${text}": expected a duration like 2s, 500ms or 1m`);
  const ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000);
  if (ms < 100) throw new InputError(`Cannot use interval "${text}": the shortest is 100ms`);
  return ms;
}

/**
 * `portwatch watch`: looks at the host every interval and reports what appeared, disappeared or changed
 * verdict, by identity (a restarted daemon or a new client port is no change). On a terminal the view is
 * redrawn in place; otherwise (or with --ndjson) one line per change.
 */
export async function runWatch(options: WatchOptions, io: Output, signal: AbortSignal): Promise<number> {
  const policy = await readPolicy(options.policy);
  const feed: string[] = [];
  const isAlert = alertFilter();
  const problem = (m: string) => io.err(`warning: ${safeText(m)}\n`);
  const url = options.webhook;
  const webhook = url
    ? sinkOrExplain(() => new WebhookSink({ url, queueDir: options.queueDir ?? join(dirname(defaultBaselinePath()), "queue"), baseDelayMs: options.webhookRetryMs ?? 1000, onProblem: problem }))
    : null;
  webhook?.kick(); // alerts a previous run could not deliver
  const run = options.exec ? execSink(options.exec, { onProblem: problem }) : null;
  const syslog = options.syslog ? syslogSink({ ...(typeof options.syslog === "string" ? { socket: options.syslog } : {}), onProblem: problem }) : null;
  const history = options.db === null ? null : await openHistory(options.db ?? defaultHistoryPath());
  let before: Map<string, Seen> | null = null;
  let lastSockets: readonly Socket[] | null = null;
  const tty = io.width !== undefined && !options.ndjson;
  const cache = createOwnerCache(); // between looks: only new processes' fd tables are read
  const memo = new Map<string, Socket>(); // and connections judged before keep their judgement
  const timings = Boolean(process.env["PORTWATCH_TIMINGS"]); // per-look cost on stderr (for the benchmark)
  for (let tick = 0; options.count === undefined || tick < options.count; tick++) {
    if (signal.aborted) break;
    const started = Date.now();
    const cpuBefore = timings ? process.cpuUsage() : null;
    const phases: Record<string, number> = {};
    const look = await lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy, cache, memo }, phases);
    // The same sockets as last time (a steady host: the collector handed back its last collection): the same identities, no change.
    const same: boolean = before !== null && look.sockets === lastSockets;
    const now: Map<string, Seen> = same && before !== null ? before : byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns));
    lastSockets = look.sockets;
    const at = new Date().toISOString();
    const events: ChangeEvent[] = before === null || same ? [] : diff(before, now, at);
    before = now;
    history?.record(now, events, at);
    if (tick === 0) io.err(`watching ${safeText(look.hostname)}: ${look.sockets.length} sockets, ${now.size} identities; every ${options.intervalMs} ms\n`);
    for (const e of events) {
      if (!isAlert(e)) continue;
      const json = renderEventJson(e);
      webhook?.send(json);
      if (run) await run(json);
      if (syslog) await syslog(json, e.socket.verdict === "suspicious" ? "crit" : "warning");
    }
    if (options.ndjson) for (const e of events) io.out(`${renderEventJson(e)}\n`);
    else if (!tty) for (const e of events) io.out(`${renderEventLine(e)}\n`);
    else {
      feed.push(...events.map(renderEventLine));
      feed.splice(0, Math.max(0, feed.length - 15));
      const bad = look.sockets.filter((s) => s.verdict !== "expected").slice(0, 20).map((s) => `  ${s.verdict.padEnd(10)} ${s.proto} ${s.local.address}:${s.local.port} ${s.process?.name ?? "-"}`);
      io.out(`\u001b[H\u001b[2J${new Date().toISOString().slice(11, 19)}  ${renderCounts(look.sockets)}\n${bad.join("\n")}\n\nChanges:\n${feed.join("\n") || "  (none yet)"}\n`);
    }
    if (cpuBefore) {
      const cpu = process.cpuUsage(cpuBefore);
      io.err(`look ${tick + 1}: cpu ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms, wall ${Date.now() - started} ms (${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}); heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB\n`);
    }
    if (options.count !== undefined && tick + 1 >= options.count) break;
    const wait = Math.max(0, options.intervalMs - (Date.now() - started));
    await new Promise<void>((ok) => {
      // One abort listener per wait, removed when the wait ends (a long watch must not pile them up).
      const done = () => { clearTimeout(timer); signal.removeEventListener("abort", done); ok(); };
      const timer = setTimeout(done, wait);
      signal.addEventListener("abort", done, { once: true });
    });
  }
  history?.close();
  if (webhook) {
    const left = await webhook.settle(2000);
    webhook.close();
    if (left > 0) problem(`${left} alerts wait in the webhook queue; they are sent when portwatch watch runs again`);
  }
  return 0;
}
