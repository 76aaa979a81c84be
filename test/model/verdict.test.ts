import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compareVerdicts, VERDICT_RANK, VERDICTS, verdictCounts, type Verdict } from "../../src/model/verdict.js";

describe("compareVerdicts", () => {
  const cases: [Verdict, Verdict, "<" | "=" | ">"][] = [
    ["expected", "unknown", "<"], ["unknown", "suspicious", "<"], ["expected", "suspicious", "<"],
    ["suspicious", "expected", ">"], ["unknown", "expected", ">"], ["suspicious", "unknown", ">"],
    ["expected", "expected", "="], ["unknown", "unknown", "="], ["suspicious", "suspicious", "="],
  ];
  for (const [a, b, want] of cases) {
    it(`compareVerdicts(${a}, ${b}) is ${want} 0`, () => {
      const c = compareVerdicts(a, b);
      assert.equal(c < 0 ? "<" : c > 0 ? ">" : "=", want);
    });
  }
  it("compareVerdicts sorts best first, and reversed worst first", () => {
    const mixed: Verdict[] = ["unknown", "suspicious", "expected", "unknown"];
    assert.deepEqual([...mixed].sort(compareVerdicts), ["expected", "unknown", "unknown", "suspicious"]);
    assert.deepEqual([...mixed].sort((a, b) => compareVerdicts(b, a)), ["suspicious", "unknown", "unknown", "expected"]);
  });
});

describe("VERDICT_RANK", () => {
  it("VERDICT_RANK is each verdict's position in VERDICTS, and cannot be changed", () => {
    assert.deepEqual(VERDICT_RANK, { expected: 0, unknown: 1, suspicious: 2 });
    assert.deepEqual(VERDICTS.map((v) => VERDICT_RANK[v]), [0, 1, 2]);
    assert.throws(() => { (VERDICT_RANK as Record<string, number>)["expected"] = 5; }, TypeError);
  });
});

describe("verdictCounts", () => {
  it("verdictCounts is a fresh zero count per verdict, in the JSON summary's key order", () => {
    const a = verdictCounts();
    assert.equal(JSON.stringify(a), '{"expected":0,"unknown":0,"suspicious":0}');
    a.unknown++;
    assert.equal(verdictCounts().unknown, 0);
  });
});
