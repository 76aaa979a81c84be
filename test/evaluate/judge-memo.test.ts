import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { createAuditor } from "../../src/audit/auditor.js";
import { readCaptureText } from "../../src/audit/capture.js";
import { classifiedByCollector, classifyStage, collected, nameStage } from "../../src/audit/pipeline.js";
import { classify, isListening } from "../../src/collect/classify.js";
import { collectLinux } from "../../src/collect/linux.js";
import { enrich } from "../../src/evaluate/enrich.js";
import { createJudge, JudgementMemo, type EvaluateOptions } from "../../src/evaluate/evaluate.js";
import { AsnBuilder } from "../../src/knowledge/lists/asn.js";
import type { Origin } from "../../src/evaluate/explain.js";
import { identityOf } from "../../src/evaluate/identity.js";
import { loadPolicy, type Policy } from "../../src/evaluate/policy.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { createServiceRegistry } from "../../src/knowledge/service-registry.js";
import type { ProcessInfo } from "../../src/model/process.js";
import { NONE, type Direction, type Endpoint, type Exposure, type Proto, type Socket, type SocketState } from "../../src/model/socket.js";
import { renderJson } from "../../src/report/render-json.js";

/*
 * The judgement memo (createJudge's `others`) gives connections that agree on a packed key one shared
 * judgement. These tests judge the same sockets twice, once as production does (memo, shared
 * explanations, per-process findings, in batches like the streamed audit) and once with
 * `memoize: false` (every socket from scratch), and require the same verdict, reasons and explanation
 * for every socket.
 */

const knowledge = createKnowledge();
const registry = createServiceRegistry();
const HOST = 4026531840;
const OTHER_NS = 4026532999;

/** What a judgement is, as plain data. */
const verdictOf = (s: Socket) => ({ verdict: s.verdict, reasons: s.reasons.map((r) => ({ rule: r.rule, verdict: r.verdict, message: r.message })), explanation: s.explanation });

const describeSocket = (s: Socket) =>
  `${s.proto}/${s.family} ${s.local.address}:${s.local.port} -> ${s.remote ? `${s.remote.address}:${s.remote.port}` : "-"} ${s.state} ${s.direction} exp=${s.exposure} ns=${s.netns} inode=${s.inode} uid=${s.uid}` +
  ` hidden=${s.hiddenFrom} svc=${s.service?.name} proc=${s.process ? JSON.stringify(s.process) : "null"}`;

/**
 * Judges `sockets` as production does (listeners, then the others in the batches `cuts` makes, with
 * `memo` when given) and a deep copy of them afresh; returns how they differ (empty when equal) and how
 * many connections took a judgement from the memo.
 */
function judgeBoth(sockets: Socket[], options: EvaluateOptions, cuts: readonly number[] = [], memo?: JudgementMemo): { diffs: string[]; shared: number } {
  const reference = structuredClone(sockets); // keeps ProcessInfo objects shared as the collector shares them
  const own = memo ?? new JudgementMemo();
  const before = own.size;
  const judge = createJudge({ ...options, memo: own });
  judge.listeners(sockets);
  let from = 0;
  for (const cut of [...cuts.map((c) => Math.min(c, sockets.length)), sockets.length].sort((a, b) => a - b)) {
    if (cut > from) { judge.others(sockets.slice(from, cut)); from = cut; }
  }
  const fresh = createJudge({ ...options, memoize: false });
  fresh.listeners(reference);
  fresh.others(reference);
  const diffs: string[] = [];
  sockets.forEach((s, i) => {
    const r = reference[i] as Socket;
    const a = verdictOf(s), b = verdictOf(r);
    try { assert.deepEqual(a, b); } catch {
      diffs.push(`${describeSocket(s)}\n  memo:  ${JSON.stringify(a)}\n  fresh: ${JSON.stringify(b)}`);
    }
  });
  const connections = sockets.filter((s) => s.direction !== "listening").length;
  return { diffs, shared: memo === undefined ? connections - (own.size - before) : 0 };
}

