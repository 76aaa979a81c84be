// Replays issue 14's case of a listener that appears while no watcher runs: the next watcher's first
// look is compared with the last look the history database recorded. Live, loopback only: the test
// plants its own listener and asserts only about it.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-adv-unwatched-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, "history.sqlite");
const alerts = join(dir, "alerts.ndjson");
const recorder = join(dir, "record.mjs");
writeFileSync(recorder, `import { appendFileSync } from "node:fs"; let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => appendFileSync(${JSON.stringify(alerts)}, s + "\\n"));`);
const watchOnce = () => {
  const r = spawnSync(main, ["watch", "--ndjson", "--count", "1", "--db", db, "--queue-dir", join(dir, "q"), "--exec", `${process.execPath} ${recorder}`], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; type: string; identity: string; unwatchedSince?: string });
};

describe("watch after a time without a watcher (adversarial, live)", () => {
  it("portwatch watch reports a listener that appeared, then one that disappeared, while no watcher ran, marked with the last look's time", async () => {
    watchOnce(); // the history's last look: before the listener
    let listener: ChildProcess | null = null;
    try {
      const code = `const s=require("net").createServer().listen(0,"127.0.0.1",()=>console.log(s.address().port));setTimeout(()=>process.exit(0),60000)`;
      listener = spawn(process.execPath, ["-e", code, "portwatch-test-plant"], { stdio: ["ignore", "pipe", "ignore"] });
      const port = await new Promise<number>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error("the listener did not start")), 10_000);
        listener!.stdout!.once("data", (d: Buffer) => { clearTimeout(timer); ok(Number(String(d).trim())); });
      });
      const mine = (events: ReturnType<typeof watchOnce>) => events.filter((e) => e.identity.startsWith(`L|tcp|${port}|`));
      const came = mine(watchOnce());
      assert.deepEqual(came.map((e) => e.type), ["appeared"]);
      assert.match(came[0]?.unwatchedSince ?? "", /^\d{4}-\d\d-\d\dT/);
      const alerted = readFileSync(alerts, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; identity: string; unwatchedSince?: string });
      assert.deepEqual(alerted.filter((a) => a.identity === came[0]?.identity).map((a) => [a.id, a.unwatchedSince]), [[came[0]?.id, came[0]?.unwatchedSince]]);
      assert.deepEqual(mine(watchOnce()), [], "a listener that was there at the last look is no change");
      process.kill(listener.pid!, "SIGKILL");
      await new Promise((ok) => listener!.once("close", ok));
      const gone = mine(watchOnce());
      assert.deepEqual(gone.map((e) => [e.type, e.identity]), [["disappeared", came[0]?.identity]]);
      assert.ok(gone[0]?.unwatchedSince);
    } finally {
      if (listener?.pid && listener.exitCode === null && listener.signalCode === null) { try { process.kill(listener.pid, "SIGKILL"); } catch { /* gone */ } }
    }
  });
});
