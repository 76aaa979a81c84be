import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createEventHub, DEFAULT_LIMITS } from "../../src/serve/limits.js";

/** A response that keeps what is written to it, as a client that never reads would make it. */
class StalledResponse extends EventEmitter {
  writableLength = 0;
  destroyed = false;
  write(text: string): boolean { this.writableLength += text.length; return true; }
  destroy(): void { this.destroyed = true; this.emit("close"); }
  end(): void { this.emit("close"); }
}
const stalled = () => new StalledResponse() as unknown as ServerResponse & StalledResponse;

describe("createEventHub", () => {
  it("createEventHub drops a client whose waiting bytes would pass clientBufferBytes, and keeps the others", () => {
    const hub = createEventHub({ maxEventClients: 10, clientBufferBytes: 1000, totalBufferBytes: 100_000 });
    const slow = stalled(), fast = stalled();
    assert.equal(hub.add(slow), true);
    assert.equal(hub.add(fast), true);
    for (let i = 0; i < 5; i++) { hub.send("x".repeat(300)); fast.writableLength = 0; /* fast reads */ }
    assert.equal(slow.destroyed, true);
    assert.equal(slow.writableLength, 900, "nothing was written past the limit");
    assert.equal(fast.destroyed, false);
    assert.equal(hub.size(), 1);
  });

  it("createEventHub keeps all clients' waiting bytes under totalBufferBytes", () => {
    const hub = createEventHub({ maxEventClients: 100, clientBufferBytes: 1000, totalBufferBytes: 2500 });
    const clients = Array.from({ length: 10 }, stalled);
    for (const c of clients) hub.add(c);
    for (let i = 0; i < 3; i++) hub.send("x".repeat(300));
    const waiting = clients.reduce((n, c) => n + (c.destroyed ? 0 : c.writableLength), 0);
    assert.ok(waiting <= 2500, `${waiting} bytes waiting`);
    assert.ok(clients.some((c) => c.destroyed) && clients.some((c) => !c.destroyed));
  });

  it("createEventHub refuses a client past maxEventClients and takes one again after one leaves", () => {
    const hub = createEventHub({ maxEventClients: 2, clientBufferBytes: 1000, totalBufferBytes: 2500 });
    const [a, b, c] = [stalled(), stalled(), stalled()];
    assert.deepEqual([hub.add(a), hub.add(b), hub.add(c)], [true, true, false]);
    a.emit("close");
    assert.equal(hub.add(c), true);
  });
});

describe("DEFAULT_LIMITS", () => {
  it("DEFAULT_LIMITS are the figures README.md states, and leave room under 1,024 descriptors", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8").replace(/\s+/g, " ");
    const l = DEFAULT_LIMITS;
    const said = `at most ${l.maxConnections} connections (when full, the oldest connection that has not shown the token is closed, so slow strangers cannot lock the token holder out), at most ${l.maxEventClients} event streams, at most ${l.clientBufferBytes / 2 ** 20} MiB waiting for one event-stream client and ${l.totalBufferBytes / 2 ** 20} MiB for all (a client that stops reading is dropped; the page reconnects and reloads), ${l.headersTimeoutMs / 1000} s for a request's headers, ${l.requestTimeoutMs / 1000} s for a request, ${l.keepAliveTimeoutMs / 1000} s for an idle keep-alive connection and ${l.idleTimeoutMs / 60_000} minutes for any silent one.`;
    assert.ok(readme.includes(said), said);
    assert.ok(l.maxConnections <= 1024 - 100 && l.maxEventClients < l.maxConnections && l.heartbeatMs < l.idleTimeoutMs);
  });
});
