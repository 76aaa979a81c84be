// The whole pipeline over a capture, as the library and the command line run it: read (audit/capture.ts),
// classify, name, judge (Auditor.judgeCapture), then every renderer (table, --explain, JSON, NDJSON), with
// the checks the adversarial tests make of what comes out.
import assert from "node:assert/strict";
import { createAuditor } from "../../src/audit/auditor.js";
import { readCaptureText, type CaptureFormat } from "../../src/audit/capture.js";
import type { Snapshot } from "../../src/model/snapshot.js";
import { renderJson, renderNdjsonChunks } from "../../src/report/render-json.js";
import { renderTable } from "../../src/report/render-table.js";
import { jsonSafe } from "../../src/report/safe-text.js";

export const auditor = createAuditor({ etcServices: null, self: { pid: 1, asRoot: true, hostname: "test" } });

/** What one capture gives, read and judged, in every output. */
export interface PipelineOutput {
  snapshot: Snapshot;
  table: string;
  explained: string;
  json: string;
  ndjson: string;
}

export function runPipeline(text: string, format: CaptureFormat): PipelineOutput {
  const snapshot = auditor.judgeCapture(readCaptureText(auditor, text, { format, name: "fuzz" }));
  return {
    snapshot,
    table: renderTable(snapshot.sockets),
    explained: renderTable(snapshot.sockets, { explain: true, width: 100 }),
    json: renderJson(snapshot),
    ndjson: [...renderNdjsonChunks(snapshot.sockets)].join(""),
  };
}

/** Controls other than the line breaks a renderer writes, invisible formatting characters, U+2028/2029. */
export const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;

/**
 * A JSON text is exactly what portwatch's writer makes of its own value (jsonSafe(JSON.stringify)): so it
 * parses, holds no key twice (JSON.parse keeps the last of two, and writing it again would differ) and no
 * raw control or formatting character.
 */
export function assertOwnJson(text: string, what: string): unknown {
  const value: unknown = JSON.parse(text);
  // --json puts each socket on a line of its own; inside JSON strings a line break is always escaped.
  assert.equal(jsonSafe(JSON.stringify(value)), text.replace(/\n/g, ""), `${what} is not what portwatch writes of its own value (a key twice?): ${text.slice(0, 300)}`);
  return value;
}

/** The checks of every adversarial capture: valid JSON, one NDJSON object per socket, no raw control or bidi character in the table. */
export function assertSafeOutputs(out: PipelineOutput, input: string): void {
  const where = `for input ${JSON.stringify(input.slice(0, 300))}`;
  assert.doesNotMatch(out.table, RAW, `table ${where}`);
  assert.doesNotMatch(out.explained, RAW, `--explain table ${where}`);
  // --json's sockets are written by the same socketJson as the NDJSON lines, checked one by one below.
  const doc = JSON.parse(out.json) as { sockets: unknown[]; warnings: unknown[] };
  assert.equal(jsonSafe(JSON.stringify(doc.warnings)), /,"warnings":(\[.*\]),"summary":/.exec(out.json)?.[1], `--json's warnings ${where}`);
  const lines = out.ndjson === "" ? [] : out.ndjson.slice(0, -1).split("\n");
  assert.equal(lines.length, out.snapshot.sockets.length, `one NDJSON line per socket ${where}`);
  assert.equal(doc.sockets.length, lines.length);
  for (const line of lines) {
    const v = assertOwnJson(line, `an NDJSON line ${where}`);
    assert.ok(typeof v === "object" && v !== null && !Array.isArray(v), `an NDJSON line is one object ${where}`);
  }
}
