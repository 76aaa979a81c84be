import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadPolicy } from "../../src/evaluate/policy.js";
import { InputError } from "../../src/model/errors.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import { POLICY_OPERANDS } from "../../src/model/socket-fields.js";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const proc = (name: string, exe = `/usr/bin/${name}`): ProcessInfo => ({ pid: 5, name, exe, exeDeleted: false, cmdline: [exe], uid: 0, user: "root", containerId: null, netns: 1 });
function withOwner(s: Socket, number: number, org: string | null): Socket {
  return { ...s, remote: s.remote && { ...s.remote, asn: { number, org } } };
}
function sock(local: [string, number], remote: [string, number] | null, p: ProcessInfo | null, direction: Socket["direction"] = remote ? "outbound" : "listening"): Socket {
  return {
    proto: "tcp", family: 4, local: { address: local[0], port: local[1] }, remote: remote && { address: remote[0], port: remote[1] }, state: remote ? "ESTABLISHED" : "LISTEN",
    direction, exposure: null, netns: 1, inode: 1, uid: 0, service: null, process: p, sharedWith: [], verdict: "unknown", reasons: [], explanation: null,
  };
}

describe("loadPolicy", () => {
  const policy = loadPolicy(read("../../docs/policy.example.yaml"), "policy.example.yaml");

  it("loadPolicy reads the commented example policy", () => assert.equal(policy.size, 8));

  const decisions: [string, Socket, string | null][] = [
    ["gunicorn on 127.0.0.1:8000 is allowed", sock(["127.0.0.1", 8000], null, proc("gunicorn")), "allow"],
    ["gunicorn on 0.0.0.0:8000 is not (address must match)", sock(["0.0.0.0", 8000], null, proc("gunicorn")), null],
    ["node listening on 3500 is allowed (range, list of names)", sock(["127.0.0.1", 3500], null, proc("node")), "allow"],
    ["node connecting out from 3500 is not (direction)", sock(["127.0.0.1", 3500], ["192.0.2.1", 443], proc("node")), null],
    ["anything talking to 203.0.113.9 is denied (CIDR)", sock(["192.0.2.5", 40000], ["203.0.113.9", 443], proc("curl")), "deny"],
    ["postfix talking to an address on spamhaus_drop is allowed (remote.lists)", { ...sock(["192.0.2.5", 40000], ["1.10.20.77", 25], proc("postfix")), remote: { address: "1.10.20.77", port: 25, lists: [{ name: "spamhaus_drop", category: "reputation", date: null, network: "1.10.16.0/20" }] } }, "allow"],
    ["postfix talking to an address on no list is not", sock(["192.0.2.5", 40000], ["1.10.20.77", 25], proc("postfix")), null],
    ["firefox talking to AS15169 on 443 is allowed (remote.asn)", withOwner(sock(["192.0.2.5", 40000], ["142.250.1.1", 443], proc("firefox")), 15169, "Google LLC"), "allow"],
    ["firefox talking to AS13335 on 443 is not", withOwner(sock(["192.0.2.5", 40000], ["1.1.1.1", 443], proc("firefox")), 13335, "Cloudflare, Inc."), null],
    ["firefox talking to 142.250.1.1 without the network owners' database is not", sock(["192.0.2.5", 40000], ["142.250.1.1", 443], proc("firefox")), null],
    ["anything talking to an address on a malware list is denied (remote.listCategory)", { ...sock(["192.0.2.5", 40000], ["5.101.218.9", 443], proc("firefox")), remote: { address: "5.101.218.9", port: 443, lists: [{ name: "feodo", category: "malware", date: null, network: "5.101.218.9" }] } }, "deny"],
    ["a v4-mapped peer in the denied range is denied", sock(["::ffff:192.0.2.5", 40000], ["::ffff:203.0.113.9", 443], proc("curl")), "deny"],
    ["an IPv6 peer in 2001:db8::/32 is denied", sock(["2001:db8:1::5", 40000], ["2001:db8::7", 443], proc("curl")), "deny"],
    ["telnet is denied even if another rule would allow it", sock(["0.0.0.0", 23], null, proc("node")), "deny"],
    ["node_exporter by its full path is allowed", sock(["0.0.0.0", 9100], null, proc("node_exporter")), "allow"],
  ];
  for (const [what, s, want] of decisions) {
    it(`loadPolicy: ${what}`, () => assert.equal(policy.decide(s)?.decision ?? null, want));
  }

  it("loadPolicy carries the user's message", () => {
    assert.equal(policy.decide(sock(["0.0.0.0", 23], null, null))?.message, "telnet is banned on this host");
  });

  const broken: [string, RegExp[]][] = [
    ["typo-field.yaml", [/line 3, column 5: unknown field "prot" \(did you mean "proto"\?\)/]],
    ["bad-values.yaml", [/line 2, column 17: allow\.0\.local\.port: expected a port or a range like 8000-8100/, /line 5, column 21: deny\.0\.remote\.address: expected an IP address or a CIDR/, /line 6, column 12: deny\.1\.proto: Invalid option: expected one of "tcp"\|"udp"\|"raw"/]],
    ["not-yaml.yaml", [/^Cannot load policy "not-yaml.yaml": line \d+, column \d+: /]],
    ["empty-rule.yaml", [/line 2, column 5: allow\.0: a rule needs at least one field to match/, /line 3, column 1: unknown field "warn" \(allowed: allow, deny\)/]],
  ];
  for (const [file, messages] of broken) {
    it(`loadPolicy refuses ${file} with the line and column of each problem`, () => {
      assert.throws(() => loadPolicy(read(`../fixtures/policy/${file}`), file), (e: unknown) => {
        assert.ok(e instanceof InputError);
        for (const m of messages) assert.match(e.message, m);
        return true;
      });
    });
  }

  it("loadPolicy accepts an empty file as no rules", () => assert.equal(loadPolicy("", "empty.yaml").size, 0));

  // The operands, their values and the suggestions come from SOCKET_FIELDS.
  const sample = (o: (typeof POLICY_OPERANDS)[number]) => (o.match === "port" ? "1-2" : o.match === "address" ? "10.0.0.0/8" : o.match === "asn" ? "AS15169" : o.values?.[0] ?? "x");
  it("loadPolicy accepts a rule with every operand of the table", () => {
    assert.equal(loadPolicy(`allow:\n  - ${POLICY_OPERANDS.map((o) => `${o.path}: "${sample(o)}"`).join("\n    ")}\n`, "p.yaml").size, 1);
  });
  const refused: [string, string, RegExp][] = [
    ["a misspelt operand, with the nearest one", "remote.adress: 10.0.0.1", /line 2, column 5: unknown field "remote\.adress" \(did you mean "remote\.address"\?\)/],
    ["a word far from any operand, with the list from the table", "colour: red", /unknown field "colour" \(allowed: proto, local\.address, local\.port, remote\.address, remote\.port, remote\.lists, remote\.listCategory, remote\.asn, remote\.org, state, direction, process\.name, process\.exe, process\.user, reach\.kind, because\)/],
    ["a state sockets never have", "state: ESTABLISED", /line 2, column 12: allow\.0\.state: Invalid option: expected one of "ESTABLISHED"\|/],
    ["a direction sockets never have", "direction: [listening, out]", /allow\.0\.direction: Invalid option: expected one of "listening"\|"inbound"\|"outbound"\|"unknown"/],
    ["a field of the socket that is no operand", "exposure: loopback", /unknown field "exposure"/],
  ];
  for (const [what, rule, message] of refused) {
    it(`loadPolicy refuses ${what}`, () => {
      assert.throws(() => loadPolicy(`allow:\n  - ${rule}\n`, "p.yaml"), (e: unknown) => e instanceof InputError && (message.test(e.message) || assert.fail(e.message)));
    });
  }

  it("loadPolicy matches each operand as the table says", () => {
    const s = sock(["127.0.0.1", 8000], null, proc("gunicorn"));
    const rules: [string, boolean][] = [
      ["proto: [udp, tcp]", true], ["state: LISTEN", true], ["direction: inbound", false], ["local.port: 7000-8000", true],
      ["local.address: 127.0.0.0/8", true], ["remote.port: 1-65535", false], ["process.name: guni*", true], ["process.exe: /usr/bin/gunicorn", true],
      ["process.user: '0'", true], ["process.user: nobody", false],
    ];
    for (const [rule, want] of rules) assert.equal(loadPolicy(`allow:\n  - ${rule}\n`, "p.yaml").decide(s)?.decision === "allow", want, rule);
  });
});

