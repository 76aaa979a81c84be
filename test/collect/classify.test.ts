import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classify, isListening } from "../../src/collect/classify.js";
import type { Endpoint, Proto, Socket, SocketState } from "../../src/model/socket.js";

function sock(proto: Proto, local: Endpoint, remote: Endpoint | null, state: SocketState, netns = 1): Socket {
  return {
    proto, family: local.address.includes(":") ? 6 : 4, local, remote, state, direction: "unknown", exposure: null, netns, inode: 1, uid: 0,
    service: null, process: null, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
  };
}
const ep = (address: string, port: number): Endpoint => ({ address, port });

describe("classify", () => {
  const cases: [string, Socket[], [string, string | null][]][] = [
    ["a TCP listener on loopback and its accepted connection",
      [sock("tcp", ep("127.0.0.1", 631), null, "LISTEN"), sock("tcp", ep("127.0.0.1", 631), ep("127.0.0.1", 50000), "ESTABLISHED")],
      [["listening", "loopback"], ["inbound", null]]],
    ["an outbound connection whose local port no one listens on",
      [sock("tcp", ep("192.0.2.2", 50000), ep("142.250.1.1", 443), "ESTABLISHED")], [["outbound", null]]],
    ["a v4 connection accepted by a v6 wildcard listener (v4-mapped)",
      [sock("tcp", ep("::", 22), null, "LISTEN"), sock("tcp", ep("::ffff:192.0.2.2", 22), ep("::ffff:198.51.100.7", 40000), "ESTABLISHED")],
      [["listening", "all-interfaces"], ["inbound", null]]],
    ["a listener on one interface address does not make another address's port inbound",
      [sock("tcp", ep("192.0.2.2", 8080), null, "LISTEN"), sock("tcp", ep("10.0.0.2", 8080), ep("10.0.0.9", 80), "ESTABLISHED")],
      [["listening", "interface"], ["outbound", null]]],
    ["unconnected UDP bound to a port listens; a connected UDP flow is outbound",
      [sock("udp", ep("0.0.0.0", 5353), null, "UNCONN"), sock("udp", ep("192.0.2.2", 42088), ep("192.0.2.53", 53), "ESTABLISHED")],
      [["listening", "all-interfaces"], ["outbound", null]]],
    ["a listener in another namespace is in a container, and does not make host sockets inbound",
      [sock("tcp", ep("0.0.0.0", 80), null, "LISTEN", 2), sock("tcp", ep("192.0.2.2", 80), ep("192.0.2.9", 1234), "ESTABLISHED", 1)],
      [["listening", "container"], ["outbound", null]]],
    ["TIME_WAIT of a served connection is inbound; a TCP socket bound but not listening is unknown",
      [sock("tcp", ep("127.0.0.1", 8099), null, "LISTEN"), sock("tcp", ep("127.0.0.1", 8099), ep("127.0.0.1", 59104), "TIME_WAIT"), sock("tcp", ep("0.0.0.0", 0), null, "CLOSE")],
      [["listening", "loopback"], ["inbound", null], ["unknown", null]]],
    ["a raw ICMP socket listens", [sock("raw", ep("0.0.0.0", 1), null, "UNCONN")], [["listening", "all-interfaces"]]],
  ];
  for (const [what, sockets, want] of cases) {
    it(`classify: ${what}`, () => {
      classify(sockets, 1);
      assert.deepEqual(sockets.map((s) => [s.direction, s.exposure]), want);
    });
  }

  it("isListening is false for an unbound UDP socket (port 0)", () => {
    assert.equal(isListening(sock("udp", ep("0.0.0.0", 0), null, "UNCONN")), false);
  });
});
