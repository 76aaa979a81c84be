import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { eachProcNetLocalPort, parseProcNet } from "../../src/collect/parse/proc-net.js";
import { decodeSockDiag, eachLocalPort } from "../../src/collect/parse/sock-diag.js";
import {
  addListed, addListedSockets, noListedPorts, stillUnlisted, unlistedPorts, unlistedSocket, type PortProbe,
} from "../../src/collect/unlisted-ports.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { createKnowledge } from "../../src/knowledge/knowledge.js";
import type { Socket } from "../../src/model/socket.js";

// Captures of a real Debian 12 host (see each folder's SOURCE.md).
const procnet = (file: string) => readFileSync(new URL(`../fixtures/procnet/debian12-mixed/${file}`, import.meta.url), "latin1");
const diag = (file: string) => new Uint8Array(readFileSync(new URL(`../fixtures/sock-diag/debian12/${file}.bin`, import.meta.url)));

/** A probe result as the addon gives it: port | flags << 16 (1 wildcard bind failed, 2 loopback bind failed too). */
const probe = (proto: "tcp" | "udp", family: 4 | 6, ports: readonly (readonly [number, number])[]): PortProbe =>
  ({ proto, family, inUse: Uint32Array.from(ports.map(([port, flags]) => port | (flags << 16))) });

const capturedTcp = (): Socket[] => parseProcNet(procnet("tcp"), { proto: "tcp", family: 4, source: "tcp", netns: null }).records;

describe("eachProcNetLocalPort and eachLocalPort", () => {
  it("eachProcNetLocalPort reads the local port of every line of a captured /proc/net table, as parseProcNet does", () => {
    for (const [file, proto, family] of [["tcp", "tcp", 4], ["tcp6", "tcp", 6], ["udp6", "udp", 6]] as const) {
      const ports: number[] = [];
      eachProcNetLocalPort(procnet(file), (p) => ports.push(p));
      assert.deepEqual(ports, parseProcNet(procnet(file), { proto, family, source: file, netns: null }).records.map((s) => s.local.port), file);
    }
  });

  it("eachLocalPort reads the local port and family of every captured netlink record, as decodeSockDiag does", () => {
    for (const [file, proto] of [["tcp", "tcp"], ["tcp6", "tcp"], ["udp", "udp"], ["udp6", "udp"]] as const) {
      const got: string[] = [];
      eachLocalPort(diag(file), (port, family) => got.push(`${family}:${port}`));
      const decoded: Socket[] = [];
      decodeSockDiag(diag(file), proto, null, decoded);
      assert.deepEqual(got, decoded.map((s) => `${s.family}:${s.local.port}`), file);
    }
  });
});

describe("unlistedPorts", () => {
  it("unlistedPorts reports only the in-use port no view lists, with the binds that failed", () => {
    const sockets = capturedTcp();
    const listed = noListedPorts();
    addListedSockets(listed, sockets);
    // The captured host's own ports are in use and listed (listener, connections, TIME_WAIT); 31337 and 31338 are not listed.
    const inUse = [...sockets.map((s) => [s.local.port, 3] as const), [31337, 3], [31338, 1]] as const;
    assert.ok(sockets.some((s) => s.state === "TIME_WAIT") && sockets.some((s) => s.state === "ESTABLISHED"), "the capture has TIME_WAIT and connections");
    assert.deepEqual(unlistedPorts([probe("tcp", 4, inUse)], listed), [
      { proto: "tcp", family: 4, port: 31337, bind: "wildcard-and-loopback" },
      { proto: "tcp", family: 4, port: 31338, bind: "wildcard-only" },
    ]);
  });

  it("unlistedPorts counts an IPv6 socket for a failed IPv4 bind (dual-stack), but not an IPv4 socket for an IPv6 bind (IPV6_V6ONLY)", () => {
    const listed = noListedPorts();
    addListed(listed, "tcp", 6, 8080);
    addListed(listed, "udp", 4, 5353);
    assert.deepEqual(unlistedPorts([probe("tcp", 4, [[8080, 3]]), probe("udp", 4, [[5353, 3]])], listed), []);
    assert.deepEqual(unlistedPorts([probe("udp", 6, [[5353, 3]])], listed).map((c) => c.port), [5353]);
    // A TCP socket does not explain a UDP port.
    assert.deepEqual(unlistedPorts([probe("udp", 4, [[8080, 1]])], listed).map((c) => `${c.proto}${c.family}:${c.port}`), ["udp4:8080"]);
  });

  it("stillUnlisted keeps a candidate only while its bind still fails and no view lists it", () => {
    const candidates = unlistedPorts([probe("tcp", 4, [[40001, 3], [40002, 3], [40003, 3]])], noListedPorts());
    const now = noListedPorts();
    addListed(now, "tcp", 4, 40002); // a connection that was made while the views were read: listed now
    // 40001 still in use and unlisted; 40003 closed meanwhile (its bind works now).
    assert.deepEqual(stillUnlisted(candidates, [probe("tcp", 4, [[40001, 3], [40002, 3]])], now).map((c) => c.port), [40001]);
  });
});

describe("unlistedSocket", () => {
  it("unlistedSocket is judged suspicious by the rule unlisted-port, with owner unknown and how it was seen", () => {
    const knowledge = createKnowledge();
    const both = unlistedSocket({ proto: "tcp", family: 4, port: 40123, bind: "wildcard-and-loopback" }, 4026531840);
    const other = unlistedSocket({ proto: "udp", family: 6, port: 31338, bind: "wildcard-only" }, 4026531840);
    for (const s of [both, other]) s.direction = "listening";
    evaluate([both, other], { knowledge, mode: "live-root", origin: "live", selfPid: 1 });
    assert.deepEqual([both.verdict, both.process, both.inode, both.local, both.unlisted], ["suspicious", null, null, { address: "0.0.0.0", port: 40123 }, "wildcard-and-loopback"]);
    assert.deepEqual(both.reasons.map((r) => r.rule), ["unlisted-port"]);
    assert.match(both.reasons[0]?.message ?? "", /^Binding port 40123\/tcp over IPv4 fails on every address and on loopback.*neither ss's view \(netlink\) nor netstat's view \(\/proc\/net\) lists a socket on it/);
    assert.match(other.explanation ?? "", /^Binding port 31338\/udp \(IPv6\) fails on every address, though not on loopback \(so it is held on another address\)/);
    assert.match(other.explanation ?? "", /nmap -sU -p 31338/);
  });
});
