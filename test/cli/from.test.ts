import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The command as users run it: bin/portwatch (the one-file build with its code cache, bin/start.cjs).
const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const captures = fileURLToPath(new URL("../fixtures/captures/", import.meta.url));
const run = (args: string[], input?: string) => spawnSync(main, args, { encoding: "utf8", timeout: 60_000, maxBuffer: 1 << 28, ...(input !== undefined ? { input } : {}) });

describe("portwatch audit --from (built CLI)", () => {
  it("portwatch --from judges the seed's listing as the blog post does", () => {
    const r = run(["--from", `${captures}seed/simple-security-by-evaluating-ports.txt`, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(r.stdout);
    assert.equal(snap.host.source, "netstat");
    assert.equal(snap.sockets.length, 8);
    type S = { proto: string; local: { port: number }; remote: { port: number } | null; verdict: string; exposure: string | null; explanation: string };
    const sockets = snap.sockets as S[];
    const by = (proto: string, port: number) => sockets.filter((s) => s.proto === proto && (s.local.port === port || s.remote?.port === port));
    const ipp = by("tcp", 631)[0]!;
    assert.deepEqual([ipp.verdict, ipp.exposure], ["expected", "loopback"]);
    assert.match(ipp.explanation, /CUPS/);
    for (const [proto, port, count] of [["udp", 68, 1], ["udp", 5353, 1], ["tcp", 80, 2], ["udp", 53, 2]] as const) {
      assert.deepEqual(by(proto, port).map((s) => s.verdict), Array(count).fill("expected"), `${proto} ${port}`);
    }
    const avahiPort = by("udp", 38142)[0]!;
    assert.equal(avahiPort.verdict, "unknown");
    assert.match(avahiPort.explanation, /sudo lsof -i UDP:38142/);
    assert.deepEqual(snap.summary, { expected: 7, unknown: 1, suspicious: 0 });
    assert.match(snap.warnings[0], /^Read ".*simple-security-by-evaluating-ports.txt" as netstat output \(detected; --format overrides\): 8 sockets$/);
    assert.ok(snap.warnings.some((w: string) => /^Skipped a line: .*:1: not a netstat socket line/.test(w)));
  });

  it("portwatch --from - reads stdin, and a Windows capture's advice says how to find owners on Windows", () => {
    const text = readFileSync(`${captures}published/11-netstat-ano-windows.txt`, "utf8");
    const r = run(["--from", "-", "--ndjson", "--only", "unknown"], text);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.length > 0);
    assert.ok(lines.some((s) => /tasklist \/FI "PID eq \d+"/.test(s.explanation)), "a PID without a name: how to name it on Windows");
    assert.ok(!lines.some((s) => /dpkg|lsof/.test(s.explanation)), "no Linux advice for a Windows capture");
    assert.match(r.stderr, /Read "stdin" as windows-netstat output/);
  });

  it("portwatch --from escapes terminal control characters of a hostile capture in its warnings", () => {
    const r = run(["--from", "-"], "tcp 0 0 127.0.0.1:631 0.0.0.0:* LISTEN\nbad \u001b[31mred \u009b2J line\n");
    assert.equal(r.status, 0);
    assert.ok(!/[\u001b\u009b]/.test(r.stderr), JSON.stringify(r.stderr));
    assert.match(r.stderr, /stdin:2: not a netstat socket line: "bad \\x1b\[31mred \\x9b2J line"/);
  });

  it("portwatch --from round-trips its own --json output", () => {
    const first = run(["--from", `${captures}published/07-ss-tulpen-ubuntu.txt`, "--json"]);
    const again = run(["--from", "-", "--json"], first.stdout);
    assert.equal(again.status, 0, again.stderr);
    const a = JSON.parse(first.stdout), b = JSON.parse(again.stdout);
    assert.equal(b.host.source, "portwatch-json");
    assert.deepEqual(b.sockets.map((s: object) => ({ ...s })), a.sockets);
  });

  it("portwatch --format overrides detection, and a file in no known format is refused naming the formats tried (exit 2)", () => {
    const forced = run(["--from", `${captures}published/08-netstat-an-freebsd.txt`, "--format", "bsd-netstat", "--json"]);
    assert.equal(JSON.parse(forced.stdout).warnings[0].includes("(detected"), false);
    const prose = run(["--from", "-"], "Dear diary,\ntoday I opened some ports.\n");
    assert.equal(prose.status, 2);
    assert.match(prose.stderr, /^portwatch: Cannot read capture "stdin": it is in no format portwatch knows \(tried: netstat, ss, lsof, windows-netstat, bsd-netstat, portwatch-json\); give --format if it is one of them\n$/);
    const empty = run(["--from", "-"], "");
    assert.match(empty.stderr, /it is empty/);
    const missing = run(["--from", "/nonexistent/capture.txt"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /Cannot read capture "\/nonexistent\/capture.txt": ENOENT \(no such file\)/);
  });

  it("portwatch --from reads a one-million-line capture as a stream, in bounded memory", async () => {
    const generator = spawn(process.execPath, [fileURLToPath(new URL("../helpers/big-capture.mjs", import.meta.url)), "1000000"], { stdio: ["ignore", "pipe", "inherit"] });
    const cli = spawn(main, ["--from", "-", "--only", "unknown", "--ndjson"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PORTWATCH_TIMINGS: "1" }, timeout: 300_000 }); // bounded; about 15 s on a quiet machine
    generator.stdout.pipe(cli.stdin);
    let lines = 0, err = "";
    cli.stdout.on("data", (d: Buffer) => { for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++; });
    cli.stderr.on("data", (d: Buffer) => { err += d; });
    const code = await new Promise((ok) => cli.on("close", ok));
    assert.equal(code, 0, err);
    assert.equal(lines, 100_000); // the UDP listeners on unexplained ports; the web connections are expected
    assert.match(err, /as netstat output \(detected; --format overrides\): 1000000 sockets/);
    const rss = Number(/peak RSS (\d+) MiB/.exec(err)?.[1]);
    // The text alone is 91 MB and the sockets take about 300 bytes each: the bound says the text is never held whole.
    assert.ok(rss > 0 && rss < 768, `peak RSS ${rss} MiB`);
  });
});
