import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { heapTrimmer, TRIM_ABOVE_BYTES } from "../../src/cli/heap-trim.js";

describe("heapTrimmer", () => {
  it("heapTrimmer collects only when the heap grew by TRIM_ABOVE_BYTES since the last collection", () => {
    const MiB = 1048576;
    let heap = 20 * MiB;
    let collections = 0;
    const trim = heapTrimmer(() => heap, () => { collections++; heap = 25 * MiB; });
    heap = 20 * MiB + TRIM_ABOVE_BYTES - 1;
    trim.afterLook();
    assert.equal(collections, 0, "a steady look's few allocations are left to V8");
    heap = 20 * MiB + TRIM_ABOVE_BYTES;
    trim.afterLook();
    assert.equal(collections, 1, "a judging look's garbage is collected");
    heap = 25 * MiB + TRIM_ABOVE_BYTES - 1;
    trim.afterLook();
    assert.equal(collections, 1, "measured from what the collection left");
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
