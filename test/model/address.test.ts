import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ADDRESS_PATTERN, addressProblem } from "../../src/model/address.js";

describe("addressProblem", () => {
  const good = ["127.0.0.1", "255.255.255.255", "0.0.0.0", "::", "::1", "::ffff:10.0.0.5", "fe80::aede:48ff:", "*", "tc-in-f19.google.co", "DESKTOP-ON7BJGL", "a".repeat(255)];
  for (const a of good) it(`addressProblem accepts ${JSON.stringify(a.slice(0, 30))}`, () => assert.equal(addressProblem(a), null));
  const bad: [string, RegExp][] = [
    ["999.1.1.1", /not an IPv4 address/], ["01.2.3.4", /not an IPv4 address/], ["", /empty/], ["a".repeat(256), /longer than 255/],
    ["a b", /not a host name/], ["moc.\u202eevil", /not a host name/], ["x\u001b[2J", /not a host name/], ["evil:host", /not an IPv6 address/],
  ];
  for (const [a, why] of bad) it(`addressProblem refuses ${JSON.stringify(a.slice(0, 30))}: ${why.source}`, () => assert.match(addressProblem(a) ?? "", why));
  it("addressProblem and ADDRESS_PATTERN agree on any text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 30 }), fc.ipV4(), fc.ipV6(), fc.domain()), (t) => {
      assert.equal(addressProblem(t) === null, ADDRESS_PATTERN.test(t));
    }), { numRuns: 2000, seed: 14 });
  });
  it("addressProblem accepts every IPv4 and IPv6 address", () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (a) => assert.equal(addressProblem(a), null)), { numRuns: 2000, seed: 14 });
  });
});
