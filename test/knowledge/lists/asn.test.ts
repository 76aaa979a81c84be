import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ownerWords, parseAsnTable } from "../../../src/knowledge/lists/asn.js";

const text = readFileSync(new URL("../../fixtures/blocklists/asn-ipv4-num-excerpt.csv", import.meta.url), "utf8");

test("parseAsnTable reads the real ip-location-db excerpt whole: 2000 ranges, quoted names with commas and doubled quotes", () => {
  const { index, problems } = parseAsnTable(text, "asn-ipv4-num-excerpt.csv");
  assert.deepEqual(problems, []);
  assert.equal(index.size, 2000);
  assert.equal(ownerWords(index.lookup("1.1.1.1")!), "AS13335 Cloudflare, Inc.");
  assert.equal(ownerWords(index.lookup("1.0.0.0")!), "AS13335 Cloudflare, Inc."); // the first row's first address
  assert.equal(index.lookup("::ffff:1.1.1.1")?.asn, 13335);
  // Line 915 (37227520 = 2.56.12.0) holds a name with doubled quotes; line 975 (2.56.170.0) one that ends in a quote.
  assert.equal(index.lookup("2.56.12.0")?.org, 'ET "GEORGI SHISHKOV"');
  assert.equal(index.lookup("2.56.170.0")?.org, 'accompio SmarTec GmbH"');
});

test("parseAsnTable leaves gaps and addresses past the table unowned, and IPv6 to another index", () => {
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
