import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { lineSplitter } from "../../src/cli/read-capture.js";

/** What lineSplitter makes of `chunks`: lines, and skipped ones as "<skipped N: start>". */
function split(chunks: (string | Buffer)[], max = 1 << 20): string[] {
  const out: string[] = [];
  const s = lineSplitter(max, (l) => out.push(l), (n, start) => out.push(`<skipped ${n}: ${start}>`));
  for (const c of chunks) s.push(typeof c === "string" ? Buffer.from(c) : c);
  s.end();
  return out;
}

async function viaReadline(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of createInterface({ input: Readable.from(chunks.map((c) => Buffer.from(c))), crlfDelay: Infinity })) out.push(l);
  return out;
}

describe("lineSplitter", () => {
  const cases: [string, string[]][] = [
    ["\\n, \\r\\n and a last line without a break", ["a\nb\r\nc"]],
    ["a \\r\\n cut between two chunks", ["a\r", "\nb\n"]],
    ["a lone \\r and Windows' \\r\\r\\n", ["a\rb\r\r\nc\n"]],
    ["empty lines and a trailing break", ["\n\nx\n\n"]],
    ["a UTF-8 character cut between chunks", [Buffer.from("é\n").subarray(0, 1).toString("latin1"), "x"]],
  ];
  for (const [name, chunks] of cases) {
    it(`lineSplitter splits as readline does: ${name}`, async () => {
      assert.deepEqual(split(chunks), await viaReadline(chunks));
    });
  }
  it("lineSplitter keeps a multi-byte character whole when a chunk ends inside it", () => {
    const bytes = Buffer.from("ä€\nz");
    assert.deepEqual(split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)]), ["ä€", "z"]);
  });
  it("lineSplitter skips a line longer than the bound, across chunks, with its length and start (what came before the bound was passed, up to 120 bytes), and goes on", () => {
    assert.deepEqual(split(["ok\nabcdef", "ghij", "klm\r\nnext"], 8), ["ok", "<skipped 13: abcdefghij>", "next"]);
    assert.deepEqual(split(["12345678\n123456789"], 8), ["12345678", "<skipped 9: 123456789>"]);
  });
});
