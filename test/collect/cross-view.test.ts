import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { collectLinux } from "../../src/collect/linux.js";
import { crossCheck, listenerKey } from "../../src/collect/cross-view.js";
import { nativeAddon, type NativeAddon } from "../../src/collect/native.js";
import { RECORD_BYTES } from "../../src/collect/parse/sock-diag.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { NONE, type Socket } from "../../src/model/socket.js";
import { spawnHolder } from "../helpers/spawn-holder.js";

const listener = (port: number, inode: number, proto: Socket["proto"] = "tcp"): Socket => ({
  proto, family: 4, local: { address: "127.0.0.1", port }, remote: null, state: proto === "tcp" ? "LISTEN" : "UNCONN", direction: "unknown",
  exposure: null, netns: 1, inode, uid: 0, service: null, process: null, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
});

describe("crossCheck", () => {
  it("crossCheck finds the listeners each view lacks, by protocol, address, port and inode", () => {
    const a = listener(22, 100), b = listener(31337, 101), c = listener(5353, 102, "udp"), d = listener(8080, 103);
    const gap = crossCheck([a, b, c], [a, c, d]);
    assert.deepEqual([...gap.notInProc.keys()], [listenerKey(b)]);
    assert.deepEqual([...gap.notInNetlink.keys()], [listenerKey(d)]);
    assert.equal(crossCheck([a, c], [c, a]).notInProc.size + crossCheck([a, c], [c, a]).notInNetlink.size, 0);
    // The same port with another inode is another socket (closed and opened again between two reads).
    assert.equal(crossCheck([listener(22, 100)], [listener(22, 999)]).notInProc.size, 1);
  });

  it("crossCheck with the previous gap keeps only what was missing both times (a listener that just opened is not hidden)", () => {
    const a = listener(22, 100), b = listener(31337, 101), fresh = listener(40000, 104);
    const first = crossCheck([a, b, fresh], [a]);
    assert.equal(first.notInProc.size, 2);
    const second = crossCheck([a, b, fresh], [a, fresh], first);
    assert.deepEqual([...second.notInProc.keys()], [listenerKey(b)]);
    assert.equal(crossCheck([a, b], [a, b], second).notInProc.size, 0);
  });
});

// The live host's addon, doctored the way a rootkit doctors one of the kernel's two views.
const real = nativeAddon();
const LISTEN = 10;
/** One netlink record (see parse/sock-diag.ts) of a TCP listener on 127.0.0.1:port. */
function listenRecord(port: number, inode: number): Buffer {
  const b = Buffer.alloc(RECORD_BYTES);
  const words = new Uint32Array(b.buffer, b.byteOffset, RECORD_BYTES / 4);
  words[0] = 4 | (6 << 8) | (LISTEN << 16);
  words[1] = port;
  b.set([127, 0, 0, 1], 8);
  words[11] = inode;
  return b;
}
function doctored(change: (records: Buffer) => Buffer): NativeAddon {
  assert.ok(real, "the native addon is built (npm ci)");
  return {
    sockDiag: (family, protocol, netnsPath) => {
      const r = netnsPath === undefined ? real.sockDiag(family, protocol) : real.sockDiag(family, protocol, netnsPath);
      // The host's dump only: other test files' network namespaces are dumped too (with their own /proc/net).
      return protocol === 6 && family !== 6 && netnsPath === undefined ? { ...r, records: change(r.records) } : r;
    },
    scanFds: (...args) => real.scanFds(...args),
  };
}
const knowledge = createKnowledge();
const judged = async (native: NativeAddon) => {
  const c = await collectLinux({ native });
  assert.ok(!c.warnings.some((w) => /hidden .* was skipped/.test(w)), `the cross-view check ran (this host has few enough sockets): ${c.warnings.join("; ")}`);
  evaluate(c.sockets, { knowledge, mode: "live-root", origin: "live", selfPid: process.pid });
  return c;
};

describe("the cross-view check on this live host", () => {
  it("collectLinux calls a listener that netlink shows and /proc/net does not hidden, and its verdict suspicious", async () => {
    const c = await judged(doctored((records) => Buffer.concat([records, listenRecord(1, 4_000_000_001)])));
    // Only the planted record: other test files' listeners may come and go meanwhile.
    const hidden = c.sockets.filter((s) => s.hiddenFrom !== undefined && s.local.port === 1 && s.local.address === "127.0.0.1");
    assert.equal(hidden.length, 1);
    assert.deepEqual([hidden[0]?.local, hidden[0]?.hiddenFrom, hidden[0]?.verdict], [{ address: "127.0.0.1", port: 1 }, "proc", "suspicious"]);
    assert.match(hidden[0]?.reasons.find((r) => r.rule === "hidden-port")?.message ?? "", /^ss's view \(netlink\) lists this listener \(1\/tcp\), but netstat's view \(\/proc\/net\) leaves it out, in three reads in a row: .*compare "sudo ss -ltunp" with "sudo netstat -ltunp"/);
  });

  it("collectLinux calls a listener that /proc/net shows and netlink does not hidden from ss, with its owner", async () => {
    const { ports, stop } = await spawnHolder();
    try {
      // Drop the holder's TCP listener from every netlink dump.
      const c = await judged(doctored((records) => {
        const kept: Buffer[] = [];
        for (let at = 0; at < records.length; at += RECORD_BYTES) {
          const rec = records.subarray(at, at + RECORD_BYTES);
          const head = rec.readUInt32LE(0), port = rec.readUInt32LE(4) & 0xffff;
          if (!(((head >>> 16) & 0xff) === LISTEN && port === ports.tcpListen)) kept.push(rec);
        }
        return Buffer.concat(kept);
      }));
      const hidden = c.sockets.filter((s) => s.hiddenFrom !== undefined);
      assert.deepEqual(hidden.map((s) => [s.local.port, s.hiddenFrom, s.verdict, s.process?.pid]), [[ports.tcpListen, "netlink", "suspicious", ports.pid]]);
    } finally {
      stop();
    }
  });

  it("collectLinux reports nothing hidden while listeners open and close all the time (three reads must agree)", async () => {
    assert.ok(real);
    // A child that opens and closes loopback listeners as fast as it can, for at most 20 s.
    const code = `const net=require("net");const end=Date.now()+20000;(function churn(){if(Date.now()>end)return process.exit(0);const s=net.createServer().listen(0,"127.0.0.1",()=>s.close(churn));})();`;
    const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
    try {
      await new Promise((ok) => setTimeout(ok, 200));
      for (let i = 0; i < 5; i++) {
        const c = await judged(real);
        assert.deepEqual(c.sockets.filter((s) => s.hiddenFrom !== undefined).map((s) => s.local), []);
      }
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      await new Promise((ok) => (child.exitCode !== null ? ok(null) : child.once("exit", ok)));
    }
  });
});
