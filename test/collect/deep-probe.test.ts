import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { deepCheck, deepUnavailable } from "../../src/collect/deep-probe.js";
import { nativeAddon, type NativeAddon } from "../../src/collect/native.js";
import { collectLinux, createOwnerCache } from "../../src/collect/linux.js";
import { createCollectSession, dumpNamespace } from "../../src/collect/netlink-dumps.js";
import { eachProcNetLocalPort } from "../../src/collect/parse/proc-net.js";
import { RECORD_BYTES } from "../../src/collect/parse/sock-diag.js";
import { readLines } from "../../src/collect/proc-files.js";
import type { Source } from "../../src/collect/tables.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { plant, PLANT_MARK, PYTHON, type Planted } from "../helpers/plant.js";

// Ports nobody lists, for real: a network namespace this test creates (unshare -n), with listeners,
// connections, a TIME_WAIT, UDP sockets connected and not, and a socket bound but neither listening nor
// connected. The probe runs only in that namespace. An unmodified kernel hides no socket, so the
// "hidden" ports are real sockets that the views handed to the comparison leave out (netlink dump and
// /proc/net text both doctored), as test/collect/cross-view.test.ts does for its check.

const real = nativeAddon();

// Runs inside the new namespace (as root there): loopback up, with 10.9.9.9 as a second address (a "LAN" one), then the sockets.
const NAMESPACE_PLANT = String.raw`
import json, socket, subprocess, sys, time, select
for args in (["link", "set", "lo", "up"], ["addr", "add", "10.9.9.9/32", "dev", "lo"]):
    subprocess.run(["ip"] + args, check=True)
keep = []
def sock(family, kind, addr, listen=False, v6only=None):
    s = socket.socket(family, kind)
    if v6only is not None: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, 0))
    if listen: s.listen(16)
    keep.append(s)
    return s
port = lambda s: s.getsockname()[1]
T, U, V4, V6 = socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.AF_INET, socket.AF_INET6
out = {}
wild = sock(V4, T, "0.0.0.0", True); out["tcpWildcard"] = port(wild)
out["tcpLoopback"] = port(sock(V4, T, "127.0.0.1", True))
out["tcpAddress"] = port(sock(V4, T, "10.9.9.9", True))
out["tcp6Dual"] = port(sock(V6, T, "::", True, 0))
out["tcp6Loopback"] = port(sock(V6, T, "::1", True, 1))
out["tcpBoundOnly"] = port(sock(V4, T, "0.0.0.0"))
c = socket.create_connection(("127.0.0.1", out["tcpWildcard"])); keep.append(c); keep.append(wild.accept()[0]); out["tcpClient"] = port(c)
tw = socket.create_connection(("127.0.0.1", out["tcpWildcard"])); out["tcpTimeWait"] = port(tw)
peer = wild.accept()[0]; tw.close(); time.sleep(0.05); peer.close()
u = sock(V4, U, "0.0.0.0"); out["udp"] = port(u)
uc = socket.socket(V4, U); uc.connect(("127.0.0.1", out["udp"])); keep.append(uc); out["udpConnected"] = port(uc)
out["udpAddress"] = port(sock(V4, U, "10.9.9.9"))
out["udp6"] = port(sock(V6, U, "::", False, 1))
out["hiddenTcp"] = port(sock(V4, T, "0.0.0.0", True))
out["hiddenTcpAddress"] = port(sock(V4, T, "10.9.9.9", True))
out["hiddenUdp6"] = port(sock(V6, U, "::", False, 1))
print(json.dumps(out), flush=True)
end = time.time() + 60
while time.time() < end and not select.select([sys.stdin], [], [], 1)[0]: pass
`;

async function plantNamespace(): Promise<Planted> {
  return plant(["unshare", "-n", PYTHON, "-c", NAMESPACE_PLANT, PLANT_MARK]);
}

const HIDDEN = (p: Planted) => new Set([p.ready["hiddenTcp"], p.ready["hiddenTcpAddress"], p.ready["hiddenUdp6"]]);

/** The real addon, with the planted namespace's netlink dumps leaving out the hidden ports. */
function doctoredAddon(nsPath: string, hidden: ReadonlySet<number | undefined>): NativeAddon {
  assert.ok(real?.bindProbe, "the native addon with its bind probe is built (npm ci)");
  const probe = real.bindProbe.bind(real);
  return {
    sockDiag: (family, protocol, netnsPath) => {
      const r = netnsPath === undefined ? real.sockDiag(family, protocol) : real.sockDiag(family, protocol, netnsPath);
      if (netnsPath !== nsPath) return r;
      const kept: Buffer[] = [];
      for (let at = 0; at < r.records.length; at += RECORD_BYTES) {
        const rec = r.records.subarray(at, at + RECORD_BYTES);
        if (!hidden.has(rec.readUInt32LE(4) & 0xffff)) kept.push(rec);
      }
      return { ...r, records: Buffer.concat(kept) };
    },
    scanFds: (...args) => real.scanFds(...args),
    bindProbe: probe,
  };
}

