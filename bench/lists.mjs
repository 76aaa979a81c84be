#!/usr/bin/env node
// The prefix index of the address lists (src/knowledge/lists/): build time, compiled-cache size and load
// time, memory, and 1M lookups, against a linear scan with ipaddr.js match() (the way every JavaScript CIDR
// library we found works), sampled and extrapolated because it is too slow to run a million times.
// Networks: the real FireHOL level 1, Feodo and Spamhaus DROP fixtures, plus random IPv4 networks (/16 to /32)
// up to N in all. Probes: 1M addresses, 10% of them chosen inside a network.
// The network owners' database (knowledge/lists/asn.ts): an index of the real ip-location-db excerpt and
// random ranges up to --asn-ranges IPv4 (and a fifth as many IPv6): build, compiled size, first load, 1M
// lookups, and the judging of 10,000 connections with and without it.
// Usage: npm run build && node --expose-gc bench/lists.mjs [--networks 100000] [--lookups 1000000] [--linear-sample 2000] [--asn-ranges 500000] [--out bench/RESULTS-lists.md]
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import ipaddr from "ipaddr.js";
import { parseList } from "../dist/knowledge/lists/parse-list.js";
import { networkText, v4Text } from "../dist/knowledge/lists/ip.js";
import { buildIndex, compileLists, loadCompiled } from "../dist/knowledge/lists/compiled.js";
import { createJudge } from "../dist/evaluate/evaluate.js";
import { AsnBuilder, compileAsn, loadAsn } from "../dist/knowledge/lists/asn.js";
import { createKnowledge } from "../dist/knowledge/knowledge.js";

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const N = Number(arg("--networks", "100000"));
const LOOKUPS = Number(arg("--lookups", "1000000"));
const SAMPLE = Number(arg("--linear-sample", "2000"));
const outFile = arg("--out", fileURLToPath(new URL("./RESULTS-lists.md", import.meta.url)));
const gc = globalThis.gc ?? (() => {});
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// xorshift32: the same networks and probes on every run.
let seed = 0x9e3779b9;
const rand = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };
const fixture = (f) => readFileSync(new URL(`../test/fixtures/blocklists/${f}`, import.meta.url), "utf8");

// The lists' text: the three real ones, and a plain list of random networks to reach N.
const real = ["firehol_level1.netset", "feodo.ipset", "spamhaus_drop.netset"].map((f) => ({ name: f, text: fixture(f) }));
const realCount = real.reduce((n, l) => n + parseList(l.text, l.name).networks.length, 0);
const lines = [];
for (let i = 0; i < N - realCount; i++) {
  const len = 16 + Math.floor(rand() * 17);
  const v = Math.floor(rand() * 2 ** 32);
  lines.push(len === 32 ? v4Text(v) : `${v4Text(v)}/${len}`);
}
const texts = [...real, { name: "random.txt", text: `${lines.join("\n")}\n` }];

let t0 = now();
const parsed = texts.map((l) => ({ name: l.name, r: parseList(l.text, l.name) }));
const parseMs = ms(t0);
const lists = parsed.map(({ name, r }) => ({ info: { name, category: r.header.category, date: r.header.date, source: r.header.source, count: r.networks.length }, networks: r.networks }));
const total = lists.reduce((n, l) => n + l.networks.length, 0);

const builds = [];
let index;
for (let i = 0; i < 5; i++) { index = null; gc(); t0 = now(); index = buildIndex(lists); builds.push(ms(t0)); }
// Memory: the heap with one index alive, less the heap without it.
// Memory: the index is typed arrays (sorted keys, list bits, the /16 summary), counted exactly; the
// heap's growth while building (the Maps the builder uses) is the peak on top of the lists' networks.
index = null; gc(); const heap0 = process.memoryUsage().heapUsed;
index = buildIndex(lists);
const heapPeak = process.memoryUsage().heapUsed - heap0;
const indexBytes = index.tablesV4().reduce((n, t) => n + t.keys.byteLength + t.lists.byteLength, 0) + index.summary.byteLength;

t0 = now();
const bytes = compileLists({ stamp: "bench", lists: lists.map((l) => l.info), index });
const compileMs = ms(t0);
// The first load is what an audit pays (a fresh process: nothing optimised yet); the later ones, warm.
const loads = [];
let loaded;
for (let i = 0; i < 7; i++) { t0 = now(); loaded = loadCompiled(bytes, "bench"); loads.push(ms(t0)); }
const firstLoad = loads[0];

