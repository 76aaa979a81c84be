#!/usr/bin/env node
// Comparative benchmark: times `portwatch audit --json`, `ss -tunap`, `netstat -tunap` and `lsof -nP -i`
// in the same run, at N = 1k, 10k, 50k and 100k established loopback connections (bench/sockets.mjs),
// with GNU time: one warm-up, then R counted runs in rounds (each tool once per round); median wall (min–max), cpu, peak RSS, rows printed,
// and each tool's wall time as a ratio to portwatch's. Writes bench/RESULTS.md (and prints it).
// Usage: node bench/run.mjs [--sizes 1000,10000,50000,100000] [--runs 5] [--slow-runs 3] [--out bench/RESULTS.md]
//        node bench/run.mjs --watch-only --sizes 10000,100000 --out bench/RESULTS-watch.md
//        node bench/run.mjs --compare /path/to/other/checkout   (adds that build's audit, e.g. an older commit's)
//        node bench/run.mjs --only portwatch                    (only the tools whose name contains the word)
//        node bench/run.mjs --lists 100000 --only lists --sizes 10000   (adds the audit with N networks on enabled
//                                                               address lists: FireHOL level 1, Feodo, Spamhaus DROP and random ones)
//        node bench/run.mjs --asn 500000 --only owners --sizes 10000    (adds the audit with a network owners' database
//                                                               of N IPv4 ranges: the real excerpt and random ones, N/5 IPv6)
// Needs: GNU time (/usr/bin/time, Debian package "time"), iproute2 (ss), net-tools (netstat), lsof; root
// for every owner. Loopback only; the socket holder is stopped by pid after each size.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLoad } from "./load.mjs";

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const sizes = arg("--sizes", "1000,10000,50000,100000").split(",").map(Number);
const runs = Number(arg("--runs", "5"));
const slowRuns = Number(arg("--slow-runs", "3"));
const outFile = arg("--out", fileURLToPath(new URL("./RESULTS.md", import.meta.url)));
// --watch-only: measure only the CPU that `portwatch watch --interval 1s` uses on a steady host.
const watchOnly = process.argv.includes("--watch-only");
const watchTicks = Number(arg("--watch-ticks", "20"));
const root = fileURLToPath(new URL("..", import.meta.url));
// The installed command (bin/portwatch: the one-file build with its code cache), as a user runs it.
const portwatch = [join(root, "bin/portwatch"), "audit", "--json"];
const TOOLS = [
  // Provenance (packages, checksums) is cached in the state directory: after the warm-up this is the cached look.
  { name: "portwatch audit --json", argv: portwatch },
  // The first look: a new, empty state directory for every run, so every holder's program is looked up and hashed.
  { name: "portwatch audit --json (first look, empty state dir)", argv: ["sh", "-c", 'd=$(mktemp -d) && PORTWATCH_STATE_DIR="$d" "$@"; s=$?; rm -rf "$d"; exit $s', "sh", ...portwatch] },
  // References: the same audit from the ES modules in dist/ without the launcher, and Node's bare start.
  { name: "node dist/cli/main.js audit --json", argv: [process.execPath, join(root, "dist/cli/main.js"), "audit", "--json"] },
  { name: "node -e 0", argv: [process.execPath, "-e", "0"] },
  { name: "ss -tunap", argv: ["ss", "-tunap"], slow: true },
  { name: "netstat -tunap", argv: ["netstat", "-tunap"], slow: true },
  { name: "lsof -nP -i", argv: ["lsof", "-nP", "-i"] },
  { name: "ss -tuna (no owners)", argv: ["ss", "-tuna"] },
];
// Another build of portwatch in the same run (a checkout with `npm ci` done, at another commit): the A/B of a change.
const compare = arg("--compare", null);
if (compare !== null) {
  const head = spawnSync("git", ["-C", compare, "log", "-1", "--format=%h"], { encoding: "utf8" }).stdout.trim() || compare;
  TOOLS.splice(1, 0, { name: `portwatch audit --json (build at ${head})`, argv: [join(compare, "bin/portwatch"), "audit", "--json"] });
}
const only = arg("--only", null);
if (only !== null) TOOLS.splice(0, TOOLS.length, ...TOOLS.filter((t, i) => i === 0 || t.name.includes(only)));
const tmp = mkdtempSync(join(tmpdir(), "pw-bench-"));
// The bench's own state directory (the provenance cache, no baseline): never the machine's /var/lib/portwatch.
process.env["PORTWATCH_STATE_DIR"] = join(tmp, "state");
// --lists N: the same audit with a state directory whose enabled address lists hold N networks (issue 16:
// within 5% of the audit without). Its compiled index is made by the warm-up run, as a user's first audit makes it.
const listsN = Number(arg("--lists", "0"));
if (listsN > 0) {
  const state = join(tmp, "state-lists");
  const lists = join(state, "lists");
  mkdirSync(lists, { recursive: true, mode: 0o700 });
  const entries = [];
  let total = 0;
  for (const f of ["firehol_level1.netset", "feodo.ipset", "spamhaus_drop.netset"]) {
    const text = readFileSync(join(root, "test/fixtures/blocklists", f), "utf8");
    const name = f.replace(/\..*$/, "");
    writeFileSync(join(lists, `${name}.txt`), text, { mode: 0o600 });
    entries.push({ name, source: `/bench/${f}`, category: null, enabled: true });
    total += text.split("\n").filter((l) => l && !l.startsWith("#")).length;
  }
  let seed = 0x9e3779b9;
  const rand = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
  const v4 = (v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  const lines = [];
  for (let i = total; i < listsN; i++) { const len = 16 + Math.floor(rand() * 17); const v = Math.floor(rand() * 2 ** 32); lines.push(len === 32 ? v4(v) : `${v4(v)}/${len}`); }
  writeFileSync(join(lists, "random.txt"), `${lines.join("\n")}\n`, { mode: 0o600 });
  entries.push({ name: "random", source: "/bench/random", category: "bench", enabled: true });
  writeFileSync(join(lists, "lists.json"), JSON.stringify({ version: 1, lists: entries }), { mode: 0o600 });
  TOOLS.splice(1, 0, { name: `portwatch audit --json (with ${listsN.toLocaleString("en")} networks on address lists)`, argv: ["env", `PORTWATCH_STATE_DIR=${state}`, ...portwatch] });
}
// --asn N: the same audit with a network owners' database (portwatch lists update asn) of N IPv4 ranges and
// N/5 IPv6 ones: the real ip-location-db excerpt, then random ranges with 1 owner per 6 ranges. Its compiled
// asn.bin is made by the warm-up run, as a user's first audit after lists update asn makes it.
const asnN = Number(arg("--asn", "0"));
if (asnN > 0) {
  const state = join(tmp, "state-asn");
  const lists = join(state, "lists");
  mkdirSync(lists, { recursive: true, mode: 0o700 });
  const excerpt = readFileSync(join(root, "test/fixtures/blocklists/asn-ipv4-num-excerpt.csv"), "utf8").trimEnd();
  const rows = excerpt.split("\n");
  const last = Number(rows.at(-1).split(",")[1]);
  let seed = 0x2545f491;
  const rand = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
  // The rest of the IPv4 space up to 223.255.255.255, cut into N - 2000 ranges with small gaps.
  const left = asnN - rows.length, span = (0xdfffffff - last) / left;
  let at = last + 1;
  const out = [excerpt];
  for (let i = 0; i < left; i++) {
    const end = Math.min(0xdfffffff, Math.floor(last + 1 + (i + 1) * span) - 1);
    const start = Math.min(end, at + Math.floor(rand() * 4) * 256);
    const asn = 1000 + Math.floor(rand() * (asnN / 6));
    out.push(`${start},${end},${asn},Bench network ${asn}`);
    at = end + 1;
  }
  writeFileSync(join(lists, "asn-0.csv"), `${out.join("\n")}\n`, { mode: 0o600 });
  const v6 = [];
  for (let i = 0; i < asnN / 5; i++) { const h = (0x2001_0000 + i * 16).toString(16).padStart(8, "0"); v6.push(`${h.slice(0, 4)}:${h.slice(4)}::,${h.slice(0, 4)}:${h.slice(4)}:ffff:ffff:ffff:ffff:ffff:ffff,${1000 + (i % 20000)},Bench network v6 ${i % 20000}`); }
  writeFileSync(join(lists, "asn-1.csv"), `${v6.join("\n")}\n`, { mode: 0o600 });
  writeFileSync(join(lists, "asn.json"), JSON.stringify({ version: 1, sources: [{ url: "https://bench.invalid/asn-ipv4-num.csv" }, { url: "https://bench.invalid/asn-ipv6.csv" }] }), { mode: 0o600 });
  TOOLS.splice(1, 0, { name: `portwatch audit --json (with network owners: ${asnN.toLocaleString("en")} IPv4 ranges, ${(asnN / 5).toLocaleString("en")} IPv6)`, argv: ["env", `PORTWATCH_STATE_DIR=${state}`, ...portwatch] });
}
const which = (cmd) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd]).status === 0;
for (const need of ["/usr/bin/time", "ss", "netstat", "lsof"]) if (!which(need)) { console.error(`missing ${need}: apt-get install time iproute2 net-tools lsof`); process.exit(2); }

