import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProcessDetails, type KnownRef } from "../../src/collect/process-details.js";
import type { ProcessInfo } from "../../src/model/process.js";

// A small proc tree written by the test: systemd (1) → sshd (800) → sshd (900) → bash (901, pts/0), and
// systemd → app (1000, holds a socket) → python3 (1001) → bash (1002, pts/3, a pty python3 made).
const root = mkdtempSync(join(tmpdir(), "pw-details-"));
after(() => rmSync(root, { recursive: true, force: true }));

const PTS = (n: number) => 34816 + n;
function proc(pid: number, ppid: number, name: string, exe: string, cmdline: string[], tty = 0, cgroup = "0::/\n"): void {
  const dir = join(root, String(pid));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "stat"), `${pid} (${name}) S ${ppid} ${pid} ${pid} ${tty} -1 4194304 ${"0 ".repeat(12)}${1000 + pid} 0 0 0\n`);
  writeFileSync(join(dir, "status"), `Name:\t${name}\nPPid:\t${ppid}\nUid:\t${pid === 1000 ? 1000 : 0}\t0\t0\t0\n`);
  writeFileSync(join(dir, "comm"), `${name}\n`);
  writeFileSync(join(dir, "cmdline"), `${cmdline.join("\0")}\0`);
  writeFileSync(join(dir, "cgroup"), cgroup);
  symlinkSync(exe, join(dir, "exe"));
}
proc(1, 0, "systemd", "/usr/lib/systemd/systemd", ["/sbin/init"], 0, "0::/init.scope\n");
proc(800, 1, "sshd", "/usr/sbin/sshd", ["sshd: /usr/sbin/sshd -D"], 0, "0::/system.slice/ssh.service\n");
proc(900, 800, "sshd", "/usr/sbin/sshd", ["sshd: app@pts/0"], 0, "0::/user.slice/user-1000.slice/session-3.scope\n");
proc(901, 900, "bash", "/usr/bin/bash", ["-bash"], PTS(0), "0::/user.slice/user-1000.slice/session-3.scope\n");
proc(1000, 1, "app", "/opt/app/bin/app", ["/opt/app/bin/app"], 0, "0::/system.slice/app.service\n");
proc(1001, 1000, "python3", "/usr/bin/python3.11", ["python3", "/opt/app/hook.py"], 0, "0::/system.slice/app.service\n");
proc(1002, 1001, "bash", "/usr/bin/bash", ["bash"], PTS(3), "0::/system.slice/app.service\n");
const pids = [1, 800, 900, 901, 1000, 1001, 1002];
const ptyCount = (n: number) => { mkdirSync(join(root, "sys/kernel/pty"), { recursive: true }); writeFileSync(join(root, "sys/kernel/pty/nr"), `${n}\n`); };

const read = (known?: Map<number, ProcessInfo>, refs?: Map<number, KnownRef>) =>
  readProcessDetails(new Map([[5, 800], [6, 1000]]), { procRoot: root, passwdFile: "/nonexistent", netnsOf: new Map(), pids, known, refs });

describe("readProcessDetails", () => {
  it("readProcessDetails gives each holder its ancestry, terminal, unit and the terminals below it", () => {
    ptyCount(2);
    const app = read().get(1000)!;
    assert.deepEqual(app.ancestry, [{ pid: 1, name: "systemd", exe: "/usr/lib/systemd/systemd", uid: 0 }]);
    assert.equal(app.unit, "app.service");
    assert.equal(app.tty, null);
    assert.deepEqual(app.terminalsBelow, [{
      tty: "pts/3", between: [{ pid: 1001, name: "python3", exe: "/usr/bin/python3.11", uid: 0 }],
      on: [{ pid: 1002, name: "bash", exe: "/usr/bin/bash", uid: 0, cmdline: ["bash"] }],
    }]);
    const sshd = read().get(800)!;
    assert.equal(sshd.unit, "ssh.service");
    assert.deepEqual(sshd.terminalsBelow?.map((t) => [t.tty, t.between.map((b) => b.pid), t.on.map((o) => o.cmdline)]), [["pts/0", [900], [["-bash"]]]]);
  });

  it("readProcessDetails reads only the holders' chains when no pseudo-terminal is in use (pty/nr 0)", () => {
    ptyCount(0);
    const app = read().get(1000)!;
    assert.deepEqual(app.ancestry?.map((a) => a.pid), [1]);
    assert.deepEqual(app.terminalsBelow, []);
  });

  it("readProcessDetails keeps a holder's object while its context stays, and makes a new one when it changes", () => {
    ptyCount(2);
    const known = new Map<number, ProcessInfo>();
    const refs = new Map<number, KnownRef>();
    const first = read(known, refs).get(1000)!;
    assert.equal(read(known, refs).get(1000), first, "nothing changed: the same object (the judgement's memo keys by it)");
    ptyCount(0); // the shell below has gone
    const second = read(known, refs).get(1000)!;
    assert.notEqual(second, first);
    assert.deepEqual(second.terminalsBelow, []);
    assert.ok(refs.has(1) && refs.has(1001), "ancestors and processes near terminals are kept for the next look");
  });
});
