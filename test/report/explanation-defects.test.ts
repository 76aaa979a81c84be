import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createAuditor, type Auditor } from "../../src/audit/auditor.js";
import { readCaptureText } from "../../src/audit/capture.js";
import { processNames } from "../../src/evaluate/program-names.js";
import { isLoopback } from "../../src/model/address.js";
import type { Socket } from "../../src/model/socket.js";

// The words portwatch says about every socket of every fixture (captures of real tools, captured /proc
// trees), checked against defects a reader would stop at. The list is the point of this file: add a
// defect when one is found, with the reason it misleads.

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

interface Defect {
  name: string;
  /** The defect is in the words alone (it is looked for in warnings too). */
  textOnly?: boolean;
  /** The defect in a text about `s` (its explanation, or one reason's message), or null. */
  find(text: string, s: Socket, auditor: Auditor): string | null;
}

const pattern = (name: string, re: RegExp): Defect => ({ name, textOnly: true, find: (t) => re.exec(t)?.[0] ?? null });

const DEFECTS: Defect[] = [
  pattern("a missing value printed as a word", /\b(null|undefined|NaN)\b|\[object Object\]/),
  pattern("an unknown owner printed as ?", /\bby \?|\b\? \(pid/),
  pattern("a singular count with a plural noun", /(?<![\d.,])\b1 (sockets|connections|processes|ports|programs|listeners|times)\b/),
  pattern("an errno name in a sentence", /\bE(NOENT|ACCES|PERM|AGAIN|INVAL|BADF|NOTDIR|ISDIR|EXIST|LOOP|NAMETOOLONG|SRCH|IO|MFILE|NFILE)\b/),
  pattern("doubled punctuation or spaces", /[;:,]\s*[;:,]| {2,}|\s[,;.](?!\d)|\.\.(?!\.)/),
  {
    name: "a loopback peer called the other computer",
    find: (t, s) => (s.remote !== null && isLoopback(s.remote.address) && /other computer/.test(t) ? "other computer" : null),
  },
  {
    name: "nothing explains a socket portwatch knows",
    find: (t, s, a) => {
      if (!/Nothing explains/i.test(t)) return null;
      const port = s.direction === "outbound" ? s.remote?.port : s.local.port;
      if (port !== undefined && s.proto !== "raw" && a.knowledge.port(port, s.proto) !== null) return `port ${port} is known`;
      return null;
    },
  },
  {
    name: "a mismatch of owners that the names do not show",
    find: (t, s, a) => {
      const m = /normally held by ([^;]*?), but here by/.exec(t);
      if (!m || s.process === null) return null;
      const owners = (m[1] as string).split(/, | or /);
      const names = processNames(s.process, a.knowledge);
      const same = owners.find((o) => names.includes(o));
      return same ? `"${s.process.name}" is ${same}` : null;
    },
  },
  {
    name: "a source named twice in one sentence",
    find: (t) => {
      for (const sentence of t.split(/(?<=[.:;])\s/)) {
        const sources = sentence.match(/IANA's registry|\/etc\/services|portwatch's knowledge/g) ?? [];
        if (new Set(sources).size < sources.length) return sentence;
      }
      return null;
    },
  },
];

/** Every capture fixture: a file a capture reader can read, with its name. */
function captureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...captureFiles(path));
    else if (name.endsWith(".txt") && !/SOURCE|INDEX|LICENSE|README/i.test(name)) out.push(path);
  }
  return out.sort();
}

function defectsOf(sockets: Socket[], auditor: Auditor, source: string, warnings: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const warning of warnings) {
    const text = warning.replace(/"[^"]*"/g, '""'); // what a warning quotes from the input is the input's
    for (const d of DEFECTS) {
      const hit = d.textOnly ? d.find(text, sockets[0] as Socket, auditor) : null;
      if (hit !== null) found.push(`${source}: ${d.name} (${hit}) in a warning: ${warning}`);
    }
  }
  for (const s of sockets) {
    for (const text of [s.explanation ?? "", ...s.reasons.map((r) => r.message)]) {
      for (const d of DEFECTS) {
        const hit = d.find(text, s, auditor);
        if (hit !== null) found.push(`${source}: ${d.name} (${hit}): ${text}`);
      }
    }
  }
  return [...new Set(found)];
}

describe("explanations and reasons over every fixture", () => {
  const auditor = createAuditor();
  for (const file of captureFiles(join(FIXTURES, "captures"))) {
    const name = file.slice(FIXTURES.length);
    it(`explanations of ${name} have none of the listed defects`, (t) => {
      let capture;
      try {
        capture = readCaptureText(auditor, readFileSync(file, "latin1"), { name });
      } catch (e) {
        // Not a capture (the seed advice is prose): nothing to explain; say so instead of passing silently.
        t.diagnostic(`${name}: not read as a capture (${(e as Error).message})`);
        assert.match(name, /seed\//, `${name} should read as a capture`);
        return;
      }
      const snapshot = auditor.judgeCapture(capture);
      if (snapshot.sockets.length === 0) t.diagnostic(`${name}: no sockets in it (a raw-socket capture of a host without any)`);
      assert.deepEqual(defectsOf(snapshot.sockets, auditor, name, snapshot.warnings), []);
    });
  }
  for (const tree of readdirSync(join(FIXTURES, "proc"))) {
    it(`explanations of the captured /proc tree ${tree} have none of the listed defects`, async () => {
      const look = await auditor.lookAtHost({ procRoot: join(FIXTURES, "proc", tree), owners: true });
      assert.ok(look.sockets.length > 0);
      assert.deepEqual(defectsOf(look.sockets, auditor, `proc/${tree}`, look.warnings), []);
    });
  }

  it("each listed defect is found in a sentence that has it", () => {
    const s = { proto: "tcp", local: { address: "127.0.0.1", port: 41000 }, remote: { address: "127.0.0.1", port: 3000 }, process: null, direction: "outbound" } as unknown as Socket;
    const samples: Record<string, string> = {
      "a missing value printed as a word": "held by null",
      "an unknown owner printed as ?": "but here by ? (pid 4)",
      "a singular count with a plural noun": "1 sockets",
      "an errno name in a sentence": "cannot read it: ENOENT",
      "doubled punctuation or spaces": "it listens ;; here",
      "a loopback peer called the other computer": "connected to port 3000 of the other computer",
      "nothing explains a socket portwatch knows": "Nothing explains this socket",
      "a mismatch of owners that the names do not show": "Port 5353/udp (mdns) is normally held by avahi-daemon, but here by avahi-daemon: r (pid 442)",
      "a source named twice in one sentence": "ipp in IANA's registry, also ipp in IANA's registry.",
    };
    for (const d of DEFECTS) {
      const text = samples[d.name];
      assert.notEqual(text, undefined, `no sample for ${d.name}`);
      if (text === undefined) continue;
      const probe = d.name === "nothing explains a socket portwatch knows" ? { ...s, direction: "listening", local: { address: "0.0.0.0", port: 631 }, remote: null } as Socket
        : d.name === "a mismatch of owners that the names do not show" ? { ...s, process: { pid: 442, name: "avahi-daemon: r", nameCut: true, exe: null, exeDeleted: false, cmdline: null, uid: null, user: null, containerId: null, netns: null } } as Socket
        : s;
      assert.notEqual(d.find(text, probe, auditor), null, d.name);
    }
  });
});
