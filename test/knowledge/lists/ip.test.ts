import { test } from "node:test";
import assert from "node:assert/strict";
import ipaddr from "ipaddr.js";
import { networkText, parseIp, parseNetwork, parseV4, parseV6 } from "../../../src/knowledge/lists/ip.js";

test("parseV4 accepts dotted quads and refuses leading zeros, big numbers and short forms", () => {
  assert.equal(parseV4("203.0.113.7"), 0xcb007107);
  assert.equal(parseV4("255.255.255.255"), 0xffffffff);
  assert.equal(parseV4("0.0.0.0"), 0);
  for (const bad of ["01.2.3.4", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4 ", "", "a.b.c.d"]) assert.equal(parseV4(bad), null, bad);
});

test("parseV6 agrees with ipaddr.js on the forms the kernel and lists print", () => {
  for (const t of ["::", "::1", "2001:db8::", "2001:db8::1", "fe80::aede:48ff:fe00:1122", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1", "64:ff9b::192.0.2.33", "2001:DB8:0:0:1::1"]) {
    const want = ipaddr.IPv6.parse(t).toNormalizedString().split(":").map((g) => g.padStart(4, "0")).join("");
    assert.equal(parseV6(t), want, t);
  }
  for (const bad of ["1:2:3:4:5:6:7:8:9", "1::2::3", "2001:db8::g", "fe80::1%eth0", "1.2.3.4::", ":::"]) assert.equal(parseV6(bad), null, bad);
});

test("parseIp makes an IPv4-mapped IPv6 address its IPv4 address", () => {
  assert.deepEqual(parseIp("::ffff:203.0.113.5"), { family: 4, v4: 0xcb007105 });
  assert.deepEqual(parseIp("::FFFF:cb00:7105"), { family: 4, v4: 0xcb007105 });
});

test("parseNetwork clears host bits and writes networks back in their short form", () => {
  assert.equal(networkText(parseNetwork("1.2.3.4/24") as never), "1.2.3.0/24");
  assert.equal(networkText(parseNetwork("2001:db8:abcd::1/33") as never), "2001:db8:8000::/33");
  assert.equal(networkText(parseNetwork("2001:db8::1") as never), "2001:db8::1");
  assert.equal(networkText(parseNetwork("::ffff:10.0.0.0/104") as never), "10.0.0.0/8");
  assert.match(parseNetwork("::/0") as string, /every address/);
  assert.match(parseNetwork("::ffff:0.0.0.0/95") as string, /mapped/);
});
