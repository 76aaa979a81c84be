import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { shellQuote } from "../../src/model/shell-quote.js";

describe("shellQuote", () => {
  const cases: [string, string, string][] = [
    ["a plain path bare", "/usr/sbin/cupsd", "/usr/sbin/cupsd"],
    ["a path with a command after a semicolon in single quotes", "/tmp/x;touch /tmp/pwned", "'/tmp/x;touch /tmp/pwned'"],
    ["a single quote as '\\''", "/tmp/it's", "'/tmp/it'\\''s'"],
    ["a command substitution in single quotes", "/tmp/$(id)`id`", "'/tmp/$(id)`id`'"],
    ["an empty value as ''", "", "''"],
  ];
  for (const [what, value, want] of cases) it(`shellQuote writes ${what}`, () => assert.equal(shellQuote(value), want));

  it("shellQuote gives a word that sh reads back as the value, whatever it holds", () => {
    // sh itself is the judge: printf prints the one argument the quoted word became.
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\u0000")), (value) => {
      const out = execFileSync("sh", ["-c", `printf '%s' ${shellQuote(value)}`], { encoding: "utf8" });
      assert.equal(out, Buffer.from(value, "utf8").toString("utf8"));
    }), { numRuns: 150, seed: 14 });
  });
});
