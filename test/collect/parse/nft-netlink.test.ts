import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { nativeAddon } from "../../../src/collect/native.js";
import { parseNftJson } from "../../../src/collect/parse/nft-json.js";
import { parseNftNetlink, type NftNetlinkDump } from "../../../src/collect/parse/nft-netlink.js";
import type { FirewallMatch, FirewallTable } from "../../../src/model/firewall.js";
import { generateNftRuleset } from "../../helpers/nft-ruleset-generator.js";
import { seededRandom } from "../../helpers/seeded-random.js";

// Real captures of nftDump and nft -j of the same rulesets (test/fixtures/nft-netlink/README.md), then the two
// readings compared live on generated rulesets in a namespace this test creates.
const dir = new URL("../../fixtures/nft-netlink/", import.meta.url).pathname;
const captured = (name: string): { dump: NftNetlinkDump; json: string } => ({
  dump: { messages: readFileSync(`${dir}${name}.netlink`), links: JSON.parse(readFileSync(`${dir}${name}.links.json`, "utf8")) as [number, string][] },
  json: readFileSync(`${dir}${name}.nft.json`, "utf8"),
});
const rangeTexts = (m: FirewallMatch | undefined): string[] => (m?.key === "saddr" || m?.key === "daddr" ? m.ranges.map((r) => r.text) : []);
const rulesOf = (tables: readonly FirewallTable[], table: string, chain: string) =>
  tables.find((t) => `${t.family} ${t.name}` === table)?.chains.find((c) => c.name === chain)?.rules ?? [];

/**
 * The one difference allowed between the two readings: a payload load nft cannot name (no dependency tells its
 * header's protocol) is `{"payload": {"base", "offset", "len"}}` in nft -j, which parseNftJson calls "undefined
 * undefined"; the netlink reading says where it loads ("@nh,192,128"). Both are "other" matches.
 */
function normalized(tables: readonly FirewallTable[]): readonly FirewallTable[] {
  const raw = (m: FirewallMatch): FirewallMatch => (m.key === "other" && /^@(ll|nh|th),\d+,\d+$/.test(m.text) ? { key: "other", text: "undefined undefined" } : m);
  return tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: c.rules.map((r) => ({ ...r, matches: r.matches.map(raw) })) })) }));
}

describe("parseNftNetlink on captured dumps", () => {
  it("parseNftNetlink reads a mixed ruleset into the same tables, chains and rules as parseNftJson reads nft -j of it", () => {
    const { dump, json } = captured("mixed");
    const nl = parseNftNetlink(dump), js = parseNftJson(json);
    assert.deepEqual(nl.problems, []);
    assert.equal(nl.xt, false);
    assert.deepEqual(nl.tables, js.tables);
    assert.equal(nl.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0), 28);
  });

  it("parseNftNetlink reads interval sets, byte-aligned prefixes, dependencies, iif by index and dnat as nft lists them", () => {
    const { tables } = parseNftNetlink(captured("mixed").dump);
    const [allowed, ports, udpRange] = rulesOf(tables, "inet alpha", "sub");
    assert.deepEqual(rangeTexts(allowed?.matches[0]), ["1.2.3.0/24", "10.0.0.0/8", "172.16.0.1", "192.168.1.1-192.168.1.5"]);
    assert.deepEqual(ports?.matches, [{ key: "dport", op: "==", proto: "tcp", ranges: [[22, 22], [80, 80], [443, 443]] }]);
    assert.deepEqual(udpRange?.matches, [{ key: "dport", op: "==", proto: "udp", ranges: [[22, 22], [1000, 2000], [65000, 65535]] }]);
    const input = rulesOf(tables, "inet alpha", "input");
    assert.deepEqual(input[4]?.matches, [{ key: "iif", op: "==", names: ["lo"] }]);
    assert.deepEqual(input[5]?.matches.slice(0, 1), [{ key: "iif", op: "==", names: ["eth*"] }]);
    assert.deepEqual(rangeTexts(input[7]?.matches[0]), ["10.0.0.0/8"], "a one-byte load at network header + 12");
    assert.deepEqual(rulesOf(tables, "inet alpha", "pre")[0]?.verdict, { kind: "dnat", addr: "10.0.0.2", port: 80 });
  });

  it("parseNftNetlink marks iptables-nft's xt expressions, and reads them as parseNftJson does", () => {
    const { dump, json } = captured("iptables-nft");
    const nl = parseNftNetlink(dump);
    assert.equal(nl.xt, true);
    assert.deepEqual(nl.tables, parseNftJson(json).tables);
  });

  it("parseNftNetlink reads a jump to an anonymous chain (jump { … }) as a jump to that chain, where nft -j loses the jump", () => {
    const { dump, json } = captured("binding");
    const { tables, problems } = parseNftNetlink(dump);
    assert.deepEqual(problems, []);
    assert.deepEqual(rulesOf(tables, "inet b", "c").map((r) => r.verdict), [{ kind: "jump", target: "__chain2" }]);
    assert.deepEqual(rulesOf(tables, "inet b", "__chain2").map((r) => r.verdict), [{ kind: "accept" }, { kind: "drop" }]);
    // nft 1.0.6 writes that statement as a string: parseNftJson sees the match and no verdict
    assert.deepEqual(rulesOf(parseNftJson(json).tables, "inet b", "c").map((r) => r.verdict), [null]);
  });

  it("parseNftNetlink does not throw on damaged dumps (1,000 copies of a capture with bytes changed and cut)", () => {
    const { dump } = captured("mixed");
    const r = seededRandom(5);
    for (let i = 0; i < 1000; i++) {
      const b = Buffer.from(dump.messages);
      for (let k = 1 + Math.floor(r() * 8); k > 0; k--) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const messages = r() < 0.3 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      assert.doesNotThrow(() => parseNftNetlink({ messages, links: dump.links }), `damaged copy ${i}`);
    }
  });

  it("parseNftNetlink reads an empty dump as no tables, and a cut one with a problem instead of throwing", () => {
    assert.deepEqual(parseNftNetlink(captured("empty").dump), { tables: [], problems: [], xt: false });
    const { dump } = captured("mixed");
    const cut = parseNftNetlink({ ...dump, messages: dump.messages.subarray(0, 1000) });
    assert.equal(cut.problems.length, 1);
    assert.match(cut.problems[0]!.reason, /does not fit the dump \(1000 bytes\)/);
  });
});

