import { readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { LookRecord } from "../model/fleet.js";
import { checkFolder, readTrustedFile, writeFileAtomic } from "../collect/safe-file-store.js";

/** How much the queue keeps while the database is away: this many looks, or this many bytes, whichever comes first. */
export const QUEUE_LIMITS = { looks: 1000, bytes: 256 * 1024 * 1024 } as const;

const NAME = /^look-(\d{16})\.json$/;

/**
 * The looks a PostgreSQL store could not write yet, one file per look in a private folder of the state
 * directory (written with safe-file-store.ts: O_EXCL|O_NOFOLLOW, mode 0600, renamed into place), named by
 * a sequence number taken when the look was made, so they are written back in the order they were taken
 * even when an earlier write failed after later looks were queued. Bounded by QUEUE_LIMITS: past them the
 * oldest looks are dropped, and `onProblem` says how many.
 */
export class LookQueue {
  private next: number;
  private dropped = 0;

  constructor(readonly dir: string, private readonly onProblem: (message: string) => void, private readonly limits: { looks: number; bytes: number } = QUEUE_LIMITS) {
    checkFolder(dir, { create: true, privateFolder: true });
    const last = this.names().at(-1);
    this.next = last === undefined ? 1 : Number(NAME.exec(last)?.[1]) + 1;
  }

  /** A sequence number for a look about to be written (its place in the queue should the write fail). */
  reserve(): number {
    return this.next++;
  }

  /** Keeps `record` under sequence number `seq`, then drops the oldest looks beyond the limits. */
  push(seq: number, record: LookRecord): void {
    writeFileAtomic(join(this.dir, nameOf(seq)), JSON.stringify(record), { privateFolder: true });
    const names = this.names();
    let bytes = 0;
    const sizes = names.map((n) => { const s = sizeOf(join(this.dir, n)); bytes += s; return s; });
    let drop = 0;
    while (names.length - drop > this.limits.looks || (bytes > this.limits.bytes && names.length - drop > 1)) bytes -= sizes[drop++] as number;
    if (drop === 0) return;
    for (const n of names.slice(0, drop)) { try { unlinkSync(join(this.dir, n)); } catch { /* gone */ } }
    this.dropped += drop;
    this.onProblem(`the fleet store's queue in "${this.dir}" is full (at most ${this.limits.looks} looks or ${Math.round(this.limits.bytes / 1048576)} MiB): dropped the ${drop === 1 ? "oldest look" : `${drop} oldest looks`} (${this.dropped} dropped since start) while the database is away`);
  }

  /** The oldest queued look, or null; a file that cannot be read as a look is set aside with a warning. */
  oldest(): { seq: number; record: LookRecord } | null {
    for (const n of this.names()) {
      const seq = Number(NAME.exec(n)?.[1]);
      try { return { seq, record: JSON.parse(readTrustedFile(join(this.dir, n), { privateFolder: true })) as LookRecord }; } catch (e) {
        this.onProblem(`cannot read the queued look "${join(this.dir, n)}": ${(e as Error).message}; it is dropped`);
        this.remove(seq);
      }
    }
    return null;
  }

  /** Forgets a look once it is written. */
  remove(seq: number): void {
    try { unlinkSync(join(this.dir, nameOf(seq))); } catch (e) { if ((e as { code?: string }).code !== "ENOENT") throw e; }
  }

  /** How many looks wait. */
  size(): number {
    return this.names().length;
  }

  /** The queued files, oldest first. */
  private names(): string[] {
    return readdirSync(this.dir).filter((n) => NAME.test(n)).sort();
  }
}

const nameOf = (seq: number) => `look-${String(seq).padStart(16, "0")}.json`;
const sizeOf = (path: string) => { try { return statSync(path).size; } catch { return 0; } };
