import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectLinux } from "../../src/collect/linux.js";
import { createProvenanceSession, readProvenance, type ProvenanceSession } from "../../src/collect/provenance.js";
import { enrich } from "../../src/evaluate/enrich.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { createServiceRegistry } from "../../src/knowledge/service-registry.js";
import { placeOf } from "../../src/model/places.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";

// Live tests on this Debian host: real programs holding loopback listeners, judged with their provenance.
// Everything planted lives in folders made here and removed after; only our own pids are stopped, and
// only what was planted is asserted on. System files are never changed: the "modified" binary is a copy,
// found through a test dpkg database whose lists name the copy.

const PYTHON = "/usr/bin/python3.11"; // Debian 12's python3.11-minimal
const asRoot = process.getuid?.() === 0;
const haveGcc = spawnSync("gcc", ["--version"]).status === 0;
const skip = !asRoot ? "needs root (reads other processes' maps and environ)" : !existsSync(PYTHON) || !existsSync("/var/lib/dpkg/info/python3.11-minimal.list")
  ? "needs Debian's python3.11-minimal" : !haveGcc ? "needs gcc (builds the planted library)" : false;
const repo = fileURLToPath(new URL("../..", import.meta.url));
const knowledge = createKnowledge();
const registry = createServiceRegistry();

// A server that optionally loads a library with ctypes (after start: a "mapped" library, not a preload),
// listens on 127.0.0.1, says its pid and port, and holds them until stdin closes (at most 60 s).
const SERVER = [
  "import ctypes, json, os, select, socket, sys",
  "if len(sys.argv) > 1: ctypes.CDLL(sys.argv[1])",
  "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()",
  "print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)",
  "select.select([sys.stdin], [], [], 60)",
].join("\n");

interface Planted { child: ChildProcess; pid: number; port: number }
const children: ChildProcess[] = [];
let work = ""; // libraries and copies (/tmp)
let code = ""; // the server's script (/opt: a script in /tmp is a dropped program, writable-dir-exe)
let shm = ""; // a library in /dev/shm
let hidden = ""; // a hidden folder under /var/tmp
let sharedDigests = new Map<string, string>(); // checksums carried between this file's sessions (each binary hashed once)

function plant(exe: string, args: string[] = [], env: Record<string, string> = {}): Promise<Planted> {
  const child = spawn(exe, [join(code, "server.py"), ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.push(child);
  return new Promise((ok, fail) => {
    let out = "", err = "";
    const timer = setTimeout(() => fail(new Error(`planted ${exe} did not start in 10 s: ${err}`)), 10_000);
    child.stdout?.on("data", (d: Buffer) => { out += d; if (out.includes("\n")) { clearTimeout(timer); ok({ child, ...JSON.parse(out) as { pid: number; port: number } }); } });
    child.stderr?.on("data", (d: Buffer) => { err += d; });
    child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`planted ${exe} exited (${code}): ${err}`)); });
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(children.splice(0).map((c) => new Promise<void>((ok) => {
    if (c.exitCode !== null || c.signalCode !== null) { ok(); return; }
    c.once("exit", () => ok());
    setTimeout(ok, 5000).unref();
    c.stdin?.end();
    if (c.pid !== undefined) { try { process.kill(c.pid, "SIGKILL"); } catch { /* gone */ } }
  })));
}

/** Builds a shared library with a constructor that does nothing. */
function buildLibrary(path: string): void {
  const src = join(work, "pw.c");
  writeFileSync(src, "__attribute__((constructor)) static void pw_init(void) {}\n");
  const r = spawnSync("gcc", ["-shared", "-fPIC", "-o", path, src], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `gcc failed: ${r.stderr}`);
}

/** Collects this host with a provenance session, judges it, and gives the sockets and warnings. */
async function judgeLive(session: ProvenanceSession): Promise<{ sockets: Socket[]; warnings: string[] }> {
  session.digests = sharedDigests;
  const c = await collectLinux({ provenance: session });
  enrich(c.sockets, registry);
  evaluate(c.sockets, { knowledge, mode: "live-root", origin: "live" });
  return { sockets: c.sockets, warnings: c.warnings };
}

const listenerOf = (sockets: Socket[], p: Planted): Socket => {
  const s = sockets.find((x) => x.process?.pid === p.pid && x.local.port === p.port && x.direction === "listening");
  assert.ok(s, `the listener of pid ${p.pid} on ${p.port} was not found`);
  return s;
};
const rulesOf = (s: Socket) => s.reasons.map((r) => r.rule);

