import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChangeEvent } from "../../src/model/change.js";
import type { Socket } from "../../src/model/socket.js";
import type { Verdict } from "../../src/model/verdict.js";
import { alertFilter } from "../../src/watch/alerts.js";
import { execSink } from "../../src/watch/exec-sink.js";
import { syslogSink } from "../../src/watch/syslog-sink.js";
import { spawn } from "node:child_process";
import { WebhookSink } from "../../src/watch/webhook-sink.js";

const dir = mkdtempSync(join(tmpdir(), "pw-sinks-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const event = (type: ChangeEvent["type"], identity: string, verdict: Verdict): ChangeEvent =>
  ({ type, identity, at: "2026-11-26T12:00:00.000Z", socket: { verdict } as Socket });

describe("alertFilter", () => {
  it("alertFilter alerts new unknown or suspicious sockets once per identity, again only when worse", () => {
    const isAlert = alertFilter();
    const seq: [ChangeEvent, boolean][] = [
      [event("appeared", "L|tcp|22|sshd", "expected"), false],
      [event("appeared", "L|tcp|9999|x", "unknown"), true],
      [event("disappeared", "L|tcp|9999|x", "unknown"), false],
      [event("appeared", "L|tcp|9999|x", "unknown"), false], // a restart: no new alert
      [event("verdict-changed", "L|tcp|9999|x", "suspicious"), true],
      [event("appeared", "O|tcp|/tmp/bot|6667", "suspicious"), true],
    ];
    for (const [e, want] of seq) assert.equal(isAlert(e), want, `${e.type} ${e.identity}`);
  });
});

/** A loopback HTTP server that fails the first `failures` requests with 503 and records the rest. */
function server(failures: number): Promise<{ server: Server; url: string; got: string[]; attempts: () => number }> {
  const got: string[] = [];
  let attempts = 0;
  const s = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (d: Buffer) => { body += d; });
    req.on("end", () => {
      attempts++;
      if (attempts <= failures) { res.writeHead(503).end(); return; }
      got.push(body);
      res.writeHead(204).end();
    });
  });
  return new Promise((ok) => s.listen(0, "127.0.0.1", () => {
    const port = (s.address() as { port: number }).port;
    ok({ server: s, url: `http://127.0.0.1:${port}/alerts`, got, attempts: () => attempts });
  }));
}

describe("WebhookSink", () => {
  it("WebhookSink retries with backoff until the server takes the alerts, in order, then empties its queue", async () => {
    const srv = await server(2);
    const sink = new WebhookSink({ url: srv.url, queueDir: join(dir, "q1"), baseDelayMs: 50, maxDelayMs: 200 });
    try {
      sink.send('{"id":"a1","n":1}');
      sink.send('{"id":"a2","n":2}');
      assert.equal(await sink.settle(10_000), 0);
      assert.deepEqual(srv.got, ['{"id":"a1","n":1}', '{"id":"a2","n":2}']);
      assert.equal(srv.attempts(), 4);
    } finally { sink.close(); srv.server.close(); }
  });

  it("WebhookSink keeps alerts on disk while the server is down and a new run delivers them", async () => {
    const down = await server(0);
    const deadUrl = down.url;
    await new Promise((ok) => down.server.close(ok)); // nothing listens there now
    const queueDir = join(dir, "q2");
    const first = new WebhookSink({ url: deadUrl, queueDir, baseDelayMs: 50 });
    first.send('{"n":"a"}');
    first.send('{"n":"b"}');
    assert.equal(await first.settle(300), 2);
    first.close(); // the watcher stops (or is killed): the alerts stay queued
    assert.equal(first.pending().length, 2);
    const up = await server(0);
    const second = new WebhookSink({ url: up.url, queueDir, baseDelayMs: 50 });
    try {
      second.kick();
      assert.equal(await second.settle(10_000), 0);
      // Alerts queued without an id get one from their text: the same on every retry.
      assert.deepEqual(up.got.map((b) => { const { id, ...rest } = JSON.parse(b); assert.match(id, /^[0-9a-f]{32}$/); return rest; }), [{ n: "a" }, { n: "b" }]);
    } finally { second.close(); up.server.close(); }
  });

  it("WebhookSink's messages show its URL without the user, password and query values it carries", async () => {
    const down = await server(0);
    const port = new URL(down.url).port;
    await new Promise((ok) => down.server.close(ok));
    const problems: string[] = [];
    const sink = new WebhookSink({ url: `http://alice:s3cret@127.0.0.1:${port}/hook?token=t0ken`, queueDir: join(dir, "q-redact"), baseDelayMs: 50, onProblem: (m) => problems.push(m) });
    try {
      sink.send('{"n":1}');
      await sink.settle(300);
    } finally { sink.close(); }
    assert.ok(problems.length > 0);
    for (const m of problems) {
      assert.doesNotMatch(m, /s3cret|alice|t0ken/);
      assert.match(m, new RegExp(`http://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${port}/hook\\?token=\\*\\*\\*`));
    }
  });
});

