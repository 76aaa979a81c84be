// The owner cache's steady-host path (refreshOwners with the last look's inodes) must end in the state the
// full refresh ends in, for what can happen between two looks whose dumps are the same: a holder exits and
// another process (already known) turns out to hold its socket; a new process holds a socket and a
// non-inet one (a unix socket: held, but listed by no table); an orphan comes due again and is found.
// The fd tables are planted as a proc tree of symlinks ("socket:[inode]", as /proc/<pid>/fd shows them).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOwnerCache, fillOwnerCache, InodeList, refreshOwners, rememberLook, type OwnerCache } from "../../src/collect/owner-cache.js";
import type { Collection } from "../../src/collect/collection.js";
import type { Socket } from "../../src/model/socket.js";

/** A proc tree where each pid's fd table holds these socket inodes. */
function plantTree(root: string, tables: Record<number, number[]>): void {
  rmSync(root, { recursive: true, force: true });
  for (const [pid, inodes] of Object.entries(tables)) {
    mkdirSync(join(root, pid, "fd"), { recursive: true });
    inodes.forEach((inode, fd) => symlinkSync(`socket:[${inode}]`, join(root, pid, "fd", String(fd + 3))));
  }
}

const state = (c: OwnerCache) => ({
  holders: [...c.holders].sort((a, b) => a[0] - b[0]),
  byPid: [...c.byPid].map(([p, i]) => [p, [...i].sort()]).sort(),
  orphans: [...c.orphans].sort((a, b) => a[0] - b[0]),
  kept: [...c.kept].sort(),
});

describe("refreshOwners", () => {
  it("refreshOwners with the last look's inodes (a steady host) ends where the full refresh ends", () => {
    const root = mkdtempSync(join(tmpdir(), "pw-owner-cache-"));
    try {
      const listed = [11, 12, 13]; // the inodes the (unchanged) tables list
      plantTree(root, { 100: [11, 12], 200: [13] });
      const made = () => {
        const c = createOwnerCache();
        fillOwnerCache(c, [100, 200], new Map([[11, 100], [12, 100], [13, 200]]), (each) => listed.forEach(each));
        return c;
      };
      const full = made(), steady = made();
      // 200 exits; 100 turns out to hold its socket too (inherited); 300 starts with 12 and a unix socket (99).
      plantTree(root, { 100: [11, 12, 13], 300: [12, 99] });
      for (let look = 0; look < 3; look++) {
        refreshOwners(root, [100, 300], (each) => listed.forEach(each), full);
        refreshOwners(root, [100, 300], () => assert.fail("not asked for every inode"), steady, new InodeList(listed));
        assert.deepEqual(state(steady), state(full), `look ${look + 1}`);
      }
      assert.deepEqual(full.holders.get(13), 100, "the exited holder's socket is found with the process that still holds it");
      assert.equal(full.holders.has(99), false, "a socket no table lists is not kept");
      // An orphan (held by nobody we see) is looked for again when due, on both paths.
      listed.push(14);
      plantTree(root, { 100: [11, 12, 13], 300: [12, 99] });
      refreshOwners(root, [100, 300], (each) => listed.forEach(each), full);
      refreshOwners(root, [100, 300], (each) => listed.forEach(each), steady); // the dumps changed: a full refresh
      plantTree(root, { 100: [11, 12, 13], 300: [12, 99, 14] });
      for (let look = 0; look < 3; look++) {
        refreshOwners(root, [100, 300], (each) => listed.forEach(each), full);
        refreshOwners(root, [100, 300], () => assert.fail("not asked for every inode"), steady, new InodeList(listed));
        assert.deepEqual(state(steady), state(full), `look ${look + 4}`);
      }
      assert.equal(full.holders.get(14), 300, "the orphan's owner is found when it is due");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

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
