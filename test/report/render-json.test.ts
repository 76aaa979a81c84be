import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { collectLinux } from "../../src/collect/linux.js";
import type { Socket } from "../../src/model/socket.js";
import { allFields, SOCKET_FIELDS } from "../../src/model/socket-fields.js";
import { renderJson, renderNdjsonChunks, socketJson } from "../../src/report/render-json.js";
import { jsonSafe } from "../../src/report/safe-text.js";

const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname;
const c = await collectLinux({ procRoot: tree, passwdFile: `${tree}etc-passwd`, netnsDir: "/nonexistent" });

const text = fc.string({ unit: "binary", maxLength: 20 });
const endpoint = fc.record({ address: text, port: fc.nat(65535) }, { requiredKeys: ["address", "port"] });
const arbSocket: fc.Arbitrary<Socket> = fc.record({
  proto: fc.constantFrom("tcp", "udp", "raw"), family: fc.constantFrom(4, 6),
  local: fc.oneof(endpoint, fc.record({ address: text, port: fc.nat(65535), host: text })),
  remote: fc.option(endpoint),
  state: fc.constantFrom("LISTEN", "ESTABLISHED", "UNCONN", "TIME_WAIT"),
  direction: fc.constantFrom("listening", "inbound", "outbound", "unknown"),
  exposure: fc.option(fc.constantFrom("loopback", "all-interfaces", "interface", "container")),
  netns: fc.option(fc.nat()), inode: fc.option(fc.nat()), uid: fc.option(fc.nat()),
  service: fc.option(fc.record({ name: text, port: fc.nat(65535) })),
  process: fc.option(fc.record({
    pid: fc.nat(), name: fc.option(text), exe: fc.option(text), exeDeleted: fc.boolean(), cmdline: fc.option(fc.array(text)),
    uid: fc.option(fc.nat()), user: fc.option(text), containerId: fc.option(text), netns: fc.option(fc.nat()),
  })),
  sharedWith: fc.array(fc.record({ pid: fc.nat(), name: fc.option(text) }), { maxLength: 2 }),
  verdict: fc.constantFrom("expected", "unknown", "suspicious"),
  reasons: fc.array(fc.record({ rule: text, verdict: fc.constantFrom("expected", "unknown", "suspicious"), message: text }), { maxLength: 2 }),
  explanation: fc.option(text),
}) as fc.Arbitrary<Socket>;

describe("socketJson", () => {
  it("socketJson writes exactly what JSON.stringify would, with DEL/C1 escaped, for every captured socket", () => {
    for (const s of c.sockets) assert.equal(socketJson(s), jsonSafe(JSON.stringify(s)));
  });
  it("socketJson matches JSON.stringify for arbitrary sockets, control characters and all", () => {
    fc.assert(fc.property(arbSocket, (s) => socketJson(s) === jsonSafe(JSON.stringify(s))), { numRuns: 1000 });
  });
});

const MAPPING = { hostAddress: "0.0.0.0", hostPort: 8080, containerAddress: "172.17.0.2", containerPort: 80, hostNetns: 4026531840, via: "dnat" as const, rule: "rule 2 of chain DOCKER in table ip nat", reach: { kind: "open" as const, detail: "d" } };