describe("provenance of real processes (live, loopback only)", { skip, timeout: 180_000 }, () => {
  before(() => {
    work = mkdtempSync(join(tmpdir(), "pw-prov-"));
    code = mkdtempSync("/opt/pw-prov-");
    chmodSync(code, 0o755);
    writeFileSync(join(code, "server.py"), SERVER);
    shm = mkdtempSync("/dev/shm/pw-prov-");
    hidden = mkdtempSync("/var/tmp/.pw-prov-");
    buildLibrary(join(shm, "libpwtest.so"));
    buildLibrary(join(hidden, "libpwhidden.so"));
  });
  after(async () => {
    await stopAll();
    for (const dir of [work, code, shm, hidden]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("readProvenance shows Debian's python3.11 verified against python3.11-minimal, and an LD_PRELOAD from /dev/shm or a library loaded from a hidden folder under /var/tmp makes the listener suspicious (injected-library); without them it is not", async () => {
    const plain = await plant(PYTHON);
    const preloaded = await plant(PYTHON, [], { LD_PRELOAD: join(shm, "libpwtest.so") });
    const loaded = await plant(PYTHON, [join(hidden, "libpwhidden.so")]);
    try {
      const { sockets } = await judgeLive(createProvenanceSession());
      const status = readFileSync("/var/lib/dpkg/status", "utf8");
      const version = /\nPackage: python3\.11-minimal\n(?:[^\n]+\n)*?Version: ([^\n]+)/.exec(`\n${status}`)?.[1] ?? null;
      // The benign nearest: the packaged program, unmodified, nothing loaded from odd places.
      const benign = listenerOf(sockets, plain);
      assert.deepEqual(benign.process?.package, { name: "python3.11-minimal", version, verified: true });
      assert.deepEqual(benign.process?.provenance?.foreign, []);
      assert.equal(benign.process?.provenance?.database, "dpkg");
      assert.ok(!rulesOf(benign).includes("injected-library") && !rulesOf(benign).includes("modified-binary"), rulesOf(benign).join(", "));
      assert.notEqual(benign.verdict, "suspicious");
      // LD_PRELOAD of a library in /dev/shm.
      const pre = listenerOf(sockets, preloaded);
      assert.deepEqual(pre.process?.provenance?.foreign, [{ path: join(shm, "libpwtest.so"), place: "world-writable", deleted: false, via: "LD_PRELOAD" }]);
      assert.equal(pre.process?.package?.verified, true, "the program itself is still the packaged one");
      assert.equal(pre.verdict, "suspicious");
      assert.match(pre.reasons.find((r) => r.rule === "injected-library")?.message ?? "", new RegExp(`${join(shm, "libpwtest.so").replace(/\./g, "\\.")}, preloaded by LD_PRELOAD from a folder anyone can write to`));
      // A library mapped later (ctypes) from a hidden folder under /var/tmp.
      const lib = listenerOf(sockets, loaded);
      assert.deepEqual(lib.process?.provenance?.foreign, [{ path: join(hidden, "libpwhidden.so"), place: "world-writable", deleted: false, via: "mapped" }]);
      assert.equal(lib.verdict, "suspicious");
      assert.ok(rulesOf(lib).includes("injected-library"));
    } finally {
      await stopAll();
    }
  });

  it("readProvenance names code an interpreter's environment loads from /dev/shm (PYTHONPATH): suspicious (injected-library); a PYTHONPATH of packaged folders is nothing", async () => {
    const dropped = await plant(PYTHON, [], { PYTHONPATH: shm });
    const packaged = await plant(PYTHON, [], { PYTHONPATH: "/usr/lib/python3/dist-packages" });
    try {
      const { sockets } = await judgeLive(createProvenanceSession());
      const s = listenerOf(sockets, dropped);
      assert.deepEqual(s.process?.provenance?.foreign, [{ path: shm, place: "world-writable", deleted: false, via: "environment" }]);
      assert.equal(s.verdict, "suspicious");
      assert.match(s.reasons.find((r) => r.rule === "injected-library")?.message ?? "", /named by the environment it started with .*, from a folder anyone can write to/);
      const t = listenerOf(sockets, packaged);
      assert.deepEqual(t.process?.provenance?.foreign, []);
      assert.notEqual(t.verdict, "suspicious", rulesOf(t).join(", "));
    } finally {
      await stopAll();
    }
  });

  it("readProvenance finds a changed copy of python3.11 through a test dpkg database: \"modified\" and suspicious (modified-binary); the unchanged copy is verified", async () => {
    // Beside the repository, unless it lives where no package installs (a clone in /tmp): then in /opt.
    const base = placeOf(join(repo, "build")) === null ? join(repo, "build") : "/opt";
    mkdirSync(base, { recursive: true });
    const dir = mkdtempSync(join(base, "pw-prov-"));
    try {
      const same = join(dir, "usr/bin/python3.11");
      const changed = join(dir, "usr/bin/python3.11-changed");
      mkdirSync(dirname(same), { recursive: true });
      copyFileSync(PYTHON, same);
      copyFileSync(PYTHON, changed);
      appendFileSync(changed, Buffer.from([0])); // one byte more: still runs, no longer the package's bytes
      // A dpkg database that says python3.11-minimal installed the two copies, with the real recorded checksum.
      const md5 = /^([0-9a-f]{32}) {2}usr\/bin\/python3\.11$/m.exec(readFileSync("/var/lib/dpkg/info/python3.11-minimal.md5sums", "utf8"))?.[1];
      assert.ok(md5, "python3.11-minimal.md5sums records usr/bin/python3.11");
      const dpkg = join(dir, "dpkg");
      mkdirSync(join(dpkg, "info"), { recursive: true });
      copyFileSync("/var/lib/dpkg/status", join(dpkg, "status"));
      writeFileSync(join(dpkg, "info/python3.11-minimal.list"), `/.\n${dirname(same)}\n${same}\n${changed}\n`);
      writeFileSync(join(dpkg, "info/python3.11-minimal.md5sums"), `${md5}  ${same.slice(1)}\n${md5}  ${changed.slice(1)}\n`);
      const good = await plant(same);
      const bad = await plant(changed);
      const { sockets } = await judgeLive(createProvenanceSession({ dpkgRoot: dpkg }));
      const ok = listenerOf(sockets, good);
      assert.equal(ok.process?.package?.name, "python3.11-minimal");
      assert.equal(ok.process?.package?.verified, true);
      assert.ok(!rulesOf(ok).includes("modified-binary"));
      const mod = listenerOf(sockets, bad);
      assert.deepEqual({ name: mod.process?.package?.name, verified: mod.process?.package?.verified }, { name: "python3.11-minimal", verified: false });
      assert.equal(mod.verdict, "suspicious");
      assert.equal(mod.reasons.find((r) => r.rule === "modified-binary")?.message,
        `Its program ${changed} does not match the python3.11-minimal package's checksum: a trojaned binary, or a file changed by hand (check with "dpkg --verify python3.11-minimal")`);
    } finally {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("readProvenance names a library /etc/ld.so.preload lists (a test root's) in the processes that map it, and warns once naming the file", async () => {
    const root = mkdtempSync(join(tmpdir(), "pw-prov-root-"));
    try {
      const listed = join(shm, "libpwtest.so");
      mkdirSync(join(root, "etc"));
      writeFileSync(join(root, "etc/ld.so.preload"), `# planted by portwatch's test\n${listed}\n`);
      // The dynamic linker reads the real /etc/ld.so.preload only; LD_PRELOAD loads the listed library the same way.
      const victim = await plant(PYTHON, [], { LD_PRELOAD: listed });
      const bystander = await plant(PYTHON);
      const { sockets, warnings } = await judgeLive(createProvenanceSession({ root, dpkgRoot: "/var/lib/dpkg" }));
      const hit = listenerOf(sockets, victim);
      assert.deepEqual(hit.process?.provenance?.foreign, [{ path: listed, place: "world-writable", deleted: false, via: "ld.so.preload" }]);
      assert.equal(hit.verdict, "suspicious");
      assert.match(hit.reasons.find((r) => r.rule === "injected-library")?.message ?? "", /forced into every program by \/etc\/ld\.so\.preload/);
      assert.deepEqual(listenerOf(sockets, bystander).process?.provenance?.foreign, []);
      const said = warnings.filter((w) => w.startsWith(`${root}/etc/ld.so.preload lists ${listed}:`));
      assert.equal(said.length, 1, warnings.join("\n"));
    } finally {
      await stopAll();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("readProvenance keeps package answers and checksums in its cache file: a second session reads the same verdict without hashing, and a broken file is ignored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-prov-cache-"));
    const plain = await plant(PYTHON);
    try {
      const info = (): ProcessInfo => ({ pid: plain.pid, name: "python3.11", exe: readlinkSync(`/proc/${plain.pid}/exe`), exeDeleted: false, cmdline: [PYTHON], uid: 0, user: "root", containerId: null, netns: null });
      const cacheFile = join(dir, "cache/provenance.json");
      const first = createProvenanceSession({ cacheFile });
      const a = info();
      readProvenance(first, [a], "/proc", []);
      assert.equal(a.package?.verified, true);
      const saved = JSON.parse(readFileSync(cacheFile, "utf8")) as { v: number; dpkg: { owners: Record<string, unknown> }; digests: Record<string, string> };
      assert.equal(saved.v, 1);
      assert.equal((saved.dpkg.owners[PYTHON] as { stem: string }).stem, "python3.11-minimal");
      const st = statSync(PYTHON);
      assert.ok(Object.keys(saved.digests).some((k) => k.startsWith(`${st.dev}:${st.ino}:${st.size}:`)), "the checksum is kept by file identity");
      const second = createProvenanceSession({ cacheFile });
      const b = info();
      readProvenance(second, [b], "/proc", []);
      assert.deepEqual(b.package, a.package);
      assert.equal(second.dirty, false, "nothing new was learnt: nothing hashed, nothing looked up, nothing written");
      writeFileSync(cacheFile, "{ not json");
      const third = createProvenanceSession({ cacheFile });
      const c = info();
      const warnings: string[] = [];
      readProvenance(third, [c], "/proc", warnings);
      assert.deepEqual(c.package, a.package);
      assert.deepEqual(warnings, []);
    } finally {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("readProvenance writes its cache file under a random temporary name with mode 0600 (a link planted at the old pid-named temporary file is not followed), and refuses a folder others can write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-prov-safe-"));
    const plain = await plant(PYTHON);
    try {
      const info = (): ProcessInfo => ({ pid: plain.pid, name: "python3.11", exe: readlinkSync(`/proc/${plain.pid}/exe`), exeDeleted: false, cmdline: [PYTHON], uid: 0, user: "root", containerId: null, netns: null });
      mkdirSync(join(dir, "cache"), { mode: 0o700 });
      const cacheFile = join(dir, "cache/provenance.json");
      const victim = join(dir, "victim");
      writeFileSync(victim, "root only\n", { mode: 0o600 });
      symlinkSync(victim, `${cacheFile}.${process.pid}.tmp`);
      const warnings: string[] = [];
      readProvenance(createProvenanceSession({ cacheFile }), [info()], "/proc", warnings);
      assert.equal(readFileSync(victim, "utf8"), "root only\n", "the planted link was followed");
      assert.deepEqual(warnings, []);
      assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
      assert.equal((JSON.parse(readFileSync(cacheFile, "utf8")) as { v: number }).v, 1);
      const open = join(dir, "open");
      mkdirSync(open);
      chmodSync(open, 0o777);
      const refused: string[] = [];
      readProvenance(createProvenanceSession({ cacheFile: join(open, "provenance.json") }), [info()], "/proc", refused);
      assert.equal(existsSync(join(open, "provenance.json")), false);
      assert.match(refused.join("\n"), /Cannot save the provenance cache .*can be written by every user/);
    } finally {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("readProvenance without a package database says so once and judges without it; a process already read is not read again", async () => {
    const empty = mkdtempSync(join(tmpdir(), "pw-prov-nodb-"));
    const plain = await plant(PYTHON);
    try {
      const p: ProcessInfo = { pid: plain.pid, name: "python3.11", exe: PYTHON, exeDeleted: false, cmdline: [PYTHON], uid: 0, user: "root", containerId: null, netns: null };
      const session = createProvenanceSession({ root: empty });
      const warnings: string[] = [];
      readProvenance(session, [p, p], "/proc", warnings);
      assert.equal(p.package, null);
      assert.deepEqual(p.provenance, { database: null, writable: null, foreign: [] });
      assert.deepEqual(warnings, [`No package database (${empty}/var/lib/dpkg/status; Alpine or a container image?): programs are judged without package checks`]);
      const before = p.provenance;
      readProvenance(session, [p], "/proc", []);
      assert.equal(p.provenance, before, "kept, not read again");
    } finally {
      await stopAll();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
