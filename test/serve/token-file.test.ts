import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTokenFile } from "../../src/serve/token-file.js";

const TOKEN = "0123456789abcdef0123456789abcdef";

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "pw-token-"));
  chmodSync(dir, 0o700);
  return dir;
}

let made = 0;
function file(dir: string, content: string, mode: number): string {
  const path = join(dir, `serve-${++made}.token`);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

describe("readTokenFile", () => {
  it("readTokenFile reads the token of a file only its owner can read, the final newline left out", () => {
    const dir = folder();
    try {
      assert.deepEqual(readTokenFile(file(dir, `${TOKEN}\n`, 0o600)), { token: TOKEN, created: false });
      assert.deepEqual(readTokenFile(file(dir, `${TOKEN}\n`, 0o640)), { token: TOKEN, created: false }, "a group may read it (a prometheus group on the host)");
    } finally { rmSync(dir, { recursive: true }); }
  });

  it("readTokenFile creates a missing file with a new random token, mode 600, and reads the same token next time", () => {
    const dir = folder();
    try {
      const path = join(dir, "serve.token");
      const first = readTokenFile(path);
      assert.equal(first.created, true);
      assert.match(first.token, /^[0-9a-f]{32}$/);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(readFileSync(path, "utf8"), `${first.token}\n`);
      assert.deepEqual(readTokenFile(path), { token: first.token, created: false });
    } finally { rmSync(dir, { recursive: true }); }
  });

  it("readTokenFile refuses a file others can read or write, a link, another user's file, a bad token and a folder others can write", () => {
    const dir = folder();
    try {
      const cases: [() => string, RegExp][] = [
        [() => file(dir, TOKEN, 0o644), /^Refusing token file ".*\.token": every user can read it \(mode 644\); run: chmod 600 /],
        [() => file(dir, TOKEN, 0o620), /^Refusing token file ".*": ".*" can be written by its group \(mode 0620\): make it private \(chmod 600 /],
        [() => file(dir, TOKEN, 0o666), /can be written by every user \(mode 0666\)/],
        [() => { const p = file(dir, TOKEN, 0o600); const l = join(dir, "link.token"); rmSync(l, { force: true }); symlinkSync(p, l); return l; }, /^Refusing token file ".*link\.token": ".*link\.token" is a link: portwatch does not follow links/],
        ...(process.getuid?.() === 0 ? [
          [() => { const p = file(dir, TOKEN, 0o600); chownSync(p, 65534, 65534); return p; }, /^Refusing token file ".*": ".*" belongs to user 65534, not to root: portwatch reads only its own files/],
          // A folder above the file's that another user owns (the old check looked only at the file's own folder).
          [() => { const theirs = join(dir, "theirs"); mkdirSync(join(theirs, "mine"), { recursive: true }); chownSync(theirs, 65534, 65534); chmodSync(theirs, 0o755); const p = join(theirs, "mine", "serve.token"); writeFileSync(p, TOKEN, { mode: 0o600 }); return p; }, /^Refusing token file ".*": the folder ".*theirs" belongs to user 65534, not to root/],
        ] as [() => string, RegExp][] : []),
        [() => file(dir, "short\n", 0o600), /^Cannot use token file ".*": line 1: expected one token of 16 to 256/],
        [() => file(dir, `${TOKEN}\n${TOKEN}\n`, 0o600), /line 1: expected one token/],
        [() => file(dir, `${TOKEN}"<script>\n`, 0o600), /line 1: expected one token/],
        [() => { const open = join(dir, "open"); mkdirSync(open, { recursive: true }); chmodSync(open, 0o777); return join(open, "serve.token"); }, /^Refusing token file ".*": the folder ".*open" can be written by every user \(mode 0777\)/],
        [() => join(dir, "missing-folder", "serve.token"), /^Cannot read token file ".*": ENOENT \(its folder must exist\)/],
      ];
      for (const [make, message] of cases) {
        const path = make();
        assert.throws(() => readTokenFile(path), (e: Error) => e.name === "InputError" && message.test(e.message), path);
      }
    } finally { rmSync(dir, { recursive: true }); }
  });
});
