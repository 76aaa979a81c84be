#!/usr/bin/env node
// Checks the import rule of docs/architecture.md: a folder of src/ imports only from folders before it
// in LAYERS (collect/ only from model/), and only the edge files may touch the system (fs, network,
// child processes, `process`). Exits 1 and names file:line for each breach. Usage: check-imports.mjs [SRC_DIR]
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";

const LAYERS = ["model", "knowledge", "collect", "evaluate", "report", "watch", "audit", "serve", "cli"];
// collect/ reads the host with nothing but the model; cli/ maps options, reads files and prints: it reaches
// the pipeline only through audit/ (and the dashboard server, the one thing that runs beside it).
const ALLOWED = { collect: ["model", "collect"], cli: ["model", "report", "audit", "serve", "cli"] };
const SYSTEM_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|os|dns|tls|cluster|readline|tty)$/;
// In collect/, the files that touch the host themselves: proc-files.ts (reads proc files for the others),
// namespaces.ts (lists the pids and /run/netns), fd-walk.ts, fd-scan.ts and fd-scan-worker.ts (the fd walk,
// its threads), native.ts (loads the addon), provenance.ts and package-db.ts (where the holders' code came
// from: /proc/<pid>/maps and environ, the package database, checksums of executables, their cache file),
// firewall.ts (runs nft, iptables-save and ip, read-only, without a shell),
// hidden-processes.ts (mounts over /proc/<pid>, and --deep's search for pids the listing leaves out),
// deep-probe.ts (the bind probe of --deep and its fresh reads of the tables), linux.ts (runs the steps), and
// safe-file-store.ts (how every kept file is written and read: the provenance cache here, the baseline, history
// and queue in watch/). The other files of collect/
// read the host only through these, or not at all (parse/, attribute.ts, classify.ts, cross-view.ts).
// In audit/, state-dir.ts (the state directory's place) and this-process.ts (pid, root, host name, /etc/services).
const EDGE = [/^collect\/(linux|proc-files|namespaces|firewall|fd-walk|fd-scan|fd-scan-worker|native|provenance|package-db|hidden-processes|deep-probe|safe-file-store)\.ts$/, /^watch\/(store|stores|sink|sinks)[^/]*\//, /^watch\/.*-(store|sink)\.ts$/, /^audit\/(state-dir|this-process)\.ts$/, /^serve\//, /^cli\//];

const MAX_LINES = 400;
const src = resolve(process.argv[2] ?? new URL("../src", import.meta.url).pathname);
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p); else if (e.name.endsWith(".ts")) files.push(p);
  }
})(src);

const errors = [];
for (const file of files) {
  const rel = relative(src, file);
  const layer = rel.includes("/") ? rel.split("/")[0] : null; // index.ts at the top re-exports everything
  const edge = EDGE.some((r) => r.test(rel));
  const lines = readFileSync(file, "utf8").split("\n");
  // One job per file: a file that outgrows this wants splitting (docs/architecture.md).
  if (lines.length > MAX_LINES && !rel.includes("/generated/")) errors.push(`src/${rel}: ${lines.length} lines; split it (at most ${MAX_LINES} per file)`);
  lines.forEach((line, i) => {
    const where = `src/${rel}:${i + 1}`;
    for (const m of line.matchAll(/(?:from\s+|import\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec.startsWith(".")) {
        const target = relative(src, resolve(dirname(file), spec));
        const to = target.split("/")[0];
        if (layer === null || !LAYERS.includes(to)) continue;
        const allowed = ALLOWED[layer] ?? LAYERS.slice(0, LAYERS.indexOf(layer) + 1);
        if (!allowed.includes(to)) errors.push(`${where}: ${layer}/ may not import ${to}/ ("${spec}"); allowed: ${allowed.join(", ")}`);
      } else if (SYSTEM_MODULES.test(spec) && !edge && layer !== null) {
        errors.push(`${where}: only edge files (collect/ readers of the host, watch stores and sinks, audit/state-dir.ts and this-process.ts, serve/, cli/) may import "${spec}"`);
      }
    }
    if (!edge && layer !== null && /(^|[^.\w])process\.(env|argv|exit|stdout|stderr|stdin|cwd|kill|getuid)/.test(line) && !line.trim().startsWith("//") && !line.trim().startsWith("*")) {
      errors.push(`${where}: only edge files may use process.* ("${line.trim()}")`);
    }
  });
}
if (errors.length) {
  console.error(`Import rule broken in ${errors.length} place(s):\n${errors.join("\n")}`);
  process.exit(1);
}
console.log(`import rule holds in ${files.length} files`);
