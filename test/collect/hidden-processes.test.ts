import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hiddenProcessWarning } from "../../src/collect/hidden-processes.js";
import type { Socket } from "../../src/model/socket.js";
import { plant, python } from "../helpers/plant.js";
import { buildRootkitShim } from "../helpers/rootkit-shim.js";

// Processes that hide (collect/hidden-processes.ts), planted for real: one behind a bind mount over its
// /proc/<pid>, made in portwatch's own mount namespace (a private one, so that other test files running
// meanwhile do not see it), and one the /proc listing leaves out (a user-space rootkit loaded into portwatch,
// test/helpers/rootkit-shim.c), which only `--deep` finds.

const root = process.getuid?.() === 0;
const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const LISTENER = ["s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()", "print(json.dumps({'tcp': s.getsockname()[1]}), flush=True)"];

let tmp = "";
let shim = "";
before(() => {
  tmp = mkdtempSync(join(tmpdir(), "pw-hidden-processes-"));
  if (root) shim = buildRootkitShim(tmp);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

type Audit = { sockets: Socket[]; warnings: string[] };
function run(argv: string[], env: Record<string, string> = {}): Promise<Audit> {
  return new Promise((ok, fail) => {
    execFile(argv[0] as string, argv.slice(1), { env: { ...process.env, ...env, PORTWATCH_STATE_DIR: tmp }, timeout: 120_000, maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err && !stdout) { fail(new Error(`${err.message}: ${stderr}`)); return; }
      ok(JSON.parse(stdout) as Audit);
    });
  });
}
/**
 * `portwatch audit --json` in a new private mount namespace where `empty` is bind-mounted over /proc/<pid>
 * first: the mount is portwatch's own view and goes away with the namespace. The shell script is constant;
 * the folder, pid and programs are its arguments.
 */
const auditBehindMount = (empty: string, pid: number) =>
  run(["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", 'mount --bind "$1" "/proc/$2" && exec "$3" "$4" audit --json', "sh", empty, String(pid), process.execPath, CLI]);
const ours = (a: Audit, port: number) => a.sockets.find((s) => s.proto === "tcp" && s.local.port === port && s.local.address === "127.0.0.1");

describe("hiddenProcessWarning", () => {
  it("hiddenProcessWarning says how each hidden process was seen and what to do next", () => {
    assert.equal(hiddenProcessWarning({ pid: 6510, how: "mount", mount: { mountPoint: "/proc/6510", fstype: "ext4", source: "/dev/vda", root: "/tmp/empty" } }),
      'Process 6510 is hidden: folder /tmp/empty of ext4 /dev/vda is mounted over /proc/6510, so ps, lsof, ss -p and portwatch see that folder instead of its files and sockets; see the mount with "grep /proc/6510 /proc/self/mountinfo", undo it with "umount /proc/6510", then run portwatch again');
    assert.match(hiddenProcessWarning({ pid: 812, how: "kill" }), /^Process 812 is hidden: it answers kill\(812, 0\), but the \/proc listing leaves it out .*"cat \/proc\/812\/status"/);
    assert.match(hiddenProcessWarning({ pid: 813, how: "children", parent: 1 }), /^Process 813 is hidden: process 1 names it as its child \(\/proc\/1\/task\/\*\/children\)/);
  });
});

describe("processes that hide, on this live host", { skip: root ? false : "needs root (mount, unshare)" }, () => {
  it("portwatch audit warns of a process behind a mount over its /proc/<pid> and calls its listener suspicious, with advice naming the mount; without the mount the listener has its owner", async () => {
    const p = await plant(python(LISTENER));
    const empty = join(tmp, "empty");
    mkdirSync(empty, { recursive: true });
    try {
      const port = p.ready["tcp"] as number;
      const hidden = await auditBehindMount(empty, p.pid);
      const s = ours(hidden, port);
      assert.ok(s, "the listener is listed");
      assert.equal(s.process, null);
      assert.equal(s.verdict, "suspicious");
      const reason = s.reasons.find((r) => r.rule === "unowned-listener");
      assert.ok(reason, JSON.stringify(s.reasons));
      assert.equal(reason.verdict, "suspicious");
      assert.ok(reason.message.includes(`process ${p.pid}, behind a mount over /proc/${p.pid} (see it with "grep /proc/${p.pid} /proc/self/mountinfo", undo it with "umount /proc/${p.pid}")`), reason.message);
      assert.match(s.explanation ?? "", new RegExp(`umount /proc/${p.pid}`));
      assert.ok(hidden.warnings.includes(`Process ${p.pid} is hidden: folder ${empty} of ${hidden.warnings.join("").match(/of (\S+ \S+) is mounted over/)?.[1]} is mounted over /proc/${p.pid}, so ps, lsof, ss -p and portwatch see that folder instead of its files and sockets; see the mount with "grep /proc/${p.pid} /proc/self/mountinfo", undo it with "umount /proc/${p.pid}", then run portwatch again`), hidden.warnings.join("\n"));

      const plain = await run([process.execPath, CLI, "audit", "--json"]);
      assert.equal(ours(plain, port)?.process?.pid, p.pid);
      assert.ok(!plain.warnings.some((w) => w.startsWith(`Process ${p.pid} is hidden`)));
    } finally {
      await p.stop();
    }
  });

  it("portwatch audit --deep finds a process the /proc listing leaves out (it answers kill(pid, 0)) and calls its listener suspicious; without --deep, or without the rootkit, it says nothing of it", async () => {
    const p = await plant(python(LISTENER));
    try {
      const port = p.ready["tcp"] as number;
      const env = { LD_PRELOAD: shim, PW_SHIM_HIDE_PID: String(p.pid) };
      const deep = await run([process.execPath, CLI, "audit", "--json", "--deep"], env);
      assert.ok(deep.warnings.some((w) => w.startsWith(`Process ${p.pid} is hidden: `) && w.includes("but the /proc listing leaves it out")), deep.warnings.join("\n"));
      const s = ours(deep, port);
      assert.equal(s?.process, null);
      assert.equal(s?.verdict, "suspicious");
      assert.ok(s?.reasons.some((r) => r.rule === "unowned-listener" && r.message.includes(`process ${p.pid}, which the /proc listing leaves out`)), JSON.stringify(s?.reasons));

      const shallow = await run([process.execPath, CLI, "audit", "--json"], env);
      assert.ok(!shallow.warnings.some((w) => w.startsWith(`Process ${p.pid} is hidden`)));
      assert.notEqual(ours(shallow, port)?.reasons.find((r) => r.rule === "unowned-listener")?.verdict, "suspicious");

      const clean = await run([process.execPath, CLI, "audit", "--json", "--deep"]);
      assert.ok(!clean.warnings.some((w) => w.startsWith(`Process ${p.pid} is hidden`)));
      assert.equal(ours(clean, port)?.process?.pid, p.pid);
    } finally {
      await p.stop();
    }
  });
});
