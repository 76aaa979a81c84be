import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { heapTrimmer, HELD_ABOVE_BYTES, JUDGING_GROWTH_BYTES, TRIM_ABOVE_BYTES, TRIM_BUFFERS_ABOVE_BYTES } from "../../src/cli/heap-trim.js";

const MiB = 1048576;

describe("heapTrimmer", () => {
  /**
   * Grows one measure (`field`, starting at `from`) to just under `limit` above it, then to the limit, then past
   * what the collection left (`left`) by just under the limit: only the middle look collects.
   */
  function collectsAtLimit(field: "heapUsed" | "arrayBuffers", from: number, left: number, limit: number, what: [string, string]): void {
    const use = { heapUsed: 18 * MiB, heapTotal: 18 * MiB, arrayBuffers: 3 * MiB, [field]: from };
    let collections = 0;
    const trim = heapTrimmer(() => ({ ...use, heapTotal: use.heapUsed }), () => { collections++; use[field] = left; });
    for (const [value, want, why] of [[from + limit - 1, 0, what[0]], [from + limit, 1, what[1]], [left + limit - 1, 1, "measured from what the collection left"]] as const) {
      use[field] = value;
      trim.afterLook();
      assert.equal(collections, want, why);
    }
  }

  it("heapTrimmer collects only when the heap grew by TRIM_ABOVE_BYTES since the last collection", () => {
    collectsAtLimit("heapUsed", 20 * MiB, 25 * MiB, TRIM_ABOVE_BYTES, ["a steady look's few allocations are left to V8", "a judging look's garbage is collected"]);
  });

  it("heapTrimmer collects when the ArrayBuffers grew by TRIM_BUFFERS_ABOVE_BYTES since the last collection, the heap alike", () => {
    collectsAtLimit("arrayBuffers", 3 * MiB, 5 * MiB, TRIM_BUFFERS_ABOVE_BYTES, ["one look's dumps are left to V8", "the dumps of looks that piled up are collected"]);
  });

  it("heapTrimmer collects a second time when the first left V8 holding HELD_ABOVE_BYTES more than it uses, and not a third", () => {
    let use = { heapUsed: 20 * MiB, heapTotal: 22 * MiB, arrayBuffers: 0 };
    const after = [{ heapUsed: 17 * MiB, heapTotal: 17 * MiB + HELD_ABOVE_BYTES + 1 }, { heapUsed: 17 * MiB, heapTotal: 17 * MiB + HELD_ABOVE_BYTES + 1 }, { heapUsed: 17 * MiB, heapTotal: 22 * MiB }];
    let collections = 0;
    const trim = heapTrimmer(() => use, () => { use = { ...use, ...after[collections] }; collections++; });
    use = { heapUsed: 20 * MiB + TRIM_ABOVE_BYTES, heapTotal: 60 * MiB, arrayBuffers: 0 };
    trim.afterLook();
    assert.equal(collections, 2, "the pages the first collection freed are given back by the second");
    use = { heapUsed: 17 * MiB, heapTotal: 17 * MiB + HELD_ABOVE_BYTES, arrayBuffers: 0 };
    trim.afterLook();
    assert.equal(collections, 2, "a steady look is left alone");
  });

  it("heapTrimmer.beforeJudging collects every time, and the look's growth is still measured from what the last look left", () => {
    let heap = 20 * MiB;
    let collections = 0;
    const trim = heapTrimmer(() => ({ heapUsed: heap, heapTotal: heap, arrayBuffers: 0 }), () => { collections++; });
    heap = 40 * MiB; // the look's sockets, read and live
    trim.beforeJudging();
    trim.beforeJudging();
    assert.equal(collections, 2);
    heap = 20 * MiB + TRIM_ABOVE_BYTES; // judged: its sockets are garbage once the look is done
    trim.afterLook();
    assert.equal(collections, 3, "the judged look is collected after it, although a collection ran inside it");
  });

  it("heapTrimmer.whileJudging collects when the heap grew by JUDGING_GROWTH_BYTES since the last collection of the look, reading it once per 16 batches", () => {
    let heap = 30 * MiB, reads = 0, collections = 0;
    const trim = heapTrimmer(() => { reads++; return { heapUsed: heap, heapTotal: heap, arrayBuffers: 0 }; }, () => { collections++; heap = 31 * MiB; });
    trim.beforeJudging(); // the look's floor: 31 MiB
    assert.equal(collections, 1);
    const batches = (n: number) => { for (let i = 0; i < n; i++) trim.whileJudging(); };
    reads = 0;
    heap = 31 * MiB + JUDGING_GROWTH_BYTES - 1;
    batches(32);
    assert.deepEqual([collections, reads], [1, 2], "under the growth: no collection; the heap read every 16th batch");
    heap = 31 * MiB + JUDGING_GROWTH_BYTES;
    batches(15);
    assert.equal(collections, 1, "not read between");
    batches(1);
    assert.equal(collections, 2, "the growth is collected within the look");
    heap = 31 * MiB + JUDGING_GROWTH_BYTES - 1;
    batches(16);
    assert.equal(collections, 2, "measured from what that collection left");
  });

  it("heapTrimmer frees the ArrayBuffers of past looks with V8's own collector", async () => {
    const trim = heapTrimmer();
    // Buffers that outlive two young collections, as a look's dumps do: only a full collection frees them.
    let held: ArrayBuffer[] | null = Array.from({ length: 24 }, () => new ArrayBuffer(1048576));
    for (let i = 0; i < 3; i++) Array.from({ length: 200_000 }, (_, k) => ({ k }));
    const grown = process.memoryUsage().arrayBuffers;
    assert.ok(held.length === 24);
    held = null;
    trim.afterLook();
    // V8 frees the buffers' memory on a thread of its own after the collection (before the next look, 2 s
    // later): waited for up to that long, without collecting again.
    let after = process.memoryUsage().arrayBuffers;
    for (let waited = 0; after >= grown - 16 * 1048576 && waited < 2000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = process.memoryUsage().arrayBuffers;
    }
    assert.ok(after < grown - 16 * 1048576, `ArrayBuffers ${grown} before, ${after} after`);
  });

  it("heapTrimmer frees a look's garbage with V8's own collector, without --expose-gc", () => {
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined", "the test runs without --expose-gc");
    const trim = heapTrimmer();
    let garbage: number[][] | null = Array.from({ length: 64 }, () => Array.from({ length: 100_000 }, (_, i) => i + 0.5));
    const grown = process.memoryUsage().heapUsed;
    assert.ok(garbage.length === 64);
    garbage = null;
    trim.afterLook();
    const after = process.memoryUsage().heapUsed;
    assert.ok(after < grown - 40 * 1048576, `heap ${grown} before, ${after} after`);
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined", "no gc is left on the global object");
  });
});
