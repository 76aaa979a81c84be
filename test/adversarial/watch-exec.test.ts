// Replays issue 14's --exec cases: a handler that leaves a child running, a burst of alerts with a slow
// handler, and an empty --exec. Handlers are small node scripts written here; only their pids are checked.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openAlerting } from "../../src/audit/alerting.js";
import type { ChangeEvent } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";
import { execSink } from "../../src/watch/exec-sink.js";

const dir = mkdtempSync(join(tmpdir(), "pw-adv-exec-"));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Whether `pid` runs (a zombie, killed but not yet reaped by its new parent, does not). */
const alive = (pid: number) => { try { return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; } };
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe("watch --exec (adversarial)", () => {
  it("openAlerting deliver returns at once while a handler's child keeps running, and the child's process group is killed at the timeout", async () => {
    const pidFile = join(dir, "child.pid");
    // The handler starts a sleeping child that keeps its stderr open, writes the child's pid, and exits.
    const handler = join(dir, "leave-child.cjs");
    writeFileSync(handler, `const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(()=>{},60000)"], { stdio: ["ignore", "ignore", "inherit"] }); require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); process.exit(0);`);
    const problems: string[] = [];
    const alerts = openAlerting({ queueDir: join(dir, "q"), exec: `${process.execPath} ${handler}`, execTimeoutMs: 1500, onProblem: (m) => problems.push(m) });
    const event: ChangeEvent = { type: "appeared", identity: "L|tcp|31337|/tmp/x|root|host", at: "2026-12-01T12:00:00.000Z", socket: { verdict: "unknown", proto: "tcp", family: 4, local: { address: "127.0.0.1", port: 31337 }, remote: null, state: "LISTEN", direction: "listening", exposure: "loopback", netns: null, inode: null, uid: 0, service: null, process: null, sharedWith: [], reasons: [], explanation: null } as Socket };
    const started = Date.now();
    alerts.deliver([event]);
    assert.ok(Date.now() - started < 200, "deliver waited for the handler");
    let child = 0;
    for (let i = 0; i < 100 && !child; i++) { await sleep(50); try { child = Number(readFileSync(pidFile, "utf8")); } catch { /* not yet */ } }
    assert.ok(child > 0 && alive(child), "the handler's child runs");
    await sleep(2500);
    assert.equal(alive(child), false, "the child outlived the timeout");
    assert.match(problems.join("\n"), /left processes running for longer than 1500 ms: stopped its process group/);
    await alerts.close(1000);
  });

  it("execSink runs a burst of 20 one-second handlers 4 at a time: about 5 s, not 20 s", async () => {
    const handler = join(dir, "slow.cjs");
    writeFileSync(handler, "process.stdin.resume(); setTimeout(() => process.exit(0), 1000);");
    const sink = execSink(`${process.execPath} ${handler}`);
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => sink.send(`{"n":${i}}`)));
    const took = Date.now() - started;
    assert.ok(took >= 4500 && took < 9000, `took ${took} ms`);
    await sink.close(100);
  });

  it("execSink drops alerts beyond its queue and says so", async () => {
    const handler = join(dir, "slow2.cjs");
    writeFileSync(handler, "process.stdin.resume(); setTimeout(() => process.exit(0), 500);");
    const problems: string[] = [];
    const sink = execSink(`${process.execPath} ${handler}`, { concurrency: 1, queueLimit: 2, onProblem: (m) => problems.push(m) });
    for (let i = 0; i < 5; i++) void sink.send("{}");
    assert.match(problems.join("\n"), /1 alert\(s\) dropped so far: 2 already wait and 1 run at once/);
    await sink.close(5000);
  });

  it("portwatch watch keeps looking every interval while an --exec handler's child runs on, and the child is gone when watch stops", async () => {
    const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
    const db = join(dir, "history.sqlite");
    const pidFile = join(dir, "cli-child.pid");
    const handler = join(dir, "cli-leave-child.cjs");
    writeFileSync(handler, `const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(()=>{},60000)"], { stdio: ["ignore", "ignore", "inherit"] }); require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); process.exit(0);`);
    const once = spawnSync(main, ["watch", "--count", "1", "--db", db, "--ndjson"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(once.status, 0, once.stderr);
    // A listener planted after that look is an alert at the next watcher's first look (see watch-unwatched).
    let listener: ChildProcess | null = null;
    try {
      listener = spawn(process.execPath, ["-e", `const s=require("net").createServer().listen(0,"127.0.0.1",()=>console.log(s.address().port));setTimeout(()=>process.exit(0),60000)`, "portwatch-test-plant"], { stdio: ["ignore", "pipe", "ignore"] });
      await new Promise((ok) => listener!.stdout!.once("data", ok));
      const started = Date.now();
      const r = await new Promise<{ code: number | null; err: string }>((ok) => {
        const w = spawn(main, ["watch", "--count", "8", "--interval", "250ms", "--db", db, "--ndjson", "--queue-dir", join(dir, "q2"), "--exec", `${process.execPath} ${handler}`], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        w.stderr!.on("data", (d: Buffer) => { err += d; });
        const t = setTimeout(() => w.kill("SIGKILL"), 30_000);
        w.once("close", (code) => { clearTimeout(t); ok({ code, err }); });
      });
      const took = Date.now() - started;
      assert.equal(r.code, 0, r.err);
      assert.ok(took < 8000, `8 looks 250 ms apart took ${took} ms`);
      const child = Number(readFileSync(pidFile, "utf8"));
      assert.ok(child > 0);
      for (let i = 0; i < 20 && alive(child); i++) await sleep(50);
      assert.equal(alive(child), false, "the handler's child outlived the watcher");
    } finally {
      if (listener?.pid && listener.exitCode === null) { try { process.kill(listener.pid, "SIGKILL"); } catch { /* gone */ } }
    }
  });

  it("portwatch watch --exec with an empty or blank command exits 2 with a message", () => {
    const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
    for (const command of ["", " "]) {
      const r = spawnSync(main, ["watch", "--exec", command, "--count", "1", "--no-history", "--ndjson"], { encoding: "utf8", timeout: 30_000 });
      assert.equal(r.status, 2, `--exec ${JSON.stringify(command)}: ${r.stderr}`);
      assert.match(r.stderr, /Cannot use --exec ".*": it names no program/);
    }
  });
});