const root = process.getuid?.() === 0;
const addon = nativeAddon();
const CASES = Number(process.env.PORTWATCH_NFT_CASES ?? 250);
const SEED = Number(process.env.PORTWATCH_NFT_SEED ?? 17);
const skip = !root ? "needs root: ip netns add (CI runs as root)" : addon?.nftDump === undefined ? "the addon with nftDump is not built" : false;

describe("parseNftNetlink against nft -j on generated rulesets", { skip }, () => {
  const ns = `pwnl${process.pid}`;
  const inNs = (argv: string[], input?: string) => {
    const r = spawnSync("ip", ["netns", "exec", ns, ...argv], { input, encoding: "utf8", timeout: 20_000, maxBuffer: 64 << 20 });
    return { ok: r.status === 0, out: r.stdout, err: r.stderr };
  };
  before(() => {
    assert.equal(spawnSync("ip", ["netns", "add", ns], { timeout: 10_000 }).status, 0);
    for (const argv of [["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "wg0"], ["ip", "link", "set", "lo", "up"]]) assert.ok(inNs(argv).ok);
  });
  after(() => { spawnSync("ip", ["netns", "del", ns], { timeout: 10_000 }); });

  it(`parseNftNetlink of nftDump gives the model parseNftJson gives of nft -j, for ${CASES} generated rulesets`, async () => {
    const r = seededRandom(SEED);
    let refused = 0, rules = 0;
    for (let i = 0; i < CASES; i++) {
      const text = generateNftRuleset(r);
      // nft refuses some generated rulesets (conflicting protocols in one rule): another one is made instead
      if (!inNs(["nft", "-f", "-"], `flush ruleset\n${text}`).ok) { refused++; i--; assert.ok(refused < CASES, "nft refuses most generated rulesets"); continue; }
      const nl = parseNftNetlink(await addon!.nftDump!(`/run/netns/${ns}`));
      const json = inNs(["nft", "-j", "list", "ruleset"]);
      assert.ok(json.ok, json.err);
      const js = parseNftJson(json.out);
      assert.deepEqual(nl.problems, []);
      assert.deepEqual(normalized(nl.tables), js.tables, `case ${i} (seed ${SEED}):\n${text}`);
      rules += js.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0);
    }
    assert.ok(rules > CASES * 5, `${rules} rules compared`);
  });
});
