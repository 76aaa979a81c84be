import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AsnBuilder, compileAsn, loadAsn, ownerWords, parseAsnTable } from "../../../src/knowledge/lists/asn.js";

const text = readFileSync(new URL("../../fixtures/blocklists/asn-ipv4-num-excerpt.csv", import.meta.url), "utf8");

test("parseAsnTable reads the real ip-location-db excerpt whole: 2000 ranges, quoted names with commas and doubled quotes", () => {
  const { index, problems } = parseAsnTable(text, "asn-ipv4-num-excerpt.csv");
  assert.deepEqual(problems, []);
  assert.equal(index.size, 2000);
  assert.equal(ownerWords(index.lookup("1.1.1.1")!), "AS13335 Cloudflare, Inc.");
  assert.equal(ownerWords(index.lookup("1.0.0.0")!), "AS13335 Cloudflare, Inc."); // the first row's first address
  assert.equal(index.lookup("::ffff:1.1.1.1")?.number, 13335);
  // Line 915 (37227520 = 2.56.12.0) holds a name with doubled quotes; line 975 (2.56.170.0) one that ends in a quote.
  assert.equal(index.lookup("2.56.12.0")?.org, 'ET "GEORGI SHISHKOV"');
  assert.equal(index.lookup("2.56.170.0")?.org, 'accompio SmarTec GmbH"');
});

test("parseAsnTable leaves gaps, addresses past the table and families it has no rows of unowned", () => {
  const { index } = parseAsnTable(text, "x");
  assert.equal(index.lookup("1.0.1.0"), null); // 16777472..16778239 is a gap between the first two rows
  assert.equal(index.lookup("9.9.9.9"), null); // past 5.34.90.255, the excerpt's end
  assert.equal(index.lookup("2606:4700::1111"), null);
  assert.equal(index.lookup("not an address"), null);
});

test("parseAsnTable reports bad rows with line and column and reads dotted bounds too", () => {
  const { index, problems } = parseAsnTable("1.2.3.0,1.2.3.255,64500,Example Net\nx,1,2,y\n5,4,1,z\n1,2,AS3,w\n2001:db8::,2001:db8::ffff,64501,v6 row\n", "t.csv");
  assert.equal(index.lookup("1.2.3.4")?.org, "Example Net");
  assert.deepEqual(problems.map((p) => `${p.line}:${p.column}`), ["2:1", "3:3", "4:5"]);
});

// IPv6: no published IPv6 ASN excerpt is among the fixtures, so these rows are written here, in the
// format of ip-location-db's asn-ipv6.csv (start,end,asn,organisation; addresses as bounds). They are
// not real data.
const V6 = [
  "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project",
  "2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,\"Cloudflare, Inc.\"",
  "2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC",
  "2c0f:f000::,2c0f:f000:ffff:ffff:ffff:ffff:ffff:ffff,64499,Réseau d'exemple Ω 🛰",
].join("\n");

test("AsnBuilder reads IPv4 and IPv6 tables into one index, each looked up by its own family", () => {
  const b = new AsnBuilder();
  assert.deepEqual(b.add(text, "asn-ipv4-num-excerpt.csv").problems, []);
  assert.deepEqual(b.add(V6, "written IPv6 rows").problems, []);
  const index = b.build();
  assert.deepEqual(index.sizes, { v4: 2000, v6: 4, owners: 826 });
  assert.equal(ownerWords(index.lookup("2606:4700::1111")!), "AS13335 Cloudflare, Inc.");
  assert.equal(ownerWords(index.lookup("2606:4700:ffff:ffff:ffff:ffff:ffff:ffff")!), "AS13335 Cloudflare, Inc."); // the range's last address
  assert.equal(index.lookup("2a00:1450:4001:80b::200e")?.number, 15169);
  assert.equal(index.lookup("2001:200::")?.org, "WIDE Project"); // the first address
  assert.equal(index.lookup("2606:4701::1"), null); // just past a range
  assert.equal(index.lookup("2001:1ff:ffff::1"), null); // before the first range
  assert.equal(index.lookup("1.1.1.1")?.number, 13335);
});

