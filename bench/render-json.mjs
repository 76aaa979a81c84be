#!/usr/bin/env node
// Micro-benchmark of the JSON renderer (a hot path at 200k sockets): N generated sockets shaped like a busy
// host's (a few hundred listeners, servers with thousands of loopback clients, shared processes, reason
// lists and explanations, as evaluate leaves them), rendered with renderJsonChunks from dist/ (run
// `npm run build` first). Prints the best and median of R runs, and a hash of the output so that two
// builds can be compared byte for byte.
// Usage: node --expose-gc bench/render-json.mjs [N=100000] [R=15] [render-json.js to use instead of dist's, e.g. an older build's]
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";

const { renderJsonChunks } = await import(process.argv[4] ? pathToFileURL(process.argv[4]).href : "../dist/report/render-json.js");

const n = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 15);

const procs = Array.from({ length: 60 }, (_, i) => ({
  pid: 1000 + i, name: `srv${i}`, exe: `/usr/bin/srv${i}`, exeDeleted: i % 17 === 0, cmdline: [`/usr/bin/srv${i}`, "--port", String(8000 + i)],
  uid: i % 3 === 0 ? 0 : 1000, user: i % 3 === 0 ? "root" : "user", containerId: null, netns: 4026531840,
}));
const reasonLists = [
  [{ rule: "known-service", verdict: "expected", message: "A well-known service on its usual port" }],
  [{ rule: "local-traffic", verdict: "expected", message: "Traffic between two programs on this computer" }],
  [{ rule: "unexplained", verdict: "unknown", message: "Nothing explains this socket: look at who holds it" }],
  [{ rule: "backdoor-port", verdict: "suspicious", message: "Port 31337/tcp is the default port of Back Orifice \u00e9" }, { rule: "local-peer", verdict: "unknown", message: "Talks to x" }],
];
const explanations = Array.from({ length: 40 }, (_, i) => `srv${i} (pid ${1000 + i}, /usr/bin/srv${i}) is connected to port ${8000 + i} of the other computer`);
const NONE = Object.freeze([]);
const shared = [{ pid: 4242, name: "worker" }];

const sockets = [];
for (let i = 0; i < n; i++) {
  const listening = i % 400 === 0;
  const p = i % 50 === 49 ? null : procs[i % procs.length];
  const six = i % 5 === 0;
  sockets.push({
    proto: i % 10 === 0 ? "udp" : "tcp", family: six ? 6 : 4,
    local: { address: six ? "::1" : "127.0.0.1", port: listening ? 8000 + (i % 60) : 30000 + (i % 30000) },
    remote: listening ? null : { address: six ? "::1" : "127.0.0.1", port: 8000 + (i % 60) },
    state: listening ? "LISTEN" : i % 7 === 0 ? "TIME_WAIT" : "ESTABLISHED",
    direction: listening ? "listening" : i % 2 ? "outbound" : "inbound",
    exposure: listening ? "loopback" : null, netns: 4026531840, inode: i % 7 === 0 ? 0 : 100000 + i, uid: p ? p.uid : null,
    service: i % 3 === 0 ? { name: "http-alt", port: 8080 } : null,
    process: p, sharedWith: i % 97 === 0 ? shared : NONE,
    verdict: ["expected", "expected", "unknown", "suspicious"][i % 4], reasons: reasonLists[i % 4],
    explanation: i % 11 === 0 ? null : explanations[i % explanations.length],
    ...(i % 1000 === 1 ? { hiddenFrom: "proc" } : {}),
  });
}
const snapshot = { schema: 1, host: { hostname: "bench", source: "live", collectedAt: "2026-11-26T13:00:00.000Z" }, sockets, warnings: ["w"], summary: { expected: 0, unknown: 0, suspicious: 0 } };

// Wall time, and CPU time (user + system: what the render itself cost, whatever else the host runs).
const times = [], cpus = [];
let hash = "", bytes = 0;
for (let r = 0; r < runs; r++) {
  globalThis.gc?.(); // with --expose-gc: each run starts from the same heap, so runs compare
  const h = createHash("sha256");
  bytes = 0;
  const t = process.hrtime.bigint(), c = process.cpuUsage();
  for (const piece of renderJsonChunks(snapshot)) { bytes += piece.length; if (r === 0) h.update(piece); }
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
  const cpu = process.cpuUsage(c);
  cpus.push((cpu.user + cpu.system) / 1e3);
  if (r === 0) hash = h.digest("hex").slice(0, 16);
}
times.sort((a, b) => a - b);
cpus.sort((a, b) => a - b);
const mid = Math.floor(runs / 2);
console.log(`renderJsonChunks ${n} sockets: wall best ${times[0].toFixed(1)} ms, median ${times[mid].toFixed(1)} ms; CPU best ${cpus[0].toFixed(1)} ms, median ${cpus[mid].toFixed(1)} ms; ${bytes} chars, sha256 ${hash}`);
