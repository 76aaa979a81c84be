import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const held = new URL("../../dist/cli/held-output.js", import.meta.url).href;

// A child writes `lines` numbered lines through HeldOutput to its stdout, which `reader` (a shell command) reads;
// it prints on stderr the most buffers that ever waited.
const writer = (lines: number, setup = "") => `import { HeldOutput } from ${JSON.stringify(held)};
  ${setup}
  const out = new HeldOutput(1);
  let most = 0;
  for (let i = 0; i < ${lines}; i++) {
    out.out(String(i).padStart(8, "0") + " " + "ü".repeat(100) + "\\n");
    most = Math.max(most, out.waiting);
    const behind = out.drain();
    if (behind) await behind;
  }
  await out.release();
  process.stderr.write(String(most));`;

function expected(lines: number): string {
  const h = createHash("sha256");
  for (let i = 0; i < lines; i++) h.update(String(i).padStart(8, "0") + " " + "ü".repeat(100) + "\n");
  return h.digest("hex");
}

function run(script: string, reader: string): { file: string; most: number; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "pw-held-"));
  const file = join(dir, "out");
  const r = spawnSync("sh", ["-c", `"$1" --input-type=module -e "$2" | ${reader} > "$3"`, "sh", process.execPath, script, file], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return { file, most: Number(r.stderr), dir };
}

describe("HeldOutput", () => {
  it("HeldOutput writes every byte in order through a pipe whose reader starts late and reads slowly, and at most 5 buffers wait", () => {
    const lines = 200_000; // 41 MB
    const { file, most, dir } = run(writer(lines), "(sleep 0.3; dd bs=64k status=none)");
    try {
      assert.equal(createHash("sha256").update(readFileSync(file)).digest("hex"), expected(lines));
      assert.ok(most >= 2 && most <= 5, `most buffers waiting: ${most}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("HeldOutput writes every byte to a non-blocking pipe (EAGAIN when the reader is behind)", () => {
    const lines = 100_000;
    // node makes a pipe it opens as process.stdout non-blocking; a write the reader is not ready for then fails with EAGAIN.
    const setup = `import { readFileSync } from "node:fs"; process.stdout;
      if (!(parseInt(/flags:\\s+(\\d+)/.exec(readFileSync("/proc/self/fdinfo/1", "utf8"))[1], 8) & 0o4000)) throw new Error("stdout is blocking");`;
    const { file, dir } = run(writer(lines, setup), "(sleep 0.3; cat)");
    try {
      assert.equal(createHash("sha256").update(readFileSync(file)).digest("hex"), expected(lines));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("HeldOutput writes ASCII, Latin-1 and other text, in pieces of any size up to two buffers, as their UTF-8 bytes in order", () => {
    // Pieces of 1 byte to 2 MiB: ASCII (copied as Latin-1), "é" (one Latin-1 byte, two in UTF-8), "日" and
    // "😀" (beyond Latin-1), each kind alone in a piece or mixed, so some fill a buffer's end exactly or not.
    const pieces = `const kinds = ["a", "é", "日", "😀"];
      let seed = 7;
      const rnd = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      const pieces = [];
      for (let i = 0; i < 400; i++) {
        const size = [1, 13, 1000, 117_000, 1 << 20, (1 << 20) - 3, 2 << 20][rnd(7)];
        const kind = rnd(5);
        pieces.push(kind < 4 ? kinds[kind].repeat(Math.ceil(size / kinds[kind].length)) : "x".repeat(size - 1) + kinds[1 + rnd(3)]);
      }`;
    const script = `import { HeldOutput } from ${JSON.stringify(held)};
      import { createHash } from "node:crypto";
      ${pieces}
      const out = new HeldOutput(1);
      const h = createHash("sha256");
      for (const p of pieces) { out.out(p); h.update(p); const behind = out.drain(); if (behind) await behind; }
      await out.release();
      process.stderr.write(h.digest("hex"));`;
    const dir = mkdtempSync(join(tmpdir(), "pw-held-"));
    const file = join(dir, "out");
    try {
      const r = spawnSync("sh", ["-c", `"$1" --input-type=module -e "$2" | cat > "$3"`, "sh", process.execPath, script, file], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(createHash("sha256").update(readFileSync(file)).digest("hex"), r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
