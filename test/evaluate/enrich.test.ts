import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createAuditor } from "../../src/audit/auditor.js";
import { readCaptureText } from "../../src/audit/capture.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { createServiceRegistry, ianaLookup } from "../../src/knowledge/service-registry.js";
import ianaServices from "../../src/knowledge/data/iana-services.json" with { type: "json" };
import type { Socket } from "../../src/model/socket.js";

const root = new URL("../fixtures/captures/", import.meta.url);
/** Every capture fixture: the .txt files of test/fixtures/captures and its folders. */
const captures = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".txt")).sort();
const knowledge = createKnowledge();

/** The port that names a socket's service (as serviceFor picks it). */
const judgedPort = (s: Socket) => (s.direction === "outbound" ? s.remote?.port : s.direction === "unknown" ? (s.remote?.port ?? s.local.port) : s.local.port) ?? 0;

describe("createServiceRegistry with portwatch's knowledge of ports", () => {
  const registry = createServiceRegistry();
  const cases: [number, "tcp" | "udp", string | null][] = [
    [8000, "tcp", "dev web server"], [5000, "tcp", "dev web server"], [3000, "tcp", "dev web server"], [9200, "tcp", "elasticsearch"],
    [6668, "tcp", "ircu"], [6697, "tcp", "ircs-u"], [49666, "tcp", "windows-rpc"], [5001, "tcp", "commplex-link"], [38142, "udp", null],
  ];
  for (const [port, proto, want] of cases) {
    it(`createServiceRegistry names ${port}/${proto} ${JSON.stringify(want)}`, () => assert.equal(registry.name(port, proto), want));
  }
  it("createServiceRegistry still maps the names captures print back to their ports (irdmi, commplex-main), and portwatch's names last", () => {
    assert.deepEqual([registry.port("irdmi", "tcp"), registry.port("commplex-main", "tcp"), registry.port("dev web server", "tcp"), registry.port("consul", "tcp")], [8000, 5000, 8000, 8500]);
  });
});

describe("enrich over every capture fixture", () => {
  const auditor = createAuditor();
  let known = 0;
  for (const file of captures) {
    it(`enrich names every socket of ${file} whose port portwatch knows by portwatch's name, and no reason says another`, () => {
      const capture = readCaptureText(auditor, readFileSync(new URL(file, root), "utf8"), { name: file });
      const snapshot = auditor.judgeCapture(capture);
      for (const s of snapshot.sockets) {
        const port = judgedPort(s);
        const entry = port === 0 ? null : knowledge.port(port, s.proto);
        if (entry === null) continue;
        known++;
        assert.equal(s.service?.name, entry.name, `${s.proto} port ${port} in ${file}`);
        const iana = s.proto === "raw" ? null : ianaLookup(ianaServices[s.proto], port);
        if (iana !== null && iana !== entry.name) {
          for (const text of [...s.reasons.map((r) => r.message), s.explanation ?? ""]) assert.ok(!text.includes(`(${iana})`), `"${text}" names ${port} ${iana}, the table ${entry.name}`);
        }
      }
    });
  }
  it("enrich found sockets on known ports in the fixtures", () => assert.ok(known > 500, `${known}`));
});
