import { createHash } from "node:crypto";
import type { ChangeEvent, Seen } from "../model/change.js";
import { InputError, isInputError } from "../model/errors.js";
import { renderEventJson } from "../report/render-events.js";
import { alertFilter } from "../watch/alerts.js";
import { execSink } from "../watch/exec-sink.js";
import type { HistoryStore } from "../watch/history-store.js";
import { syslogSink } from "../watch/syslog-sink.js";
import { changesWhileNotWatching } from "../watch/unwatched.js";
import { WebhookSink, webhookUrl } from "../watch/webhook-sink.js";

/** Where the watcher's alerts go. */
export interface AlertOptions {
  /** POST each alert as JSON to this URL (queued on disk in `queueDir`, retried). */
  webhook?: string;
  /** First retry delay of the webhook, in ms (doubling up to 5 min). */
  webhookRetryMs?: number;
  queueDir: string;
  /** Run this program with each alert's JSON on stdin (split on spaces, no shell). */
  exec?: string;
  /** Time one --exec handler (and what it starts) may take, in ms: default 10 s. */
  execTimeoutMs?: number;
  /** --exec handlers running at once: default 4. */
  execConcurrency?: number;
  /** Send alerts to syslog (RFC 5424) through this socket (true: /dev/log). */
  syslog?: string | boolean;
  onProblem: (message: string) => void;
}

/** The watcher's alert sinks behind one call: which changes are alerts (alertFilter), and their delivery. */
export interface Alerting {
  /** Hands the alerts among `events` to the sinks and returns at once: the look loop never waits for a handler. */
  deliver(events: readonly ChangeEvent[]): void;
  /** Stops: waits for running handlers (up to their timeout) and up to `ms` for queued webhook alerts; returns how many webhook alerts still wait on disk. */
  close(ms: number): Promise<number>;
}

/** The alert's stable id: the same for the same change (kind, identity, time, verdicts), on every retry and in every sink. */
export function alertId(e: ChangeEvent): string {
  return createHash("sha256").update(JSON.stringify([e.type, e.identity, e.at, e.socket.verdict, e.was ?? null])).digest("hex").slice(0, 32);
}

/**
 * One change as the JSON the sinks and `watch --ndjson` print: renderEventJson's object with the alert's
 * "id" first and, for a change found at start, "unwatchedSince" (the last look history knew).
 */
export function alertJson(e: ChangeEvent): string {
  const inner = renderEventJson(e).slice(1, -1);
  return `{"id":"${alertId(e)}",${inner}${e.unwatchedSince ? `,"unwatchedSince":${JSON.stringify(e.unwatchedSince)}` : ""}}`;
}

/** Opens the sinks `options` asks for; a user's mistake in them (a non-HTTP URL, a queue folder that cannot be made, an empty --exec) is an InputError. */
export function openAlerting(options: AlertOptions): Alerting {
  const isAlert = alertFilter();
  let webhook: WebhookSink | null = null;
  if (options.webhook !== undefined) {
    webhookUrl(options.webhook);
    try {
      webhook = new WebhookSink({ url: options.webhook, queueDir: options.queueDir, baseDelayMs: options.webhookRetryMs ?? 1000, onProblem: options.onProblem });
    } catch (e) {
      throw new InputError(`Cannot prepare the webhook queue "${options.queueDir}": ${(e as { code?: string }).code ?? (e as Error).message} (choose a folder with --queue-dir or --state-dir)`);
    }
    webhook.kick(); // alerts a previous run could not deliver
  }
  const run = options.exec !== undefined ? execSink(options.exec, {
    onProblem: options.onProblem, ...(options.execTimeoutMs !== undefined ? { timeoutMs: options.execTimeoutMs } : {}),
    ...(options.execConcurrency !== undefined ? { concurrency: options.execConcurrency } : {}),
  }) : null;
  const syslog = options.syslog ? syslogSink({ ...(typeof options.syslog === "string" ? { socket: options.syslog } : {}), onProblem: options.onProblem }) : null;
  return {
    deliver(events) {
      for (const e of events) {
        if (!isAlert(e)) continue;
        const json = alertJson(e);
        webhook?.send(json);
        void run?.send(json);
        void syslog?.send(json, e.socket.verdict === "suspicious" ? "crit" : "warning");
      }
    },
    async close(ms) {
      // A handler that started gets its whole time; what still waits after that is dropped, and said.
      const [handlersLeft] = await Promise.all([run?.close(Math.max(ms, options.execTimeoutMs ?? 10_000)), syslog?.close(ms)]);
      if (handlersLeft) options.onProblem(`--exec: ${handlersLeft} alert(s) were not handled before portwatch stopped`);
      if (!webhook) return 0;
      const left = await webhook.settle(ms);
      webhook.close();
      return left;
    },
  };
}

/** The changes since the last look the history knows (see changesWhileNotWatching); none without history. */
export function unwatchedChanges(last: ReturnType<HistoryStore["lastLook"]>, seen: ReadonlyMap<string, Seen>, at: string): ChangeEvent[] {
  return last ? changesWhileNotWatching(last, seen, at) : [];
}

/**
 * Opens (or creates) the history database; a path that cannot be opened is the user's to fix. `readonly`
 * (the history command): opened read-only and never created; a missing, damaged or
 * foreign database is an InputError.
 */
export async function openHistory(path: string, options: { readonly?: boolean } = {}): Promise<HistoryStore> {
  const { HistoryStore } = await import("../watch/history-store.js");
  try { return new HistoryStore(path, 30, options); } catch (e) {
    if (isInputError(e)) throw e; // it names the file, the reason and what to do
    throw new InputError(`Cannot open the history database "${path}": ${(e as { code?: string }).code ?? (e as Error).message} (choose another with --db FILE or --state-dir DIR, or --no-history)`);
  }
}

export type { HistoryStore };
