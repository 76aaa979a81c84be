import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The command as users run it: bin/portwatch (the one-file build with its code cache, bin/start.cjs).
const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-cli-baseline-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(main, args, { encoding: "utf8", timeout: 60_000, maxBuffer: 1 << 28 });

describe("portwatch baseline (built CLI)", () => {
  const file = join(dir, "baseline.json");
  it("portwatch baseline save records identities; diff against the same host shows only the suspicious ones it left out", () => {
    const saved = run("baseline", "save", "--file", file, "--proc-root", tree);
    assert.equal(saved.status, 0, saved.stderr);
    assert.match(saved.stdout, /^Saved the baseline of .+: 17 identities from 19 sockets, to .*baseline\.json\n/);
    const same = run("baseline", "diff", "--file", file, "--proc-root", tree, "--fail-on-change", "--json");
    // The suspicious listeners were left out of the baseline, so they, and only they, are new to it.
    assert.equal(same.status, 1, same.stderr);
    const events = same.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => [e.type, e.socket.verdict]), [["appeared", "suspicious"], ["appeared", "suspicious"]]);
  });
  it("portwatch baseline save lists the unknown sockets it takes in and the suspicious ones it leaves out, with the --accept that takes each in (exit 0)", () => {
    const saved = run("baseline", "save", "--file", join(dir, "listed.json"), "--proc-root", tree);
    assert.equal(saved.status, 0, saved.stderr);
    assert.match(saved.stdout, /\n15 unknown identities will count as expected from now on:\n {2}inbound {3}tcp to port 36647 {2}node \(pid 2494\), user root\n/);
    assert.match(saved.stdout, /\n {2}listening tcp 127\.0\.0\.1:36647 {2}node \(pid 2494\), user root\n/);
    assert.match(saved.stdout, /\nLeft out 2 suspicious identities: .*\n {2}listening tcp 127\.0\.0\.1:56303 {2}ev\\x1b\[31mil \(pid 2518\), user root \[deleted-exe, writable-dir-exe\]\n {2}listening udp 127\.0\.0\.1:53407 .*\n/);
    assert.match(saved.stdout, /portwatch baseline save --accept deleted-exe \(every socket that rule fired on\) or --accept 56303 \(that port\)\n$/);
    assert.ok(!saved.stdout.includes("\u001b"));
  });
  it("portwatch baseline save --accept takes the suspicious sockets of a rule or port in, warns of one that names nothing, and refuses a malformed one (exit 2)", () => {
    const accepted = join(dir, "accepted.json");
    const saved = run("baseline", "save", "--file", accepted, "--proc-root", tree, "--accept", "Deleted-Exe", "--accept", "6667");
    assert.equal(saved.status, 0, saved.stderr);
    assert.match(saved.stdout, /^Saved the baseline of .+: 19 identities/);
    assert.match(saved.stdout, /\n2 suspicious identities taken in with --accept .*\n/);
    assert.doesNotMatch(saved.stdout, /Left out/);
    assert.match(saved.stderr, /^warning: --accept 6667 named no suspicious socket of this host$/m);
    const same = run("baseline", "diff", "--file", accepted, "--proc-root", tree, "--fail-on-change");
    assert.equal(same.status, 0, same.stdout);
    const byPort = run("baseline", "save", "--file", accepted, "--proc-root", tree, "--accept", "53407");
    assert.match(byPort.stdout, /\n1 suspicious identity taken in .*\n {2}listening udp 127\.0\.0\.1:53407 .*\nLeft out 1 suspicious identity: look at it first/);
    for (const bad of ["70000", "not a rule"]) {
      const r = run("baseline", "save", "--file", accepted, "--proc-root", tree, "--accept", bad);
      assert.equal(r.status, 2, bad);
      assert.match(r.stderr, new RegExp(`^portwatch: Cannot use --accept "${bad}": `));
    }
  });
  it("portwatch audit --baseline makes the baseline's unknown sockets expected, never the suspicious ones", () => {
    const r = run("audit", "--json", "--baseline", file, "--proc-root", tree);
    const snap = JSON.parse(r.stdout);
    assert.equal(snap.summary.suspicious, 2);
    assert.equal(snap.summary.unknown, 0);
    assert.ok(snap.sockets.some((s: { reasons: { rule: string }[] }) => s.reasons.some((x) => x.rule === "baseline")));
    assert.match(snap.warnings[0], /^Baseline of .* applied \(\d+ identities\)$/);
  });
  it("portwatch baseline diff against another host lists what appeared and disappeared, exit 1 with --fail-on-change", () => {
    const r = run("baseline", "diff", "--file", file, "--json", "--fail-on-change");
    assert.equal(r.status, 1, r.stderr);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.type === "disappeared" && e.identity === "L|tcp|36647|/usr/bin/node|root|host"));
    assert.ok(events.every((e) => ["appeared", "disappeared", "verdict-changed"].includes(e.type) && typeof e.at === "string" && e.socket.proto));
  });
  it("portwatch baseline diff without a baseline says how to make one (exit 2)", () => {
    const r = run("baseline", "diff", "--file", join(dir, "none.json"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /save one first with "portwatch baseline save"/);
  });
});

