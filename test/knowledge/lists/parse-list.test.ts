import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseList } from "../../../src/knowledge/lists/parse-list.js";
import { networkText } from "../../../src/knowledge/lists/ip.js";
import { formatProblem } from "../../../src/model/problem.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/blocklists/${name}`, import.meta.url), "utf8");

test("parseList reads FireHOL level 1 whole: 6273 networks covering 680,864,624 addresses, and its header", () => {
  const r = parseList(fixture("firehol_level1.netset"), "firehol_level1.netset");
  assert.equal(r.format, "firehol");
  assert.deepEqual(r.problems, []);
  assert.equal(r.networks.length, 6273);
  const covered = r.networks.reduce((n, net) => n + 2 ** ((net.family === 4 ? 32 : 128) - net.len), 0);
  assert.equal(covered, 680_864_624); // the header's "6273 subnets, 680864624 unique IPs"
  assert.deepEqual(r.header, { name: "firehol_level1", category: "attacks", source: null, date: "2015-11-13T17:17:05Z" });
  assert.equal(networkText(r.networks[0]!), "0.0.0.0/8");
  assert.equal(networkText(r.networks[6272]!), "224.0.0.0/3");
});

test("parseList reads FireHOL's feodo.ipset: 235 single addresses, category malware, abuse.ch's source URL", () => {
  const r = parseList(fixture("feodo.ipset"), "feodo.ipset");
  assert.deepEqual(r.problems, []);
  assert.equal(r.networks.length, 235);
  assert.ok(r.networks.every((n) => n.family === 4 && n.len === 32));
  assert.deepEqual(r.header, { name: "feodo", category: "malware", source: "https://feodotracker.abuse.ch/blocklist/?download=ipblocklist", date: "2015-10-23T13:45:29Z" });
});

test("parseList reads FireHOL's spamhaus_drop.netset: 683 networks covering 22,583,552 addresses", () => {
  const r = parseList(fixture("spamhaus_drop.netset"), "spamhaus_drop.netset");
  assert.deepEqual(r.problems, []);
  assert.equal(r.networks.reduce((n, net) => n + 2 ** (32 - net.len), 0), 22_583_552);
  assert.equal(r.header.category, "reputation");
  assert.equal(r.header.source, "http://www.spamhaus.org/drop/drop.txt");
});

test("parseList reads Spamhaus's own EDROP format (CIDR ; SBLnnn) with its Last-Modified date", () => {
  const r = parseList(fixture("spamhaus-edrop-2015-09-28.txt"), "edrop.txt");
  assert.equal(r.format, "spamhaus");
  assert.deepEqual(r.problems, []);
  assert.equal(r.networks.length, 71);
  assert.equal(networkText(r.networks[0]!), "27.112.32.0/19");
  assert.equal(networkText(r.networks[70]!), "216.170.114.0/24"); // the last line has no newline
  assert.deepEqual(r.header, { name: "Spamhaus EDROP List", category: null, source: "http://www.spamhaus.org/drop/edrop.txt", date: "2015-09-27T07:09:26Z" });
});

test("parseList reads the head of Spamhaus DROP of 2016-03-23", () => {
  const r = parseList(fixture("spamhaus-drop-2016-03-23-head.txt"), "drop.txt");
  assert.equal(r.format, "spamhaus");
  assert.deepEqual(r.networks.map(networkText), ["1.4.0.0/17", "1.10.16.0/20", "1.32.128.0/18", "1.116.0.0/14", "5.8.37.0/24", "5.34.242.0/23", "5.101.218.0/24", "5.101.221.0/24", "5.134.128.0/19"]);
  assert.equal(r.header.date, "2016-03-22T18:59:56Z");
});

test("parseList reads abuse.ch's Feodo CSV by its dst_ip column, and the banner's name and date", () => {
  const r = parseList(fixture("feodo-ipblocklist-2021-08-17-head.csv"), "ipblocklist.csv");
  assert.equal(r.format, "abusech-csv");
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.networks.map(networkText), ["67.213.75.205", "51.178.161.32", "162.144.127.197", "111.230.104.169", "217.79.184.243", "46.101.90.205"]);
  assert.equal(r.header.name, "abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)");
  assert.equal(r.header.date, "2021-08-17T15:00:42Z");
});

test("parseList reads SSLBL's CSV, whose column names are in a comment (lines written here in its published shape)", () => {
  const text = "# Firstseen,DstIP,DstPort\n2021-08-17 10:00:01,192.0.2.7,443\n2021-08-17 10:00:02,not-an-ip,443\n";
  const r = parseList(text, "sslipblacklist.csv");
  assert.deepEqual(r.networks.map(networkText), ["192.0.2.7"]);
  assert.equal(r.problems.length, 1);
  assert.equal(formatProblem(r.problems[0]!), 'sslipblacklist.csv:3:21: not an IPv4 address (four numbers from 0 to 255, no leading zeros): "2021-08-17 10:00:02,not-an-ip,443"');
});

test("parseList reads IPv6 and IPv4-mapped entries (lines written here: no published IPv6 list is among the fixtures)", () => {
  const r = parseList("2001:db8::/32\n2001:DB8:1::5\n::ffff:198.51.100.0/120 ; mapped\n2001:db8::/32 ; SBL1\n", "v6.txt");
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.networks.map(networkText), ["2001:db8::/32", "2001:db8:1::5", "198.51.100.0/24", "2001:db8::/32"]);
});

test("parseList turns every bad line into a problem with its line and column, and keeps the good ones", () => {
  const text = "1.2.3.4\nfoo bar\n1.2.3.0/33\n  01.2.3.4\n1.2.3.5 extra\n0.0.0.0/0\n2001:db8::g\n\"x\",\"y\"\n1.2.3\n";
  const r = parseList(text, "mine.txt");
  assert.deepEqual(r.networks.map(networkText), ["1.2.3.4"]);
  assert.deepEqual(r.problems.map((p) => `${p.line}:${p.column}`), ["2:1", "3:9", "4:3", "5:9", "6:1", "7:1", "8:1", "9:1"]);
  assert.match(r.problems[4]!.reason, /every address/);
});

test("parseList reads CRLF lines and a byte-order mark, and never throws on binary junk", () => {
  const r = parseList("\ufeff# name\r\n192.0.2.1\r\n198.51.100.0/24\r\n", "crlf.txt");
  assert.deepEqual(r.networks.map(networkText), ["192.0.2.1", "198.51.100.0/24"]);
  assert.deepEqual(r.problems, []);
  const junk = parseList("\u0000\u0001\u00ff\n".repeat(500), "junk.bin");
  assert.equal(junk.networks.length, 0);
  assert.equal(junk.problems.length, 101); // 100 lines, then one that counts the rest
  assert.match(junk.problems[100]!.reason, /and 400 more/);
});
