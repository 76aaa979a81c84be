import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket as NetSocket } from "node:net";
import { fileURLToPath } from "node:url";
import type { Judged } from "../../src/audit/pipeline.js";
import { startDashboard } from "../../src/serve/server.js";

// Issue 14: 1,100 slow unauthenticated connections locked the token holder out of the dashboard and
// /metrics. Slow connections send half a request and then nothing; every wait here is bounded.

const TOKEN = "fedcba9876543210fedcba9876543210";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A look with no sockets (the server only passes them on). */
const NO_SOCKETS = [] as unknown as Judged;

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: nothing within ${ms} ms`)), ms); })]).finally(() => clearTimeout(timer));
}

/** A connection that sends half of a request's headers (or nothing) and then waits. */
function slowClient(port: number, half: boolean): Promise<NetSocket> {
  return new Promise((ok) => {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => { /* the server may close it: that is the point */ });
    s.resume(); // reads what comes (nothing, or a 408), so a close by the server is seen
    s.once("connect", () => { if (half) s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `); ok(s); });
    s.once("close", () => ok(s));
  });
}

function get(port: number, path: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on("end", () => ok(res.statusCode ?? 0));
    });
    req.on("error", fail);
    req.end();
  });
}

// The server runs in its own process with the 1,024 descriptors a service gets by default (systemd's soft
// LimitNOFILE), as `serve` would; it prints its port.
const SERVER = `
import { startDashboard } from ${JSON.stringify(new URL("../../src/serve/server.ts", import.meta.url).href)};
const d = await startDashboard({ token: process.env.PW_TOKEN, intervalMs: 3600000, look: async () => ({ look: { sockets: [], hostname: "slow", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events: [], at: new Date().toISOString() }) });
process.stdout.write(new URL(d.url).port + "\\n");
process.stdin.on("end", () => d.close().then(() => process.exit(0)));
process.stdin.resume();
`;

/** This process's soft limit of open files (it opens the 1,100 client ends). */
function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return m?.[1] === "unlimited" ? Infinity : Number(m?.[1] ?? 0);
}
// A lower soft limit (a shell's default 1,024) is raised for this test process, up to the hard limit
// (root may raise that too): the test needs the room, and must run, not skip.
if (existsSync("/usr/bin/prlimit") && openFilesLimit() < 1300) { spawnSync("/usr/bin/prlimit", ["--pid", String(process.pid), "--nofile=4096:4096"]); if (openFilesLimit() < 1300) spawnSync("/usr/bin/prlimit", ["--pid", String(process.pid), "--nofile=1300:"]); }
const cannotRun = !existsSync("/usr/bin/prlimit") ? "needs prlimit (util-linux)" : openFilesLimit() < 1300 ? "needs 1,300 open files (ulimit -n 1300)" : false;

function startServerProcess(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn("/usr/bin/prlimit", ["--nofile=1024:1024", process.execPath, "--import", "tsx", "--input-type=module", "-e", SERVER], { cwd: ROOT, env: { ...process.env, PW_TOKEN: TOKEN }, stdio: ["pipe", "pipe", "inherit"] });
  return within(20_000, "the server process's port", new Promise((ok, fail) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => { out += d.toString(); const m = /^(\d+)\n/.exec(out); if (m) ok({ child, port: Number(m[1]) }); });
    child.once("exit", (code) => fail(new Error(`the server process exited (${code})`)));
  }));
}

describe("startDashboard with slow connections", () => {
  it("startDashboard answers the token holder while 1,100 slow connections are open", { skip: cannotRun }, async () => {
    const { child, port } = await startServerProcess();
    const slow: NetSocket[] = [];
    try {
      for (let i = 0; i < 1100; i += 100) slow.push(...await within(10_000, "100 slow connections", Promise.all(Array.from({ length: 100 }, (_, j) => slowClient(port, (i + j) % 2 === 0)))));
      await new Promise((ok) => setTimeout(ok, 200));
      const started = Date.now();
      assert.equal(await within(5_000, "GET /metrics", get(port, "/metrics")), 200);
      assert.equal(await within(5_000, "GET /", get(port, "/")), 200);
      assert.ok(Date.now() - started < 3_000, `the token holder waited ${Date.now() - started} ms`);
    } finally {
      for (const s of slow) s.destroy();
      child.stdin?.end();
      setTimeout(() => { if (child.exitCode === null && child.pid) process.kill(child.pid, "SIGKILL"); }, 5_000).unref();
    }
  });

  it("startDashboard closes a connection whose headers do not arrive within headersTimeoutMs", async () => {
    const dashboard = await startDashboard({ token: TOKEN, intervalMs: 3_600_000, limits: { headersTimeoutMs: 300 }, look: async () => ({ look: { sockets: NO_SOCKETS, hostname: "slow", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events: [], at: new Date().toISOString() }) });
    const port = Number(new URL(dashboard.url).port);
    try {
      const half = await slowClient(port, true);
      const silent = await slowClient(port, false);
      const closed = (s: NetSocket) => new Promise<void>((ok) => { if (s.destroyed) ok(); else s.once("close", () => ok()); });
      await within(5_000, "the server closing the slow connections", Promise.all([closed(half), closed(silent)]));
    } finally {
      await dashboard.close();
    }
  });

  it("startDashboard closes the oldest connection that never showed the token when maxConnections are open", async () => {
    const dashboard = await startDashboard({ token: TOKEN, intervalMs: 3_600_000, limits: { maxConnections: 20 }, look: async () => ({ look: { sockets: NO_SOCKETS, hostname: "slow", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events: [], at: new Date().toISOString() }) });
    const port = Number(new URL(dashboard.url).port);
    const slow: NetSocket[] = [];
    try {
      for (let i = 0; i < 25; i++) slow.push(await slowClient(port, true));
      await new Promise((ok) => setTimeout(ok, 100));
      assert.deepEqual(slow.map((s) => s.destroyed), [...Array(5).fill(true), ...Array(20).fill(false)], "the 5 oldest strangers were closed, the 20 newest kept");
      assert.equal(await within(5_000, "GET /metrics", get(port, "/metrics")), 200);
    } finally {
      for (const s of slow) s.destroy();
      await dashboard.close();
    }
  });

  it("startDashboard closes the connection of a request refused for want of the token, so it holds no slot", async () => {
    const dashboard = await startDashboard({ token: TOKEN, intervalMs: 3_600_000, look: async () => ({ look: { sockets: NO_SOCKETS, hostname: "slow", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events: [], at: new Date().toISOString() }) });
    const port = Number(new URL(dashboard.url).port);
    const s = connect(port, "127.0.0.1");
    try {
      let answer = "";
      s.on("data", (d: Buffer) => { answer += d.toString(); });
      s.on("error", () => { /* closed */ });
      s.write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
      await within(3_000, "the server closing a refused connection", new Promise<void>((ok) => s.once("close", () => ok())));
      assert.match(answer, /^HTTP\/1\.1 401 /);
    } finally {
      s.destroy();
      await dashboard.close();
    }
  });
});
