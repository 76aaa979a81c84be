import type { AddressRange, FirewallMatch, FirewallVerdict, MatchOp } from "../../model/firewall.js";
import {
  addressText, addressValue, beNumber, compareBytes, ctStateNames, hostNumber, ifnameText, intervals, portRanges,
  prefixBits, protocolName, type Attrs, type NftElement, type NftValue,
} from "./nft-values.js";

/*
 * A rule's nf_tables expressions (the kernel's register machine) read back into portwatch's matches and verdict,
 * the way nft's src/netlink_delinearize.c reads them for `nft list ruleset`, so the result is what parseNftJson
 * makes of nft -j for the same rule. The expressions load a value into a register (payload, meta, ct, fib,
 * immediate, bitwise) and then compare it (cmp, range) or look it up in a set (lookup); e.g. `tcp dport 22`
 * in an inet table is
 *   [ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x06 ] [ payload load 2b @ transport header + 2 => reg 1 ] [ cmp eq reg 1 0x0016 ]
 * where the first two are nft's dependency: like nft, a `meta l4proto`/`ip protocol`/`ip6 nexthdr` equality
 * names the transport header of the loads after it ("tcp dport") and disappears when one follows; likewise
 * `meta nfproto ipv4` before an ip header load in inet tables. A byte-aligned prefix is a shorter load
 * (`ip saddr 10.0.0.0/8`: payload load 1b @ network header + 12), another one a bitwise mask; `a-b` is
 * cmp gte + cmp lte, or a range expression when negated. Anything not read with certainty becomes an "other"
 * match or verdict with nft -j's words for it, never a guess.
 */

export interface NftExpr { name: string; data: Attrs }
export interface NftSet { name: string; flags: number; keyLen: number | null; elements: readonly NftElement[] }
export interface DelinearizeContext {
  /** The table's family: "ip", "ip6", "inet", "bridge", "netdev", "arp". */
  family: string;
  set(name: string): NftSet | undefined;
  ifname(index: number): string | undefined;
}

type Src =
  | { t: "meta"; key: string }
  | { t: "payload"; proto: string | null; field: string | null; addrWidth: number; base: number; off: number; len: number; net: string | null; trans: number | null }
  | { t: "ct"; key: number }
  | { t: "fib"; result: number; flags: number }
  | { t: "imm"; data: Uint8Array }
  | { t: "bitwise"; src: Src; mask: Uint8Array; xor: Uint8Array }
  | { t: "other"; text: string };

/** A comparison of a loaded value: op as nft -j writes it ("==", "!=", "<", "<=", ">", ">="). */
interface Rel { left: Src; op: string; values: NftValue[]; fromSet: boolean; dropped: boolean }
type Stmt = { s: "rel"; rel: Rel } | { s: "match"; match: FirewallMatch };

const META_KEYS = ["length", "protocol", "priority", "mark", "iif", "oif", "iifname", "oifname", "iiftype", "oiftype", "skuid", "skgid",
  "nftrace", "rtclassid", "secmark", "nfproto", "l4proto", "ibrname", "obrname", "pkttype", "cpu", "iifgroup", "oifgroup", "cgroup",
  "random", "secpath", "iifkind", "oifkind", "ibrpvid", "ibrvproto", "time", "day", "hour", "sdif", "sdifname"];