// Probes: 10% inside a random network of the lists, the rest random.
const all = lists.flatMap((l) => l.networks);
const probes = new Array(LOOKUPS);
for (let i = 0; i < LOOKUPS; i++) {
  if (rand() < 0.1) { const n = all[Math.floor(rand() * all.length)]; probes[i] = v4Text(n.v4 + Math.floor(rand() * 2 ** (32 - n.len))); }
  else probes[i] = v4Text(Math.floor(rand() * 2 ** 32));
}
let hits = 0;
loaded.index.lookup(probes[0]);
t0 = now();
for (let i = 0; i < LOOKUPS; i++) if (loaded.index.lookup(probes[i]) !== null) hits++;
const lookupMs = ms(t0);

// The baseline: each network parsed once with ipaddr.js, then match() one by one (stopping at the first hit, as a yes/no check would).
t0 = now();
const ranges = all.map((n) => ipaddr.parseCIDR(`${networkText(n).split("/")[0]}/${n.len}`));
const linearBuildMs = ms(t0);
let linearHits = 0;
let agree = 0;
t0 = now();
for (let i = 0; i < SAMPLE; i++) {
  const a = ipaddr.parse(probes[i]);
  let hit = false;
  for (const [net, len] of ranges) if (a.match(net, len)) { hit = true; break; }
  if (hit) linearHits++;
  if (hit === (loaded.index.lookup(probes[i]) !== null)) agree++;
}
const linearMs = ms(t0);
const linearPerM = (linearMs / SAMPLE) * LOOKUPS;

// Judging 10,000 outbound connections to Internet addresses (one program, port 443; 1% or 10% of the peers
// on a list, the others on none), with and without the lists: the part of an audit the lists add to, besides
// loading the index (the audit bench's connections are all on loopback, which is never looked up).
const knowledge = createKnowledge();
const proc = { pid: 4242, name: "curl", exe: "/usr/bin/curl", exeDeleted: false, cmdline: ["curl"], uid: 1000, user: "u", containerId: null, netns: 1 };
const unlisted = () => { for (;;) { const v = Math.floor(rand() * 2 ** 32); const a = v >>> 24; if (a === 0 || a === 10 || a === 127 || a === 172 || a === 192 || a >= 100 && a <= 100 || a >= 224) continue; const t = v4Text(v); if (loaded.index.lookup(t) === null) return t; } };
const listed = () => { for (;;) { const n = all[Math.floor(rand() * all.length)]; const t = v4Text(n.v4 + Math.floor(rand() * 2 ** (32 - n.len))); const a = n.v4 >>> 24; if (a !== 0 && a !== 10 && a !== 127 && a !== 172 && a !== 192 && a !== 100 && a < 224) return t; } };
const socketsFor = (share) => Array.from({ length: 10_000 }, (_, i) => {
  const remote = i < 10_000 * share ? listed() : unlisted();
  return { proto: "tcp", family: 4, local: { address: "192.0.2.5", port: 30_000 + (i % 30_000) }, remote: { address: remote, port: 443 }, state: "ESTABLISHED", direction: "outbound", exposure: null, netns: 1, inode: 1000 + i, uid: 1000, service: null, process: proc, sharedWith: [], verdict: "unknown", reasons: [], explanation: null };
});
/** Median ms (the first of `rounds` left out) of judging `make()`'s sockets with the judge options `extra`. */
const timedJudge = (make, extra, rounds) => {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const sockets = make();
    const t = now();
    const j = createJudge({ knowledge, mode: "live-root", origin: "live", ...extra });
    j.listeners(sockets);
    j.others(sockets);
    times.push(ms(t));
  }
  return median(times.slice(1));
};
const judgeMs = (share, withLists) => timedJudge(() => socketsFor(share), withLists ? { lists: { lists: lists.map((l) => l.info), index: loaded.index } } : {}, 7);
judgeMs(0.01, false); judgeMs(0.01, true); // warm
const judged = [0.01, 0.1].map((share) => ({ share, without: judgeMs(share, false), with: judgeMs(share, true) }));

