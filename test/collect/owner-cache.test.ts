// The owner cache's memory between looks: the last look's inodes as one typed array, and in a lean cache
// (a watcher without its terminal view) none of its sockets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProcessInfo } from "../../src/model/process.js";
import { createOwnerCache, GLANCES_AT_MOST, glancesAfterFullComparison, InodeList, lastLookAgain, readAgainInFull, refreshOwners, rememberLook } from "../../src/collect/owner-cache.js";
import { listPids } from "../../src/collect/namespaces.js";
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
    const typed = new InodeList(Float64Array.from([9, 0, 4_294_967_296, 0, 3, 5]));
    const again: number[] = [];
    typed.forEach((i) => again.push(i));
    assert.deepEqual(again, [3, 5, 9, 4_294_967_296], "a Float64Array (a look in parts fills one): sorted, its zeros left out");
    assert.deepEqual([0, 4, 3].map((i) => typed.has(i)), [false, false, true]);
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

describe("refreshOwners", () => {
  const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname;
  const holder = (JSON.parse(readFileSync(join(tree, "CAPTURE.json"), "utf8")) as { host: { pid: number } }).host.pid;
  const heldBy = (pid: number) => readdirSync(join(tree, String(pid), "fd")).map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSync(join(tree, String(pid), "fd", fd)))?.[1]).filter((i) => i !== undefined).map(Number);
  /** Runs `test` on a copy of the captured tree it may change (`dir`: the holder's /proc/<pid>), removed afterwards. */
  function inCopyOfTree(test: (own: string, dir: string) => void): void {
    const own = mkdtempSync(join(tmpdir(), "pw-tree-"));
    cpSync(tree, own, { recursive: true, verbatimSymlinks: true });
    try {
      test(own, join(own, String(holder)));
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }

  it("lastLookAgain with glances like the last look's hands back its collection, and with others (or none kept) refreshes nothing", () => {
    inCopyOfTree((own) => {
      const cache = createOwnerCache(true);
      const pids = listPids(own);
      const inodes = heldBy(holder);
      refreshOwners(own, pids, (each) => inodes.forEach(each), cache);
      const dumps = new Map([[null, { tcp: new Uint8Array(), tcp6: new Uint8Array(), udp: new Uint8Array(), udp6: new Uint8Array(), raw: "", raw6: "" }]]);
      const collection: Collection = { sockets: [], hostname: "h", hostNetns: 1, problems: [], warnings: [], readVia: new Map(), hiding: { processes: [], emptyNamespaces: [] } };
      rememberLook(cache, dumps, 1, collection, inodes, new Map([[null, "glance-1"]]));
      const looks = cache.looks;
      assert.deepEqual(lastLookAgain(cache, own, pids, { glances: new Map([[null, "glance-2"]]) }), { refreshed: null }, "another glance");
      assert.deepEqual(lastLookAgain(cache, own, pids, { glances: new Map([[null, "glance-1"], [7, "x"]]) }), { refreshed: null }, "another namespace");
      assert.equal(cache.looks, looks, "no refresh for a glance that differs");
      const again = lastLookAgain(cache, own, pids, { glances: new Map([[null, "glance-1"]]) });
      assert.ok("unchanged" in again && again.unchanged.unchanged === true, "the same glance, the same owners");
      rememberLook(cache, dumps, 1, collection, inodes);
      assert.deepEqual(lastLookAgain(cache, own, pids, { glances: new Map([[null, "glance-1"]]) }), { refreshed: null }, "a look kept without a glance");
    });
  });

  it("refreshOwners finds the owner of a new socket in a process the look's pid listing missed (started after it)", () => {
    const inodes = heldBy(holder);
    assert.ok(inodes.length > 0, "the captured holder holds sockets");
    const cache = createOwnerCache();
    const listed = listPids(tree).filter((pid) => pid !== holder);
    refreshOwners(tree, listed, (each) => inodes.forEach(each), cache);
    assert.deepEqual(inodes.map((i) => cache.holders.get(i)), inodes.map(() => holder));
    assert.equal(cache.orphans.size, 0, "nothing is left without an owner");
  });

  it("refreshOwners on a steady host (the last look's inodes) walks none of them, yet keeps an exited holder's sockets for one look and finds them again when it is back", () => {
    inCopyOfTree((own, dir) => {
      const inodes = heldBy(holder);
      const cache = createOwnerCache(true);
      refreshOwners(own, listPids(own), (each) => inodes.forEach(each), cache);
      cache.processes.set(holder, { pid: holder, name: "node" } as ProcessInfo);
      const steady = new InodeList(inodes);
      const notWalked = () => { throw new Error("a steady refresh walked every listed inode"); };
      renameSync(dir, `${dir}.aside`); // the holder exited; the kernel still lists its sockets
      refreshOwners(own, listPids(own), notWalked, cache, steady);
      assert.deepEqual(inodes.map((i) => cache.holders.get(i)), inodes.map(() => holder), "kept for this look");
      assert.equal(cache.kept.size, inodes.length);
      renameSync(`${dir}.aside`, dir); // a new process with that pid holds them (as after a restart)
      refreshOwners(own, listPids(own), notWalked, cache, steady);
      assert.deepEqual(inodes.map((i) => cache.holders.get(i)), inodes.map(() => holder), "found in its fd table");
      assert.deepEqual([cache.kept.size, cache.orphans.size], [0, 0]);
    });
  });

  it("refreshOwners after readAgainInFull keeps the holders kept in that same look (a lean watcher's look that reads the host again), and the next look lets them go", () => {
    inCopyOfTree((own, dir) => {
      const inodes = heldBy(holder);
      const all = (each: (inode: number) => void) => inodes.forEach(each);
      const cache = createOwnerCache(true);
      refreshOwners(own, listPids(own), all, cache);
      cache.processes.set(holder, { pid: holder, name: "node" } as ProcessInfo);
      renameSync(dir, `${dir}.aside`); // the holder exited; the kernel still lists its sockets
      refreshOwners(own, listPids(own), all, cache);
      assert.equal(cache.kept.size, inodes.length, "kept for this look");
      readAgainInFull(cache); // the same look reads the host again (its firewall moved)
      refreshOwners(own, listPids(own), all, cache);
      assert.deepEqual(inodes.map((i) => cache.holders.get(i)), inodes.map(() => holder), "still this look's owner");
      refreshOwners(own, listPids(own), all, cache); // the next look
      assert.deepEqual(inodes.map((i) => cache.holders.get(i)), inodes.map(() => undefined), "one look only");
    });
  });
});

describe("glancesAfterFullComparison", () => {
  it("glancesAfterFullComparison draws 0 to GLANCES_AT_MOST looks, each as likely, and never more", () => {
    assert.deepEqual([0, 0.14, 0.15, 0.5, 0.86, 0.999999, 1].map((r) => glancesAfterFullComparison(() => r)), [0, 0, 1, 3, 6, GLANCES_AT_MOST, GLANCES_AT_MOST]);
    const seen = new Set(Array.from({ length: 2000 }, () => glancesAfterFullComparison()));
    assert.deepEqual([...seen].sort(), Array.from({ length: GLANCES_AT_MOST + 1 }, (_, i) => i), "Math.random by default: every count comes up");
  });
});
