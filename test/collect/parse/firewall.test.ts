import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mergeFirewall, parseIpAddrJson } from "../../../src/collect/parse/firewall-merge.js";
import { parseIptablesSave } from "../../../src/collect/parse/iptables-save.js";
import { parseNftJson } from "../../../src/collect/parse/nft-json.js";
import type { FirewallChain, FirewallTable } from "../../../src/model/firewall.js";

// Real captures from nft 1.0.6 and iptables 1.8.9 in namespaces made for them (test/fixtures/firewall/README.md).
const dir = new URL("../../fixtures/firewall/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(`${dir}${name}`, "utf8");
const chain = (t: FirewallTable | undefined, name: string): FirewallChain => {
  const c = t?.chains.find((x) => x.name === name);
  assert.ok(c, `chain ${name}`);
  return c;
};

describe("parseNftJson", () => {
  const { tables, problems } = parseNftJson(fixture("nft-mixed.json"));
  const filter = tables.find((t) => t.family === "inet" && t.name === "filter");
  it("parseNftJson reads tables, base chains with hook, priority and policy, and regular chains", () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(tables.map((t) => `${t.family} ${t.name}`), ["inet filter", "ip nat", "ip raw"]);
    assert.deepEqual(chain(filter, "input").base, { hook: "input", priority: 0, policy: "drop", type: "filter" });
    assert.equal(chain(filter, "services").base, null);
    assert.deepEqual(chain(tables[1], "prerouting").base, { hook: "prerouting", priority: -100, policy: "accept", type: "nat" });
    assert.equal(chain(tables[2], "pre").base?.priority, -300);
  });
  it("parseNftJson resolves named sets, anonymous sets, prefixes and ranges", () => {
    const input = chain(filter, "input");
    const r5 = input.rules[4]!;
    assert.equal(r5.handle, 10);
    const saddr = r5.matches[0];
    assert.ok(saddr?.key === "saddr");
    assert.deepEqual(saddr.ranges.map((r) => r.text), ["10.0.0.0/8", "192.168.1.5"]);
    assert.equal(saddr.family, 4);
    assert.deepEqual(input.rules[5]!.matches[1], { key: "dport", op: "==", proto: "tcp", ranges: [[6379, 6379], [6380, 6380]] });
    assert.deepEqual(input.rules[6]!.matches[0], { key: "dport", op: "==", proto: "tcp", ranges: [[80, 80], [443, 443]] });
    assert.deepEqual(input.rules[7]!.matches[0], { key: "dport", op: "==", proto: "tcp", ranges: [[8000, 8099]] });
  });
  it("parseNftJson reads verdicts: accept, drop, reject, jump, goto, return, dnat, and none for a counter", () => {
    const input = chain(filter, "input");
    assert.deepEqual(input.rules.map((r) => r.verdict?.kind ?? null), ["accept", "drop", "accept", "accept", "accept", "accept", "accept", "jump", "accept", "reject", "accept", "accept", null]);
    assert.deepEqual(chain(filter, "services").rules.map((r) => r.verdict?.kind), ["accept", "accept", "goto", "return"]);
    assert.deepEqual(chain(tables[1], "prerouting").rules[0]!.verdict, { kind: "dnat", addr: "10.200.0.2", port: 5432 });
  });
  it("parseNftJson keeps ct state, iif, iifname and negation, and a match it does not know as other", () => {
    const input = chain(filter, "input");
    assert.deepEqual(input.rules[0]!.matches[0], { key: "ct-state", op: "==", states: ["established", "related"] });
    assert.deepEqual(input.rules[2]!.matches[0], { key: "iif", op: "==", names: ["lo"] });
    assert.deepEqual(input.rules[11]!.matches[1], { key: "other", text: "meta skuid" });
    assert.deepEqual(chain(filter, "svc2").rules[0]!.matches[0], { key: "iif", op: "!=", names: ["eth1"] });
  });
  it("parseNftJson shows iptables-nft's xt matches and targets as other", () => {
    const { tables: t } = parseNftJson(fixture("iptables-nft.nft.json"));
    const input = chain(t.find((x) => x.name === "filter"), "INPUT");
    assert.deepEqual(input.rules[0]!.matches, [{ key: "other", text: "xt match conntrack" }]);
    assert.deepEqual(input.rules[6]!.verdict, { kind: "other", text: "xt target REJECT" });
  });
  it("parseNftJson reads an empty ruleset, and says what is wrong with text that is not its JSON", () => {
    assert.deepEqual(parseNftJson(fixture("nft-empty.json")), { tables: [], problems: [] });
    assert.match(parseNftJson("Error: Operation not permitted").problems[0]!.reason, /not JSON/);
    assert.match(parseNftJson("[1]").problems[0]!.reason, /no "nftables" list/);
  });
});

