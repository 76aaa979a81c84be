import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { InputError } from "../../src/model/errors.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChangeEvent, Seen } from "../../src/model/change.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import { HistoryStore } from "../../src/watch/history-store.js";

const dir = mkdtempSync(join(tmpdir(), "pw-history-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const proc = (pid: number, exe: string): ProcessInfo => ({ pid, name: exe.slice(exe.lastIndexOf("/") + 1), exe, exeDeleted: false, cmdline: [], uid: 0, user: "root", containerId: null, netns: 1 });
const sock = (port: number, p: ProcessInfo | null): Socket => ({ proto: "tcp", family: 4, local: { address: "0.0.0.0", port }, remote: null, state: "LISTEN", direction: "listening", exposure: "all-interfaces", netns: 1, inode: 1, uid: 0, service: null, process: p, sharedWith: [], verdict: "unknown", reasons: [], explanation: null });
const look = (...entries: [string, Socket][]) => new Map<string, Seen>(entries.map(([id, s]) => [id, { identity: id, verdict: s.verdict, socket: s }]));

describe("HistoryStore", () => {
  it("HistoryStore counts looks per identity, keeps first and last seen and the distinct owners, and answers by time and port", () => {
    const store = new HistoryStore(join(dir, "h1.sqlite"));
    try {
      const id = "L|tcp|8080|/usr/bin/app|root|host";
      store.record(look([id, sock(8080, proc(10, "/usr/bin/app"))]), [], "2026-11-20T10:00:00.000Z");
      store.record(look([id, sock(8080, proc(11, "/usr/bin/app"))], ["L|tcp|22|/usr/sbin/sshd|root|host", sock(22, proc(5, "/usr/sbin/sshd"))]), [], "2026-11-26T10:00:00.000Z");
      store.record(look([id, sock(8080, proc(12, "/opt/app2"))]), [{ type: "appeared", identity: id, socket: sock(8080, null), at: "2026-11-26T11:00:00.000Z" } as ChangeEvent], "2026-11-26T11:00:00.000Z");
      const [row] = store.query({ port: 8080 });
      assert.deepEqual([row?.timesSeen, row?.firstSeen, row?.lastSeen, row?.owners], [3, "2026-11-20T10:00:00.000Z", "2026-11-26T11:00:00.000Z", ["/usr/bin/app", "/opt/app2"]]);
      assert.deepEqual(store.query({ since: "2026-11-26T10:30:00.000Z" }).map((r) => r.identity), [id]);
      assert.equal(store.query().length, 2);
      assert.deepEqual(store.events("2026-11-26T00:00:00.000Z").map((e) => [e.type, e.identity]), [["appeared", id]]);
      assert.equal(store.integrity(), "ok");
    } finally { store.close(); }
  });

  it("HistoryStore.prune drops what was last seen before the retention window", () => {
    const store = new HistoryStore(join(dir, "h2.sqlite"), 7);
    try {
      store.record(look(["old", sock(1, null)]), [], "2026-11-01T00:00:00.000Z");
      store.record(look(["new", sock(2, null)]), [], "2026-11-26T00:00:00.000Z");
      store.prune("2026-11-26T00:00:00.000Z");
      assert.deepEqual(store.query().map((r) => r.identity), ["new"]);
    } finally { store.close(); }
  });

  it("HistoryStore makes a new database with mode 0600; read-only, it refuses a missing or foreign one and changes nothing", () => {
    const own = join(dir, "own.sqlite");
    new HistoryStore(own).close();
    assert.equal(statSync(own).mode & 0o777, 0o600);
    const ro = new HistoryStore(own, 30, { readonly: true });
    try { assert.deepEqual(ro.query(), []); } finally { ro.close(); }
    assert.throws(() => new HistoryStore(join(dir, "none.sqlite"), 30, { readonly: true }), (e: unknown) => e instanceof InputError && /there is none yet/.test(e.message));
    const foreign = join(dir, "foreign.sqlite");
    const db = new Database(foreign);
    db.exec("CREATE TABLE identities (id INTEGER)");
    db.close();
    const before = readFileSync(foreign);
    for (const readonly of [true, false]) {
      assert.throws(() => new HistoryStore(foreign, 30, { readonly }), (e: unknown) => e instanceof InputError && /not a portwatch history \(table "identities" has no column "identity"\)/.test(e.message));
    }
    assert.deepEqual(readFileSync(foreign), before);
  });

  it("HistoryStore loses nothing committed and stays sound when its writer is killed with SIGKILL mid-write", async () => {
    const db = join(dir, "crash.sqlite");
    const writer = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../helpers/history-writer.ts", import.meta.url)), db], { stdio: ["ignore", "pipe", "pipe"] });
    let committed = 0, err = "";
    writer.stderr.on("data", (d: Buffer) => { err += d; });
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`the writer did not get going: ${err}`)), 30_000);
      writer.stdout.on("data", (d: Buffer) => {
        const all = [...String(d).matchAll(/committed (\d+)/g)];
        if (all.length) committed = Number(all[all.length - 1]![1]);
        if (committed >= 60) { clearTimeout(timer); process.kill(writer.pid!, "SIGKILL"); ok(); }
      });
    });
    await new Promise((ok) => writer.once("close", ok));
    const store = new HistoryStore(db);
    try {
      assert.equal(store.integrity(), "ok");
      const [row] = store.query({ port: 22 });
      assert.ok((row?.timesSeen ?? 0) >= committed, `saw ${row?.timesSeen} looks, ${committed} were reported committed`);
    } finally { store.close(); }
  });
});