describe("portwatch watch (built CLI, live, loopback only)", () => {
  it("portwatch watch --ndjson reports a listener that appears and disappears, exactly once each", async () => {
    const db = join(dir, "history.sqlite");
    const alerts = join(dir, "alerts.ndjson");
    const recorder = join(dir, "record-alert.mjs");
    const seenCa = join(dir, "alert-env.txt");
    writeFileSync(recorder, `import { appendFileSync } from "node:fs"; let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => { appendFileSync(${JSON.stringify(alerts)}, s + "\\n"); appendFileSync(${JSON.stringify(seenCa)}, String(process.env.NODE_EXTRA_CA_CERTS) + "\\n"); });`);
    // bin/portwatch sets NODE_EXTRA_CA_CERTS aside for its own start; the programs it runs get it back.
    const ca = "/nonexistent/portwatch-test-ca.pem";
    const watch = spawn(main, ["watch", "--ndjson", "--interval", "250ms", "--count", "80", "--db", db, "--exec", `${process.execPath} ${recorder}`], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } });
    let port = 0;
    let listener: ChildProcess | null = null;
    let out = "", err = "";
    try {
      watch.stdout.on("data", (d: Buffer) => { out += d; });
      const started = new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`watch did not start: ${err}`)), 15_000);
        watch.stderr.on("data", (d: Buffer) => { err += d; if (err.includes("watching")) { clearTimeout(timer); ok(); } });
      });
      await started;
      const code = `const s=require("net").createServer().listen(0,"127.0.0.1",()=>console.log(s.address().port));setTimeout(()=>process.exit(0),30000)`;
      listener = spawn(process.execPath, ["-e", code, "portwatch-test-plant"], { stdio: ["ignore", "pipe", "ignore"] });
      port = await new Promise<number>((ok) => listener!.stdout!.once("data", (d: Buffer) => ok(Number(String(d).trim()))));
      const mine = () => out.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.identity.startsWith(`L|tcp|${port}|`));
      // Bounded (20 s): a look takes longer while other test files load the machine.
      const waitFor = async (n: number) => { for (let i = 0; i < 200 && mine().length < n; i++) await new Promise((ok) => setTimeout(ok, 100)); };
      await waitFor(1);
      process.kill(listener.pid!, "SIGKILL");
      await waitFor(2);
      await new Promise((ok) => setTimeout(ok, 800)); // a few more looks: nothing else may come
      const said = mine().map((e) => `${e.at} ${e.type} ${e.identity} pid ${e.socket.process?.pid ?? "-"} ${e.socket.state} inode ${e.socket.inode}`).join("\n");
      assert.deepEqual(mine().map((e) => e.type), ["appeared", "disappeared"], said);
      assert.equal(mine()[0].socket.process.pid, listener.pid);
    } finally {
      if (listener?.pid && listener.exitCode === null) { try { process.kill(listener.pid, "SIGKILL"); } catch { /* gone */ } }
      if (watch.pid && watch.exitCode === null) process.kill(watch.pid, "SIGTERM");
      await new Promise((ok) => { if (watch.exitCode !== null) ok(null); else watch.once("close", ok); });
    }
    assert.equal(watch.exitCode, 0);
    // The new unexplained listener was an alert, handed to --exec; the watcher kept its history.
    const alerted = readFileSync(alerts, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(alerted.filter((a) => a.identity.startsWith(`L|tcp|${port}|`)).length, 1, `alerts: ${JSON.stringify(alerted.map((a) => a.identity))}; watch said: ${err.slice(-2000)}`);
    assert.ok(readFileSync(seenCa, "utf8").trim().split("\n").every((v) => v === ca));
    const history = run("history", "--db", db, "--port", String(port), "--json");
    assert.equal(history.status, 0, history.stderr);
    // Only the planted listener's rows: another namespace's socket may have the same port number (a loaded host).
    const rows = (JSON.parse(history.stdout) as { identity: string; timesSeen: number; owners: string[] }[]).filter((r) => r.identity.startsWith(`L|tcp|${port}|`));
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.ok(rows[0]!.timesSeen >= 1 && rows[0]!.owners[0] === process.execPath);
  });

  it("portwatch watch runs many looks without piling up abort listeners (no MaxListenersExceededWarning)", () => {
    const r = run("watch", "--proc-root", tree, "--interval", "100ms", "--count", "14", "--no-history", "--ndjson");
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /MaxListeners|Warning/);
    assert.match(r.stderr, /^watching /);
  });

  it("portwatch watch refuses a bad interval (exit 2)", () => {
    const r = run("watch", "--interval", "soon");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Cannot use interval "soon": expected a duration like 2s, 500ms or 1m/);
  });
});

