// portwatch serve reads the watcher's history database read-only: it never creates it, adds tables to it
// or switches its journal to WAL, and says so when there is none.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { HistoryStore } from "../../src/watch/history-store.js";

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-serve-history-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const serveFor = (...args: string[]) => spawnSync(main, ["serve", "--for", "1500ms", "--interval", "500ms", "--proc-root", tree, ...args], { encoding: "utf8", timeout: 30_000 });

describe("serve and the history database", () => {
  it("portwatch serve opens the history read-only: the file's bytes and journal mode stay as they were, and no -wal file appears", () => {
    const db = join(dir, "history.sqlite");
    new HistoryStore(db).close();
    const raw = new Database(db);
    raw.pragma("journal_mode = DELETE"); // as a copy or another tool may leave it
    raw.close();
    const before = readFileSync(db);
    assert.equal(before[18], 1, "rollback journal before serve");
    const r = serveFor("--db", db);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /no history database/);
    const now = readFileSync(db);
    assert.equal(now[18], 1, "serve switched the history to WAL (it opened it read-write)");
    assert.ok(before.equals(now), "serve changed the history file");
    assert.equal(existsSync(`${db}-wal`), false);
  });

  it("portwatch serve says there is no history when its database is missing, and does not make one", () => {
    const db = join(dir, "none.sqlite");
    const r = serveFor("--db", db);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`portwatch: no history database at ${db.replace(/[.]/g, "\\.")} \\(run "portwatch watch" to record one, or give it with --db FILE\\); the detail view shows no history`));
    assert.equal(existsSync(db), false);
    assert.ok(statSync(dir).isDirectory());
  });
});
