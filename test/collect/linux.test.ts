import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, cpSync, symlinkSync, mkdirSync, writeFileSync, readdirSync, readlinkSync, renameSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectLinux, createOwnerCache, type Collection } from "../../src/collect/linux.js";
import { orphanBackoff } from "../../src/collect/owner-cache.js";
import type { Socket } from "../../src/model/socket.js";
import { startFdScanWorkerFromSource } from "../helpers/fd-scan-worker-from-source.js";
import { spawnHolder, type HolderPorts } from "../helpers/spawn-holder.js";

const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname;
const capture = JSON.parse(readFileSync(join(tree, "CAPTURE.json"), "utf8")) as { capturePid: number; host: HolderPorts; inNs: HolderPorts; evil: { pid: number; tcpListen: number; udp: number } };

function find(sockets: Socket[], proto: string, port: number, state: string, pid?: number): Socket {
  const hit = sockets.find((s) => s.proto === proto && s.local.port === port && s.state === state && (pid === undefined || s.process?.pid === pid));
  assert.ok(hit, `no ${proto} socket on local port ${port} in state ${state}`);
  return hit;
}

/** Checks that every socket the holder opened is there with the holder's pid, state and direction. */
function checkHolder(sockets: Socket[], h: HolderPorts, exposure = "loopback"): void {
  const listen = find(sockets, "tcp", h.tcpListen, "LISTEN", h.pid);
  assert.deepEqual([listen.direction, listen.exposure, listen.remote, listen.family], ["listening", exposure, null, 4]);
  const client = find(sockets, "tcp", h.tcpClient, "ESTABLISHED", h.pid);
  assert.deepEqual([client.direction, client.remote?.port], ["outbound", h.tcpListen]);
  const served = sockets.find((s) => s.local.port === h.tcpListen && s.remote?.port === h.tcpClient);
  assert.equal(served?.direction, "inbound");
  assert.equal(served?.process?.pid, h.pid);
  const udp = find(sockets, "udp", h.udp, "UNCONN", h.pid);
  assert.deepEqual([udp.direction, udp.exposure], ["listening", exposure]);
  const flow = find(sockets, "udp", h.udpConnected, "ESTABLISHED", h.pid);
  assert.deepEqual([flow.direction, flow.remote?.port], ["outbound", h.udp]);
  if (h.tcp6Listen !== undefined) {
    const l6 = find(sockets, "tcp", h.tcp6Listen, "LISTEN", h.pid);
    assert.deepEqual([l6.family, l6.local.address, l6.direction, l6.exposure], [6, "::1", "listening", exposure]);
    const u6 = find(sockets, "udp", h.udp6!, "UNCONN", h.pid);
    assert.deepEqual([u6.family, u6.local.address], [6, "::1"]);
  }
}

describe("collectLinux on a captured /proc tree", () => {
  let c: Collection;
  before(async () => { c = await collectLinux({ procRoot: tree, passwdFile: join(tree, "etc-passwd"), netnsDir: join(tree, "no-such-dir") }); });

  it("collectLinux finds the holder's sockets with pid, state and direction", () => checkHolder(c.sockets, capture.host));

  it("collectLinux gives the same result with the fd walk split over worker threads", async () => {
    // Without the addon: with it, the addon's own threads walk, whatever `threads` says.
    const threaded = await collectLinux({ procRoot: tree, passwdFile: join(tree, "etc-passwd"), netnsDir: "/nonexistent", threads: 3, native: false, startWorker: startFdScanWorkerFromSource });
    assert.deepEqual(threaded, c);
  });

  it("collectLinux of the built code (dist/) starts its own worker threads from dist/collect/fd-scan-worker.js", async () => {
    const built = (await import(new URL("../../dist/collect/linux.js", import.meta.url).href)) as typeof import("../../src/collect/linux.js");
    const threaded = await built.collectLinux({ procRoot: tree, passwdFile: join(tree, "etc-passwd"), netnsDir: "/nonexistent", threads: 2, native: false });
    assert.deepEqual(threaded, c);
  });

  it("collectLinux reads a second network namespace through one of its pids and marks its listeners as in a container", async () => {
    checkHolder(c.sockets, capture.inNs, "container");
    const ns = find(c.sockets, "tcp", capture.inNs.tcpListen, "LISTEN", capture.inNs.pid);
    const host = find(c.sockets, "tcp", capture.host.tcpListen, "LISTEN", capture.host.pid);
    assert.notEqual(ns.netns, host.netns);
    assert.equal(host.netns, c.hostNetns);
    assert.equal(ns.exposure, "container");
    assert.equal(ns.process?.netns, ns.netns);
  });

  it("collectLinux records the owner's details: deleted exe, raw name, cmdline, user", async () => {
    const evil = find(c.sockets, "tcp", capture.evil.tcpListen, "LISTEN", capture.evil.pid).process!;
    assert.equal(evil.name, "ev\u001b[31mil");
    assert.equal(evil.exeDeleted, true);
    assert.match(evil.exe!, /^\/tmp\/pwcap-[^/]+\/kworker$/);
    assert.equal(evil.cmdline?.[1], "-c");
    assert.deepEqual([evil.uid, evil.user, evil.containerId], [0, "root", null]);
    find(c.sockets, "udp", capture.evil.udp, "UNCONN", capture.evil.pid);
  });

  it("collectLinux keeps sockets nobody holds (TIME_WAIT, the VM agent's listener) with a null process and says why", async () => {
    const agent = find(c.sockets, "tcp", 2024, "LISTEN");
    assert.equal(agent.process, null);
    assert.ok(c.sockets.some((s) => s.state === "TIME_WAIT" && s.process === null && s.inode === 0));
    assert.equal(c.warnings.filter((w) => /1 socket has no owning process/.test(w)).length, 1);
    assert.deepEqual(c.problems, []);
    assert.equal(c.hostname, readFileSync(join(tree, "sys/kernel/hostname"), "utf8").trim());
  });

  it("collectLinux lists the same sockets with owners off, without any process", async () => {
    const bare = await collectLinux({ procRoot: tree, owners: false, netnsDir: "/nonexistent" });
    assert.equal(bare.sockets.length, c.sockets.length);
    assert.ok(bare.sockets.every((s) => s.process === null));
  });
});

