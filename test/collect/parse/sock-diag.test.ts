import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeSockDiag, eachInode, inodesOf, RECORD_BYTES } from "../../../src/collect/parse/sock-diag.js";
import { parseProcNet } from "../../../src/collect/parse/proc-net.js";
import type { Family, Proto, Socket } from "../../../src/model/socket.js";

// Captured by scripts/capture-sock-diag.mjs: the native dump and the /proc/net text of one moment.
const dir = new URL("../../fixtures/sock-diag/debian12/", import.meta.url).pathname;
const TABLES: [string, Proto, Family][] = [["tcp", "tcp", 4], ["tcp6", "tcp", 6], ["udp", "udp", 4], ["udp6", "udp", 6]];
const key = (s: Socket) => JSON.stringify([s.proto, s.family, s.local, s.remote, s.state, s.inode, s.uid, s.netns]);

describe("decodeSockDiag", () => {
  for (const [file, proto, family] of TABLES) {
    it(`decodeSockDiag gives the same sockets as parseProcNet for the captured ${file} table`, () => {
      const records = readFileSync(`${dir}${file}.bin`);
      const fromDiag: Socket[] = [];
      assert.equal(decodeSockDiag(records, proto, 7, fromDiag), 0);
      const fromText = parseProcNet(readFileSync(`${dir}${file}.txt`, "latin1"), { proto, family, source: file, netns: 7 });
      assert.equal(fromText.problems.length, 0);
      assert.equal(fromDiag.length, records.length / RECORD_BYTES);
      assert.ok(fromDiag.length > 0);
      assert.deepEqual(fromDiag.map(key).sort(), fromText.records.map(key).sort());
    });
  }

  it("decodeSockDiag reads v4-mapped, ::1 and unspecified IPv6 addresses from the captured tcp6 dump", () => {
    const out: Socket[] = [];
    decodeSockDiag(readFileSync(`${dir}tcp6.bin`), "tcp", null, out);
    const addresses = new Set(out.flatMap((s) => [s.local.address, s.remote?.address ?? "-"]));
    for (const a of ["::", "::ffff:127.0.0.1", "::1", "-"]) assert.ok(addresses.has(a), `${a} in ${[...addresses].join(" ")}`);
    const listener = out.find((s) => s.state === "LISTEN" && s.local.address === "::");
    assert.equal(listener?.remote, null);
  });

  it("decodeSockDiag skips records with a state it does not know, and counts them", () => {
    const records = Buffer.from(readFileSync(`${dir}udp.bin`));
    records.writeUInt32LE((records.readUInt32LE(0) & 0xffff) | (99 << 16), 0); // state 99
    const out: Socket[] = [];
    assert.equal(decodeSockDiag(records, "udp", null, out), 1);
    assert.equal(out.length, records.length / RECORD_BYTES - 1);
  });

  it("decodeSockDiag copies a record buffer that is not 4-byte aligned instead of failing", () => {
    const records = readFileSync(`${dir}udp.bin`);
    const odd = Buffer.alloc(records.length + 1);
    records.copy(odd, 1);
    const a: Socket[] = [], b: Socket[] = [];
    decodeSockDiag(odd.subarray(1), "udp", null, a);
    decodeSockDiag(records, "udp", null, b);
    assert.deepEqual(a, b);
  });

  it("inodesOf gives the inode of every record of the captured dumps, in order, as eachInode does and decodeSockDiag reads", () => {
    for (const [file, proto] of TABLES) {
      const records = readFileSync(`${dir}${file}.bin`);
      const seen: number[] = [];
      eachInode(records, (i) => seen.push(i));
      assert.deepEqual([...inodesOf(records)], seen);
      const decoded: Socket[] = [];
      decodeSockDiag(records, proto, null, decoded);
      assert.deepEqual([...inodesOf(records)], decoded.map((s) => s.inode));
      // an unaligned copy (a Buffer from a pool) reads the same
      const odd = Buffer.alloc(records.length + 1).subarray(1);
      records.copy(odd);
      assert.deepEqual([...inodesOf(odd)], seen);
    }
  });
});
