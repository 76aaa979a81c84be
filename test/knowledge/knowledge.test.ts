import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { validateKnowledgeData } from "../../src/knowledge/schema.js";
import indicators from "../../src/knowledge/data/indicators.json" with { type: "json" };
import ports from "../../src/knowledge/data/ports.json" with { type: "json" };
import programs from "../../src/knowledge/data/programs.json" with { type: "json" };

const invalid = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/knowledge-invalid/${name}`, import.meta.url), "utf8")) as unknown;

describe("createKnowledge", () => {
  const k = createKnowledge();

  it("validateKnowledgeData accepts the knowledge files that ship (as the build does)", () => {
    const data = validateKnowledgeData({ ports, indicators, programs });
    assert.equal(data.ports.ports.length, k.entries.length);
  });

  it("createKnowledge loads at least 150 ports, each explained with its usual owners, normality and reach", () => {
    assert.ok(k.entries.length >= 150, `only ${k.entries.length}`);
    const categories = [22, 25, 53, 68, 80, 123, 143, 389, 443, 445, 631, 1194, 2375, 3306, 5353, 5432, 6379, 9090, 11211, 27017];
    for (const port of categories) assert.ok(k.port(port, "tcp") ?? k.port(port, "udp"), `no entry for ${port}`);
    assert.equal(k.port(6668, "tcp")?.name, "ircu"); // a range
    assert.equal(k.port(5355, "udp")?.name, "llmnr"); // "both"
    assert.equal(k.port(1, "raw"), null);
  });

  it("createKnowledge indexes the indicator lists with their sources and collisions", () => {
    assert.deepEqual(k.indicators(6667, "tcp").map((h) => h.list).sort(), ["backdoor", "irc"]);
    assert.deepEqual(k.indicators(4444, "tcp").map((h) => h.list).sort(), ["backdoor", "miner"]);
    assert.ok(k.indicators(31337, "udp").length === 1);
    assert.ok(k.indicators(4369, "tcp")[0]?.entry.collisions?.[0]?.owners.includes("epmd"));
    assert.deepEqual(k.indicators(22, "tcp"), []);
  });

  it("createKnowledge knows program groups and kernel-thread names", () => {
    assert.ok(k.is("ircClients", "weechat") && k.is("browsers", "firefox") && k.is("netcats", "ncat") && !k.is("shells", "sshd"));
    assert.ok(k.looksLikeKernelThread("kworker/0:1") && k.looksLikeKernelThread("[kthreadd]") && !k.looksLikeKernelThread("kworkerd"));
  });

  const bad: [string, () => unknown, RegExp][] = [
    ["a port with an unknown protocol", () => validateKnowledgeData({ ports: invalid("ports-bad-proto.json"), indicators, programs }), /Cannot load knowledge file "ports.json": ports\.0\.proto: Invalid option: expected one of "tcp"\|"udp"\|"both"/],
    ["a port with an unknown field", () => validateKnowledgeData({ ports: invalid("ports-unknown-field.json"), indicators, programs }), /ports\.0: Unrecognized key: "risk"/],
    ["a range that ends before it starts", () => validateKnowledgeData({ ports: invalid("ports-bad-range.json"), indicators, programs }), /ports\.0\.to: 'to' must not be below 'port'/],
    ["an indicator without a source", () => validateKnowledgeData({ ports, indicators: invalid("indicators-no-source.json"), programs }), /"indicators.json": irc\.entries\.0\.source: Invalid input/],
    ["a kernel-thread pattern that is not a regular expression", () => validateKnowledgeData({ ports, indicators, programs: invalid("programs-bad-regex.json") }), /"programs.json": kernelThreadPatterns\.0: not a valid regular expression/],
  ];
  for (const [what, load, message] of bad) {
    it(`validateKnowledgeData refuses ${what}, naming the file and field`, () => assert.throws(load, message));
  }
});