// A policy that reads every field a policy can: names, exes, users (and the socket's uid), ports,
// addresses, remote networks, protocols, directions and states.
const POLICY_TEXT = `
deny:
  - remote.address: [203.0.113.0/24, "2001:db8::/32"]
    because: the old C2 network
  - process.name: [nc, "ncat", "bash"]
    local.port: 31337-31338
  - process.user: "1000"
    proto: [tcp, udp]
  - local.address: 10.0.0.0/8
    direction: inbound
    state: [ESTABLISHED, SYN_RECV]
allow:
  - process.name: sshd
    local.port: 22
  - local.address: 127.0.0.0/8
    remote.port: 3000-3010
  - process.name: "python3*"
    proto: udp
  - process.exe: "/usr/local/*"
  - process.user: alice
    remote.address: 198.51.100.0/24
  - remote.address: "::ffff:127.0.0.1"
    state: TIME_WAIT
`;
const policy: Policy = loadPolicy(POLICY_TEXT, "fence-policy.yaml");

/** A baseline made of the identities of every `every`-th socket. */
function baselineOf(sockets: readonly Socket[], every: number, hostNetns: number | null, networks = false): NonNullable<EvaluateOptions["baseline"]> {
  const ids = sockets.filter((_, i) => i % every === 0).map((s) => identityOf(s, hostNetns));
  // With networks: every outbound identity was saved talking to AS64496 only (OWNERS below), so its connections to the others are not vouched for.
  const nets = networks ? new Map(ids.filter((id) => id.startsWith("O|")).map((id) => [id, [{ number: 64496, org: "Documentation A" }]] as const)) : undefined;
  return { identities: new Set(ids), savedAt: "2026-11-20T08:30:00.000Z", hostNetns, ...(nets ? { networks: nets } : {}) };
}

// A network owners' database for the generated addresses, written here (the documentation ranges are in
// no published table): the judgement and the explanation name the owner, so the memo must keep them apart.
const OWNERS = (() => {
  const b = new AsnBuilder();
  b.add("3325256704,3325256959,64497,Documentation B\n3405803776,3405804031,64496,Documentation A\n2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64498,Documentation C\n", "written");
  return b.build();
})();

/** Every option combination the fixtures are judged with: no policy/baseline, policy, baseline, both. */
function* configurations(sockets: readonly Socket[], base: EvaluateOptions, hostNetns: number | null): Generator<[string, EvaluateOptions]> {
  yield ["plain", base];
  yield ["policy", { ...base, policy }];
  yield ["baseline", { ...base, baseline: baselineOf(sockets, 3, hostNetns) }];
  yield ["policy+baseline", { ...base, policy, baseline: baselineOf(sockets, 2, hostNetns) }];
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PROC_TREES = here("../fixtures/proc/");
const CAPTURE_ROOTS = [here("../fixtures/captures/"), "/work/shared/fixtures/published/"];
const ORIGINS: Record<string, Origin> = { "windows-netstat": "windows-capture", "bsd-netstat": "bsd-capture" };

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p); else yield p;
  }
}

