#!/usr/bin/env node
// The watcher as an agent (issue 18, item 4): the CPU and memory that `portwatch watch` costs on a steady
// host holding N sockets (bench/sockets.mjs), at the default interval, for a fixed number of looks.
//
// For each N and run: starts `bin/portwatch watch --ndjson --no-history` with PORTWATCH_TIMINGS=1 (one
// "look K:" line on stderr per look) and a state directory of its own; reads /proc/<pid>/stat (utime +
// stime + cutime + cstime: every thread of the watcher, and the programs it waited for) and
// /proc/<pid>/status (VmRSS, VmHWM) when look 1 is done and when look 1 + LOOKS is done, then stops it with
// SIGTERM (its pid only). "Sustained CPU" is the CPU between those two points over the wall time between
// them (LOOKS intervals: the first look, which reads every fd table, is left out, as osquery's watchdog
// leaves out a start); "first look" is the CPU until look 1 is done. CPU seconds, not wall, are the fair
// measure on a shared machine: each run's figure is its own, and the table gives the range over runs.
// Osquery's restrictive watchdog limits: 100 MiB RSS, 18% of one core sustained.
//
// Usage: node bench/agent.mjs [--sizes 1000,10000,100000] [--looks 30] [--runs 3] [--interval 2s]
//        [--bin /other/checkout/bin/portwatch] [--label before] [--unit-env contrib/systemd/portwatch-agent.service]
//        [--out bench/RESULTS-agent.md]
// As root (unshare, and the fd tables of every process); needs util-linux (unshare) and iproute2 (ip).
// Loopback of its own namespace only; stops only the processes it started.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLoad } from "./load.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const sizes = arg("--sizes", "1000,10000,100000").split(",").map(Number);
// 30 looks: a steady host's looks are answered by a glance, and every 1st to 7th (at random, 4th on average)
// compares the dumps in full (glancesAfterFullComparison, src/collect/owner-cache.ts): the window holds
// several of those, not a lucky stretch without.
const looks = Number(arg("--looks", "30"));
const runs = Number(arg("--runs", "3"));
const interval = arg("--interval", undefined); // absent: watch's own default
const bin = arg("--bin", join(root, "bin/portwatch"));
const label = arg("--label", "this build");
// --unit-env FILE: run the watcher with the Environment= settings of a systemd unit (the agent's malloc and V8
// settings, contrib/systemd/portwatch-agent.service), except those that need systemd (%-specifiers).
const unitEnv = {};
const unitFile = arg("--unit-env", undefined);
if (unitFile) {
  for (const m of readFileSync(unitFile, "utf8").matchAll(/^Environment=(.*)$/gm)) {
    for (const [, k, v1, v2] of m[1].matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) if (!(v1 ?? v2).includes("%")) unitEnv[k] = v1 ?? v2;
  }
}
const out = arg("--out", undefined);
// Other people's loads on a shared machine would be in the figures: the bench runs in a network and pid
// namespace of its own (unshare), where the watcher sees only the load and itself.
if (!process.argv.includes("--inside")) {
  const r = spawnSync("unshare", ["--net", "--pid", "--fork", "--mount-proc", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh",
    process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2), "--inside"], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || "100");

/** CPU seconds of `pid` and the children it waited for, from /proc/<pid>/stat (fields 14–17). */
function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
}

/** VmRSS and VmHWM of `pid`, in MiB. */
function memOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** One watcher run: the first look's CPU, then LOOKS looks' CPU over their wall time, RSS along the way. */
function watchOnce() {
  return new Promise((ok, fail) => {
    const state = mkdtempSync(join(tmpdir(), "pw-agent-"));
    const argv = ["watch", "--ndjson", "--no-history", ...(interval ? ["--interval", interval] : [])];
    const started = process.hrtime.bigint();
    const child = spawn(bin, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...unitEnv, PORTWATCH_TIMINGS: "1", PORTWATCH_STATE_DIR: state } });
    const sec = () => Number(process.hrtime.bigint() - started) / 1e9;
    let text = "";
    let first = null;
    const rss = [];
    const lookCpu = [];
    let result = null;
    const timer = setTimeout(() => { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }, 60_000 + looks * 70_000);
    child.stderr.on("data", (d) => {
      text += d;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        const m = /^look (\d+):/.exec(line);
        if (!m || result) continue;
        const k = Number(m[1]);
        if (k > 1) lookCpu.push(Number(/cpu ([\d.]+) ms/.exec(line)?.[1] ?? NaN)); // the look's own CPU, as the watcher measured it
        const at = { wall: sec(), cpu: cpuOf(child.pid), ...memOf(child.pid) };
        rss.push(at.rss);
        if (k === 1) first = at;
        if (k === 1 + looks && first) {
          result = {
            firstCpu: first.cpu, firstWall: first.wall, firstHwm: first.hwm,
            cpu: at.cpu - first.cpu, wall: at.wall - first.wall, share: (100 * (at.cpu - first.cpu)) / (at.wall - first.wall),
            hwm: at.hwm, rssSteady: Math.max(...rss.slice(1)), rssEnd: at.rss, lookCpu: [...lookCpu],
          };
          process.kill(child.pid, "SIGTERM");
        }
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      rmSync(state, { recursive: true, force: true });
      if (result) ok(result);
      else fail(new Error(`watch ended (${code}) before ${looks + 1} looks: ${text.slice(-500)}`));
    });
    child.on("error", fail);
  });
}

