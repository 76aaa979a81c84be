import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createAuditor, type HostLook } from "../../src/audit/auditor.js";
import { baselineFromLook, diffWithBaseline, portOfSeen } from "../../src/audit/baseline.js";
import type { Seen } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";

// The captured tree of a test helper's sockets beside a copy of python3 run from /tmp and then deleted
// (test/fixtures/proc/debian12-holders): 2 suspicious listeners (deleted-exe, writable-dir-exe on tcp
// 56303 and udp 53407), 15 unknown identities, no expected one but those of the kernel.
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const SAVED = "2026-11-20T08:30:00.000Z";
const EVIL = ["L|tcp|56303|/tmp/pwcap-bMut83/kworker|root|host", "L|udp|53407|/tmp/pwcap-bMut83/kworker|root|host"];
let look: HostLook;
before(async () => { look = await createAuditor().lookAtHost({ procRoot: tree }); });

describe("baselineFromLook", () => {
  it("baselineFromLook leaves suspicious identities out and says which, keeping every other one", () => {
    const made = baselineFromLook(look, SAVED);
    assert.deepEqual(made.leftOut.map((s) => s.identity), EVIL);
    const ids = made.baseline.entries.map((e) => e.identity);
    for (const id of EVIL) assert.ok(!ids.includes(id), id);
    assert.ok(made.baseline.entries.every((e) => e.verdict !== "suspicious"));
    assert.equal(made.identities, ids.length);
    assert.deepEqual(made.accepted, []);
    assert.deepEqual(made.unmatched, []);
  });
  it("baselineFromLook lists the unknown identities it takes in, in identity order", () => {
    const made = baselineFromLook(look, SAVED);
    assert.equal(made.unknown.length, 15);
    assert.ok(made.unknown.every((s) => s.verdict === "unknown"));
    assert.ok(made.unknown.some((s) => s.identity === "L|tcp|36647|/usr/bin/node|root|host"));
    assert.deepEqual(made.unknown.map((s) => s.identity), made.unknown.map((s) => s.identity).sort());
  });
  it("baselineFromLook takes in the suspicious identities whose rule --accept names", () => {
    const made = baselineFromLook(look, SAVED, ["deleted-exe"]);
    assert.deepEqual(made.accepted.map((s) => s.identity), EVIL);
    assert.deepEqual(made.leftOut, []);
    assert.ok(made.baseline.entries.some((e) => e.identity === EVIL[0]));
  });
  it("baselineFromLook takes in only the suspicious identity whose port --accept names", () => {
    const made = baselineFromLook(look, SAVED, [53407]);
    assert.deepEqual(made.accepted.map((s) => s.identity), [EVIL[1]]);
    assert.deepEqual(made.leftOut.map((s) => s.identity), [EVIL[0]]);
  });
  it("baselineFromLook reports the --accept entries that named nothing: a rule that did not fire, a port of no suspicious socket, a rule of unknown ones", () => {
    const made = baselineFromLook(look, SAVED, ["irc-outbound", 36647, "unexplained", 56303]);
    assert.deepEqual(made.unmatched, ["irc-outbound", 36647, "unexplained"]);
    assert.deepEqual(made.accepted.map((s) => s.identity), [EVIL[0]]);
  });
  it("diffWithBaseline shows the left-out suspicious identities as appeared, and nothing else", () => {
    const events = diffWithBaseline(baselineFromLook(look, SAVED).baseline, look, SAVED);
    assert.deepEqual(events.map((e) => [e.type, e.identity]), EVIL.map((id) => ["appeared", id]));
    assert.deepEqual(diffWithBaseline(baselineFromLook(look, SAVED, ["deleted-exe"]).baseline, look, SAVED), []);
  });
});

describe("portOfSeen", () => {
  const seen = (direction: Socket["direction"], remote: Socket["remote"]): Seen =>
    ({ identity: "x", verdict: "suspicious", socket: { direction, local: { address: "10.0.0.5", port: 41234 }, remote } as Socket });
  it("portOfSeen is the remote port of an outbound flow and the local port otherwise", () => {
    assert.equal(portOfSeen(seen("outbound", { address: "203.0.113.9", port: 6667 })), 6667);
    assert.equal(portOfSeen(seen("listening", null)), 41234);
    assert.equal(portOfSeen(seen("inbound", { address: "203.0.113.9", port: 50000 })), 41234);
  });
});