/**
 * One timed run: wall time on this harness's clock (from spawning to the end of the output, to the
 * microsecond; GNU time prints only hundredths), cpu and peak RSS from GNU time. The output goes through a
 * pipe that is read and counted.
 */
function timeOnce(argv) {
  return new Promise((ok, fail) => {
    const stats = join(tmp, "time.txt");
    const start = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-f", "%e %U %S %M", "-o", stats, "--", ...argv], { stdio: ["ignore", "pipe", "ignore"] });
    let lines = 0;
    child.stdout.on("data", (d) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++; });
    const timer = setTimeout(() => { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }, 300_000);
    child.on("close", () => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      const [, user, sys, rssKb] = readFileSync(stats, "utf8").trim().split("\n").pop().split(" ").map(Number);
      ok({ wall, cpu: user + sys, rss: rssKb / 1024, lines });
    });
    child.on("error", fail);
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const f3 = (x) => x.toFixed(3);

function waitForTimeWait() {
  // Let TIME_WAIT sockets of the previous size drain (bounded: 90 s), so rows are comparable.
  for (let i = 0; i < 90; i++) {
    const m = /timewait (\d+)/.exec(spawnSync("ss", ["-s"], { encoding: "utf8" }).stdout);
    if (!m || Number(m[1]) < 100) return;
    spawnSync("sleep", ["1"]);
  }
}

const results = [];
for (const n of sizes) {
  waitForTimeWait();
  const load = await startLoad(n, { daemon: true });
  console.error(`N=${n}: ${JSON.stringify(load.info)}`);
  try {
    const rows = [];
    if (watchOnly) {
      // CPU of a watcher over `watchTicks` looks one second apart: (user + sys) / wall, as % of one core.
      const argv = [join(root, "bin/portwatch"), "watch", "--interval", "1s", "--count", String(watchTicks), "--no-history", "--ndjson"];
      const sample = await timeOnce(argv);
      rows.push({ tool: `portwatch watch --interval 1s (${watchTicks} looks)`, runs: 1, wall: sample.wall, min: sample.wall, max: sample.wall, cpu: sample.cpu, rss: sample.rss, lines: sample.lines, share: (100 * sample.cpu) / sample.wall });
      console.error(`  watch: ${(100 * sample.cpu / sample.wall).toFixed(1)}% of one core`);
      results.push({ n, info: load.info, rows });
      continue;
    }
    // Rounds: each tool once per round (after one warm-up each), so that a machine getting busier or
    // quieter during the size touches every tool alike.
    const countOf = (tool) => (tool.slow && n >= 50_000 ? slowRuns : runs);
    const samples = TOOLS.map(() => []);
    for (const tool of TOOLS) await timeOnce(tool.argv); // warm-up
    for (let round = 0; round < Math.max(...TOOLS.map(countOf)); round++) {
      for (const [i, tool] of TOOLS.entries()) if (round < countOf(tool)) samples[i].push(await timeOnce(tool.argv));
    }
    for (const [i, tool] of TOOLS.entries()) {
      const walls = samples[i].map((s) => s.wall);
      rows.push({ tool: tool.name, runs: countOf(tool), wall: median(walls), min: Math.min(...walls), max: Math.max(...walls), cpu: median(samples[i].map((s) => s.cpu)), rss: Math.max(...samples[i].map((s) => s.rss)), lines: samples[i][0].lines });
      console.error(`  ${tool.name}: ${f3(median(walls))} s`);
    }
    results.push({ n, info: load.info, rows });
  } finally {
    await load.stop();
  }
}
rmSync(tmp, { recursive: true, force: true });

const version = (argv, pick = (l) => l.trim() !== "") => {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  return (r.stdout + r.stderr).split("\n").find(pick) ?? "?";
};
let md = `# Benchmark results\n\nMeasured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`node bench/run.mjs\` on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ` +
  `Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, Node ${process.version}; ${version(["ss", "-V"]).trim()}; ${version(["netstat", "-V"]).trim()}; lsof ${version(["lsof", "-v"], (l) => /revision:/.test(l)).replace(/.*revision: /, "").trim()}.\n\n` +
  `N = established loopback TCP connections (2N sockets) plus N/10 UDP sockets and 50 extra listeners, spread over several processes ` +
  `(bench/sockets.mjs). Whole-process wall times on the harness's clock (spawn to exit, start-up included), cpu and peak RSS from GNU time, output read through a pipe; one warm-up, then the counted runs, in rounds (each tool once per round); ` +
  `median (min–max). Peak RSS is the largest run. "× portwatch" is the tool's median wall time over portwatch's (above 1: portwatch is faster). ` +
  `"rows" counts output lines (portwatch --json prints about one line per socket). ` +
  `Environment: NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? "is set (Node parses that certificate file at every start; bin/portwatch sets it aside, see there)" : "is not set"}.\n`;
if (watchOnly) {
  md = `# Watcher CPU\n\nMeasured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`node bench/run.mjs --watch-only\` on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}: ` +
    `\`portwatch watch --interval 1s\` for ${watchTicks} looks on a steady host holding the socket load (bench/sockets.mjs), timed with GNU time. ` +
    "The first look reads every fd table; the later ones only new processes' (the owner cache), and a look whose netlink dumps match the last one's byte for byte reuses its judged sockets. Target (issue 5): under 10% of one core at N = 10k.\n\n" +
    "| N | wall s | cpu s | % of one core | peak RSS MiB |\n|---|---|---|---|---|\n";
  for (const r of results) { const t = r.rows[0]; md += `| ${r.n.toLocaleString("en")} | ${f3(t.wall)} | ${f3(t.cpu)} | ${t.share.toFixed(1)} | ${t.rss.toFixed(1)} |\n`; }
  results.length = 0;
}
for (const r of results) {
  const pw = r.rows[0].wall;
  md += `\n## N = ${r.n.toLocaleString("en")} (${r.info.processes} processes)\n\n| tool | runs | wall s, median (min–max) | × portwatch | cpu s | peak RSS MiB | rows |\n|---|---|---|---|---|---|---|\n`;
  for (const t of r.rows) md += `| \`${t.tool}\` | ${t.runs} | ${f3(t.wall)} (${f3(t.min)}–${f3(t.max)}) | ${(t.wall / pw).toFixed(2)} | ${f3(t.cpu)} | ${t.rss.toFixed(1)} | ${t.lines} |\n`;
}
writeFileSync(outFile, md);
console.log(md);
