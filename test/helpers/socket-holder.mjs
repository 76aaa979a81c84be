#!/usr/bin/env node
// Opens a known set of loopback sockets, prints their ports as one JSON line, and holds them until
// stdin closes or --ttl seconds pass (always bounded). Used by live tests, the netns test and the
// fixture capture script. Touches only 127.0.0.1 and ::1.
import { createServer, connect } from "node:net";
import { createSocket } from "node:dgram";

const ttl = Number(process.argv[process.argv.indexOf("--ttl") + 1] || 30);
const noV6 = process.argv.includes("--no-ipv6");
const listen = (server, host) => new Promise((ok, fail) => { server.once("error", fail); server.listen(0, host, () => ok(server.address().port)); });
const bind = (sock, host) => new Promise((ok, fail) => { sock.once("error", fail); sock.bind(0, host, () => ok(sock.address().port)); });

const accepted = [];
const server = createServer((c) => accepted.push(c));
const tcpListen = await listen(server, "127.0.0.1");
const client = connect(tcpListen, "127.0.0.1");
await new Promise((ok) => client.once("connect", ok));
const udp = createSocket("udp4");
const udpPort = await bind(udp, "127.0.0.1");
const udpConnected = createSocket("udp4");
const udpConnectedPort = await bind(udpConnected, "127.0.0.1");
await new Promise((ok) => udpConnected.connect(udpPort, "127.0.0.1", ok));
const out = { pid: process.pid, tcpListen, tcpClient: client.localPort, udp: udpPort, udpConnected: udpConnectedPort };
if (!noV6) {
  const server6 = createServer(() => {});
  out.tcp6Listen = await listen(server6, "::1");
  out.udp6 = await bind(createSocket("udp6"), "::1");
}
while (accepted.length === 0) await new Promise((ok) => setTimeout(ok, 5));
process.stdout.write(JSON.stringify(out) + "\n");
const timer = setTimeout(() => process.exit(0), ttl * 1000);
process.stdin.on("end", () => { clearTimeout(timer); process.exit(0); });
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