describe("collectLinux on damaged and partial trees", () => {
  let dir = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "pw-tree-"));
    cpSync(tree, dir, { recursive: true, verbatimSymlinks: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("collectLinux reports a malformed table line as a warning with its place and keeps the rest", async () => {
    const file = join(dir, String(capture.capturePid), "net", "tcp");
    const lines = readFileSync(file, "latin1").split("\n");
    lines.splice(2, 0, "   9: garbage that is not a socket line");
    writeFileSync(file, lines.join("\n"));
    const c = await collectLinux({ procRoot: dir, netnsDir: "/nonexistent" });
    assert.equal(c.problems.length, 1);
    assert.equal(c.problems[0]?.line, 3);
    assert.ok(c.warnings.some((w) => /\/net\/tcp:3: expected at least 10 fields, found 8: "9: garbage that is not a socket line"$/.test(w)));
    checkHolder(c.sockets, capture.host);
  });

  it("collectLinux skips a process that vanished mid-scan without a warning", async () => {
    // A pid whose directory holds only fd links (its status is gone), as when it exits between the two reads.
    const ghost = join(dir, "999999");
    mkdirSync(join(ghost, "fd"), { recursive: true });
    symlinkSync(`socket:[${find((await collectLinux({ procRoot: tree, netnsDir: "/x" })).sockets, "tcp", capture.host.tcpListen, "LISTEN").inode}]`, join(ghost, "fd", "3"));
    const c = await collectLinux({ procRoot: dir, netnsDir: "/nonexistent" });
    const l = find(c.sockets, "tcp", capture.host.tcpListen, "LISTEN");
    assert.equal(l.process?.pid, capture.host.pid);
    assert.deepEqual(l.sharedWith, [{ pid: 999999, name: null }]);
    assert.ok(!c.warnings.some((w) => w.includes("999999")));
  });

  it("collectLinux with an owner cache finds the owner of a socket that nobody held at the last look (made while the walk ran, or handed over)", async () => {
    const own = join(dir, String(capture.host.pid), "fd");
    const inode = find((await collectLinux({ procRoot: tree, netnsDir: "/x" })).sockets, "tcp", capture.host.tcpListen, "LISTEN").inode;
    const link = readdirSync(own).find((fd) => readlinkSync(join(own, fd)) === `socket:[${inode}]`);
    assert.ok(link, "the holder's fd table has the listener");
    const target = readlinkSync(join(own, link));
    unlinkSync(join(own, link));
    try {
      const cache = createOwnerCache();
      const first = await collectLinux({ procRoot: dir, netnsDir: "/nonexistent", cache });
      assert.equal(find(first.sockets, "tcp", capture.host.tcpListen, "LISTEN").process, null, "nobody holds it yet");
      symlinkSync(target, join(own, link));
      const second = await collectLinux({ procRoot: dir, netnsDir: "/nonexistent", cache });
      assert.equal(find(second.sockets, "tcp", capture.host.tcpListen, "LISTEN").process?.pid, capture.host.pid, "the next look finds the owner");
      assert.equal(cache.orphans.has(inode as number), false);
    } finally {
      if (!readdirSync(own).includes(link)) symlinkSync(target, join(own, link));
    }
  });

  it("collectLinux with an owner cache keeps a socket's last holder for one look when the holder exits while the kernel still lists it", async () => {
    const own = mkdtempSync(join(tmpdir(), "pw-tree-")); // a tree of its own: other tests here add holders
    cpSync(tree, own, { recursive: true, verbatimSymlinks: true });
    const pidDir = join(own, String(capture.host.pid));
    const aside = `${pidDir}.aside`;
    assert.notEqual(capture.host.pid, capture.capturePid, "the tables are read through another pid");
    const cache = createOwnerCache();
    const listener = (c: Collection) => find(c.sockets, "tcp", capture.host.tcpListen, "LISTEN");
    assert.equal(listener(await collectLinux({ procRoot: own, netnsDir: "/nonexistent", cache })).process?.pid, capture.host.pid);
    renameSync(pidDir, aside); // the holder is gone; its listener is still in the table (a process being killed)
    try {
      const dying = listener(await collectLinux({ procRoot: own, netnsDir: "/nonexistent", cache }));
      assert.equal(dying.process?.pid, capture.host.pid, "the look while it closes still names its holder");
      assert.equal(dying.process?.name, "node");
      const after = listener(await collectLinux({ procRoot: own, netnsDir: "/nonexistent", cache }));
      assert.equal(after.process, null, "one look only: a socket nobody holds is not given an owner for good");
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("collectLinux with an owner cache keeps a socket's last holder for one look when the holder's fd table is read again empty while the kernel still lists it", async () => {
    // A process being killed: its fds are closed (its fd table reads empty) a little before the kernel drops
    // its listener, and the dumps were taken before its table was read again. The watch test "reports a
    // listener that appears and disappears, exactly once each" saw the listener turn ownerless there.
    const own = mkdtempSync(join(tmpdir(), "pw-tree-"));
    cpSync(tree, own, { recursive: true, verbatimSymlinks: true });
    const fds = join(own, String(capture.host.pid), "fd");
    const listener = (c: Collection) => find(c.sockets, "tcp", capture.host.tcpListen, "LISTEN");
    try {
      // The holder's client socket is nobody's at the first look, so the second look reads fd tables again for it.
      const client = find((await collectLinux({ procRoot: tree, netnsDir: "/x" })).sockets, "tcp", capture.host.tcpClient, "ESTABLISHED").inode;
      const clientFd = readdirSync(fds).find((fd) => readlinkSync(join(fds, fd)) === `socket:[${client}]`);
      assert.ok(clientFd);
      unlinkSync(join(fds, clientFd));
      const cache = createOwnerCache();
      assert.equal(listener(await collectLinux({ procRoot: own, netnsDir: "/nonexistent", cache })).process?.pid, capture.host.pid);
      for (const fd of readdirSync(fds)) unlinkSync(join(fds, fd)); // closed, still listed
      const dying = listener(await collectLinux({ procRoot: own, netnsDir: "/nonexistent", cache }));
      assert.deepEqual([dying.process?.pid, dying.process?.name], [capture.host.pid, "node"], "the look while it closes still names its holder");
      const after = listener(await collectLinux({ procRoot: own, netnsDir: "/nonexistent", cache }));
      assert.equal(after.process, null, "one look only");
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("orphanBackoff looks for a socket nobody holds again after 1, 2, 4 … looks, at most every 64", () => {
    assert.deepEqual([1, 2, 3, 4, 7, 8, 20].map(orphanBackoff), [1, 2, 4, 8, 64, 64, 64]);
  });

  it("collectLinux names a named network namespace that has no process in it", async () => {
    const netnsDir = join(dir, "run-netns");
    mkdirSync(netnsDir);
    writeFileSync(join(netnsDir, "empty"), "");
    const c = await collectLinux({ procRoot: dir, netnsDir });
    assert.ok(c.warnings.some((w) => w.includes(`"empty" has no process in it`) && w.includes("ip netns exec empty portwatch")));
  });

  it("collectLinux says what to do when the proc root is missing", async () => {
    await assert.rejects(collectLinux({ procRoot: join(dir, "nope") }), /Cannot read the process list in ".*nope": ENOENT \(is \/proc mounted\?\)/);
  });
});

describe("collectLinux on this live host", () => {
  for (const native of [true, false]) {
    it(`collectLinux finds loopback TCP, UDP and IPv6 sockets a child process opened, with its pid (${native ? "netlink and native fd walk" : "/proc text only"})`, async () => {
      const { ports, stop } = await spawnHolder();
      try {
        const c = await collectLinux({ native, startWorker: startFdScanWorkerFromSource }); // workers: on a busy host without the addon
        checkHolder(c.sockets, ports);
        assert.deepEqual([...c.readVia.values()].every((v) => v === (native ? "netlink" : "proc")), true);
      } finally {
        stop();
      }
    });
  }

  it("collectLinux with an owner cache reads only new processes' fd tables on a steady host, and still sees what changed", async () => {
    const cache = createOwnerCache();
    // a holder of the test's own that stays through the steady looks (other test files' sockets come and go)
    const steady = await spawnHolder();
    try {
      const first = await collectLinux({ cache });
      assert.ok(cache.byPid.size > 0);
      await collectLinux({ cache }); // looks once more for the sockets nobody held at the first (see orphanBackoff)
      const second = await collectLinux({ cache });
      assert.ok(cache.lastScanned < Math.max(3, cache.byPid.size / 2), `a steady look read ${cache.lastScanned} of ${cache.byPid.size} fd tables`);
      const planted = (c: Collection) => new Set(c.sockets.filter((s) => s.process?.pid === steady.ports.pid && s.inode).map((s) => `${s.inode}/${s.process!.pid}`));
      assert.ok(planted(first).size > 0, "the planted holder's sockets are found with their owner");
      assert.deepEqual([...planted(second)].sort(), [...planted(first)].sort(), "and found again, with the same owner, by the steady looks");
    } finally {
      steady.stop();
    }
    const { ports, stop } = await spawnHolder();
    try {
      checkHolder((await collectLinux({ cache })).sockets, ports); // a new process: found with its pid
    } finally {
      stop();
    }
    await new Promise((ok) => setTimeout(ok, 200));
    const after = await collectLinux({ cache });
    assert.ok(!after.sockets.some((s) => s.process?.pid === ports.pid && s.state === "LISTEN"), "the stopped holder's listener is gone");
    assert.ok(!cache.byPid.has(ports.pid), "an exited process is forgotten");
  });

  it("collectLinux with an owner cache hands back the last collection when the kernel's dumps and the owners did not change, and notices a change", async () => {
    const cache = createOwnerCache();
    let last = await collectLinux({ cache });
    assert.ok(cache.previous, "the netlink path keeps its dumps for the next look");
    let unchanged: Collection | null = null;
    for (let i = 0; i < 150 && unchanged === null; i++) { // bounded: other sockets of the host (other test files) may come and go
      await new Promise((ok) => setTimeout(ok, 20));
      const next = await collectLinux({ cache });
      if (next.unchanged) unchanged = next; else last = next;
    }
    assert.ok(unchanged, "two looks in a row saw the same host");
    assert.equal(unchanged.sockets, last.sockets, "the same judged sockets, not a copy");
    const { ports, stop } = await spawnHolder();
    try {
      const c = await collectLinux({ cache });
      assert.notEqual(c.unchanged, true);
      checkHolder(c.sockets, ports);
    } finally {
      stop();
    }
    await new Promise((ok) => setTimeout(ok, 200));
    const after = await collectLinux({ cache });
    assert.notEqual(after.unchanged, true);
    assert.ok(!after.sockets.some((s) => s.process?.pid === ports.pid));
  });

  const root = process.getuid?.() === 0;
  for (const native of [true, false]) it(`collectLinux finds sockets inside a network namespace the test creates (${native ? "netlink in the namespace" : "/proc/<pid>/net text"}; needs root, as in CI)`, { skip: root ? false : "needs root: ip netns add (CI runs as root)" }, async () => {
    const ns = `pwtest${process.pid}`;
    execFileSync("ip", ["netns", "add", ns]);
    let stop = () => {};
    try {
      execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
      const holder = await spawnHolder(["ip", "netns", "exec", ns]);
      stop = holder.stop;
      const c = await collectLinux({ native, startWorker: startFdScanWorkerFromSource });
      checkHolder(c.sockets.filter((s) => s.netns !== c.hostNetns), holder.ports, "container");
      const l = find(c.sockets, "tcp", holder.ports.tcpListen, "LISTEN", holder.ports.pid);
      assert.notEqual(l.netns, c.hostNetns);
      assert.equal(l.exposure, "container");
      assert.equal(c.readVia.get(l.netns), native ? "netlink" : "proc");
    } finally {
      stop();
      execFileSync("ip", ["netns", "del", ns]);
    }
  });
});
