import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { nativeAddon, type NativeAddon } from "../../src/collect/native.js";
import { collectLinux, createOwnerCache, DUMP_TRIES, dumpNamespace } from "../../src/collect/linux.js";
import { createCollectSession } from "../../src/collect/netlink-dumps.js";
import { scanFdShare } from "../../src/collect/fd-scan.js";
import { decodeSockDiag } from "../../src/collect/parse/sock-diag.js";
import { parseProcNet } from "../../src/collect/parse/proc-net.js";
import type { Socket } from "../../src/model/socket.js";
import { plant, python } from "../helpers/plant.js";
import { spawnHolder } from "../helpers/spawn-holder.js";

const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname.replace(/\/$/, "");

// npm ci builds the addon (binding.gyp); on Linux CI it must be there, or every test of it would pass vacuously.
const addon = nativeAddon();

describe("native addon", () => {
  it("nativeAddon is built and loads on Linux (npm ci runs node-gyp; see binding.gyp)", () => {
    assert.equal(process.platform, "linux");
    assert.ok(addon, "build/Release/portwatch.node is missing: run `npm ci` (needs python3, make and g++)");
  });

  it("sockDiag, nftGenId and nftDump read this namespace the same through its path (on a thread that joins it), and refuse a path too long or one that names no namespace", async () => {
    assert.ok(addon);
    const self = "/proc/self/ns/net";
    // /proc/self is the thread's process: the same namespace the JavaScript thread is in. Only a listener
    // planted here is compared (other programs on the machine open and close theirs between two dumps).
    const server = createServer();
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const port = (server.address() as AddressInfo).port;
      const planted = (r: { records: Uint8Array }) => { const out: Socket[] = []; decodeSockDiag(r.records, "tcp", null, out, "listening"); return out.filter((s) => s.local.port === port).map((s) => s.inode); };
      const viaPath = planted(addon.sockDiag(4, 6, self));
      assert.equal(viaPath.length, 1);
      assert.deepEqual(viaPath, planted(addon.sockDiag(4, 6)));
    } finally {
      await new Promise((ok) => server.close(ok));
    }
    assert.ok(addon.nftGenId && addon.nftDump);
    const { nftGenId, nftDump } = addon;
    // The firewall may change between two reads (other programs' rules): compared only when the generation held still around them.
    let compared = false;
    for (let tries = 0; tries < 10 && !compared; tries++) {
      const before = nftGenId();
      const viaPath = { gen: nftGenId(self), messages: (await nftDump(self)).messages.length };
      const here = { gen: nftGenId(), messages: (await nftDump()).messages.length };
      if (nftGenId() !== before) continue;
      assert.deepEqual(viaPath, here);
      compared = true;
    }
    assert.ok(compared, "the firewall's generation moved in each of 10 tries");
    const long = `/${"x".repeat(5000)}`;
    assert.throws(() => addon.sockDiag(4, 6, long), { name: "TypeError", message: "netnsPath is too long" });
    assert.throws(() => addon.nftGenId?.(long), { name: "TypeError", message: "netnsPath is too long" });
    assert.throws(() => addon.nftDump?.(long), { name: "TypeError", message: "netnsPath is too long" });
    assert.throws(() => addon.sockDiag(4, 6, "/proc/self/status"), /sock_diag dump/); // a file, not a namespace: setns refuses it
  });

  it("sockDiag lists a child's loopback TCP, UDP and IPv6 sockets exactly as /proc/net does", async () => {
    assert.ok(addon);
    const { ports, stop } = await spawnHolder();
    try {
      const mine = (s: Socket) => [ports.tcpListen, ports.tcpClient, ports.udp, ports.udpConnected, ports.tcp6Listen, ports.udp6].includes(s.local.port);
      const key = (s: Socket) => JSON.stringify([s.proto, s.family, s.local, s.remote, s.state, s.inode, s.uid]);
      for (const [file, family, protocol] of [["tcp", 4, 6], ["tcp6", 6, 6], ["udp", 4, 17], ["udp6", 6, 17]] as const) {
        const proto = protocol === 6 ? "tcp" : "udp";
        const fromDiag: Socket[] = [];
        decodeSockDiag(addon.sockDiag(family, protocol).records, proto, null, fromDiag);
        const fromText = parseProcNet(readFileSync(`/proc/self/net/${file}`, "latin1"), { proto, family, source: file, netns: null }).records;
        const a = fromDiag.filter(mine).map(key).sort(), b = fromText.filter(mine).map(key).sort();
        assert.ok(a.length > 0, `the holder's ${file} sockets are in the dump`);
        assert.deepEqual(a, b, file);
      }
    } finally {
      stop();
    }
  });

  it("sockDiag hands back a dump larger than one of its chunks (16,384 records) whole and in order: planted processes' 18,000 UDP sockets, each record as /proc/net/udp lists it", async () => {
    assert.ok(addon);
    // 20 processes of 900 sockets each: under the usual limit of 1,024 open files per process.
    const holders = await Promise.all(Array.from({ length: 20 }, () => plant(python([
      "held = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(900)]",
      "[u.bind(('127.0.0.1', 0)) for u in held]",
      "print(json.dumps({'n': len(held)}), flush=True)",
    ]), 60_000)));
    try {
      const inodes = new Set(holders.flatMap((h) => readdirSync(`/proc/${h.pid}/fd`).map((fd) => { try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${h.pid}/fd/${fd}`))?.[1]; } catch { return undefined; } })).filter((i) => i !== undefined).map(Number));
      assert.ok(inodes.size >= 18_000, "their sockets (and the Unix sockets of their stdio)");
      const key = (s: Socket) => JSON.stringify([s.local, s.remote, s.state, s.inode, s.uid]);
      const fromDiag: Socket[] = [];
      decodeSockDiag(addon.sockDiag(4, 17).records, "udp", null, fromDiag);
      const fromText = parseProcNet(readFileSync("/proc/self/net/udp", "latin1"), { proto: "udp", family: 4, source: "udp", netns: null }).records;
      const mine = (xs: Socket[]) => xs.filter((x) => x.inode !== null && inodes.has(x.inode)).map(key);
      const a = mine(fromDiag);
      assert.ok(fromDiag.length > 16_384 && a.length === 18_000, `every planted socket is in the dump (${a.length} of 18,000, ${fromDiag.length} records)`);
      assert.deepEqual(a.slice().sort(), mine(fromText).sort());
    } finally {
      await Promise.all(holders.map((h) => h.stop()));
    }
  });

  it("sockDiag with family 0 dumps the TCP sockets of both families in one walk, exactly as the two per-family dumps", async () => {
    assert.ok(addon);
    const { ports, stop } = await spawnHolder();
    try {
      const mine = (s: Socket) => [ports.tcpListen, ports.tcpClient, ports.tcp6Listen].includes(s.local.port);
      const key = (s: Socket) => JSON.stringify([s.proto, s.family, s.local, s.remote, s.state, s.inode, s.uid]);
      const both: Socket[] = [];
      const apart: Socket[] = [];
      decodeSockDiag(addon.sockDiag(0, 6).records, "tcp", null, both);
      decodeSockDiag(addon.sockDiag(4, 6).records, "tcp", null, apart);
      decodeSockDiag(addon.sockDiag(6, 6).records, "tcp", null, apart);
      const a = both.filter(mine).map(key).sort(), b = apart.filter(mine).map(key).sort();
      assert.ok(both.filter(mine).some((s) => s.family === 4), "IPv4 sockets are in the one-walk dump");
      assert.ok(both.filter(mine).some((s) => s.family === 6), "IPv6 sockets are in the one-walk dump");
      assert.deepEqual(a, b);
    } finally {
      stop();
    }
    assert.throws(() => addon.sockDiag(0, 17), TypeError); // UDP has no such request
  });

  it("sockDiag throws an Error with the errno's code when the namespace cannot be entered", () => {
    assert.ok(addon);
    assert.throws(() => addon.sockDiag(4, 6, "/nonexistent/ns/net"), (e: Error & { code?: string }) => e.code === "ENOENT" && /sock_diag dump/.test(e.message));
    assert.throws(() => addon.sockDiag(5 as 4, 6), TypeError);
    assert.throws(() => addon.sockDiag(4, 1 as 6), TypeError);
  });

  it("scanFds finds the same socket fds as the JavaScript walk in the captured /proc tree, on several threads", async () => {
    assert.ok(addon);
    const pids = Int32Array.from([...readdirSync(tree).filter((n) => /^\d+$/.test(n)).map(Number), 99999]);
    const js: string[] = [];
    scanFdShare(tree, pids, ((i) => () => i++)(0), (inode, pid) => js.push(`${inode}/${pid}`));
    for (const threads of [1, 3]) {
      const r = await addon.scanFds(tree, pids, threads);
      const native: string[] = [];
      for (let k = 0; k < r.count; k++) native.push(`${r.pairs[2 * k]}/${r.pairs[2 * k + 1]}`);
      assert.ok(js.length > 10);
      assert.deepEqual(native.sort(), js.sort(), `threads ${threads}`);
    }
  });

  it("scanFds finds a live child's socket inodes and skips pids that do not exist", async () => {
    assert.ok(addon);
    const { ports, stop } = await spawnHolder();
    try {
      const r = await addon.scanFds("/proc", Int32Array.from([ports.pid, 2 ** 31 - 1]), 2);
      const inodes = new Set<number>();
      for (let k = 0; k < r.count; k++) if (r.pairs[2 * k + 1] === ports.pid) inodes.add(r.pairs[2 * k] as number);
      const listen = parseProcNet(readFileSync("/proc/self/net/tcp", "latin1"), { proto: "tcp", family: 4, source: "tcp", netns: null }).records
        .find((s) => s.local.port === ports.tcpListen && s.state === "LISTEN");
      assert.ok(listen?.inode && inodes.has(listen.inode));
      assert.equal(r.scanned, 1);
      assert.equal(r.denied, 0);
    } finally {
      stop();
    }
  });
});

describe("dumpNamespace", () => {
  // An addon whose dumps report NLM_F_DUMP_INTR (the table changed mid-dump) a given number of times per
  // table ("tcp" is the one-walk dump of both families), and that may refuse that one-walk dump.
  const flaky = (interruptions: Record<string, number>, refuseBoth = false) => {
    const calls: string[] = [];
    const fake: NativeAddon = {
      sockDiag(family, protocol) {
        const table = `${protocol === 6 ? "tcp" : "udp"}${family === 6 ? "6" : ""}${family === 0 ? "+" : ""}`;
        calls.push(table);
        if (family === 0 && refuseBoth) throw Object.assign(new Error("sock_diag dump: Operation not supported"), { code: "EIO" });
        const left = interruptions[table] ?? 0;
        interruptions[table] = left - 1;
        return { records: Buffer.from([calls.length]), interrupted: left > 0 };
      },
      scanFds: () => Promise.reject(new Error("not used")),
    };
    return { fake, calls };
  };

  it("dumpNamespace dumps a table again when the kernel says it changed during the dump", () => {
    const { fake, calls } = flaky({ udp6: 1 });
    const unsettled: string[] = [];
    const parts = dumpNamespace(fake, undefined, "/nonexistent-net", unsettled);
    assert.deepEqual(calls, ["tcp+", "udp", "udp6", "udp6"]);
    assert.deepEqual(unsettled, []);
    // TCP of both families in the tcp slot, none in tcp6; the whole second udp6 dump is kept.
    assert.ok(parts);
    assert.deepEqual([parts.tcp, parts.tcp6, parts.udp, parts.udp6].map((b) => [...b]), [[1], [], [2], [4]]);
  });

  it("dumpNamespace names a table that never came out whole after DUMP_TRIES dumps", () => {
    const { fake, calls } = flaky({ "tcp+": 99 });
    const unsettled: string[] = [];
    assert.ok(dumpNamespace(fake, undefined, "/nonexistent-net", unsettled));
    assert.equal(calls.filter((t) => t === "tcp+").length, DUMP_TRIES);
    assert.deepEqual(unsettled, ["tcp"]);
  });

  it("dumpNamespace dumps TCP per family on a kernel that refuses the one-walk dump, and stops asking for it in that session", () => {
    const { fake, calls } = flaky({}, true);
    const session = createCollectSession();
    assert.ok(dumpNamespace(fake, undefined, "/nonexistent-net", [], session));
    assert.deepEqual(calls, ["tcp+", "tcp", "tcp6", "udp", "udp6"]);
    assert.equal(session.tcpOfBothFamilies, false);
    calls.length = 0;
    assert.ok(dumpNamespace(fake, undefined, "/nonexistent-net", [], session));
    assert.deepEqual(calls, ["tcp", "tcp6", "udp", "udp6"]);
    calls.length = 0;
    assert.ok(dumpNamespace(fake, undefined, "/nonexistent-net"), "a new session asks again");
    assert.deepEqual(calls, ["tcp+", "tcp", "tcp6", "udp", "udp6"]);
  });

  it("dumpNamespace reads the raw tables as text beside the netlink records, empty where the kernel has none", () => {
    const { fake } = flaky({});
    const parts = dumpNamespace(fake, undefined, `${tree}/self/net`);
    assert.ok(parts);
    assert.deepEqual([parts.raw, parts.raw6], [readFileSync(`${tree}/self/net/raw`, "latin1"), readFileSync(`${tree}/self/net/raw6`, "latin1")]);
    assert.ok(parts.raw.includes("\n"));
    const none = dumpNamespace(fake, undefined, "/nonexistent-net");
    assert.deepEqual([none?.raw, none?.raw6], ["", ""]);
  });
});

describe("collectLinux's session", () => {
  it("collectLinux with an owner cache remembers between looks that the kernel refused the one-walk TCP dump", async () => {
    assert.ok(addon);
    const real = addon;
    const families: number[] = [];
    const refusing: NativeAddon = {
      sockDiag(family, protocol, netnsPath) {
        if (protocol === 6) families.push(family);
        if (family === 0) throw Object.assign(new Error("sock_diag dump: Operation not supported"), { code: "EOPNOTSUPP" });
        return netnsPath === undefined ? real.sockDiag(family, protocol) : real.sockDiag(family, protocol, netnsPath);
      },
      scanFds: (...args) => real.scanFds(...args),
    };
    const cache = createOwnerCache();
    const first = await collectLinux({ native: refusing, cache });
    assert.ok([...first.readVia.values()].includes("netlink"));
    assert.equal(families[0], 0, "the first look tries the one-walk dump");
    assert.equal(cache.session.tcpOfBothFamilies, false);
    families.length = 0;
    await collectLinux({ native: refusing, cache });
    assert.ok(families.length > 0 && !families.includes(0), `a later look asks per family only (asked ${families.join(", ")})`);
  });
});
