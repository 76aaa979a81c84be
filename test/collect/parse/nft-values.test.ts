import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { addressRangeText, addressText, intervals, type NftElement } from "../../../src/collect/parse/nft-values.js";

const v6 = (groups: number[]): Uint8Array => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 255]));
const v4 = (s: string): Uint8Array => Uint8Array.from(s.split(".").map(Number));
const port = (p: number): Uint8Array => Uint8Array.from([p >> 8, p & 255]);

describe("addressText", () => {
  // what glibc's inet_ntop (and so nft) writes for each
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0], "::"], [[0, 0, 0, 0, 0, 0, 0, 1], "::1"], [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], "2001:db8::1"],
    [[0, 0, 0, 0, 0, 0xffff, 0x0a00, 1], "::ffff:10.0.0.1"], [[0, 0, 0, 0, 0, 0, 0x0102, 0x0304], "::1.2.3.4"],
    [[1, 0, 0, 1, 0, 0, 0, 1], "1:0:0:1::1"], [[1, 0, 0, 1, 0, 0, 1, 1], "1::1:0:0:1:1"], [[0xfd00, 0, 0, 0, 0, 0, 0, 0], "fd00::"],
    [[1, 0, 2, 0, 3, 0, 4, 0], "1:0:2:0:3:0:4:0"], [[0xfe80, 0, 0, 0, 0, 0, 0, 0xff], "fe80::ff"],
  ];
  for (const [groups, text] of cases) it(`addressText writes ${text} as inet_ntop does`, () => assert.equal(addressText(v6(groups)), text));
  it("addressText writes IPv4 dotted", () => assert.equal(addressText(v4("192.0.2.1")), "192.0.2.1"));
});

describe("addressRangeText", () => {
  it("addressRangeText names a range that is a prefix as the prefix, one address alone, others as first-last", () => {
    assert.equal(addressRangeText(v4("1.2.3.0"), v4("1.2.3.255")), "1.2.3.0/24");
    assert.equal(addressRangeText(v4("10.0.0.1"), v4("10.0.0.1")), "10.0.0.1");
    assert.equal(addressRangeText(v4("10.0.0.1"), v4("10.0.0.5")), "10.0.0.1-10.0.0.5");
    assert.equal(addressRangeText(v4("10.0.0.0"), v4("10.0.1.255")), "10.0.0.0/23");
    assert.equal(addressRangeText(v4("10.0.1.0"), v4("10.0.2.255")), "10.0.1.0-10.0.2.255", "the size of a prefix but not aligned to one");
  });
});

describe("intervals", () => {
  const start = (key: Uint8Array): NftElement => ({ key, keyEnd: null, flags: 0 });
  const end = (key: Uint8Array): NftElement => ({ key, keyEnd: null, flags: 1 });
  it("intervals pairs each start with the end element after it, in any order the kernel dumps them, skipping the end marker at 0", () => {
    // as the kernel dumped the set { 22, 1000-2000, 65000-65535 } (test/fixtures/nft-netlink/mixed: set pr)
    const got = intervals([start(port(65000)), end(port(2001)), start(port(1000)), end(port(23)), start(port(22)), end(port(0))]);
    assert.deepEqual(got.map((v) => (v.kind === "value" ? [v.data[0]! * 256 + v.data[1]!] : [v.from[0]! * 256 + v.from[1]!, v.to[0]! * 256 + v.to[1]!])), [[22], [1000, 2000], [65000, 65535]]);
  });
  it("intervals ends a range at an end element before a start element of the same key (adjacent ranges)", () => {
    const got = intervals([start(v4("10.0.0.0")), end(v4("10.0.0.128")), start(v4("10.0.0.128")), end(v4("10.0.1.0"))]);
    assert.deepEqual(got.map((v) => (v.kind === "range" ? addressRangeText(v.from, v.to) : "")), ["10.0.0.0/25", "10.0.0.128/25"]);
  });
  it("intervals takes an element with a key end (NFTA_SET_ELEM_KEY_END) as one inclusive range", () => {
    assert.deepEqual(intervals([{ key: port(5), keyEnd: port(9), flags: 0 }]), [{ kind: "range", from: port(5), to: port(9) }]);
  });
});
