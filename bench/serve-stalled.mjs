#!/usr/bin/env node
// portwatch serve under event-stream clients that stop reading (issue 14: 2,000 of them grew serve from
// 114 MiB to 4.3 GiB in a minute). After `npm run build`:
//
//   node bench/serve-stalled.mjs [--clients 2000] [--looks 30] [--changes 400] [--mode synthetic|cli]
//
// synthetic: a child process runs the dashboard of dist/serve/server.js on loopback with looks made up
//   here, each with --changes appeared events of large sockets (about 2.5 KiB of JSON each), one every
//   200 ms; the clients are in this process, so only the server's memory is measured.
// cli: a child runs `bin/portwatch serve --interval 1s --proc-root <a captured /proc tree>` (the real
//   command; the tree does not change, so the clients get only the first state and keep-alives).
// Each client opens /api/events with the token, reads the first bytes and never reads again. Prints the
// server's RSS before the clients, its peak (VmHWM), how many clients the server kept (ss), and whether
// /metrics still answers within 2 s. Touches only loopback; kills only the child it started.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const CLIENTS = Number(opt("--clients", "2000"));
const LOOKS = Number(opt("--looks", "30"));
const CHANGES = Number(opt("--changes", "400"));
const MODE = opt("--mode", "synthetic");
const TOKEN = "0123456789abcdef0123456789abcdef";

const SERVER = `
const { startDashboard } = await import(${JSON.stringify(`${root}/dist/serve/server.js`)});
const sock = (i) => ({ proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 20000 + i }, remote: null, state: "LISTEN", direction: "listening",
  exposure: "loopback", netns: 1, inode: i + 1, uid: 0, service: null,
  process: { pid: 1000 + i, name: "stalled-" + i, exe: "/opt/stalled/" + "x".repeat(200), exeDeleted: false, cmdline: null, uid: 0, user: "root", containerId: null, netns: 1 },
  sharedWith: [], verdict: "unknown", reasons: [], explanation: "e".repeat(2000) });
let n = 0;
const d = await startDashboard({ token: ${JSON.stringify(TOKEN)}, intervalMs: 3_600_000, look: async () => {
  n++; const at = new Date().toISOString();
  const events = n === 1 ? [] : Array.from({ length: ${CHANGES} }, (_, i) => ({ type: "appeared", identity: "tcp|listening|" + n + "|" + i, socket: sock(i), at }));
  return { look: { sockets: [], hostname: "bench", hostNetns: 1, warnings: [] }, seen: new Map(), counts: new Map(), events, at };
} });
console.log("URL " + d.url);
process.stdin.on("data", async () => { for (let i = 0; i < ${LOOKS}; i++) { await d.refresh(); await new Promise((ok) => setTimeout(ok, 200)); } console.log("LOOKS DONE"); });
`;

let dir = null;
function startServer() {
  if (MODE === "cli") {
    const { writeFileSync, mkdtempSync } = awaitFs;
    dir = mkdtempSync("/tmp/pw-bench-serve-");
    writeFileSync(`${dir}/token`, `${TOKEN}\n`, { mode: 0o600 });
    return spawn(`${root}/bin/portwatch`, ["serve", "--interval", "1s", "--for", "10m", "--token-file", `${dir}/token`, "--proc-root", `${root}/test/fixtures/proc/debian12-holders/`, "--db", `${dir}/none.sqlite`], { stdio: ["pipe", "pipe", "ignore"] });
  }
  return spawn(process.execPath, ["--input-type=module", "-e", SERVER], { stdio: ["pipe", "pipe", "inherit"] });
}
const awaitFs = await import("node:fs");

const kib = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

function stalledClient(port) {
  return new Promise((ok) => {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => {});
    s.once("connect", () => s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`));
    s.once("data", () => { s.pause(); ok(s); });
    s.once("close", () => ok(s));
    setTimeout(() => ok(s), 10_000).unref();
  });
}

function metrics(port) {
  const t0 = Date.now();
  return new Promise((ok) => {
    const req = request({ host: "127.0.0.1", port, path: "/metrics", agent: false, headers: { authorization: `Bearer ${TOKEN}` }, timeout: 5000 }, (res) => { res.resume(); res.on("end", () => ok(`${res.statusCode} in ${Date.now() - t0} ms`)); });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => ok(`failed: ${e.message}`));
    req.end();
  });
}

const child = startServer();
let out = "";
const port = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error("the server printed no URL")), 30_000);
  child.stdout.on("data", (d) => { out += d; const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out); if (m) { clearTimeout(timer); ok(Number(m[1])); } });
});
try {
  await new Promise((ok) => setTimeout(ok, 1000));
  const before = kib(child.pid, "VmRSS");
  const sockets = [];
  for (let i = 0; i < CLIENTS; i += 100) sockets.push(...await Promise.all(Array.from({ length: Math.min(100, CLIENTS - i) }, () => stalledClient(port))));
  const t0 = Date.now();
  if (MODE === "synthetic") {
    child.stdin.write("go\n");
    await new Promise((ok) => { const check = () => (out.includes("LOOKS DONE") ? ok() : setTimeout(check, 100)); check(); });
  } else {
    await new Promise((ok) => setTimeout(ok, LOOKS * 1000));
  }
  // The server's side of the connections still open (ss counts what the kernel holds for it).
  const ss = spawnSync("ss", ["-Htn", "state", "established", "sport", "=", `:${port}`], { encoding: "utf8" });
  const open = ss.status === 0 ? ss.stdout.split("\n").filter(Boolean).length : "?";
  const m = await metrics(port);
  const peak = kib(child.pid, "VmHWM");
  console.log(`| ${MODE} | ${CLIENTS} | ${MODE === "synthetic" ? `${LOOKS} looks x ${CHANGES} changes` : `${LOOKS} s of looks`} | ${(before / 1024).toFixed(0)} | ${(peak / 1024).toFixed(0)} | ${open} | ${m} | ${((Date.now() - t0) / 1000).toFixed(1)} |`);
  for (const s of sockets) s.destroy();
} finally {
  child.kill("SIGKILL");
  if (dir !== null) awaitFs.rmSync(dir, { recursive: true, force: true });
}