test("AsnBuilder reads asn-ipv6-num.csv, whose IPv6 bounds are decimal numbers, as the same ranges as asn-ipv6.csv", () => {
  // ip-location-db's numeric IPv6 form of the first and third rows of V6 (the addresses as 128-bit numbers)
  const num = [
    "42540528726795050063891204319802818560,42540528806023212578155541913346768895,2500,WIDE Project",
    "55827987809411540836515382960316219392,55827987888639703350779720553860169727,15169,Google LLC",
  ].join("\n");
  const b = new AsnBuilder();
  assert.deepEqual(b.add(num, "asn-ipv6-num.csv").problems, []);
  const index = b.build();
  assert.deepEqual(index.sizes, { v4: 0, v6: 2, owners: 2 });
  assert.equal(index.lookup("2001:200::")?.org, "WIDE Project");
  assert.equal(index.lookup("2001:200:ffff:ffff:ffff:ffff:ffff:ffff")?.number, 2500);
  assert.equal(index.lookup("2001:201::"), null);
  assert.equal(index.lookup("2a00:1450:4001:80b::200e")?.number, 15169);
  assert.equal(index.lookup("1.1.1.1"), null, "no IPv4 row was made of the big numbers");
  const bad = new AsnBuilder().add("340282366920938463463374607431768211456,340282366920938463463374607431768211456,1,Past", "x").problems;
  assert.match(bad[0]?.reason ?? "", /the start is not an IPv6 address/, "a number past 2^128 is refused");
});

test("AsnBuilder sorts rows that come out of order and reports bad IPv6 rows with their column", () => {
  const b = new AsnBuilder();
  const r = b.add(["2a00:1450::,2a00:1450::ff,15169,Google LLC", "2001:200::,2001:200::ff,2500,WIDE Project", "2001:db8::,2001:db7::,1,backwards", "2001:zz8::,2001:db8::1,1,x", "2001:db8::,2001:db8::1,AS1,y"].join("\n"), "t.csv");
  assert.deepEqual(r.problems.map((p) => `${p.line}:${p.column} ${p.reason}`), [
    "3:12 the end is not an IPv6 address at or after the start", "4:1 the start is not an IPv6 address", "5:24 the AS number is not a whole number",
  ]);
  const index = b.build();
  assert.equal(index.lookup("2001:200::7")?.number, 2500);
  assert.equal(index.lookup("2a00:1450::7")?.number, 15169);
});

test("compileAsn and loadAsn give back the same answers, and refuse another stamp or a damaged file", () => {
  const b = new AsnBuilder();
  b.add(text, "a");
  b.add(V6, "b");
  const index = b.build();
  const bytes = compileAsn(index, "stamp-1");
  const again = loadAsn(bytes, "stamp-1");
  assert.ok(again !== null);
  for (const a of ["1.1.1.1", "2.56.12.0", "2.56.170.0", "1.0.1.0", "9.9.9.9", "2606:4700::1111", "2001:200::", "2a00:1450::1", "::1", "2c0f:f000::1"]) assert.deepEqual(again.lookup(a), index.lookup(a), a);
  assert.equal(again.lookup("2c0f:f000::1")?.org, "Réseau d'exemple Ω 🛰"); // names beyond ASCII keep their offsets
  // A copy at an odd offset (as a Buffer from a pool may be) reads the same.
  const odd = new Uint8Array(bytes.length + 1);
  odd.set(bytes, 1);
  assert.deepEqual(loadAsn(odd.subarray(1))?.lookup("2.56.12.0"), index.lookup("2.56.12.0"));
  assert.equal(loadAsn(bytes, "stamp-2"), null);
  assert.equal(loadAsn(bytes.subarray(0, bytes.length - 1)), null);
  assert.equal(loadAsn(new TextEncoder().encode("PWL1 not this")), null);
});

test("loadAsn refuses a file whose header is whole but whose ranges were damaged: an owner past the owners, ranges out of order", () => {
  const b = new AsnBuilder();
  b.add(text, "a");
  const bytes = compileAsn(b.build(), "s");
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as { lengths: number[] };
  const body = 8 + n + ((4 - ((8 + n) % 4)) % 4);
  const [starts, ends] = header.lengths as [number, number];
  const ownerAt = body + (starts + ends) * 4; // v4Owner follows v4Start and v4End
  const damaged = (at: number, value: number) => {
    const copy = Uint8Array.from(bytes);
    new DataView(copy.buffer).setUint32(at, value, true);
    return loadAsn(copy, "s");
  };
  assert.ok(damaged(ownerAt + 4 * 10, new DataView(bytes.buffer, bytes.byteOffset).getUint32(ownerAt + 4 * 10, true)) !== null, "the same value back: still an index");
  assert.equal(damaged(ownerAt + 4 * 10, 0xffffff), null, "an owner past the owners");
  assert.equal(damaged(body + 4 * 10, 0xffffffff), null, "a start after the next one");
});
