import type { AddressRange, FirewallChain, FirewallMatch, FirewallRule, FirewallTable, FirewallVerdict, MatchOp } from "../../model/firewall.js";
import { addressRange } from "../../model/ip-number.js";
import type { Problem } from "../../model/problem.js";

/*
 * `nft -j list ruleset` (libnftables-json(5), json_schema_version 1, nft 1.0.6): one object
 * {"nftables": [{"metainfo": …}, {"table": …}, {"set": …}, {"chain": …}, {"rule": …}, …]}.
 * A base chain has "type", "hook", "prio" and "policy"; a rule has "expr", a list of statements:
 * {"match": {"op", "left", "right"}} (left: {"payload": {"protocol", "field"}}, {"meta": {"key"}},
 * {"ct": {"key"}}; right: a value, {"set": […]}, {"range": [a, b]}, {"prefix": {"addr", "len"}}, "@name"),
 * verdicts ({"accept": null}, {"jump": {"target"}}, {"dnat": {"addr", "port"}} …) and other statements
 * (counter, log …). What is not understood is kept as an "other" match or verdict (model/firewall.ts).
 */

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Statements that neither match nor decide: the packet goes on. */
const PASS_THROUGH = new Set(["counter", "log", "mangle", "notrack", "set", "nftrace", "meta", "ct helper", "flow", "xt-comment"]);
const MATCH_OPS: Record<string, MatchOp> = { "==": "==", "!=": "!=", in: "==" };

export interface NftParse { tables: FirewallTable[]; problems: Problem[] }

/** Reads the JSON text of `nft -j list ruleset`. `source` names it in problems. */
export function parseNftJson(text: string, source = "nft -j list ruleset"): NftParse {
  const problems: Problem[] = [];
  let doc: Json;
  try { doc = JSON.parse(text); } catch (e) {
    return { tables: [], problems: [{ source, line: null, text: null, reason: `not JSON (${(e as Error).message}); is nft older than 0.9?` }] };
  }
  const items = isObj(doc) && Array.isArray(doc.nftables) ? doc.nftables : null;
  if (items === null) return { tables: [], problems: [{ source, line: null, text: null, reason: 'no "nftables" list in the JSON' }] };
  const tables = new Map<string, { table: FirewallTable; chains: Map<string, FirewallChain & { rules: FirewallRule[] }>; sets: Map<string, Json[]> }>();
  const key = (o: Obj): string => `${String(o.family)} ${String(o.table ?? o.name)}`;
  for (const item of items) {
    if (!isObj(item)) continue;
    if (isObj(item.table)) {
      const t = item.table;
      const chains = new Map();
      tables.set(key(t), { table: { family: String(t.family), name: String(t.name), source: "nftables", chains: [] }, chains, sets: new Map() });
    } else if (isObj(item.set) || isObj(item.map)) {
      const s = (item.set ?? item.map) as Obj;
      const entry = tables.get(key(s));
      if (entry && isObj(item.set)) entry.sets.set(String(s.name), Array.isArray(s.elem) ? s.elem : []);
    } else if (isObj(item.chain)) {
      const c = item.chain;
      const entry = tables.get(key(c));
      if (!entry) continue;
      const base = typeof c.hook === "string"
        ? { hook: c.hook, priority: typeof c.prio === "number" ? c.prio : 0, policy: c.policy === "drop" ? "drop" as const : "accept" as const, type: String(c.type ?? "filter") }
        : null;
      entry.chains.set(String(c.name), { name: String(c.name), base, rules: [] });
    } else if (isObj(item.rule)) {
      const r = item.rule;
      const entry = tables.get(key(r));
      const chain = entry?.chains.get(String(r.chain));
      if (!entry || !chain) { problems.push({ source, line: null, text: null, reason: `a rule of unknown chain ${String(r.chain)}` }); continue; }
      chain.rules.push(readRule(r, chain.rules.length + 1, entry.sets));
    }
  }
  const out: FirewallTable[] = [];
  for (const { table, chains } of tables.values()) out.push({ ...table, chains: [...chains.values()] });
  return { tables: out, problems };
}

function readRule(r: Obj, number: number, sets: Map<string, Json[]>): FirewallRule {
  const matches: FirewallMatch[] = [];
  let verdict: FirewallVerdict | null = null;
  const exprs = Array.isArray(r.expr) ? r.expr : [];
  for (const e of exprs) {
    if (!isObj(e)) continue;
    const [name] = Object.keys(e);
    if (name === undefined) continue;
    const body = e[name];
    if (name === "match" && isObj(body)) { matches.push(readMatch(body, sets)); continue; }
    if (name === "accept" || name === "drop" || name === "return") { verdict = { kind: name }; break; }
    if (name === "reject") { verdict = { kind: "reject" }; break; }
    if ((name === "jump" || name === "goto") && isObj(body)) { verdict = { kind: name, target: String(body.target) }; break; }
    if (name === "dnat" && isObj(body)) {
      verdict = { kind: "dnat", addr: typeof body.addr === "string" ? body.addr : null, port: typeof body.port === "number" ? body.port : null };
      break;
    }
    if (PASS_THROUGH.has(name)) continue;
    if (name === "xt" && isObj(body) && body.type === "target") { verdict = { kind: "other", text: `xt target ${String(body.name)}` }; break; }
    if (name === "xt" && isObj(body)) { matches.push({ key: "other", text: `xt match ${String(body.name)}` }); continue; }
    if (["redirect", "queue", "tproxy", "synproxy", "vmap", "snat", "masquerade", "continue", "fwd", "dup"].includes(name)) {
      verdict = { kind: "other", text: name }; break;
    }
    matches.push({ key: "other", text: name });   // limit, quota, ct count, …: decides whether the rule applies
  }
  return { number, handle: typeof r.handle === "number" ? r.handle : null, matches, verdict };
}