const CMP_OPS = ["==", "!=", "<", "<=", ">", ">="];
const MATCH_OPS: Record<string, MatchOp> = { "==": "==", "!=": "!=" };
/** Transport headers nft names after a dependency on this protocol number, with their fields by [offset, length]. */
const PORTS: Record<string, string> = { "0,2": "sport", "2,2": "dport" };
const TRANSPORT: Record<number, [string, Record<string, string>]> = {
  6: ["tcp", { ...PORTS, "4,4": "sequence", "8,4": "ackseq", "13,1": "flags", "14,2": "window", "16,2": "checksum", "18,2": "urgptr" }],
  17: ["udp", { ...PORTS, "4,2": "length", "6,2": "checksum" }], 136: ["udplite", { ...PORTS, "6,2": "checksum" }],
  132: ["sctp", { ...PORTS, "4,4": "vtag", "8,4": "checksum" }], 33: ["dccp", { ...PORTS, "8,1": "type" }],
  1: ["icmp", { "0,1": "type", "1,1": "code", "2,2": "checksum" }], 58: ["icmpv6", { "0,1": "type", "1,1": "code", "2,2": "checksum" }],
};
const NETWORK: Record<string, Record<string, string>> = {
  ip: { "2,2": "length", "4,2": "id", "8,1": "ttl", "9,1": "protocol", "10,2": "checksum" },
  ip6: { "4,2": "length", "6,1": "nexthdr", "7,1": "hoplimit" },
};
/** Where the addresses are in each network header: [saddr offset, daddr offset, width in bytes]. */
const ADDRESSES: Record<string, [number, number, number]> = { ip: [12, 16, 4], ip6: [8, 24, 16] };
/** Statements that neither match nor decide (nft -j's counter, log, mangle, notrack, set, flow …). */
const PASS = new Set(["counter", "log", "notrack", "dynset", "flow_offload"]);
/** Expressions that end the rule with a verdict portwatch does not follow, in nft -j's words. */
const OTHER_VERDICTS: Record<string, string> = { masq: "masquerade", redir: "redirect", queue: "queue", tproxy: "tproxy", synproxy: "synproxy", dup: "dup", fwd: "fwd" };
/** Expressions that decide whether the rule applies, in nft -j's words. */
const OTHER_MATCHES: Record<string, string> = { limit: "limit", quota: "quota", connlimit: "ct count", last: "last" };
/** Loads portwatch does not read, in nft -j's words. */
const OTHER_LOADS: Record<string, string> = { rt: "rt", osf: "osf", numgen: "numgen", hash: "jhash", xfrm: "ipsec", socket: "socket", exthdr: "exthdr", tunnel: "tunnel" };

/** A register as an index of 32-bit words (NFT_REG_1..4 are 16 bytes each, NFT_REG32_00..15 four): loads and reads meet there. */
const reg = (r: number | null): number | null => {
  return r === null ? null : r >= 8 ? r - 8 : r >= 1 && r <= 4 ? (r - 1) * 4 : r === 0 ? -1 : null;
};
const other = (text: string): FirewallMatch => ({ key: "other", text });

