import { isLoopback, isWildcard } from "../model/address.js";
import type { AddressRange, FirewallMatch, NetInterface, Reach, Ruleset } from "../model/firewall.js";
import type { Socket } from "../model/socket.js";
import { ipNumber } from "../model/ip-number.js";
import { matchHolds, walkConnection, type Follow, type Outcome, type Packet } from "./reach-walk.js";

/*
 * How reachable a listener is once the firewall has had its say (`reach`): for each interface of its
 * namespace with an address outside loopback, a new connection to the listener's port is walked through
 * the ruleset (reach-walk.ts) from a source no rule names ("anyone") and from each source range the
 * rules name (both ends of it), so "only from 10.0.0.0/8" is found without trying every address.
 * A v6 listener on "::" also takes IPv4 unless IPV6_V6ONLY is on (the socket's v6only, from the netlink dump;
 * when not known, Linux's default net.ipv6.bindv6only=0 is assumed): then the IPv4 path is walked too.
 */

/** What `reach` needs of a listener. */
export interface ReachListener {
  proto: string; family: 4 | 6; address: string; port: number;
  /** An IPv6 listener on "::": true when IPV6_V6ONLY is on (no IPv4 path); undefined: not known, taken as off (Linux's default). */
  v6only?: boolean | undefined;
}

/** A namespace's firewall and interfaces, as read. */
export interface FirewallContext { ruleset: Ruleset; interfaces: readonly NetInterface[] }

/** Source addresses tried as "anyone": the first that no rule's range holds is used. */
const WORLD: Record<4 | 6, string[]> = {
  4: ["203.0.113.77", "198.51.100.77", "192.0.2.77", "100.64.7.7", "8.8.4.4", "1.1.1.2", "93.184.216.34", "11.22.33.44"],
  6: ["2001:db8:77::77", "2001:4860:4860::8844", "2a00:1450::77", "fd77::77", "2606:4700::1111"],
};
/** Source port of the tried packets (an ephemeral port, as clients use). */
const CLIENT_PORT = 45678;
/** At most this many source ranges are tried per interface (a thousand-rule blocklist need not be). */
const MAX_RANGES = 48;

/** A packet to walk: arriving on `names[0]` (the others behave alike), for `daddr`. */
interface Target { names: readonly string[]; family: 4 | 6; daddr: bigint }

/** The iif matches of a ruleset (what tells one arrival interface from another). */
function iifMatches(ruleset: Ruleset): FirewallMatch[] {
  const out: FirewallMatch[] = [];
  for (const t of ruleset.tables) for (const c of t.chains) for (const r of c.rules) for (const m of r.matches) if (m.key === "iif") out.push(m);
  return out;
}

/**
 * The interfaces a packet can arrive on, one per kind the rules tell apart: Linux takes a packet for any of
 * its addresses on any interface (the weak host model: a neighbour on eth1 reaches eth0's address), so
 * "iifname eth0 drop" does not shield a listener bound to eth0's address from eth1. Interfaces no iif match
 * tells apart behave alike and one of them is walked; an interface that is down takes nothing (found by
 * sending a real packet from a second link).
 */
function arrivals(ruleset: Ruleset, interfaces: readonly NetInterface[]): string[][] {
  const matches = iifMatches(ruleset);
  const kinds = new Map<string, string[]>();
  for (const i of interfaces) {
    if (i.loopback || !i.up) continue;
    const probe: Packet = { family: 4, proto: "tcp", iif: i.name, saddr: 0n, daddr: 0n, sport: 0, dport: 0 };
    const kind = matches.map((m) => (matchHolds(m, probe) ? "1" : "0")).join("");
    const names = kinds.get(kind);
    if (names === undefined) kinds.set(kind, [i.name]); else names.push(i.name);
  }
  return [...kinds.values()];
}

