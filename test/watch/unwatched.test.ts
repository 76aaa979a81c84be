import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { HistoryEntry, Seen } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";
import { changesWhileNotWatching } from "../../src/watch/unwatched.js";

const entry = (identity: string, lastVerdict: Verdict, direction = "listening"): HistoryEntry =>
  ({ identity, firstSeen: "2026-12-01T10:00:00.000Z", lastSeen: "2026-12-01T11:00:00.000Z", timesSeen: 3, owners: ["/usr/sbin/x"], lastVerdict, proto: "tcp", port: 8080, direction });
const seen = (identity: string, verdict: Verdict): [string, Seen] => [identity, { identity, verdict, socket: { verdict } as Socket }];

describe("changesWhileNotWatching", () => {
  it("changesWhileNotWatching reports what appeared, changed verdict, and the listeners that went since the last recorded look, each marked with its time", () => {
    const last = { at: "2026-12-01T11:00:00.000Z", entries: [entry("L|tcp|22|/usr/sbin/sshd|root|host", "expected"), entry("L|tcp|8080|/usr/sbin/x|root|host", "unknown"),
      entry("L|tcp|9000|/opt/y|root|host", "unknown"), entry("O|tcp|/usr/bin/curl|https", "expected", "outbound")] };
    const now = new Map([seen("L|tcp|22|/usr/sbin/sshd|root|host", "expected"), seen("L|tcp|9000|/opt/y|root|host", "suspicious"), seen("L|tcp|31337|/tmp/x|root|host", "unknown")]);
    const events = changesWhileNotWatching(last, now, "2026-12-01T12:00:00.000Z");
    assert.deepEqual(events.map((e) => [e.type, e.identity, e.was ?? null, e.unwatchedSince, e.at]), [
      ["disappeared", "L|tcp|8080|/usr/sbin/x|root|host", null, last.at, "2026-12-01T12:00:00.000Z"],
      ["appeared", "L|tcp|31337|/tmp/x|root|host", null, last.at, "2026-12-01T12:00:00.000Z"],
      ["verdict-changed", "L|tcp|9000|/opt/y|root|host", "unknown", last.at, "2026-12-01T12:00:00.000Z"],
    ]);
    assert.equal(events[0]?.socket.local.port, 8080);
    assert.equal(events[0]?.socket.verdict, "unknown");
  });
});
