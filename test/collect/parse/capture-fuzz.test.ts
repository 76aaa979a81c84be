import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { captureReader, parseCapture, type CaptureFormat } from "../../../src/collect/parse/capture.js";
import { createServiceRegistry } from "../../../src/knowledge/service-registry.js";

const registry = createServiceRegistry();
const servicePort = (name: string, proto: "tcp" | "udp") => registry.port(name, proto);
const fixtures: [string, CaptureFormat][] = [
  ["published/01-netstat-lnp-ubuntu.txt", "netstat"], ["published/03-netstat-aeep-centos.txt", "netstat"], ["published/07-ss-tulpen-ubuntu.txt", "ss"],
  ["published/08-netstat-an-freebsd.txt", "bsd-netstat"], ["published/11-netstat-ano-windows.txt", "windows-netstat"], ["debian12/lsof-nP-i.txt", "lsof"],
  ["seed/simple-security-by-evaluating-ports.txt", "netstat"],
];
const load = (path: string) => readFileSync(new URL(`../../fixtures/captures/${path}`, import.meta.url), "utf8").split("\n");

/** One mutation of a capture line: cut, collapse spacing, shuffle columns, or add binary noise. */
const mutation = fc.oneof(
  fc.nat(200).map((at) => (line: string) => line.slice(0, at)),
  fc.constant((line: string) => line.replace(/\s+/g, " ")),
  fc.constant((line: string) => line.split(/\s+/).reverse().join(" ")),
  fc.tuple(fc.nat(200), fc.string({ unit: "binary", maxLength: 8 })).map(([at, noise]) => (line: string) => line.slice(0, at) + noise + line.slice(at)),
  fc.string({ unit: "binary", maxLength: 60 }).map((junk) => () => junk),
);

describe("capture readers under damage", () => {
  for (const [path, format] of fixtures) {
    it(`${format} reader never throws on mutated lines of ${path}, and every untouched line still reads as before`, () => {
      const lines = load(path);
      const clean = parseCapture(lines.join("\n"), { source: path, servicePort, format });
      fc.assert(fc.property(fc.array(fc.tuple(fc.nat(lines.length - 1), mutation), { maxLength: 6 }), (edits) => {
        const damaged = [...lines];
        const touched = new Set<number>();
        for (const [i, f] of edits) { damaged[i] = f(damaged[i] ?? ""); touched.add(i + 1); }
        const reader = captureReader(format, { source: path, servicePort });
        damaged.forEach((l, i) => reader.line(l, i + 1));
        const r = reader.finish();
        // Sockets from untouched lines are all still there (a damaged line may turn into a problem, never take others with it).
        const key = (s: { proto: string; local: { address: string; port: number }; remote: { port: number } | null; state: string }) => `${s.proto} ${s.local.address}:${s.local.port} ${s.remote?.port ?? "*"} ${s.state}`;
        const got = new Set(r.records.map(key));
        const lineOf = new Map<string, number>();
        const cleanReader = captureReader(format, { source: path, servicePort });
        lines.forEach((l, i) => {
          const before = cleanReader.finish().records.length;
          cleanReader.line(l, i + 1);
          const after = cleanReader.finish().records;
          if (after.length > before) lineOf.set(key(after[after.length - 1]!), i + 1);
        });
        for (const s of clean.records) {
          const at = lineOf.get(key(s));
          if (at !== undefined && !touched.has(at) && !(format === "windows-netstat" && touched.has(at + 1))) assert.ok(got.has(key(s)), `lost ${key(s)}`);
        }
        // Each kept problem has its line; past KEPT_PROBLEMS, one closing summary (no line) counts the rest.
        for (const p of r.problems) assert.ok(p.omitted !== undefined ? p === r.problems[r.problems.length - 1] : p.line !== null && p.line >= 1 && p.line <= damaged.length);
      }), { numRuns: 150 });
    });
  }

  it("parseCapture never throws on arbitrary text, whatever format is forced", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), fc.constantFrom<CaptureFormat>("netstat", "ss", "lsof", "windows-netstat", "bsd-netstat", "portwatch-json"), (text, format) => {
      const r = parseCapture(text, { source: "fuzz", servicePort, format });
      assert.ok(Array.isArray(r.records) && Array.isArray(r.problems));
    }), { numRuns: 500 });
  });
});