function targets(l: ReachListener, interfaces: readonly NetInterface[], ruleset: Ruleset): Target[] {
  const wild = isWildcard(l.address);
  const bound = wild ? null : ipNumber(l.address);
  const from = arrivals(ruleset, interfaces);
  const out: Target[] = [];
  const seen = new Set<string>();
  for (const i of interfaces) {
    for (const a of i.addresses) {
      const ip = ipNumber(a);
      // 127.0.0.0/8 and ::1 never come from the network; another address on lo (an anycast or load-balanced
      // service address) does, through every other interface
      if (ip === null || isLoopback(a)) continue;
      if (bound !== null ? ip.family === bound.family && ip.value === bound.value
        : ip.family === l.family || (l.family === 6 && l.address === "::" && ip.family === 4 && l.v6only !== true)) {
        // a link-local address is reached only through its own link; an interface that is down is tried too
        const own = i.loopback || (i.up && !/^fe[89ab]/i.test(a)) ? [] : [[i.name]];
        for (const names of /^fe[89ab]/i.test(a) ? own : [...own, ...from]) {
          const key = `${names[0]}|${ip.family}|${ip.value}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ names, family: ip.family, daddr: ip.value });
        }
      }
    }
  }
  return out;
}

/**
 * The source ranges the rules name that could matter for this packet (their other matches do not rule it
 * out), those that may let a packet in first: a range a drop or reject rule names (==) only shuts, so a long
 * blocklist does not crowd out the one network a later rule accepts.
 */
interface Sources { ranges: AddressRange[]; untried: number; world: bigint }

function namedRanges(ruleset: Ruleset, probe: Packet): Sources {
  const opening = new Map<string, AddressRange>();
  const shutting = new Map<string, AddressRange>();
  // the source tried as "anyone": the first of WORLD that no range holds
  const candidates = WORLD[probe.family].map((a) => ipNumber(a)!.value);
  const taken = candidates.map(() => false);
  let more = 0;
  for (const t of ruleset.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        const sources = r.matches.filter((m) => m.key === "saddr");
        if (sources.length === 0) continue;
        if (r.matches.some((m) => m.key !== "saddr" && m.key !== "iif" && matchHolds(m, probe) === false)) continue;
        const shuts = r.verdict?.kind === "drop" || r.verdict?.kind === "reject";
        for (const m of sources) {
          if (m.key !== "saddr") continue;
          const into = shuts && m.op === "==" ? shutting : opening;
          for (const range of m.ranges) {
            if (range.family !== probe.family || opening.has(range.text) || into.has(range.text)) continue;
            candidates.forEach((v, i) => { if (range.first <= v && v <= range.last) taken[i] = true; });
            if (into.size < MAX_RANGES) into.set(range.text, range); else more++;
          }
        }
      }
    }
  }
  for (const k of opening.keys()) shutting.delete(k);
  const all = [...opening.values(), ...shutting.values()];
  const free = candidates.findIndex((_, i) => !taken[i]);
  return { ranges: all.slice(0, MAX_RANGES), untried: more + Math.max(0, all.length - MAX_RANGES), world: candidates[free < 0 ? 0 : free]! };
}

/** `untried`: source ranges beyond MAX_RANGES that were not walked (they might let the packet in). */
interface Seen { names: readonly string[]; world: Outcome; from: string[]; untried: number }

function look(ruleset: Ruleset, l: ReachListener, t: Target, follow: Follow | null): Seen {
  const probe: Packet = { family: t.family, proto: l.proto, iif: t.names[0]!, saddr: 0n, daddr: t.daddr, sport: CLIENT_PORT, dport: l.port, local: true };
  const { ranges, untried, world: anyone } = namedRanges(ruleset, probe);
  const world = walkConnection(ruleset, { ...probe, saddr: anyone }, follow);
  const from: string[] = [];
  if (world.kind !== "accept") {
    for (const r of ranges) {
      if (walkConnection(ruleset, { ...probe, saddr: r.first }, follow).kind === "accept" || walkConnection(ruleset, { ...probe, saddr: r.last }, follow).kind === "accept") from.push(r.text);
    }
  }
  return { names: t.names, world, from, untried: world.kind === "accept" ? 0 : untried };
}

type Closed = Outcome & { kind: "drop" | "dnat" | "untranslated" };

function blockedText(o: Closed): string {
  if (o.kind === "untranslated") return "no DNAT rule sends it there";
  if (o.kind === "dnat") return `${o.source} sends it on to ${o.to} (${o.by})`;
  return `${o.source} ${o.reject ? "rejects" : "drops"} it (${o.by})`;
}

/**
 * `reach` of one listener: loopback-only, blocked (with the rule), restricted (from where), open, or unknown
 * (why). With `follow`, of a published port: `l` is the host's side (address, port), and a connection
 * counts only when a DNAT rule sends it to the followed target and the forward hook lets it through.
 */
export function reachOf(l: ReachListener, ctx: FirewallContext, follow: Follow | null = null): Reach {
  if (isLoopback(l.address)) return { kind: "loopback-only", detail: `bound to ${l.address}` };
  const list = targets(l, ctx.interfaces, ctx.ruleset);
  if (list.length === 0) {
    return isWildcard(l.address)
      ? { kind: "loopback-only", detail: "its network namespace has no interface but loopback" }
      : { kind: "unknown", detail: `is bound to ${l.address}, an address no interface of its network namespace has` };
  }
  const seen = list.map((t) => look(ctx.ruleset, l, t, follow));
  const depends = seen.find((s) => s.world.kind === "depends");
  if (depends !== undefined && depends.world.kind === "depends") {
    return { kind: "unknown", detail: `depends on ${depends.world.on}${depends.world.what === "" ? "" : ` (${depends.world.what})`}, which portwatch cannot evaluate` };
  }
  const ifaces = (xs: Seen[]): string => namesText([...new Set(xs.flatMap((s) => s.names))]);
  const open = seen.filter((s) => s.world.kind === "accept");
  if (open.length === seen.length) return { kind: "open", detail: `the firewall lets anyone reach it on ${ifaces(open)}` };
  const some = seen.filter((s) => s.from.length > 0);
  const untried = seen.find((s) => s.untried > 0);
  if (open.length === 0 && some.length === 0 && untried !== undefined) {
    return { kind: "unknown", detail: `depends on more source ranges than portwatch tries (${MAX_RANGES} on ${untried.names[0]!}, ${untried.untried} more), and none of those tried gets in` };
  }
  if (open.length === 0 && some.length === 0) {
    // the rule that stops it, rather than "no DNAT rule sends it there" on an interface the DNAT rule does not name
    const first = (seen.find((x) => x.world.kind !== "untranslated") ?? seen[0]!).world as Closed;
    return { kind: "blocked", detail: blockedText(first) };
  }
  const parts: string[] = [];
  if (open.length > 0) parts.push(`from anyone on ${ifaces(open)}`);
  const byIface = new Map<string, Set<string>>();
  for (const s of some) { const on = namesText(s.names); const set = byIface.get(on) ?? new Set(); for (const f of s.from) set.add(f); byIface.set(on, set); }
  for (const [iif, from] of byIface) parts.push(`from ${[...from].join(", ")} on ${iif}`);
  const closed = seen.find((s) => s.world.kind === "drop" || s.world.kind === "dnat") ?? seen.find((s) => s.world.kind === "untranslated");
  const rest = closed === undefined ? "" : `; otherwise ${blockedText(closed.world as Closed)}`;
  return { kind: "restricted", detail: `the firewall lets it be reached only ${parts.join("; ")}${rest}` };
}

/** Interface names in words, the first four and how many more: "eth0, docker0, veth1, veth2 and 9 more". */
function namesText(names: readonly string[]): string {
  return names.length <= 4 ? names.join(", ") : `${names.slice(0, 4).join(", ")} and ${names.length - 4} more`;
}

/**
 * `reachOf` with a memo: listeners with the same protocol, family, address and port share one answer; with
 * no rule that matches on a port (an empty ruleset, rules by address or interface only), the port cannot
 * change the answer and is left out of the memo's key (10,000 UDP sockets on as many ports: one walk).
 */
export function createReachJudge(ctx: FirewallContext): (l: ReachListener) => Reach {
  const memo = new Map<string, Reach>();
  const byPort = ctx.ruleset.tables.some((t) => t.chains.some((c) => c.rules.some((r) => r.matches.some((m) => m.key === "dport" || m.key === "sport"))));
  return (l) => {
    const key = `${l.proto}|${l.family}|${l.address}|${byPort ? l.port : "*"}|${l.v6only ?? ""}`;
    let r = memo.get(key);
    if (r === undefined) { r = reachOf(l, ctx); memo.set(key, r); }
    return r;
  };
}

/** A namespace's firewall as read by collect/firewall.ts (the part `setReach` needs). */
export interface NamespaceFirewall { ruleset: Ruleset | null; interfaces: readonly NetInterface[]; problem: string | null }

/**
 * Sets `reach` on each tcp and udp listener whose namespace's firewall could be read; returns one warning
 * when some could not be (null when all could).
 */
export function setReach(listeners: readonly Socket[], firewalls: ReadonlyMap<number | null, NamespaceFirewall>): string | null {
  const judges = new Map<number | null, ((l: ReachListener) => Reach) | null>();
  const problems = new Map<string, number>();
  for (const s of listeners) {
    if (s.direction !== "listening" || s.proto === "raw") continue;
    const ns = firewalls.has(s.netns) ? s.netns : null;
    let judge = judges.get(ns);
    if (judge === undefined) {
      const fw = firewalls.get(ns);
      judge = fw?.ruleset ? createReachJudge({ ruleset: fw.ruleset, interfaces: fw.interfaces }) : null;
      judges.set(ns, judge);
      if (fw?.problem) problems.set(fw.problem, (problems.get(fw.problem) ?? 0) + 1);
    }
    if (judge !== null) s.reach = judge({ proto: s.proto, family: s.family, address: s.local.address, port: s.local.port, v6only: s.v6only });
  }
  if (problems.size === 0) return null;
  const [first] = problems.keys();
  const many = [...problems.values()].reduce((a, b) => a + b, 0);
  return `Cannot read the firewall${many > 1 ? ` of ${many} network namespaces` : ""}: ${first!} (run as root with nftables or iptables installed); who can reach a listener is judged from its bind address alone`;
}

/** The words of a `reach` that says the network cannot reach a listener its bind address exposes; null otherwise. */
export function firewallShields(s: Socket): string | null {
  return s.reach !== undefined && (s.reach.kind === "blocked" || s.reach.kind === "loopback-only") ? s.reach.detail : null;
}
