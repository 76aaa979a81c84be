import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { endianness, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectLinux, createOwnerCache } from "../../src/collect/linux.js";
import type { NamespaceDirs } from "../../src/collect/namespaces.js";
import { nativeAddon, type NativeAddon } from "../../src/collect/native.js";
import { createCollectSession, dumpNamespace } from "../../src/collect/netlink-dumps.js";
import type { Source } from "../../src/collect/tables.js";
import { thirdView } from "../../src/collect/third-view.js";
import type { Socket } from "../../src/model/socket.js";
import { plant, python } from "../helpers/plant.js";
import { buildRootkitShim } from "../helpers/rootkit-shim.js";

// The fd tables as a third view (collect/third-view.ts), planted for real: a listener in a network namespace no
// process is in, held by a process outside it; a listener hidden from both of the kernel's views by a
// user-space rootkit loaded into portwatch itself (test/helpers/rootkit-shim.c); and the same listeners seen
// plainly without the rootkit.

const root = process.getuid?.() === 0;
const addon = nativeAddon();
const skip = !root ? "needs root (pidfd_getfd, unshare)" : addon?.inspectHeld === undefined ? "needs the native addon (npm ci)" : false;
const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const hostNetns = () => Number(/\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/net"))?.[1]);

/** `portwatch audit --json` (dist/, built) with extra environment, as parsed JSON (bounded: 120 s). */
function auditJson(env: Record<string, string>, args: string[] = []): Promise<{ sockets: Socket[]; warnings: string[] }> {
  return new Promise((ok, fail) => {
    execFile(process.execPath, [CLI, "audit", "--json", ...args], { env: { ...process.env, ...env, PORTWATCH_STATE_DIR: tmp }, timeout: 120_000, maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err && !stdout) { fail(new Error(`${err.message}: ${stderr}`)); return; }
      ok(JSON.parse(stdout) as { sockets: Socket[]; warnings: string[] });
    });
  });
}