describe("createJudge memo on the fixtures", () => {
  it("createJudge with its memo judges every captured /proc tree as judging each socket afresh does (live-root and live; policy, baseline; also read back as portwatch JSON)", async () => {
    const trees = readdirSync(PROC_TREES).filter((d) => statSync(join(PROC_TREES, d)).isDirectory());
    assert.ok(trees.length > 0, "no captured /proc trees");
    let judged = 0;
    const auditor = createAuditor();
    for (const tree of trees) {
      const procRoot = join(PROC_TREES, tree);
      const passwd = join(procRoot, "etc-passwd");
      for (const owners of [true, false]) {
        const c = await collectLinux({ procRoot, owners, netnsDir: "/nonexistent", ...(existsSync(passwd) ? { passwdFile: passwd } : {}) });
        nameStage(classifiedByCollector(c.sockets), registry);
        assert.ok(c.sockets.length > 10, `${tree}: too few sockets`);
        for (const mode of ["live-root", "live"] as const) {
          for (const [name, options] of configurations(c.sockets, { knowledge, mode, origin: "live", selfPid: null }, c.hostNetns)) {
            const copy = structuredClone(c.sockets);
            const { diffs } = judgeBoth(copy, options, [Math.floor(copy.length / 3)]);
            assert.deepEqual(diffs, [], `${tree} owners=${owners} ${mode} ${name}:\n${diffs.slice(0, 5).join("\n")}`);
            judged += copy.length;
          }
        }
        // The same look written as portwatch JSON and read back as a capture (netns, inode and uid kept).
        const look = structuredClone(c.sockets);
        createJudge({ knowledge, mode: "live-root", origin: "live" }).listeners(look);
        const json = renderJson({ schema: 1, host: { hostname: tree, source: "live", collectedAt: "2026-11-26T00:00:00.000Z" }, sockets: look, warnings: [], summary: { expected: 0, unknown: 0, suspicious: 0 } });
        const read = readCaptureText(auditor, json, { name: `${tree}.json` });
        assert.equal(read.format, "portwatch-json");
        const named = nameStage(classifyStage(collected(read.records), null), registry);
        for (const [name, options] of configurations(named, { knowledge, mode: "capture", origin: "linux-capture" }, null)) {
          const { diffs } = judgeBoth(structuredClone(named), options);
          assert.deepEqual(diffs, [], `${tree} as portwatch JSON ${name}:\n${diffs.slice(0, 5).join("\n")}`);
        }
      }
    }
    assert.ok(judged > 100);
  });

  it("createJudge with its memo judges every capture (netstat, ss, lsof, BSD, Windows) as judging each socket afresh does, with and without policy and baseline", () => {
    const auditor = createAuditor();
    const seen = new Set<string>();
    let captures = 0;
    for (const root of CAPTURE_ROOTS) {
      if (!existsSync(root)) continue; // the shared folder exists only on the team's machine; test/fixtures/captures/published is its copy
      for (const file of files(root)) {
        if (!file.endsWith(".txt")) continue; // MANIFEST.json, SOURCE.md, INDEX.md: notes about the captures
        const text = readFileSync(file, "utf8");
        if (seen.has(text)) continue;
        seen.add(text);
        const read = readCaptureText(auditor, text, { name: file });
        const named = nameStage(classifyStage(collected(read.records), null), registry);
        for (const [name, options] of configurations(named, { knowledge, mode: "capture", origin: ORIGINS[read.format] ?? "linux-capture" }, null)) {
          const { diffs } = judgeBoth(structuredClone(named), options, [Math.floor(named.length / 2)]);
          assert.deepEqual(diffs, [], `${file} (${read.format}) ${name}:\n${diffs.slice(0, 5).join("\n")}`);
        }
        captures++;
      }
    }
    assert.ok(captures >= 35, `only ${captures} captures judged`);
  });
});

// --- generated sockets ---------------------------------------------------------------------------

const NAMES = [
  "sshd", "cupsd", "nginx", "systemd-resolve", "dnsmasq", "chronyd", "firefox", "weechat", "java", "adb", "xmrig", "exim4",
  "python3", "python3.11", "node", "perl", "bash", "sh", "nc", "ncat", "socat", "kworker/0:1", "kthreadd", "svchost.exe (RpcSs)", "svchost.exe (Dnscache)", "syncd", null,
] as const;
const EXES = [
  null, "/usr/sbin/sshd", "/usr/sbin/cupsd", "/usr/bin/python3.11", "/usr/bin/node", "/usr/bin/bash", "/bin/sh", "/usr/bin/nc.openbsd", "/usr/lib/firefox/firefox",
  "/usr/local/bin/app", "/tmp/.x/syncd", "/dev/shm/kworker", "/var/tmp/xmrig", "/opt/app/bin/server",
] as const;
const CMDLINES = [null, [], ["$exe"], ["$name", "-c", "import socket"], ["$name", "-e", "x"], ["[kworker/0:2]"], ["$name", "/opt/app/server.py"]] as const;
const LOOPBACK = ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"];
const ADDRESSES = [...LOOPBACK, "0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "fd00::5", "203.0.113.9", "198.51.100.7", "2001:db8::9", "::ffff:203.0.113.10"];
const PORTS = [
  0, 22, 25, 53, 68, 80, 123, 443, 631, 853, 3000, 3306, 8080, // well-known
  194, 6667, 6697, 7000, // IRC
  31337, 12345, 4444, 54321, 465, // backdoors (465: a collision)
  3333, 5555, 14444, // mining pools
  40000, 40001, 51234, 60999, // ephemeral
];
const STATES: SocketState[] = ["ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "UNCONN"];
const DIRECTIONS: Direction[] = ["listening", "inbound", "outbound", "unknown"];
const EXPOSURES: (Exposure | null)[] = [null, "loopback", "all-interfaces", "interface", "container"];

const arbProcess: fc.Arbitrary<ProcessInfo> = fc.record({
  pid: fc.integer({ min: 100, max: 104 }), // few pids: distinct processes share them (captures name one pid several ways)
  name: fc.constantFrom(...NAMES),
  exe: fc.constantFrom(...EXES),
  exeDeleted: fc.boolean(),
  cmdline: fc.constantFrom(...CMDLINES),
  uid: fc.constantFrom(null, 0, 1000),
  user: fc.constantFrom(null, "root", "alice"),
  netns: fc.constantFrom(null, HOST),
}).map((p) => ({
  ...p, containerId: null,
  cmdline: p.cmdline === null ? null : p.cmdline.map((a) => (a === "$exe" ? p.exe ?? "app" : a === "$name" ? p.name ?? "app" : a)),
}));

const arbAddress = fc.constantFrom(...ADDRESSES);
const arbPort = fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 32768, max: 60999 }));
const arbEndpoint: fc.Arbitrary<Endpoint> = fc.record({ address: arbAddress, port: arbPort });

