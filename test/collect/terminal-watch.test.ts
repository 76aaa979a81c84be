import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { collectLinux, createOwnerCache, type Collection } from "../../src/collect/linux.js";
import { PY_SHELL_ON_PTY } from "../helpers/plant.js";

// Watching: a program that holds a socket and, a while later, opens a pty with a shell on it (a reverse
// shell upgraded after it connected) changes no socket, so the steady-host shortcut must not hand back
// the last look. The program lives in /var/tmp, ends itself after 30 s and is killed by pid.

const dir = `/var/tmp/pwtest-watch-${process.pid}`;
const PLANT_MARK = "portwatch-test-plant";
const SCRIPT = String.raw`import json, os, pty, select, signal, socket, sys, time
signal.alarm(30)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(json.dumps({"port": u.getsockname()[1]}), flush=True)
sys.stdin.readline()
${PY_SHELL_ON_PTY}print(json.dumps({"shell": pid}), flush=True)
sys.stdin.readline()
`;

describe("collectLinux with an owner cache and a new terminal (live)", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("collectLinux does not hand back the last look when a holder has opened a terminal with a shell since", async (t) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/upgrade.py`, SCRIPT);
    const child = spawn("/usr/bin/python3", [`${dir}/upgrade.py`, PLANT_MARK], { stdio: ["pipe", "pipe", "pipe"] });
    const lines: Record<string, number>[] = [];
    const next = () => new Promise<Record<string, number>>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("the planted program did not answer")), 15_000);
      const poll = setInterval(() => { const l = lines.shift(); if (l) { clearTimeout(timer); clearInterval(poll); ok(l); } }, 20);
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      for (let nl = out.indexOf("\n"); nl >= 0; nl = out.indexOf("\n")) { lines.push(JSON.parse(out.slice(0, nl))); out = out.slice(nl + 1); }
    });
    let shell = 0;
    try {
      const { port } = await next();
      const cache = createOwnerCache();
      let look: Collection = await collectLinux({ cache });
      for (let i = 0; i < 40 && !look.unchanged; i++) { await new Promise((ok) => setTimeout(ok, 50)); look = await collectLinux({ cache }); }
      if (!look.unchanged) t.diagnostic("this host was never steady for two looks (other sockets came and went): the shortcut was not tried");
      const holder = (c: Collection) => c.sockets.find((s) => s.proto === "udp" && s.local.port === port && s.process?.pid === child.pid)?.process;
      assert.deepEqual(holder(look)?.terminalsBelow, []);
      child.stdin.write("go\n");
      shell = (await next()).shell as number;
      const after = await collectLinux({ cache });
      assert.notEqual(after.unchanged, true, "a new terminal makes a full look");
      assert.deepEqual(holder(after)?.terminalsBelow?.map((x) => x.on[0]?.pid), [shell]);
    } finally {
      child.stdin.end();
      for (const pid of [child.pid, shell]) { if (pid) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } } }
    }
  });
});
