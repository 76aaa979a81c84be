import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// A watcher that keeps only identities between looks (the agent) allocates much in a look that judges the
// host (the first, at 200,000 sockets ~100 MiB of objects that are garbage right after) and almost nothing in
// a steady host's looks, so V8 runs no full collection for a long time and keeps that garbage's old-space
// pages: the agent then holds ~100 MiB of heap of which ~30 are live (bench/RESULTS-agent.md). After such a
// look the heap is collected at once (a full, compacting collection, ~50 ms there), so V8 gives the pages back.
// The kernel's dumps come in ArrayBuffers that each look makes anew (~5 MiB at 100,000 sockets) and that
// outlive two young collections, so only a full collection frees them: on a steady host they piled up to 30
// MiB between V8's own full collections. A full collection is also run when they grew by TRIM_BUFFERS_ABOVE_BYTES
// (~10 ms with a steady agent's heap, every other look at 100,000 sockets).

/** Headroom over the heap left live by the last collection before a look's garbage is collected at once. */
export const TRIM_ABOVE_BYTES = 32 * 1048576;
/** Headroom over the ArrayBuffers left by the last collection (the dumps, see above). */
export const TRIM_BUFFERS_ABOVE_BYTES = 8 * 1048576;

/** What trims the heap after looks: `afterLook()` collects when the heap grew by TRIM_ABOVE_BYTES, or the ArrayBuffers by TRIM_BUFFERS_ABOVE_BYTES, since. */
export interface HeapTrimmer {
  afterLook(): void;
  /**
   * Collects now: before a look judges the host it read (LookSession.beforeJudging). What reading left (the
   * decoded dumps, a first look's package lists, ~7 MiB at 100,000 sockets) is then gone before the judged
   * sockets reach the look's peak; a full collection there costs ~20 ms against the 1-2 s of such a look.
   */
  beforeJudging(): void;
  /**
   * Called after each batch a look judges in parts (LookSession.judged): collects when the heap grew by
   * JUDGING_GROWTH_BYTES since the last collection. A first look at 200,000 sockets makes some 120 MiB of
   * objects that outlive the young generation but not the look (an explanation kept per port, a batch in
   * flight); V8 let them reach 80 MiB before its own full collection (RSS 140 MiB at the bench's 100k row).
   */
  whileJudging(): void;
}

/** Heap growth within a look that judges in parts before it is collected (see HeapTrimmer.whileJudging). */
export const JUDGING_GROWTH_BYTES = 4 * 1048576;
/** whileJudging reads the heap's size once per this many batches (some 2,000 sockets). */
const JUDGING_CHECK_EVERY = 16;

/** What the trimmer watches: V8's heap used and held, and the bytes of live ArrayBuffers (process.memoryUsage's fields). */
export type HeapUse = () => { heapUsed: number; heapTotal: number; arrayBuffers: number };

/**
 * Pages V8 may keep after a collection before a second one is asked for: the collection that frees a
 * judging look's sockets leaves the pages they filled held (36 MiB held for 17 used at 100,000 sockets);
 * the next collection gives them back (22 held), which V8 would otherwise do only looks later.
 */
export const HELD_ABOVE_BYTES = 8 * 1048576;

/**
 * A heap trimmer (see HeapTrimmer); one that does nothing when V8 will not hand out its collector. Tests
 * pass their own `use` and `collect`.
 */
export function heapTrimmer(use: HeapUse = () => process.memoryUsage(), collect: (() => void) | null = fullCollector()): HeapTrimmer {
  const gc = collect;
  let live = use();
  let floor = 0, batches = 0; // the heap after the last collection within a judging look; batches since it began
  return {
    beforeJudging() {
      // What the look read stays live through its judgement: `live` stays what the last look left, so the
      // judged sockets are collected after the look.
      if (gc === null) return;
      gc();
      floor = use().heapUsed;
      batches = 0;
    },
    whileJudging() {
      if (gc === null || ++batches % JUDGING_CHECK_EVERY !== 0 || use().heapUsed < floor + JUDGING_GROWTH_BYTES) return;
      gc();
      floor = use().heapUsed;
    },
    afterLook() {
      if (gc === null) return;
      const now = use();
      if (now.heapUsed < live.heapUsed + TRIM_ABOVE_BYTES && now.arrayBuffers < live.arrayBuffers + TRIM_BUFFERS_ABOVE_BYTES) return;
      gc();
      live = use();
      if (live.heapTotal > live.heapUsed + HELD_ABOVE_BYTES) {
        gc();
        live = use();
      }
    },
  };
}

/** V8's full collection (global.gc when node runs with --expose-gc; else asked of V8 once, its flag then put back). */
function fullCollector(): (() => void) | null {
  const own = (globalThis as { gc?: () => void }).gc;
  if (typeof own === "function") return own;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString("--no-expose-gc"); // the code cache's flag hash stays the start's
  }
}
