#!/usr/bin/env node
// Socket load for the benchmark: N established loopback TCP connections (2N sockets), spread over
// server processes (one listening port each, at most 10,000 connections) and client processes (at most
// 10,000 connections each: this host caps a process at 20,000 open files); about N/10 UDP sockets bound
// to loopback (80% 127.0.0.1, 20% ::1) and 50 extra TCP listeners (40 on 127.0.0.1, 10 on ::1) in this
// process. Prints "ready <json>" when all are open; holds them until stdin closes (with --while-pid P:
// until process P is gone), SIGTERM, or --ttl seconds (default 900) pass, then ends every process it
// started. Loopback only.
// Usage: node bench/sockets.mjs N [--ttl S] [--while-pid P]
import { fork } from "node:child_process";
import { createServer, connect } from "node:net";
import { createSocket } from "node:dgram";

const PER_PROCESS = 10_000;
const role = process.argv[2];

if (role === "--server") {
  const server = createServer((c) => { c.on("error", () => {}); });
  const conns = [];
  server.on("connection", (c) => conns.push(c));
  server.listen(0, "127.0.0.1", 4096, () => process.send({ port: server.address().port }));
  process.on("disconnect", () => process.exit(0));
} else if (role === "--client") {
  const targets = JSON.parse(process.argv[3]); // [[port, count], ...]
  const sockets = [];
  let open = 0;
  const total = targets.reduce((a, [, n]) => a + n, 0);
  const one = (port) => new Promise((ok, fail) => {
    const c = connect({ port, host: "127.0.0.1" }, () => { open++; ok(); });
    c.on("error", fail);
    sockets.push(c);
  });
  (async () => {
    for (const [port, count] of targets) {
      for (let i = 0; i < count; i += 500) {
        await Promise.all(Array.from({ length: Math.min(500, count - i) }, () => one(port)));
      }
    }
    process.send({ open });
  })().catch((e) => { process.send({ error: String(e) }); process.exit(1); });
  process.on("disconnect", () => process.exit(0));
  void total;
} else {
  const n = Number(role);
  if (!Number.isInteger(n) || n <= 0) { console.error("usage: sockets.mjs N [--ttl S]"); process.exit(2); }
  const ttlAt = process.argv.indexOf("--ttl");
  const ttl = ttlAt > 0 ? Number(process.argv[ttlAt + 1]) : 900;
  const children = [];
  const end = () => { for (const c of children) { try { process.kill(c.pid, "SIGKILL"); } catch { /* gone */ } } process.exit(0); };
  setTimeout(end, ttl * 1000).unref();
  process.on("SIGTERM", end);
  process.on("SIGINT", end);
  const whileAt = process.argv.indexOf("--while-pid");
  if (whileAt > 0) {
    const parent = Number(process.argv[whileAt + 1]);
    setInterval(() => { try { process.kill(parent, 0); } catch { end(); } }, 1000).unref();
  } else {
    process.stdin.on("end", end);
    process.stdin.resume();
  }
  const message = (child) => new Promise((ok) => child.once("message", ok));

  const nServers = Math.ceil(n / PER_PROCESS);
  const ports = [];
  for (let i = 0; i < nServers; i++) {
    const child = fork(new URL(import.meta.url).pathname, ["--server"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    children.push(child);
    ports.push((await message(child)).port);
  }
  // Each server gets an equal share; each client takes up to PER_PROCESS connections.
  const perServer = ports.map((p, i) => [p, Math.floor(n / nServers) + (i < n % nServers ? 1 : 0)]);
  const nClients = Math.max(4, nServers);
  const plans = Array.from({ length: nClients }, () => []);
  const quota = Array.from({ length: nClients }, (_, i) => Math.floor(n / nClients) + (i < n % nClients ? 1 : 0));
  let c = 0;
  for (let [port, left] of perServer) {
    while (left > 0) {
      const take = Math.min(left, quota[c]);
      if (take > 0) { plans[c].push([port, take]); quota[c] -= take; left -= take; }
      if (quota[c] === 0) c++;
    }
  }
  const clients = plans.map((plan) => {
    const child = fork(new URL(import.meta.url).pathname, ["--client", JSON.stringify(plan)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    children.push(child);
    return message(child);
  });
  const results = await Promise.all(clients);
  const failed = results.find((r) => r.error);
  if (failed) { console.error(`a client failed: ${failed.error}`); end(); }

  const keep = [];
  const nUdp = Math.floor(n / 10);
  for (let i = 0; i < nUdp; i++) {
    const v6 = i % 5 === 4;
    const s = createSocket(v6 ? "udp6" : "udp4");
    await new Promise((ok) => s.bind(0, v6 ? "::1" : "127.0.0.1", ok));
    keep.push(s);
  }
  for (let i = 0; i < 50; i++) {
    const server = createServer();
    await new Promise((ok) => server.listen(0, i < 40 ? "127.0.0.1" : "::1", ok));
    keep.push(server);
  }
  console.log(`ready ${JSON.stringify({ n, pid: process.pid, processes: children.length + 1, connections: results.reduce((a, r) => a + (r.open ?? 0), 0), udp: nUdp, listeners: 50 + nServers })}`);
}
