#!/usr/bin/env node
// What seeing what hides costs (issue 15): `portwatch audit --json` with PORTWATCH_TIMINGS=1 on the socket
// load of bench/sockets.mjs, reading the "third view" phase (the fd tables as a third view) and the
// "hidden processes" phase (mounts over /proc/<pid>; with --deep also kill(pid, 0) up to pid_max and every
// task's children) against the whole run. Loopback only; the load is ended by its pid after each size.
// Usage: node bench/hidden-cost.mjs [--sizes 10000,100000] [--runs 5] [--out bench/RESULTS-hidden.md]   (as root, after npm run build)
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { startLoad } from "./load.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i < 0 ? fallback : process.argv[i + 1]; };
const sizes = arg("--sizes", "10000,100000").split(",").map(Number);
const runs = Number(arg("--runs", "5"));
const out = arg("--out", null);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** One audit's phases (ms) and its whole time (ms since the process started), from PORTWATCH_TIMINGS. */
function audit(extra) {
  const r = spawnSync(join(root, "bin/portwatch"), ["audit", "--json", ...extra], { env: { ...process.env, PORTWATCH_TIMINGS: "1" }, maxBuffer: 1 << 30, encoding: "utf8" });
  const line = /timings \(ms\): (.*)/.exec(r.stderr)?.[1] ?? "";
  const phase = (name) => Number(new RegExp(`${name} ([\\d.]+)`).exec(line)?.[1] ?? NaN);
  return { third: phase("third view"), hidden: phase("hidden processes"), total: Number(/([\d.]+) since the process started/.exec(line)?.[1] ?? NaN) };
}

const rows = [];
for (const n of sizes) {
  const { stop } = await startLoad(n);
  try {
    audit([]); // warm the code cache and the page cache
    const plain = Array.from({ length: runs }, () => audit([]));
    const deep = Array.from({ length: runs }, () => audit(["--deep"]));
    const row = {
      n, total: median(plain.map((x) => x.total)), third: median(plain.map((x) => x.third)), share: median(plain.map((x) => (100 * x.third) / x.total)),
      mounts: median(plain.map((x) => x.hidden)), deepTotal: median(deep.map((x) => x.total)), deepHidden: median(deep.map((x) => x.hidden)),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  } finally {
    await stop();
  }
}
const md = `# What seeing what hides costs\n\nMeasured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`node bench/hidden-cost.mjs\` on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}: ` +
  `\`portwatch audit --json\` (${runs} runs each, medians) with PORTWATCH_TIMINGS=1 on the load of bench/sockets.mjs (N connections: 2N TCP sockets, N/10 UDP). ` +
  "\"third view\" is the fd tables as a third view (collect/third-view.ts), \"mounts\" the check for mounts over /proc/<pid>, \"--deep\" adds kill(pid, 0) up to pid_max and every task's children. Target: the third view under 5% of the audit.\n\n" +
  "| N | audit ms | third view ms | third view % of the audit | mounts ms | audit --deep ms | hidden-process checks with --deep ms |\n|---|---|---|---|---|---|---|\n" +
  rows.map((r) => `| ${r.n.toLocaleString("en")} | ${r.total.toFixed(0)} | ${r.third.toFixed(1)} | ${r.share.toFixed(1)} | ${r.mounts.toFixed(1)} | ${r.deepTotal.toFixed(0)} | ${r.deepHidden.toFixed(1)} |`).join("\n") + "\n";
if (out) writeFileSync(out, md);
console.log(md);