// The network owners' database: the real excerpt, then random ranges over the rest of the IPv4 space
// (1 owner per 6 ranges), and IPv6 /32s.
const ASN = Number(arg("--asn-ranges", "500000"));
const excerpt = fixture("asn-ipv4-num-excerpt.csv").trimEnd();
const asnRows = excerpt.split("\n");
const asnLast = Number(asnRows.at(-1).split(",")[1]);
const asnText = [excerpt];
{
  const left = ASN - asnRows.length, span = (0xdfffffff - asnLast) / left;
  for (let i = 0; i < left; i++) {
    const start = Math.floor(asnLast + 1 + i * span), end = Math.floor(asnLast + 1 + (i + 1) * span) - 1 - Math.floor(rand() * 4) * 256;
    const asn = 1000 + Math.floor(rand() * (ASN / 6));
    asnText.push(`${start},${Math.max(start, end)},${asn},Bench network ${asn}`);
  }
}
const asnV6 = [];
for (let i = 0; i < ASN / 5; i++) { const h = (0x2001_0000 + i * 16).toString(16).padStart(8, "0"); asnV6.push(`${h.slice(0, 4)}:${h.slice(4)}::,${h.slice(0, 4)}:${h.slice(4)}:ffff:ffff:ffff:ffff:ffff:ffff,${1000 + (i % 20000)},Bench network v6 ${i % 20000}`); }
const asnV4Csv = `${asnText.join("\n")}\n`, asnV6Csv = `${asnV6.join("\n")}\n`;
t0 = now();
const asnBuilder = new AsnBuilder();
asnBuilder.add(asnV4Csv, "v4");
asnBuilder.add(asnV6Csv, "v6");
const asnParseMs = ms(t0);
t0 = now();
const asnBuilt = asnBuilder.build();
const asnBuildMs = ms(t0);
const asnBytes = compileAsn(asnBuilt, "bench");
const asnLoads = [];
let owners;
for (let i = 0; i < 7; i++) { t0 = now(); owners = loadAsn(asnBytes, "bench"); asnLoads.push(ms(t0)); }
const asnProbes = Array.from({ length: LOOKUPS }, () => v4Text(Math.floor(rand() * 2 ** 32)));
let asnHits = 0;
owners.lookup(asnProbes[0]);
t0 = now();
for (let i = 0; i < LOOKUPS; i++) if (owners.lookup(asnProbes[i]) !== null) asnHits++;
const asnLookupMs = ms(t0);
const judgeOwnersMs = (withOwners) => timedJudge(() => socketsFor(0), withOwners ? { owners } : {}, 7);
judgeOwnersMs(false); judgeOwnersMs(true); // warm
const ownersJudged = { without: judgeOwnersMs(false), with: judgeOwnersMs(true) };
// 20,000 loopback connections (10,000 each way between 6 processes, as bench/sockets.mjs makes them): the
// database is present but never asked (loopback is nobody's network); what it costs is remote.asn = null.
const loopProcs = Array.from({ length: 6 }, (_, i) => ({ ...proc, pid: 5000 + i, name: "node", exe: "/usr/bin/node" }));
const loopSockets = () => Array.from({ length: 20_000 }, (_, k) => {
  const i = k >> 1, port = 40_000 + (i % 20_000), out = k % 2 === 0;
  return { proto: "tcp", family: 4, local: { address: "127.0.0.1", port: out ? port : 9000 + (i % 5) }, remote: { address: "127.0.0.1", port: out ? 9000 + (i % 5) : port }, state: "ESTABLISHED",
    direction: out ? "outbound" : "inbound", exposure: null, netns: 1, inode: 1 + k, uid: 0, service: null, process: loopProcs[(i + (out ? 0 : 1)) % 6], sharedWith: [], verdict: "unknown", reasons: [], explanation: null };
});
const judgeLoopMs = (withOwners) => timedJudge(loopSockets, withOwners ? { owners } : {}, 9);
judgeLoopMs(false); judgeLoopMs(true); // warm
const loopJudged = { without: judgeLoopMs(false), with: judgeLoopMs(true) };

