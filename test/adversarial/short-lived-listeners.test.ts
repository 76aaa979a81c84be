// Replays issue 14's case of short-lived processes: a listener whose holder exits between the socket
// dump and the fd walk came out of a one-off audit with no owner and the rootkit hint (unowned-listener).
// Live, loopback only: a python3 planter (its own process group, killed by that group at the end) forks
// children that listen on 127.0.0.1 for a few milliseconds and write their socket's inode to a file; the
// test runs audits meanwhile and asserts only about the planted inodes.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-adv-short-lived-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = process.getuid?.() === 0;
const python = spawnSync("python3", ["-c", "0"]).status === 0;

// At most 2,000 children, at most 16 at a time, each listening 0 to 40 ms; the planter stops after `seconds`.
const PLANTER = `
import os, random, socket, sys, time
out = open(sys.argv[1], "a", buffering=1)
end = time.time() + float(sys.argv[2])
kids = set(); made = 0
while time.time() < end and made < 2000:
    while len(kids) >= 16:
        kids.discard(os.waitpid(-1, 0)[0])
    pid = os.fork()
    if pid == 0:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
        out.write("%d %d\\n" % (os.fstat(s.fileno()).st_ino, s.getsockname()[1]))
        time.sleep(random.random() * 0.04)
        os._exit(0)
    kids.add(pid); made += 1
    time.sleep(0.001)
for k in kids: os.waitpid(k, 0)
`;

describe("short-lived listeners in one-off audits (adversarial, live)", () => {
  it("portwatch audit never gives the unowned-listener (rootkit) reason to a listener of a process that exits during the scan", { skip: !root ? "needs root (the rule fires only as root)" : !python ? "needs python3" : false, timeout: 120_000 }, async () => {
    const script = join(dir, "planter.py");
    const planted = join(dir, "planted.txt");
    writeFileSync(script, PLANTER);
    const planter = spawn("python3", [script, planted, "15"], { stdio: "ignore", detached: true });
    const hits: string[] = [];
    let audits = 0;
    try {
      const until = Date.now() + 12_000;
      while (Date.now() < until && audits < 40) {
        const r = spawnSync(main, ["audit", "--ndjson"], { encoding: "utf8", timeout: 30_000, maxBuffer: 256 << 20 });
        assert.ok(r.status === 0 || r.status === 1, r.stderr);
        audits++;
        for (const line of r.stdout.split("\n")) {
          if (!line.includes('"unowned-listener"')) continue;
          const s = JSON.parse(line) as { inode?: number; local: { port: number }; reasons: { rule: string }[] };
          if (s.reasons.some((x) => x.rule === "unowned-listener")) hits.push(`${s.inode} ${s.local.port}`);
        }
        await new Promise((done) => setTimeout(done, 10));
      }
    } finally {
      if (planter.pid !== undefined && planter.exitCode === null) try { process.kill(-planter.pid, "SIGKILL"); } catch { /* it ended */ }
    }
    const mine = new Set(existsSync(planted) ? readFileSync(planted, "utf8").split("\n").filter(Boolean) : []);
    assert.ok(mine.size > 100, `the planter made only ${mine.size} listeners`);
    const wrong = hits.filter((h) => mine.has(h));
    assert.deepEqual(wrong, [], `${wrong.length} of ${mine.size} planted listeners got the rootkit hint in ${audits} audits`);
  });
});
