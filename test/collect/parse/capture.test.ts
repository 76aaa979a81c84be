import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { classify } from "../../../src/collect/classify.js";
import { detectFormat, parseCapture, type CaptureFormat } from "../../../src/collect/parse/capture.js";
import { createServiceRegistry } from "../../../src/knowledge/service-registry.js";
import type { Socket } from "../../../src/model/socket.js";

const registry = createServiceRegistry({ etcServices: readFileSync(new URL("../../fixtures/etc-services-netbase-6.4", import.meta.url), "utf8") });
const servicePort = (name: string, proto: "tcp" | "udp") => registry.port(name, proto);
const fixture = (path: string) => readFileSync(new URL(`../../fixtures/captures/${path}`, import.meta.url), "utf8");
const parse = (path: string, format?: CaptureFormat) => parseCapture(fixture(path), { source: path, servicePort, ...(format ? { format } : {}) });
const find = (records: Socket[], proto: string, port: number, state?: string) => records.filter((s) => s.proto === proto && s.local.port === port && (state === undefined || s.state === state));

describe("parseCapture on the seed's netstat -a listing (spacing collapsed by a web page)", () => {
  const r = parse("seed/simple-security-by-evaluating-ports.txt");
  it("parseCapture reads its 8 sockets as netstat, names mapped back to ports", () => {
    assert.equal(r.format, "netstat");
    assert.equal(r.records.length, 8);
    classify(r.records, null);
    const ipp = r.records[0]!;
    assert.deepEqual([ipp.proto, ipp.local, ipp.remote, ipp.state, ipp.direction, ipp.exposure], ["tcp", { address: "127.0.0.1", port: 631 }, null, "LISTEN", "listening", "loopback"]);
    const www = r.records[1]!;
    assert.deepEqual([www.local.port, www.remote?.port, www.remote?.host, www.state, www.direction], [49132, 80, "tc-in-f19.google.co", "TIME_WAIT", "outbound"]);
    assert.deepEqual(r.records.map((s) => `${s.proto}:${s.local.port}->${s.remote?.port ?? "*"}`),
      ["tcp:631->*", "tcp:49132->80", "tcp:60227->80", "udp:33954->53", "udp:68->*", "udp:42088->53", "udp:5353->*", "udp:38142->*"]);
  });
  it("parseCapture reports the blog's prose lines as problems with their line numbers", () => {
    assert.ok(r.problems.length > 0);
    assert.ok(r.problems.every((p) => p.reason === "not a netstat socket line" && p.line !== null));
  });
});

