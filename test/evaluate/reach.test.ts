import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mergeFirewall, parseIpAddrJson } from "../../src/collect/parse/firewall-merge.js";
import { parseIptablesSave } from "../../src/collect/parse/iptables-save.js";
import { parseNftJson } from "../../src/collect/parse/nft-json.js";
import { createReachJudge, reachOf, type FirewallContext, type ReachListener } from "../../src/evaluate/reach.js";

// Real rulesets captured with nft 1.0.6 and iptables 1.8.9 (test/fixtures/firewall/README.md); the interfaces
// are `ip -j addr` of the capture namespace: lo, and eth0 with 192.0.2.10/24 and 2001:db8::10/64.
const dir = new URL("../fixtures/firewall/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(`${dir}${name}`, "utf8");
const interfaces = parseIpAddrJson(fixture("ip-addr.json"));
const nft: FirewallContext = { ruleset: mergeFirewall(parseNftJson(fixture("nft-mixed.json")), []), interfaces };
const ipt: FirewallContext = {
  ruleset: mergeFirewall(parseNftJson(fixture("iptables-nft.nft.json")), [parseIptablesSave(fixture("iptables-nft.save"), 4), parseIptablesSave(fixture("ip6tables-nft.save"), 6)]),
  interfaces,
};
const tcp = (port: number, address = "0.0.0.0", family: 4 | 6 = 4): ReachListener => ({ proto: "tcp", family, address, port });

describe("reachOf over an nftables ruleset", () => {
  it("reachOf says open where a rule accepts the port from anyone on the interface", () => {
    assert.deepEqual(reachOf(tcp(22), nft), { kind: "open", detail: "the firewall lets anyone reach it on eth0" });
    assert.equal(reachOf(tcp(80), nft).kind, "open");
    assert.equal(reachOf({ proto: "udp", family: 4, address: "0.0.0.0", port: 53 }, nft).kind, "open");
  });
  it("reachOf follows a jump into a regular chain that accepts", () => {
    assert.equal(reachOf(tcp(8080), nft).kind, "open");
  });
  it("reachOf says restricted, naming the sources of a named set and of a prefix", () => {
    const r = reachOf(tcp(5432), nft);
    assert.equal(r.kind, "restricted");
    assert.match(r.detail, /only from 10\.0\.0\.0\/8, 192\.168\.1\.5 on eth0; otherwise nftables drops it \(the policy of chain input in table inet filter\)/);
    assert.match(reachOf(tcp(6379), nft).detail, /from 172\.16\.0\.0\/12 on eth0/);
  });
  it("reachOf says blocked by the chain's policy when a jumped-to chain returns", () => {
    assert.deepEqual(reachOf(tcp(8050), nft), { kind: "blocked", detail: "nftables drops it (the policy of chain input in table inet filter)" });
  });
  it("reachOf names the rule that drops after a goto, a reject, and a drop at prerouting", () => {
    assert.deepEqual(reachOf(tcp(8081), nft), { kind: "blocked", detail: "nftables drops it (rule 1 of chain svc2 in table inet filter)" });
    assert.deepEqual(reachOf(tcp(9000), nft), { kind: "blocked", detail: "nftables rejects it (rule 10 of chain input in table inet filter)" });
    assert.deepEqual(reachOf(tcp(9999), nft), { kind: "blocked", detail: "nftables drops it (rule 1 of chain pre in table ip raw)" });
  });
  it("reachOf says a port that prerouting DNAT sends elsewhere is not reached", () => {
    assert.deepEqual(reachOf(tcp(15432), nft), { kind: "blocked", detail: "nftables sends it on to 10.200.0.2:5432 (rule 1 of chain prerouting in table ip nat)" });
  });
  it("reachOf says unknown, naming the rule, where a match it does not understand decides", () => {
    assert.deepEqual(reachOf(tcp(7000), nft), { kind: "unknown", detail: "depends on rule 12 of chain input in table inet filter (meta skuid), which portwatch cannot evaluate" });
  });
  it("reachOf tries IPv6 sources for a v6 listener, and IPv4 too for one on ::", () => {
    assert.match(reachOf(tcp(8050, "2001:db8::10", 6), nft).detail, /only from fd00::\/8 on eth0/);
    const dual = reachOf(tcp(5432, "::", 6), nft);
    assert.equal(dual.kind, "restricted");
    assert.match(dual.detail, /10\.0\.0\.0\/8/);
  });
  it("reachOf says loopback-only for a loopback bind, and for a namespace with only loopback", () => {
    assert.deepEqual(reachOf(tcp(5432, "127.0.0.1"), nft), { kind: "loopback-only", detail: "bound to 127.0.0.1" });
    assert.equal(reachOf(tcp(22), { ...nft, interfaces: interfaces.filter((i) => i.loopback) }).kind, "loopback-only");
    assert.equal(reachOf(tcp(22, "192.0.2.99"), nft).kind, "unknown");
  });
  it("reachOf says open with an empty ruleset", () => {
    assert.equal(reachOf(tcp(5432), { ruleset: mergeFirewall(parseNftJson(fixture("nft-empty.json")), []), interfaces }).kind, "open");
  });
});

describe("reachOf and the rest of the handshake", () => {
  it("reachOf says blocked when the SYN passes but the established ACK is rejected (found by the kernel comparison)", () => {
    const ctx = { ruleset: mergeFirewall(parseNftJson(fixture("nft-established-reject.json")), []), interfaces };
    assert.deepEqual(reachOf(tcp(3001), ctx), { kind: "blocked", detail: "nftables rejects it (rule 2 of chain input in table inet pwgen)" });
    assert.equal(reachOf(tcp(3004), ctx).kind, "open");
    assert.equal(reachOf({ proto: "udp", family: 4, address: "0.0.0.0", port: 3001 }, ctx).kind, "open", "a UDP datagram is delivered as the first packet");
  });
});

describe("reachOf before conntrack", () => {
  it("reachOf says a prerouting chain before conntrack (priority -300) sees ct state invalid (found by the kernel comparison)", () => {
    const ctx = { ruleset: mergeFirewall(parseNftJson(fixture("nft-raw-ct-invalid.json")), []), interfaces };
    assert.deepEqual(reachOf(tcp(22), ctx), { kind: "blocked", detail: "nftables drops it (rule 1 of chain pre in table inet pwgen)" });
  });
});

describe("reachOf over iptables rules", () => {
  it("reachOf reads iptables' view, not nft's xt expressions: conntrack and multiport are understood", () => {
    assert.equal(reachOf(tcp(22), ipt).kind, "open");
    assert.deepEqual(reachOf(tcp(6379), ipt), { kind: "blocked", detail: "iptables drops it (the policy of chain INPUT in table ip filter)" });
    assert.deepEqual(reachOf(tcp(9000), ipt), { kind: "blocked", detail: "iptables rejects it (rule 7 of chain INPUT in table ip filter)" });
  });
  it("reachOf finds the sources a negated -s leaves, and a goto's accepted range", () => {
    assert.match(reachOf(tcp(3306), ipt).detail, /only from 192\.168\.0\.0\/16 on eth0/);
    assert.match(reachOf(tcp(8443), ipt).detail, /only from 203\.0\.113\.0\/24 on eth0/);
  });
  it("reachOf says unknown for a rule with -m recent", () => {
    assert.match(reachOf(tcp(7000), ipt).detail, /^depends on rule 8 of chain INPUT in table ip filter \(-m recent\)/);
  });
  it("reachOf uses ip6tables for IPv6: restricted to fd00::/8 for 5432", () => {
    assert.match(reachOf(tcp(5432, "2001:db8::10", 6), ipt).detail, /only from fd00::\/8 on eth0/);
  });
});

describe("createReachJudge", () => {
  it("createReachJudge gives listeners of the same port and address one answer object", () => {
    const judge = createReachJudge(nft);
    assert.equal(judge(tcp(5432)), judge(tcp(5432)));
    assert.notEqual(judge(tcp(5432)), judge(tcp(22)));
  });
  it("createReachJudge gives every port one answer when no rule matches on a port, and the same answers as reachOf", () => {
    // the captured ruleset without its port matches: rules by interface, address and state only
    const portless = nft.ruleset.tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: c.rules.filter((r) => !r.matches.some((m) => m.key === "dport" || m.key === "sport")) })) }));
    const ctx: FirewallContext = { ruleset: { tables: portless }, interfaces };
    const judge = createReachJudge(ctx);
    assert.equal(judge(tcp(22)), judge(tcp(40000)));
    for (const port of [22, 80, 5432, 40000]) assert.deepEqual(judge(tcp(port)), reachOf(tcp(port), ctx));
    const empty = createReachJudge({ ruleset: { tables: [] }, interfaces });
    assert.equal(empty(tcp(1)), empty(tcp(65535)));
    assert.equal(empty(tcp(1)).kind, "open");
    assert.notEqual(empty(tcp(1)), empty({ ...tcp(1), proto: "udp" }), "the protocol still counts");
  });
});
