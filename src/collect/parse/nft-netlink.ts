import type { FirewallChain, FirewallRule, FirewallTable } from "../../model/firewall.js";
import type { Problem } from "../../model/problem.js";
import { delinearize, type NftExpr, type NftSet } from "./nft-delinearize.js";
import type { NftParse } from "./nft-json.js";
import { Attrs, type NftElement } from "./nft-values.js";

/*
 * The nf_tables ruleset as the kernel dumps it over netlink (the addon's nftDump, native/portwatch.c): the
 * NFT_MSG_NEWTABLE, NEWCHAIN, NEWRULE, NEWSET and NEWSETELEM messages, each a struct nlmsghdr (16 bytes:
 * length, type = NFNL_SUBSYS_NFTABLES << 8 | message, flags, seq, pid; host order), a struct nfgenmsg (4 bytes:
 * family, version, res_id) and netlink attributes (struct nlattr: length, type, payload padded to 4 bytes; a
 * nested attribute holds more of them). The attribute numbers are linux/netfilter/nf_tables.h's (uapi):
 *
 *   table:   NFTA_TABLE_NAME 1
 *   chain:   NFTA_CHAIN_TABLE 1, NFTA_CHAIN_HANDLE 2, NFTA_CHAIN_NAME 3, NFTA_CHAIN_HOOK 4 (nested: NFTA_HOOK_HOOKNUM 1,
 *            NFTA_HOOK_PRIORITY 2, both be32), NFTA_CHAIN_POLICY 5 (be32: NF_DROP 0, NF_ACCEPT 1), NFTA_CHAIN_TYPE 7
 *   rule:    NFTA_RULE_TABLE 1, NFTA_RULE_CHAIN 2, NFTA_RULE_HANDLE 3 (be64), NFTA_RULE_EXPRESSIONS 4 (a list of
 *            NFTA_LIST_ELEM 1, each NFTA_EXPR_NAME 1 and NFTA_EXPR_DATA 2: that expression's own attributes)
 *   set:     NFTA_SET_TABLE 1, NFTA_SET_NAME 2, NFTA_SET_FLAGS 3 (be32: NFT_SET_ANONYMOUS 1, NFT_SET_INTERVAL 4, NFT_SET_MAP 8)
 *   element: NFTA_SET_ELEM_LIST_TABLE 1, NFTA_SET_ELEM_LIST_SET 2, NFTA_SET_ELEM_LIST_ELEMENTS 3 (NFTA_LIST_ELEM 1, each
 *            NFTA_SET_ELEM_KEY 1 and NFTA_SET_ELEM_KEY_END 10 (nested NFTA_DATA_VALUE 1), NFTA_SET_ELEM_FLAGS 3)
 *
 * Rules become the same FirewallTable[] that parseNftJson makes of `nft -j list ruleset` (tables, chains and each
 * chain's rules in the kernel's order, which is nft's; rule numbers by position, handles as nft gives them); the
 * expressions are read back into matches by parse/nft-delinearize.ts.
 */

