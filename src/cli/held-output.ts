import { write, writeSync } from "node:fs";

/*
 * stdout for one long burst (`portwatch audit --json` of 200,000 sockets: 250 MB). The text is encoded into
 * 1 MiB buffers, and each full buffer is written by libuv's thread pool while the audit goes on judging:
 * the copy into the pipe, and the wait for its reader, happen on the other core instead of stopping the
 * audit once per buffer. A reader slower than the audit makes the queue grow; `drain` lets the caller wait
 * for it (at most MAX_QUEUED buffers, so memory stays bounded).
 */

/** Bytes per buffer: each write wakes the pipe's reader once. */
const BUFFER_BYTES = 1 << 20;
/** Full buffers that may wait for the writer before `drain` asks the caller to wait. */
const MAX_QUEUED = 4;

/** What the background writer hands back: the write's error (EPIPE: the reader went away). */
export type WriteFailure = NodeJS.ErrnoException;

/**
 * Writes all of `bytes` to `fd`, waiting in place: a non-blocking descriptor whose reader is behind (EAGAIN)
 * is tried again. Throws any other error (EPIPE: the reader went away).
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let buf = bytes;
  while (buf.length > 0) {
    let n: number;
    try { n = writeSync(fd, buf); } catch (e) {
      if ((e as WriteFailure).code === "EAGAIN") continue;
      throw e;
    }
    buf = buf.subarray(n);
  }
}

/** One burst of held output to a file descriptor; see above. */
export class HeldOutput {
  private readonly queue: { buf: Buffer; from: number; to: number }[] = [];
  private readonly free: Buffer[] = [];
  private cur: Buffer;
  private used = 0;
  private writing = false;
  private failure: WriteFailure | null = null;
  private waiters: (() => void)[] = [];
  private readonly encoder = new TextEncoder();

  constructor(private readonly fd: number) {
    this.cur = Buffer.allocUnsafe(BUFFER_BYTES);
  }

  /** Full buffers not yet written (the one being written among them). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Adds `text`; throws the writer's failure, if one came meanwhile. */
  out(text: string): void {
    if (this.failure) throw this.failure;
    for (let rest = text; rest.length > 0;) {
      const { read, written } = this.encoder.encodeInto(rest, this.cur.subarray(this.used));
      this.used += written;
      rest = read >= rest.length ? "" : rest.slice(read);
      // Full (encodeInto stops before a character that does not fit whole): queue it, go on in another.
      if (rest.length > 0 || this.used > this.cur.length - 4) this.queueCurrent();
    }
  }

  /**
   * What the caller awaits between pieces of work: undefined when no buffer waits behind the one being
   * written; a turn of the event loop when some do (the writer learns that a write ended, and starts the
   * next, only in a callback); when more than MAX_QUEUED wait, a promise for when the writer has caught up.
   * Rejected on failure.
   */
  drain(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queue.length > MAX_QUEUED) return this.until(() => this.queue.length <= 1);
    if (this.queue.length >= 2) return new Promise((resolve) => setImmediate(resolve));
    return undefined;
  }

  /** Writes the rest; resolves when every byte is written (rejected on failure). */
  async release(): Promise<void> {
    if (this.used > 0) this.queueCurrent();
    await this.until(() => this.queue.length === 0);
  }

  private queueCurrent(): void {
    this.queue.push({ buf: this.cur, from: 0, to: this.used });
    this.cur = this.free.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES);
    this.used = 0;
    this.kick();
  }

  private until(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure) reject(this.failure);
        else if (done()) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** Starts writing the queue's first buffer, unless a write is under way. */
  private kick(): void {
    if (this.writing || this.failure) return;
    const next = this.queue[0];
    if (next === undefined) return;
    this.writing = true;
    write(this.fd, next.buf, next.from, next.to - next.from, null, (err, n) => {
      this.writing = false;
      if (err) {
        if (err.code === "EAGAIN") {
          // A non-blocking descriptor whose reader is behind: this one piece is written waiting in place.
          try {
            writeAllSync(this.fd, next.buf.subarray(next.from, next.to));
            next.from = next.to;
          } catch (e) {
            this.failure = e as WriteFailure;
          }
        } else {
          this.failure = err;
        }
      } else {
        next.from += n;
      }
      if (!this.failure && next.from >= next.to) {
        this.queue.shift();
        if (this.free.length < 2) this.free.push(next.buf);
      }
      this.kick();
      this.wake();
    });
  }
}
