import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditor } from "../../../src/audit/auditor.js";
import { readCaptureText } from "../../../src/audit/capture.js";

// The seed's own method: a desktop's default daemons captured by the tools people use, with their usual
// flags. Whichever tool printed it, and however it cut the name, every socket of these daemons is
// expected, with reasons that do not contradict themselves.
const DIR = new URL("../../fixtures/captures/debian12-daemons/", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(DIR, "MANIFEST.json"), "utf8")) as { daemons: Record<string, { pid: number }>; commands: Record<string, string> };
const daemonOf = new Map(Object.entries(manifest.daemons).map(([name, d]) => [d.pid, name]));

describe("captures of a desktop's default daemons (cupsd, avahi-daemon, sshd, chronyd)", () => {
  const auditor = createAuditor();
  for (const [file, command] of Object.entries(manifest.commands)) {
    it(`every daemon socket in "${command}" is expected`, () => {
      const capture = readCaptureText(auditor, readFileSync(join(DIR, `${file}.txt`), "latin1"), { name: file });
      const sockets = auditor.judgeCapture(capture).sockets.filter((s) => s.process !== null && daemonOf.has(s.process.pid));
      const seen = new Set(sockets.map((s) => daemonOf.get(s.process!.pid)));
      assert.deepEqual([...seen].sort(), Object.keys(manifest.daemons).sort(), "every daemon's sockets are in the capture");
      const wrong = sockets.filter((s) => s.verdict !== "expected")
        .map((s) => `${s.proto} ${s.local.address}:${s.local.port} ${s.process!.name}: ${s.verdict}: ${s.reasons.map((r) => r.message).join(" | ")}`);
      assert.deepEqual(wrong, []);
    });
  }
});