/** A rule's matches and verdict from its expressions. */
export function delinearize(exprs: readonly NftExpr[], ctx: DelinearizeContext): { matches: FirewallMatch[]; verdict: FirewallVerdict | null } {
  const regs = new Map<number, Src>();
  const stmts: Stmt[] = [];
  let net: string | null = ctx.family === "ip" || ctx.family === "ip6" ? ctx.family : null;
  let trans: number | null = null;
  const pending: { net: Rel | null; trans: Rel | null } = { net: null, trans: null };
  let lastOther = "match";
  let verdict: FirewallVerdict | null = null;
  const read = (r: number | null): Src => regs.get(reg(r) ?? -2) ?? { t: "other", text: lastOther };
  const rel = (left: Src, op: string, values: NftValue[], fromSet = false): void => {
    const r: Rel = { left, op, values, fromSet, dropped: false };
    stmts.push({ s: "rel", rel: r });
    const first = values[0];
    const one = op === "==" && values.length === 1 && first?.kind === "value" && !fromSet ? first.data : null;
    if (one === null) return;
    if (left.t === "meta" && left.key === "nfproto" && (one[0] === 2 || one[0] === 10)) { net = one[0] === 2 ? "ip" : "ip6"; pending.net = r; }
    // both name the transport header after them, but in inet, bridge and netdev tables nft keeps an "ip protocol"
    const meta = left.t === "meta" && left.key === "l4proto";
    if (meta || (left.t === "payload" && (left.field === "protocol" || left.field === "nexthdr"))) {
      trans = one[0] ?? null;
      pending.trans = meta || ctx.family === "ip" || ctx.family === "ip6" ? r : null;
    }
  };
  for (let i = 0; i < exprs.length && verdict === null; i++) {
    const { name, data: a } = exprs[i]!;
    if (name === "immediate") {
      const dreg = reg(a.u32(1));
      if (dreg === -1) verdict = verdictOf(a.nested(2).nested(2));
      else if (dreg !== null) regs.set(dreg, { t: "imm", data: a.data(2) ?? new Uint8Array() });
    } else if (name === "payload") {
      if (a.has(5)) { pending.net = pending.trans = null; continue; }   // a write (mangle): a statement
      const base = a.u32(2) ?? -1, off = a.u32(3) ?? -1, len = a.u32(4) ?? 0;
      const src = payloadSrc(base, off, len, net, trans);
      if (base === 1 && pending.net !== null && ctx.family !== "ip" && ctx.family !== "ip6") { pending.net.dropped = true; pending.net = null; }
      if (base === 2 && pending.trans !== null) { pending.trans.dropped = true; pending.trans = null; }
      const d = reg(a.u32(1));
      if (d !== null) regs.set(d, src);
    } else if (name === "meta" || name === "ct") {
      if (a.has(name === "meta" ? 3 : 4)) { pending.net = pending.trans = null; continue; }   // meta/ct set (mangle): a statement
      const key = a.u32(2) ?? -1, d = reg(a.u32(1));
      if (d !== null) regs.set(d, name === "meta" ? { t: "meta", key: META_KEYS[key] ?? String(key) } : { t: "ct", key });
    } else if (name === "fib") {
      const d = reg(a.u32(1));
      if (d !== null) regs.set(d, { t: "fib", result: a.u32(2) ?? -1, flags: a.u32(3) ?? -1 });
    } else if (name === "bitwise") {
      const d = reg(a.u32(2)), mask = a.data(4), xor = a.data(5);
      const op = a.u32(6) ?? 0;
      if (d !== null) regs.set(d, op === 0 && mask !== null && xor !== null ? { t: "bitwise", src: read(a.u32(1)), mask, xor } : { t: "other", text: "&" });
    } else if (name === "cmp") {
      const op = CMP_OPS[a.u32(2) ?? -1] ?? "?", data = a.data(3) ?? new Uint8Array();
      const next = exprs[i + 1];
      // nft writes a-b as cmp gte a, cmp lte b on the same register
      if (op === ">=" && next?.name === "cmp" && next.data.u32(2) === 3 && reg(next.data.u32(1)) === reg(a.u32(1))) {
        rel(read(a.u32(1)), "==", [{ kind: "range", from: data, to: next.data.data(3) ?? new Uint8Array() }]);
        i++;
      } else {
        const left = read(a.u32(1));
        const parts = op === "==" && left.t === "payload" && left.field === null ? splitMerged(left, data) : null;
        if (parts === null) rel(left, op, [{ kind: "value", data }]);
        else for (const [l, d] of parts) rel(l, op, [{ kind: "value", data: d }]);
      }
    } else if (name === "range") {
      const op = a.u32(2) === 1 ? "!=" : "==";
      rel(read(a.u32(1)), op, [{ kind: "range", from: a.data(3) ?? new Uint8Array(), to: a.data(4) ?? new Uint8Array() }]);
    } else if (name === "lookup") {
      const dreg = reg(a.u32(3));
      if (dreg === -1) { verdict = { kind: "other", text: "vmap" }; break; }
      if (dreg !== null) { regs.set(dreg, { t: "other", text: "map" }); continue; }   // a data map: its result feeds nat and the like
      const left = read(a.u32(2)), setName = a.str(1) ?? "", set = ctx.set(setName);
      const op = ((a.u32(5) ?? 0) & 1) ? "!=" : "==";
      if (set === undefined) { stmts.push({ s: "match", match: other(`set @${setName}`) }); continue; }
      const width = widthOf(left);
      if (set.keyLen !== null && width !== null && set.keyLen > width) { stmts.push({ s: "match", match: other("concat") }); continue; }
      rel(left, op, setValues(set, left), true);
    } else if (name === "nat") verdict = natVerdict(a, regs);
    else if (name === "reject") {
      // like nft's stmt_reject_postprocess: a reject names the protocol its dependency stood for
      const type = a.u32(1);
      if ((ctx.family === "ip" || ctx.family === "ip6") && type === 1 && pending.trans !== null) pending.trans.dropped = true;
      if (ctx.family !== "ip" && ctx.family !== "ip6" && ctx.family !== "arp" && type !== 2 && pending.net !== null) pending.net.dropped = true;
      verdict = { kind: "reject" };
    }
    else if (name === "target") verdict = { kind: "other", text: `xt target ${a.str(1) ?? ""}` };
    else if (OTHER_VERDICTS[name] !== undefined) verdict = { kind: "other", text: OTHER_VERDICTS[name] };
    else if (OTHER_LOADS[name] !== undefined) lastOther = OTHER_LOADS[name];
    else {
      // a statement of its own (not a comparison): like nft's rule_maybe_reset_payload_deps, a dependency before
      // it stays a match of its own, though it still names the headers after it
      pending.net = pending.trans = null;
      if (name === "match") stmts.push({ s: "match", match: other(`xt match ${a.str(1) ?? ""}`) });
      else if (OTHER_MATCHES[name] !== undefined) stmts.push({ s: "match", match: other(OTHER_MATCHES[name]) });
      else if (name === "objref") {
        const type = a.u32(1);
        if (type === 2 || type === 4) stmts.push({ s: "match", match: other(type === 2 ? "quota" : "limit") });
        else if (type !== 1 && type !== 3) stmts.push({ s: "match", match: other("objref") });
      } else if (!PASS.has(name)) stmts.push({ s: "match", match: other(name) });
    }
  }
  const matches: FirewallMatch[] = [];
  for (const s of stmts) {
    if (s.s === "match") matches.push(s.match);
    else if (!s.rel.dropped) matches.push(matchOf(s.rel, ctx));
  }
  return { matches, verdict };
}

