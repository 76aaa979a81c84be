import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ipKey, parseResolvConf } from "../../../src/collect/parse/resolv-conf.js";

// test/fixtures/resolv-conf/: /etc/resolv.conf as systemd-resolved writes it (a stub on 127.0.0.53) and as a
// VM's DHCP client writes it (public servers, IPv6 with a zone), see the README there.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/resolv-conf/${name}`, import.meta.url), "utf8");

describe("parseResolvConf", () => {
  it("parseResolvConf reads systemd-resolved's stub file: one nameserver, comments and options left out", () => {
    assert.deepEqual(parseResolvConf(fixture("systemd-resolved-stub.conf")), [ipKey("127.0.0.53")]);
  });
  it("parseResolvConf reads public servers, an IPv6 one with its zone, and skips what is no address", () => {
    assert.deepEqual(parseResolvConf(fixture("dhcp-public.conf")), [ipKey("8.8.8.8"), ipKey("1.1.1.1"), ipKey("2001:4860:4860::8888"), ipKey("fe80::1")]);
  });
  it("ipKey is the same however an address is written, and null for what is none", () => {
    assert.equal(ipKey("2001:4860:4860:0:0:0:0:8888"), ipKey("2001:4860:4860::8888"));
    assert.equal(ipKey("::ffff:8.8.8.8"), ipKey("8.8.8.8"));
    assert.equal(ipKey("FE80::1%eth0"), ipKey("fe80::1"));
    assert.equal(ipKey("dns.example"), null);
  });
});
