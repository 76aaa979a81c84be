import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mergeFirewall, parseIpAddrJson } from "../../src/collect/parse/firewall-merge.js";
import { parseNftJson } from "../../src/collect/parse/nft-json.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { loadPolicy } from "../../src/evaluate/policy.js";
import { setReach } from "../../src/evaluate/reach.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { Reach } from "../../src/model/firewall.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import { renderTable } from "../../src/report/render-table.js";

// The firewall's answer in the judgement, the explanation, the policy and the table. The ruleset is a real
// capture (test/fixtures/firewall/README.md).
const knowledge = createKnowledge();
const dir = new URL("../fixtures/firewall/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(`${dir}${name}`, "utf8");
const proc = (name: string, exe = `/usr/sbin/${name}`): ProcessInfo => ({ pid: 700, name, exe, exeDeleted: false, cmdline: [exe], uid: 0, user: "root", containerId: null, netns: 1 });
function listener(port: number, p: ProcessInfo, proto: "tcp" | "udp" = "tcp", reach?: Reach): Socket {
  return {
    proto, family: 4, local: { address: "0.0.0.0", port }, remote: null, state: proto === "tcp" ? "LISTEN" : "UNCONN", direction: "listening",
    exposure: "all-interfaces", netns: 1, inode: 9, uid: 0, service: null, process: p, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
    ...(reach ? { reach } : {}),
  };
}
const blocked: Reach = { kind: "blocked", detail: "nftables drops it (rule 7 of chain input in table inet filter)" };
const judged = (s: Socket, policy = null as ReturnType<typeof loadPolicy> | null) => { evaluate([s], { knowledge, mode: "live-root", origin: "live", policy }); return s; };

describe("setReach", () => {
  it("setReach sets reach on tcp and udp listeners of namespaces whose firewall was read, and none on others", () => {
    const fw = { ruleset: mergeFirewall(parseNftJson(fixture("nft-mixed.json")), []), interfaces: parseIpAddrJson(fixture("ip-addr.json")), problem: null };
    const a = listener(5432, proc("postgres")), b = { ...listener(22, proc("sshd")), netns: 2 };
    const raw = { ...listener(1, proc("ping")), proto: "raw" as const };
    assert.equal(setReach([a, b, raw], new Map([[1, fw]])), null);
    assert.equal(a.reach?.kind, "restricted");
    assert.equal(b.reach, undefined, "a namespace whose firewall was not read");
    assert.equal(raw.reach, undefined);
  });
  it("setReach gives one warning when a firewall could not be read, and leaves reach unset", () => {
    const s = listener(22, proc("sshd"));
    const w = setReach([s, listener(23, proc("x"))], new Map([[null, { ruleset: null, interfaces: [], problem: "neither nft nor iptables-save is installed" }]]));
    assert.match(w ?? "", /^Cannot read the firewall: neither nft nor iptables-save is installed .*judged from its bind address alone$/);
    assert.equal(s.reach, undefined);
  });
});

describe("the judgement with reach", () => {
  it("exposed-service says the firewall drops what the bind address exposes, and stays unknown", () => {
    const s = judged(listener(6379, proc("redis-server", "/usr/bin/redis-server"), "tcp", blocked));
    assert.equal(s.verdict, "unknown");
    assert.match(s.reasons.find((r) => r.rule === "exposed-service")?.message ?? "", /listens on every network interface, but nftables drops it \(rule 7 of chain input in table inet filter\)/);
  });
  it("exposed-service says who the firewall lets in when it does", () => {
    const s = judged(listener(6379, proc("redis-server", "/usr/bin/redis-server"), "tcp", { kind: "open", detail: "the firewall lets anyone reach it on eth0" }));
    assert.match(s.reasons.find((r) => r.rule === "exposed-service")?.message ?? "", /, and the firewall lets anyone reach it on eth0/);
  });
  it("cups-browsed on UDP 631 is at most unknown when the firewall blocks it, suspicious when it does not", () => {
    const p = proc("cups-browsed");
    assert.equal(judged(listener(631, p, "udp", blocked)).verdict, "unknown");
    assert.equal(judged(listener(631, p, "udp", { kind: "open", detail: "d" })).verdict, "suspicious");
    assert.equal(judged(listener(631, p, "udp")).verdict, "suspicious");
  });
  it("the explanation says what the firewall does", () => {
    const s = judged(listener(6379, proc("redis-server", "/usr/bin/redis-server"), "tcp", blocked));
    assert.match(s.explanation ?? "", /here open to every network this computer is on, but nftables drops it \(rule 7 of chain input in table inet filter\)/);
  });
  it("a policy matches reach.kind", () => {
    const policy = loadPolicy("allow:\n  - reach.kind: [blocked, loopback-only]\n    because: the firewall keeps it in\n", "p.yaml");
    assert.equal(judged(listener(6379, proc("redis-server", "/usr/bin/redis-server"), "tcp", blocked), policy).verdict, "expected");
    assert.equal(judged(listener(6379, proc("redis-server", "/usr/bin/redis-server")), policy).verdict, "unknown");
  });
});

describe("renderTable with reach", () => {
  const s = judged(listener(6379, proc("redis-server", "/usr/bin/redis-server"), "tcp", blocked));
  it("renderTable adds a Reach column when a listener has reach and the table has room", () => {
    const text = renderTable([s]);
    assert.match(text.split("\n")[0]!, /\s+Reach$/);
    assert.match(text, /\bblocked$/m);
  });
  it("renderTable leaves the Reach column out at 80 columns, and when no socket has reach", () => {
    assert.ok(!renderTable([s], { width: 80 }).includes("Reach"));
    assert.ok(!renderTable([judged(listener(6379, proc("redis-server", "/usr/bin/redis-server")))]).includes("Reach"));
  });
});