describe("parseCapture on published captures (kellyjonbrazil/jc fixtures)", () => {
  const cases: [string, CaptureFormat, number, (r: Socket[]) => void][] = [
    ["01-netstat-lnp-ubuntu.txt", "netstat", 7, (r) => {
      const ssh6 = find(r, "tcp", 22).find((s) => s.family === 6)!;
      assert.deepEqual([ssh6.local.address, ssh6.process?.pid, ssh6.process?.name], ["::", 1127, "sshd"]);
      const raw = r.find((s) => s.proto === "raw")!;
      assert.deepEqual([raw.family, raw.local.port, raw.state, raw.process?.name], [6, 58, "UNCONN", "systemd-network"]);
      assert.equal(find(r, "udp", 68)[0]?.state, "UNCONN");
    }],
    ["02-netstat-l-ubuntu.txt", "netstat", 7, (r) => {
      assert.equal(find(r, "tcp", 22).length, 2); // ssh by name, [::]:ssh
      const bootpc = find(r, "udp", 68)[0]!;
      assert.equal(bootpc.local.host, "kbrazil-ubuntu");
    }],
    ["03-netstat-aeep-centos.txt", "netstat", 10, (r) => {
      const smtp = find(r, "tcp", 25)[0]!;
      assert.deepEqual([smtp.local.address, smtp.inode, smtp.process?.pid, smtp.process?.name, smtp.process?.user], ["127.0.0.1", 22606, 1489, "master", "root"]);
      const sshd = r.find((s) => s.process?.pid === 6492)!;
      assert.deepEqual([sshd.process?.name, sshd.remote?.port, sshd.state], ["sshd: kbrazil", 38134, "ESTABLISHED"]);
      assert.equal(r.find((s) => s.proto === "raw")?.local.port, 58); // [::]:ipv6-icmp
    }],
    ["04-netstat-lnp-progspaces.txt", "netstat", 26, (r) => {
      assert.equal(find(r, "tcp", 22)[0]?.process?.name, "sshd: /usr/sbin");
      assert.equal(find(r, "tcp", 9000)[0]?.process?.name, "pgpool: watchd");
      assert.equal(find(r, "tcp", 10050)[0]?.process?.pid, 1817931);
    }],
    ["05-netstat-noargs-fedora.txt", "netstat", 2, (r) => {
      assert.deepEqual(r.map((s) => [s.proto, s.local.port, s.remote?.port, s.state]), [["tcp", 22, 52882, "ESTABLISHED"], ["udp", 68, 67, "ESTABLISHED"]]);
      assert.equal(r[0]!.local.host, "localhost.localdoma");
    }],
    ["06-netstat-lnp-udp-nostate.txt", "netstat", 4, (r) => {
      assert.ok(r.every((s) => s.state === "UNCONN" && s.process?.name === "avahi-daemon: r" && s.process.pid === 442));
      assert.deepEqual(r.map((s) => s.local.port), [5353, 49926, 5353, 35569]);
    }],
    ["07-ss-tulpen-ubuntu.txt", "ss", 73, (r) => {
      const vxlan = find(r, "udp", 4789)[0]!;
      assert.equal(vxlan.process, null); // the kernel's: no users field
      const resolved = find(r, "udp", 53).find((s) => s.local.address === "127.0.0.53")!;
      assert.deepEqual([resolved.process?.name, resolved.process?.pid, resolved.uid, resolved.inode], ["systemd-resolve", 1117, 101, 29400]);
      assert.equal(find(r, "udp", 67)[0]?.local.address, "0.0.0.0"); // 0.0.0.0%virbr0
      assert.ok(find(r, "udp", 68).length === 2);
    }],
    ["08-netstat-an-freebsd.txt", "bsd-netstat", 6, (r) => {
      assert.deepEqual(r.map((s) => [s.proto, s.family, s.local.address, s.local.port, s.remote?.port ?? null, s.state]), [
        ["tcp", 4, "192.168.71.163", 22, 56321, "ESTABLISHED"], ["tcp", 4, "127.0.0.1", 25, null, "LISTEN"], ["tcp", 4, "0.0.0.0", 22, null, "LISTEN"],
        ["tcp", 6, "::", 22, null, "LISTEN"], ["udp", 4, "0.0.0.0", 514, null, "UNCONN"], ["udp", 6, "::", 514, null, "UNCONN"],
      ]);
    }],
    ["09-netstat-noargs-macos.txt", "bsd-netstat", 158, (r) => {
      const first = r[0]!;
      assert.deepEqual([first.local.host, first.local.port, first.remote?.address, first.remote?.port], ["kbrazil-mac.attl", 62979, "40.77.18.167", 443]);
      assert.equal(r[1]!.remote?.address, "2620:1ec:42::132");
      assert.ok(r.some((s) => s.remote?.port === 993)); // .imaps
    }],
    ["10-netstat-abno-windows.txt", "windows-netstat", 318, (r) => {
      const rpc = find(r, "tcp", 135)[0]!;
      assert.deepEqual([rpc.process?.pid, rpc.process?.name, rpc.state], [1712, "svchost.exe (RpcSs)", "LISTEN"]);
      assert.equal(find(r, "tcp", 445)[0]?.process?.name, "System");
      assert.equal(find(r, "tcp", 1134)[0]?.process?.name, "Spotify.exe");
      assert.ok(r.some((s) => s.proto === "udp" && s.remote === null && s.state === "UNCONN"));
      assert.ok(r.some((s) => s.family === 6 && s.local.address === "::"));
    }],
    ["11-netstat-ano-windows.txt", "windows-netstat", 208, (r) => {
      assert.deepEqual([find(r, "tcp", 135)[0]?.process?.pid, find(r, "tcp", 135)[0]?.remote], [1712, null]);
    }],
  ];
  for (const [file, format, count, check] of cases) {
    it(`parseCapture reads ${file} as ${format}: ${count} sockets, no problems`, () => {
      const r = parse(`published/${file}`);
      assert.equal(r.format, format);
      assert.deepEqual(r.problems, []);
      assert.equal(r.records.length, count);
      check(r.records);
    });
  }
});

