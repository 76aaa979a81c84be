import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The command as users run it: bin/portwatch (the one-file build with its code cache, bin/start.cjs).
const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const run = (...args: string[]) => spawnSync(main, args, { encoding: "utf8", timeout: 30_000, maxBuffer: 1 << 28, env: { ...process.env, FORCE_COLOR: "", NO_COLOR: "" } });

/** Runs `script` (an ES module) with a stdout whose reader goes away at once: it must report "broken pipe seen" and exit 0. */
async function assertQuietBrokenPipe(script: string): Promise<void> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  child.stdout.destroy(); // the reader goes away at once
  let err = "";
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const code = await new Promise((ok) => child.on("close", ok));
  assert.equal(err, "broken pipe seen");
  assert.equal(code, 0);
}

describe("portwatch (built CLI)", () => {
  it("portwatch audit --json prints the contract for a captured tree", () => {
    const r = run("audit", "--json", "--proc-root", tree);
    assert.equal(r.status, 0, r.stderr);
    const snap = JSON.parse(r.stdout);
    assert.equal(snap.schema, 1);
    assert.equal(snap.host.source, "live");
    assert.ok(!Number.isNaN(Date.parse(snap.host.collectedAt)));
    assert.equal(snap.sockets.length, 19);
    for (const s of snap.sockets) {
      assert.ok(["tcp", "udp", "raw"].includes(s.proto));
      assert.ok([4, 6].includes(s.family));
      assert.equal(typeof s.local.port, "number");
      assert.ok(["listening", "inbound", "outbound", "unknown"].includes(s.direction));
      assert.ok(Array.isArray(s.sharedWith) && Array.isArray(s.reasons));
      assert.ok(s.process === null || (typeof s.process.pid === "number" && s.process.pid > 0));
    }
    assert.deepEqual(Object.keys(snap), ["schema", "host", "sockets", "warnings", "summary"]);
    assert.equal(snap.summary.expected + snap.summary.unknown + snap.summary.suspicious, 19);
    assert.ok(snap.warnings.length >= 1);
  });

  it("portwatch audit --ndjson -tl prints one TCP listener per line", () => {
    const r = run("--ndjson", "-tl", "--proc-root", tree);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 6);
    assert.ok(lines.every((s) => s.proto === "tcp" && s.state === "LISTEN"));
  });

  it("portwatch prints a table without colour or escape codes when piped, warnings on stderr", () => {
    const r = run("--proc-root", tree);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Proto\s+Local Address\s+Foreign Address\s+State\s+Service\s+PID\/Program\s+User\nSUSPICIOUS \(2\)\n/);
    assert.ok(!r.stdout.includes("\u001b"));
    assert.match(r.stdout, /19 sockets: 2 suspicious, 15 unknown, 2 expected; 11 listening/);
    assert.match(r.stderr, /^warning: 1 socket has no owning process/m);
  });

  it("portwatch --only suspicious shows only the planted process of the captured tree, with its reasons", () => {
    const r = run("--only", "suspicious", "--proc-root", tree);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /SUSPICIOUS \(2\)/);
    assert.doesNotMatch(r.stdout, /UNKNOWN|EXPECTED/);
    assert.match(r.stdout, /↳ It runs from a deleted file \(\/tmp\/pwcap-[^)]+\/kworker\)/);
    assert.match(r.stdout, /^2 sockets: 2 suspicious/m);
  });

  it("portwatch --fail-on exits 1 when met and 0 when not", () => {
    assert.equal(run("--fail-on", "suspicious", "--proc-root", tree).status, 1);
    assert.equal(run("--fail-on", "unknown", "--only", "expected", "--proc-root", tree).status, 0);
  });

  it("portwatch --explain puts a plain-words explanation under every socket", () => {
    const r = run("--explain", "-tl", "--proc-root", tree);
    const rows = r.stdout.split("\n").filter((l) => /^tcp/.test(l)).length;
    const explained = r.stdout.split("\n").filter((l) => /^ {6}= /.test(l)).length;
    assert.equal(explained, rows);
    assert.match(r.stdout, /= Port 2024\/tcp \(xinuexpansion4 in IANA's registry\) is not a service portwatch knows, here open to every network/);
  });

  it("portwatch --policy applies the user's rules and reports a broken policy with its place (exit 2)", () => {
    const policy = fileURLToPath(new URL("../../docs/policy.example.yaml", import.meta.url));
    const ok = run("--json", "--policy", policy, "--proc-root", tree);
    assert.equal(ok.status, 0);
    assert.ok(JSON.parse(ok.stdout).warnings[0].startsWith(`Policy "${policy}" applied (8 rules)`));
    const bad = run("--policy", fileURLToPath(new URL("../fixtures/policy/typo-field.yaml", import.meta.url)), "--proc-root", tree);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^portwatch: Cannot load policy ".*typo-field.yaml": line 3, column 5: unknown field "prot" \(did you mean "proto"\?\)\n$/);
    const missing = run("--policy", "/nonexistent.yaml", "--proc-root", tree);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /Cannot load policy "\/nonexistent.yaml": ENOENT/);
  });

  it("portwatch explain names a port, its usual owner and what to check", () => {
    const ipp = run("explain", "631/tcp", "--no-live");
    assert.equal(ipp.status, 0);
    assert.match(ipp.stdout, /^631\/tcp {2}ipp\n {2}What: {8}CUPS, the printing system/);
    assert.match(ipp.stdout, /Usually: {5}cupsd/);
    const unknownPort = run("explain", "38142/udp", "--no-live");
    assert.match(unknownPort.stdout, /sudo lsof -i UDP:38142/);
    const byName = run("explain", "mdns", "--no-live");
    assert.match(byName.stdout, /5353\/udp {2}mdns\n {2}What: {8}Multicast DNS/);
    const live = run("explain", "2024", "--proc-root", tree);
    assert.match(live.stdout, /On this computer now:\n {2}tcp 0\.0\.0\.0:2024 -> \*:\* LISTEN, no visible owner: UNKNOWN/);
    const bad = run("explain", "99999");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /ports go from 0 to 65535/);
  });

  const usage: [string[], RegExp][] = [
    [["--bogus"], /unknown option '--bogus'/],
    [["audit", "--json", "--ndjson"], /choose one of --json and --ndjson/],
    [["frobnicate"], /^portwatch: unknown command "frobnicate"\nCommands: audit, baseline, lists, watch, history, fleet, serve, explain \(audit when none is given\)/],
    [["-tl", "frobnicate"], /^portwatch: unknown command "frobnicate"\n/],
    [["--json", "explain", "631"], /^portwatch: put the command first: "portwatch explain \.\.\.", its options after it\n/],
    [["fr\u001bob"], /^portwatch: unknown command "fr\\x1bob"\n/],
    [["--only", "bad"], /expected a comma-separated list of expected, unknown, suspicious; got "bad"/],
    [["--fail-on", "maybe"], /Allowed choices are suspicious, unknown/],
    [["--only", "Suspicious,maybe"], /got "maybe"/],
  ];
  for (const [args, msg] of usage) {
    it(`portwatch ${args.join(" ")} is a usage error (exit 2) that says what is wrong`, () => {
      const r = run(...args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, msg);
    });
  }

  it("portwatch --help and audit --help exit 0 and describe the options", () => {
    const top = run("--help");
    assert.equal(top.status, 0);
    assert.match(top.stdout, /audit \[options\]/);
    const audit = run("audit", "--help");
    assert.equal(audit.status, 0);
    assert.match(audit.stdout, /--listening/);
  });

  it("portwatch --help and audit --help say that netstat's flags work and which change nothing, and list exit codes 0 to 3", () => {
    for (const args of [["--help"], ["audit", "--help"]]) {
      const help = run(...args).stdout.replace(/\s+/g, " ");
      assert.match(help, /"portwatch -tulpn" is "netstat -tulpn" with verdicts/, args.join(" "));
      assert.match(help, /-a, -n, -p and -W are accepted and change nothing: portwatch always shows every socket, numeric addresses and ports, and each socket's owner/, args.join(" "));
      assert.match(help, /Exit codes: 0 fine, 1 --fail-on met, 2 usage or input error, 3 internal error/, args.join(" "));
    }
    const save = run("baseline", "save", "--help").stdout.replace(/\s+/g, " ");
    assert.match(save, /--accept <rule-or-port>/);
    assert.match(save, /Exit codes: 0 saved \(also when suspicious sockets were left out\), 2 usage or input error, 3 internal error/);
  });

  it("portwatch takes netstat's and ss's flags, in one word or several: -tulpn is -t -u -l, and -a -n -p -W change nothing", () => {
    const same: [string[], string[]][] = [
      [["-tulpn"], ["-t", "-u", "-l"]],
      [["-tlnp"], ["-tl"]],
      [["-tunap"], ["-t", "-u"]],
      [["-a", "-n", "-p", "-W"], []],
      [["-anpW", "-l"], ["--listening"]],
      [["audit", "-tulpn"], ["-tul"]],
    ];
    for (const [habit, plain] of same) {
      const a = run(...habit, "--ndjson", "--proc-root", tree);
      const b = run("--ndjson", ...plain, "--proc-root", tree);
      assert.equal(a.status, 0, `${habit.join(" ")}: ${a.stderr}`);
      assert.ok(a.stdout.length > 0, habit.join(" "));
      assert.equal(a.stdout, b.stdout, `${habit.join(" ")} is ${plain.join(" ") || "nothing"}`);
      assert.equal(a.stderr, b.stderr, habit.join(" "));
    }
    const udp = run("--ndjson", "-ulpn", "--proc-root", tree).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(udp.length > 0 && udp.every((s) => s.proto === "udp" && s.direction === "listening"));
  });

  it("portwatch reads verdict names in any case: --only UNKNOWN,Expected and --fail-on Suspicious", () => {
    const lower = run("--only", "unknown,expected", "--proc-root", tree);
    const mixed = run("--only", "UNKNOWN,Expected", "--proc-root", tree);
    assert.equal(mixed.status, 0, mixed.stderr);
    assert.equal(mixed.stdout, lower.stdout);
    assert.equal(run("--fail-on", "Suspicious", "--proc-root", tree).status, 1);
    assert.equal(run("--fail-on", "UNKNOWN", "--only", "expected", "--proc-root", tree).status, 0);
  });

  it("portwatch says what to do when the proc root cannot be read (exit 2, no stack trace)", () => {
    const r = run("--proc-root", "/nonexistent-proc");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^portwatch: Cannot read the process list in "\/nonexistent-proc": ENOENT \(is \/proc mounted\?\)\n$/);
  });

  it("portwatch exits 2 with the reason for the user's own mistakes, never 3 (internal error)", () => {
    const cases: [string[], RegExp][] = [
      [["serve", "--host", "0.0.0.0", "--for", "1s"], /^portwatch: Refusing to serve on "0\.0\.0\.0": .*add --expose if you mean it\n$/],
      [["watch", "--exec", " ", "--count", "1", "--no-history", "--proc-root", tree], /^portwatch: Cannot use --exec " ": it names no program/],
      [["watch", "--interval", "5ms", "--count", "1"], /^portwatch: Cannot use interval "5ms": the shortest is 100ms/],
      [["--from", "/nonexistent.txt"], /^portwatch: Cannot read capture "\/nonexistent\.txt": ENOENT/],
      [["explain", "99999"], /^portwatch: Cannot explain "99999": ports go from 0 to 65535/],
      [["baseline", "diff", "--state-dir", "/nonexistent-state", "--proc-root", tree], /^portwatch: Cannot load baseline "\/nonexistent-state\/baseline\.json": ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    }
  });

  it("portwatch keeps its state in --state-dir, else PORTWATCH_STATE_DIR: baseline save and diff find each other there", () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-state-"));
    try {
      const save = spawnSync(main, ["baseline", "save", "--proc-root", tree], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PORTWATCH_STATE_DIR: dir } });
      assert.equal(save.status, 0, save.stderr);
      assert.ok(existsSync(join(dir, "baseline.json")));
      const diff = run("baseline", "diff", "--state-dir", dir, "--proc-root", tree);
      assert.equal(diff.status, 0, diff.stderr);
      assert.match(diff.stdout, /^Since the baseline of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d \(/);
      assert.match(diff.stdout, /\n2 appeared, 0 disappeared, 0 changed verdict\n$/); // the suspicious ones it left out
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("portwatch colours its table on a terminal, at the terminal's width, and not into /dev/null", () => {
    // script(1) gives the command a pseudo-terminal; the paths reach its shell as variables, not as text.
    const r = spawnSync("script", ["-qec", '"$PW_BIN" -tl --proc-root "$PW_TREE"', "/dev/null"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PW_BIN: main, PW_TREE: tree, COLUMNS: "", NO_COLOR: "", FORCE_COLOR: "" } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\u001b\[31m\u001b\[1mSUSPICIOUS \(1\)/);
    const plain = spawnSync(main, ["-tl", "--proc-root", tree], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", timeout: 30_000 });
    assert.equal(plain.status, 0, plain.stderr);
  });

  it("processOutput stops quietly when its reader goes away (| head): a broken pipe, not a crash", async () => {
    const output = new URL("../../dist/cli/output.js", import.meta.url).href;
    const script = `import { processOutput, isBrokenPipe } from ${JSON.stringify(output)};
      const io = processOutput(false);
      try { for (let i = 0; i < 5000; i++) io.out("x".repeat(1000) + "\\n"); process.stderr.write("not broken"); }
      catch (e) { process.stderr.write(isBrokenPipe(e) ? "broken pipe seen" : "other: " + e); }`;
    await assertQuietBrokenPipe(script);
  });

  it("processOutput.hold writes stdout in order, and what stderr got meanwhile after it, as one file shows it", () => {
    const output = new URL("../../dist/cli/output.js", import.meta.url).href;
    const dir = mkdtempSync(join(tmpdir(), "pw-hold-"));
    try {
      const file = join(dir, "both.txt");
      // stdout and stderr are the same file, so the order of the writes is the order in the file.
      const script = `import { processOutput } from ${JSON.stringify(output)};
        const io = processOutput(false);
        const hold = io.hold();
        for (let i = 0; i < 6000; i++) {
          io.out(String(i).padStart(6, "0") + "é".repeat(500) + "\\n");
          if (i === 3000) io.err("warning in the middle\\n");
          const behind = hold.drain();
          if (behind) await behind;
        }
        await hold.release();
        io.out("after\\n");`;
      const fd = openSync(file, "w");
      try {
        const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", fd, fd], timeout: 30_000 });
        assert.equal(r.status, 0);
      } finally {
        closeSync(fd);
      }
      const lines = readFileSync(file, "utf8").split("\n");
      const expected: string[] = [];
      for (let i = 0; i < 6000; i++) expected.push(String(i).padStart(6, "0") + "é".repeat(500));
      assert.deepEqual(lines, [...expected, "warning in the middle", "after", ""]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("processOutput.hold stops quietly when its reader goes away: a broken pipe, not a crash", async () => {
    const output = new URL("../../dist/cli/output.js", import.meta.url).href;
    const script = `import { processOutput, isBrokenPipe } from ${JSON.stringify(output)};
      const io = processOutput(false);
      const hold = io.hold();
      try {
        try { for (let i = 0; i < 50000; i++) { io.out("x".repeat(1000) + "\\n"); const b = hold.drain(); if (b) await b; } } finally { await hold.release(); }
        process.stderr.write("not broken");
      } catch (e) { process.stderr.write(isBrokenPipe(e) ? "broken pipe seen" : "other: " + e); }`;
    await assertQuietBrokenPipe(script);
  });

  it("portwatch says it cannot write its output to a full disk (/dev/full), with the cause, exit 2, for a table, --json of a capture and --json of this host", () => {
    for (const args of [["-tl", "--proc-root", tree], ["audit", "--json", "--proc-root", tree], ["audit", "--json"], ["audit", "--ndjson"]]) {
      const full = openSync("/dev/full", "w");
      try {
        const r = spawnSync(main, args, { stdio: ["ignore", full, "pipe"], encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, /^portwatch: Cannot write the output to stdout: no space is left on the device; free some, or write the output elsewhere \(ENOSPC\)\n/);
        assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
      } finally {
        closeSync(full);
      }
    }
  });

  it("portwatch --help stops quietly when its reader goes away (| head -1): no EPIPE stack trace", async () => {
    for (const args of [["--help"], ["audit", "--help"]]) {
      // a pipe whose reader has gone: the help text (a few KiB) fits no pipe buffer that is already closed
      const child = spawn("sh", ["-c", '"$PW_BIN" "$@" | true', "sh", ...args], { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000, env: { ...process.env, PW_BIN: main } });
      let err = "";
      child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
      await new Promise((ok) => child.on("close", ok));
      assert.equal(err, "", `portwatch ${args.join(" ")} | true printed on stderr: ${err.slice(0, 300)}`);
    }
  });
});
