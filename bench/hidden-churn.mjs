#!/usr/bin/env node
// No false "hidden" findings on a busy host (issue 15): runs the live collection (dist/, with the third view
// and --deep's hidden-process checks) N times while a churn process makes and closes sockets as fast as it
// can (listeners, connections, connected UDP, unbound sockets; some live up to 0.3 s, so they outlive the fd
// walk though made after the tables were read) and forks children that listen and exit, and processes keep
// entering a network namespace this script creates (ip netns exec: a process listed in one namespace that
// opens its sockets in another) to listen and connect there, then exit. Counts sockets
// called hidden from both views, and hidden processes, that the churn made (and, separately, any at all).
// Loopback only; the churn process is ended by its pid.
// Usage: node bench/hidden-churn.mjs [--looks 200] [--deep]   (as root, after npm run build)
import { execFileSync, spawn } from "node:child_process";
import { collectLinux } from "../dist/collect/linux.js";

const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i < 0 ? fallback : process.argv[i + 1]; };
const looks = Number(arg("--looks", "200"));
const deep = process.argv.includes("--deep");

const CHURN = `
import json, os, random, socket, sys, threading, time
def loop():
    while True:
        l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()
        c = socket.socket(); c.connect(l.getsockname()); a, _ = l.accept()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0)); u.connect(l.getsockname())
        n = socket.socket()
        for x in (a, c, u, l, n): x.close()
def linger():
    while True:
        l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()
        c = socket.socket(); c.connect(l.getsockname())
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(('::1', 0))
        time.sleep(random.random() * 0.3)
        for x in (c, u, l): x.close()
def forks():
    while True:
        pid = os.fork()
        if pid == 0:
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); time.sleep(random.random() * 0.05); os._exit(0)
        os.waitpid(pid, 0)
for f in (loop, linger, linger, linger, forks, forks):
    threading.Thread(target=f, daemon=True).start()
print(os.getpid(), flush=True)
sys.stdin.read()
`;

// Processes that enter a namespace of their own, one after another: listen, connect, linger up to 0.2 s, exit.
const ns = `pw-hidden-churn-${process.pid}`;
execFileSync("ip", ["netns", "add", ns]);
execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
const ENTER = "import random, socket, time\nl = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()\nc = socket.socket(); c.connect(l.getsockname())\ntime.sleep(random.random() * 0.2)";
let entering = true;
let enterer = null;
const enterLoop = () => {
  if (!entering) return;
  enterer = spawn("ip", ["netns", "exec", ns, "/usr/bin/python3", "-c", ENTER, "portwatch-hidden-churn"], { stdio: "ignore" });
  enterer.once("exit", enterLoop);
};
enterLoop();

const churn = spawn("/usr/bin/python3", ["-c", CHURN, "portwatch-hidden-churn"], { stdio: ["pipe", "pipe", "inherit"] });
await new Promise((ok, fail) => { churn.stdout.once("data", ok); churn.once("exit", () => fail(new Error("the churn process exited"))); setTimeout(() => fail(new Error("the churn process did not start in 10 s")), 10_000); });
const ours = (p) => p !== null && (p.pid === churn.pid || (p.cmdline ?? []).includes("portwatch-hidden-churn"));

let hiddenOurs = 0, hiddenAny = 0, hiddenProcesses = 0, candidatesMs = 0;
const seen = [];
const started = Date.now();
try {
  for (let i = 0; i < looks; i++) {
    const timings = {};
    const c = await collectLinux({ timings, deep });
    candidatesMs += timings["third view"] ?? 0;
    for (const s of c.sockets) {
      if (s.hiddenFrom !== "both") continue;
      hiddenAny++;
      if (ours(s.process)) hiddenOurs++;
      seen.push(`look ${i + 1}: ${s.proto} ${s.local.address}:${s.local.port} ${s.state} netns ${s.netns} held by ${s.process?.pid ?? "?"}`);
    }
    hiddenProcesses += c.hiding.processes.length;
    for (const h of c.hiding.processes) seen.push(`look ${i + 1}: hidden process ${h.pid} (${h.how})`);
  }
} finally {
  churn.stdin.end();
  try { process.kill(churn.pid, "SIGKILL"); } catch { /* gone */ }
  entering = false;
  if (enterer?.exitCode === null) await new Promise((ok) => { enterer.once("exit", ok); setTimeout(ok, 2000); });
  execFileSync("ip", ["netns", "del", ns]);
}
console.log(`${looks} looks${deep ? " with --deep" : ""} under churn in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
  `${hiddenOurs} sockets of the churn called hidden, ${hiddenAny} hidden sockets in all, ${hiddenProcesses} hidden processes; third view ${(candidatesMs / looks).toFixed(1)} ms a look on average`);
for (const line of seen.slice(0, 20)) console.log(`  ${line}`);
process.exitCode = hiddenOurs + hiddenProcesses > 0 ? 1 : 0;