describe("loadPolicy's network owner operands", () => {
  const google = withOwner(sock(["192.0.2.5", 40000], ["142.250.1.1", 443], proc("firefox")), 15169, "Google LLC");
  const unowned = withOwner(sock(["192.0.2.5", 40000], ["100.64.0.1", 443], proc("firefox")), 0, null);
  unowned.remote = { address: "100.64.0.1", port: 443, asn: null };
  const cases: [string, Socket, boolean][] = [
    ["remote.asn: 15169", google, true], ["remote.asn: AS15169", google, true], ["remote.asn: as15169", google, true], ["remote.asn: [13335, 'AS15169']", google, true],
    ["remote.asn: 13335", google, false], ["remote.asn: 15169", unowned, false],
    ["remote.org: google", google, true], ["remote.org: GOOGLE LLC", google, true], ["remote.org: 'goo*'", google, true], ["remote.org: 'goo'", google, true],
    ["remote.org: 'oogle*'", google, false], ["remote.org: amazon", google, false], ["remote.org: '*'", unowned, false],
    ["remote.listCategory: malware", google, false],
  ];
  for (const [rule, s, want] of cases) {
    it(`loadPolicy ${rule} ${want ? "matches" : "does not match"} ${s.remote?.asn ? `AS${s.remote.asn.number} ${s.remote.asn.org}` : "an address no AS owns"}`, () => {
      assert.equal(loadPolicy(`allow:\n  - ${rule}\n`, "p.yaml").decide(s)?.decision === "allow", want);
    });
  }
  const refused: [string, RegExp][] = [
    ["remote.asn: google", /line 2, column 17: allow\.0\.remote\.asn: expected an AS number like 15169 or "AS15169"/],
    ["remote.asn: AS99999999999", /line 2, column 17: allow\.0\.remote\.asn: expected an AS number like 15169 or "AS15169"/],
    ["remote.asn: -1", /line 2, column 17: allow\.0\.remote\.asn: /],
    ["remote.orgs: google", /line 2, column 5: unknown field "remote\.orgs" \(did you mean "remote\.org"\?\)/],
  ];
  for (const [rule, message] of refused) {
    it(`loadPolicy refuses ${rule} with its line and column`, () => {
      assert.throws(() => loadPolicy(`allow:\n  - ${rule}\n`, "p.yaml"), (e: unknown) => e instanceof InputError && (message.test(e.message) || assert.fail(e.message)));
    });
  }
});

describe("the policy's operands in the docs", () => {
  it("docs/policy.example.yaml lists exactly the table's operands under Fields", () => {
    const block = /# Fields:\n((?:#   .*\n)+)/.exec(read("../../docs/policy.example.yaml"))?.[1] ?? "";
    assert.deepEqual(block.split("\n").filter(Boolean).map((l) => l.slice(4).split(/\s+/)[0]).sort(), POLICY_OPERANDS.map((o) => o.path).sort());
  });
  it("README.md's Policy section names exactly the table's operands", () => {
    const section = /## Policy\n([\s\S]*?)\n## /.exec(read("../../README.md"))?.[1] ?? "";
    const sentence = /Fields: ([\s\S]*?)See /.exec(section)?.[1] ?? "";
    assert.deepEqual([...sentence.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort(), POLICY_OPERANDS.map((o) => o.path).sort());
  });
});