let tmp = "";
let shim = "";
before(() => {
  tmp = mkdtempSync(join(tmpdir(), "pw-third-view-"));
  if (skip === false) {
    shim = buildRootkitShim(tmp);
  }
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A process that gets a TCP listener and a UDP socket from a child it forked into a new network namespace, then the child exits: nobody is in that namespace. */
const ORPHANED_NAMESPACE = [
  "import ctypes, os",
  "libc = ctypes.CDLL(None, use_errno=True)",
  "a, b = socket.socketpair(socket.AF_UNIX)",
  "child = os.fork()",
  "if child == 0:",
  "    if libc.unshare(0x40000000) != 0: os._exit(3)",  // CLONE_NEWNET
  "    t = socket.socket(); t.bind(('0.0.0.0', 0)); t.listen()",
  "    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(('::', 0))",
  "    socket.send_fds(b, [b'x'], [t.fileno(), u.fileno()])",
  "    os._exit(0)",
  "_, fds, _, _ = socket.recv_fds(a, 1, 2)",
  "os.waitpid(child, 0)",
  "t = socket.socket(fileno=fds[0]); u = socket.socket(fileno=fds[1])",
  "print(json.dumps({'tcp': t.getsockname()[1], 'udp': u.getsockname()[1]}), flush=True)",
];

const LOOPBACK_LISTENER = [
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()",
  "print(json.dumps({'tcp': s.getsockname()[1]}), flush=True)",
];

describe("the fd tables as a third view, on this live host", { skip }, () => {
  it("collectLinux lists a listener in a network namespace no process is in, with its real address and namespace, held by a process outside it, and names the namespace", async () => {
    const p = await plant(python(ORPHANED_NAMESPACE));
    try {
      const c = await collectLinux({});
      const tcp = c.sockets.find((s) => s.process?.pid === p.pid && s.proto === "tcp" && s.local.port === p.ready["tcp"]);
      const udp = c.sockets.find((s) => s.process?.pid === p.pid && s.proto === "udp" && s.local.port === p.ready["udp"]);
      assert.ok(tcp && udp, `both planted sockets are listed (process ${p.pid})`);
      assert.equal(tcp.state, "LISTEN");
      assert.equal(tcp.local.address, "0.0.0.0");
      assert.equal(udp.local.address, "::");
      assert.equal(tcp.hiddenFrom, "both");
      assert.equal(udp.hiddenFrom, "both");
      assert.ok(tcp.netns !== null && tcp.netns !== hostNetns(), "the socket's own namespace, not its holder's");
      assert.equal(udp.netns, tcp.netns);
      assert.ok(c.hiding.emptyNamespaces.includes(tcp.netns as number));
      assert.ok(c.warnings.some((w) => w.startsWith(`Network namespace ${tcp.netns} has no process in it, but process ${p.pid} holds sockets in it`)), c.warnings.join("\n"));
    } finally {
      await p.stop();
    }
  });

  it("collectLinux with an owner cache (watch) lists the socket in a namespace no process is in at every look while it is held, and not after", async () => {
    const p = await plant(python(ORPHANED_NAMESPACE));
    const cache = createOwnerCache();
    const find = (c: { sockets: Socket[] }) => c.sockets.find((s) => s.proto === "tcp" && s.local.port === p.ready["tcp"] && s.hiddenFrom === "both");
    try {
      for (let look = 1; look <= 3; look++) assert.equal(find(await collectLinux({ cache }))?.process?.pid, p.pid, `look ${look}`);
    } finally {
      await p.stop();
    }
    assert.equal(find(await collectLinux({ cache })), undefined, "gone once its holder exited");
  });

  it("thirdView does not call a namespace empty when a process the listing missed is in it (one that entered it during the look): it reads that namespace plainly", async () => {
    const ns = `pw-third-view-${process.pid}`;
    execFileSync("ip", ["netns", "add", ns], { timeout: 10_000 });
    const p = await plant(python(["s = socket.socket(); s.bind(('0.0.0.0', 0)); s.listen()", "print(json.dumps({'tcp': s.getsockname()[1]}), flush=True)"], { prefix: ["ip", "netns", "exec", ns] }));
    try {
      const own = hostNetns();
      const dumps = dumpNamespace(addon as NativeAddon, undefined, "/proc/self/net");
      assert.ok(dumps);
      const sources: Source[] = [{ netns: own, netlink: { tcp: dumps.tcp, tcp6: dumps.tcp6, udp: dumps.udp, udp6: dumps.udp6 }, made: [] }];
      // The look as if the listing had read the planted process's namespace link before it entered the new namespace.
      const holders = new Map<number, number>();
      for (const fd of readdirSync(`/proc/${p.pid}/fd`)) {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${p.pid}/fd/${fd}`))?.[1];
        if (inode) holders.set(Number(inode), p.pid);
      }
      const look = {
        addon: addon as NativeAddon, procRoot: "/proc", nsList: [[own, ["self"]]] as NamespaceDirs[], session: createCollectSession(), littleEndian: endianness() === "LE",
        sources, holders, located: undefined, notInet: undefined, warnings: [] as string[], emptyNamespaces: [] as number[],
      };
      assert.equal(thirdView(look), 0);
      assert.deepEqual(look.emptyNamespaces, []);
      assert.deepEqual(look.warnings, []);
      const theirs = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${p.pid}/ns/net`))?.[1]);
      assert.ok(sources.some((s) => s.netns === theirs && s.netlink !== null && s.hidden === undefined), "the namespace is read as an ordinary one");
    } finally {
      await p.stop();
      execFileSync("ip", ["netns", "del", ns], { timeout: 10_000 });
    }
  });

  it("portwatch audit calls a listener a user-space rootkit hides from both of its views hidden-socket, suspicious, naming its holder; without the rootkit it is an ordinary listener", async () => {
    const p = await plant(python(LOOPBACK_LISTENER));
    try {
      const port = p.ready["tcp"] as number;
      const hidden = await auditJson({ LD_PRELOAD: shim, PW_SHIM_HIDE_PORT: String(port) });
      const s = hidden.sockets.find((x) => x.proto === "tcp" && x.local.port === port && x.local.address === "127.0.0.1");
      assert.ok(s, "the hidden listener is listed");
      assert.equal(s.hiddenFrom, "both");
      assert.equal(s.state, "LISTEN");
      assert.equal(s.netns, hostNetns());
      assert.equal(s.process?.pid, p.pid);
      assert.equal(s.verdict, "suspicious");
      const reason = s.reasons.find((r) => r.rule === "hidden-socket");
      assert.ok(reason, JSON.stringify(s.reasons));
      assert.match(reason.message, new RegExp(`^netstat's view \\(/proc/net\\) leaves this TCP listener 127\\.0\\.0\\.1:${port} out, ss's view \\(netlink\\) leaves it out, .* but python3 \\(pid ${p.pid}[,)]`));
      assert.match(reason.message, new RegExp(`"ls -l /proc/${p.pid}/fd \\| grep ${s.inode}"`));

      const plain = await auditJson({});
      const same = plain.sockets.find((x) => x.proto === "tcp" && x.local.port === port && x.local.address === "127.0.0.1");
      assert.ok(same, "listed without the rootkit");
      assert.equal(same.hiddenFrom, undefined);
      assert.equal(same.process?.pid, p.pid);
      assert.ok(!same.reasons.some((r) => r.rule === "hidden-socket"));
    } finally {
      await p.stop();
    }
  });

  it("collectLinux finds nothing hidden among sockets that are only created, bound, connected and closed while it looks (10 looks; the 200-look run is bench/hidden-churn.mjs)", async () => {
    const churn = await plant(python(CHURN, { ttl: 600 }));
    try {
      const wrong: string[] = [];
      for (let i = 0; i < 10; i++) {
        const c = await collectLinux({});
        for (const s of c.sockets) {
          if (s.hiddenFrom === "both" && s.process !== null && (s.process.pid === churn.pid || s.process.cmdline?.some((a) => a.includes("def forks()")))) wrong.push(`${s.proto} ${s.local.address}:${s.local.port} ${s.state}`);
        }
      }
      assert.deepEqual(wrong, []);
    } finally {
      await churn.stop();
    }
  });
});

/** Sockets and processes that come and go as fast as they can: listeners, connections, unbound and half-made sockets, forked children that listen and exit. */
const CHURN = [
  "import os, threading, time",
  "def loop():",
  "    while True:",
  "        l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()",
  "        c = socket.socket(); c.connect(l.getsockname()); a, _ = l.accept()",
  "        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0)); u.connect(l.getsockname())",
  "        n = socket.socket()",
  "        for x in (a, c, u, l, n): x.close()",
  "def linger():", // sockets that outlive the walk but were made after the dump: the re-check must clear them
  "    import random",
  "    while True:",
  "        l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()",
  "        c = socket.socket(); c.connect(l.getsockname())",
  "        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(('::1', 0))",
  "        time.sleep(random.random() * 0.3)",
  "        for x in (c, u, l): x.close()",
  "def forks():",
  "    while True:",
  "        pid = os.fork()",
  "        if pid == 0:",
  "            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); time.sleep(0.005); os._exit(0)",
  "        os.waitpid(pid, 0)",
  "for f in (loop, linger, linger, linger, forks): threading.Thread(target=f, daemon=True).start()",
  "print(json.dumps({'pid': os.getpid()}), flush=True)",
];
