import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditor, createLookSession, type HostLook, type LookSession } from "../../src/audit/auditor.js";
import { nativeAddon } from "../../src/collect/native.js";
import { GLANCES_AT_MOST } from "../../src/collect/owner-cache.js";
import type { Socket } from "../../src/model/socket.js";
import { withNetns } from "../helpers/netns.js";
import { nodeProgram, plant, PLANT_MARK, python, type Planted } from "../helpers/plant.js";

/*
 * The steady-host shortcut: with a LookSession (what watch and serve keep between looks), a look at a host
 * whose kernel dumps and owners did not change hands back the last look's judged sockets (`unchanged`), and
 * other looks reuse the session's owner cache and judgement memo. Whatever the session hands back must be
 * what a fresh look (no session, no shortcut) gives. Only the planted processes' sockets are compared: the
 * rest of the machine may change at any time.
 */

const auditor = createAuditor();

/** Everything a look says about a socket: where it is, its owner, verdict, reasons and explanation. */
const view = (s: Socket) => JSON.stringify({
  proto: s.proto, local: s.local, remote: s.remote, state: s.state, inode: s.inode, netns: s.netns, direction: s.direction, exposure: s.exposure,
  service: s.service, owner: s.process, sharedWith: s.sharedWith, verdict: s.verdict,
  reasons: s.reasons.map((r) => ({ rule: r.rule, verdict: r.verdict, message: r.message })), explanation: s.explanation,
});

/** The sockets of the planted processes in a look. */
function plantedIn(look: HostLook, planted: readonly Planted[]): Socket[] {
  const pids = new Set(planted.map((p) => p.pid));
  return look.sockets.filter((s) => s.process !== null && pids.has(s.process.pid));
}

/** Asserts that the session's look says of the planted sockets exactly what a fresh look says; returns the fresh ones. */
async function sameAsFresh(look: HostLook, planted: readonly Planted[], what: string): Promise<Socket[]> {
  const fresh = await auditor.lookAtHost({});
  assert.equal(fresh.unchanged, false);
  const mine = plantedIn(look, planted), theirs = plantedIn(fresh, planted);
  const a = mine.map(view), b = theirs.map(view);
  // Only what differs, so a failure shows the socket in question.
  assert.deepEqual(a.filter((x) => !b.includes(x)).sort(), b.filter((x) => !a.includes(x)).sort(), `${what}: the session's look (actual) and a fresh one (expected) differ`);
  assert.equal(a.length, b.length);
  assert.ok(mine.every((s) => s.process?.cmdline?.includes(PLANT_MARK)));
  return theirs;
}

/**
 * Looks with `session` until a look comes back `unchanged` (bounded: other work on the machine may open
 * and close sockets between looks); returns it and the look before it.
 */
async function settle(session: LookSession): Promise<{ before: HostLook; steady: HostLook }> {
  let before = await auditor.lookAtHost({}, session);
  for (let tries = 0; tries < 150; tries++) {
    const next = await auditor.lookAtHost({}, session);
    if (next.unchanged) return { before, steady: next };
    before = next;
  }
  assert.fail("the host never held still for two looks in a row in 150 tries: other work keeps opening and closing sockets; run this test alone");
}

const peerMessage = (sockets: readonly Socket[], pid: number, localPort: number | undefined) =>
  sockets.find((s) => s.process?.pid === pid && s.proto === "udp" && s.local.port === localPort)?.reasons.find((r) => r.rule === "local-peer")?.message;

/**
 * Plants (with `prefix`, e.g. `ip netns exec NS`): a one-line Python server (a TCP listener, a client of
 * it, a UDP socket), a Python UDP "resolver", and a Python client connected to both. Looks with one
 * session until the host is steady and compares with a fresh look; then the resolver exits and a Node
 * program takes its UDP port (the client's connected UDP socket stays: it now talks to another program
 * of the same verdict), and later the server exits: each time the session's next look is a full one and
 * matches a fresh look.
 */