describe("execSink", () => {
  it("execSink runs the program without a shell and hands it the alert on stdin", async () => {
    const out = join(dir, "exec-out.json");
    const script = join(dir, "record.mjs");
    writeFileSync(script, `import { writeFileSync } from "node:fs"; let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => writeFileSync(${JSON.stringify(out)}, s + "|" + process.argv.slice(2).join(",")));`);
    await execSink(`${process.execPath} ${script} one $(touch${dir}/pwned) ;rm`).send('{"type":"appeared"}');
    assert.equal(readFileSync(out, "utf8"), '{"type":"appeared"}|one,$(touch' + dir + "/pwned),;rm");
    assert.equal(existsSync(join(dir, "pwned")), false);
  });

  it("execSink stops a program that takes too long, with its process group, and reports it", async () => {
    const problems: string[] = [];
    const started = Date.now();
    await execSink(`${process.execPath} -e setTimeout(()=>{},60000)`, { timeoutMs: 300, onProblem: (m) => problems.push(m) }).send("{}");
    assert.ok(Date.now() - started < 5000);
    assert.match(problems[0] ?? "", /took longer than 300 ms: stopped/);
  });

  it("execSink reports a program that cannot run", async () => {
    const problems: string[] = [];
    await execSink("/nonexistent/notify", { onProblem: (m) => problems.push(m) }).send("{}");
    assert.match(problems[0] ?? "", /could not run/);
  });
});

describe("syslogSink", () => {
  it("syslogSink writes an RFC 5424 message with the alert to a Unix datagram socket", async () => {
    const sockPath = join(dir, "log.sock");
    // A stand-in /dev/log: python3 receives one datagram and prints it (Node has no Unix datagram sockets).
    const receiver = spawn("python3", ["-c", [
      "import socket, sys",
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
      `s.bind(${JSON.stringify(sockPath)})`,
      "s.settimeout(10)",
      "print('ready', flush=True)",
      "print(s.recv(65536).decode(), flush=True)",
    ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      let got = "";
      receiver.stdout.on("data", (d: Buffer) => { got += d; });
      for (let i = 0; i < 100 && !got.includes("ready"); i++) await new Promise((ok) => setTimeout(ok, 50));
      const problems: string[] = [];
      await syslogSink({ socket: sockPath, onProblem: (m) => problems.push(m) }).send('{"type":"appeared","identity":"L|tcp|31337|/tmp/x|root|host"}', "crit");
      await new Promise((ok) => receiver.once("close", ok));
      assert.deepEqual(problems, []);
      // <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG — auth (4) * 8 + crit (2) = 34
      assert.match(got, /<34>1 \d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d \S+ portwatch \S+ portwatch-alert \S+ \{"type":"appeared","identity":"L\|tcp\|31337\|\/tmp\/x\|root\|host"\}/);
    } finally {
      if (receiver.exitCode === null && receiver.pid) process.kill(receiver.pid, "SIGKILL");
    }
  });
});
