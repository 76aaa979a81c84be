import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseCapture } from "../../../src/collect/parse/capture.js";
import { windowsNetstatReader } from "../../../src/collect/parse/netstat-windows.js";
import { createServiceRegistry } from "../../../src/knowledge/service-registry.js";
import type { Socket } from "../../../src/model/socket.js";

const registry = createServiceRegistry();
const servicePort = (name: string, proto: "tcp" | "udp") => registry.port(name, proto);
const parse = (path: string) => parseCapture(readFileSync(new URL(`../../fixtures/captures/${path}`, import.meta.url), "utf8"), { source: path, servicePort });
const at = (records: Socket[], proto: string, port: number, state?: string) => records.filter((s) => s.proto === proto && s.local.port === port && (state === undefined || s.state === state));

describe("windowsNetstatReader on netstat -b made without -o (no PID column)", () => {
  it("windowsNetstatReader reads netstat -a -n -b (French) with the owner lines under each row", () => {
    const r = parse("windows/netstat-anb-fr.txt");
    assert.equal(r.format, "windows-netstat");
    assert.deepEqual(r.problems, []);
    assert.equal(r.records.length, 324);
    const rpc = at(r.records, "tcp", 135, "LISTEN");
    assert.deepEqual(rpc.map((s) => [s.family, s.process?.name, s.remote]), [[4, "svchost.exe (RpcSs)", null], [6, "svchost.exe (RpcSs)", null]]);
    assert.equal(at(r.records, "tcp", 445)[0]?.process, null, "Impossible d’obtenir les informations de propriétaire: no owner");
    assert.equal(at(r.records, "tcp", 60851)[0]?.process?.name, "svchost.exe (CDPUserSvc_1e10a891)");
    assert.equal(at(r.records, "tcp", 60394)[0]?.state, "LAST_ACK");
    const finished = r.records.filter((s) => s.state === "TIME_WAIT");
    assert.ok(finished.length > 100 && finished.every((s) => s.process === null), "TIME_WAIT rows have no owner line");
    const quic = at(r.records, "udp", 49195)[0];
    assert.deepEqual([quic?.state, quic?.remote, quic?.process?.name], ["ESTABLISHED", { address: "172.217.20.170", port: 443 }, "chrome.exe"]);
    assert.ok(r.records.filter((s) => s.process !== null).every((s) => s.process?.pid === 0));
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0]!, /without -o/);
  });

  it("windowsNetstatReader reads netstat -a -b (French): host names stay names, service names become ports", () => {
    const r = parse("windows/netstat-ab-fr.txt");
    assert.equal(r.format, "windows-netstat");
    assert.deepEqual(r.problems, []);
    assert.equal(r.records.length, 28);
    assert.ok(r.records.filter((s) => s.state === "LISTEN").every((s) => s.remote === null), "adclick:0 is no peer");
    const nv = at(r.records, "tcp", 52664)[0]!;
    assert.deepEqual([nv.remote, nv.process?.name], [{ address: "DESKTOP-ON7BJGL", host: "DESKTOP-ON7BJGL", port: 65001 }, "nvcontainer.exe"]);
    assert.deepEqual(at(r.records, "tcp", 49445)[0]?.remote, { address: "40.67.251.132", port: 443 });
    assert.equal(at(r.records, "tcp", 49445)[0]?.process?.name, "svchost.exe (WpnService)");
    assert.equal(at(r.records, "tcp", 52665, "LISTEN")[0]?.process?.name, "NVIDIA Web Helper.exe");
    assert.equal(at(r.records, "tcp", 54599)[0]?.process, null, "the last row, cut by the author, has no owner");
    assert.equal(r.notes.filter((n) => /without -n/.test(n)).length, 1, "one note says the capture was made without -n");
  });

  it("windowsNetstatReader still reads -abno with its process ids and no notes", () => {
    const r = parse("published/10-netstat-abno-windows.txt");
    assert.deepEqual(at(r.records, "tcp", 135)[0]?.process, { pid: 1712, name: "svchost.exe (RpcSs)", exe: null, exeDeleted: false, cmdline: null, uid: null, user: null, containerId: null, netns: null });
    assert.deepEqual(r.notes, []);
  });

  it("windowsNetstatReader reads a 1 MiB line of digits in well under a second (no quadratic pattern)", () => {
    const line = "7".repeat(1 << 20);
    for (const text of [line, `TCP ${line}`, `${line} ${line} ${line}`, `1.${line}`]) {
      const reader = windowsNetstatReader({ source: "big" });
      const t0 = performance.now();
      reader.line(text, 1);
      const r = reader.finish();
      const ms = performance.now() - t0;
      assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
      assert.equal(r.records.length, 0);
    }
  });
});
