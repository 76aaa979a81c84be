// The owner cache's memory between looks: the last look's inodes as one typed array, and in a lean cache
// (a watcher without its terminal view) none of its sockets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createOwnerCache, InodeList, rememberLook } from "../../src/collect/owner-cache.js";
import type { Collection } from "../../src/collect/collection.js";
import type { Socket } from "../../src/model/socket.js";

describe("InodeList", () => {
  it("InodeList knows the inodes it was given, large ones too, and leaves out 0", () => {
    const list = new InodeList([5, 3, 0, 4_294_967_296, 9]);
    assert.deepEqual([3, 5, 9, 4_294_967_296].map((i) => list.has(i)), [true, true, true, true]);
    assert.deepEqual([0, 4, 10, 4_294_967_295].map((i) => list.has(i)), [false, false, false, false]);
    const seen: number[] = [];
    list.forEach((i) => seen.push(i));
    assert.deepEqual(seen, [3, 5, 9, 4_294_967_296]);
  });
});

describe("rememberLook", () => {
  const collection = (inodes: (number | null)[]): Collection => ({
    sockets: inodes.map((inode) => ({ inode }) as Socket), hostname: "h", hostNetns: 1, problems: [], warnings: [], readVia: new Map(), hiding: { processes: [], emptyNamespaces: [] },
  });
  const dumps = new Map([[null, { tcp: new Uint8Array(), tcp6: new Uint8Array(), udp: new Uint8Array(), udp6: new Uint8Array(), raw: "", raw6: "" }]]);

  it("rememberLook in a lean cache keeps the look's inodes but none of its sockets", () => {
    const lean = createOwnerCache(true);
    rememberLook(lean, dumps, 1, collection([7, null, 3]));
    assert.deepEqual(lean.previous?.collection.sockets, []);
    assert.deepEqual([3, 7, 5].map((i) => lean.previous?.inodes.has(i)), [true, true, false]);
    const kept = createOwnerCache();
    const c = collection([7]);
    rememberLook(kept, dumps, 1, c);
    assert.equal(kept.previous?.collection.sockets, c.sockets, "a cache that is not lean hands the same sockets back");
  });
});