describe("parseIptablesSave", () => {
  it("parseIptablesSave reads tables, built-in chains with the x_tables priorities, user chains and the backend", () => {
    const r = parseIptablesSave(fixture("iptables-nft.save"), 4);
    assert.equal(r.backend, "nf_tables");
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.tables.map((t) => `${t.family} ${t.name} ${t.source}`), ["ip filter iptables", "ip nat iptables"]);
    const filter = r.tables[0];
    assert.deepEqual(chain(filter, "INPUT").base, { hook: "input", priority: 0, policy: "drop", type: "filter" });
    assert.equal(chain(filter, "SERVICES").base, null);
    assert.deepEqual(chain(r.tables[1], "PREROUTING").base, { hook: "prerouting", priority: -100, policy: "accept", type: "nat" });
  });
  it("parseIptablesSave reads -s, -i, -p, --dport, multiport, conntrack, negation, -j, -g and DNAT", () => {
    const r = parseIptablesSave(fixture("iptables-nft.save"), 4);
    const input = chain(r.tables[0], "INPUT");
    assert.deepEqual(input.rules[0]!.matches, [{ key: "ct-state", op: "==", states: ["related", "established"] }]);
    assert.deepEqual(input.rules[4]!.matches, [
      { key: "iif", op: "==", names: ["eth1"] }, { key: "l4proto", op: "==", protos: ["tcp"] },
      { key: "dport", op: "==", proto: "tcp", ranges: [[6379, 6379], [8000, 8099]] }]);
    assert.deepEqual(input.rules[7]!.matches[2], { key: "other", text: "-m recent" });
    const neg = input.rules[8]!.matches[0];
    assert.ok(neg?.key === "saddr" && neg.op === "!=" && neg.ranges[0]!.text === "192.168.0.0/16");
    assert.deepEqual(input.rules[9]!.verdict, { kind: "jump", target: "SERVICES" });
    assert.deepEqual(chain(r.tables[0], "SERVICES").rules[1]!.verdict, { kind: "goto", target: "SVC2" });
    assert.deepEqual(chain(r.tables[1], "PREROUTING").rules[0]!.verdict, { kind: "dnat", addr: "10.200.0.2", port: 5432 });
  });
  it("parseIptablesSave reads ip6tables-save, legacy output (no backend tag) and an empty output", () => {
    const six = parseIptablesSave(fixture("ip6tables-nft.save"), 6);
    const s = chain(six.tables[0], "INPUT").rules[0]!.matches[0];
    assert.ok(s?.key === "saddr" && s.ranges[0]!.family === 6 && s.ranges[0]!.text === "fd00::/8");
    assert.deepEqual(chain(six.tables[0], "INPUT").rules[3]!.matches[1], { key: "dport", op: "==", proto: "udp", ranges: [[500, 600]] });
    const legacy = parseIptablesSave(fixture("iptables-legacy.save"), 4);
    assert.equal(legacy.backend, "legacy");
    assert.ok(legacy.tables.every((t) => t.source === "iptables-legacy"));
    assert.deepEqual(parseIptablesSave(fixture("iptables-empty.save"), 4), { tables: [], backend: null, incompatible: [], problems: [] });
  });
  it("parseIptablesSave notes the tables iptables-nft cannot show, and lines outside a table", () => {
    const r = parseIptablesSave("# Table `raw' contains incompatible base-chains, use 'nft' tool to list them.\n-A INPUT -j ACCEPT\n", 4);
    assert.deepEqual(r.incompatible, ["raw"]);
    assert.equal(r.problems[0]!.line, 2);
  });
});

