import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FleetChange, FleetFinding, FleetHost } from "../../src/model/fleet.js";
import { renderFleetChanges, renderFleetFind, renderFleetHosts } from "../../src/report/render-fleet.js";

const host = (hostId: string, hostname: string, suspicious: number, stale: string | null): FleetHost => ({
  hostId, hostname, lastLook: "2026-12-01T12:00:00.000Z", intervalMs: 2000, counts: { expected: 40, unknown: 3, suspicious }, notReportingSince: stale,
});
const finding = (hostname: string, verdict: string, name: string): FleetFinding => ({
  hostId: `${hostname}-id`, hostname, identity: `L|tcp|6667|/usr/bin/${name}|root|host`, verdict, proto: "tcp", port: 6667, direction: "listening",
  program: `/usr/bin/${name}`, name, local: "0.0.0.0:6667", remote: null, lists: [], lastSeen: "2026-12-01T12:00:00.000Z",
});
const paint = { red: (s: string) => `<red>${s}</red>`, yellow: (s: string) => `<yellow>${s}</yellow>`, green: (s: string) => `<green>${s}</green>` };

describe("renderFleetHosts", () => {
  it("renderFleetHosts aligns one line per host under its headers and says which hosts are not reporting since when", () => {
    const out = renderFleetHosts([host("a1", "web1", 0, null), host("b22222", "database-server", 1, null), host("c3", "mail", 0, "2026-12-01T11:00:00.000Z")]);
    const lines = out.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^Host\s+Host id\s+Last look\s+Suspicious\s+Unknown\s+Expected\s+Status$/);
    const col = (lines[0] ?? "").indexOf("Last look");
    for (const l of lines.slice(1, 4)) assert.match(l.slice(col), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d/, l);
    assert.match(lines[3] ?? "", /^mail\s.*not reporting since \d{4}-\d\d-\d\d/);
    assert.equal(lines.at(-1), "3 host(s), 1 not reporting");
  });

  it("renderFleetHosts colours a host with suspicious sockets red and one not reporting yellow, only when given colours", () => {
    const hosts = [host("a1", "web1", 0, null), host("b2", "db", 1, null), host("c3", "mail", 0, "2026-12-01T11:00:00.000Z")];
    const lines = renderFleetHosts(hosts, { paint }).split("\n");
    assert.deepEqual(lines.slice(1, 4).map((l) => /^<(\w+)>/.exec(l)?.[1] ?? null), [null, "red", "yellow"]);
    assert.doesNotMatch(renderFleetHosts(hosts), /<red>|\u001b/);
  });

  it("renderFleetHosts says so when no host has written yet", () => {
    assert.equal(renderFleetHosts([]), "No host has written to this fleet store yet.\n");
  });
});

describe("renderFleetFind", () => {
  it("renderFleetFind shows a program name's terminal escapes as text and counts identities and hosts", () => {
    const out = renderFleetFind([finding("web1", "suspicious", "ev\u001b[31mil"), finding("web2", "unknown", "ircd")]);
    assert.ok(!out.includes("\u001b"));
    assert.match(out, /ev\\x1b\[31mil/);
    assert.match(out, /^2 socket identities on 2 host\(s\)$/m);
    assert.equal(renderFleetFind([]), "No host's last look has such a socket.\n");
  });
});

describe("renderFleetChanges", () => {
  it("renderFleetChanges shows each change with its host, the verdict it came from, port and program", () => {
    const change: FleetChange = { hostId: "a1", hostname: "web1", at: "2026-12-01T12:00:00.000Z", type: "verdict-changed", identity: "L|tcp|6667|/usr/bin/ircd|root|host", verdict: "suspicious", was: "unknown", program: "/usr/bin/ircd", port: 6667 };
    const out = renderFleetChanges([change], { paint });
    assert.match(out.split("\n")[0] ?? "", /^When\s+Host\s+Change\s+Verdict\s+Port\s+Program\s+Identity$/);
    assert.match(out, /^<red>.*web1\s+verdict-changed\s+unknown -> suspicious\s+6667\s+\/usr\/bin\/ircd\s+L\|tcp\|6667/m);
    assert.equal(renderFleetChanges([]), "No changes on any host in that time.\n");
  });
});
