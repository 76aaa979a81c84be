import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { validateKnowledgeData } from "../../src/knowledge/schema.js";
import indicators from "../../src/knowledge/data/indicators.json" with { type: "json" };
import ports from "../../src/knowledge/data/ports.json" with { type: "json" };
import programs from "../../src/knowledge/data/programs.json" with { type: "json" };
import interpreters from "../../src/knowledge/data/interpreters.json" with { type: "json" };

const invalid = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/knowledge-invalid/${name}`, import.meta.url), "utf8")) as unknown;

describe("createKnowledge", () => {
  const k = createKnowledge();

  it("validateKnowledgeData accepts the knowledge files that ship (as the build does)", () => {
    const data = validateKnowledgeData({ ports, indicators, programs, interpreters });
    assert.equal(data.ports.ports.length, k.entries.length);
    assert.ok(Object.keys(data.interpreters.families).length >= 20);
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
    assert.ok(k.is("ircClients", "weechat") && k.is("browsers", "firefox") && !k.is("browsers", "sshd"));
    assert.ok(k.looksLikeKernelThread("kworker/0:1") && k.looksLikeKernelThread("[kthreadd]") && !k.looksLikeKernelThread("kworkerd"));
  });

  // [program name as a process shows it, the grammar family it has (null: none)]
  const grammars: [string | null, string | null][] = [
    ["python3", "python"], ["python3.11", "python"], ["python2.7", "python"], ["pypy3.10", "python"], ["python.exe", "python"],
    ["perl5.36.0", "perl"], ["ruby3.1", "ruby"], ["php8.2", "php"], ["nodejs", "node"], ["luajit-2.1.0-beta3", "lua"], ["lua5.4", "lua"],
    ["tclsh8.6", "tcl"], ["gawk", "awk"], ["mawk", "awk"], ["pwsh", "pwsh"], ["powershell.exe", "pwsh"], ["ksh93", "ksh"], ["rbash", "bash"],
    ["dash", "sh"], ["nc.openbsd", "netcat"], ["socat", "netcat"], ["busybox", "busybox"],
    // must not match
    ["php-fpm8.2", null], ["php-fpm: pool www", null], ["node-red", null], ["sshd", null], ["bash-completion", null], ["", null], [null, null],
  ];
  for (const [name, family] of grammars) {
    it(`grammarOf ${JSON.stringify(name)} → ${family ?? "none"}`, () => assert.equal(k.grammarOf(name)?.id ?? null, family));
  }

  it("grammarOf indexes a grammar's spellings: switches, options, words in the program's order", () => {
    const py = k.grammarOf("python3");
    assert.equal(py?.flags.get("-c")?.role, "code");
    assert.equal(py?.flags.get("-I")?.role, "switch");
    assert.equal(k.grammarOf("node")?.flags.get("--require")?.flag, "-r");
    const pwsh = k.grammarOf("pwsh");
    assert.equal(pwsh?.words.find((w) => w.word === "encodedcommand")?.shortest, 1);
    assert.deepEqual(pwsh?.wordPrefixes, ["--", "-", "/"]);
    assert.equal(k.grammar("sh")?.kind, "shell");
    assert.equal(k.grammar("nope"), null);
  });

  const bad: [string, () => unknown, RegExp][] = [
    ["a port with an unknown protocol", () => validateKnowledgeData({ ports: invalid("ports-bad-proto.json"), indicators, programs, interpreters }), /Cannot load knowledge file "ports.json": ports\.0\.proto: Invalid option: expected one of "tcp"\|"udp"\|"both"/],
    ["a port with an unknown field", () => validateKnowledgeData({ ports: invalid("ports-unknown-field.json"), indicators, programs, interpreters }), /ports\.0: Unrecognized key: "risk"/],
    ["a range that ends before it starts", () => validateKnowledgeData({ ports: invalid("ports-bad-range.json"), indicators, programs, interpreters }), /ports\.0\.to: 'to' must not be below 'port'/],
    ["an indicator without a source", () => validateKnowledgeData({ ports, indicators: invalid("indicators-no-source.json"), programs, interpreters }), /"indicators.json": irc\.entries\.0\.source: Invalid input/],
    ["a kernel-thread pattern that is not a regular expression", () => validateKnowledgeData({ ports, indicators, programs: invalid("programs-bad-regex.json"), interpreters }), /"programs.json": kernelThreadPatterns\.0: not a valid regular expression/],
    ["a mining-argument pattern that is not a regular expression", () => validateKnowledgeData({ ports, indicators, programs: invalid("programs-bad-mining-regex.json"), interpreters }), /"programs.json": miningArguments\.0: not a valid regular expression/],
    ...([
      ["a code flag that takes no argument", "interpreters-code-without-argument.json", /"interpreters.json": families\.python\.options\.0\.arg: a "code" option takes an argument: "none" is not allowed/],
      ["a busybox applet pointing to no family", "interpreters-unknown-applet.json", /"interpreters.json": families\.busybox\.applets\.sh: "ash-shell" is not a family of this file/],
      ["a program name in two families", "interpreters-name-twice.json", /"interpreters.json": families\.bash\.names\.1: "sh" is already a name of "sh"/],
      ["a glued-argument pattern that is not a regular expression", "interpreters-bad-pattern.json", /"interpreters.json": families\.perl\.options\.0\.pattern: not a valid regular expression/],
      ["a grammar without its source", "interpreters-no-source.json", /"interpreters.json": families\.python\.source: Invalid input: expected string, received undefined/],
      ["an option role that does not exist", "interpreters-unknown-role.json", /"interpreters.json": families\.python\.options\.0\.role: Invalid option: expected one of "code"\|"main-module"/],
      ["a known one-liner pattern that does not match the whole code", "interpreters-known-code-unanchored.json", /"interpreters.json": families\.perl\.knownCode\.0\.pattern: must match the whole code: start with \^ and end with \$/],
      ["a flag that is both a switch and an option", "interpreters-flag-twice.json", /"interpreters.json": families\.python\.options\.0\.flags\.0: "-c" is also switches\[1\]/],
    ] as const).map(([what, file, message]): [string, () => unknown, RegExp] => [what, () => validateKnowledgeData({ ports, indicators, programs, interpreters: invalid(file) }), message]),
  ];
  for (const [what, load, message] of bad) {
    it(`validateKnowledgeData refuses ${what}, naming the file and field`, () => assert.throws(load, message));
  }
});
