import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAuditor, type HostOptions } from "../../src/audit/auditor.js";
import { baselineFromLook } from "../../src/audit/baseline.js";
import { parsePolicy } from "../../src/audit/policy.js";
import { summarize } from "../../src/evaluate/enrich.js";
import type { Socket } from "../../src/model/socket.js";
import { nodeProgram, plant, PLANT_MARK } from "../helpers/plant.js";

/*
 * The streamed audit (Auditor.streamHost: every listener first, then the other sockets in batches of
 * 128, judged batch by batch and dropped) must give what the whole look (Auditor.lookAtHost) gives:
 * the same sockets with the same owners, verdicts, reasons and explanations, the same warnings and the
 * same summary, whatever the selection (-t, -u, -l), policy or baseline.
 */

const auditor = createAuditor();
const PROC_TREES = fileURLToPath(new URL("../fixtures/proc/", import.meta.url));

/** Everything `portwatch audit --json` prints of a socket, as one comparable text. */
const view = (s: Socket) => JSON.stringify({
  proto: s.proto, family: s.family, local: s.local, remote: s.remote, state: s.state, direction: s.direction, exposure: s.exposure, netns: s.netns,
  inode: s.inode, uid: s.uid, service: s.service, process: s.process, sharedWith: s.sharedWith, verdict: s.verdict,
  reasons: s.reasons.map((r) => ({ rule: r.rule, verdict: r.verdict, message: r.message })), explanation: s.explanation, hiddenFrom: s.hiddenFrom,
});

interface Audit { sockets: Socket[]; warnings: string[]; summary: Record<string, number>; batches: number }

async function whole(o: HostOptions): Promise<Audit> {
  const look = await auditor.lookAtHost(o);
  return { sockets: look.sockets, warnings: look.warnings, summary: summarize(look.sockets), batches: 1 };
}

async function streamed(o: HostOptions): Promise<Audit> {
  const stream = await auditor.streamHost(o);
  assert.ok(stream.listeners.every((s) => s.direction === "listening"));
  const sockets: Socket[] = [...stream.listeners];
  let batches = 0;
  for (const batch of stream.rest()) {
    assert.ok(batch.length <= 128, `a batch of ${batch.length}`);
    assert.ok(batch.every((s) => s.direction !== "listening"));
    sockets.push(...batch);
    batches++;
  }
  return { sockets, warnings: stream.warnings, summary: summarize(sockets), batches };
}

// The host's named network namespaces (/run/netns) are noted in every look's warnings, captured tree or
// not, and other tests add and delete them: a pair of looks that differs only there is taken again.
const aboutNamedNamespaces = (w: string) => /^Network namespace ".*" has no process in it/.test(w);

/** The streamed and the whole audit of the same input (a captured tree: nothing changes between them). */
async function both(o: HostOptions): Promise<[Audit, Audit]> {
  for (let attempt = 1; ; attempt++) {
    const s = await streamed(o), w = await whole(o);
    const a = new Set(s.warnings), b = new Set(w.warnings);
    const differing = [...s.warnings.filter((x) => !b.has(x)), ...w.warnings.filter((x) => !a.has(x))];
    if (attempt === 3 || differing.length === 0 || !differing.every(aboutNamedNamespaces)) return [s, w];
  }
}

/** Asserts equal lists of views, showing only what differs. */
function assertSameViews(a: readonly string[], b: readonly string[], what: string): void {
  const x = new Set(a), y = new Set(b);
  assert.deepEqual(a.filter((v) => !y.has(v)).sort(), b.filter((v) => !x.has(v)).sort(), what);
  assert.deepEqual([...a].sort(), [...b].sort(), what);
}

function assertSame(s: Audit, w: Audit, what: string): void {
  assertSameViews(s.sockets.map(view), w.sockets.map(view), `${what}: sockets (streamed: actual, whole: expected)`);
  assert.deepEqual(s.warnings, w.warnings, `${what}: warnings`);
  assert.deepEqual(s.summary, w.summary, `${what}: summary`);
}