describe("socketJson against SOCKET_FIELDS", () => {
  const base = c.sockets.find((s) => s.process !== null && s.remote === null)!;
  const keysOf = (json: string) => Object.keys(JSON.parse(json) as object);
  const cases: [string, Socket, string[]][] = [
    ["a socket has the table's keys in its order, hiddenFrom left out when unset", base, SOCKET_FIELDS.filter((f) => f.presence === "always").map((f) => f.name)],
    ["hiddenFrom, unlisted, reach, v6only, published and publishes are written last when set", { ...base, hiddenFrom: "netlink", unlisted: "wildcard-only", reach: { kind: "blocked", detail: "nftables drops it" }, v6only: false, published: [MAPPING], publishes: [MAPPING] }, SOCKET_FIELDS.map((f) => f.name)],
    ["unlisted is written last when set alone", { ...base, unlisted: "wildcard-and-loopback" }, [...SOCKET_FIELDS.filter((f) => f.presence === "always").map((f) => f.name), "unlisted"]],
  ];
  for (const [what, s, keys] of cases) it(`socketJson: ${what}`, () => assert.deepEqual(keysOf(socketJson(s)), keys));

  it("socketJson writes every field path of the table, and no other", () => {
    const paths = new Set<string>();
    const walk = (v: unknown, prefix: string) => {
      if (Array.isArray(v)) { for (const x of v) walk(x, `${prefix}[]`); return; }
      if (v === null || typeof v !== "object") return;
      for (const [k, x] of Object.entries(v)) { const p = prefix ? `${prefix}.${k}` : k; paths.add(p); walk(x, p); }
    };
    const full: Socket = {
      ...base, remote: { address: "192.0.2.1", port: 443, host: "example.org", lists: [{ name: "feodo", category: "malware", date: "2015-10-23T13:45:29Z", network: "192.0.2.1" }], asn: { number: 64496, org: "Example AS" } }, local: { ...base.local, host: "me" }, service: { name: "https", port: 443 },
      sharedWith: [{ pid: 2, name: "x" }], reasons: [{ rule: "r", verdict: "unknown", message: "m" }], hiddenFrom: "proc", unlisted: "wildcard-only", reach: { kind: "open", detail: "d" }, v6only: true, published: [MAPPING], publishes: [{ ...MAPPING, via: "docker-proxy" }],
      process: { ...base.process!, nameCut: true, package: { name: "p", version: "1", verified: true }, provenance: { database: "dpkg", writable: { path: "/opt/x", by: "anyone" }, foreign: [{ path: "/dev/shm/x.so", place: "world-writable", deleted: false, via: "mapped" }] },
        ancestry: [{ pid: 1, name: "systemd", exe: "/usr/lib/systemd/systemd", uid: 0 }], tty: "pts/1", unit: "x.service",
        terminalsBelow: [{ tty: "pts/2", between: [{ pid: 5, name: "a", exe: null, uid: 0 }], on: [{ pid: 6, name: "sh", exe: "/bin/sh", uid: 0, cmdline: ["sh"] }] }] },
    };
    walk(JSON.parse(socketJson(full)), "");
    assert.deepEqual([...paths].sort(), allFields().map((f) => f.path).sort());
  });

  // Objects that do not come from collect (hand-made, or read from a file by an older reader) cannot add keys to the contract.
  it("socketJson writes a process's fields in the table's order and leaves out keys the table does not have", () => {
    const p = base.process!;
    const odd = { evil: "x\n", terminalsBelow: p.terminalsBelow ?? [], unit: p.unit ?? null, tty: p.tty ?? null, ancestry: p.ancestry ?? null, netns: p.netns, containerId: p.containerId, user: p.user, uid: p.uid, cmdline: p.cmdline, exeDeleted: p.exeDeleted, exe: p.exe, name: p.name, pid: p.pid };
    const json = socketJson({ ...base, process: odd, reasons: [{ rule: "r", verdict: "unknown", message: "m", extra: 1 } as never] });
    assert.equal(json, socketJson({ ...base, process: { ...p }, reasons: [{ rule: "r", verdict: "unknown", message: "m" }] }));
    assert.ok(!json.includes("evil") && !json.includes("extra"));
  });
});

describe("renderJson", () => {
  it("renderJson is one parseable object whose sockets equal the input, in pieces or whole", () => {
    const snap = { schema: 1 as const, host: { hostname: "h", source: "live" as const, collectedAt: "2026-11-26T00:00:00.000Z" }, sockets: c.sockets, warnings: ["w\u001b"], summary: { expected: 0, unknown: c.sockets.length, suspicious: 0 } };
    const parsed = JSON.parse(renderJson(snap));
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(snap)));
    assert.ok(!renderJson(snap).includes("\u001b"));
    assert.deepEqual(JSON.parse(renderJson({ ...snap, sockets: [] })).sockets, []);
  });
  it("renderNdjsonChunks prints one socket per line", () => {
    const lines = [...renderNdjsonChunks(c.sockets)].join("").trimEnd().split("\n");
    assert.equal(lines.length, c.sockets.length);
    assert.deepEqual(JSON.parse(lines[0]!), JSON.parse(JSON.stringify(c.sockets[0])));
  });
});