/** netstat's view of the planted namespace without the hidden ports' lines. */
const doctoredTable = (hidden: ReadonlySet<number | undefined>) => (path: string, each: (text: string) => void) => {
  readLines(path, (text) => {
    each(text.split("\n").filter((line) => { let port = -1; eachProcNetLocalPort(line, (p) => { port = p; }); return !hidden.has(port); }).join("\n"));
  });
};

async function deepLook(p: Planted, addon: NativeAddon, readTable?: (path: string, each: (text: string) => void) => void) {
  const nsPath = `/proc/${p.pid}/ns/net`;
  const netns = statSync(nsPath).ino;
  const session = createCollectSession();
  const dumps = dumpNamespace(addon, nsPath, `/proc/${p.pid}/net`, [], session);
  assert.ok(dumps, "the planted namespace's tables dump through netlink");
  const source: Source = { netns, netlink: dumps, made: [] };
  const found = await deepCheck({ addon, procRoot: "/proc", namespaces: [[netns, [String(p.pid)]]], sources: [source], session, ...(readTable ? { readTable } : {}) });
  return { netns, found };
}

describe("deepCheck in a network namespace the test creates", () => {
  it("deepCheck finds nothing unlisted among listeners, connections, a TIME_WAIT, connected UDP and a bound-only socket", async () => {
    assert.ok(real?.bindProbe, "the native addon with its bind probe is built (npm ci)");
    const p = await plantNamespace();
    try {
      const { found } = await deepLook(p, real);
      assert.deepEqual(found.warnings, []);
      assert.deepEqual(found.sources.flatMap((s) => s.made.map((m) => `${m.proto}${m.family}:${m.local.port}`)), []);
    } finally {
      await p.stop();
    }
  });

  it("deepCheck reports the ports both views leave out as suspicious sockets with unknown owner, saying which binds failed", async () => {
    const p = await plantNamespace();
    try {
      const hidden = HIDDEN(p);
      const nsPath = `/proc/${p.pid}/ns/net`;
      const { netns, found } = await deepLook(p, doctoredAddon(nsPath, hidden), doctoredTable(hidden));
      assert.deepEqual(found.warnings, []);
      const sockets = found.sources.flatMap((s) => s.made);
      assert.deepEqual(sockets.map((s) => [s.proto, s.family, s.local.port, s.unlisted, s.netns, s.process, s.inode]).sort((a, b) => Number(a[2]) - Number(b[2])), [
        ["tcp", 4, p.ready["hiddenTcp"], "wildcard-and-loopback", netns, null, null],
        ["tcp", 4, p.ready["hiddenTcpAddress"], "wildcard-only", netns, null, null],
        ["udp", 6, p.ready["hiddenUdp6"], "wildcard-and-loopback", netns, null, null],
      ].sort((a, b) => Number(a[2]) - Number(b[2])));
      for (const s of sockets) s.direction = "listening";
      evaluate(sockets, { knowledge: createKnowledge(), mode: "live-root", origin: "live", selfPid: process.pid });
      const tcp = sockets.find((s) => s.local.port === p.ready["hiddenTcp"]);
      assert.equal(tcp?.verdict, "suspicious");
      assert.deepEqual(tcp?.reasons.map((r) => r.rule), ["unlisted-port"]);
      assert.match(tcp?.explanation ?? "", new RegExp(`^Binding port ${p.ready["hiddenTcp"]}/tcp \\(IPv4\\) fails on every address and on loopback.*neither ss's view \\(netlink\\) nor netstat's view \\(/proc/net\\) lists it`));
      assert.match(tcp?.explanation ?? "", /What to do: /);
    } finally {
      await p.stop();
    }
  });
});

