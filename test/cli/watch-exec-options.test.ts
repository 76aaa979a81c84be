// portwatch watch --exec-timeout and --exec-concurrency: checked at the command line, and handed to the
// --exec handlers. Live, loopback only: the test plants its own listeners (so that the second watcher
// alerts), and its handler only records when it started; the watcher kills it at the timeout.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-watch-exec-opts-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const watch = (...args: string[]) => spawnSync(main, ["watch", "--ndjson", "--count", "1", "--db", join(dir, "history.sqlite"), "--queue-dir", join(dir, "q"), ...args], { encoding: "utf8", timeout: 60_000 });

describe("watch --exec-timeout and --exec-concurrency", () => {
  it("portwatch watch refuses a bad --exec-timeout or --exec-concurrency, and either without --exec, with exit 2", () => {
    const cases: [string[], RegExp][] = [
      [["--exec", "true", "--exec-timeout", "0"], /--exec-timeout <seconds>' argument '0' is invalid\. expected a number of seconds from 0\.1 to 3600/],
      [["--exec", "true", "--exec-timeout", "ten"], /argument 'ten' is invalid/],
      [["--exec", "true", "--exec-concurrency", "0"], /--exec-concurrency <n>' argument '0' is invalid\. expected a whole number from 1 to 64/],
      [["--exec", "true", "--exec-concurrency", "1.5"], /argument '1\.5' is invalid/],
      [["--exec-timeout", "5"], /^portwatch: Cannot use --exec-timeout without --exec/],
      [["--exec-concurrency", "2"], /^portwatch: Cannot use --exec-concurrency without --exec/],
    ];
    for (const [args, message] of cases) {
      const r = watch(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
    }
  });

  it("portwatch watch --exec-timeout 1 --exec-concurrency 1 runs one handler at a time and stops each after a second", async () => {
    assert.equal(watch().status, 0); // the history's last look: before the listeners
    const starts = join(dir, "starts.txt");
    const handler = join(dir, "slow-handler.cjs");
    writeFileSync(handler, `require("fs").appendFileSync(${JSON.stringify(starts)}, Date.now() + "\\n"); setTimeout(() => {}, 30000);`);
    let listener: ChildProcess | null = null;
    try {
      const code = `const net=require("net");let n=0;for(let i=0;i<3;i++){const s=net.createServer().listen(0,"127.0.0.1",()=>{if(++n===3)console.log("up")});}setTimeout(()=>process.exit(0),60000)`;
      listener = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "ignore"] });
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error("the listeners did not start")), 10_000);
        listener!.stdout!.once("data", () => { clearTimeout(timer); ok(); });
      });
      const r = watch("--exec", `${process.execPath} ${handler}`, "--exec-timeout", "1", "--exec-concurrency", "1");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /--exec \S+ took longer than 1000 ms: stopped \(its whole process group\)/);
      const times = existsSync(starts) ? readFileSync(starts, "utf8").split("\n").filter(Boolean).map(Number) : [];
      assert.ok(times.length >= 2, `${times.length} handler(s) started: ${r.stderr}`);
      for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) - (times[i - 1] as number) >= 900, `handlers ${i} and ${i + 1} ran at once: ${times.join(", ")}`);
    } finally {
      if (listener?.pid !== undefined && listener.exitCode === null) listener.kill("SIGKILL");
    }
  });
});