// A policy that decides some of the captured trees' sockets each way (and by remote network and port).
const POLICY = `
deny:
  - process.name: [python3, "python3.*"]
    because: no Python servers here
  - remote.address: 203.0.113.0/24
    because: the old C2 network
allow:
  - local.address: 127.0.0.0/8
    proto: udp
  - process.name: node
    remote.port: 36647
  - remote.address: 198.51.100.0/24
    remote.port: 443
`;

/**
 * A copy of a captured tree made busy: a few hundred more connections in the host namespace's TCP table
 * (so the other sockets come in several batches), held by the tree's processes through fd links:
 * clients of a loopback listener and the server's ends, IRC and web connections out, finished ones
 * (TIME_WAIT, no inode) and connections no process holds.
 */
function busyCopy(tree: string, dir: string): string {
  const capture = JSON.parse(readFileSync(join(tree, "CAPTURE.json"), "utf8")) as { capturePid: number; host: { pid: number; tcpListen: number }; evil: { pid: number } };
  cpSync(tree, dir, { recursive: true, verbatimSymlinks: true });
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, "0");
  // /proc/net/tcp prints an IPv4 address as the native-endian 32-bit word of its network-order bytes.
  const addr = (ip: string) => hex(new DataView(Uint8Array.from(ip.split(".").map(Number)).buffer).getUint32(0, true), 8);
  let sl = 1000, fd = 1000, inode = 900_000;
  const lines: string[] = [];
  const row = (local: string, lport: number, remote: string, rport: number, state: number, ino: number) =>
    lines.push(`${String(sl++).padStart(4)}: ${addr(local)}:${hex(lport, 4)} ${addr(remote)}:${hex(rport, 4)} ${hex(state, 2)} 00000000:00000000 00:00000000 00000000     0        0 ${ino} 1 0000000000000000 20 0 0 10 -1`);
  const hold = (pid: number, ino: number) => symlinkSync(`socket:[${ino}]`, join(dir, String(pid), "fd", String(fd++)));
  const server = capture.host.pid, listen = capture.host.tcpListen;
  for (let i = 0; i < 220; i++) {
    const port = 20_000 + i;
    row("127.0.0.1", port, "127.0.0.1", listen, 1, inode); hold(server, inode++); // a client of the loopback listener
    row("127.0.0.1", listen, "127.0.0.1", port, 1, inode); hold(server, inode++); // the server's end
  }
  for (let i = 0; i < 40; i++) { row("10.0.2.15", 30_000 + i, "203.0.113.9", 6667, 1, inode); hold(capture.evil.pid, inode++); }
  for (let i = 0; i < 40; i++) { row("10.0.2.15", 31_000 + i, "198.51.100.7", 443, 1, inode); hold(server, inode++); }
  for (let i = 0; i < 30; i++) row("127.0.0.1", 32_000 + i, "127.0.0.1", listen, 6, 0); // finished
  for (let i = 0; i < 30; i++) row("10.0.2.15", 33_000 + i, "198.51.100.7", 8443 + (i % 3), 1, inode++); // no owner in sight
  appendFileSync(join(dir, String(capture.capturePid), "net", "tcp"), `${lines.join("\n")}\n`);
  return dir;
}

