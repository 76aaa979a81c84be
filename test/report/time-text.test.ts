import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChangeEvent, HistoryEntry } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";
import { renderEventLine } from "../../src/report/event-line.js";
import { renderHistory } from "../../src/report/render-history.js";
import { clockText, offsetText, timeText } from "../../src/report/time-text.js";

// The zone is the process's: Node reads TZ again whenever it changes, so each case sets it and the
// original is put back afterwards.
const original = process.env["TZ"];
const inZone = (zone: string) => { process.env["TZ"] = zone; };
beforeEach(() => inZone("UTC"));
afterEach(() => { if (original === undefined) delete process.env["TZ"]; else process.env["TZ"] = original; });

const AT = "2026-12-01T14:48:56.123Z"; // winter in Europe
const SUMMER = "2026-07-01T14:48:56.000Z";

describe("timeText", () => {
  const cases: [zone: string, at: string, text: string][] = [
    ["UTC", AT, "2026-12-01 14:48:56 +00:00"],
    ["Europe/Paris", AT, "2026-12-01 15:48:56 +01:00"],
    ["Europe/Paris", SUMMER, "2026-07-01 16:48:56 +02:00"],
    ["Asia/Kolkata", AT, "2026-12-01 20:18:56 +05:30"],
    ["America/St_Johns", AT, "2026-12-01 11:18:56 -03:30"],
    ["Pacific/Kiritimati", "2026-12-01T23:30:00Z", "2026-12-02 13:30:00 +14:00"],
  ];
  for (const [zone, at, text] of cases) {
    it(`timeText gives the local date, time and offset in ${zone} (${at})`, () => {
      inZone(zone);
      assert.equal(timeText(at), text);
      assert.equal(timeText(new Date(at)), text);
    });
  }
  it("timeText names the same moment in every zone: its text parses back to the ISO time", () => {
    for (const zone of ["UTC", "Europe/Paris", "America/St_Johns"]) {
      inZone(zone);
      const [date, time, offset] = timeText(AT).split(" ");
      assert.equal(new Date(`${date}T${time}${offset}`).toISOString(), "2026-12-01T14:48:56.000Z", zone);
    }
  });
  it("timeText gives a text that is no time back as it is", () => {
    assert.equal(timeText("yesterday"), "yesterday");
  });
});

describe("clockText and offsetText", () => {
  it("clockText gives the clock part with the offset, in UTC and elsewhere", () => {
    assert.equal(clockText(AT), "14:48:56 +00:00");
    inZone("Europe/Paris");
    assert.equal(clockText(AT), "15:48:56 +01:00");
    inZone("America/New_York");
    assert.equal(clockText(AT), "09:48:56 -05:00");
  });
  it("offsetText writes UTC as +00:00 and half hours as :30", () => {
    assert.equal(offsetText(new Date(AT)), "+00:00");
    inZone("Asia/Kolkata");
    assert.equal(offsetText(new Date(AT)), "+05:30");
  });
});

const socket = {
  proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 8080 }, remote: null, state: "LISTEN", direction: "listening",
  exposure: "loopback", netns: null, inode: 1, uid: 0, service: null, process: { pid: 5, name: "node" }, sharedWith: [], verdict: "unknown", reasons: [], explanation: "",
} as unknown as Socket;

describe("times in the views", () => {
  it("renderEventLine (watch, baseline diff, the dashboard's changes) shows the change's time with its offset", () => {
    const e: ChangeEvent = { type: "appeared", identity: "L|tcp|8080|node|root|host", socket, at: AT };
    assert.equal(renderEventLine(e), "+ 14:48:56 +00:00 appeared        tcp 127.0.0.1:8080 LISTEN node (pid 5): unknown");
    inZone("Europe/Paris");
    assert.match(renderEventLine(e), /^\+ 15:48:56 \+01:00 appeared /);
  });
  it("renderHistory shows first and last seen as local times with their offset", () => {
    const row: HistoryEntry = { identity: "L|tcp|8080|node|root|host", firstSeen: "2026-11-30T23:30:00.000Z", lastSeen: AT, timesSeen: 3, owners: ["node"], lastVerdict: "unknown", proto: "tcp", port: 8080, direction: "listening" };
    assert.match(renderHistory([row], 200), /\n2026-12-01 14:48:56 \+00:00 +2026-11-30 23:30:00 \+00:00 +3 /);
    inZone("Europe/Paris");
    assert.match(renderHistory([row], 200), /\n2026-12-01 15:48:56 \+01:00 +2026-12-01 00:30:00 \+01:00 +3 /);
  });
});
