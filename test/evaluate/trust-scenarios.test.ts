import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAuditor } from "../../src/audit/auditor.js";
import type { Socket } from "../../src/model/socket.js";
import { plant, PLANT_MARK, type Planted } from "../helpers/plant.js";
import { createRemotePeer, type RemotePeer } from "../helpers/remote-peer.js";

// "Expected needs a reason, not a port or a name" (issue 12): real programs, run from the places
// attackers use (a home directory's .cache, /opt, /var/tmp), talk to a remote end at a public-looking
// address in a network namespace this test makes; nothing here is loopback. Each attack is paired with
// the nearest benign use. Only planted sockets are asserted about.

const PY = realpathSync("/usr/bin/python3"); // Debian's packaged interpreter (/usr/bin/python3.11)
const auditor = createAuditor();
let peer: RemotePeer;
let home: string;
const planted: Planted[] = [];
const dirs: string[] = [];

/** A copy of python3 named `name` in `dir`, running `code` (a script file beside it), as `uid` (default root). */
async function run(dir: string, name: string, code: string[], options: { uid?: number; args?: string[] } = {}): Promise<Planted> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  dirs.push(dir); // removed after the tests (the /opt and /var/tmp ones were left behind)
  const exe = join(dir, name);
  copyFileSync(PY, exe);
  chmodSync(exe, 0o755);
  const script = join(dir, `${name}-main.py`);
  writeFileSync(script, ["import socket, sys, json, time", ...code, "time.sleep(20)"].join("\n"));
  chmodSync(script, 0o644);
  const prefix = options.uid === undefined ? [] : ["setpriv", `--reuid=${options.uid}`, `--regid=${options.uid}`, "--clear-groups", "--"];
  const p = await plant([...prefix, exe, script, ...(options.args ?? []), PLANT_MARK]);
  planted.push(p);
  return p;
}

async function socketsOf(pid: number): Promise<Socket[]> {
  const look = await auditor.lookAtHost({});
  return look.sockets.filter((s) => s.process?.pid === pid || s.sharedWith.some((h) => h.pid === pid));
}

