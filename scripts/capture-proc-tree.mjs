#!/usr/bin/env node
// Captures the parts of /proc that portwatch reads into a folder, as a test fixture:
//   <out>/<pid>/{comm,cmdline,status,cgroup}, <pid>/exe, <pid>/ns/net and <pid>/fd/* as the same symlinks,
//   <pid>/net/{tcp,tcp6,udp,udp6,raw,raw6} for one pid per network namespace, self -> <our pid>,
//   sys/kernel/hostname, and etc-passwd (the accounts that own the captured processes).
// Before capturing it starts, and afterwards stops by pid, what the tests look for: the socket holder on
// loopback, one in a network namespace of its own (as root), and a copy of python3 run from a temporary
// folder under a name with a terminal escape in it, whose executable is then deleted.
// Usage: node scripts/capture-proc-tree.mjs test/fixtures/proc/<name>   (run as root for every owner)
import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = process.argv[2];
if (!out) { console.error("usage: capture-proc-tree.mjs OUTDIR"); process.exit(2); }
const holder = new URL("../test/helpers/socket-holder.mjs", import.meta.url).pathname;
const started = [];
const ns = `pwcap${process.pid}`;
const asRoot = process.getuid?.() === 0;

function start(argv) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  started.push(child);
  return new Promise((ok, fail) => {
    let text = "";
    const timer = setTimeout(() => fail(new Error(`${argv.join(" ")} did not start`)), 10_000);
    child.stdout.on("data", (d) => { text += d; if (text.includes("\n")) { clearTimeout(timer); ok(JSON.parse(text)); } });
  });
}

const tmp = mkdtempSync(join(tmpdir(), "pwcap-"));
try {
  const host = await start([process.execPath, holder, "--ttl", "30"]);
  let inNs = null;
  if (asRoot) {
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    inNs = await start(["ip", "netns", "exec", ns, process.execPath, holder, "--ttl", "30"]);
  }
  const py = join(tmp, "kworker");
  copyFileSync(realpathSync("/usr/bin/python3"), py);
  const script = [
    "import ctypes, socket, sys, json",
    "ctypes.CDLL(None).prctl(15, b'ev\\x1b[31mil', 0, 0, 0)", // PR_SET_NAME
    "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen()",
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))",
    "print(json.dumps({'tcpListen': t.getsockname()[1], 'udp': u.getsockname()[1]}), flush=True)",
    "sys.stdin.read()",
  ].join("\n");
  const evil = await start([py, "-c", script]);
  rmSync(py);

  const pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  const netnsSeen = new Set();
  const uids = new Set();
  const link = (from, to) => { try { symlinkSync(readlinkSync(from), to); } catch { /* gone or denied */ } };
  const copy = (from, to) => { try { writeFileSync(to, readFileSync(from)); return true; } catch { return false; } };
  // Our own namespace first, so its tables are stored under our pid (the collector reads through "self").
  const order = [String(process.pid), ...pids.filter((p) => p !== String(process.pid))];
  for (const pid of order) {
    const src = `/proc/${pid}`, dst = join(out, pid);
    mkdirSync(join(dst, "fd"), { recursive: true });
    mkdirSync(join(dst, "ns"), { recursive: true });
    if (!copy(`${src}/status`, `${dst}/status`)) { rmSync(dst, { recursive: true }); continue; }
    const uid = /\nUid:\s*(\d+)/.exec(readFileSync(`${dst}/status`, "utf8"))?.[1];
    if (uid !== undefined) uids.add(uid);
    for (const f of ["comm", "cmdline", "cgroup"]) copy(`${src}/${f}`, `${dst}/${f}`);
    link(`${src}/exe`, `${dst}/exe`);
    link(`${src}/ns/net`, `${dst}/ns/net`);
    let fds = [];
    try { fds = readdirSync(`${src}/fd`); } catch { /* denied */ }
    for (const fd of fds) link(`${src}/fd/${fd}`, `${dst}/fd/${fd}`);
    let netns = null;
    try { netns = readlinkSync(`${src}/ns/net`); } catch { /* denied */ }
    if (netns !== null && !netnsSeen.has(netns)) {
      netnsSeen.add(netns);
      mkdirSync(join(dst, "net"));
      for (const t of ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"]) copy(`${src}/net/${t}`, join(dst, "net", t));
    }
  }
  symlinkSync(String(process.pid), join(out, "self"));
  mkdirSync(join(out, "sys", "kernel"), { recursive: true });
  copy("/proc/sys/kernel/hostname", join(out, "sys", "kernel", "hostname"));
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n").filter((l) => uids.has(l.split(":")[2] ?? "")).join("\n");
  writeFileSync(join(out, "etc-passwd"), `${passwd}\n`);
  const facts = { capturedAt: new Date().toISOString(), kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(), capturePid: process.pid, host, inNs, evil: { pid: started[started.length - 1].pid, ...evil } };
  writeFileSync(join(out, "CAPTURE.json"), JSON.stringify(facts, null, 2) + "\n");
  console.log(JSON.stringify(facts));
} finally {
  for (const child of started) { child.stdin.end(); try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }
  if (asRoot) { try { execFileSync("ip", ["netns", "del", ns]); } catch { /* not made */ } }
  rmSync(tmp, { recursive: true, force: true });
}
