// Replays issue 14's webhook cases against loopback HTTP servers made here: a redirect, URLs that are not
// http(s), a burst while the server is up, and the idempotency key of every delivery.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebhookSink } from "../../src/watch/webhook-sink.js";

const dir = mkdtempSync(join(tmpdir(), "pw-adv-webhook-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Got { method: string; url: string; body: string; headers: IncomingHttpHeaders }

/** A loopback server: POST /redirect answers `status` with a Location to /elsewhere; anything else is recorded and answered 204 after `delayMs`. */
function server(status = 302, delayMs = 0): Promise<{ server: Server; base: string; got: Got[] }> {
  const got: Got[] = [];
  const s = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => { body += d; });
    req.on("end", () => {
      if (req.url === "/redirect") { res.writeHead(status, { location: "/elsewhere" }).end(); return; }
      got.push({ method: req.method ?? "", url: req.url ?? "", body, headers: req.headers });
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  return new Promise((ok) => s.listen(0, "127.0.0.1", () => ok({ server: s, base: `http://127.0.0.1:${(s.address() as { port: number }).port}`, got })));
}

describe("watch --webhook (adversarial)", () => {
  for (const status of [301, 302, 307, 308]) {
    it(`WebhookSink does not follow a ${status} redirect for the POST and keeps the alert queued, saying why`, async () => {
      const srv = await server(status);
      const problems: string[] = [];
      const sink = new WebhookSink({ url: `${srv.base}/redirect`, queueDir: join(dir, `q${status}`), baseDelayMs: 100, onProblem: (m) => problems.push(m) });
      try {
        sink.send('{"id":"r1","type":"appeared"}');
        assert.equal(await sink.settle(600), 1);
        assert.deepEqual(srv.got, [], "the redirect was followed");
        assert.match(problems[0] ?? "", new RegExp(`answered ${status}, a redirect to /elsewhere: portwatch does not follow redirects`));
      } finally { sink.close(); srv.server.close(); }
    });
  }

  it("portwatch watch refuses a --webhook that is not an http(s) URL (exit 2, before watching)", () => {
    const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
    for (const [url, why] of [["data:text/plain,x", /only http: and https: URLs can take alerts, not data:/], ["file:///tmp/alerts", /not file:/], ["http//missing-colon", /it is not a URL/], ["", /it is not a URL/]] as const) {
      const r = spawnSync(main, ["watch", "--webhook", url, "--count", "1", "--no-history", "--queue-dir", join(dir, "qcli")], { encoding: "utf8", timeout: 30_000 });
      assert.equal(r.status, 2, `${url}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /watching/);
    }
  });

  it("WebhookSink delivers a burst sent while it is busy without waiting for shutdown", async () => {
    const srv = await server(302, 50);
    const sink = new WebhookSink({ url: `${srv.base}/alerts`, queueDir: join(dir, "burst"), baseDelayMs: 100 });
    try {
      sink.send('{"id":"b0"}');
      await new Promise((ok) => setTimeout(ok, 10)); // the first POST is under way
      for (let i = 1; i < 10; i++) sink.send(`{"id":"b${i}"}`);
      for (let i = 0; i < 100 && (srv.got.length < 10 || sink.pending().length > 0); i++) await new Promise((ok) => setTimeout(ok, 50));
      assert.equal(srv.got.length, 10, "alerts stayed queued while the server was up");
      assert.deepEqual(sink.pending(), []);
    } finally { sink.close(); srv.server.close(); }
  });

  it("WebhookSink sends every alert with an Idempotency-Key header equal to its id, the same on a retry", async () => {
    let answered = 0;
    const keys: string[] = [];
    const s = createServer((req, res) => { req.resume(); req.on("end", () => { keys.push(String(req.headers["idempotency-key"])); res.writeHead(answered++ === 0 ? 500 : 204).end(); }); });
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    const sink = new WebhookSink({ url: `http://127.0.0.1:${(s.address() as { port: number }).port}/`, queueDir: join(dir, "idem"), baseDelayMs: 50 });
    try {
      sink.send('{"id":"4f1c0e","type":"appeared"}');
      assert.equal(await sink.settle(5000), 0);
      assert.deepEqual(keys, ["4f1c0e", "4f1c0e"]);
    } finally { sink.close(); s.close(); }
  });
});
