import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tcpCounters } from "../../../src/collect/parse/tcp-counters.js";

// test/fixtures/procnet/vm-counters/: this project's VM's /proc/net/snmp, sockstat and sockstat6 (see SOURCE.md there).
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/procnet/vm-counters/${name}`, import.meta.url), "utf8");
const [snmp, sockstat, sockstat6] = ["snmp", "sockstat", "sockstat6"].map(fixture) as [string, string, string];

/** The fixture's text with the value of one Tcp field of snmp replaced. */
function withSnmp(field: string, value: string): string {
  const lines = snmp.split("\n");
  const at = lines.findIndex((l) => l.startsWith("Tcp: ") && l.includes(field));
  const names = (lines[at] as string).split(" "), values = (lines[at + 1] as string).split(" ");
  values[names.indexOf(field)] = value;
  lines[at + 1] = values.join(" ");
  return lines.join("\n");
}

describe("tcpCounters", () => {
  it("tcpCounters reads the opens, failures, resets and established count of snmp, and TCP's sockets in use, orphaned and in TIME_WAIT of sockstat and sockstat6", () => {
    const tcp = /^Tcp: (.*)$/gm;
    tcp.exec(snmp);
    const values = (tcp.exec(snmp)?.[1] ?? "").split(" ");
    const v4 = /^TCP: inuse (\d+) orphan (\d+) tw (\d+)/m.exec(sockstat);
    assert.equal(tcpCounters(snmp, sockstat, sockstat6), [values[4], values[5], values[6], values[7], values[8], v4?.[1], v4?.[2], v4?.[3], /^TCP6: inuse (\d+)/m.exec(sockstat6)?.[1]].join(" "));
  });

  it("tcpCounters changes with each counter a connection that comes or goes moves", () => {
    const base = tcpCounters(snmp, sockstat, sockstat6);
    for (const field of ["ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab"]) {
      assert.notEqual(tcpCounters(withSnmp(field, "987654321"), sockstat, sockstat6), base, field);
    }
    assert.notEqual(tcpCounters(snmp, sockstat.replace(/tw \d+/, "tw 4242"), sockstat6), base, "tw");
    assert.notEqual(tcpCounters(snmp, sockstat.replace(/^TCP: inuse \d+/m, "TCP: inuse 4242"), sockstat6), base, "inuse");
    assert.notEqual(tcpCounters(snmp, sockstat, sockstat6.replace(/^TCP6: inuse \d+/m, "TCP6: inuse 4242")), base, "inuse of TCP6");
  });

  it("tcpCounters does not change with traffic on the same connections (segments, memory)", () => {
    const base = tcpCounters(snmp, sockstat, sockstat6);
    assert.equal(tcpCounters(withSnmp("InSegs", "1"), sockstat, sockstat6), base);
    assert.equal(tcpCounters(snmp, sockstat.replace(/mem \d+/, "mem 99999"), sockstat6), base);
  });

  it("tcpCounters is null for a file that is missing or not as the kernel prints it", () => {
    assert.equal(tcpCounters("", sockstat, sockstat6), null);
    assert.equal(tcpCounters(snmp, "", sockstat6), null);
    assert.equal(tcpCounters(snmp, sockstat, ""), null);
    assert.equal(tcpCounters(withSnmp("CurrEstab", "x"), sockstat, sockstat6), null);
    assert.equal(tcpCounters(snmp.replace(/^Tcp: .*\n/m, ""), sockstat, sockstat6), null, "a names line without its values");
  });
});
