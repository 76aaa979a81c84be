import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectLinux } from "../../src/collect/linux.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { enrich } from "../../src/evaluate/enrich.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import { createServiceRegistry } from "../../src/knowledge/service-registry.js";
import type { Socket } from "../../src/model/socket.js";

// Planted processes carry this word in their arguments, so the "nothing suspicious here" check can
// tell them from the rest of the machine even when test files run side by side.
export const PLANT_MARK = "portwatch-test-plant";
const asRoot = process.getuid?.() === 0;

async function judgeLive(): Promise<Socket[]> {
  const c = await collectLinux();
  enrich(c.sockets, createServiceRegistry());
  evaluate(c.sockets, { knowledge: createKnowledge(), mode: asRoot ? "live-root" : "live", origin: "live" });
  return c.sockets;
}

/** A stand-in server on 127.0.0.1:port in a marked child process (so it is planted too); resolves once it listens. */
function standIn(port: number): Promise<ChildProcess> {
  const code = `const s=require("net").createServer(c=>c.on("error",()=>{}));s.on("error",e=>{console.error(e.message);process.exit(1)});` +
    `s.listen(${port},"127.0.0.1",()=>console.log("ready"));process.stdin.on("end",()=>process.exit(0));process.stdin.resume();setTimeout(()=>process.exit(0),60000)`;
  const child = spawn(process.execPath, ["-e", code, PLANT_MARK], { stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((ok, fail) => {
    let err = "";
    const timer = setTimeout(() => fail(new Error("stand-in server did not start")), 10_000);
    child.stderr.on("data", (d: Buffer) => { err += d; });
    child.stdout.once("data", () => { clearTimeout(timer); ok(child); });
    child.once("exit", () => { clearTimeout(timer); fail(new Error(`cannot listen on 127.0.0.1:${port} for the test: ${err}`)); });
  });
}

/** The parent of `pid`, or null when it is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

const RUNNER = new Set([process.pid, process.ppid]);

/** Whether `pid` runs below the test runner (or is gone already: some test's short-lived plant). */
function belowTests(pid: number): boolean {
  for (let p: number | null = pid, hops = 0; p !== null && p > 1 && hops < 64; p = parentOf(p), hops++) if (RUNNER.has(p)) return true;
  return parentOf(pid) === null;
}

/** The network namespaces (other than this one) that test processes are in: the remote ends tests make. */
function testNamespaces(): Set<number> {
  const ns = (pid: number | string) => { try { return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]); } catch { return null; } };
  const own = ns("self");
  const out = new Set<number>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number)) {
    const n = ns(pid);
    if (n !== null && n !== own && belowTests(pid)) out.add(n);
  }
  return out;
}

/** Whether `s` is some test's: held by a process below the test runner, or in a namespace a test made. */
function heldByTests(s: Socket, namespaces: Set<number>): boolean {
  if (s.netns !== null && namespaces.has(s.netns)) return true;
  const holders = [s.process?.pid, ...(s.sharedWith ?? []).map((h) => h.pid)].filter((p): p is number => p !== undefined);
  return holders.some(belowTests);
}

/** Ends a child we started and waits (at most 5 s) until it has exited, so its sockets are gone for the next test. */
async function stop(child: ChildProcess): Promise<void> {
  child.stdin?.end();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => { child.once("exit", () => ok()); setTimeout(ok, 5000).unref(); });
  if (child.pid !== undefined) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } }
  await exited;
}

describe("evaluate on planted processes (live, loopback only)", () => {
  it("evaluate calls a deleted program from /tmp that talks to an IRC port and listens on a backdoor port suspicious, with the reasons", async () => {
    const irc = await standIn(6667); // a stand-in IRC server on loopback
    const dir = mkdtempSync(join(tmpdir(), "pw-plant-"));
    const exe = join(dir, "syncd");
    copyFileSync(realpathSync("/usr/bin/python3"), exe);
    const script = join(dir, "bot.py");
    writeFileSync(script, [
      "import socket, sys, json",
      "c = socket.create_connection(('127.0.0.1', 6667), timeout=10)",
      "b = socket.socket(); b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); b.bind(('127.0.0.1', 31337)); b.listen()",
      "print(json.dumps({'client': c.getsockname()[1]}), flush=True)",
      "sys.stdin.read()",
    ].join("\n"));
    const child = spawn(exe, [script, PLANT_MARK], { stdio: ["pipe", "pipe", "pipe"] });
    try {
      const ready = await new Promise<{ client: number }>((ok, fail) => {
        let out = "", err = "";
        const timer = setTimeout(() => fail(new Error(`planted bot did not start: ${err}`)), 10_000);
        child.stdout.on("data", (d: Buffer) => { out += d; if (out.includes("\n")) { clearTimeout(timer); ok(JSON.parse(out)); } });
        child.stderr.on("data", (d: Buffer) => { err += d; });
        child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`planted bot exited (${code}): ${err}`)); });
      });
      rmSync(exe); // the bot deletes its own program, as malware does
      const sockets = await judgeLive();
      const out = sockets.find((s) => s.process?.pid === child.pid && s.remote?.port === 6667 && s.local.port === ready.client);
      assert.ok(out, "the bot's IRC connection was not found");
      const rules = out.reasons.map((r) => r.rule);
      assert.equal(out.verdict, "suspicious");
      for (const r of ["irc-outbound", "deleted-exe", "writable-dir-exe"]) assert.ok(rules.includes(r), `${r} missing from ${rules.join(", ")}`);
      assert.match(out.reasons.find((r) => r.rule === "irc-outbound")!.message, /IRC server port \(6667\) by syncd, which is not an IRC client/);
      const backdoor = sockets.find((s) => s.process?.pid === child.pid && s.local.port === 31337 && s.direction === "listening");
      assert.ok(backdoor, "the bot's backdoor listener was not found");
      assert.equal(backdoor.verdict, "suspicious");
      assert.ok(backdoor.reasons.some((r) => r.rule === "backdoor-port" && /Back Orifice/.test(r.message)));
    } finally {
      await stop(child);
      await stop(irc);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("evaluate calls nothing on this machine suspicious except what the tests planted", async () => {
    // Test files run side by side (node --test): anything below the test runner is some test's plant.
    const before = testNamespaces();
    const sockets = await judgeLive();
    const namespaces = new Set([...before, ...testNamespaces()]); // before and after: a test may end meanwhile
    const suspicious = sockets.filter((s) => s.verdict === "suspicious" && !(s.process?.cmdline ?? []).includes(PLANT_MARK) && !heldByTests(s, namespaces));
    assert.deepEqual(suspicious.map((s) => `${s.proto} ${s.local.address}:${s.local.port} ${s.process?.name ?? "-"}: ${s.reasons.map((r) => r.message).join(" | ")}`), []);
  });
});
