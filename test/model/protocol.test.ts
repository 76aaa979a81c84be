import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { portKey, PROTO_INDEX, protoLabel } from "../../src/model/protocol.js";
import { PROTOS, type Family, type Proto } from "../../src/model/socket.js";

describe("protoLabel", () => {
  const cases: [Proto, Family, string][] = [
    ["tcp", 4, "tcp"], ["tcp", 6, "tcp6"], ["udp", 4, "udp"], ["udp", 6, "udp6"], ["raw", 4, "raw"], ["raw", 6, "raw6"],
  ];
  for (const [proto, family, want] of cases) it(`protoLabel(${proto}, ${family}) is ${want}`, () => assert.equal(protoLabel(proto, family), want));
});

describe("PROTO_INDEX", () => {
  it("PROTO_INDEX numbers the protocols 0 to 2 in PROTOS' order (two bits)", () => {
    assert.deepEqual(PROTOS.map((p) => PROTO_INDEX[p]), [0, 1, 2]);
  });
});

describe("portKey", () => {
  it("portKey gives every port and protocol its own number", () => {
    const seen = new Set<number>();
    for (const proto of PROTOS) for (let port = 0; port <= 65535; port++) seen.add(portKey(port, proto));
    assert.equal(seen.size, 65536 * PROTOS.length);
  });
  const cases: [number, Proto, number][] = [[0, "tcp", 0], [0, "udp", 1], [0, "raw", 2], [1, "tcp", 4], [65535, "raw", 262142]];
  for (const [port, proto, want] of cases) it(`portKey(${port}, ${proto}) is ${want}`, () => assert.equal(portKey(port, proto), want));
});
