import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/check-imports.mjs", import.meta.url));

function check(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "pw-imports-"));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const r = spawnSync(process.execPath, [script, dir], { encoding: "utf8", timeout: 10_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("check-imports", () => {
  it("check-imports passes the project's own src/", () => {
    const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
  });
  const breaches: [string, Record<string, string>, RegExp][] = [
    ["a layer importing a later one", { "model/a.ts": 'import { x } from "../cli/main.js";\n' }, /src\/model\/a\.ts:1: model\/ may not import cli\//],
    ["collect importing knowledge", { "collect/parse/p.ts": 'import { y } from "../../knowledge/k.js";\n' }, /collect\/ may not import knowledge\//],
    ["a pure file importing node:fs", { "report/r.ts": 'import { readFileSync } from "node:fs";\n' }, /may import "node:fs"/],
    ["a pure file reading process.env", { "evaluate/e.ts": 'export const x = process.env["HOME"];\n' }, /only edge files may use process\.\*/],
  ];
  for (const [what, files, msg] of breaches) {
    it(`check-imports rejects ${what}`, () => {
      const r = check(files);
      assert.equal(r.status, 1);
      assert.match(r.out, msg);
    });
  }
  it("check-imports allows edges to touch the system and layers to import earlier ones", () => {
    assert.equal(check({ "cli/c.ts": 'import { readFileSync } from "node:fs";\nimport { a } from "../model/a.js";\n', "collect/linux.ts": 'import "node:fs";\n', "report/r.ts": 'import { e } from "../evaluate/e.js";\n' }).status, 0);
  });
});
