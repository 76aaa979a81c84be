import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createJudge, type EvaluateOptions } from "../../src/evaluate/evaluate.js";
import { loadPolicy } from "../../src/evaluate/policy.js";
import { AsnBuilder } from "../../src/knowledge/lists/asn.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { ProcessInfo } from "../../src/model/process.js";
import { NONE, type Socket } from "../../src/model/socket.js";
import { renderTable } from "../../src/report/render-table.js";

// remote.asn on judged sockets, from the real ip-location-db excerpt (test/fixtures/blocklists/README.md).
// Its first rows: 1.0.0.0/24 AS13335 Cloudflare, 1.0.4.0/22 AS38803 (Gtelecom), ... up to 5.34.90.255.

const knowledge = createKnowledge();
const owners = (() => {
  const b = new AsnBuilder();
  b.add(readFileSync(new URL("../fixtures/blocklists/asn-ipv4-num-excerpt.csv", import.meta.url), "utf8"), "excerpt");
  return b.build();
})();

const proc: ProcessInfo = { pid: 4242, name: "curl", exe: "/usr/bin/curl", exeDeleted: false, cmdline: ["curl"], uid: 1000, user: "u", containerId: null, netns: 1 };
let port = 50_000;
const conn = (remote: string, direction: Socket["direction"] = "outbound"): Socket => ({
  proto: "tcp", family: remote.includes(":") && !remote.startsWith("::ffff:") ? 6 : 4, local: { address: "192.168.1.5", port: direction === "inbound" ? 22 : port++ },
  remote: { address: remote, port: direction === "inbound" ? port++ : 443 }, state: "ESTABLISHED", direction, exposure: null, netns: 1, inode: 7, uid: 1000,
  service: null, process: proc, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
});

function judge(sockets: Socket[], options: Partial<EvaluateOptions> = {}): void {
  const j = createJudge({ knowledge, mode: "live-root", origin: "live", ...options });
  j.listeners(sockets);
  j.others(sockets);
}

describe("remote.asn", () => {
  it("createJudge with the network owners' database names every remote end's owner, null for addresses no AS owns", () => {
    const sockets = [conn("1.1.1.1"), conn("::ffff:1.1.1.1"), conn("1.0.1.5"), conn("10.0.0.1"), conn("127.0.0.1")];
    judge(sockets, { owners });
    assert.deepEqual(sockets.map((s) => s.remote?.asn), [{ number: 13335, org: "Cloudflare, Inc." }, { number: 13335, org: "Cloudflare, Inc." }, null, null, null]);
  });

  it("createJudge without the database sets no remote.asn, and drops one read back from JSON", () => {
    const s = conn("1.1.1.1");
    s.remote = { ...s.remote!, asn: { number: 64500, org: "stale" } };
    judge([s]);
    assert.equal(s.remote!.asn, undefined);
    assert.ok(!("asn" in s.remote!));
  });

  it("explanations say whose network the other end is in, outbound and inbound, and a shared judgement does not mix two owners up", () => {
    const a = conn("1.1.1.1"), b = conn("2.56.12.0"), c = conn("1.1.1.2"), d = conn("1.1.1.1", "inbound");
    judge([a, b, c, d], { owners });
    assert.match(a.explanation!, /; the other end is in AS13335 Cloudflare, Inc\.'s network$/);
    assert.match(b.explanation!, /; the other end is in AS\d+ ET "GEORGI SHISHKOV"'s network$/);
    assert.equal(c.explanation, a.explanation);
    assert.match(d.explanation!, /; it comes from AS13335 Cloudflare, Inc\.'s network$/);
  });

  it("a connection that takes a shared judgement names its own network owner, or none", () => {
    const a = conn("1.1.1.1"), b = conn("9.9.9.9"), c = conn("2.56.12.0");
    judge([a, b, c], { owners });
    assert.equal(b.remote!.asn, null); // past the excerpt's last row (5.34.90.255)
    assert.equal(b.explanation, a.explanation!.replace(/; the other end is in .*$/, ""));
    assert.equal(c.explanation, a.explanation!.replace(/AS13335 Cloudflare, Inc\./, 'AS208641 ET "GEORGI SHISHKOV"'));
  });

  it("a policy allows a program to one AS and not to another (remote.asn, remote.org)", () => {
    const policy = loadPolicy("allow:\n  - process.name: curl\n    remote.asn: AS13335\n  - process.name: curl\n    remote.org: '*shishkov*'\n", "p.yaml");
    const sockets = [conn("1.1.1.1"), conn("2.56.12.0"), conn("1.0.4.1")]; // Cloudflare, ET "GEORGI SHISHKOV", Gtelecom
    judge(sockets, { owners, policy });
    assert.deepEqual(sockets.map((s) => s.reasons.some((r) => r.rule === "policy:allow")), [true, true, false]);
  });

  it("renderTable shows a Network column only when asked, after Foreign Address", () => {
    const sockets = [conn("1.1.1.1"), conn("10.0.0.1")];
    judge(sockets, { owners });
    assert.doesNotMatch(renderTable(sockets), /Network|AS13335/);
    const table = renderTable(sockets, { remoteOwner: true });
    const lines = table.split("\n");
    assert.match(lines[0]!, /^Proto\s+Local Address\s+Foreign Address\s+Network\s+State/);
    assert.ok(lines.some((l) => /1\.1\.1\.1:443\s+AS13335 Cloudflare, Inc\.\s+ESTABLISHED/.test(l)), table);
    assert.ok(lines.some((l) => /10\.0\.0\.1:443\s+-\s+ESTABLISHED/.test(l)), table);
  });
});
