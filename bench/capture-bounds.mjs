#!/usr/bin/env node
// Capture readers under hostile input (issue 14), after `npm run build`:
//
//   node bench/capture-bounds.mjs lines            the worst 1 MiB line per reader: each reader (dist/, in
//                                                  this process) times a capture of a real fixture's first
//                                                  lines plus one 1 MiB line of each shape below; the slowest
//                                                  shape per reader is reported
//   node bench/capture-bounds.mjs stdin [--bytes 2G] [--formats netstat,ss] [--content bad|fixture]
//                                                  peak RSS (GNU time) of `bin/portwatch audit --from -
//                                                  --format F --json` reading that many bytes on stdin,
//                                                  written as they are read: a real fixture's lines repeated
//                                                  (fixture), or those lines with their first word changed so
//                                                  that every line is a problem (bad)
//
// Prints a Markdown table. The fixtures are the real captures of test/fixtures/captures (see their SOURCE.md).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = {
  netstat: "test/fixtures/captures/debian12-daemons/netstat-tunap.txt",
  ss: "test/fixtures/captures/debian12-daemons/ss-tunap.txt",
  lsof: "test/fixtures/captures/debian12-daemons/lsof-nP-i.txt",
  "windows-netstat": "test/fixtures/captures/published/11-netstat-ano-windows.txt",
  "bsd-netstat": "test/fixtures/captures/published/08-netstat-an-freebsd.txt",
  "portwatch-json": "test/fixtures/captures/portwatch-json/audit-ndjson-from-ss.ndjson",
};
const MiB = 1 << 20;
const fixtureLines = (format) => readFileSync(`${root}/${FIXTURES[format]}`, "utf8").split("\n").filter((l) => l.trim() !== "");

// Shapes of a 1 MiB line that have made readers slow or deep: runs of digits, of separators, of brackets.
const SHAPES = {
  "digits": () => "1".repeat(MiB),
  "TCP + digits": () => `  TCP    ${"1".repeat(MiB - 9)}`,
  "tcp + digits": () => `tcp ${"1".repeat(MiB - 4)}`,
  "dotted digits": () => "1.".repeat(MiB / 2),
  "colons": () => ":".repeat(MiB),
  "address:port runs": () => "1.2.3.4:5 ".repeat(MiB / 10),
  "spaces": () => `tcp${" ".repeat(MiB - 6)}x y`,
  "brackets": () => "[".repeat(MiB),
  "json nesting": () => `{"proto":${"[".repeat(MiB - 10)}`,
  "json string": () => `{"proto":"${"a".repeat(MiB - 12)}"}`,
  "users:((": () => `tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(${"(\"a\",pid=1,fd=3),".repeat(MiB / 20)})`,
  "lsof name": () => `sshd 812 root 3u IPv4 1 0t0 TCP ${"1".repeat(MiB - 40)}:22 (LISTEN)`,
};

async function lines() {
  const { parseCapture } = await import(`${root}/dist/collect/parse/capture.js`);
  console.log("| reader | worst 1 MiB line | its time (ms) | median of all shapes (ms) |\n|---|---|---:|---:|");
  for (const format of Object.keys(FIXTURES)) {
    const head = fixtureLines(format).slice(0, 5).join("\n");
    const times = [];
    for (const [shape, make] of Object.entries(SHAPES)) {
      const text = `${head}\n${make()}\n`;
      const t0 = process.hrtime.bigint();
      parseCapture(text, { format, source: "bench", servicePort: () => null });
      times.push([shape, Number(process.hrtime.bigint() - t0) / 1e6]);
    }
    times.sort((a, b) => b[1] - a[1]);
    const median = times[Math.floor(times.length / 2)][1];
    console.log(`| ${format} | ${times[0][0]} | ${times[0][1].toFixed(1)} | ${median.toFixed(1)} |`);
  }
}

function parseBytes(s) {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new Error(`--bytes ${s}: a number with K, M or G`);
  return Number(m[1]) * { "": 1, K: 1024, M: MiB, G: 1024 * MiB }[m[2].toUpperCase()];
}

function stdinRun(format, bytes, content) {
  let body = fixtureLines(format);
  if (content === "bad") body = body.map((l) => `x${l.replace(/^\s*\S+/, "")}`);
  const block = Buffer.from(`${body.join("\n")}\n`.repeat(Math.max(1, Math.ceil(MiB / (body.join("\n").length + 1)))));
  const head = Buffer.from(`${fixtureLines(format).slice(0, 3).join("\n")}\n`);
  return new Promise((done) => {
    const child = spawn("/usr/bin/time", ["-v", `${root}/bin/portwatch`, "audit", "--from", "-", "--format", format, "--json"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => { err += d; });
    const t0 = Date.now();
    let sent = 0;
    const write = () => {
      if (sent === 0) { child.stdin.write(head); sent += head.length; }
      while (sent < bytes) {
        sent += block.length;
        if (!child.stdin.write(block)) { child.stdin.once("drain", write); return; }
      }
      child.stdin.end();
    };
    child.stdin.on("error", () => {});
    write();
    child.on("close", (code) => {
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? 0) / 1024;
      done({ format, code, rss, seconds: (Date.now() - t0) / 1000, tail: err.split("\n").filter((l) => !l.startsWith("\t")).slice(-3).join(" ") });
    });
  });
}

async function stdin(args) {
  const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
  const bytes = parseBytes(opt("--bytes", "2G"));
  const formats = opt("--formats", Object.keys(FIXTURES).join(",")).split(",");
  const content = opt("--content", "bad");
  console.log(`| format | stdin | lines | exit | peak RSS (MiB) | wall (s) |\n|---|---:|---|---:|---:|---:|`);
  for (const format of formats) {
    const r = await stdinRun(format, bytes, content);
    console.log(`| ${format} | ${(bytes / MiB).toLocaleString("en")} MiB | ${content} | ${r.code} | ${r.rss.toFixed(0)} | ${r.seconds.toFixed(1)} |`);
    if (r.code !== 0 && r.code !== 1) console.log(`<!-- ${r.tail} -->`);
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "lines") await lines();
else if (mode === "stdin") await stdin(rest);
else { console.error("usage: node bench/capture-bounds.mjs lines | stdin [--bytes 2G] [--formats a,b] [--content bad|fixture]"); process.exit(2); }