/** Waits (at most 5 s) until `pid` holds an established TCP connection to the peer (ss, iproute2). */
async function established(pid: number): Promise<void> {
  const end = Date.now() + 5000;
  while (!(spawnSync("ss", ["-Htnp", "state", "established", "dst", peer.address4], { encoding: "utf8", timeout: 5000 }).stdout ?? "").includes(`pid=${pid},`)) {
    if (Date.now() > end) throw new Error(`pid ${pid} did not connect to the peer in 5 s`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const rules = (s: Socket) => s.reasons.map((r) => `${r.rule}:${r.verdict}`).join(", ");

describe("judgement needs a reason, not a port or a name (live, remote end in a network namespace)", () => {
  before(async () => {
    peer = await createRemotePeer({ tcp: [443, 3333], udp: [53], ttlSeconds: 90 });
    home = mkdtempSync("/home/pwtest-");
    chmodSync(home, 0o755);
  });
  after(async () => {
    for (const p of planted) await p.stop();
    peer?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("usual-outbound: an unpackaged program in ~/.cache talking to a public address on 443 is not expected; the packaged python3 is", async () => {
    const connect = [`c = socket.create_connection((${JSON.stringify(peer.address4)}, 443), timeout=5)`, "print(json.dumps({'port': c.getsockname()[1]}), flush=True)"];
    const dropped = await run(join(home, ".cache", "updater"), "updater", connect, { uid: 65534 });
    const [s] = (await socketsOf(dropped.pid)).filter((x) => x.remote?.address === peer.address4);
    assert.ok(s, "the dropped program's connection was not found");
    assert.notEqual(s.verdict, "expected", rules(s));
    assert.match(s.reasons.map((r) => r.message).join(" "), /home directory|\.cache/);

    // The benign nearest: the packaged python3 running a packaged script (the standard library's telnetlib,
    // whose test client connects to HOST PORT and relays stdin), not a script of its own anywhere.
    const telnetlib = `/usr/lib/${PY.slice(PY.lastIndexOf("/") + 1)}/telnetlib.py`;
    if (!existsSync(telnetlib)) return; // Python 3.13 removed telnetlib
    const packaged = await plant(["/bin/bash", "-c", `"$0" "$1" "$2" 443 <&0 & echo "{\\"pid\\": $!}"; wait`, PY, telnetlib, peer.address4, PLANT_MARK]);
    planted.push(packaged);
    const pid = packaged.ready["pid"] as number;
    await established(pid);
    const [t] = (await socketsOf(pid)).filter((x) => x.remote?.address === peer.address4);
    assert.ok(t, "the packaged program's connection was not found");
    assert.equal(t.verdict, "expected", rules(t));
    assert.ok(t.reasons.some((r) => r.rule === "usual-outbound" && r.verdict === "expected"), `the packaged python3 with a packaged script on 443 should be usual: ${rules(t)}`);

    // the packaged python3 running an administrator's script from /opt: its executable comes from an installed package
    const dir = mkdtempSync("/opt/pwtest-");
    dirs.push(dir);
    writeFileSync(join(dir, "fetch.py"), ["import socket, json, time", ...connect, "time.sleep(20)"].join("\n"));
    const loose = await plant([PY, "-u", join(dir, "fetch.py"), PLANT_MARK]);
    planted.push(loose);
    const [u] = (await socketsOf(loose.pid)).filter((x) => x.remote?.address === peer.address4);
    assert.ok(u, "the /opt script's connection was not found");
    assert.equal(u.verdict, "expected", rules(u));
    assert.ok(u.reasons.some((r) => r.rule === "usual-outbound" && r.verdict === "expected"), `the packaged python3 with a script from /opt on 443 should be usual: ${rules(u)}`);
  });

  it("mining: a miner's arguments make a connection to 443 suspicious, whatever the program is called", async () => {
    const connect = [`c = socket.create_connection((${JSON.stringify(peer.address4)}, 443), timeout=5)`, "print(json.dumps({'port': c.getsockname()[1]}), flush=True)"];
    const miner = await run(mkdtempSync("/opt/pwtest-"), "systemd-helper", connect, { args: ["-o", `stratum+tcp://${peer.address4}:443`, "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", "--donate-level", "1"] });
    const [s] = (await socketsOf(miner.pid)).filter((x) => x.remote?.address === peer.address4);
    assert.ok(s, "the miner's connection was not found");
    assert.equal(s.verdict, "suspicious", `${rules(s)}; holder as read: ${JSON.stringify(s.process)}`);
    assert.ok(s.reasons.some((r) => r.rule === "miner" && /stratum\+tcp/.test(r.message)), rules(s));
    assert.ok(!s.reasons.some((r) => r.verdict === "expected"), `no reason for "expected" beside a suspicious one: ${rules(s)}`);
  });

  it("direct DNS: a program that is not a resolver sending DNS-shaped packets straight to a public address is not expected", async () => {
    const beacon = [
      "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
      `u.connect((${JSON.stringify(peer.address4)}, 53)); u.send(b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x03abc\\x07example\\x03com\\x00\\x00\\x10\\x00\\x01')`,
      "print(json.dumps({'port': u.getsockname()[1]}), flush=True)",
    ];
    const p = await run(mkdtempSync("/var/tmp/pwtest-"), "dbus-launch", beacon, { uid: 65534 });
    const [s] = (await socketsOf(p.pid)).filter((x) => x.proto === "udp" && x.remote?.port === 53);
    assert.ok(s, "the beacon's socket was not found");
    assert.notEqual(s.verdict, "expected", rules(s));
  });

  it("names: an unprivileged program in ~/.cache named avahi-daemon gets no daemon's trust for its UDP port; root's sshd from a home directory none on port 22", async () => {
    const udp = ["u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', 0))", "print(json.dumps({'port': u.getsockname()[1]}), flush=True)"];
    const fake = await run(join(home, ".cache", "avahi"), "avahi-daemon", udp, { uid: 65534 });
    const [s] = (await socketsOf(fake.pid)).filter((x) => x.proto === "udp" && x.local.port === fake.ready["port"]);
    assert.ok(s, "the fake avahi-daemon's UDP socket was not found");
    assert.notEqual(s.verdict, "expected", rules(s));
    assert.ok(!s.reasons.some((r) => r.rule === "random-udp"), rules(s));

    const tcp = ["s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 22)); s.listen()", "print(json.dumps({'port': 22}), flush=True)"];
    const sshd = await run(join(home, "bin"), "sshd", tcp);
    const [l] = (await socketsOf(sshd.pid)).filter((x) => x.direction === "listening" && x.local.port === 22);
    assert.ok(l, "the home sshd's listener was not found");
    assert.notEqual(l.verdict, "expected", rules(l));
    assert.ok(!l.reasons.some((r) => r.rule === "known-service"), rules(l));
  });
});
