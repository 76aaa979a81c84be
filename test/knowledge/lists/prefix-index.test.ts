import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import ipaddr from "ipaddr.js";
import { parseList } from "../../../src/knowledge/lists/parse-list.js";
import { networkText, v4Text, type Network } from "../../../src/knowledge/lists/ip.js";
import { PrefixIndexBuilder } from "../../../src/knowledge/lists/prefix-index.js";
import { buildIndex, compileLists, loadCompiled, type ListInfo } from "../../../src/knowledge/lists/compiled.js";

const fixture = (name: string) => parseList(readFileSync(new URL(`../../fixtures/blocklists/${name}`, import.meta.url), "utf8"), name);
const FILES = ["firehol_level1.netset", "feodo.ipset", "spamhaus_drop.netset", "spamhaus-edrop-2015-09-28.txt"];
const info = (name: string, count: number): ListInfo => ({ name, category: null, date: null, source: null, count });
const lists = FILES.map((f) => { const r = fixture(f); return { info: info(f, r.networks.length), networks: r.networks }; });

/** The baseline: every network of every list, matched one by one with ipaddr.js. */
const parsed = lists.map((l) => l.networks.map((n) => [n, ipaddr.parseCIDR(`${networkText(n).split("/")[0]}/${n.len}`)] as const));
function linear(address: string): string[] {
  const a = ipaddr.process(address);
  const out: string[] = [];
  parsed.forEach((l, i) => {
    let best: Network | null = null;
    for (const [n, [net, len]] of l) {
      if (a.kind() === net.kind() && a.match(net, len) && (best === null || n.len > best.len)) best = n;
    }
    if (best) out.push(`${i} ${networkText(best)}`);
  });
  return out;
}

test("PrefixIndex.lookup agrees with a linear scan with ipaddr.js match() over the real lists", () => {
  const index = buildIndex(lists);
  const probes: string[] = [];
  // Each network's first and last address and the addresses just outside it, in the smaller lists, and a sample of the big one.
  for (const l of lists) {
    const step = l.networks.length > 1000 ? 53 : 3;
    for (let i = 0; i < l.networks.length; i += step) {
      const n = l.networks[i]!;
      if (n.family !== 4) continue;
      const last = n.v4 + 2 ** (32 - n.len) - 1;
      for (const v of [n.v4, last, n.v4 - 1, last + 1]) if (v >= 0 && v <= 0xffffffff) probes.push(v4Text(v));
    }
  }
  let seed = 0x9e3779b9; // xorshift32
  for (let i = 0; i < 300; i++) { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; probes.push(v4Text(seed >>> 0)); }
  probes.push("::ffff:5.101.218.9", "2001:db8::1");
  let hits = 0;
  for (const p of probes) {
    const got = (index.lookup(p) ?? []).map((h) => `${h.list} ${networkText(h.network)}`).sort();
    const want = linear(p).sort();
    assert.deepEqual(got, want, p);
    if (want.length) hits++;
  }
  assert.ok(hits > probes.length / 3, `only ${hits} of ${probes.length} probes hit: the test would prove little`);
});

test("PrefixIndex.lookup finds IPv6 networks by longest prefix, and v4-mapped addresses in IPv4 lists", () => {
  const builder = new PrefixIndexBuilder();
  const net = (t: string) => { const r = parseList(t, "t"); assert.deepEqual(r.problems, []); return r.networks[0]!; };
  builder.add(net("2001:db8::/32"), 0).add(net("2001:db8:8000::/33"), 1).add(net("2001:db8:8000::7"), 0).add(net("198.51.100.0/24"), 2).add(net("10.0.0.0/8"), 2);
  const index = builder.build();
  const names = (a: string) => (index.lookup(a) ?? []).map((h) => `${h.list} ${networkText(h.network)}`);
  assert.deepEqual(names("2001:db8:8000::7"), ["0 2001:db8:8000::7", "1 2001:db8:8000::/33"]);
  assert.deepEqual(names("2001:db8:7fff::1"), ["0 2001:db8::/32"]);
  assert.deepEqual(names("2001:db9::1"), []);
  assert.deepEqual(names("::ffff:198.51.100.77"), ["2 198.51.100.0/24"]);
  assert.deepEqual(names("198.51.101.1"), []);
  assert.deepEqual(names("10.200.1.1"), ["2 10.0.0.0/8"]);
  assert.equal(index.lookup("not-an-address"), null);
  assert.equal(index.lookup("*"), null);
});

test("compileLists and loadCompiled give back the same lists and answers, and refuse stale or damaged bytes", () => {
  const builder = new PrefixIndexBuilder();
  lists.forEach((l, i) => { for (const n of l.networks) builder.add(n, i); });
  builder.add({ family: 6, hex: "20010db8".padEnd(32, "0"), len: 32 }, 3);
  const index = builder.build();
  const bytes = compileLists({ stamp: "s1", lists: lists.map((l) => l.info), index });
  const back = loadCompiled(bytes, "s1");
  assert.ok(back);
  assert.deepEqual(back.lists, lists.map((l) => l.info));
  assert.equal(back.index.size, index.size);
  for (const a of ["5.101.218.9", "10.1.2.3", "8.8.8.8", "2001:db8::5", "2.50.11.28"]) assert.deepEqual(back.index.lookup(a), index.lookup(a), a);
  assert.equal(loadCompiled(bytes, "s2"), null);
  assert.equal(loadCompiled(bytes.subarray(0, bytes.length - 4), "s1"), null);
  const bad = bytes.slice(); bad[0] = 0;
  assert.equal(loadCompiled(bad), null);
  // Bytes that sit at an odd offset of their buffer (a file read into a pooled Buffer) still load.
  const odd = new Uint8Array(bytes.length + 1); odd.set(bytes, 1);
  assert.ok(loadCompiled(odd.subarray(1), "s1"));
});
