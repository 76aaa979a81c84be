import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
 * are retried in order with exponential backoff, so no alert is lost across restarts.
 */
export class WebhookSink {
  private seq = 0;
  private sending: Promise<void> | null = null;
  private delay: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: WebhookOptions) {
    mkdirSync(options.queueDir, { recursive: true, mode: 0o700 });
    this.delay = options.baseDelayMs ?? 1000;
  }

  /** Queues one alert (as JSON text) and starts delivery. */
  send(json: string): void {
    const name = `${Date.now().toString().padStart(15, "0")}-${process.pid}-${String(this.seq++).padStart(6, "0")}.json`;
    const tmp = join(this.options.queueDir, `.${name}.tmp`);
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, join(this.options.queueDir, name));
    this.kick();
  }

  /** Alerts still waiting in the queue folder. */
  pending(): string[] {
    return readdirSync(this.options.queueDir).filter((f) => f.endsWith(".json") && !f.startsWith(".")).sort();
  }

  /** Starts delivering whatever is queued (also what a previous run left). */
  kick(): void {
    if (this.sending || this.timer || this.closed) return;
    this.sending = this.drain().finally(() => { this.sending = null; });
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

  private async post(body: string): Promise<boolean> {
    try {
      const res = await fetch(this.options.url, {
        method: "POST", body, headers: { "content-type": "application/json", "user-agent": "portwatch" },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
      this.options.onProblem?.(`webhook ${this.options.url} answered ${res.status}; will retry in ${Math.round(this.delay / 1000)} s`);
      return false;
    } catch (e) {
      this.options.onProblem?.(`webhook ${this.options.url} failed (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); will retry in ${Math.round(this.delay / 1000)} s`);
      return false;
    }
  }
}
