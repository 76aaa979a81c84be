import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHttpsServer } from "../helpers/https-server.js";

// `portwatch lists update asn` against a local HTTPS server (a self-signed certificate made here, trusted
// through NODE_EXTRA_CA_CERTS), serving the real ip-location-db excerpt (test/fixtures/blocklists) in two
// halves as two sources. Later updates meet an unchanged file (304), a download cut short, a server error
// and a page that holds no range: the good copies stay byte for byte, and an audit still names the owners.
// The audit reads a real Windows capture (test/fixtures/captures/windows/netstat-anb-fr.txt) whose peers
// 3.162.38.x are in the excerpt (AS16509, Amazon).

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const EXCERPT = readFileSync(new URL("../fixtures/blocklists/asn-ipv4-num-excerpt.csv", import.meta.url), "utf8");
const rows = EXCERPT.split("\n");
const HALF_A = `${rows.slice(0, 1000).join("\n")}\n`;
const HALF_B = rows.slice(1000).join("\n");
const CAPTURE = new URL("../fixtures/captures/windows/netstat-anb-fr.txt", import.meta.url).pathname;

let phase = 1;
const conditional: string[] = [];

function serve(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): void {
  const path = req.url ?? "";
  if (path === "/a") {
    if (phase === 3) { res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Moved to our new download page</body></html>\n"); return; }
    if (req.headers["if-none-match"] === '"a-1"') { conditional.push("a"); res.writeHead(304).end(); return; }
    res.writeHead(200, { etag: '"a-1"' }).end(HALF_A);
    return;
  }
  if (path === "/b") {
    if (phase === 1) { res.writeHead(200).end(HALF_B); return; }
    if (phase === 3) { res.writeHead(500).end("oops"); return; }
    // The headers promise the whole file; the connection closes after a part of it.
    res.writeHead(200, { "content-length": String(Buffer.byteLength(HALF_B)) });
    res.write(HALF_B.slice(0, 5000));
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  res.writeHead(404).end();
}

describe("portwatch lists update asn", () => {
  let dir = "";
  let server: Server;
  let base = "";
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => new Promise<{ code: number; out: string; err: string }>((ok) => {
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (e, out, err) => ok({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, out, err }));
  });
  const owners = async () => {
    const r = await run("--from", CAPTURE, "--json");
    assert.equal(r.code, 0, r.err);
    const sockets = (JSON.parse(r.out) as { sockets: { remote: { address: string; asn?: unknown } | null }[] }).sockets;
    return new Map(sockets.filter((s) => s.remote !== null).map((s) => [s.remote!.address, s.remote!.asn]));
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pw-lists-asn-"));
    let cert: string;
    ({ server, base, cert } = await startHttpsServer(dir, serve));
    env = { ...process.env, NODE_EXTRA_CA_CERTS: cert, PORTWATCH_STATE_DIR: join(dir, "state") };
  });
  after(() => { server?.close(); server?.closeAllConnections(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it("lists update asn fetches the database only when asked, names owners in audits, and keeps every good copy when a later download fails, is cut short or holds no range", async () => {
    const lists = join(dir, "state", "lists");
    const plain = await run("lists", "update");
    assert.equal(plain.code, 0, plain.err);
    assert.ok(!existsSync(join(lists, "asn.json")), "a plain update downloads no network owners' database that was never asked for");
    assert.equal((await owners()).get("3.162.38.8"), undefined, "no database: no remote.asn");

    const first = await run("lists", "update", "asn", "--asn-url", `${base}/a`, "--asn-url", `${base}/b`);
    assert.equal(first.code, 0, first.out + first.err);
    assert.match(first.out, /^asn \(https:\/\/127\.0\.0\.1:\d+\/a\): 1000 ranges$/m);
    assert.match(first.out, /^asn \(https:\/\/127\.0\.0\.1:\d+\/b\): 1000 ranges$/m);
    assert.match(first.out, /CC BY 4\.0/);
    const copies = [readFileSync(join(lists, "asn-0.csv"), "utf8"), readFileSync(join(lists, "asn-1.csv"), "utf8")];
    assert.deepEqual(copies, [HALF_A, HALF_B]);
    const seen = await owners();
    assert.deepEqual(seen.get("3.162.38.8"), { number: 16509, org: "Amazon.com, Inc." });
    assert.equal(seen.get("10.33.51.1") ?? null, null);
    const table = await run("--from", CAPTURE, "-A");
    assert.match(table.out, /^Proto\s+Local Address\s+Foreign Address\s+Network\s+State/m);
    assert.match(table.out, /3\.162\.38\.8:443\s+AS16509 Amazon\.com, Inc\./);
    const explained = await run("--from", CAPTURE, "--explain");
    assert.match(explained.out, /the other end is in AS16509 Amazon\.com, Inc\.'s network/);
    // A compiled index others can write is not read: the audit goes on whole, names no owner and says why.
    chmodSync(join(lists, "asn.bin"), 0o666);
    const unsafe = await run("--from", CAPTURE, "--json");
    assert.equal(unsafe.code, 0, unsafe.err);
    const doc = JSON.parse(unsafe.out) as { sockets: { remote: { asn?: unknown } | null }[]; warnings: string[] };
    assert.ok(doc.sockets.length > 10, String(doc.sockets.length));
    assert.deepEqual(doc.sockets.filter((x) => x.remote?.asn != null).map((x) => x.remote), [], "no owner is named");
    assert.ok(doc.warnings.some((w) => /network owners' database could not be read.*asn\.bin.*every user/.test(w)), doc.warnings.join("\n"));
    chmodSync(join(lists, "asn.bin"), 0o600);

    phase = 2;
    const second = await run("lists", "update", "asn");
    assert.equal(second.code, 1, second.out + second.err);
    assert.match(second.out, /^asn \(https:\/\/127\.0\.0\.1:\d+\/a\): not changed since .* \(1000 ranges\)$/m);
    assert.deepEqual(conditional, ["a"]);
    assert.match(second.out, /^asn \(https:\/\/127\.0\.0\.1:\d+\/b\): FAILED: the download broke off after \d+ .*; the previous copy is kept$/m);

    phase = 3;
    const third = await run("lists", "update"); // fetched once: a plain update refreshes it too
    assert.equal(third.code, 1, third.out + third.err);
    assert.doesNotMatch(third.out, /No list is enabled/, "no address list was ever enabled: a plain update speaks of the network owners only");
    assert.match(third.out, /^asn \(https:\/\/127\.0\.0\.1:\d+\/a\): FAILED: the new copy holds no range \(https:\/\/127\.0\.0\.1:\d+\/a:1:1: 1 field\(s\): a row is start,end,asn,organisation: .*\); the previous copy is kept$/m);
    assert.match(third.out, /^asn \(https:\/\/127\.0\.0\.1:\d+\/b\): FAILED: the server answered 500 .*; the previous copy is kept$/m);
    assert.deepEqual([readFileSync(join(lists, "asn-0.csv"), "utf8"), readFileSync(join(lists, "asn-1.csv"), "utf8")], copies);
    assert.deepEqual((await owners()).get("3.162.38.8"), { number: 16509, org: "Amazon.com, Inc." });

    const shown = await run("lists", "show");
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^asn \(network owners, ip-location-db asn data, CC BY 4\.0: Route Views and DB-IP\)\n  source: https:\/\/127\.0\.0\.1:\d+\/a\n    1000 ranges, fetched .* UTC\n    last update FAILED: the new copy holds no range/m);
  });

  it("lists update asn refuses a plain http:// URL, and lists add refuses the name asn", async () => {
    const r = await run("lists", "update", "asn", "--asn-url", "http://127.0.0.1:9/asn.csv");
    assert.equal(r.code, 2);
    assert.match(r.err, /Cannot use --asn-url "http:\/\/127\.0\.0\.1:9\/asn\.csv": the network owners' database is fetched over HTTPS only/);
    const a = await run("lists", "add", "asn", "https://example.org/x.txt");
    assert.equal(a.code, 2);
    assert.match(a.err, /"asn" is the network owners' database/);
  });
});
