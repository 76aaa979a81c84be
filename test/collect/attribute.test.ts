import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { addHolder, attribute, heldByExactly, holderPids, inodeSlot, InodeTable } from "../../src/collect/attribute.js";
import { holderDetails } from "../../src/model/holders.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";

const proc = (pid: number, name: string): ProcessInfo => ({ pid, name, exe: null, exeDeleted: false, cmdline: [], uid: 0, user: "root", containerId: null, netns: 1 });
const sock = (inode: number | null): Socket => ({
  proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 80 }, remote: null, state: "LISTEN", direction: "unknown", exposure: null,
  netns: 1, inode, uid: 0, service: null, process: null, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
});

describe("attribute", () => {
  it("attribute gives a socket its holder, names every holder of a shared socket, and counts the unowned", () => {
    const holders = new Map<number, number | number[]>();
    addHolder(holders, 100, 813);
    addHolder(holders, 100, 812);
    addHolder(holders, 100, 812); // the same pid twice (two fds) is one holder
    addHolder(holders, 200, 900);
    const processes = new Map([[812, proc(812, "nginx")], [813, proc(813, "nginx")], [900, proc(900, "sshd")]]);
    const sockets = [sock(100), sock(200), sock(300), sock(0), sock(null)];
    const unowned = attribute(sockets, { holders, processes });
    assert.equal(unowned, 1); // inode 300; inode 0 (TIME_WAIT) and unknown inodes have no owner to find
    assert.equal(sockets[0]!.process?.pid, 812);
    assert.deepEqual(sockets[0]!.sharedWith, [{ pid: 813, name: "nginx" }]);
    assert.equal(sockets[1]!.process?.name, "sshd");
    assert.deepEqual(sockets[1]!.sharedWith, []);
    assert.equal(sockets[2]!.process, null);
  });

  // [what, holders as [pid, name, parent pid], owner pid, shared pids]: the eldest holder is `process`, whatever the pids.
  const family: [string, [number, string, number][], number, number[]][] = [
    ["a parent and the shell it started: the parent", [[812, "python3", 1], [813, "sh", 812]], 812, [813]],
    ["the same, pids the other way round (wrapped): still the parent", [[813, "python3", 1], [812, "sh", 813]], 813, [812]],
    ["a forked server and two workers", [[900, "nginx", 1], [902, "nginx", 900], [901, "nginx", 900]], 900, [901, 902]],
    ["a grandchild below a child", [[50, "sh", 60], [60, "python3", 70], [70, "socat", 1]], 70, [50, 60]],
    ["two unrelated processes (a passed descriptor): the lowest pid", [[700, "a", 1], [600, "b", 1]], 600, [700]],
  ];
  for (const [what, rows, owner, shared] of family) {
    it(`attribute picks the eldest holder of a shared socket: ${what}`, () => {
      const processes = new Map(rows.map(([pid, name, parent]) => {
        const ancestry = [];
        for (let p = parent; p > 0; p = rows.find((r) => r[0] === p)?.[2] ?? 0) ancestry.push({ pid: p, name: null, exe: null, uid: 0 });
        return [pid, { ...proc(pid, name), ancestry }] as const;
      }));
      const holders = new Map<number, number | number[]>();
      for (const [pid] of rows) addHolder(holders, 100, pid);
      const sockets = [sock(100)];
      attribute(sockets, { holders, processes });
      assert.equal(sockets[0]!.process?.pid, owner);
      assert.deepEqual(sockets[0]!.sharedWith, shared.map((pid) => ({ pid, name: processes.get(pid)!.name })));
      // Each entry stays {pid, name} (the JSON), with the holder's full details beside it.
      for (const h of sockets[0]!.sharedWith) assert.equal(holderDetails(h), processes.get(h.pid));
    });
  }

  it("attribute gives a holder whose details are gone a bare entry", () => {
    const holders = new Map<number, number | number[]>([[5, [10, 11]]]);
    const sockets = [sock(5)];
    attribute(sockets, { holders, processes: new Map([[10, proc(10, "a")]]) });
    assert.deepEqual(sockets[0]!.sharedWith, [{ pid: 11, name: null }]);
    assert.equal(holderDetails(sockets[0]!.sharedWith[0]!), null);
  });

  it("attribute leaves the process null when the holder exited before its details were read", () => {
    const sockets = [sock(5)];
    assert.equal(attribute(sockets, { holders: new Map([[5, 77]]), processes: new Map() }), 0);
    assert.equal(sockets[0]!.process, null);
  });
});

