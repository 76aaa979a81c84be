import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LookRecord } from "../../src/model/fleet.js";
import { LookQueue } from "../../src/watch/look-queue-store.js";

const dir = mkdtempSync(join(tmpdir(), "pw-lookqueue-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const record = (at: string, identities = 0): LookRecord => ({
  hostId: "h", hostname: "h", at, intervalMs: 1000, events: [],
  identities: Array.from({ length: identities }, (_, i) => ({ identity: `L|tcp|${i}|x|root|host`, verdict: "unknown", proto: "tcp", port: i, direction: "listening", program: "/x", name: "x", local: `0.0.0.0:${i}`, remote: null, lists: [] })),
});

describe("LookQueue", () => {
  it("LookQueue hands looks back in the order their numbers were reserved, not the order they were pushed", () => {
    const q = new LookQueue(join(dir, "order"), () => undefined);
    const first = q.reserve(), second = q.reserve();
    q.push(second, record("2026-12-01T00:00:02.000Z"));
    q.push(first, record("2026-12-01T00:00:01.000Z")); // an earlier write that failed after a later look was queued
    const a = q.oldest();
    assert.equal(a?.record.at, "2026-12-01T00:00:01.000Z");
    q.remove(a?.seq ?? -1);
    assert.equal(q.oldest()?.record.at, "2026-12-01T00:00:02.000Z");
    assert.equal(statSync(join(dir, "order", readdirSync(join(dir, "order"))[0] as string)).mode & 0o777, 0o600);
  });

  it("LookQueue continues numbering after the looks a previous run left", () => {
    const q = new LookQueue(join(dir, "resume"), () => undefined);
    q.push(q.reserve(), record("2026-12-01T00:00:01.000Z"));
    q.push(q.reserve(), record("2026-12-01T00:00:02.000Z"));
    const again = new LookQueue(join(dir, "resume"), () => undefined);
    assert.equal(again.reserve(), 3);
    assert.equal(again.size(), 2);
  });

  it("LookQueue drops the oldest looks beyond its count or byte limit and says how many, counting since start", () => {
    const said: string[] = [];
    const q = new LookQueue(join(dir, "bounded"), (m) => said.push(m), { looks: 3, bytes: 1 << 20 });
    for (let s = 1; s <= 5; s++) q.push(q.reserve(), record(`2026-12-01T00:00:0${s}.000Z`));
    assert.equal(q.size(), 3);
    assert.equal(q.oldest()?.record.at, "2026-12-01T00:00:03.000Z");
    assert.equal(said.length, 2);
    assert.match(said[1] ?? "", /full \(at most 3 looks or 1 MiB\): dropped the oldest look \(2 dropped since start\)/);
    const small = new LookQueue(join(dir, "bytes"), (m) => said.push(m), { looks: 100, bytes: 40_000 });
    for (let s = 1; s <= 4; s++) small.push(small.reserve(), record(`2026-12-01T00:00:0${s}.000Z`, 100)); // about 17 kB each
    assert.equal(small.size(), 2);
    assert.equal(small.oldest()?.record.at, "2026-12-01T00:00:03.000Z");
  });

  it("LookQueue sets aside a queued file that is not a look, with a warning, and goes on to the next", () => {
    const said: string[] = [];
    const q = new LookQueue(join(dir, "bad"), (m) => said.push(m));
    const seq = q.reserve();
    writeFileSync(join(dir, "bad", `look-${String(seq).padStart(16, "0")}.json`), "{not json", { mode: 0o600 });
    q.push(q.reserve(), record("2026-12-01T00:00:09.000Z"));
    assert.equal(q.oldest()?.record.at, "2026-12-01T00:00:09.000Z");
    assert.match(said[0] ?? "", /cannot read the queued look .*look-0000000000000001\.json.*dropped/);
  });
});