function verdictOf(v: Attrs): FirewallVerdict {
  const code = v.u32(1);
  const c = code === null ? null : code | 0;
  if (c === 1) return { kind: "accept" };
  if (c === 0) return { kind: "drop" };
  if (c === -5) return { kind: "return" };
  if (c === -3 || c === -4) return { kind: c === -3 ? "jump" : "goto", target: v.str(2) ?? "" };
  return { kind: "other", text: c === -1 ? "continue" : `verdict ${String(c)}` };
}

function payloadSrc(base: number, off: number, len: number, net: string | null, trans: number | null): Payload {
  const p = fieldOf(base, off, len, net, trans);
  return { t: "payload", proto: p.proto, field: p.field, addrWidth: p.addrWidth, base, off, len, net, trans };
}

/** A load nft cannot name, as nft writes it: "@th,16,16" (base, offset and length in bits). */
function rawText(p: Payload): string {
  return `@${["ll", "nh", "th", "ih"][p.base] ?? String(p.base)},${p.off * 8},${p.len * 8}`;
}

/** The protocol and field nft names a payload load by (its header's protocol from the table family or the rule's dependencies). */
function fieldOf(base: number, off: number, len: number, net: string | null, trans: number | null): { proto: string | null; field: string | null; addrWidth: number } {
  if (base === 1 && net !== null) {
    const [s, d, width] = ADDRESSES[net]!;
    if ((off === s || off === d) && len >= 1 && len <= width) return { proto: net, field: off === s ? "saddr" : "daddr", addrWidth: width };
    return { proto: net, field: NETWORK[net]![`${off},${len}`] ?? null, addrWidth: 0 };
  }
  if (base === 2) {
    const t = trans === null ? undefined : TRANSPORT[trans];
    if (t === undefined) return { proto: trans === null ? "th" : null, field: trans === null ? PORTS[`${off},${len}`] ?? null : null, addrWidth: 0 };
    return { proto: t[0], field: t[1][`${off},${len}`] ?? null, addrWidth: 0 };
  }
  return { proto: null, field: null, addrWidth: 0 };
}

/**
 * nft merges equality matches of adjacent header fields into one load ("udp sport 443 udp dport 53" is one 4-byte
 * load and compare at transport header + 0) and splits them again when it lists the rule: the fields that tile the
 * load exactly, each with its part of the value; null when they do not.
 */