describe("InodeTable", () => {
  it("InodeTable answers like a Map filled by addHolder, for any inodes and pids (shared sockets, repeats, growth, 64-bit inodes)", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.constant(2 ** 40 + 3)), fc.integer({ min: 1, max: 40 })), { maxLength: 3000 }),
      (pairs) => {
        const table = new InodeTable(8);
        const map = new Map<number, number | number[]>();
        for (const [inode, pid] of pairs) { table.add(inode, pid); addHolder(map, inode, pid); }
        for (const [inode] of pairs) assert.deepEqual(table.get(inode), map.get(inode));
        assert.equal(table.get(987_654_321_0), map.get(987_654_321_0));
        assert.equal(table.has(0), false);
        const norm = (vs: Iterable<number | number[]>) => [...vs].map((v) => JSON.stringify(v)).sort();
        assert.deepEqual(norm(table.values()), norm(map.values()));
      },
    ), { numRuns: 60 });
  });

  it("InodeTable answers like a Map for inodes in runs, as the kernel numbers sockets (whole runs, runs with gaps, runs a table size apart)", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 32 - 70_000 }), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 6 }),
      (runs) => {
        const table = new InodeTable(8);
        const map = new Map<number, number | number[]>();
        for (const [from, length, step, pid] of runs) {
          for (let k = 0; k < length; k++) { table.add(from + k * step, pid); addHolder(map, from + k * step, pid); }
          // the same run a table's size further on: the same low bits
          table.add(from + 65_536, pid); addHolder(map, from + 65_536, pid);
        }
        for (const [inode, held] of map) assert.deepEqual(table.get(inode), held);
        for (const [from, , step] of runs) if (step > 1 && !map.has(from + 1)) assert.equal(table.get(from + 1), undefined);
        assert.deepEqual([...holderPids(table)].sort((a, b) => a - b), [...holderPids(map)].sort((a, b) => a - b));
      },
    ), { numRuns: 40 });
  });

  it("inodeSlot keeps an aligned run of 64 inodes in order in neighbouring slots and stays inside the table", () => {
    const mask = 1023;
    const first = inodeSlot(106_540_608, mask);
    for (let k = 0; k < 64; k++) assert.equal(inodeSlot(106_540_608 + k, mask), (first + k) & mask);
    for (const inode of [1, 63, 64, 2 ** 31, 2 ** 32 - 1]) {
      const slot = inodeSlot(inode, mask);
      assert.ok(slot >= 0 && slot <= mask, `${inode} -> ${slot}`);
    }
  });

  it("holderPids names every pid once, shared sockets' holders too, from a table or a Map", () => {
    const table = new InodeTable(8);
    const map = new Map<number, number | number[]>();
    for (const [inode, pid] of [[10, 5], [11, 5], [12, 7], [12, 8], [2 ** 40, 9]] as const) { table.add(inode, pid); addHolder(map, inode, pid); }
    assert.deepEqual([...holderPids(table)].sort((a, b) => a - b), [5, 7, 8, 9]);
    assert.deepEqual([...holderPids(map)].sort((a, b) => a - b), [5, 7, 8, 9]);
    assert.equal(holderPids(new InodeTable()).size, 0);
  });

  it("heldByExactly says whether the holders' pids are exactly the given ones (the details read in the re-check's pause still serve)", () => {
    const table = new InodeTable(8);
    table.add(10, 5); table.add(11, 7); table.add(11, 8);
    assert.equal(heldByExactly(table, new Set([5, 7, 8])), true);
    assert.equal(heldByExactly(table, new Set([5, 7])), false); // a holder found later
    assert.equal(heldByExactly(table, new Set([5, 7, 8, 9])), false); // one gone
    assert.equal(heldByExactly(table, new Set([5, 7, 9])), false);
  });
});
