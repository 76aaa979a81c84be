import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { count, thousands } from "../../src/model/words.js";

describe("words", () => {
  it("thousands writes a whole number as toLocaleString(\"en\") does, for any safe integer", () => {
    fc.assert(fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: -1_000_000, max: 1_000_000 })), (n) => {
      assert.equal(thousands(n), n.toLocaleString("en"));
    }), { numRuns: 500 });
    for (const n of [0, 999, 1000, 210_061, -1234567]) assert.equal(thousands(n), n.toLocaleString("en"));
  });

  it("count gives the noun in the right number", () => {
    assert.equal(count(1, "socket"), "1 socket");
    assert.equal(count(2, "socket"), "2 sockets");
    assert.equal(count(0, "process", "processes"), "0 processes");
  });
});
