import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { baselineOf, saveBaseline } from "../../src/watch/baseline-store.js";

// Replays of issue 14's "State files" cases: what another user of the host can plant where root writes.
// They plant files owned by uid 65534 (nobody), so they need root.
const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const run = (...args: string[]) => spawnSync(main, args, { encoding: "utf8", timeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), "pw-adv-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = process.getuid?.() === 0;

describe("state files against another user of the host", { skip: root ? false : "needs root to plant another user's files" }, () => {
  it("saveBaseline in a world-writable folder does not follow a link planted at a predictable temporary name", () => {
    const shared = join(dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o1777); // like /tmp
    const victim = join(dir, "root-only");
    writeFileSync(victim, "root's secret\n", { mode: 0o600 });
    const file = join(shared, "baseline.json");
    // What the old code wrote to: "<file>.<pid>.tmp" (the attacker tries every pid; the test knows its own).
    for (const name of [`${file}.${process.pid}.tmp`, `${file}.tmp`]) symlinkSync(victim, name);
    saveBaseline(file, baselineOf(new Map(), "h", "2026-12-01T00:00:00.000Z"));
    assert.equal(readFileSync(victim, "utf8"), "root's secret\n");
    assert.equal(JSON.parse(readFileSync(file, "utf8")).hostname, "h");
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("portwatch baseline save refuses a world-writable folder without the sticky bit (exit 2, names it and what to do)", () => {
    const open = join(dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = run("baseline", "save", "--proc-root", tree, "--file", join(open, "b.json"));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`Cannot save the baseline to ".*b\\.json": the folder "${open}" can be written by every user \\(mode 0777\\).*chmod 700`));
    assert.equal(existsSync(join(open, "b.json")), false);
  });

  it("portwatch watch refuses a --queue-dir another user made, and sends none of what was planted there to the webhook", async () => {
    const received: string[] = [];
    const server = createServer((req, res) => { let b = ""; req.on("data", (d) => { b += d; }); req.on("end", () => { received.push(b); res.end(); }); });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const secret = join(dir, "shadow");
      writeFileSync(secret, "root:$y$secret-hash:19000:0:99999:7:::\n", { mode: 0o600 });
      const queue = join(dir, "queue");
      mkdirSync(queue, { mode: 0o755 });
      symlinkSync(secret, join(queue, "000000000000001-1-000000.json"));
      chownSync(queue, 65534, 65534);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const child = spawn(main, ["watch", "--proc-root", tree, "--count", "1", "--no-history", "--webhook", url, "--queue-dir", queue], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      child.stderr.on("data", (d: Buffer) => { err += d; });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const code = await new Promise((ok) => child.on("close", ok));
      clearTimeout(timer);
      assert.equal(code, 2, err);
      assert.match(err, new RegExp(`the folder "${queue}" belongs to user 65534, not to root`));
      assert.deepEqual(received.filter((b) => b.includes("secret-hash")), []);
    } finally {
      server.close();
    }
  });

  it("portwatch refuses a state folder another user made, so it never trusts a provenance cache planted there (exit 2)", () => {
    const state = join(dir, "state-theirs");
    mkdirSync(join(state, "cache"), { recursive: true, mode: 0o755 });
    // A forged cache would vouch for a replaced program's checksum.
    writeFileSync(join(state, "cache", "provenance.json"), JSON.stringify({ v: 1, digests: {}, dpkg: null }));
    chownSync(state, 65534, 65534);
    const r = spawnSync(main, ["-tl"], { encoding: "utf8", timeout: 60_000, env: { ...process.env, PORTWATCH_STATE_DIR: state } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`Cannot use the state folder "${state}": the folder "${state}" belongs to user 65534, not to root.*--state-dir DIR`));
  });

  it("portwatch watch creates a history database outside the state folder readable by its owner only (0600)", () => {
    const place = join(dir, "elsewhere");
    mkdirSync(place, { mode: 0o755 });
    const db = join(place, "history.sqlite");
    const r = run("watch", "--proc-root", tree, "--count", "1", "--db", db, "--interval", "100ms");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(db).mode & 0o777, 0o600);
  });
});

describe("portwatch history against missing, damaged and foreign databases", () => {
  it("portwatch history exits 2 with a plain message for a missing, a damaged and a non-SQLite database", () => {
    const garbage = join(dir, "garbage.sqlite");
    writeFileSync(garbage, Buffer.alloc(8192, 0x41));
    const missing = run("history", "--db", join(dir, "none.sqlite"));
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /there is none yet \(run "portwatch watch" to record it\)/);
    const g = run("history", "--db", garbage);
    assert.equal(g.status, 2, g.stderr);
    assert.match(g.stderr, /Cannot open the history database ".*garbage\.sqlite": it is not an SQLite database \(or it is damaged\)/);
    // A portwatch history whose pages were overwritten: it opens, then fails when read.
    const damaged = join(dir, "damaged.sqlite");
    const w = run("watch", "--proc-root", tree, "--count", "1", "--db", damaged, "--interval", "100ms");
    assert.equal(w.status, 0, w.stderr);
    const bytes = readFileSync(damaged);
    bytes.fill(0xff, 4096, bytes.length); // every page after the first (the schema) is garbage
    writeFileSync(damaged, bytes);
    const d = run("history", "--db", damaged);
    assert.equal(d.status, 2, d.stderr);
    assert.match(d.stderr, /history database ".*damaged\.sqlite": it is damaged \(SQLITE_CORRUPT/);
    assert.doesNotMatch(d.stderr, /please report|internal error/);
    const again = run("watch", "--proc-root", tree, "--count", "1", "--db", damaged, "--interval", "100ms");
    assert.equal(again.status, 2, again.stderr);
    assert.match(again.stderr, /history database ".*damaged\.sqlite": it is damaged \(SQLITE_CORRUPT/);
  });

  it("portwatch history --db on another program's database refuses it (exit 2) and changes nothing in it", () => {
    const foreign = join(dir, "app.sqlite");
    const db = new Database(foreign);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')");
    db.close();
    const before = readFileSync(foreign);
    const r = run("history", "--db", foreign);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /Cannot open the history database ".*app\.sqlite": it is not a portwatch history \(no table "identities"; it has "users"\); give portwatch a file of its own with --db FILE/);
    assert.deepEqual(readFileSync(foreign), before);
    assert.equal(existsSync(`${foreign}-wal`), false);
    const w = run("watch", "--proc-root", tree, "--count", "1", "--db", foreign, "--interval", "100ms");
    assert.equal(w.status, 2, w.stderr);
    assert.deepEqual(readFileSync(foreign), before);
  });
});
