#!/usr/bin/env node
// Captures the native sock_diag dump and the /proc/net text of this host at the same moment, as a test
// fixture for src/collect/parse/sock-diag.ts: test/fixtures/sock-diag/<name>/{tcp,tcp6,udp,udp6}.{bin,txt}.
// Opens a known set of loopback sockets first (IPv4, IPv6, a dual-stack listener reached over IPv4, so
// the kernel prints a v4-mapped address), and refuses to write a fixture when the two views disagree
// (a socket opened or closed between the reads: run it again on a quiet host).
// Usage (as root, after npm ci): node scripts/capture-sock-diag.mjs [name]   Loopback only.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, connect } from "node:net";
import { createSocket } from "node:dgram";
import { hostname } from "node:os";

const name = process.argv[2] ?? "debian12";
const root = new URL("..", import.meta.url).pathname;
const addon = createRequire(import.meta.url)(`${root}build/Release/portwatch.node`);
const { decodeSockDiag } = await import(`${root}dist/collect/parse/sock-diag.js`);
const { parseProcNet } = await import(`${root}dist/collect/parse/proc-net.js`);

const listen = (server, host) => new Promise((ok, fail) => { server.once("error", fail); server.listen(0, host, () => ok(server.address().port)); });
const bind = (sock, host) => new Promise((ok, fail) => { sock.once("error", fail); sock.bind(0, host, () => ok(sock.address().port)); });
const connected = (port, host) => new Promise((ok, fail) => { const c = connect(port, host, () => ok(c)); c.once("error", fail); });

const keep = [];
const tcp4 = createServer((c) => keep.push(c));
const tcp4Port = await listen(tcp4, "127.0.0.1");
keep.push(await connected(tcp4Port, "127.0.0.1"));
const dual = createServer((c) => keep.push(c));
const dualPort = await listen(dual, "::"); // dual-stack: an IPv4 client shows as ::ffff:127.0.0.1 in tcp6
keep.push(await connected(dualPort, "127.0.0.1"), await connected(dualPort, "::1"));
const u4 = createSocket("udp4"); const u4Port = await bind(u4, "127.0.0.1");
const u4c = createSocket("udp4"); await bind(u4c, "127.0.0.1"); await new Promise((ok) => u4c.connect(u4Port, "127.0.0.1", ok));
const u6 = createSocket("udp6"); await bind(u6, "::1");
await new Promise((ok) => setTimeout(ok, 100));

const tables = [["tcp", 4, 6], ["tcp6", 6, 6], ["udp", 4, 17], ["udp6", 6, 17]];
const dir = `${root}test/fixtures/sock-diag/${name}`;
mkdirSync(dir, { recursive: true });
const key = (s) => JSON.stringify([s.proto, s.family, s.local, s.remote, s.state, s.inode, s.uid]);
for (const [file, family, protocol] of tables) {
  const { records } = addon.sockDiag(family, protocol);
  const text = readFileSync(`/proc/self/net/${file}`, "latin1");
  const fromDiag = []; decodeSockDiag(records, protocol === 6 ? "tcp" : "udp", null, fromDiag);
  const fromText = parseProcNet(text, { proto: protocol === 6 ? "tcp" : "udp", family, source: file, netns: null }).records;
  const a = fromDiag.map(key).sort(), b = fromText.map(key).sort();
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    console.error(`${file}: the dump and the text disagree (a socket changed between the reads); run again on a quiet host`);
    process.exit(1);
  }
  writeFileSync(`${dir}/${file}.bin`, records);
  writeFileSync(`${dir}/${file}.txt`, text);
  console.log(`${file}: ${fromDiag.length} sockets`);
}
writeFileSync(`${dir}/SOURCE.md`, `Captured by scripts/capture-sock-diag.mjs on ${hostname()} (${process.platform}, Linux ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}), ${new Date().toISOString().slice(0, 10)}.\n` +
  `Each table's native sock_diag records (*.bin, the 48-byte records of native/portwatch.c, little-endian x86_64) and its /proc/self/net text (*.txt), read back to back while the script held\n` +
  `a TCP listener on 127.0.0.1 with one client, a dual-stack listener on :: with an IPv4 client (v4-mapped) and an IPv6 client, UDP on 127.0.0.1 (one connected) and on ::1; the host's own sockets too.\n`);
for (const s of keep) s.destroy();
process.exit(0);