describe("mergeFirewall", () => {
  it("mergeFirewall takes iptables-nft's tables from iptables-save, not nft's xt view, and keeps nft's own", () => {
    const nft = parseNftJson(fixture("iptables-nft.nft.json"));
    const ipt = parseIptablesSave(fixture("iptables-nft.save"), 4);
    const merged = mergeFirewall(nft, [ipt]);
    assert.deepEqual(merged.tables.map((t) => `${t.family} ${t.name} ${t.source}`).sort(), ["ip filter iptables", "ip nat iptables"]);
    const own = mergeFirewall(parseNftJson(fixture("nft-mixed.json")), [ipt]);
    assert.deepEqual(own.tables.map((t) => `${t.family} ${t.name} ${t.source}`).sort(),
      ["inet filter nftables", "ip filter iptables", "ip nat iptables", "ip raw nftables"]);
  });
  it("mergeFirewall adds legacy tables beside nft's", () => {
    const merged = mergeFirewall(parseNftJson(fixture("nft-mixed.json")), [parseIptablesSave(fixture("iptables-legacy.save"), 4)]);
    assert.equal(merged.tables.length, 5);
  });
});

describe("parseIpAddrJson", () => {
  it("parseIpAddrJson reads each interface's name, loopback flag and addresses", () => {
    const list = parseIpAddrJson(fixture("ip-addr.json"));
    assert.deepEqual(list.find((i) => i.name === "lo"), { name: "lo", loopback: true, up: true, addresses: ["127.0.0.1", "::1"], networks: ["127.0.0.1/8", "::1/128"] });
    assert.deepEqual(list.find((i) => i.name === "eth0")?.networks?.slice(0, 2), ["192.0.2.10/24", "2001:db8::10/64"]);
    assert.deepEqual(list.find((i) => i.name === "eth0")?.addresses.slice(0, 2), ["192.0.2.10", "2001:db8::10"]);
    assert.deepEqual(parseIpAddrJson("not json"), []);
  });
});

describe("the matches of published ports (docker's chains, nft's DNAT)", () => {
  it("parseIptablesSave reads -o as an oif match and -m addrtype --dst-type LOCAL as daddr-local", () => {
    const { tables } = parseIptablesSave(fixture("docker-nat.save"), 4);
    const nat = tables.find((t) => t.name === "nat");
    assert.deepEqual(chain(nat, "PREROUTING").rules[0]?.matches, [{ key: "daddr-local", op: "==" }]);
    assert.deepEqual(chain(nat, "OUTPUT").rules[0]?.matches.map((m) => m.key), ["daddr", "daddr-local"]);
    const filter = tables.find((t) => t.name === "filter");
    assert.deepEqual(chain(filter, "DOCKER").rules[0]?.matches.filter((m) => m.key === "iif" || m.key === "oif"),
      [{ key: "iif", op: "!=", names: ["docker0"] }, { key: "oif", op: "==", names: ["docker0"] }]);
    assert.deepEqual(chain(nat, "DOCKER").rules[1]?.verdict, { kind: "dnat", addr: "172.17.0.2", port: 80 });
  });
  it("parseNftJson reads fib daddr type local, oifname and dnat to", () => {
    const { tables } = parseNftJson(fixture("nft-dnat.json"));
    const pre = chain(tables.find((t) => t.name === "pwnat"), "prerouting");
    assert.deepEqual(pre.rules[0]?.matches[0], { key: "daddr-local", op: "==" });
    assert.deepEqual(pre.rules[0]?.verdict, { kind: "dnat", addr: "198.51.100.2", port: 5432 });
    const fwd = chain(tables.find((t) => t.name === "pwfilter"), "forward");
    assert.deepEqual(fwd.rules[1]?.matches[0], { key: "oif", op: "==", names: ["ctr0"] });
  });
});
