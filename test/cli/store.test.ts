import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The store options of watch and history (cli/store.ts), through the built CLI; none of these reaches a database.

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-cli-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(main, args, { encoding: "utf8", timeout: 60_000, env: { ...process.env, PORTWATCH_STORE: "", PORTWATCH_HOST_ID: "", ...env } });

describe("portwatch watch and history --store options (built CLI)", () => {
  it("portwatch watch --db FILE on the command line wins over PORTWATCH_STORE; --db with --store is a usage error", () => {
    const db = join(dir, "state", "h.sqlite");
    const r = run(["watch", "--count", "1", "--ndjson", "--proc-root", tree, "--state-dir", join(dir, "state"), "--db", db], { PORTWATCH_STORE: "postgres://nobody@127.0.0.1:1/none" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(db));
    const both = run(["watch", "--count", "1", "--proc-root", tree, "--state-dir", join(dir, "state"), "--db", db, "--store", "postgres://nobody@127.0.0.1:1/none"]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /Cannot use both --db FILE and --store URL/);
    const noHistory = run(["watch", "--count", "1", "--proc-root", tree, "--state-dir", join(dir, "state"), "--no-history", "--store", "postgres://nobody@127.0.0.1:1/none"]);
    assert.equal(noHistory.status, 2);
    assert.match(noHistory.stderr, /Cannot use --no-history with --store/);
  });

  it("portwatch history --store takes only postgres:// URLs and --host-id only a plain id, and neither --host-id nor --store-password-file goes without a store", () => {
    const cases: [string[], RegExp][] = [
      [["history", "--store", "/var/lib/portwatch/history.sqlite"], /Cannot use --store "\/var\/lib\/portwatch\/history\.sqlite": expected a URL like postgres:\/\//],
      [["history", "--store", "mysql://u@db/x"], /only postgres:\/\/ and postgresql:\/\/ URLs are stores/],
      [["history", "--store", "postgres://u@127.0.0.1:1/x", "--host-id", "../etc"], /Cannot use --host-id "\.\.\/etc": a host id is 1 to 128 letters/],
      [["history", "--host-id", "web1", "--state-dir", join(dir, "state")], /Cannot use --host-id without --store URL/],
      [["history", "--store-password-file", join(dir, "pw"), "--state-dir", join(dir, "state")], /Cannot use --store-password-file without --store URL/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
    }
  });

  it("portwatch history --store-password-file is read only when it is a private regular file with a password on its first line", () => {
    const url = "postgres://u@127.0.0.1:1/x";
    writeFileSync(join(dir, "empty"), "\nsecond line\n", { mode: 0o600 });
    symlinkSync(join(dir, "empty"), join(dir, "link"));
    const cases: [string, RegExp][] = [
      [join(dir, "missing"), /Cannot read the password file ".*missing": there is no such file/],
      [join(dir, "empty"), /its first line is empty/],
      [join(dir, "link"), /it is a link/],
      [dir, /it is not a regular file/],
    ];
    for (const [file, message] of cases) {
      const r = run(["history", "--store", url, "--store-password-file", file]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });

  it("portwatch history with a store that does not answer is exit 2, naming it without its password", () => {
    const r = run(["history", "--store", "postgres://u:hush@127.0.0.1:1/x", "--host-id", "web1"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /warning: --store has a password in its URL/);
    assert.match(r.stderr, /Cannot use the fleet store postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    assert.ok(!r.stderr.includes("hush"));
  });
});
