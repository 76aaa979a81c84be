import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveRemotes } from "../../src/cli/resolve.js";
import type { Socket } from "../../src/model/socket.js";

const sock = (remote: string | null): Socket => ({
  proto: "tcp", family: 4, local: { address: "192.0.2.2", port: 40000 }, remote: remote === null ? null : { address: remote, port: 443 }, state: "ESTABLISHED",
  direction: "outbound", exposure: null, netns: null, inode: 1, uid: 0, service: null, process: null, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
});

describe("resolveRemotes", () => {
  it("resolveRemotes names each address once, leaves failures and slow answers as numbers, and stays within its time bound", async () => {
    const asked: string[] = [];
    const reverse = (a: string): Promise<string[]> => {
      asked.push(a);
      if (a === "192.0.2.1") return Promise.resolve(["one.example"]);
      if (a === "192.0.2.9") return new Promise(() => {}); // never answers
      return Promise.reject(new Error("ENOTFOUND"));
    };
    const sockets = [sock("192.0.2.1"), sock("192.0.2.1"), sock("::ffff:192.0.2.1"), sock("192.0.2.9"), sock("198.51.100.3"), sock(null)];
    const started = Date.now();
    const unnamed = await resolveRemotes(sockets, { reverse, timeoutMs: 50 });
    assert.ok(Date.now() - started < 2000);
    assert.equal(unnamed, 2);
    assert.deepEqual(asked.sort(), ["192.0.2.1", "192.0.2.1", "192.0.2.9", "198.51.100.3"]); // the v4-mapped one is asked in plain form
    assert.deepEqual(sockets.map((s) => s.remote?.host ?? null), ["one.example", "one.example", "one.example", null, null, null]);
  });

  it("resolveRemotes runs at most `concurrency` lookups at a time and at most `max` in all", async () => {
    let running = 0, peak = 0, total = 0;
    const reverse = async (): Promise<string[]> => {
      running++; total++; peak = Math.max(peak, running);
      await new Promise((ok) => setImmediate(ok));
      running--;
      return ["x.example"];
    };
    const sockets = Array.from({ length: 40 }, (_, i) => sock(`192.0.2.${i + 1}`));
    await resolveRemotes(sockets, { reverse, concurrency: 4, max: 30 });
    assert.ok(peak <= 4);
    assert.equal(total, 30);
  });
});