const f1 = (x) => x.toFixed(1);
const md = `# Address lists: the prefix index

Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`node --expose-gc bench/lists.mjs\` on ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version} (a machine shared with other work: figures vary by some 20%).

Networks: ${total.toLocaleString("en")} (FireHOL level 1, Feodo and Spamhaus DROP fixtures: ${realCount.toLocaleString("en")}; random IPv4 /16 to /32: ${(total - realCount).toLocaleString("en")}) in ${lists.length} lists. Lookups: ${LOOKUPS.toLocaleString("en")} addresses as text, 10% chosen inside a network (${hits.toLocaleString("en")} found on some list).

| step | time |
|---|---:|
| parse the lists' text (parseList) | ${f1(parseMs)} ms |
| build the index (median of 5) | ${f1(median(builds))} ms |
| write the compiled cache (compileLists) | ${f1(compileMs)} ms, ${(bytes.length / 1024).toFixed(0)} KiB |
| **load from the compiled cache** (loadCompiled, the bytes in memory: the first load, as an audit pays it; the median of 7) | **${f1(firstLoad)} ms**; ${f1(median(loads))} ms |
| index memory (typed arrays: keys, list bits, /16 summary) | ${(indexBytes / 1024 / 1024).toFixed(2)} MiB (heap growth while building, before GC: ${(heapPeak / 1024 / 1024).toFixed(1)} MiB) |
| **${LOOKUPS.toLocaleString("en")} lookups with the index** | **${f1(lookupMs)} ms** (${f1((lookupMs * 1e6) / LOOKUPS / 1e3)} µs each, text parsing included) |
| baseline: parse every network with ipaddr.js | ${f1(linearBuildMs)} ms |
| baseline: ${SAMPLE.toLocaleString("en")} lookups, linear scan with ipaddr.js match() | ${f1(linearMs)} ms |
| baseline: ${LOOKUPS.toLocaleString("en")} lookups, extrapolated | ~${f1(linearPerM / 1000)} s (${f1(linearPerM / lookupMs)}× the index) |

Judging 10,000 outbound connections of one program to distinct Internet addresses (median of 6; without lists they share one judgement): ${judged.map((j) => `with ${j.share * 100}% of the peers on a list, ${f1(j.without)} ms without the lists and ${f1(j.with)} ms with them`).join("; ")}. The difference is the lookups (10,000) and the listed peers, each judged on its own, as its reason names its address.

## Network owners (the IP-to-ASN database)

Ranges: ${asnBuilt.sizes.v4.toLocaleString("en")} IPv4 (the real ip-location-db excerpt's 2,000 and random ones over the rest of the space) and ${asnBuilt.sizes.v6.toLocaleString("en")} IPv6, ${asnBuilt.sizes.owners.toLocaleString("en")} owners; CSV text ${((asnV4Csv.length + asnV6Csv.length) / 1024 / 1024).toFixed(1)} MiB.

| step | time |
|---|---:|
| parse the CSV text (AsnBuilder.add) | ${f1(asnParseMs)} ms |
| build the index (sort, typed arrays) | ${f1(asnBuildMs)} ms |
| compiled cache (asn.bin) | ${(asnBytes.length / 1024 / 1024).toFixed(1)} MiB |
| **load from the compiled cache** (loadAsn, the bytes in memory: the first load; the median of 7) | **${f1(asnLoads[0])} ms**; ${f1(median(asnLoads))} ms |
| **${LOOKUPS.toLocaleString("en")} IPv4 lookups** (random addresses, ${asnHits.toLocaleString("en")} owned) | **${f1(asnLookupMs)} ms** (${f1((asnLookupMs * 1e6) / LOOKUPS / 1e3)} µs each: text parsing and a binary search of ${Math.ceil(Math.log2(asnBuilt.sizes.v4))} steps) |

Judging 10,000 outbound connections of one program to distinct Internet addresses (median of 6): ${f1(ownersJudged.without)} ms without the database, ${f1(ownersJudged.with)} ms with it (a lookup per connection, and each explanation closed with its own owner). Judging 20,000 loopback connections between 6 processes (median of 8; never looked up): ${f1(loopJudged.without)} ms without, ${f1(loopJudged.with)} ms with the database present.

The index and the scan agreed on ${agree} of the ${SAMPLE} sampled addresses (yes/no). The whole audit with and without 100,000 networks on enabled lists, at 10,000 connections: bench/RESULTS-lists-audit.md (\`node bench/run.mjs --lists 100000 --only lists --sizes 10000\`). A lookup tries only the prefix lengths some list uses, longest first (for IPv4, only those the /16 summary names, then the lengths under /16): at most 33 binary searches for IPv4, 129 Map lookups for IPv6.
`;
writeFileSync(outFile, md);
console.log(md);
if (agree !== SAMPLE) process.exitCode = 1;
