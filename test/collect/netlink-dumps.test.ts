import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCollectSession, dumpsDigest, glanceNamespace, LISTENING_TCP, type Dumps } from "../../src/collect/netlink-dumps.js";
import { createOwnerCache } from "../../src/collect/linux.js";
import type { NativeAddon } from "../../src/collect/native.js";

const dumps = (over: Partial<Dumps> = {}): Dumps => ({
  tcp: Buffer.from([1, 2, 3]), tcp6: new Uint8Array(0), udp: Buffer.from([4]), udp6: Buffer.from([5, 6]), raw: "raw line\n", raw6: "", ...over,
});

describe("dumpsDigest", () => {
  const cases: [string, Dumps, boolean][] = [
    ["equal bytes in other buffers", dumps({ tcp: new Uint8Array([1, 2, 3]) }), true],
    ["a view into a larger buffer with the same bytes", dumps({ udp6: Buffer.from([0, 5, 6, 7]).subarray(1, 3) }), true],
    ["one byte of tcp changed", dumps({ tcp: Buffer.from([1, 2, 4]) }), false],
    ["tcp6 no longer empty", dumps({ tcp6: Buffer.from([9]) }), false],
    ["udp shorter", dumps({ udp: Buffer.alloc(0) }), false],
    ["udp6 changed", dumps({ udp6: Buffer.from([5, 7]) }), false],
    ["raw text changed", dumps({ raw: "raw line 2\n" }), false],
    ["raw6 text appeared", dumps({ raw6: "x\n" }), false],
    ["bytes moved from one table to the next", dumps({ tcp: Buffer.from([1, 2]), tcp6: Buffer.from([3]) }), false],
    ["text moved from raw to raw6", dumps({ raw: "raw ", raw6: "line\n" }), false],
  ];
  for (const [what, other, same] of cases) {
    it(`dumpsDigest is ${same ? "the same" : "another"} when ${what}`, () => {
      assert.equal(dumpsDigest(dumps()) === dumpsDigest(other), same);
    });
  }
});

describe("createCollectSession", () => {
  it("createCollectSession starts by trying the one-walk TCP dump, and every owner cache has a session of its own", () => {
    assert.deepEqual(createCollectSession(), { tcpOfBothFamilies: true });
    const a = createOwnerCache(), b = createOwnerCache();
    a.session.tcpOfBothFamilies = false;
    assert.equal(b.session.tcpOfBothFamilies, true);
  });
});

describe("glanceNamespace", () => {
  // A namespace's /proc/<pid>/net: this VM's real counters (test/fixtures/procnet/vm-counters) and raw tables
  // (test/fixtures/procnet/debian12-mixed), in a folder the test changes; the dumps come from a scripted addon.
  const base = mkdtempSync(join(tmpdir(), "pw-glance-"));
  after(() => rmSync(base, { recursive: true, force: true }));
  for (const f of ["snmp", "sockstat", "sockstat6"]) cpSync(new URL(`../fixtures/procnet/vm-counters/${f}`, import.meta.url), join(base, f));
  for (const f of ["raw", "raw6"]) cpSync(new URL(`../fixtures/procnet/debian12-mixed/${f}`, import.meta.url), join(base, f));
  const asked: string[] = [];
  let records: Record<string, number[]> = { tcp: [1], udp: [2], udp6: [3] };
  let interrupted = 0;
  const addon = {
    sockDiag(family: number, protocol: number, path?: string, states?: number) {
      asked.push(`${family}/${protocol}/${states === LISTENING_TCP ? "listen" : states === ~0 >>> 0 ? "all" : String(states)}/${path ?? "own"}`);
      const table = protocol === 6 ? "tcp" : family === 6 ? "udp6" : "udp";
      return { records: Buffer.from(records[table] ?? []), interrupted: interrupted-- > 0 };
    },
  } as unknown as NativeAddon;
  const glance = () => glanceNamespace(addon, "/proc/42/ns/net", base, createCollectSession());
  const edit = (file: string, change: (text: string) => string) => writeFileSync(join(base, file), change(readFileSync(join(base, file), "utf8")));

  it("glanceNamespace dumps TCP's listeners only, and every UDP socket of both families, in the namespace it is given", () => {
    asked.length = 0;
    assert.notEqual(glance(), null);
    assert.deepEqual(asked, ["0/6/listen//proc/42/ns/net", "4/17/all//proc/42/ns/net", "6/17/all//proc/42/ns/net"]);
  });

  it("glanceNamespace is another when a TCP counter, a listener, a UDP socket or a raw socket changed, and the same when nothing did", () => {
    const first = glance();
    assert.equal(glance(), first, "nothing changed");
    const changes: [string, () => void, () => void][] = [
      ["a connection was made (ActiveOpens)", () => edit("snmp", (t) => t.replace(/^(Tcp: \d+ \d+ \d+ -?\d+ )(\d+)/m, (_m, a: string, n: string) => `${a}${Number(n) + 1}`)), () => edit("snmp", (t) => t.replace(/^(Tcp: \d+ \d+ \d+ -?\d+ )(\d+)/m, (_m, a: string, n: string) => `${a}${Number(n) - 1}`))],
      ["a TIME_WAIT ended (tw)", () => edit("sockstat", (t) => t.replace(/tw (\d+)/, (_m, n: string) => `tw ${Number(n) + 1}`)), () => edit("sockstat", (t) => t.replace(/tw (\d+)/, (_m, n: string) => `tw ${Number(n) - 1}`))],
      ["a listener changed", () => { records = { ...records, tcp: [9] }; }, () => { records = { ...records, tcp: [1] }; }],
      ["a UDP socket changed", () => { records = { ...records, udp6: [3, 3] }; }, () => { records = { ...records, udp6: [3] }; }],
      ["a raw socket appeared", () => edit("raw", (t) => `${t}x\n`), () => edit("raw", (t) => t.slice(0, -2))],
    ];
    for (const [what, change, undo] of changes) {
      change();
      assert.notEqual(glance(), first, what);
      undo();
      assert.equal(glance(), first, `${what}, undone`);
    }
  });

  it("glanceNamespace takes a dump the kernel called inconsistent again, and is null when it never came out whole or a counter file is missing", () => {
    const whole = glance();
    interrupted = 2;
    assert.equal(glance(), whole, "twice interrupted, then whole");
    interrupted = 3;
    assert.equal(glance(), null, "interrupted every time");
    interrupted = 0;
    assert.equal(glanceNamespace(addon, undefined, null, createCollectSession()), null, "no /proc/net to read");
    const snmp = readFileSync(join(base, "snmp"), "utf8");
    rmSync(join(base, "snmp"));
    try { assert.equal(glance(), null, "no snmp"); } finally { writeFileSync(join(base, "snmp"), snmp); }
  });
});