function splitMerged(left: Payload, data: Uint8Array): [Payload, Uint8Array][] | null {
  const { base, off, net, trans } = left;
  if (data.length !== left.len) return null;
  const out: [Payload, Uint8Array][] = [];
  for (let pos = off; pos < off + left.len;) {
    let found: Payload | null = null;
    for (let l = off + left.len - pos; l >= 1 && found === null; l--) {
      const f = fieldOf(base, pos, l, net, trans);
      if (f.field !== null && (f.addrWidth === 0 || l === f.addrWidth)) found = payloadSrc(base, pos, l, net, trans);
    }
    if (found === null) return null;
    out.push([found, data.subarray(pos - off, pos - off + found.len)]);
    pos += found.len;
  }
  return out.length > 1 ? out : null;
}
type Payload = Extract<Src, { t: "payload" }>;

/** How many bytes a load puts in its register, where known (a set with longer keys is a concatenation). */
function widthOf(s: Src): number | null {
  if (s.t === "payload") return s.len;
  if (s.t === "ct") return s.key === 0 ? 4 : null;
  if (s.t === "meta") return /name$|kind$/.test(s.key) ? 16 : s.key === "l4proto" || s.key === "nfproto" || s.key === "pkttype" ? 1 : s.key === "protocol" ? 2 : 4;
  return null;
}

/** A set's elements as values, in nft's order: by value (host order for meta and ct keys, network order otherwise); interval sets as ranges. */
const setCache = new WeakMap<NftSet, NftValue[]>();
function setValues(set: NftSet, left: Src): NftValue[] {
  // nft sorts by the value as a number of the key's byte order: host order for meta and ct keys (interface
  // names too: "lo" before "wg0" before "eth0"), network order for payload
  const host = left.t === "ct" || left.t === "meta";
  if (set.flags & 4 || !host) {   // one answer per set (a named set serves many rules)
    let values = setCache.get(set);
    if (values === undefined) setCache.set(set, values = set.flags & 4 ? intervals(set.elements) : sortedValues(set, false));
    return values;
  }
  return sortedValues(set, true);
}
const sortedValues = (set: NftSet, host: boolean): NftValue[] =>
  [...set.elements].sort((x, y) => compareBytes(x.key, y.key, host)).map((e) => ({ kind: "value", data: e.key }));

function natVerdict(a: Attrs, regs: Map<number, Src>): FirewallVerdict {
  if (a.u32(1) !== 1) return { kind: "other", text: "snat" };
  const flags = a.u32(7) ?? 0;
  const imm = (min: number | null, max: number | null): Uint8Array | null => {
    const lo = regs.get(reg(min) ?? -2), hi = max === null ? lo : regs.get(reg(max) ?? -2);
    if (lo?.t !== "imm" || hi?.t !== "imm" || compareBytes(lo.data, hi.data) !== 0) return null;
    return lo.data;
  };
  const addr = !a.has(3) || (flags & 64) ? null : imm(a.u32(3), a.u32(4));
  const port = !a.has(5) ? null : imm(a.u32(5), a.u32(6));
  return {
    kind: "dnat",
    addr: addr !== null && (addr.length === 4 || addr.length === 16) ? addressText(addr) : null,
    port: port !== null && port.length >= 2 ? (port[0]! << 8) | port[1]! : null,
  };
}

