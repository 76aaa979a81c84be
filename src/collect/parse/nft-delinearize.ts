import type { AddressRange, FirewallMatch, FirewallVerdict, MatchOp } from "../../model/firewall.js";
import {
  addressText, addressValue, beNumber, compareBytes, ctStateNames, hostNumber, ifnameText, intervals, portRanges,
  prefixBits, protocolName, type Attrs, type NftElement, type NftValue,
} from "./nft-values.js";
import { payloadSrc, rawText, splitMerged, type Payload } from "./nft-payload.js";

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
  | Payload
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
  const m = new Machine(ctx);
  for (let i = 0; i < exprs.length && m.verdict === null; i++) {
    const { name, data: a } = exprs[i]!;
    switch (name) {
      case "immediate": m.immediate(a); break;
      case "payload": m.payload(a); break;
      case "meta": case "ct": m.metaCt(name, a); break;
      case "cmp": if (m.cmp(a, exprs[i + 1])) i++; break;
      case "lookup": m.lookup(a); break;
      case "bitwise": m.bitwise(a); break;
      case "range": m.range(a); break;
      case "fib": m.fib(a); break;
      case "nat": m.verdict = natVerdict(a, m.regs); break;
      case "reject": m.reject(a); break;
      case "target": m.verdict = { kind: "other", text: `xt target ${a.str(1) ?? ""}` }; break;
      default: m.other(name, a);
    }
  }
  const matches: FirewallMatch[] = [];
  for (const s of m.stmts) {
    if (s.s === "match") matches.push(s.match);
    else if (!s.rel.dropped) matches.push(matchOf(s.rel, ctx));
  }
  return { matches, verdict: m.verdict };
}

/**
 * The register machine of one rule as nft's delinearization follows it: what each register holds, the statements
 * so far, the header protocols the rule's dependencies named (`net`, `trans`) and the dependencies that disappear
 * when a load of that header follows (`pendingNet`, `pendingTrans`). One small method per expression, so that V8
 * compiles each on its own when a large ruleset makes them hot.
 */