describe("parseCapture on this machine's netstat, ss and lsof (every flag combination captured)", () => {
  const manifest = JSON.parse(fixture("debian12/MANIFEST.json")) as { holder: { pid: number; tcpListen: number; tcpClient: number; udp: number; udpConnected: number; tcp6Listen: number; udp6: number }; commands: Record<string, string> };
  const h = manifest.holder;
  for (const [name, command] of Object.entries(manifest.commands)) {
    it(`parseCapture reads \`${command}\` with no problems and finds the holder's sockets`, () => {
      const r = parse(`debian12/${name}.txt`);
      const want = name.startsWith("ss") ? "ss" : name.startsWith("lsof") ? "lsof" : "netstat";
      if (r.records.length === 0) { // ss -wa / netstat -wan: no raw sockets were open
        assert.ok(/-w/.test(command), `${command} gave no sockets`);
        return;
      }
      assert.equal(r.format, want);
      assert.deepEqual(r.problems, []);
      const withPid = /-\w*p|lsof/.test(command);
      const listens = /-\w*[al]|lsof|LISTEN/.test(command) && !/-iUDP/.test(command);
      const tcpOnly = /-\w*t\w*$|-lt|-iTCP/.test(command) && !/u/.test(command.replace(/^(netstat|ss|lsof)/, "").replace(/-iUDP/, "u"));
      if (listens) {
        const l = find(r.records, "tcp", h.tcpListen, "LISTEN")[0];
        assert.ok(l, `no listener on ${h.tcpListen}`);
        assert.equal(l.local.address, "127.0.0.1");
        if (withPid) assert.equal(l.process?.pid, h.pid);
        const l6 = find(r.records, "tcp", h.tcp6Listen, "LISTEN")[0];
        assert.equal(l6?.family, 6);
      }
      const flags = command.startsWith("lsof") ? "" : (/ -(\w+)/.exec(command)?.[1] ?? "");
      if (!flags.includes("l") && !/LISTEN|-iUDP/.test(command)) {
        const c = find(r.records, "tcp", h.tcpClient, "ESTABLISHED")[0];
        assert.ok(c, `no client socket on ${h.tcpClient}`);
        assert.equal(c.remote?.port, h.tcpListen);
        if (withPid) assert.equal(c.process?.pid, h.pid);
      }
      if (!tcpOnly && /-\w*u|-a$|^netstat$|-iUDP|lsof -i$|lsof -nP -i$/.test(command) && /-\w*a|lsof|-l/.test(command)) {
        const u = find(r.records, "udp", h.udp)[0];
        assert.ok(u, `no UDP socket on ${h.udp}`);
        assert.equal(u.state, "UNCONN");
        assert.equal(u.remote, null);
      }
    });
  }
});

describe("detectFormat", () => {
  it("detectFormat names no format for text that is not a capture, and scores every format", () => {
    const r = detectFormat(["Dear diary,", "today I opened some ports.", "{ \"not\": \"ours\" }"]);
    assert.equal(r.format, null);
    assert.deepEqual(Object.keys(r.scores).sort(), ["bsd-netstat", "lsof", "netstat", "portwatch-json", "ss", "windows-netstat"]);
  });
});