/** One comparison as parseNftJson's readMatch reads the same statement from nft -j. */
function matchOf(r: Rel, ctx: DelinearizeContext): FirewallMatch {
  const { left, op: cmp, values } = r;
  const op = MATCH_OPS[cmp];
  if (left.t === "meta") {
    const k = left.key;
    if (op === undefined) return other(`meta ${k} ${cmp}`);
    if (k === "iif" || k === "oif" || k === "iifname" || k === "oifname") {
      const names: string[] = [];
      for (const v of values) {
        if (v.kind !== "value") return other(`meta ${k}`);
        const n = k.endsWith("name") ? ifnameText(v.data) : ctx.ifname(hostNumber(v.data));
        if (n === undefined) return other(`meta ${k}`);
        names.push(n);
      }
      return { key: k.startsWith("i") ? "iif" : "oif", op, names };
    }
    if (k === "l4proto") return protoMatch(op, values);
    if (k === "nfproto") {
      const fams = values.map((v) => (v.kind === "value" && v.data[0] === 2 ? 4 : v.kind === "value" && v.data[0] === 10 ? 6 : null));
      return fams.every((f) => f !== null) ? { key: "nfproto", op, families: fams as (4 | 6)[] } : other("meta nfproto");
    }
    return other(`meta ${k}`);
  }
  if (left.t === "fib") {
    const v = values[0];
    const local = values.length === 1 && v?.kind === "value" && hostNumber(v.data) === 2;
    return left.result === 3 && left.flags === 2 && op !== undefined && local ? { key: "daddr-local", op } : other("fib");
  }
  if (left.t === "ct") {
    if (left.key !== 0 || op === undefined) return other("ct");
    return { key: "ct-state", op, states: values.flatMap((v) => (v.kind === "value" ? ctStateNames(hostNumber(v.data)) ?? [] : [])) };
  }
  if (left.t === "bitwise") return bitwiseMatch(left, cmp, values);
  if (left.t === "payload") return payloadMatch(left, cmp, values, null, r.fromSet);
  return other(left.t === "other" ? left.text : "match");
}

/** A bitwise and before a comparison: an address prefix, a ct state flag test (`ct state established,related`), or not understood. */
function bitwiseMatch(left: Extract<Src, { t: "bitwise" }>, cmp: string, values: NftValue[]): FirewallMatch {
  const zeroXor = left.xor.every((x) => x === 0);
  const first = values[0];
  const value = values.length === 1 && first?.kind === "value" ? first.data : null;
  const src = left.src;
  if (src.t === "payload" && src.addrWidth > 0 && zeroXor) {
    const bits = prefixBits(left.mask);
    if (bits !== null) return payloadMatch(src, cmp, values, bits);
  }
  if (src.t === "ct" && src.key === 0 && zeroXor && value !== null && hostNumber(value) === 0 && (cmp === "==" || cmp === "!=")) {
    return { key: "ct-state", op: cmp === "!=" ? "==" : "!=", states: ctStateNames(hostNumber(left.mask)) ?? [] };
  }
  if (src.t === "payload" && src.proto !== null && src.field !== null && zeroXor && value !== null && beNumber(value) === 0n) return other(`${src.proto} ${src.field}`);
  return other("&");
}

/** A payload comparison; `bits`: the prefix a bitwise mask left of the loaded bytes. */
function payloadMatch(left: Payload, cmp: string, values: NftValue[], bits: number | null, fromSet = false): FirewallMatch {
  const { proto, field } = left;
  if (proto === null || field === null) return other(rawText(left));
  const op = MATCH_OPS[cmp];
  if (field === "protocol" || field === "nexthdr") return op === undefined ? other(`${proto} ${field} ${cmp}`) : protoMatch(op, values);
  if (field === "saddr" || field === "daddr") {
    if (op === undefined) return other(`${proto} ${field} ${cmp}`);
    const ranges: AddressRange[] = [];
    for (const v of values) {
      const range = addressValue(v, left.addrWidth, left.len, bits, fromSet);
      if (range === null) return other(`${proto} ${field}`);
      ranges.push(range);
    }
    return { key: field, op, ranges, family: proto === "ip" ? 4 : 6 };
  }
  if (field === "dport" || field === "sport") {
    const ranges = portRanges(cmp, values);
    if (ranges === null) return other(`${proto} ${field} ${cmp}`);
    return { key: field, op: cmp === "!=" ? "!=" : "==", proto: proto === "th" ? null : proto, ranges };
  }
  return other(`${proto} ${field}`);
}

/**
 * An address value as nft prints it, as the range addressRange() makes of that text (built from the bytes, not
 * parsed again): a load of fewer bytes than the address, or a mask, is a prefix; a set's range is a prefix when
 * it is one; a rule's range is "first-last".
 */
function protoMatch(op: MatchOp, values: NftValue[]): FirewallMatch {
  const names: string[] = [];
  for (const v of values) {
    const n = v.kind === "value" && v.data.length === 1 ? protocolName(v.data[0]!) : null;
    if (typeof n !== "string") return other("l4proto");
    names.push(n);
  }
  return { key: "l4proto", op, protos: names };
}