async function steadyHostScenario(prefix: readonly string[], exposure: "loopback" | "container"): Promise<void> {
  assert.ok(nativeAddon(), "the steady-host shortcut needs the native netlink addon (build/Release/portwatch.node, built by npm ci)");
  const dir = mkdtempSync(join(tmpdir(), "pw-session-plant-"));
  const planted: Planted[] = [];
  const start = async (argv: string[]) => { const p = await plant(argv); planted.push(p); return p; };
  try {
    const server = await start(python([
      "import threading",
      "l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', 0)); l.listen(16)",
      "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))",
      "held = []",
      "threading.Thread(target=lambda: [held.append(l.accept()) for _ in iter(int, 1)], daemon=True).start()",
      "c = socket.create_connection(l.getsockname())",
      "print(json.dumps({'tcp': l.getsockname()[1], 'udp': u.getsockname()[1]}), flush=True)",
    ], { prefix }));
    const resolver = await start(python([
      "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))",
      "print(json.dumps({'udp': u.getsockname()[1]}), flush=True)",
    ], { dir, name: "resolver", prefix }));
    const client = await start(python([
      `d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); d.connect(('127.0.0.1', ${resolver.ready.udp}))`,
      `t = socket.create_connection(('127.0.0.1', ${server.ready.tcp}))`,
      "print(json.dumps({'udp': d.getsockname()[1], 'tcp': t.getsockname()[1]}), flush=True)",
    ], { dir, name: "client", prefix }));

    // 1. A steady host: the session hands back its last look, which says what a fresh look says.
    const session = createLookSession();
    const { before, steady } = await settle(session);
    assert.equal(steady.sockets, before.sockets, "an unchanged look hands back the last look's sockets");
    const first = await sameAsFresh(steady, planted, "steady host");
    assert.equal(first.length, 8, "server: listener, UDP, its client, two accepted; resolver: UDP; client: UDP, TCP");
    assert.ok(first.filter((s) => s.direction === "listening").every((s) => s.exposure === exposure));
    assert.match(peerMessage(first, client.pid, client.ready.udp) ?? "", new RegExp(`^Talks to python3 on port ${resolver.ready.udp} `));
    assert.ok(first.some((s) => s.process?.pid === server.pid && s.verdict === "suspicious"), "the one-line server is suspicious");

    // 2. A program exits and another starts on its port: not unchanged, and the same as a fresh look.
    await resolver.stop();
    planted.splice(planted.indexOf(resolver), 1);
    const takeover = await start(nodeProgram(`const u = require("dgram").createSocket("udp4"); u.bind(${resolver.ready.udp}, "127.0.0.1", () => console.log(JSON.stringify({ udp: u.address().port })));`, { dir, name: "takeover", prefix }));
    const changed = await auditor.lookAtHost({}, session);
    assert.equal(changed.unchanged, false, "a look after a process exited and another started is not unchanged");
    const second = await sameAsFresh(changed, planted, "after the resolver was replaced");
    assert.equal(second.length, 8);
    assert.match(peerMessage(second, client.pid, client.ready.udp) ?? "", new RegExp(`^Talks to node on port ${takeover.ready.udp} `));

    // 3. Steady again, then the server exits.
    const again = await settle(session);
    await sameAsFresh(again.steady, planted, "steady again");
    await server.stop();
    planted.splice(planted.indexOf(server), 1);
    const gone = await auditor.lookAtHost({}, session);
    assert.equal(gone.unchanged, false, "a look after a process exited is not unchanged");
    const third = await sameAsFresh(gone, planted, "after the server exited");
    assert.ok(third.some((s) => s.process?.pid === client.pid && s.proto === "tcp" && s.state === "CLOSE_WAIT"), "the client's end of the closed connection");
  } finally {
    for (const p of planted) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("LookSession on this live host", () => {
  it("Auditor.lookAtHost with a lean session reads the host again when a steady look must be judged again (a selection, changed lists, a moved firewall), and calls beforeJudging once in each look that judges", async () => {
    const listener = await plant(python([
      "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4)",
      "print(json.dumps({'tcp': l.getsockname()[1]}), flush=True)",
    ]));
    try {
      let judging = 0;
      const session = createLookSession({ lean: true, beforeJudging: () => { judging++; } });
      const { steady } = await settle(session);
      assert.deepEqual(steady.sockets, [], "a lean session keeps no sockets: an unchanged look hands back none");
      assert.ok(judging >= 1, "the first look judged");
      const atSteady = judging;
      const more = await auditor.lookAtHost({}, session);
      assert.equal(judging, atSteady + (more.unchanged ? 0 : 1), "a look that hands back the last one judges nothing");
      // Several looks: a steady look may still read the host now and then (sockets nobody holds are looked
      // for again after 1, 2, 4 ... looks), and every one must have the listener.
      for (let i = 0; i < 8; i++) {
        const again = await auditor.lookAtHost({ select: { protos: ["tcp"], listening: true } }, session);
        assert.equal(again.unchanged, false);
        assert.equal(judging, atSteady + (more.unchanged ? 0 : 1) + i + 1, `look ${i + 1}: judged once, although read twice`);
        assert.ok(again.sockets.some((s) => s.process?.pid === listener.pid && s.local.port === listener.ready.tcp), `look ${i + 1}: the planted listener is judged again, not lost`);
      }
    } finally {
      await listener.stop();
    }
  });

  it("Auditor.lookAtHost with a session that hands out judged batches hands out each socket once, judged as a fresh look judges it, and holds none itself", async () => {
    const planted: Planted[] = [];
    try {
      const server = await plant(python([
        "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(16)",
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))",
        "c = socket.create_connection(l.getsockname()); a = l.accept()",
        "print(json.dumps({'tcp': l.getsockname()[1]}), flush=True)",
      ]));
      planted.push(server);
      const client = await plant(python([`t = socket.create_connection(('127.0.0.1', ${server.ready.tcp}))`, "print(json.dumps({}), flush=True)"]));
      planted.push(client);
      let handed: Socket[] = [];
      let batches = 0;
      const session = createLookSession({ lean: true, judged: (batch) => { batches++; handed.push(...batch); } });
      const look = async () => { handed = []; batches = 0; const l = await auditor.lookAtHost({}, session); return { ...l, sockets: handed as unknown as HostLook["sockets"], held: l.sockets }; };
      const first = await look();
      assert.deepEqual(first.held, [], "the look itself holds no socket");
      assert.equal(first.socketCount, handed.length);
      assert.ok(batches >= 2, "the listeners, then the other sockets in batches");
      assert.equal(new Set(handed).size, handed.length, "no socket handed out twice");
      const withInode = handed.filter((s) => s.inode); // (a finished connection has inode 0)
      assert.equal(new Set(withInode.map((s) => `${s.inode}/${s.process?.pid ?? 0}`)).size, withInode.length, "no socket in two batches");
      const fresh = await sameAsFresh(first, planted, "a look handed out in batches");
      assert.equal(fresh.length, 5, "server: listener, UDP, its client, the accepted end; client: its connection (whose server end waits in the accept queue, no one's)");
      // A steady host: the last look again, and nothing handed out.
      let steady = await look();
      for (let tries = 0; tries < 150 && !steady.unchanged; tries++) steady = await look();
      assert.equal(steady.unchanged, true, "the host never held still for two looks in a row in 150 tries: run this test alone");
      assert.deepEqual([steady.socketCount, batches, steady.held.length], [0, 0, 0]);
      // A change: the next look is judged and handed out again.
      await client.stop();
      planted.pop();
      const after = await look();
      assert.equal(after.unchanged, false);
      await sameAsFresh(after, planted, "after the client exited");
    } finally {
      for (const p of planted) await p.stop();
    }
  });

  it("Auditor.lookAtHost with a session sees a connection a running process makes, and its closing, at the next look, after looks a glance answered (the TCP counters, not the dump)", async () => {
    const server = await plant(python([
      "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4)",
      "print(json.dumps({'tcp': l.getsockname()[1]}), flush=True)",
      "held = []",
      "for line in sys.stdin:",
      "    if line.startswith('connect'): c = socket.create_connection(l.getsockname()); held += [c, l.accept()[0]]; print(c.getsockname()[1], flush=True)",
      "    elif line.startswith('close'): [h.close() for h in held]; print(0, flush=True)",
    ]));
    try {
      const replies: string[] = [];
      server.child.stdout?.on("data", (d: Buffer) => replies.push(...d.toString().split("\n").filter((l) => /^\d+$/.test(l))));
      const ask = async (what: string): Promise<number> => {
        const had = replies.length;
        server.child.stdin?.write(`${what}\n`);
        for (let i = 0; i < 100 && replies.length === had; i++) await new Promise((ok) => setTimeout(ok, 50));
        assert.ok(replies.length > had, `the planted server did not answer "${what}"`);
        return Number(replies[replies.length - 1]);
      };
      const session = createLookSession();
      /** Looks until a glance alone found the host unchanged (bounded: other work on the machine opens sockets). */
      const glanced = async () => {
        const before = session.cache.glanced;
        for (let tries = 0; tries < 150; tries++) if ((await auditor.lookAtHost({}, session)).unchanged && session.cache.glanced > before) return;
        assert.fail("no look was answered by a glance in 150 tries: other work keeps opening and closing sockets; run this test alone");
      };
      const mine = (look: HostLook, port: number) => look.sockets.filter((s) => s.process?.pid === server.pid && s.proto === "tcp" && (s.local.port === port || s.remote?.port === port));
      await glanced();
      const port = await ask("connect");
      const made = await auditor.lookAtHost({}, session);
      assert.equal(made.unchanged, false, "a new connection between a process's own sockets is news");
      assert.deepEqual(mine(made, port).map((s) => `${s.direction} ${s.state}`).sort(), ["inbound ESTABLISHED", "outbound ESTABLISHED"]);
      await glanced();
      await ask("close");
      const closed = await auditor.lookAtHost({}, session);
      assert.equal(closed.unchanged, false, "a closed connection is news");
      assert.deepEqual(mine(closed, port), [], "its holder no longer holds either end");
    } finally {
      await server.stop();
    }
  });

  it("Auditor.lookAtHost with a session sees connections made in TCP repair mode, which move no counter a glance reads, at the next full comparison: within GLANCES_AT_MOST + 1 looks (needs root, as in CI)", { skip: process.getuid?.() === 0 ? false : "needs root: ip netns add, TCP_REPAIR (CI runs as root)" }, async () => {
    // An attacker with CAP_NET_ADMIN (found by a review of the glance): an ordinary connection is closed in a way
    // that moves no counter, and two connections to public addresses are made in repair mode (ESTABLISHED at once,
    // no SYN, no ActiveOpens), so every counter the glance reads is as before.
    await withNetns("repair", [["addr", "add", "198.51.100.1/32", "dev", "lo"], ["route", "add", "203.0.113.0/24", "dev", "lo"]], async (ns) => {
      const planted = await plant(python([
        "TCP_REPAIR = 19",
        "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)",
        "c = socket.create_connection(srv.getsockname()); s, _ = srv.accept(); srv.close()",
        "print(json.dumps({}), flush=True)",
        "sys.stdin.readline()",
        "c.shutdown(socket.SHUT_WR); s.recv(10)",
        "c.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1); c.close(); s.close()",
        "held = []",
        "for port in (4444, 443):",
        "    r = socket.socket(); r.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1); r.bind(('198.51.100.1', 0)); r.connect(('203.0.113.7', port)); held.append(r)",
        "print('swapped', flush=True)",
      ], { prefix: ["ip", "netns", "exec", ns] }));
      try {
        let swapped = false;
        planted.child.stdout?.on("data", (d: Buffer) => { if (d.toString().includes("swapped")) swapped = true; });
        const session = createLookSession();
        const before = session.cache.glanced;
        let steady = false;
        for (let tries = 0; tries < 150 && !steady; tries++) steady = (await auditor.lookAtHost({}, session)).unchanged && session.cache.glanced > before;
        assert.ok(steady, "no look was answered by a glance in 150 tries: other work keeps opening and closing sockets; run this test alone");
        planted.child.stdin?.write("swap\n");
        for (let i = 0; i < 100 && !swapped; i++) await new Promise((ok) => setTimeout(ok, 50));
        assert.ok(swapped, "the planted process did not make its connections in repair mode");
        session.cache.glancesLeft = GLANCES_AT_MOST; // the longest a draw allows
        const pid = planted.pid;
        let seenAt = 0;
        for (let look = 1; look <= GLANCES_AT_MOST + 1 && seenAt === 0; look++) {
          const l = await auditor.lookAtHost({}, session);
          const mine = l.sockets.filter((s) => s.remote?.address === "203.0.113.7");
          assert.deepEqual(mine.map((s) => s.process?.pid ?? null).filter((p) => p !== pid), [], `look ${look}: a connection made in repair mode without its holder`);
          if (mine.filter((s) => s.state === "ESTABLISHED").length === 2) seenAt = look;
        }
        assert.ok(seenAt > 0, `the two connections made in repair mode were not seen in ${GLANCES_AT_MOST + 1} looks`);
      } finally {
        await planted.stop();
      }
    });
  });

  it("createLookSession refuses to hand out judged batches in a session that keeps sockets", () => {
    assert.throws(() => createLookSession({ judged: () => {} }), /must be lean/);
  });

  it("Auditor.lookAtHost with a session says of planted loopback sockets what a fresh look says, when the host is steady (unchanged) and after processes exit and start", async () => {
    await steadyHostScenario([], "loopback");
  });

  const root = process.getuid?.() === 0;
  it("Auditor.lookAtHost with a session says of sockets planted in a network namespace what a fresh look says, steady and after changes (needs root, as in CI)", { skip: root ? false : "needs root: ip netns add (CI runs as root)" }, async () => {
    await withNetns("fence", [], (ns) => steadyHostScenario(["ip", "netns", "exec", ns], "container"));
  });
});