describe("portwatch watch with steady short connections (built CLI, live, loopback only)", () => {
  it("portwatch watch prints no appeared/disappeared pairs for a client that keeps opening short connections to a local server", async () => {
    // A server and a client in one marked process: a connection every 40 ms, each closed after 20 ms by
    // the client (so TIME_WAIT piles up on the client's side, as with a poller), for at most 30 s.
    const code = `const net=require("net");const s=net.createServer((c)=>{c.on("error",()=>{});c.resume();}).listen(0,"127.0.0.1",()=>{` +
      `console.log(s.address().port);const t=setInterval(()=>{const c=net.connect(s.address().port,"127.0.0.1",()=>setTimeout(()=>c.end(),20));c.on("error",()=>{});},40);` +
      `setTimeout(()=>{clearInterval(t);process.exit(0);},30000);});process.stdin.on("end",()=>process.exit(0));process.stdin.resume();`;
    const traffic = spawn(process.execPath, ["-e", code, "portwatch-test-plant"], { stdio: ["pipe", "pipe", "ignore"] });
    let watch: ChildProcess | null = null;
    try {
      const port = await new Promise<number>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error("the traffic did not start")), 10_000);
        traffic.stdout!.once("data", (d: Buffer) => { clearTimeout(timer); ok(Number(String(d).trim())); });
      });
      await new Promise((ok) => setTimeout(ok, 1500)); // TIME_WAIT and the client's identity are there before the first look
      const w = spawn(main, ["watch", "--ndjson", "--interval", "250ms", "--count", "24", "--no-history"], { stdio: ["ignore", "pipe", "pipe"] });
      watch = w;
      let out = "";
      w.stdout!.on("data", (d: Buffer) => { out += d; });
      const code = await new Promise<number | null>((ok) => { const t = setTimeout(() => { w.kill("SIGTERM"); }, 30_000); w.once("close", (c) => { clearTimeout(t); ok(c); }); });
      assert.equal(code, 0);
      const events = out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; identity: string; socket: { local: { port: number }; remote: { port: number } | null } });
      const mine = events.filter((e) => e.socket.local.port === port || e.socket.remote?.port === port);
      const byIdentity = new Map<string, string[]>();
      for (const e of mine) byIdentity.set(e.identity, [...(byIdentity.get(e.identity) ?? []), e.type]);
      const flapping = [...byIdentity].filter(([, types]) => types.includes("appeared") && types.includes("disappeared"));
      assert.deepEqual(flapping, [], `events for the server's port: ${mine.map((e) => `${e.type} ${e.identity}`).join("; ")}`);
    } finally {
      if (watch?.pid && watch.exitCode === null) { try { process.kill(watch.pid, "SIGKILL"); } catch { /* gone */ } }
      traffic.stdin!.end();
      if (traffic.pid && traffic.exitCode === null) { try { process.kill(traffic.pid, "SIGKILL"); } catch { /* gone */ } }
    }
  });
});
