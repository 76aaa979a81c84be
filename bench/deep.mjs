#!/usr/bin/env node
// The cost of `portwatch audit --deep` (ports nobody lists), against unhide-tcp, the anchor.
//
//   node bench/deep.mjs [--runs 5] [--out bench/RESULTS-deep.md] [--host-unhide-timeout 60]
//
// 1. In a network namespace of its own (`unshare -n`: nothing else binds there, nobody else is disturbed):
//    the addon's bind probe timed in-process (no Node start-up), every port of TCP and UDP over IPv4 and
//    IPv6 (4 x 65,535 binds on the wildcard, plus loopback for ports in use), on 1 and 2 threads, and over
//    IPv4 only (2 x 65,535: what unhide-tcp probes); then `unhide-tcp` and `unhide-tcp -s`, wall time.
// 2. In this host's namespace, as it is (its sockets are counted): the probe again, `portwatch audit
//    --json` with and without --deep (wall, the installed command), and unhide-tcp once, bounded.
// Needs root, the built addon (npm ci), util-linux (unshare) and unhide (apt-get install unhide). The probe
// and unhide-tcp bind every free port of the namespace for a few microseconds each: in the host's
// namespace another program's bind() of that port may fail meanwhile.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };

// --probe FAMILIES THREADS: one timed probe in this process (run by the bench, in a namespace or not); prints JSON.
if (process.argv[2] === "--probe") {
  const addon = createRequire(import.meta.url)(join(root, "build/Release/portwatch.node"));
  const families = process.argv[3].split(",").map(Number);
  const threads = Number(process.argv[4]);
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let inUse = 0, errors = 0;
  for (const protocol of [6, 17]) {
    for (const family of families) {
      const r = await addon.bindProbe(protocol, family, null, threads);
      inUse += r.inUse.length;
      errors += r.errors.length;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, inUse, errors }));
  process.exit(0);
}

const runs = Number(arg("--runs", "5"));
const outFile = arg("--out", fileURLToPath(new URL("./RESULTS-deep.md", import.meta.url)));
const hostUnhideTimeout = Number(arg("--host-unhide-timeout", "60"));
const which = (cmd) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd]).status === 0;
for (const need of ["unshare", "unhide-tcp", "ss", "/usr/bin/time"]) if (!which(need)) { console.error(`missing ${need}: apt-get install util-linux unhide iproute2 time`); process.exit(2); }
if (process.getuid?.() !== 0) { console.error("run as root (the probe of other namespaces and unhide-tcp need it)"); process.exit(2); }

/** Wall seconds of one run of `argv` (its output read and kept up to 64 KiB), or null when it passed `timeoutS`. */
function wall(argv, timeoutS = 300) {
  return new Promise((ok, fail) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => { if (out.length < 1 << 16) out += d; });
    let late = false;
    const timer = setTimeout(() => { late = true; try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }, timeoutS * 1000);
    child.on("close", () => { clearTimeout(timer); ok(late ? null : { s: Number(process.hrtime.bigint() - start) / 1e9, out }); });
    child.on("error", fail);
  });
}

const tmp = mkdtempSync(join(tmpdir(), "pw-deep-bench-"));
/** Wall and cpu seconds of one run of `argv` under GNU time (cpu: user + system, of the command and its children). */
async function timed(argv) {
  const stats = join(tmp, "time.txt");
  const r = await wall(["/usr/bin/time", "-f", "%U %S", "-o", stats, "--", ...argv]);
  const [user, sys] = readFileSync(stats, "utf8").trim().split("\n").pop().split(" ").map(Number);
  return { s: r.s, cpu: user + sys };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const span = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

/** One measurement of a job: wall and cpu seconds (the probe's own clocks, or GNU time's), and the probe's note. */
async function measure(job) {
  if (job.probe) {
    const r = await wall([...job.prefix, process.execPath, fileURLToPath(import.meta.url), "--probe", job.probe.families, String(job.probe.threads)]);
    const got = JSON.parse(r.out);
    return { s: got.ms / 1000, cpu: got.cpuMs / 1000, note: `${got.inUse} in use${got.errors ? `, ${got.errors} errors` : ""}` };
  }
  return { ...(await timed(job.argv)), note: "" };
}

/** Runs every job once per round, `runs` rounds (so a busy moment of the machine falls on all of them alike), and prints a row per job. */
async function rounds(where, jobs) {
  const secs = jobs.map(() => []);
  const cpu = jobs.map(() => []);
  const notes = jobs.map(() => "");
  for (let i = 0; i < runs; i++) {
    for (const [k, job] of jobs.entries()) {
      const m = await measure(job);
      secs[k].push(m.s);
      cpu[k].push(m.cpu);
      notes[k] = m.note;
    }
  }
  for (const [k, job] of jobs.entries()) { rows.push(`| ${where} | ${job.name} | ${span(secs[k])} | ${span(cpu[k])} | ${notes[k]} |`); console.log(rows.at(-1)); }
}

const rows = [];
const fresh = ["unshare", "-n"];
const pw = join(root, "bin/portwatch");
const probeJob = (prefix, families, threads) => ({
  name: `portwatch bindProbe, TCP+UDP × ${families === "4" ? "IPv4 (2 × 65,535 ports, as unhide-tcp)" : "IPv4+IPv6 (4 × 65,535 ports)"}, ${threads} thread${threads > 1 ? "s" : ""}`,
  prefix, probe: { families, threads },
});

await rounds("own namespace", [
  probeJob(fresh, "4,6", 1), probeJob(fresh, "4,6", 2), probeJob(fresh, "4", 1), probeJob(fresh, "4", 2),
  { name: "unhide-tcp (TCP+UDP, IPv4, 2 × 65,535 ports, 1 thread)", argv: [...fresh, "unhide-tcp"] },
  { name: "unhide-tcp -s", argv: [...fresh, "unhide-tcp", "-s"] },
]);
const sockets = spawnSync("ss", ["-s"], { encoding: "utf8" }).stdout.split("\n").find((l) => l.startsWith("TCP:"))?.trim() ?? "?";
await rounds("host namespace", [
  probeJob([], "4,6", 2),
  { name: "portwatch audit --json", argv: [pw, "audit", "--json"] },
  { name: "portwatch audit --deep --json", argv: [pw, "audit", "--deep", "--json"] },
]);
const hostUnhide = await wall(["unhide-tcp"], hostUnhideTimeout);
rows.push(`| host namespace | unhide-tcp (once) | ${hostUnhide ? hostUnhide.s.toFixed(2) : `did not finish in ${hostUnhideTimeout} s`} |  | it asks ss about each port in use, one command per port |`);
console.log(rows.at(-1));
const load = spawnSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).stdout.trim();

const text = `# The cost of --deep (bench/deep.mjs)

${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Linux ${spawnSync("uname", ["-r"], { encoding: "utf8" }).stdout.trim()}, Node ${process.version}, ${runs} runs each: median seconds (min–max), wall and cpu (user + system, every thread and child).
Host namespace at the time: ${sockets}; load average after the run: ${load}. Each round runs every row of a table once.

| where | what | wall s | cpu s | note |
|---|---|---|---|---|
${rows.join("\n")}
`;
writeFileSync(outFile, text);
rmSync(tmp, { recursive: true, force: true });
console.log(`\nwritten to ${outFile}`);
