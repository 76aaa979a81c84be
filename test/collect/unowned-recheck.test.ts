import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { closedDuringScan, detailsKnown, dropClosed, takeListeners, unownedListeners, type ListenerSource } from "../../src/collect/unowned-recheck.js";
import { netlinkListeners } from "../../src/collect/hidden-listeners.js";
import type { Socket } from "../../src/model/socket.js";

const sock = (proto: "tcp" | "udp" | "raw", port: number, state: string, inode: number, remote: Socket["remote"] = null): Socket => ({
  proto, family: 4, local: { address: "0.0.0.0", port }, remote, state, inode, netns: 1, uid: 0, process: null, sharedWith: [],
  direction: "unknown", exposure: null, service: null, verdict: "unknown", reasons: [], explanation: "",
} as unknown as Socket);

const source = (netns: number, made: Socket[]): ListenerSource => ({ netns, netlink: null, made });

describe("unowned listeners of a one-off look", () => {
  it("unownedListeners lists the TCP and UDP listeners whose inode no fd table holds, by source, and no connection, raw socket or skipped inode", () => {
    const a = source(1, [sock("tcp", 80, "LISTEN", 10), sock("tcp", 81, "LISTEN", 11), sock("tcp", 5000, "ESTABLISHED", 12, { address: "1.2.3.4", port: 9 }), sock("raw", 0, "UNCONN", 13), sock("udp", 53, "UNCONN", 14), sock("tcp", 82, "LISTEN", 15)]);
    const b = source(2, [sock("tcp", 80, "LISTEN", 20)]);
    const held = new Map<number, number>([[11, 100], [20, 200]]);
    const unowned = unownedListeners([a, b], held, new Set([15]));
    assert.deepEqual([...unowned.entries()], [[a, [10, 14]]]);
  });

  it("detailsKnown makes unownedListeners list only the listeners whose holders all exited before their details were read", () => {
    const a = source(1, [sock("tcp", 80, "LISTEN", 10), sock("tcp", 81, "LISTEN", 11), sock("tcp", 82, "LISTEN", 12), sock("udp", 53, "UNCONN", 13)]);
    const held = new Map<number, number | number[]>([[10, 100], [11, 101], [13, [102, 103]]]);
    const details = new Map<number, unknown>([[100, {}], [103, {}]]);
    assert.deepEqual([...unownedListeners([a], detailsKnown(held, details)).values()], [[11]]);
  });

  it("closedDuringScan names the unowned listeners a fresh read of their namespace no longer lists, and keeps those of a namespace it could not read", () => {
    const unowned = new Map<string, number[]>([["ns1", [10, 14]], ["ns2", [30]], ["gone-ns", [40]]]);
    const fresh: Record<string, Set<number> | null> = { ns1: new Set([14, 99]), ns2: new Set([30]), "gone-ns": null };
    assert.deepEqual([...closedDuringScan(unowned, (ns) => fresh[ns] ?? null)], [10]);
  });

  it("dropClosed removes the closed listeners in place from an index on and keeps the order of the rest", () => {
    const list = [sock("tcp", 1, "LISTEN", 1), sock("tcp", 2, "LISTEN", 2), sock("tcp", 3, "LISTEN", 3), sock("tcp", 4, "LISTEN", 4)];
    dropClosed(list, new Set([1, 3]), 1);
    assert.deepEqual(list.map((s) => s.inode), [1, 2, 4]);
  });

  it("takeListeners hands the listeners unownedListeners decoded from a captured dump to the join once, then decodes them afresh", () => {
    const dir = new URL("../fixtures/sock-diag/debian12/", import.meta.url).pathname;
    const netlink = { tcp: readFileSync(`${dir}tcp.bin`), tcp6: readFileSync(`${dir}tcp6.bin`), udp: readFileSync(`${dir}udp.bin`), udp6: readFileSync(`${dir}udp6.bin`) };
    const src: ListenerSource = { netns: 7, netlink, made: [] };
    const unowned = unownedListeners([src], new Map());
    const expected = netlinkListeners(netlink, 7);
    assert.ok(expected.length > 0);
    assert.deepEqual((unowned.get(src) ?? []).sort(), expected.filter((s) => s.proto !== "raw").map((s) => s.inode).sort());
    const first = takeListeners(src);
    assert.deepEqual(first, expected);
    first[0]!.verdict = "suspicious"; // the join fills them in ...
    const second = takeListeners(src); // ... so a second taker gets its own
    assert.deepEqual(second, expected);
    assert.notEqual(second[0], first[0]);
    assert.deepEqual(takeListeners({ netns: 7, netlink: null, made: [] }), []);
  });
});
