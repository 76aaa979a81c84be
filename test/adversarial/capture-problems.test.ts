// Issue 14: a capture reader kept every bad line in memory: each problem held a slice of its line (and,
// for a capture given as one string, of the whole input), and there was no limit to their number. Now a
// reader keeps the first KEPT_PROBLEMS problems, each with its own short copy of the line, and counts the rest.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { lineProblem } from "../../src/collect/parse/capture-common.js";
import { parseCapture } from "../../src/collect/parse/capture.js";
import { KEPT_PROBLEMS, ProblemList, problemTotal } from "../../src/model/problem.js";

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const dist = new URL("../../dist/collect/parse/capture.js", import.meta.url).href;
const HEADER = "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name";
const SOCKET = "tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      812/sshd";

describe("problems of a capture (adversarial)", () => {
  it("parseCapture keeps the first problems with their lines and one closing count of all the others, for every reader", () => {
    const bad = Array.from({ length: 5000 }, (_, i) => `tcp this is bad line ${i} of the capture`);
    for (const format of ["netstat", "ss", "lsof", "windows-netstat", "bsd-netstat", "portwatch-json"] as const) {
      const r = parseCapture([HEADER, ...bad, SOCKET].join("\n"), { format, source: "cap", servicePort: () => null });
      assert.ok(r.problems.length <= KEPT_PROBLEMS + 1, `${format}: ${r.problems.length} problems kept`);
      const last = r.problems[r.problems.length - 1];
      assert.equal(problemTotal(r.problems) >= 5000, true, format);
      assert.match(last?.reason ?? "", /^and \d+ more problems \(not kept\)$/, format);
      assert.equal(last?.line, null, format);
    }
  });

  it("ProblemList keeps at most 200 characters of a problem's line and 400 of its reason", () => {
    const list = new ProblemList("cap");
    list.push(lineProblem("cap", 7, `  ${"x".repeat(5000)}  `, `cannot read "${"y".repeat(5000)}"`));
    const p = list.list()[0]!;
    assert.equal(p.text?.length, 200);
    assert.ok(p.text?.endsWith("..."));
    assert.equal(p.reason.length, 400);
  });

  it("parseCapture of a 30 MB string of bad lines keeps neither the string nor a problem per line alive", () => {
    // In a child with --expose-gc: the heap after the input is dropped, with the result still held.
    // (In functions, and a last RegExp on a small string: V8 keeps the subject of the last match alive.)
    const script = `const { parseCapture } = await import(${JSON.stringify(dist)});
      const make = () => "${HEADER}\\n" + Array.from({ length: 500_000 }, (_, i) => "tcp not a socket line but a rather long bad line " + i).join("\\n");
      const read = () => parseCapture(make(), { format: "netstat", source: "cap", servicePort: () => null });
      const r = read();
      /x/.exec("x"); globalThis.gc(); globalThis.gc();
      console.log(JSON.stringify({ heap: process.memoryUsage().heapUsed, kept: r.problems.length }));`;
    const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const { heap, kept } = JSON.parse(run.stdout) as { heap: number; kept: number };
    assert.equal(kept, KEPT_PROBLEMS + 1);
    assert.ok(heap < 16 << 20, `heap ${(heap / 2 ** 20).toFixed(1)} MiB after the input was dropped`);
  });

  it("portwatch --from - counts every bad line in its closing warning although it keeps only the first", () => {
    const input = [HEADER, ...Array.from({ length: 3000 }, (_, i) => `tcp bad ${i}`), SOCKET, ""].join("\n");
    const r = spawnSync(main, ["--from", "-", "--format", "netstat", "--json"], { input, encoding: "utf8", timeout: 60_000 });
    const warnings = (JSON.parse(r.stdout) as { warnings: string[] }).warnings;
    assert.equal(warnings.filter((w) => w.startsWith("Skipped a line: ")).length, 50);
    assert.ok(warnings.includes("... and 2950 more lines that are not sockets"), warnings.slice(-3).join("\n"));
  });
});
