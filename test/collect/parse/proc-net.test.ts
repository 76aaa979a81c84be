import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import type { Problem } from "../../../src/model/problem.js";
import type { Socket } from "../../../src/model/socket.js";
import { decodeProcAddress, encodeProcAddress, formatIpv6, parseProcNet, stateName } from "../../../src/collect/parse/proc-net.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/procnet/debian12-mixed/${name}`, import.meta.url), "latin1");
const opts = (proto: "tcp" | "udp" | "raw", family: 4 | 6) => ({ proto, family, source: `/proc/net/${proto}`, netns: 4026531833 } as const);

describe("parseProcNet", () => {
  it("parseProcNet reads every line of a real tcp table", () => {
    const { records, problems } = parseProcNet(fixture("tcp"), opts("tcp", 4));
    assert.deepEqual(problems, []);
    assert.equal(records.length, 5);
    const listener = records[0]!;
    assert.deepEqual([listener.local, listener.remote, listener.state, listener.inode, listener.uid], [{ address: "0.0.0.0", port: 2024 }, null, "LISTEN", 1582, 0]);
    const est = records.find((r) => r.inode === 8222)!;
    assert.deepEqual([est.local, est.remote, est.state], [{ address: "127.0.0.1", port: 45144 }, { address: "127.0.0.1", port: 39843 }, "ESTABLISHED"]);
    assert.equal(records.filter((r) => r.state === "TIME_WAIT" && r.inode === 0).length, 3);
  });

  it("parseProcNet decodes IPv6, loopback and v4-mapped addresses of a real tcp6 table", () => {
    const { records, problems } = parseProcNet(fixture("tcp6"), opts("tcp", 6));
    assert.deepEqual(problems, []);
    assert.deepEqual(records.map((r) => [r.local.address, r.local.port, r.remote?.address ?? null, r.state]), [
      ["::1", 34883, null, "LISTEN"],
      ["::", 39843, null, "LISTEN"],
      ["::ffff:127.0.0.1", 39843, "::ffff:127.0.0.1", "ESTABLISHED"],
      ["::ffff:127.0.0.1", 33435, "::ffff:127.0.0.1", "TIME_WAIT"],
    ]);
    assert.ok(records.every((r) => r.family === 6 && r.netns === 4026531833));
  });

  it("parseProcNet reads unconnected UDP as UNCONN and raw protocol numbers as ports", () => {
    const udp6 = parseProcNet(fixture("udp6"), opts("udp", 6)).records;
    assert.deepEqual(udp6.map((r) => [r.local.address, r.local.port, r.remote, r.state]), [["::", 33346, null, "UNCONN"]]);
    const raw = parseProcNet(fixture("raw"), opts("raw", 4)).records;
    assert.deepEqual(raw.map((r) => [r.local.port, r.state, r.inode]), [[1, "UNCONN", 7213]]); // ICMP
    const raw6 = parseProcNet(fixture("raw6"), opts("raw", 6)).records;
    assert.deepEqual(raw6.map((r) => [r.local.address, r.local.port]), [["::", 58]]); // ICMPv6
    assert.deepEqual(parseProcNet(fixture("udp"), opts("udp", 4)), { records: [], problems: [] });
  });

  const header = fixture("tcp").split("\n")[0]!;
  const good = fixture("tcp").split("\n")[1]!;
  const bad: [string, string, RegExp][] = [
    ["a truncated line", good.slice(0, 40), /expected at least 10 fields/],
    ["a non-hex address", good.replace("00000000:07E8", "0000000G:07E8"), /not hexadecimal/],
    ["a short address", good.replace("00000000:07E8", "000000:07E8"), /address:port/],
    ["an unknown state", good.replace(" 0A ", " 7F "), /unknown socket state "7F"/],
    ["a non-numeric inode", good.replace(" 1582 ", " x582 "), /not a decimal/],
    ["binary noise", "\u0000\u00ff\u0001 :: \u0007", /expected at least 10 fields/],
  ];
  for (const [what, line, reason] of bad) {
    it(`parseProcNet reports ${what} as a problem with its line and keeps the good lines`, () => {
      const { records, problems } = parseProcNet(`${header}\n${line}\n${good}\n`, opts("tcp", 4));
      assert.equal(records.length, 1);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.line, 2);
      assert.match(problems[0]!.reason, reason);
      assert.equal(problems[0]!.source, "/proc/net/tcp");
    });
  }

  it("parseProcNet numbers lines across chunks and skips the header only in the first", () => {
    const text = fixture("tcp");
    const lines = text.split("\n");
    const first = lines.slice(0, 3).join("\n") + "\n", rest = lines.slice(3).join("\n");
    const records: Socket[] = [], problems: Problem[] = [];
    parseProcNet(first, { ...opts("tcp", 4), records, problems });
    parseProcNet(rest.replace("0100007F:8F27", "zz"), { ...opts("tcp", 4), firstLine: 4, records, problems });
    assert.equal(records.length, 4);
    assert.equal(problems[0]?.line, 6);
  });
});

