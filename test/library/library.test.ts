import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The README's library example: the first ```js block under "## Library". */
function readmeExample(): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Library"));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, "README.md has a ```js example under ## Library");
  return m[1] as string;
}

describe("the public library", () => {
  it("the README's library example runs against the built package, imported by its name", () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-library-"));
    try {
      mkdirSync(join(dir, "node_modules"));
      symlinkSync(root, join(dir, "node_modules", "portwatch"));
      writeFileSync(join(dir, "example.mjs"), readmeExample());
      const r = spawnSync(process.execPath, [join(dir, "example.mjs")], { cwd: dir, encoding: "utf8", timeout: 60_000, maxBuffer: 1 << 28, env: { ...process.env, PORTWATCH_STATE_DIR: dir } });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.match(lines[0] ?? "", /expected: \d+, unknown: \d+, suspicious: \d+/);
      // The capture's connection to an IRC port by a process named like a kernel thread.
      assert.ok(lines.some((l) => /^suspicious .*IRC/i.test(l)), r.stdout);
      // Two looks of watch(), the second with its changes counted.
      assert.equal(lines.filter((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z \d+ \d+$/.test(l)).length, 2, r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm pack ships the command, the built library with its types and the native source, and nothing of the tests or sources", () => {
    const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
    for (const must of ["package.json", "README.md", "bin/portwatch", "bin/start.cjs", "dist/index.js", "dist/index.d.ts", "dist/portwatch.cjs", "dist/audit/library.js", "dist/audit/library.d.ts", "native/portwatch.c", "binding.gyp", "scripts/native-missing.mjs"]) {
      assert.ok(files.has(must), `npm pack is missing ${must}`);
    }
    for (const f of files) {
      assert.doesNotMatch(f, /^(test|src|bench|docs|contrib|\.ci)\//, `npm pack should not ship ${f}`);
      assert.doesNotMatch(f, /\.cache$|\.tsbuildinfo$/, `npm pack should not ship the machine's code cache ${f}`);
    }
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    assert.deepEqual(Object.keys(pkg.exports), [".", "./package.json"]);
  });

  it("the library exports the entry points and nothing made for tests", async () => {
    const lib = await import(join(root, "dist/index.js")) as Record<string, unknown>;
    for (const name of ["audit", "watch", "createAuditor", "createLooker", "parsePolicy", "renderTable", "renderJson", "InputError"]) assert.equal(typeof lib[name], "function", name);
    for (const name of Object.keys(lib)) assert.doesNotMatch(name, /test|fixture|internal|__/i);
  });
});
