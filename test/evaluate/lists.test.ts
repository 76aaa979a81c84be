import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createJudge, type EvaluateOptions } from "../../src/evaluate/evaluate.js";
import type { AddressLists } from "../../src/evaluate/lists.js";
import { buildIndex } from "../../src/knowledge/lists/compiled.js";
import { parseList } from "../../src/knowledge/lists/parse-list.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { ProcessInfo } from "../../src/model/process.js";
import { NONE, type Socket } from "../../src/model/socket.js";

const knowledge = createKnowledge();
const fixture = (name: string) => parseList(readFileSync(new URL(`../fixtures/blocklists/${name}`, import.meta.url), "utf8"), name);

function realLists(): AddressLists {
  const parsed = [["feodo", "feodo.ipset"], ["firehol_level1", "firehol_level1.netset"]].map(([name, file]) => {
    const r = fixture(file!);
    return { info: { name: name!, category: r.header.category, date: r.header.date, source: r.header.source, count: r.networks.length }, networks: r.networks };
  });
  return { lists: parsed.map((p) => p.info), index: buildIndex(parsed) };
}

const proc: ProcessInfo = { pid: 4242, name: "curl", exe: "/usr/bin/curl", exeDeleted: false, cmdline: ["curl"], uid: 1000, user: "u", containerId: null, netns: 1 };
const conn = (remote: string, direction: Socket["direction"] = "outbound", port = 443): Socket => ({
  proto: "tcp", family: remote.includes(":") ? 6 : 4, local: { address: "192.168.1.5", port: direction === "inbound" ? 22 : 50_000 + Math.floor(Math.random() * 1000) },
  remote: { address: remote, port: direction === "inbound" ? 40_000 : port }, state: "ESTABLISHED", direction, exposure: null, netns: 1, inode: 7, uid: 1000,
  service: null, process: proc, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
});

function judge(sockets: Socket[], options: Partial<EvaluateOptions> = {}): void {
  const j = createJudge({ knowledge, mode: "live-root", origin: "live", ...options });
  j.listeners(sockets);
  j.others(sockets);
}

describe("blocklist rule", () => {
  const lists = realLists();

  it("blocklist makes a connection to an address on Feodo suspicious, naming both lists, their categories and dates", () => {
    const s = conn("2.50.11.28"); // the first address of feodo.ipset, inside FireHOL level 1 too
    judge([s], { lists });
    assert.equal(s.verdict, "suspicious");
    assert.deepEqual(s.remote!.lists, [
      { name: "feodo", category: "malware", date: "2015-10-23T13:45:29Z", network: "2.50.11.28" },
      { name: "firehol_level1", category: "attacks", date: "2015-11-13T17:17:05Z", network: "2.50.11.28" },
    ]);
    const r = s.reasons.find((x) => x.rule === "blocklist");
    assert.equal(r?.message, "The other end, 2.50.11.28, is on feodo (malware, dated 2015-10-23) and on firehol_level1 (attacks, dated 2015-11-13): lists of addresses known for attacks or malware; look at which program talks to it and why");
    assert.match(s.explanation!, /; the other end, 2\.50\.11\.28, is on feodo \(malware, dated 2015-10-23\)/);
  });

  it("blocklist names the network of the list that holds the address, and speaks of an inbound peer as coming from it", () => {
    const s = conn("1.10.20.77", "inbound"); // FireHOL level 1 has 1.10.16.0/20 (from Spamhaus DROP)
    judge([s], { lists });
    assert.equal(s.verdict, "suspicious");
    assert.match(s.reasons.find((x) => x.rule === "blocklist")!.message, /^A connection from 1\.10\.20\.77, which is on firehol_level1 \(attacks, dated 2015-11-13\) as part of 1\.10\.16\.0\/20/);
  });

  it("blocklist looks up only Internet addresses: FireHOL's bogons (10/8, 192.168/16, 127/8) are not a finding", () => {
    const sockets = [conn("10.1.2.3"), conn("192.168.1.1"), conn("127.0.0.1"), conn("::ffff:10.0.0.1")];
    judge(sockets, { lists });
    for (const s of sockets) { assert.equal(s.remote!.lists, undefined); assert.ok(!s.reasons.some((r) => r.rule === "blocklist")); }
  });

  it("blocklist reads a v4-mapped peer as its IPv4 address", () => {
    const s = conn("::ffff:2.50.11.28");
    judge([s], { lists });
    assert.equal(s.remote!.lists?.[0]?.name, "feodo");
  });

  it("the judgement memo never gives a listed peer's verdict to an unlisted one, or the reverse", () => {
    const a = conn("8.8.8.8"), b = conn("2.50.11.28"), c = conn("8.8.4.4"), d = conn("2.50.11.28");
    judge([a, b, c, d], { lists });
    assert.deepEqual([a, b, c, d].map((s) => s.reasons.some((r) => r.rule === "blocklist")), [false, true, false, true]);
    assert.equal(a.explanation, c.explanation);
  });

  it("without lists nothing is looked up", () => {
    const s = conn("2.50.11.28");
    judge([s]);
    assert.equal(s.remote!.lists, undefined);
    assert.ok(!s.reasons.some((r) => r.rule === "blocklist"));
  });
});

describe("remote.lists in a policy", () => {
  it("a policy rule on remote.lists matches a listed peer by its list's name, and * matches any list", async () => {
    const { loadPolicy } = await import("../../src/evaluate/policy.js");
    const lists = realLists();
    const policy = loadPolicy("allow:\n  - process.name: curl\n    remote.lists: feodo\n    because: the malware lab\ndeny:\n  - remote.lists: '*'\n    process.name: wget\n", "p.yaml");
    const a = conn("2.50.11.28"), b = conn("1.10.20.77"), c = conn("8.8.8.8");
    const wget = { ...conn("1.10.20.77"), process: { ...proc, pid: 4343, name: "wget", exe: "/usr/bin/wget" } };
    judge([a, b, c, wget], { lists, policy });
    assert.deepEqual([a, b, wget].map((s) => s.verdict), ["expected", "suspicious", "suspicious"]);
    assert.deepEqual([a, b, c, wget].map((s) => s.reasons.find((r) => r.rule.startsWith("policy:"))?.rule ?? null), ["policy:allow", null, null, "policy:deny"]);
    assert.equal(a.reasons.at(-1)?.message, "the malware lab");
    assert.equal(wget.reasons.at(-1)?.rule, "policy:deny");
  });
});

describe("remote.lists read back", () => {
  it("a socket read back from JSON with remote.lists is judged again: its old lists go when no enabled list holds the address", () => {
    const s = { ...conn("8.8.8.8"), remote: { address: "8.8.8.8", port: 443, lists: [{ name: "old", category: null, date: null, network: "8.8.8.8" }] } };
    judge([s], { lists: realLists() });
    assert.equal(s.remote.lists, undefined);
    assert.ok(!s.reasons.some((r) => r.rule === "blocklist"));
  });
});