describe("Auditor.streamHost on captured /proc trees", () => {
  const trees = readdirSync(PROC_TREES).filter((d) => statSync(join(PROC_TREES, d)).isDirectory()).map((d) => [d, join(PROC_TREES, d)] as const);
  let busyDir = "";
  before(() => { busyDir = mkdtempSync(join(tmpdir(), "pw-busy-tree-")); });
  after(() => rmSync(busyDir, { recursive: true, force: true }));

  it("Auditor.streamHost has captured trees to compare with (test/fixtures/proc)", () => assert.ok(trees.length > 0));

  for (const [name, tree] of trees) {
    const inputs = [[name, () => tree], [`${name}, made busy`, () => busyCopy(tree, join(busyDir, name))]] as const;
    for (const [label, root] of inputs) {
      let procRoot = "";
      let policy: HostOptions["policy"] = null;
      let baseline: HostOptions["baseline"] = null;
      before(async () => {
        procRoot = root();
        policy = await parsePolicy(POLICY, "stream-policy.yaml");
        // A baseline of every other identity of a plain look: some sockets expected by it, some not.
        const made = baselineFromLook(await auditor.lookAtHost({ procRoot }), "2026-11-20T08:30:00.000Z").baseline;
        baseline = { ...made, entries: made.entries.filter((_, i) => i % 2 === 0) };
      });
      const cases: [string, () => HostOptions][] = [
        ["everything", () => ({ procRoot })],
        ["-t", () => ({ procRoot, select: { protos: ["tcp"] } })],
        ["-u", () => ({ procRoot, select: { protos: ["udp"] } })],
        ["-l", () => ({ procRoot, select: { listening: true } })],
        ["-t -l", () => ({ procRoot, select: { protos: ["tcp"], listening: true } })],
        ["a policy", () => ({ procRoot, policy })],
        ["-t and a policy", () => ({ procRoot, policy, select: { protos: ["tcp"] } })],
        ["a baseline", () => ({ procRoot, baseline })],
        ["a policy and a baseline, -u -t", () => ({ procRoot, policy, baseline, select: { protos: ["udp", "tcp"] } })],
        ["no owners", () => ({ procRoot, owners: false })],
      ];
      for (const [what, options] of cases) {
        it(`Auditor.streamHost gives the sockets, verdicts, reasons, explanations, warnings and summary of Auditor.lookAtHost (${label}; ${what})`, async () => {
          const [s, w] = await both(options());
          assertSame(s, w, `${label}; ${what}`);
          assert.ok(w.sockets.length > 0);
          if (label.endsWith("busy") && !what.includes("-l") && what !== "-u") assert.ok(s.batches >= 3, `only ${s.batches} batches`);
          if (what.includes("policy")) assert.ok(w.sockets.some((x) => x.reasons.some((r) => r.rule.startsWith("policy:"))), "the policy decided nothing");
          if (what.includes("baseline")) assert.ok(w.sockets.some((x) => x.reasons.some((r) => r.rule === "baseline")), "the baseline matched nothing");
        });
      }
    }
  }
});

describe("Auditor.streamHost on this live host", () => {
  it("Auditor.streamHost gives what Auditor.lookAtHost gives for a planted server with 300 loopback clients (netlink, several batches; with -t and a policy)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-stream-plant-"));
    const server = await plant(nodeProgram(`
      const net = require("net"); const held = [];
      const s = net.createServer((c) => { c.on("error", () => {}); held.push(c); if (held.length === 300) console.log(JSON.stringify({ port: s.address().port })); });
      s.listen(0, "127.0.0.1", () => { for (let i = 0; i < 300; i++) net.connect(s.address().port, "127.0.0.1").on("error", () => {}); });`, { dir, name: "many-clients" }));
    try {
      const mine = (a: Audit) => a.sockets.filter((x) => x.process?.pid === server.pid);
      const policy = await parsePolicy(`deny:\n  - process.name: node\n    remote.port: ${server.ready.port}\n    because: planted\n`, "live-policy.yaml");
      for (const o of [{}, { select: { protos: ["tcp" as const] }, policy }] as HostOptions[]) {
        const s = await streamed(o), w = await whole(o);
        assert.ok(s.batches >= 3, `only ${s.batches} batches`);
        assertSameViews(mine(s).map(view), mine(w).map(view), "the planted sockets (streamed: actual, whole: expected)");
        assert.equal(mine(w).length, 601); // the listener, 300 clients and 300 server ends
        assert.ok(mine(w).every((x) => x.process?.cmdline?.includes(PLANT_MARK)));
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
