import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { addHolder, attribute, InodeTable } from "../../src/collect/attribute.js";
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
});