const other = (what: string): FirewallMatch => ({ key: "other", text: what });

function readMatch(m: Obj, sets: Map<string, Json[]>): FirewallMatch {
  const left = m.left;
  const op = typeof m.op === "string" ? MATCH_OPS[m.op] : "==";
  const cmp = typeof m.op === "string" ? m.op : "==";
  if (!isObj(left)) return other("match");
  let right = m.right;
  if (typeof right === "string" && right.startsWith("@")) {
    const elems = sets.get(right.slice(1));
    if (elems === undefined) return other(`set ${right}`);
    right = { set: elems };
  }
  const values = (): Json[] => (isObj(right) && Array.isArray(right.set) ? right.set : Array.isArray(right) ? right : [right]);
  if (isObj(left.meta)) {
    const k = left.meta.key;
    if (op === undefined) return other(`meta ${String(k)} ${cmp}`);
    if (k === "iif" || k === "iifname" || k === "oif" || k === "oifname") {
      const names = values().filter((v): v is string => typeof v === "string");
      return names.length === values().length ? { key: k.startsWith("i") ? "iif" : "oif", op, names } : other(`meta ${k}`);
    }
    if (k === "l4proto") return protoMatch(op, values());
    if (k === "nfproto") {
      const fams = values().map((v) => (v === "ipv4" ? 4 : v === "ipv6" ? 6 : null));
      return fams.every((f) => f !== null) ? { key: "nfproto", op, families: fams as (4 | 6)[] } : other("meta nfproto");
    }
    return other(`meta ${String(k)}`);
  }
  // fib daddr type local: {"fib": {"result": "type", "flags": ["daddr"]}} == "local" (docker's and firewalld's DNAT chains)
  if (isObj(left.fib) && left.fib.result === "type" && Array.isArray(left.fib.flags) && left.fib.flags.length === 1 && left.fib.flags[0] === "daddr"
    && op !== undefined && (right === "local" || (isObj(right) && Array.isArray(right.set) && right.set.length === 1 && right.set[0] === "local"))) {
    return { key: "daddr-local", op };
  }
  if (isObj(left.ct) && left.ct.key === "state" && op !== undefined) {
    const states = values().filter((v): v is string => typeof v === "string");
    return { key: "ct-state", op, states };
  }
  if (isObj(left.payload)) {
    const { protocol, field } = left.payload;
    if ((protocol === "ip" && field === "protocol") || (protocol === "ip6" && field === "nexthdr")) {
      return op === undefined ? other(`${protocol} ${field} ${cmp}`) : protoMatch(op, values());
    }
    if ((protocol === "ip" || protocol === "ip6") && (field === "saddr" || field === "daddr")) {
      if (op === undefined) return other(`${protocol} ${field} ${cmp}`);
      const ranges: AddressRange[] = [];
      for (const v of values()) { const r = addrRange(v); if (r === null) return other(`${protocol} ${field}`); ranges.push(r); }
      return { key: field, op, ranges, family: protocol === "ip" ? 4 : 6 };
    }
    if (field === "dport" || field === "sport") {
      const proto = protocol === "th" ? null : String(protocol);
      const ranges = portRanges(cmp, values());
      if (ranges === null) return other(`${String(protocol)} ${field} ${cmp}`);
      return { key: field, op: cmp === "!=" ? "!=" : "==", proto, ranges };
    }
    return other(`${String(protocol)} ${String(field)}`);
  }
  return other(Object.keys(left)[0] ?? "match");
}

function protoMatch(op: MatchOp, values: Json[]): FirewallMatch {
  const names: string[] = [];
  for (const v of values) {
    if (typeof v === "string") names.push(v);
    else if (v === 6) names.push("tcp"); else if (v === 17) names.push("udp"); else return other("l4proto");
  }
  return { key: "l4proto", op, protos: names };
}

function addrRange(v: Json): AddressRange | null {
  if (typeof v === "string") return addressRange(v);
  if (isObj(v) && isObj(v.prefix)) return addressRange(`${String(v.prefix.addr)}/${String(v.prefix.len)}`);
  if (isObj(v) && Array.isArray(v.range) && v.range.length === 2) return addressRange(`${String(v.range[0])}-${String(v.range[1])}`);
  if (isObj(v) && isObj(v.elem)) return addrRange(v.elem.val);
  return null;
}

/** Port values as ranges; comparisons (<, >=…) become one range. null when not numbers. */
function portRanges(cmp: string, values: Json[]): [number, number][] | null {
  const out: [number, number][] = [];
  for (const v of values) {
    if (typeof v === "number") {
      if (cmp === "<") out.push([0, v - 1]); else if (cmp === "<=") out.push([0, v]);
      else if (cmp === ">") out.push([v + 1, 65535]); else if (cmp === ">=") out.push([v, 65535]);
      else if (cmp === "==" || cmp === "!=" || cmp === "in") out.push([v, v]); else return null;
    } else if (isObj(v) && Array.isArray(v.range) && typeof v.range[0] === "number" && typeof v.range[1] === "number") {
      out.push([v.range[0], v.range[1]]);
    } else if (isObj(v) && isObj(v.elem)) {
      const inner = portRanges("==", [v.elem.val]);
      if (inner === null) return null;
      out.push(...inner);
    } else return null;
  }
  return out;
}
