import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemotePeer, type RemotePeer } from "../helpers/remote-peer.js";

// Issue 16, the live test: a program connects to two addresses of a peer in a network namespace this test
// creates (test/helpers/remote-peer.ts), one of them on an address list planted in a temporary state
// directory, the other on none. `portwatch audit --json` (dist/, as a user runs it) must call the first
// suspicious, naming the list, and leave the second alone. Assertions are about the planted process only.
// The state directory also holds a network owners' database (as portwatch lists update asn leaves it): the
// real ip-location-db excerpt (test/fixtures/blocklists) and, written here since no published table has
// the documentation ranges the peer lives in, one IPv4 and one IPv6 row giving them to the documentation
// AS numbers 64496 and 64497 (RFC 5398). Every connection of the holder must carry remote.asn.

const asRoot = process.getuid?.() === 0;
const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const HOLDER = `import json, os, signal, socket, sys, time
signal.alarm(30)
a = socket.create_connection((sys.argv[1], 8443), timeout=10)
b = socket.create_connection((sys.argv[2], 8443), timeout=10)
print(json.dumps({"pid": os.getpid()}), flush=True)
time.sleep(30)
`;

interface JsonSocket { process: { pid: number } | null; remote: { address: string; asn?: { number: number; org: string | null } | null; lists?: { name: string; category: string | null; date: string | null; network: string }[] } | null; verdict: string; reasons: { rule: string; message: string }[]; explanation: string }

describe("blocklist rule on a live host", { skip: asRoot ? false : "needs root (network namespaces)" }, () => {
  let peer: RemotePeer;
  let holder: ChildProcess | null = null;
  let pid = 0;
  let state = "";
  let app = "";
  before(async () => {
    peer = await createRemotePeer({ tcp: [8443], ttlSeconds: 45 });
    state = mkdtempSync(join(tmpdir(), "pw-lists-"));
    mkdirSync(join(state, "lists"), { mode: 0o700 });
    // A list in FireHOL's shape that names only the peer's IPv4 address.
    writeFileSync(join(state, "lists", "planted-c2.txt"), `#\n# planted-c2\n#\n# Category        : malware\n# Source File Date: Fri Oct 23 13:45:29 UTC 2015\n#\n${peer.address4}\n`, { mode: 0o600 });
    writeFileSync(join(state, "lists", "lists.json"), JSON.stringify({ version: 1, lists: [{ name: "planted-c2", source: "/dev/null", category: null, enabled: true }] }), { mode: 0o600 });
    const excerpt = readFileSync(new URL("../fixtures/blocklists/asn-ipv4-num-excerpt.csv", import.meta.url), "utf8");
    writeFileSync(join(state, "lists", "asn-0.csv"), `${excerpt}3405803776,3405804031,64496,"Planted documentation network, IPv4"\n`, { mode: 0o600 });
    writeFileSync(join(state, "lists", "asn-1.csv"), "2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64497,Planted documentation network IPv6\n", { mode: 0o600 });
    writeFileSync(join(state, "lists", "asn.json"), JSON.stringify({ version: 1, sources: [{ url: "https://example.invalid/asn-ipv4-num.csv" }, { url: "https://example.invalid/asn-ipv6.csv" }] }), { mode: 0o600 });
    // A script file, not python3 -c (which is the shape of a one-line reverse shell: a rule of its own), where
    // an administrator installs programs: one in /tmp, a folder anyone can write to, is a dropped program (writable-dir-exe).
    mkdirSync("/opt", { recursive: true });
    app = mkdtempSync("/opt/pw-lists-");
    writeFileSync(join(app, "holder.py"), HOLDER, { mode: 0o600 });
    holder = spawn("/usr/bin/python3", [join(app, "holder.py"), peer.address4, peer.address6], { stdio: ["ignore", "pipe", "inherit"] });
    pid = await new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("the holder did not connect")), 15_000);
      holder!.stdout!.once("data", (d: Buffer) => { clearTimeout(timer); ok((JSON.parse(String(d)) as { pid: number }).pid); });
      holder!.once("exit", (code) => { clearTimeout(timer); fail(new Error(`the holder exited (${code})`)); });
    });
  });
  after(() => {
    if (holder?.pid !== undefined && holder.exitCode === null) try { process.kill(holder.pid, "SIGKILL"); } catch { /* gone */ }
    peer?.close();
    if (state) rmSync(state, { recursive: true, force: true });
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it("audit calls a connection to a listed address suspicious, naming the list, and leaves an unlisted one alone", () => {
    const r = spawnSync(process.execPath, [MAIN, "audit", "--json"], { encoding: "utf8", timeout: 60_000, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PORTWATCH_STATE_DIR: state } });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { sockets: JsonSocket[]; warnings: string[] };
    const mine = out.sockets.filter((s) => s.process?.pid === pid && s.remote !== null);
    const listed = mine.find((s) => s.remote!.address === peer.address4 || s.remote!.address === `::ffff:${peer.address4}`);
    const unlisted = mine.find((s) => s.remote!.address === peer.address6);
    assert.ok(listed && unlisted, `both connections seen: ${JSON.stringify(mine.map((s) => s.remote))}`);
    assert.equal(listed.verdict, "suspicious");
    assert.deepEqual(listed.remote!.lists, [{ name: "planted-c2", category: "malware", date: "2015-10-23T13:45:29Z", network: peer.address4 }]);
    const reason = listed.reasons.find((x) => x.rule === "blocklist");
    assert.ok(reason, JSON.stringify(listed.reasons));
    assert.match(reason.message, new RegExp(`${peer.address4.replace(/\./g, "\\.")}, is on planted-c2 \\(malware, dated 2015-10-23\\)`));
    assert.match(listed.explanation, /is on planted-c2/);
    assert.equal(unlisted.remote!.lists, undefined);
    assert.ok(!unlisted.reasons.some((x) => x.rule === "blocklist"));
    assert.notEqual(unlisted.verdict, "suspicious", JSON.stringify(unlisted.reasons));
    assert.ok(out.warnings.some((w) => /Address lists applied: planted-c2 \(1 network, 2015-10-23\)/.test(w)), out.warnings.join("\n"));
  });

  it("audit names the network owner of each remote end in JSON and in the explanation when the database is present", () => {
    const r = spawnSync(process.execPath, [MAIN, "audit", "--json"], { encoding: "utf8", timeout: 60_000, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PORTWATCH_STATE_DIR: state } });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { sockets: JsonSocket[]; warnings: string[] };
    const mine = out.sockets.filter((s) => s.process?.pid === pid && s.remote !== null);
    const v4 = mine.find((s) => s.remote!.address === peer.address4 || s.remote!.address === `::ffff:${peer.address4}`);
    const v6 = mine.find((s) => s.remote!.address === peer.address6);
    assert.ok(v4 && v6, `both connections seen: ${JSON.stringify(mine.map((s) => s.remote))}`);
    assert.deepEqual(v4.remote!.asn, { number: 64496, org: "Planted documentation network, IPv4" });
    assert.deepEqual(v6.remote!.asn, { number: 64497, org: "Planted documentation network IPv6" });
    assert.match(v6.explanation, /; the other end is in AS64497 Planted documentation network IPv6's network$/);
    assert.ok(out.warnings.some((w) => /^Network owners: 2 file\(s\) of ip-location-db's asn data/.test(w)), out.warnings.join("\n"));
  });
});