/** A socket's fields, with the process as an index into the look's process pool (null: no owner). */
interface Raw {
  proto: Proto; local: Endpoint; remote: Endpoint | null; state: SocketState; netns: number | null; inode: number | null;
  uid: number | null; process: number | null; hiddenFrom: "proc" | "netlink" | "both" | undefined; direction: Direction; exposure: Exposure | null;
}
const arbRaw: fc.Arbitrary<Raw> = fc.record({
  proto: fc.constantFrom<Proto>("tcp", "udp", "raw"),
  local: arbEndpoint,
  remote: fc.option(arbEndpoint, { nil: null }),
  state: fc.constantFrom(...STATES),
  netns: fc.constantFrom(null, HOST, HOST, OTHER_NS),
  inode: fc.constantFrom(0, null, 4242, 4243),
  uid: fc.constantFrom(null, 0, 1000),
  process: fc.option(fc.nat(), { nil: null }),
  hiddenFrom: fc.constantFrom(undefined, undefined, undefined, "proc" as const, "netlink" as const, "both" as const),
  direction: fc.constantFrom(...DIRECTIONS),
  exposure: fc.constantFrom(...EXPOSURES),
});

/** Changes to one or two fields of a socket: what makes two connections near-twins for the memo. */
interface Tweak {
  local?: Endpoint; remote?: Endpoint | null; localPort?: number; remotePort?: number; localAddress?: string; remoteAddress?: string; state?: SocketState;
  netns?: number | null; inode?: number | null; uid?: number | null; process?: number | null; hiddenFrom?: "proc" | "netlink" | "both" | undefined;
  exposure?: Exposure | null; direction?: Direction;
}
const arbChange: fc.Arbitrary<Tweak> = fc.oneof(
  // Mostly what a connection's judgement does not depend on (or only sometimes): its ephemeral port, the
  // other end's port or address, the inode, the socket's uid. Those are the twins the memo must tell apart
  // only when it matters.
  { weight: 4, arbitrary: fc.record({ localPort: arbPort }) }, { weight: 4, arbitrary: fc.record({ remotePort: arbPort }) },
  { weight: 2, arbitrary: fc.record({ localAddress: arbAddress }) }, { weight: 3, arbitrary: fc.record({ remoteAddress: arbAddress }) },
  { weight: 2, arbitrary: fc.record({ inode: fc.constantFrom(0, null, 4242, 7777) }) }, { weight: 2, arbitrary: fc.record({ uid: fc.constantFrom(null, 0, 1000) }) },
  fc.record({ local: arbEndpoint }), fc.record({ remote: fc.option(arbEndpoint, { nil: null }) }),
  fc.record({ state: fc.constantFrom(...STATES) }), fc.record({ netns: fc.constantFrom(null, HOST, OTHER_NS) }),
  { weight: 2, arbitrary: fc.record({ process: fc.option(fc.nat(), { nil: null }) }) },
  fc.record({ hiddenFrom: fc.constantFrom(undefined, "proc" as const, "netlink" as const, "both" as const) }),
  fc.record({ exposure: fc.constantFrom(...EXPOSURES) }), fc.record({ direction: fc.constantFrom(...DIRECTIONS) }),
);
const arbTweak: fc.Arbitrary<Tweak> = fc.oneof({ weight: 3, arbitrary: arbChange }, { weight: 1, arbitrary: fc.tuple(arbChange, arbChange).map(([a, b]) => ({ ...a, ...b })) });