const SUBSYS_NFTABLES = 10;
const MSG = { table: 0, chain: 3, rule: 6, set: 9, setelem: 12 } as const;
const FAMILIES: Record<number, string> = { 1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6" };
const INET_HOOKS = ["prerouting", "input", "forward", "output", "postrouting", "ingress"];
const HOOKS: Record<string, readonly string[]> = { arp: ["input", "output", "forward"], netdev: ["ingress", "egress"] };

/** What nftDump gives: the messages, and the namespace's interfaces as [index, name] (to name iif and oif matches). */
export interface NftNetlinkDump { messages: Uint8Array; links: readonly (readonly [number, string])[] }

export interface NftNetlinkParse extends NftParse {
  /** Whether a rule holds iptables-nft's xt expressions ("match", "target"): then iptables-save must be read too. */
  xt: boolean;
}

interface RawRule { family: string; table: string; chain: string; handle: number | null; exprs: NftExpr[] }

/** Reads nftDump's messages into tables, chains and rules. `source` names the read in problems. */
export function parseNftNetlink(dump: NftNetlinkDump, source = "nftables netlink dump"): NftNetlinkParse {
  const problems: Problem[] = [];
  const problem = (reason: string): void => { problems.push({ source, line: null, text: null, reason }); };
  const tables = new Map<string, { table: FirewallTable; chains: Map<string, FirewallChain & { rules: FirewallRule[] }> }>();
  const sets = new Map<string, NftSet>();   // "family table name"
  const rules: RawRule[] = [];
  const m = dump.messages;
  // not a Buffer (its subarrays are cheaper), and on a 4-byte boundary so that attributes can be read as words
  const b = m.byteOffset % 4 === 0 ? new Uint8Array(m.buffer, m.byteOffset, m.byteLength) : Uint8Array.from(m);
  const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  let xt = false;
  for (let off = 0; off + 20 <= b.length;) {
    const len = (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0, type = b[off + 4]! | (b[off + 5]! << 8);
    if (len < 20 || off + len > b.length) { problem(`a netlink message of ${len} bytes at byte ${off} does not fit the dump (${b.length} bytes)`); break; }
    const family = FAMILIES[b[off + 16]!] ?? String(b[off + 16]);
    const a = new Attrs(b, off + 20, off + len, w);
    if (a.truncated) problem(`a netlink message at byte ${off} ends inside an attribute`);
    off += (len + 3) & ~3;
    if (type >> 8 !== SUBSYS_NFTABLES) continue;
    const msg = type & 0xff;
    if (msg === MSG.table) {
      const name = a.str(1) ?? "";
      tables.set(`${family} ${name}`, { table: { family, name, source: "nftables", chains: [] }, chains: new Map() });
    } else if (msg === MSG.chain) {
      const entry = tables.get(`${family} ${a.str(1) ?? ""}`);
      const name = a.str(3) ?? "";
      if (entry === undefined) { problem(`chain ${name} of a table the dump did not list`); continue; }
      const hook = a.has(4) ? a.nested(4) : null;
      const hooknum = hook?.u32(1) ?? null, prio = hook?.u32(2) ?? null;
      const base = hook === null ? null : {
        hook: (HOOKS[family] ?? INET_HOOKS)[hooknum ?? -1] ?? String(hooknum),
        priority: prio === null ? 0 : prio | 0,
        policy: a.u32(5) === 0 ? "drop" as const : "accept" as const,
        type: a.str(7) ?? "filter",
      };
      entry.chains.set(name, { name, base, rules: [] });
    } else if (msg === MSG.rule) {
      const exprs: NftExpr[] = [];
      for (const ea of a.nested(4).each(1)) {
        const name = ea.str(1) ?? "";
        exprs.push({ name, data: ea.nested(2) });
        if (name === "match" || name === "target") xt = true;
      }
      const h = a.get(3);   // be64
      const handle = h !== undefined && h.length >= 8 ? (((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0) * 2 ** 32 + (((h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]!) >>> 0) : null;
      rules.push({ family, table: a.str(1) ?? "", chain: a.str(2) ?? "", handle, exprs });
    } else if (msg === MSG.set) {
      const name = a.str(2) ?? "";
      sets.set(`${family} ${a.str(1) ?? ""} ${name}`, { name, flags: a.u32(3) ?? 0, keyLen: a.u32(5), elements: [] });
    } else if (msg === MSG.setelem) {
      const set = sets.get(`${family} ${a.str(1) ?? ""} ${a.str(2) ?? ""}`);
      if (set === undefined) continue;
      for (const ea of a.nested(3).each(1)) {
        const key = ea.data(1);
        if (key !== null) (set.elements as NftElement[]).push({ key, keyEnd: ea.data(10), flags: ea.u32(3) ?? 0 });
      }
    }
  }
  const ifname = new Map(dump.links.map(([i, n]) => [i, n]));
  for (const r of rules) {
    const entry = tables.get(`${r.family} ${r.table}`);
    const chain = entry?.chains.get(r.chain);
    if (entry === undefined || chain === undefined) { problem(`a rule of unknown chain ${r.chain}`); continue; }
    const setOf = (name: string): NftSet | undefined => sets.get(`${r.family} ${r.table} ${name}`);
    const { matches, verdict } = delinearize(r.exprs, { family: r.family, set: setOf, ifname: (i) => ifname.get(i) });
    chain.rules.push({ number: chain.rules.length + 1, handle: r.handle, matches, verdict });
  }
  const out: FirewallTable[] = [];
  for (const { table, chains } of tables.values()) out.push({ ...table, chains: [...chains.values()] });
  return { tables: out, problems, xt };
}
