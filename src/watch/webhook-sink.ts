import { redactUrl, redactUrlIn } from "../model/redact-url.js";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../model/errors.js";
import { checkFolder } from "../collect/safe-file-store.js";

/** The --webhook URL, checked: an absolute http: or https: URL (anything else would swallow alerts). */
export function webhookUrl(text: string): URL {
  let url: URL;
  try { url = new URL(text); } catch {
    throw new InputError(`Cannot use --webhook "${redactUrl(text)}": it is not a URL (give one like https://alerts.example.org/portwatch)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError(`Cannot use --webhook "${redactUrl(text)}": only http: and https: URLs can take alerts, not ${url.protocol} (give one like https://alerts.example.org/portwatch)`);
  }
  return url;
}

/** The alert's idempotency key: its "id" field, or (for an alert queued without one) a hash of its text: the same on every retry. */
export function alertKey(body: string): { key: string; body: string } {
  try {
    const a = JSON.parse(body) as unknown;
    if (a !== null && typeof a === "object" && !Array.isArray(a)) {
      const id = (a as Record<string, unknown>)["id"];
      if (typeof id === "string" && id !== "") return { key: id, body };
      const key = createHash("sha256").update(body).digest("hex").slice(0, 32);
      return { key, body: JSON.stringify({ id: key, ...(a as object) }) };
    }
  } catch { /* not JSON: sent as it is */ }
  return { key: createHash("sha256").update(body).digest("hex").slice(0, 32), body };
}

/** Options of the webhook sink. */
export interface WebhookOptions {
  url: string;
  /** Folder of the on-disk queue: alerts wait here until the server took them (survives restarts). */
  queueDir: string;
  /** First retry delay, doubled after each failure up to `maxDelayMs`: defaults 1 s and 5 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Time one POST may take: default 5 s. */
  timeoutMs?: number;
  /** Called with a plain-words note when a delivery fails (for the user, on stderr). */
  onProblem?: (message: string) => void;
}

/**
 * Sends alerts as JSON in HTTP POSTs. Each alert is first written to the queue folder (write, then
 * rename: a crash never leaves half a file), and removed only after the server answered 2xx; failures
 * are retried in order with exponential backoff, so no alert is lost across restarts. Delivery is
 * at-least-once: an alert whose answer was lost (a kill, a timeout) is sent again, with the same
 * `Idempotency-Key` header and "id" field, so the receiver can drop the repeat. A redirect (3xx) is not
 * followed: it is a failure, and the alert stays queued.
 */
export class WebhookSink {
  private seq = 0;
  private sending: Promise<void> | null = null;
  private delay: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** An alert was queued since the current delivery round listed the queue. */
  private dirty = false;

  constructor(private readonly options: WebhookOptions) {
    webhookUrl(options.url);
    checkFolder(options.queueDir, { create: true, privateFolder: true }); // others may not plant alerts or links there
    this.delay = options.baseDelayMs ?? 1000;
  }

  /** Queues one alert (as JSON text) and starts delivery. */
  send(json: string): void {
    const name = `${Date.now().toString().padStart(15, "0")}-${process.pid}-${String(this.seq++).padStart(6, "0")}.json`;
    const tmp = join(this.options.queueDir, `.${name}.tmp`);
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, join(this.options.queueDir, name));
    this.dirty = true;
    this.kick();
  }

  /** Alerts still waiting in the queue folder. */
  pending(): string[] {
    return readdirSync(this.options.queueDir).filter((f) => f.endsWith(".json") && !f.startsWith(".")).sort();
  }

  /** Starts delivering whatever is queued (also what a previous run left). */
  kick(): void {
    if (this.sending || this.timer || this.closed) return;
    this.dirty = false;
    // What was queued while this round ran is sent by the next round, not left until shutdown.
    this.sending = this.drain().finally(() => { this.sending = null; if (this.dirty) this.kick(); });
  }

  /** Waits until the queue is empty or `ms` passed; returns how many alerts are still queued. */
  async settle(ms: number): Promise<number> {
    const end = Date.now() + ms;
    while (this.pending().length > 0 && Date.now() < end) {
      this.kick();
      await new Promise((ok) => setTimeout(ok, 20));
    }
    return this.pending().length;
  }

  /** Stops retrying (queued alerts stay on disk for the next run). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async drain(): Promise<void> {
    for (const name of this.pending()) {
      if (this.closed) return;
      const file = join(this.options.queueDir, name);
      let body: string;
      try { body = readFileSync(file, "utf8"); } catch { continue; } // taken by another sender
      const ok = await this.post(body);
      if (!ok) {
        // Back off, then try again from this alert: order is kept.
        this.timer = setTimeout(() => { this.timer = null; this.kick(); }, this.delay);
        this.delay = Math.min(this.delay * 2, this.options.maxDelayMs ?? 300_000);
        return;
      }
      this.delay = this.options.baseDelayMs ?? 1000;
      try { unlinkSync(file); } catch { /* already gone */ }
    }
  }

  private async post(text: string): Promise<boolean> {
    const { key, body } = alertKey(text);
    try {
      const res = await fetch(this.options.url, {
        method: "POST", body, redirect: "manual",
        headers: { "content-type": "application/json", "user-agent": "portwatch", "idempotency-key": key },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 300 && res.status < 400) {
        const to = res.headers.get("location");
        this.options.onProblem?.(`webhook ${redactUrl(this.options.url)} answered ${res.status}, a redirect${to ? ` to ${redactUrl(to)}` : ""}: portwatch does not follow redirects with alerts (give the final URL with --webhook); the alert stays queued, will retry in ${Math.round(this.delay / 1000)} s`);
        return false;
      }
      if (res.ok) return true;
      this.options.onProblem?.(`webhook ${redactUrl(this.options.url)} answered ${res.status}; will retry in ${Math.round(this.delay / 1000)} s`);
      return false;
    } catch (e) {
      const why = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
      this.options.onProblem?.(`webhook ${redactUrl(this.options.url)} failed (${redactUrlIn(why, this.options.url)}); will retry in ${Math.round(this.delay / 1000)} s`);
      return false;
    }
  }
}