class Machine {
  readonly regs = new Map<number, Src>();
  readonly stmts: Stmt[] = [];
  net: string | null;
  trans: number | null = null;
  pendingNet: Rel | null = null;
  pendingTrans: Rel | null = null;
  lastOther = "match";
  verdict: FirewallVerdict | null = null;
  private readonly ipTable: boolean;
  constructor(private readonly ctx: DelinearizeContext) {
    this.ipTable = ctx.family === "ip" || ctx.family === "ip6";
    this.net = this.ipTable ? ctx.family : null;
  }
  read(r: number | null): Src { return this.regs.get(reg(r) ?? -2) ?? { t: "other", text: this.lastOther }; }
  rel(left: Src, op: string, values: NftValue[], fromSet = false): void {
    const r: Rel = { left, op, values, fromSet, dropped: false };
    this.stmts.push({ s: "rel", rel: r });
    const first = values[0];
    const one = op === "==" && values.length === 1 && first?.kind === "value" && !fromSet ? first.data : null;
    if (one === null) return;
    if (left.t === "meta" && left.key === "nfproto" && (one[0] === 2 || one[0] === 10)) { this.net = one[0] === 2 ? "ip" : "ip6"; this.pendingNet = r; }
    // both name the transport header after them, but in inet, bridge and netdev tables nft keeps an "ip protocol"
    const meta = left.t === "meta" && left.key === "l4proto";
    if (meta || (left.t === "payload" && (left.field === "protocol" || left.field === "nexthdr"))) {
      this.trans = one[0] ?? null;
      this.pendingTrans = meta || this.ipTable ? r : null;
    }
  }
  /** A statement of its own (not a comparison): like nft's rule_maybe_reset_payload_deps, a dependency before it stays a match. */
  private statement(): void { this.pendingNet = this.pendingTrans = null; }
  immediate(a: Attrs): void {
    const dreg = reg(a.u32(1));
    if (dreg === -1) this.verdict = verdictOf(a.nested(2).nested(2));
    else if (dreg !== null) this.regs.set(dreg, { t: "imm", data: a.data(2) ?? new Uint8Array() });
  }
  payload(a: Attrs): void {
    if (a.has(5)) { this.statement(); return; }   // a write (mangle)
    const base = a.u32(2) ?? -1, off = a.u32(3) ?? -1, len = a.u32(4) ?? 0;
    const src = payloadSrc(base, off, len, this.net, this.trans);
    if (base === 1 && this.pendingNet !== null && !this.ipTable) { this.pendingNet.dropped = true; this.pendingNet = null; }
    if (base === 2 && this.pendingTrans !== null) { this.pendingTrans.dropped = true; this.pendingTrans = null; }
    const d = reg(a.u32(1));
    if (d !== null) this.regs.set(d, src);
  }
  metaCt(name: string, a: Attrs): void {
    if (a.has(name === "meta" ? 3 : 4)) { this.statement(); return; }   // meta/ct set (mangle)
    const key = a.u32(2) ?? -1, d = reg(a.u32(1));
    if (d !== null) this.regs.set(d, name === "meta" ? { t: "meta", key: META_KEYS[key] ?? String(key) } : { t: "ct", key });
  }
  fib(a: Attrs): void {
    const d = reg(a.u32(1));
    if (d !== null) this.regs.set(d, { t: "fib", result: a.u32(2) ?? -1, flags: a.u32(3) ?? -1 });
  }
  bitwise(a: Attrs): void {
    const d = reg(a.u32(2)), mask = a.data(4), xor = a.data(5), op = a.u32(6) ?? 0;
    if (d !== null) this.regs.set(d, op === 0 && mask !== null && xor !== null ? { t: "bitwise", src: this.read(a.u32(1)), mask, xor } : { t: "other", text: "&" });
  }
  /** A comparison; true when it took the next expression too (nft writes a-b as cmp gte a, cmp lte b on one register). */
  cmp(a: Attrs, next: NftExpr | undefined): boolean {
    const op = CMP_OPS[a.u32(2) ?? -1] ?? "?", data = a.data(3) ?? new Uint8Array();
    if (op === ">=" && next?.name === "cmp" && next.data.u32(2) === 3 && reg(next.data.u32(1)) === reg(a.u32(1))) {
      this.rel(this.read(a.u32(1)), "==", [{ kind: "range", from: data, to: next.data.data(3) ?? new Uint8Array() }]);
      return true;
    }
    const left = this.read(a.u32(1));
    const parts = op === "==" && left.t === "payload" && left.field === null ? splitMerged(left, data) : null;
    if (parts === null) this.rel(left, op, [{ kind: "value", data }]);
    else for (const [l, d] of parts) this.rel(l, op, [{ kind: "value", data: d }]);
    return false;
  }
  range(a: Attrs): void {
    const op = a.u32(2) === 1 ? "!=" : "==";
    this.rel(this.read(a.u32(1)), op, [{ kind: "range", from: a.data(3) ?? new Uint8Array(), to: a.data(4) ?? new Uint8Array() }]);
  }
  lookup(a: Attrs): void {
    const dreg = reg(a.u32(3));
    if (dreg === -1) { this.verdict = { kind: "other", text: "vmap" }; return; }
    if (dreg !== null) { this.regs.set(dreg, { t: "other", text: "map" }); return; }   // a data map: its result feeds nat and the like
    const left = this.read(a.u32(2)), setName = a.str(1) ?? "", set = this.ctx.set(setName);
    const op = ((a.u32(5) ?? 0) & 1) ? "!=" : "==";
    if (set === undefined) { this.stmts.push({ s: "match", match: other(`set @${setName}`) }); return; }
    const width = widthOf(left);
    if (set.keyLen !== null && width !== null && set.keyLen > width) { this.stmts.push({ s: "match", match: other("concat") }); return; }
    this.rel(left, op, setValues(set, left), true);
  }
  /** Like nft's stmt_reject_postprocess: a reject names the protocol its dependency stood for. */
  reject(a: Attrs): void {
    const type = a.u32(1), family = this.ctx.family;
    if (this.ipTable && type === 1 && this.pendingTrans !== null) this.pendingTrans.dropped = true;
    if (!this.ipTable && family !== "arp" && type !== 2 && this.pendingNet !== null) this.pendingNet.dropped = true;
    this.verdict = { kind: "reject" };
  }
  /** Every other expression: a verdict portwatch does not follow, a load it does not read, or a statement. */
  other(name: string, a: Attrs): void {
    if (OTHER_VERDICTS[name] !== undefined) { this.verdict = { kind: "other", text: OTHER_VERDICTS[name] }; return; }
    if (OTHER_LOADS[name] !== undefined) { this.lastOther = OTHER_LOADS[name]; return; }
    this.statement();
    const push = (text: string): void => { this.stmts.push({ s: "match", match: other(text) }); };
    if (name === "match") push(`xt match ${a.str(1) ?? ""}`);
    else if (OTHER_MATCHES[name] !== undefined) push(OTHER_MATCHES[name]);
    else if (name === "objref") {
      const type = a.u32(1);
      if (type === 2 || type === 4) push(type === 2 ? "quota" : "limit");
      else if (type !== 1 && type !== 3) push("objref");
    } else if (!PASS.has(name)) push(name);
  }
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
