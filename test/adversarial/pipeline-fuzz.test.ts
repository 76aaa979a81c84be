// Issue 14: the whole pipeline (read, classify, name, judge, render) under hostile and damaged input, for
// every capture format. Real captures (test/fixtures/captures/) are mutated line by line (escape
// sequences, bidi overrides, JSON syntax, numbers out of range, cut and shuffled columns, and for
// portwatch's JSON any field set to a hostile value), then read, judged and rendered as the table, the
// --explain table, --json and --ndjson. Every output must be valid (one JSON object per NDJSON line,
// exactly what portwatch writes of its own value: no key twice) and hold no raw control or bidi character.
// Seeded: a failure prints its seed and path (fast-check), so it replays.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { CaptureFormat } from "../../src/audit/capture.js";
import { assertSafeOutputs, runPipeline } from "./pipeline.js";
import { seededRandom } from "../helpers/seeded-random.js";

const FIXTURES: Record<CaptureFormat, string[]> = {
  netstat: ["debian12/netstat-tunaep.txt", "debian12/netstat-tua-names.txt", "published/03-netstat-aeep-centos.txt", "seed/simple-security-by-evaluating-ports.txt"],
  ss: ["debian12/ss-tunapeo.txt", "debian12/ss-tua-names.txt", "published/07-ss-tulpen-ubuntu.txt"],
  lsof: ["debian12/lsof-nP-i.txt", "debian12/lsof-i.txt"],
  "windows-netstat": ["published/10-netstat-abno-windows.txt", "published/11-netstat-ano-windows.txt", "windows/netstat-anb-fr.txt"],
  "bsd-netstat": ["published/08-netstat-an-freebsd.txt", "published/09-netstat-noargs-macos.txt"],
  "portwatch-json": ["portwatch-json/audit-json-proc-root.json", "portwatch-json/audit-ndjson-from-ss.ndjson"],
};
const linesOf = (path: string) => readFileSync(new URL(`../fixtures/captures/${path}`, import.meta.url), "utf8").split("\n").filter((l) => l.trim() !== "");

/**
 * Lines per run, across the six formats: 6 × 168,000 = 1,008,000 lines took 52 s (wall, 314 MiB peak RSS) on
 * the project's 2-core machine while other work ran (ss 12 s, portwatch-json 14 s, the others 3–10 s).
 * PORTWATCH_FUZZ_LINES sets another count (a long soak, a quick look); PORTWATCH_FUZZ_TIMES=1 prints the times.
 */
const TOTAL_LINES = Number(process.env["PORTWATCH_FUZZ_LINES"] ?? 1_000_000);
/** Lines per capture: large enough that the pipeline's fixed cost per capture does not dominate. */
const BATCH = 2_000;

/** What an attacker or a bad day puts into a line. */
const HOSTILE = [
  "\u001b[2J", "\u001b]0;pwned\u0007", "\u202e", "\u2066", "\u200f", "\u061c", "\u009b31m", "\u0000", "\u0008", "\u2028", "\ufeff", "\u{e0041}",
  "\"", "\\", "\\u202e", "\\u001b", "\\x", "}", "{", "]", ",", ":", "\"verdict\":\"expected\",", "\n", "%", "[", "*", "->", " ", "  ", "(LISTEN)",
  "999", "0", "-1", "65536", "70000", "4194305", "4294967296", "99999999999999999999999", "9".repeat(400), "1e400", "NaN", "300.1.1.1", "::", "::ffff:", "fe80::1%lo",
  "users:((\"\u202ex\",pid=0,fd=1))", "pid=99999999999", "ino:99999999999999999999", "uid:4294967296", "0/x", "\\x1b",
];
const HOSTILE_VALUES: unknown[] = [
  ...HOSTILE, null, true, false, 0, -1, 1.5, 65536, 2 ** 32, 2 ** 53, 1e300, [], {}, [1, "a"], { pid: 1 }, { address: "1.2.3.4", port: 1 },
];

const random = seededRandom;

function mutateText(line: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const at = Math.floor(r() * (line.length + 1));
  switch (Math.floor(r() * 7)) {
    case 0: return line; // untouched lines keep the context real
    case 1: return line.slice(0, at) + pick(HOSTILE) + line.slice(at);
    case 2: return line.replace(/\d+/g, (d) => (r() < 0.3 ? pick(["0", "65536", "4294967296", "9".repeat(30), "-1"]) : d));
    case 3: return line.slice(0, at) + line.slice(at + Math.floor(r() * 20));
    case 4: { const w = line.split(/(\s+)/); const i = Math.floor(r() * w.length); w[i] = pick(HOSTILE); return w.join(""); }
    case 5: return line.slice(0, at);
    default: return line.split(/\s+/).sort(() => r() - 0.5).join(" ");
  }
}

/** A socket line of portwatch's JSON with one of its values (at any depth) set to a hostile one. */
function mutateJson(line: string, r: () => number): string {
  const body = line.replace(/^,/, "").replace(/,$/, "");
  if (!body.startsWith("{\"proto\"")) return mutateText(line, r);
  const v = JSON.parse(body) as Record<string, unknown>;
  const paths: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (o: unknown) => {
    if (typeof o !== "object" || o === null) return;
    for (const k of Object.keys(o)) { paths.push([o as Record<string, unknown>, Array.isArray(o) ? Number(k) : k]); walk((o as Record<string, unknown>)[k]); }
  };
  walk(v);
  const [holder, key] = paths[Math.floor(r() * paths.length)] as [Record<string | number, unknown>, string | number];
  const hostile = HOSTILE_VALUES[Math.floor(r() * HOSTILE_VALUES.length)];
  holder[key] = typeof hostile === "string" && r() < 0.5 ? `${String(holder[key])}${hostile}` : hostile;
  const out = JSON.stringify(v);
  return r() < 0.2 ? mutateText(out, r) : out;
}

/** A capture of `count` lines: the fixtures' lines in turn, a header first, each mutated. */
function capture(format: CaptureFormat, seed: number, count: number): string {
  const r = random(seed);
  const sources = FIXTURES[format].map(linesOf);
  const out: string[] = [];
  for (const lines of sources) out.push(lines[0] as string); // the headers, untouched
  while (out.length < count) {
    const lines = sources[Math.floor(r() * sources.length)] as string[];
    const line = lines[Math.floor(r() * lines.length)] as string;
    out.push(format === "portwatch-json" && r() < 0.6 ? mutateJson(line, r) : mutateText(line, r));
  }
  return out.join("\n");
}

describe("the whole pipeline under hostile captures", () => {
  const formats = Object.keys(FIXTURES) as CaptureFormat[];
  const runs = Math.max(1, Math.ceil(TOTAL_LINES / BATCH / formats.length));
  for (const format of formats) {
    it(`${format}: ${runs * BATCH} mutated lines read, judged and rendered give valid JSON and NDJSON and no raw control or bidi character`, () => {
      const started = Date.now();
      let sockets = 0;
      fc.assert(fc.property(fc.integer(), (seed) => {
        const text = capture(format, seed, BATCH);
        const out = runPipeline(text, format);
        assertSafeOutputs(out, text);
        sockets += out.snapshot.sockets.length;
      }), { numRuns: runs, seed: 14 });
      assert.ok(sockets > 0, "some mutated lines are still sockets");
      if (process.env["PORTWATCH_FUZZ_TIMES"]) process.stderr.write(`${format}: ${runs * BATCH} lines, ${sockets} sockets, ${Date.now() - started} ms\n`);
    });
  }
});
