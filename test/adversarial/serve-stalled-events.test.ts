import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect, type Socket as NetSocket } from "node:net";
import type { Judged } from "../../src/audit/pipeline.js";
import type { ChangeEvent } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";
import { startDashboard } from "../../src/serve/server.js";

// Issue 14: 2,000 event-stream clients that stop reading grew `serve` from 114 MiB to 4.3 GiB in a minute.
// Here 300 clients open /api/events on loopback and never read; the server gets looks with 400 changes
// each (about 1 MiB of events per client and look). Every wait is bounded.

const TOKEN = "0123456789abcdef0123456789abcdef";
const CLIENTS = 300;
const LOOKS = 6;

function sock(i: number): Socket {
  return {
    proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 20000 + i }, remote: null, state: "LISTEN", direction: "listening",
    exposure: "loopback", netns: 1, inode: i + 1, uid: 0, service: null,
    process: { pid: 1000 + i, name: `stalled-${i}`, exe: `/opt/stalled/${"x".repeat(200)}`, exeDeleted: false, cmdline: null, uid: 0, user: "root", containerId: null, netns: 1 },
    sharedWith: [], verdict: "unknown", reasons: [], explanation: "e".repeat(2000),
  };
}

/** A look with no sockets (the server only passes them on). */
const NO_SOCKETS = [] as unknown as Judged;

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

/** Opens the event stream, waits for the first bytes of the answer, then stops reading for good. */
function stalledClient(port: number): Promise<NetSocket> {
  return new Promise((ok, fail) => {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => { /* the server may drop it: that is the point */ });
    s.once("connect", () => s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`));
    s.once("data", () => { s.pause(); ok(s); });
    s.once("close", () => ok(s));
    setTimeout(() => fail(new Error("no answer to an event-stream request within 10 s")), 10_000).unref();
  });
}

function getMetrics(port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path: "/metrics", agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on("end", () => ok(res.statusCode ?? 0));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("startDashboard with event-stream clients that never read", () => {
  it("startDashboard keeps its memory bounded with 300 stalled event-stream clients and still answers the token holder", async () => {
    let n = 0;
    const dashboard = await startDashboard({
      token: TOKEN, intervalMs: 3_600_000,
      look: async () => {
        n++;
        const at = new Date().toISOString();
        const events: ChangeEvent[] = n === 1 ? [] : Array.from({ length: 400 }, (_, i) => ({ type: "appeared" as const, identity: `tcp|listening|${n}|${i}`, socket: sock(i), at }));
        return { look: { sockets: NO_SOCKETS, hostname: "stalled", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events, at };
      },
    });
    const port = Number(new URL(dashboard.url).port);
    const sockets: NetSocket[] = [];
    try {
      global.gc?.();
      const before = process.memoryUsage().rss;
      for (let i = 0; i < CLIENTS; i += 50) {
        sockets.push(...await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, () => stalledClient(port))));
      }
      for (let i = 0; i < LOOKS; i++) {
        await dashboard.refresh();
        await new Promise((ok) => setTimeout(ok, 50));
      }
      const grown = (process.memoryUsage().rss - before) / 2 ** 20;
      assert.ok(grown < 100, `the server grew by ${grown.toFixed(0)} MiB with ${CLIENTS} stalled clients`);
      const started = Date.now();
      assert.equal(await within(5_000, "GET /metrics", getMetrics(port)), 200);
      assert.ok(Date.now() - started < 2_000, `GET /metrics took ${Date.now() - started} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await dashboard.close();
    }
  });

  it("startDashboard disconnects a client that stops reading a large answer for longer than idleTimeoutMs", async () => {
    const sockets = Array.from({ length: 5000 }, (_, i) => sock(i)) as unknown as Judged;
    const dashboard = await startDashboard({
      token: TOKEN, intervalMs: 3_600_000, limits: { idleTimeoutMs: 500 },
      look: async () => ({ look: { sockets, hostname: "stalled", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events: [], at: new Date().toISOString() }),
    });
    const port = Number(new URL(dashboard.url).port);
    const s = connect(port, "127.0.0.1");
    try {
      let received = 0;
      s.on("error", () => { /* closed by the server */ });
      s.on("data", (d: Buffer) => { received += d.length; });
      s.write(`GET /api/snapshot HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
      await within(5_000, "the first bytes of the snapshot", new Promise((ok) => s.once("data", ok)));
      s.pause();
      await new Promise((ok) => setTimeout(ok, 2_000));
      s.resume();
      await within(5_000, "the end of the connection", new Promise<void>((ok) => s.once("close", () => ok())));
      assert.ok(received < 5000 * 2000, `the whole snapshot (${received} bytes) was kept for a client that did not read`);
    } finally {
      s.destroy();
      await dashboard.close();
    }
  });
});
