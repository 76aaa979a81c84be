import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as table from "../../src/model/socket-fields.js";
// @ts-expect-error: a plain script, no types
import { exampleProblems, fieldReference, withReference } from "../../scripts/json-doc.mjs";

const doc = readFileSync(new URL("../../docs/json.md", import.meta.url), "utf8");

describe("fieldReference", () => {
  it("fieldReference of SOCKET_FIELDS is what docs/json.md holds (else: npm run build && npm run docs:json)", () => {
    assert.equal(withReference(doc, fieldReference(table)), doc);
  });
  it("fieldReference has one row per field, by path", () => {
    const rows = (fieldReference(table) as string).split("\n").slice(2).map((r) => /^\| `([^`]+)`/.exec(r)?.[1]);
    assert.deepEqual(rows, table.allFields().map((f) => f.path));
  });
  const stale: [string, string][] = [
    ["a field the table no longer has", doc.replace("| `family` |", "| `familie` |")],
    ["a field left out", doc.replace(/^\| `uid` \|.*\n/m, "")],
    ["a changed meaning", doc.replace("transport protocol", "the protocol")],
  ];
  for (const [what, text] of stale) {
    it(`fieldReference differs from a doc with ${what}`, () => assert.notEqual(withReference(text, fieldReference(table)), text));
  }
  it("withReference refuses a doc without the markers", () => {
    assert.throws(() => withReference("# JSON\n", "x"), /no "<!-- fields -->" \.\.\. "<!-- \/fields -->" section/);
  });
});

describe("exampleProblems", () => {
  it("exampleProblems finds nothing wrong with the example in docs/json.md", () => assert.deepEqual(exampleProblems(doc, table), []));
  const broken: [string, string, RegExp][] = [
    ["a key that is no field", doc.replace('"family": 4,', '"family": 4, "famliy": 4,'), /shows "famliy", which is no field/],
    ["a misspelt process field", doc.replace('"exeDeleted": false', '"exe_deleted": false'), /shows "process\.exe_deleted", which is no field.*leaves out "process\.exeDeleted"/],
    ["a field left out", doc.replace('"inode": 20853, ', ""), /leaves out "inode"/],
    ["a field of a list's items left out", doc.replace('"rule": "unexplained", ', ""), /leaves out "reasons\[\]\.rule"/],
    ["keys out of order", doc.replace('"proto": "tcp", "family": 4,', '"family": 4, "proto": "tcp",'), /not in the table's order/],
  ];
  for (const [what, text, message] of broken) {
    it(`exampleProblems reports ${what}`, () => assert.match((exampleProblems(text, table) as string[]).join("; "), message));
  }
  it("exampleProblems does not ask for the fields of a null object or of a field absent unless set", () => {
    const problems = exampleProblems(doc, table) as string[];
    assert.ok(!problems.some((p) => /remote\.|hiddenFrom|host"/.test(p)));
  });
});