/** A listener on this computer and connections to it from this computer (both ends), as on a real host. */
const arbLocalService = fc.record({
  proto: fc.constantFrom<Proto>("tcp", "udp"),
  port: fc.constantFrom(22, 53, 631, 3000, 3306, 6667, 31337, 45000, 45001),
  bind: fc.constantFrom("127.0.0.1", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1"),
  server: fc.option(fc.nat(), { nil: null }),
  netns: fc.constantFrom(null, HOST, OTHER_NS),
  clients: fc.array(fc.record({
    port: fc.constantFrom(40000, 40001, 51234, 60999), state: fc.constantFrom<SocketState>("ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT2", "SYN_SENT"),
    client: fc.option(fc.nat(), { nil: null }), serverEnd: fc.boolean(), inode: fc.constantFrom(0, null, 999),
  }), { maxLength: 4 }),
});

type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
interface Look {
  processes: ProcessInfo[];
  raws: Raw[];
  tweaks: { of: number; tweak: Tweak }[];
  services: ValueOf<typeof arbLocalService>[];
}
const arbLook: fc.Arbitrary<Look> = fc.record({
  processes: fc.array(arbProcess, { minLength: 1, maxLength: 8 }),
  raws: fc.array(arbRaw, { minLength: 1, maxLength: 20 }),
  tweaks: fc.array(fc.record({ of: fc.nat(), tweak: arbTweak }), { maxLength: 80 }),
  services: fc.array(arbLocalService, { maxLength: 4 }),
}) as fc.Arbitrary<Look>;

const familyOf = (address: string) => (address.includes(":") ? 6 : 4);

function socketOf(r: Raw, processes: readonly ProcessInfo[]): Socket {
  const s: Socket = {
    proto: r.proto, family: familyOf(r.local.address), local: { ...r.local }, remote: r.remote === null ? null : { ...r.remote }, state: r.state,
    direction: r.direction, exposure: r.exposure, netns: r.netns, inode: r.inode, uid: r.uid, service: null,
    process: r.process === null ? null : (processes[r.process % processes.length] as ProcessInfo), sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
  };
  if (r.hiddenFrom !== undefined) s.hiddenFrom = r.hiddenFrom;
  return s;
}

/**
 * The sockets of a generated look. "shaped": as a collector or capture reader gives them (direction and
 * exposure from classify); "free": any direction and exposure (a connection's remote end is always
 * there, as the Socket type says: null only when not connected).
 */
function socketsOf(look: Look, shape: "shaped" | "free"): Socket[] {
  const { processes } = look;
  const proc = (i: number | null) => (i === null ? null : (processes[i % processes.length] as ProcessInfo));
  const sockets = look.raws.map((r) => socketOf(r, processes));
  for (const { of, tweak: t } of look.tweaks) {
    const base = sockets[of % sockets.length] as Socket;
    const s: Socket = { ...base, local: { ...(t.local ?? base.local) }, remote: t.remote === undefined ? (base.remote && { ...base.remote }) : t.remote && { ...t.remote } };
    if (t.localPort !== undefined) s.local.port = t.localPort;
    if (t.localAddress !== undefined) s.local.address = t.localAddress;
    if (s.remote && t.remotePort !== undefined) s.remote.port = t.remotePort;
    if (s.remote && t.remoteAddress !== undefined) s.remote.address = t.remoteAddress;
    s.family = familyOf(s.local.address);
    if (t.state !== undefined) s.state = t.state;
    if (t.netns !== undefined) s.netns = t.netns;
    if (t.inode !== undefined) s.inode = t.inode;
    if (t.uid !== undefined) s.uid = t.uid;
    if (t.process !== undefined) s.process = proc(t.process);
    if ("hiddenFrom" in t) { if (t.hiddenFrom === undefined) delete s.hiddenFrom; else s.hiddenFrom = t.hiddenFrom; }
    if (t.exposure !== undefined) s.exposure = t.exposure;
    if (t.direction !== undefined) s.direction = t.direction;
    sockets.push(s);
  }
  for (const svc of look.services) {
    const loop = svc.bind.includes(":") && !svc.bind.startsWith("::ffff:") ? "::1" : "127.0.0.1";
    const one = (local: Endpoint, remote: Endpoint | null, state: SocketState, p: ProcessInfo | null, inode: number | null, direction: Direction): Socket => ({
      proto: svc.proto, family: familyOf(local.address), local, remote, state, direction, exposure: null, netns: svc.netns, inode, uid: 0, service: null,
      process: p, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
    });
    sockets.push({ ...one({ address: svc.bind, port: svc.port }, null, svc.proto === "tcp" ? "LISTEN" : "UNCONN", proc(svc.server), 4000 + svc.port, "listening"), exposure: "loopback" });
    for (const c of svc.clients) {
      const state = svc.proto === "udp" ? "ESTABLISHED" : c.state;
      sockets.push(one({ address: loop, port: c.port }, { address: loop, port: svc.port }, state, proc(c.client), c.inode, "outbound"));
      if (c.serverEnd) sockets.push(one({ address: loop, port: svc.port }, { address: loop, port: c.port }, state, proc(svc.server), c.inode, "inbound"));
    }
  }
  if (shape === "shaped") {
    // hiddenFrom stays where generated: the collector sets it on listeners, a portwatch JSON capture may say it of any socket.
    for (const s of sockets) { s.direction = "unknown"; s.exposure = null; }
    classify(sockets, HOST);
  } else {
    for (const s of sockets) {
      if ((s.direction === "inbound" || s.direction === "outbound") && s.remote === null) s.remote = { address: "198.51.100.7", port: 443 };
    }
  }
  enrich(sockets, registry);
  return sockets;
}

const arbOptions = fc.record({
  mode: fc.constantFrom<EvaluateOptions["mode"]>("live-root", "live", "capture"),
  origin: fc.constantFrom<Origin>("live", "linux-capture", "windows-capture", "bsd-capture"),
  selfPid: fc.constantFrom(null, 100, 103),
  policy: fc.boolean(),
  baseline: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
  cuts: fc.array(fc.nat(80), { maxLength: 3 }),
  owners: fc.boolean(),
});

describe("createJudge memo on generated sockets", () => {
  for (const shape of ["shaped", "free"] as const) {
    it(`createJudge with its memo judges generated sockets (${shape === "shaped" ? "directions and exposure from classify" : "any direction and exposure"}) as judging each socket afresh does`, () => {
      let shared = 0, connections = 0;
      fc.assert(fc.property(arbLook, arbOptions, (look, o) => {
        const sockets = socketsOf(look, shape);
        const options: EvaluateOptions = {
          knowledge, mode: o.mode, origin: o.origin, selfPid: o.selfPid, policy: o.policy ? policy : null,
          baseline: o.baseline === null ? null : baselineOf(sockets, o.baseline, HOST, o.owners), owners: o.owners ? OWNERS : null,
        };
        const r = judgeBoth(sockets, options, o.cuts);
        shared += r.shared;
        connections += sockets.filter((s) => s.direction !== "listening").length;
        if (r.diffs.length > 0) throw new Error(`${r.diffs.length} sockets judged differently:\n${r.diffs.slice(0, 3).join("\n")}`);
      }), { numRuns: 300, includeErrorInReport: true });
      // The property means something only if many connections did take their judgement from the memo.
      assert.ok(shared > connections / 20, `only ${shared} of ${connections} connections were judged from the memo`);
    });
  }

  it("createJudge with a memo kept from look to look (watch, serve) judges each look as judging it afresh does, when listeners change hands between looks", () => {
    fc.assert(fc.property(arbLook, arbLook, arbOptions, fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (first, later, o, dropped, rehomed) => {
      const one = socketsOf(first, "shaped");
      // One policy and one baseline for the whole session, as watch keeps them.
      const options: EvaluateOptions = {
        knowledge, mode: o.mode, origin: "live", selfPid: o.selfPid, policy: o.policy ? policy : null,
        baseline: o.baseline === null ? null : baselineOf(one, o.baseline, HOST),
      };
      const memo = new JudgementMemo();
      const r1 = judgeBoth(one, options, o.cuts, memo);
      if (r1.diffs.length > 0) throw new Error(`first look:\n${r1.diffs.slice(0, 3).join("\n")}`);
      // The next look: the collector makes new Socket objects but keeps each running process's ProcessInfo
      // (its owner cache). Some sockets are gone, some listeners are now held by another program, and
      // new sockets (of the same processes and new ones) appear.
      const gone = new Set(dropped.map((i) => i % one.length));
      const pool = [...first.processes, ...later.processes];
      const two: Socket[] = [];
      one.forEach((s, i) => {
        if (gone.has(i)) return;
        const next: Socket = { ...s, local: { ...s.local }, remote: s.remote && { ...s.remote }, direction: "unknown", exposure: null, verdict: "unknown", reasons: NONE, explanation: null };
        two.push(next);
      });
      const listeners = two.filter(isListening);
      for (const k of rehomed) { const l = listeners[k % Math.max(1, listeners.length)]; if (l) l.process = pool[k % pool.length] as ProcessInfo; }
      const fresh = socketsOf({ ...later, processes: pool }, "shaped");
      two.push(...fresh);
      for (const s of two) { s.direction = "unknown"; s.exposure = null; }
      classify(two, HOST);
      enrich(two, registry);
      const r2 = judgeBoth(two, options, o.cuts, memo);
      if (r2.diffs.length > 0) throw new Error(`second look:\n${r2.diffs.slice(0, 3).join("\n")}`);
    }), { numRuns: 200, includeErrorInReport: true });
  });
});

describe("createJudge memo on finished connections", () => {
  it("createJudge judges TIME_WAIT sockets between random ephemeral ports (loopback and public ends) once, each with its own explanation, as judging each afresh does, and not those to an indicator port in that range", () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const ephemeralPort = () => 32768 + (next() % (60999 - 32768 + 1));
    // Ports in the ephemeral range that mean something all the same: a mining pool's, Back Orifice 2000's, T0rn's.
    const indicated = [45700, 54321, 47107];
    for (const p of indicated) assert.ok(knowledge.indicators(p, "tcp").length > 0, `${p} is an indicator port`);
    const sockets: Socket[] = [];
    for (let i = 0; i < 3000; i++) {
      const pub = i % 3 === 0;
      const remote: Endpoint = { address: pub ? (i % 2 ? "203.0.113.9" : "2001:db8::9") : "127.0.0.1", port: i % 50 === 0 ? 5432 : i % 41 === 0 ? indicated[i % 3] as number : ephemeralPort() };
      const local: Endpoint = { address: pub ? (remote.address.includes(":") ? "2001:db8::1" : "198.51.100.7") : "127.0.0.1", port: ephemeralPort() };
      sockets.push({
        proto: "tcp", family: familyOf(local.address), local, remote, state: i % 7 === 0 ? "FIN_WAIT2" : "TIME_WAIT", direction: "unknown", exposure: null,
        netns: HOST, inode: 0, uid: 0, service: null, process: null, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
      });
    }
    classify(sockets, HOST);
    enrich(sockets, registry);
    for (const [name, options] of configurations(sockets, { knowledge, mode: "live-root", origin: "live", selfPid: null }, HOST)) {
      const judged = sockets.map((s) => ({ ...s }));
      const r = judgeBoth(judged, options, [1000, 2000]);
      assert.deepEqual(r.diffs.slice(0, 3), [], name);
      // Each socket names its own ports ...
      assert.ok(new Set(judged.map((s) => s.explanation)).size > sockets.length / 2, name);
      // ... and without policy or baseline, most share one judgement
      if (name === "plain") assert.ok(r.shared > sockets.length * 0.9, `${name}: ${r.shared} of ${sockets.length} from the memo`);
    }
  });
});
