import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseEtcServices } from "../../src/knowledge/parse-etc-services.js";
import { createServiceRegistry, serviceFor } from "../../src/knowledge/service-registry.js";

const etcServices = readFileSync(new URL("../fixtures/etc-services-netbase-6.4", import.meta.url), "utf8");

describe("parseEtcServices", () => {
  it("parseEtcServices reads Debian netbase 6.4's /etc/services with aliases", () => {
    const { records, skipped } = parseEtcServices(etcServices);
    assert.equal(skipped, 0);
    assert.ok(records.length > 300);
    assert.deepEqual(records.find((r) => r.port === 80 && r.proto === "tcp"), { port: 80, proto: "tcp", name: "http", aliases: ["www"] });
    assert.equal(records.find((r) => r.port === 6667)?.name, "ircd");
  });
  it("parseEtcServices counts lines that are not services", () => {
    assert.deepEqual(parseEtcServices("bogus\nfoo 99999/tcp\nbar 12/sctp\nbaz x/tcp\nok 7/udp # echo\n"), { records: [{ port: 7, proto: "udp", name: "ok", aliases: [] }], skipped: 3 });
  });
});

describe("createServiceRegistry", () => {
  const withEtc = createServiceRegistry({ etcServices });
  const bare = createServiceRegistry();
  // 6667 is in portwatch's range 6665-6669 (ircu, as IANA names the range), which its reasons name: /etc/services' ircd yields.
  const cases: [number, "tcp" | "udp" | "raw", string | null][] = [
    [631, "tcp", "ipp"], [5353, "udp", "mdns"], [68, "udp", "bootpc"], [53, "udp", "domain"], [80, "tcp", "http"],
    [6667, "tcp", "ircu"], [22, "tcp", "ssh"], [9100, "tcp", "jetdirect"], [38142, "udp", null], [1, "raw", null],
  ];
  for (const [port, proto, want] of cases) {
    it(`createServiceRegistry names ${port}/${proto} ${want} with and without /etc/services`, () => {
      assert.equal(withEtc.name(port, proto), want);
      assert.equal(bare.name(port, proto), want);
    });
  }
  it("createServiceRegistry maps names and aliases back to ports (www, ipp, domain)", () => {
    assert.deepEqual([withEtc.port("www", "tcp"), withEtc.port("ipp", "tcp"), withEtc.port("domain", "udp"), withEtc.port("38142", "udp"), withEtc.port("nope", "tcp")], [80, 631, 53, 38142, null]);
    assert.ok(bare.size > 10000);
  });
});

describe("serviceFor", () => {
  const reg = createServiceRegistry();
  it("serviceFor names listeners and inbound by the local port and outbound by the remote port", () => {
    const local = { port: 631 }, remote = { port: 443 };
    assert.deepEqual(serviceFor(reg, { proto: "tcp", direction: "listening", local, remote: null }), { name: "ipp", port: 631 });
    assert.deepEqual(serviceFor(reg, { proto: "tcp", direction: "inbound", local, remote: { port: 50000 } }), { name: "ipp", port: 631 });
    assert.deepEqual(serviceFor(reg, { proto: "tcp", direction: "outbound", local: { port: 50000 }, remote }), { name: "https", port: 443 });
    assert.equal(serviceFor(reg, { proto: "udp", direction: "outbound", local, remote: { port: 38142 } }), null);
  });
});