const range = (xs, digits = 1) => {
  const lo = Math.min(...xs), hi = Math.max(...xs);
  return lo.toFixed(digits) === hi.toFixed(digits) ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
};

/**
 * The TCP sockets of the whole machine, every namespace's (the "alloc" count of /proc/net/sockstat is the
 * kernel's global one): the kernel's one hash of TCP sockets is shared by all namespaces, so a dump of the
 * bench's namespace also walks (and skips) other people's sockets, at about 0.45 us each.
 */
function tcpSocketsOfMachine() {
  return Number(/^TCP: .*\balloc (\d+)/m.exec(readFileSync("/proc/net/sockstat", "utf8"))?.[1] ?? NaN);
}

const rows = [];
/**
 * Lets the TIME_WAIT sockets of the previous size drain (bounded: 90 s): they are the namespace's sockets too,
 * so a size measured right after another counted them (47,600 connections after 10,000: 111,019 sockets, not
 * 100,019) and its looks judged again as they expired.
 */
function waitForTimeWait() {
  for (let i = 0; i < 90; i++) {
    const m = /timewait (\d+)/.exec(spawnSync("ss", ["-s"], { encoding: "utf8" }).stdout);
    if (!m || Number(m[1]) < 100) return;
    spawnSync("sleep", ["1"]);
  }
}

for (const n of sizes) {
  waitForTimeWait();
  const load = await startLoad(n);
  const sockets = Number(spawnSync("sh", ["-c", "cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 | wc -l"], { encoding: "utf8" }).stdout.trim());
  console.error(`N=${n}: ${JSON.stringify(load.info)}; about ${sockets} sockets on the host`);
  const samples = [];
  const loadBefore = loadavg()[0];
  const tcpBefore = tcpSocketsOfMachine();
  try {
    for (let r = 0; r < runs; r++) {
      const s = await watchOnce();
      console.error(`  run ${r + 1}: first look ${s.firstCpu.toFixed(2)} cpu s; then ${s.share.toFixed(1)}% of a core over ${s.wall.toFixed(1)} s; peak ${s.hwm.toFixed(0)} MiB, steady ${s.rssSteady.toFixed(0)} MiB; looks 2… cpu ms: ${s.lookCpu.map((c) => c.toFixed(0)).join(" ")}`);
      samples.push(s);
    }
  } finally {
    await load.stop();
  }
  // The machine's 1-minute load average (the whole machine's, not the namespace's) when the runs began and ended.
  rows.push({ n, sockets, samples, load: [loadBefore, loadavg()[0]], tcp: [tcpBefore, tcpSocketsOfMachine()] });
}

const date = new Date().toISOString().slice(0, 16).replace("T", " ");
let md = `\n## ${label}: ${date} UTC\n\n\`${bin.startsWith(root) ? bin.slice(root.length) : bin} watch --ndjson --no-history${interval ? ` --interval ${interval}` : ""}\` (${interval ? `interval ${interval}` : "the default interval"}), ` +
  `${Object.keys(unitEnv).length ? `with the environment of ${unitFile.replace(root, "")} (${Object.entries(unitEnv).map(([k, v]) => `${k}=${v}`).join(" ")}), ` : ""}in a network and pid namespace of its own, ${runs} runs per N, ${looks} looks after the first; ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}. ` +
  `Ranges are min–max over the runs.\n\n` +
  "| N connections (sockets on the host) | first look cpu s | sustained % of one core | peak RSS MiB (VmHWM) | steady RSS MiB (VmRSS, looks 2…) | load average (1 min, start → end) | TCP sockets of the machine, all namespaces (start → end) |\n|---|---|---|---|---|---|---|\n";
for (const { n, sockets, samples, load, tcp } of rows) {
  md += `| ${n.toLocaleString("en")} (${sockets.toLocaleString("en")}) | ${range(samples.map((s) => s.firstCpu), 2)} | ${range(samples.map((s) => s.share))} | ${range(samples.map((s) => s.hwm), 0)} | ${range(samples.map((s) => s.rssSteady), 0)} | ${load.map((l) => l.toFixed(2)).join(" → ")} | ${tcp.map((t) => t.toLocaleString("en")).join(" → ")} |\n`;
}
process.stdout.write(md);
if (out) appendFileSync(out, md);
