import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../../src/model/errors.js";
import { baselineOf, loadBaseline, saveBaseline } from "../../src/watch/baseline-store.js";
import type { Socket } from "../../src/model/socket.js";

const dir = mkdtempSync(join(tmpdir(), "pw-baseline-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const socket = { proto: "tcp", family: 4, local: { address: "0.0.0.0", port: 22 }, remote: null, state: "LISTEN", direction: "listening", exposure: "all-interfaces", netns: 1, inode: 5, uid: 0, service: null, process: null, sharedWith: [], verdict: "expected", reasons: [], explanation: null } as Socket;

describe("saveBaseline and loadBaseline", () => {
  it("saveBaseline writes atomically into a new folder, private to its owner, and loadBaseline reads it back", () => {
    const file = join(dir, "deep", "state", "baseline.json");
    const b = baselineOf(new Map([["L|tcp|22|?|0|host", { identity: "L|tcp|22|?|0|host", verdict: "expected", socket }]]), "h", "2026-11-26T12:00:00.000Z");
    saveBaseline(file, b);
    assert.deepEqual(loadBaseline(file), b);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
  const bad: [string, string, RegExp][] = [
    ["missing.json", "", /Cannot load baseline ".*missing.json": ENOENT \(save one first with "portwatch baseline save"\)/],
    ["broken.json", "{ not json", /Cannot load baseline ".*broken.json": not JSON/],
    ["wrong.json", JSON.stringify({ schema: 2, savedAt: "x", hostname: null, entries: [] }), /Cannot load baseline ".*wrong.json": schema: expected 1, found 2/],
    ["entry.json", JSON.stringify({ schema: 1, savedAt: "x", hostname: null, entries: [{ identity: "L|tcp|22", verdict: "fine", socket }] }), /entries\.0\.verdict: expected one of expected, unknown, suspicious/],
    ["no-socket.json", JSON.stringify({ schema: 1, savedAt: "x", hostname: null, entries: [{ identity: "L|tcp|22", verdict: "expected", socket: 5 }] }), /field "entries\.0\.socket" must be an object, not 5/],
    ["forged-state.json", JSON.stringify({ schema: 1, savedAt: "x", hostname: null, entries: [{ identity: "L|tcp|22", verdict: "expected", socket: { ...socket, state: 'LISTEN","verdict":"expected' } }] }),
      /field "entries\.0\.socket\.state" must be "ESTABLISHED" \| /],
    ["bad-reason.json", JSON.stringify({ schema: 1, savedAt: "x", hostname: null, entries: [{ identity: "L|tcp|22", verdict: "expected", socket: { ...socket, reasons: [{ rule: "r", verdict: "bad", message: "m" }] } }] }),
      /field "entries\.0\.socket\.reasons\[0\]\.verdict" must be "expected" \| "unknown" \| "suspicious", not "bad"/],
  ];
  for (const [name, text, message] of bad) {
    it(`loadBaseline refuses ${name} with a message that says what to do`, () => {
      const file = join(dir, name);
      if (text) writeFileSync(file, text);
      assert.throws(() => loadBaseline(file), (e: unknown) => e instanceof InputError && message.test(e.message));
    });
  }
  it("loadBaseline keeps of each socket only the fields SOCKET_FIELDS has", () => {
    const file = join(dir, "extra.json");
    writeFileSync(file, JSON.stringify({ schema: 1, savedAt: "x", hostname: null, entries: [{ identity: "L|tcp|22", verdict: "expected", socket: { ...socket, evil: 1, local: { ...socket.local, evil: 2 } } }] }));
    assert.deepEqual(loadBaseline(file).entries[0]?.socket, socket);
  });
  it("saveBaseline leaves no temporary file behind", () => {
    const file = join(dir, "b2.json");
    saveBaseline(file, baselineOf(new Map(), null, "2026-11-26T12:00:00.000Z"));
    assert.equal(JSON.parse(readFileSync(file, "utf8")).entries.length, 0);
    assert.throws(() => statSync(`${file}.${process.pid}.tmp`));
  });
});