describe("stateName", () => {
  it("stateName maps kernel codes to netstat names and UDP close to UNCONN", () => {
    assert.deepEqual([stateName("tcp", 1), stateName("tcp", 0x0a), stateName("tcp", 6), stateName("tcp", 7), stateName("udp", 7), stateName("udp", 1), stateName("raw", 7), stateName("tcp", 0x20)],
      ["ESTABLISHED", "LISTEN", "TIME_WAIT", "CLOSE", "UNCONN", "ESTABLISHED", "UNCONN", null]);
  });
});

describe("decodeProcAddress", () => {
  const cases: [string, boolean, string | null][] = [
    ["0100007F", true, "127.0.0.1"],
    ["7F000001", false, "127.0.0.1"],
    ["00000000", true, "0.0.0.0"],
    ["00000000000000000000000001000000", true, "::1"],
    ["0000000000000000FFFF00000100007F", true, "::ffff:127.0.0.1"],
    ["B80D0120000000000000000001000000", true, "2001:db8::1"],
    ["20010DB8000000000000000000000001", false, "2001:db8::1"],
    ["0100007", true, null],
    ["XX00007F", true, null],
  ];
  for (const [hex, le, want] of cases) {
    it(`decodeProcAddress reads ${hex} (${le ? "little" : "big"}-endian) as ${want}`, () => assert.equal(decodeProcAddress(hex, le), want));
  }

  it("decodeProcAddress round-trips any IPv4 address through encodeProcAddress on both byte orders", () => {
    fc.assert(fc.property(fc.ipV4(), fc.boolean(), (ip, le) => decodeProcAddress(encodeProcAddress(ip, le), le) === ip), { numRuns: 2000 });
  });

  it("decodeProcAddress formats any 16 bytes (biased to zero runs and v4-mapped) as ipaddr.js's RFC 5952 form, and encodeProcAddress inverts it", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.constant(255), fc.nat(255)), { minLength: 16, maxLength: 16 }).map((a) => Uint8Array.from(a)), fc.boolean(), (bytes, le) => {
      const words = [0, 4, 8, 12].map((i) => bytes.slice(i, i + 4));
      const hex = words.map((w) => Array.from(le ? [...w].reverse() : w, (x) => x.toString(16).toUpperCase().padStart(2, "0")).join("")).join("");
      const ip = ipaddr.fromByteArray(Array.from(bytes)) as ipaddr.IPv6;
      const want = ip.isIPv4MappedAddress() ? `::ffff:${ip.toIPv4Address().toString()}` : ip.toRFC5952String();
      const got = decodeProcAddress(hex, le);
      return got === want && encodeProcAddress(want, le) === hex;
    }), { numRuns: 3000 });
  });

  it("decodeProcAddress round-trips generated IPv6 text (ipaddr.js reads ::a.b.c.d as mapped, so those are left out)", () => {
    fc.assert(fc.property(fc.ipV6().filter((ip) => !ip.includes(".")), fc.boolean(), (ip, le) =>
      decodeProcAddress(encodeProcAddress(ip, le), le) === ipaddr.IPv6.parse(ip).toRFC5952String()), { numRuns: 2000 });
  });
});

describe("formatIpv6", () => {
  it("formatIpv6 compresses the longest zero run, the first on ties, and never a single zero word", () => {
    const b = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    assert.equal(formatIpv6(b("20010db8000000010000000000000001")), "2001:db8:0:1::1");
    assert.equal(formatIpv6(b("20010db8000000000001000000000001")), "2001:db8::1:0:0:1");
    assert.equal(formatIpv6(b("20010db8000100010001000100010001")), "2001:db8:1:1:1:1:1:1");
    assert.equal(formatIpv6(b("20010000000100010001000100010001")), "2001:0:1:1:1:1:1:1");
    assert.equal(formatIpv6(b("00000000000000000000000000000000")), "::");
  });
});
