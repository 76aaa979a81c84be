import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHttpsServer } from "../helpers/https-server.js";

// `portwatch lists` against a local HTTPS server (a self-signed certificate made here, trusted through
// NODE_EXTRA_CA_CERTS), serving real published lists (test/fixtures/blocklists). The second update meets
// an unchanged list (304), a server error, a download cut short and a copy with no address: every good
// copy from the first update must still be there, byte for byte.

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/blocklists/${name}`, import.meta.url), "utf8");
const FEODO = fixture("feodo.ipset");
const DROP = fixture("spamhaus-drop-2016-03-23-head.txt");
const EDROP = fixture("spamhaus-edrop-2015-09-28.txt");
const CSV = fixture("feodo-ipblocklist-2021-08-17-head.csv");

let phase = 1;
const conditional: string[] = [];

function serve(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): void {
  const path = req.url ?? "";
  if (path === "/good") {
    if (req.headers["if-none-match"] === '"feodo-1"') { conditional.push("good"); res.writeHead(304).end(); return; }
    res.writeHead(200, { etag: '"feodo-1"', "last-modified": "Fri, 23 Oct 2015 13:45:29 GMT" }).end(FEODO);
    return;
  }
  if (path === "/flaky") {
    if (phase === 1) res.writeHead(200).end(DROP); else res.writeHead(500).end("oops");
    return;
  }
  if (path === "/cut") {
    if (phase === 1) { res.writeHead(200).end(EDROP); return; }
    // The headers promise the whole list; the connection closes after half of it.
    res.writeHead(200, { "content-length": String(EDROP.length) });
    res.write(EDROP.slice(0, 1000));
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  if (path === "/empty") {
    if (phase === 1) res.writeHead(200).end(CSV); else res.writeHead(200).end("# nothing here today\n");
    return;
  }
  res.writeHead(404).end();
}

describe("portwatch lists", () => {
  let dir = "";
  let server: Server;
  let base = "";
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => new Promise<{ code: number; out: string; err: string }>((ok) => {
    execFile(process.execPath, [MAIN, "lists", ...args], { env, timeout: 30_000 }, (e, out, err) => ok({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, out, err }));
  });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pw-lists-cli-"));
    let cert: string;
    ({ server, base, cert } = await startHttpsServer(dir, serve));
    env = { ...process.env, NODE_EXTRA_CA_CERTS: cert, PORTWATCH_STATE_DIR: join(dir, "state") };
  });
  after(() => { server?.close(); server?.closeAllConnections(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it("lists update keeps every good copy when a later download fails, is cut short or holds no address", async () => {
    for (const [name, path, cat] of [["good", "/good", "malware"], ["flaky", "/flaky", "reputation"], ["cut", "/cut", "reputation"], ["empty", "/empty", "malware"]] as const) {
      const added = await run("add", name, `${base}${path}`, "--category", cat);
      assert.equal(added.code, 0, added.err);
      assert.match(added.out, /nothing downloaded yet/);
    }
    const lists = join(dir, "state", "lists");
    assert.ok(!existsSync(join(lists, "good.txt")), "add downloads nothing");
    const first = await run("update");
    assert.equal(first.code, 0, first.out + first.err);
    assert.match(first.out, /^good: 235 networks, dated 2015-10-23$/m);
    assert.match(first.out, /^flaky: 9 networks, dated 2016-03-22$/m);
    assert.match(first.out, /^cut: 71 networks/m);
    assert.match(first.out, /^empty: 6 networks, dated 2021-08-17$/m);
    const copies = Object.fromEntries(["good", "flaky", "cut", "empty"].map((n) => [n, readFileSync(join(lists, `${n}.txt`), "utf8")]));
    assert.equal(copies.good, FEODO);

    phase = 2;
    const second = await run("update");
    assert.equal(second.code, 1, second.out + second.err);
    assert.match(second.out, /^good: not changed since /m);
    assert.deepEqual(conditional, ["good"]);
    assert.match(second.out, /^flaky: FAILED: the server answered 500 .*; the previous copy is kept$/m);
    assert.match(second.out, /^cut: FAILED: the download broke off after \d+ .*; the previous copy is kept$/m);
    assert.match(second.out, /^empty: FAILED: the new copy holds no address; the previous copy is kept$/m);
    for (const n of ["good", "flaky", "cut", "empty"]) assert.equal(readFileSync(join(lists, `${n}.txt`), "utf8"), copies[n], n);

    const shown = await run("show");
    assert.equal(shown.code, 0);
    assert.match(shown.out, /^flaky \(enabled\), reputation\n  source: https:\/\/127\.0\.0\.1:\d+\/flaky\n  9 networks, dated 2016-03-22, fetched .* UTC\n  last update FAILED: the server answered 500/m);
  });

  it("lists add refuses a plain http:// URL", async () => {
    const r = await run("add", "plain", "http://127.0.0.1:9/list.txt");
    assert.equal(r.code, 2);
    assert.match(r.err, /not .*https:\/\/ URL nor a file \(lists are fetched over HTTPS only\)/);
  });

  it("lists add takes a file's copy at once, and lists enable-defaults adds three lists without downloading", async () => {
    const file = new URL("../fixtures/blocklists/spamhaus-edrop-2015-09-28.txt", import.meta.url).pathname;
    const r = await run("add", "edrop", file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Added "edrop" from .*: 71 networks, dated 2015-09-27/);
    const d = await run("enable-defaults");
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /firehol_level1: added and enabled[^]*feodo: added[^]*spamhaus_drop: added[^]*Nothing was downloaded/);
    assert.ok(!existsSync(join(dir, "state", "lists", "firehol_level1.txt")));
  });

  it("lists and each of its commands have --help", async () => {
    for (const sub of [[], ["add"], ["update"], ["show"], ["enable-defaults"], ["enable"], ["disable"]]) {
      const r = await run(...sub, "--help");
      assert.equal(r.code, 0, `${sub.join(" ")}: ${r.err}`);
      assert.match(r.out, /^Usage: portwatch lists/m);
    }
  });
});
