import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createCollectSession, dumpsDigest, type Dumps } from "../../src/collect/netlink-dumps.js";
import { createOwnerCache } from "../../src/collect/linux.js";

const dumps = (over: Partial<Dumps> = {}): Dumps => ({
  tcp: Buffer.from([1, 2, 3]), tcp6: new Uint8Array(0), udp: Buffer.from([4]), udp6: Buffer.from([5, 6]), raw: "raw line\n", raw6: "", ...over,
});

describe("dumpsDigest", () => {
  const cases: [string, Dumps, boolean][] = [
    ["equal bytes in other buffers", dumps({ tcp: new Uint8Array([1, 2, 3]) }), true],
    ["a view into a larger buffer with the same bytes", dumps({ udp6: Buffer.from([0, 5, 6, 7]).subarray(1, 3) }), true],
    ["one byte of tcp changed", dumps({ tcp: Buffer.from([1, 2, 4]) }), false],
    ["tcp6 no longer empty", dumps({ tcp6: Buffer.from([9]) }), false],
    ["udp shorter", dumps({ udp: Buffer.alloc(0) }), false],
    ["udp6 changed", dumps({ udp6: Buffer.from([5, 7]) }), false],
    ["raw text changed", dumps({ raw: "raw line 2\n" }), false],
    ["raw6 text appeared", dumps({ raw6: "x\n" }), false],
    ["bytes moved from one table to the next", dumps({ tcp: Buffer.from([1, 2]), tcp6: Buffer.from([3]) }), false],
    ["text moved from raw to raw6", dumps({ raw: "raw ", raw6: "line\n" }), false],
  ];
  for (const [what, other, same] of cases) {
    it(`dumpsDigest is ${same ? "the same" : "another"} when ${what}`, () => {
      assert.equal(dumpsDigest(dumps()) === dumpsDigest(other), same);
    });
  }
});

describe("createCollectSession", () => {
  it("createCollectSession starts by trying the one-walk TCP dump, and every owner cache has a session of its own", () => {
    assert.deepEqual(createCollectSession(), { tcpOfBothFamilies: true });
    const a = createOwnerCache(), b = createOwnerCache();
    a.session.tcpOfBothFamilies = false;
    assert.equal(b.session.tcpOfBothFamilies, true);
  });
});