describe("bindProbe", () => {
  it("bindProbe in the planted namespace finds its ports in use, tells wildcard from loopback, and closes every socket it opens", async () => {
    assert.ok(real?.bindProbe, "the native addon with its bind probe is built (npm ci)");
    const p = await plantNamespace();
    try {
      const fds = readdirSync("/proc/self/fd").length;
      const nsPath = `/proc/${p.pid}/ns/net`;
      const r = await real.bindProbe(6, 4, nsPath, 2);
      const flags = new Map([...r.inUse].map((e) => [e & 0xffff, e >>> 16]));
      assert.equal(flags.get(p.ready["tcpWildcard"] as number), 3);
      assert.equal(flags.get(p.ready["tcpLoopback"] as number), 3);
      assert.equal(flags.get(p.ready["tcpAddress"] as number), 1, "a listener on 10.9.9.9 blocks only the wildcard bind");
      assert.equal(flags.get(p.ready["tcpTimeWait"] as number), 3, "a TIME_WAIT blocks binds");
      assert.ok(flags.has(p.ready["tcp6Dual"] as number), "a dual-stack IPv6 listener blocks the IPv4 wildcard");
      assert.equal(r.errors.length, 0);
      const v6 = await real.bindProbe(6, 6, nsPath, 2);
      const v6ports = new Set([...v6.inUse].map((e) => e & 0xffff));
      assert.ok(v6ports.has(p.ready["tcp6Loopback"] as number) && v6ports.has(p.ready["tcp6Dual"] as number));
      assert.ok(!v6ports.has(p.ready["tcpWildcard"] as number), "an IPv6 probe (IPV6_V6ONLY) does not meet IPv4 sockets");
      const one = await real.bindProbe(17, 4, nsPath, 1, Uint16Array.from([p.ready["udp"] as number, p.ready["udpAddress"] as number]));
      assert.deepEqual([...one.inUse].map((e) => [e & 0xffff, e >>> 16]), [[p.ready["udp"], 3], [p.ready["udpAddress"], 1]]);
      assert.equal(readdirSync("/proc/self/fd").length, fds);
    } finally {
      await p.stop();
    }
  });

  it("bindProbe refuses a namespace file that is not there, with its errno as the code", async () => {
    assert.ok(real?.bindProbe);
    await assert.rejects(real.bindProbe(6, 4, "/proc/nonexistent/ns/net", 1), (e: Error & { code?: string }) => e.code === "ENOENT");
  });
});

describe("collectLinux with deep looks and an owner cache (watch --deep)", () => {
  it("collectLinux carries the last deep look's unlisted ports into the looks between deep looks, and drops them when a deep look no longer finds them", async () => {
    assert.ok(real);
    // The probe is doctored, not the views: it says TCP port 1 of our own namespace is in use (nothing
    // lists it on this host) until told otherwise, and probes no other namespace (no real binds at all).
    let planted = true;
    const addon: NativeAddon = {
      sockDiag: (...args) => real.sockDiag(...args),
      scanFds: (...args) => real.scanFds(...args),
      bindProbe: async (protocol, family, netnsPath) => ({
        inUse: Uint32Array.from(planted && netnsPath === null && protocol === 6 && family === 4 ? [1 | (3 << 16)] : []), errors: new Uint32Array(0),
      }),
    };
    const cache = createOwnerCache();
    const port1 = (c: Awaited<ReturnType<typeof collectLinux>>) => c.sockets.filter((s) => s.unlisted !== undefined && s.local.port === 1 && s.proto === "tcp");
    const first = await collectLinux({ native: addon, cache, deep: true });
    assert.deepEqual(port1(first).map((s) => [s.local.address, s.unlisted, s.direction]), [["0.0.0.0", "wildcard-and-loopback", "listening"]]);
    const between = await collectLinux({ native: addon, cache });
    assert.equal(port1(between).length, 1, "a look between deep looks keeps the finding");
    planted = false;
    const next = await collectLinux({ native: addon, cache, deep: true });
    assert.equal(port1(next).length, 0);
    assert.equal(port1(await collectLinux({ native: addon, cache })).length, 0);
  });
});

describe("deepCheck's warnings", () => {
  it("deepCheck warns once per reason other than \"in use\" that ports could not be bound for, naming the tables, and not for loopback binds", async () => {
    assert.ok(real);
    // A doctored probe (no real binds): what it answers without root (ports below 1024: EACCES), plus a loopback bind that failed.
    const EACCES = 13, EADDRNOTAVAIL = 99;
    const addon: NativeAddon = {
      sockDiag: (...args) => real.sockDiag(...args), scanFds: (...args) => real.scanFds(...args),
      bindProbe: async (protocol) => ({
        inUse: new Uint32Array(0),
        errors: Uint32Array.from(protocol === 6 ? [22 | (EACCES << 16), 80 | (EACCES << 16), (5000 | (EADDRNOTAVAIL << 16) | (1 << 31)) >>> 0] : [53 | (EACCES << 16)]),
      }),
    };
    const netns = statSync("/proc/self/ns/net").ino;
    const found = await deepCheck({ addon, procRoot: "/proc", namespaces: [[netns, ["self"]]], sources: [], session: createCollectSession() });
    assert.deepEqual(found.warnings, [`In network namespace ${netns}, 6 ports (tcp, tcp6, udp, udp6) could not be probed (--deep): bind failed with EACCES, not "address in use" (run as root to probe ports below 1024)`]);
    assert.deepEqual(found.sources, []);
  });
});

describe("deepUnavailable", () => {
  it("deepUnavailable says plainly that --deep needs the addon, and that it cannot probe a captured tree", () => {
    assert.match(deepUnavailable(null, "/proc") ?? "", /needs portwatch's native addon/);
    assert.match(deepUnavailable(real, "/tmp/tree") ?? "", /not a captured proc tree/);
    assert.equal(deepUnavailable(real, "/proc"), null);
  });
});
