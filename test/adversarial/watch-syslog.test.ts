// Replays issue 14's --syslog case: alerts over 1,024 bytes reached syslog cut, as JSON that does not
// parse. A stand-in /dev/log (python3 on a Unix datagram socket made here) receives the messages.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fitAlert, syslogLimit, syslogSink } from "../../src/watch/syslog-sink.js";

const dir = mkdtempSync(join(tmpdir(), "pw-adv-syslog-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Receives `n` datagrams on a new Unix socket and returns their texts. */
async function receive(n: number, send: (socket: string) => Promise<void>): Promise<string[]> {
  const sockPath = join(dir, `log-${n}.sock`);
  const receiver = spawn("python3", ["-c", [
    "import socket, sys, json",
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
    `s.bind(${JSON.stringify(sockPath)})`,
    "s.settimeout(10)",
    "print('ready', flush=True)",
    `print(json.dumps([s.recv(1 << 20).decode() for _ in range(${n})]), flush=True)`,
  ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    let got = "";
    receiver.stdout.on("data", (d: Buffer) => { got += d; });
    for (let i = 0; i < 100 && !got.includes("ready"); i++) await new Promise((ok) => setTimeout(ok, 50));
    await send(sockPath);
    await new Promise((ok) => receiver.once("close", ok));
    return JSON.parse(got.slice(got.indexOf("\n") + 1)) as string[];
  } finally {
    if (receiver.exitCode === null && receiver.pid) process.kill(receiver.pid, "SIGKILL");
  }
}

const alert = (cmdlineBytes: number) => JSON.stringify({
  id: "0123456789abcdef0123456789abcdef", type: "appeared", identity: "L|tcp|31337|/tmp/x|root|host",
  socket: { proto: "tcp", local: { address: "127.0.0.1", port: 31337 }, remote: null, state: "LISTEN", direction: "listening", verdict: "suspicious",
    process: { pid: 4242, name: "x", exe: "/tmp/x", user: "root", cmdline: ["/tmp/x", "a".repeat(cmdlineBytes)] } },
  at: "2026-12-01T12:00:00.000Z",
});

describe("watch --syslog (adversarial)", () => {
  it("syslogSink sends an alert of several KiB whole, and one too big for a datagram shortened to valid JSON with a note", async () => {
    const whole = alert(5000);
    const huge = alert(300_000);
    const [first, second] = await receive(2, async (socket) => {
      const problems: string[] = [];
      const sink = syslogSink({ socket, onProblem: (m) => problems.push(m) });
      await sink.send(whole, "crit");
      await sink.send(huge, "crit");
      assert.deepEqual(problems, []);
    });
    const body = (m: string | undefined) => (m ?? "").slice((m ?? "").indexOf(" portwatch-alert - ") + " portwatch-alert - ".length);
    assert.equal(body(first), whole);
    const short = JSON.parse(body(second)) as { id: string; note: string; identity: string; socket: { verdict: string; process: { pid: number } } };
    assert.equal(short.id, "0123456789abcdef0123456789abcdef");
    assert.equal(short.identity, "L|tcp|31337|/tmp/x|root|host");
    assert.equal(short.socket.verdict, "suspicious");
    assert.equal(short.socket.process.pid, 4242);
    assert.match(short.note, /^alert of \d+ bytes shortened to fit syslog's \d+-byte limit/);
  });

  it("fitAlert keeps a small alert as it is and never returns more than the limit, always as JSON", () => {
    assert.equal(fitAlert('{"a":1}', 100), '{"a":1}');
    for (const limit of [600, 2000, syslogLimit()]) {
      const out = fitAlert(alert(400_000), limit);
      assert.ok(Buffer.byteLength(out) <= limit, `${Buffer.byteLength(out)} > ${limit}`);
      assert.doesNotThrow(() => JSON.parse(out));
    }
    assert.equal(syslogLimit(212_992), 65_024);
  });
});
