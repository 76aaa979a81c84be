import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baselineFromLook, diffWithBaseline, loadBaseline, saveBaseline, type Baseline } from "../../src/audit/baseline.js";
import type { Judged } from "../../src/audit/pipeline.js";
import { createJudge } from "../../src/evaluate/evaluate.js";
import { AsnBuilder } from "../../src/knowledge/lists/asn.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { ProcessInfo } from "../../src/model/process.js";
import { NONE, type Socket } from "../../src/model/socket.js";
import { renderEventJson, renderEventLine } from "../../src/report/render-events.js";

// An outbound identity in the baseline keeps its network owners (remote.asn, from the real ip-location-db
// excerpt in test/fixtures/blocklists: 1.1.1.0/24 is AS13335 Cloudflare, 2.56.12.0 AS-ET "GEORGI SHISHKOV",
// 1.0.4.0/22 AS38803 Gtelecom). A connection of that identity to another network is not vouched for by the
// baseline (rule baseline-network), and baseline diff says so (network-changed).

const knowledge = createKnowledge();
const owners = (() => {
  const b = new AsnBuilder();
  b.add(readFileSync(new URL("../fixtures/blocklists/asn-ipv4-num-excerpt.csv", import.meta.url), "utf8"), "excerpt");
  return b.build();
})();
const agent: ProcessInfo = { pid: 700, name: "agent", exe: "/opt/agent/agent", exeDeleted: false, cmdline: ["/opt/agent/agent"], uid: 0, user: "root", containerId: null, netns: 1 };
let port = 40_000;
const out = (remote: string): Socket => ({
  proto: "tcp", family: 4, local: { address: "192.168.1.5", port: port++ }, remote: { address: remote, port: 8443 }, state: "ESTABLISHED", direction: "outbound",
  exposure: null, netns: 1, inode: port, uid: 0, service: null, process: agent, sharedWith: NONE, verdict: "unknown", reasons: NONE, explanation: null,
});
const SAVED = "2026-11-20T08:30:00.000Z";
const ET_AS = 208641; // line 915 of the excerpt: 37227520,37228031,208641,"ET ""GEORGI SHISHKOV"""

function judged(remotes: string[], baseline?: Baseline): Socket[] {
  const sockets = remotes.map(out);
  const j = createJudge({
    knowledge, mode: "live-root", origin: "live", owners,
    baseline: baseline ? { identities: new Set(baseline.entries.map((e) => e.identity)), savedAt: baseline.savedAt, hostNetns: 1, networks: new Map(baseline.entries.flatMap((e) => (e.networks ? [[e.identity, e.networks] as const] : []))) } : null,
  });
  j.listeners(sockets);
  j.others(sockets);
  return sockets;
}
// The sockets were judged (createJudge above), not through the audit's stages, whose brand they lack.
const lookOf = (sockets: Socket[]) => ({ sockets: sockets as unknown as Judged, hostname: "h", hostNetns: 1 });

describe("baseline networks", () => {
  const saved = baselineFromLook(lookOf(judged(["1.1.1.1", "1.1.1.2", "2.56.12.0", "10.0.0.9"])), SAVED).baseline;

  it("baselineFromLook keeps each outbound identity's networks, once each, by number", () => {
    assert.equal(saved.entries.length, 1);
    assert.deepEqual(saved.entries[0]!.networks, [{ number: 13335, org: "Cloudflare, Inc." }, { number: ET_AS, org: 'ET "GEORGI SHISHKOV"' }]);
  });

  it("createJudge with the baseline vouches for a connection to a baselined network, not for one to another network (baseline-network)", () => {
    const [same, other] = judged(["1.1.1.7", "1.0.4.1"], saved);
    assert.equal(same!.verdict, "expected");
    assert.ok(same!.reasons.some((r) => r.rule === "baseline"));
    assert.equal(other!.verdict, "unknown");
    const r = other!.reasons.find((x) => x.rule === "baseline-network");
    assert.match(r?.message ?? "", /^This host had it when its baseline was saved \(2026-11-20 08:30 UTC\), but talking to AS13335 Cloudflare, Inc\., AS208641 ET "GEORGI SHISHKOV"; this connection goes to AS38803 Gtelecom Pty Ltd, a network it did not talk to then$/);
  });

  it("createJudge with a baseline saved without networks (older files, or no database then) vouches for every network", () => {
    const old: Baseline = { ...saved, entries: saved.entries.map(({ networks: _n, ...e }) => e) };
    const [other] = judged(["1.0.4.1"], old);
    assert.equal(other!.verdict, "expected");
  });

  for (const judgedWith of [false, true]) {
    it(`diffWithBaseline names a connection to a network the baseline did not have (network-changed), once per network, for a look judged ${judgedWith ? "with" : "without"} the baseline`, () => {
      const look = lookOf(judged(["1.1.1.7", "1.0.4.1", "1.0.4.2", "1.0.0.9"], judgedWith ? saved : undefined));
      const events = diffWithBaseline(saved, look, "2026-11-26T13:00:00.000Z");
      assert.deepEqual(events.map((e) => `${e.type} ${e.identity} AS${e.socket.remote?.asn?.number}`), ["network-changed O|tcp|/opt/agent/agent|8443 AS38803"]);
      const e = events[0]!;
      assert.equal(e.socket.verdict, "unknown");
      assert.ok(!e.socket.reasons.some((r) => r.rule.startsWith("baseline")), "the event's socket is as a look without the baseline shows it");
      assert.match(renderEventLine(e), /^\* \S+ \S+ network-changed tcp 192\.168\.1\.5:\d+ -> 1\.0\.4\.\d:8443 ESTABLISHED agent .*: unknown, to AS38803 Gtelecom Pty Ltd, not one of its baseline's AS13335 Cloudflare, Inc\., AS\d+/);
      assert.deepEqual(JSON.parse(renderEventJson(e)).networks, saved.entries[0]!.networks);
    });
  }

  it("loadBaseline reads a baseline with networks back, one without (older files), and refuses a bad network with its place", () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-baseline-net-"));
    try {
      const file = join(dir, "baseline.json");
      saveBaseline(file, saved);
      assert.deepEqual(loadBaseline(file).entries[0]!.networks, saved.entries[0]!.networks);
      const old = JSON.parse(readFileSync(file, "utf8"));
      delete old.entries[0].networks;
      writeFileSync(file, JSON.stringify(old), { mode: 0o600 });
      assert.equal(loadBaseline(file).entries[0]!.networks, undefined);
      old.entries[0].networks = [{ number: "AS13335", org: "x" }];
      writeFileSync(file, JSON.stringify(old), { mode: 0o600 });
      assert.throws(() => loadBaseline(file), /Cannot load baseline ".*": field "entries\.0\.networks\.0\.number" must be a whole number from 0 to 4294967295, not "AS13335"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
