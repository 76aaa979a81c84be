/** Options of a TaskPool. */
export interface PoolOptions {
  /** At most this many tasks run at once. */
  concurrency: number;
  /** At most this many tasks wait for a free slot; more are dropped (and counted). */
  queueLimit: number;
  /** Called with a plain-words note when tasks are dropped or wait long. */
  onProblem?: (message: string) => void;
  /** What the tasks are, for the notes ("--exec handlers"). */
  name: string;
  /** A task that waited this long for a slot is "delayed" (a note, at most every 30 s): default 5 s. */
  delayNoteMs?: number;
  now?: () => number;
}

/**
 * Runs tasks concurrently up to a bound, the rest waiting in a bounded queue, so that the caller (the
 * watcher's look loop) never waits for them: `add` returns at once. When the queue is full a task is
 * dropped, and the user is told (at most every 10 s, with how many); a task that waited long for a slot
 * is reported as delayed.
 */
export class TaskPool {
  private running = 0;
  private readonly queue: { task: () => Promise<void>; queuedAt: number; done: () => void }[] = [];
  private dropped = 0;
  private lastDropNote = -Infinity;
  private lastDelayNote = -Infinity;
  private readonly now: () => number;
  private idle: (() => void)[] = [];

  constructor(private readonly options: PoolOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts `task` now, or queues it; resolves when it ran (or at once when it was dropped). */
  add(task: () => Promise<void>): Promise<void> {
    return new Promise((done) => {
      if (this.running < this.options.concurrency) { this.start(task, done); return; }
      if (this.queue.length >= this.options.queueLimit) {
        this.dropped++;
        const at = this.now();
        if (at - this.lastDropNote >= 10_000) {
          this.lastDropNote = at;
          this.options.onProblem?.(`${this.options.name}: ${this.dropped} alert(s) dropped so far: ${this.options.queueLimit} already wait and ${this.options.concurrency} run at once (the handler is too slow for this burst)`);
        }
        done();
        return;
      }
      this.queue.push({ task, queuedAt: this.now(), done });
    });
  }

  /** How many tasks run or wait. */
  get size(): number { return this.running + this.queue.length; }

  /** How many tasks were dropped because the queue was full. */
  get droppedCount(): number { return this.dropped; }

  /** Resolves when nothing runs or waits, or after `ms`; returns how many still run or wait. */
  async settle(ms: number): Promise<number> {
    if (this.size === 0) return 0;
    await new Promise<void>((ok) => {
      const timer = setTimeout(ok, ms);
      this.idle.push(() => { clearTimeout(timer); ok(); });
    });
    return this.size;
  }

  /** Drops what still waits (at shutdown); returns how many. */
  cancel(): number {
    const left = this.queue.splice(0);
    for (const q of left) q.done();
    return left.length;
  }

  private start(task: () => Promise<void>, done: () => void): void {
    this.running++;
    task().catch(() => undefined).finally(() => {
      this.running--;
      done();
      const next = this.queue.shift();
      if (next) {
        const waited = this.now() - next.queuedAt;
        if (waited >= (this.options.delayNoteMs ?? 5000) && this.now() - this.lastDelayNote >= 30_000) {
          this.lastDelayNote = this.now();
          this.options.onProblem?.(`${this.options.name}: alerts are delayed (one waited ${(waited / 1000).toFixed(1)} s for a free handler; ${this.queue.length} more wait, ${this.options.concurrency} run at once)`);
        }
        this.start(next.task, next.done);
      } else if (this.running === 0) {
        const waiters = this.idle;
        this.idle = [];
        for (const w of waiters) w();
      }
    });
  }
}
