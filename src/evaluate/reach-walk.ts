import { ruleName, type FirewallChain, type FirewallMatch, type FirewallRule, type FirewallTable, type Ruleset } from "../model/firewall.js";
import { ipNumber } from "../model/ip-number.js";

/*
 * One packet through the firewall, as the kernel walks it (netfilter hooks): the base chains hooked at
 * prerouting, then at input, each in priority order, in every table of the packet's family (ip, ip6,
 * inet). A chain's rules run in order; accept ends that base chain (the next one still runs), drop and
 * reject end the walk, jump runs another chain and comes back (return, or its end), goto runs another
 * chain and does not come back, the end of a base chain applies its policy. DNAT in a nat chain sends
 * the packet elsewhere. A match or verdict portwatch does not understand is tried both ways: when the
 * two answers differ, the outcome "depends" on that rule.
 */

/** A packet from `saddr` to `daddr`:`dport`, arriving on `iif`; `ct`: its conntrack state (default new: the first packet). */
export interface Packet {
  family: 4 | 6; proto: string; iif: string; saddr: bigint; daddr: bigint; sport: number; dport: number; ct?: "new" | "established" | "invalid";
  /** The interface a forwarded packet leaves by (after DNAT); undefined: not known (an oif match is not understood). */
  oif?: string | undefined;
  /** Whether daddr is an address of the namespace (addrtype LOCAL); undefined: not known. */
  local?: boolean;
}

/** A published port's path (walkConnection's `follow`): the DNAT target the packet is followed to, and the interface it leaves by. */
export interface Follow { addr: bigint; port: number; oif: string | undefined }

/** The priority of destination NAT at prerouting (NF_IP_PRI_NAT_DST): conntrack translates a connection's later packets there. */
const NAT_DST_PRIORITY = -100;

/** Conntrack's priority at prerouting (NF_IP_PRI_CONNTRACK): chains before it see no connection yet, so "ct state" reads invalid. */
const CONNTRACK_PRIORITY = -200;

export type Outcome =
  | { kind: "accept" }
  | { kind: "drop"; by: string; source: string; reject: boolean }
  | { kind: "dnat"; by: string; source: string; to: string }
  /** Only with `follow`: the packet was sent on to the followed target (internal: walkPacket goes on at forward). */
  | { kind: "translated"; by: string }
  /** Only with `follow`: no DNAT rule sent the packet to the followed target. */
  | { kind: "untranslated" }
  | { kind: "depends"; on: string; what: string };

const ACCEPT: Outcome = { kind: "accept" };
const MAX_DEPTH = 32;
/** How many unknown rules one walk tries both ways before it says "depends" at once. */
const MAX_FORKS = 64;

/** The base chains of a hook, for a family, in priority order. */
export function baseChains(ruleset: Ruleset, hook: string, family: 4 | 6): { table: FirewallTable; chain: FirewallChain }[] {
  const out: { table: FirewallTable; chain: FirewallChain; i: number }[] = [];
  for (const table of ruleset.tables) {
    if (!(table.family === "inet" || table.family === (family === 4 ? "ip" : "ip6"))) continue;
    for (const chain of table.chains) if (chain.base?.hook === hook) out.push({ table, chain, i: out.length });
  }
  return out.sort((a, b) => a.chain.base!.priority - b.chain.base!.priority || a.i - b.i);
}

/** Whether a match holds for the packet: true, false, or null (not understood). */
export function matchHolds(m: FirewallMatch, p: Packet): boolean | null {
  let hit: boolean;
  switch (m.key) {
    case "iif": case "oif": {
      const name = m.key === "iif" ? p.iif : p.oif;
      if (name === undefined) return null;
      hit = m.names.some((n) => (n.endsWith("*") && !n.endsWith("\\*") ? name.startsWith(n.slice(0, -1)) : n.replace(/\\\*$/, "*") === name));
      break;
    }
    case "daddr-local":
      if (p.local === undefined) return null;
      hit = p.local;
      break;
    case "saddr": case "daddr": {
      if (m.family !== null && m.family !== p.family) return false;
      const a = m.key === "saddr" ? p.saddr : p.daddr;
      hit = m.ranges.some((r) => r.family === p.family && r.first <= a && a <= r.last);
      break;
    }
    case "l4proto": hit = m.protos.includes(p.proto); break;
    case "dport": case "sport": {
      if (m.proto !== null && m.proto !== p.proto) return false;
      const port = m.key === "dport" ? p.dport : p.sport;
      hit = m.ranges.some(([a, b]) => a <= port && port <= b);
      break;
    }
    case "ct-state": hit = m.states.includes(p.ct ?? "new"); break;
    case "nfproto": hit = m.families.includes(p.family); break;
    default: return null;
  }
  return m.op === "!=" ? !hit : hit;
}

interface Walk { ruleset: Ruleset; packet: Packet; forks: number; listenerPort: number; follow: Follow | null }

/** Where one walk of a chain ends: a final outcome, "accept" (this base chain accepts), or fall-through/return. */
type ChainEnd = Outcome | { kind: "return" } | { kind: "end" };

function findChain(table: FirewallTable, name: string): FirewallChain | undefined {
  return table.chains.find((c) => c.name === name);
}

function unknownText(rule: FirewallRule): string {
  const parts = rule.matches.filter((m) => m.key === "other").map((m) => (m as { text: string }).text);
  if (rule.verdict?.kind === "other") parts.push(rule.verdict.text);
  return parts.join(", ");
}

function runChain(w: Walk, table: FirewallTable, chain: FirewallChain, from: number, depth: number): ChainEnd {
  if (depth > MAX_DEPTH) return { kind: "depends", on: ruleName(table, chain, null), what: "jumps more than 32 chains deep" };
  for (let i = from; i < chain.rules.length; i++) {
    const rule = chain.rules[i]!;
    let unknown = false;
    let miss = false;
    for (const m of rule.matches) {
      const h = matchHolds(m, w.packet);
      if (h === false) { miss = true; break; }
      if (h === null) unknown = true;
    }
    if (miss) continue;
    if (unknown && rule.verdict !== null) {
      // try the rule as matching and as not matching: the same answer both ways needs no guess
      if (++w.forks > MAX_FORKS) return { kind: "depends", on: ruleName(table, chain, rule), what: unknownText(rule) };
      const yes = applyVerdict(w, table, chain, rule, i, depth) ?? runChain(w, table, chain, i + 1, depth);
      const no = runChain(w, table, chain, i + 1, depth);
      if (sameEnd(yes, no)) return yes;
      return { kind: "depends", on: ruleName(table, chain, rule), what: unknownText(rule) };
    }
    const end = applyVerdict(w, table, chain, rule, i, depth);
    if (end !== null) return end;
  }
  return { kind: "end" };
}

function sameEnd(a: ChainEnd, b: ChainEnd): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "depends" && b.kind === "depends") return a.on === b.on;
  return true;
}

/** The verdict of a rule that matched; null: go on with the next rule. */
function applyVerdict(w: Walk, table: FirewallTable, chain: FirewallChain, rule: FirewallRule, i: number, depth: number): ChainEnd | null {
  const v = rule.verdict;
  if (v === null) return null;
  const by = ruleName(table, chain, rule);
  switch (v.kind) {
    case "accept": return ACCEPT;
    case "drop": case "reject": return { kind: "drop", by, source: table.source, reject: v.kind === "reject" };
    case "return": return { kind: "return" };
    case "jump": case "goto": {
      const target = findChain(table, v.target);
      if (target === undefined) return { kind: "depends", on: by, what: `target ${v.target}` };
      const end = runChain(w, table, target, 0, depth + 1);
      if (v.kind === "goto") return end.kind === "return" ? { kind: "end" } : end;
      if (end.kind === "return" || end.kind === "end") return runChain(w, table, chain, i + 1, depth);
      return end;
    }
    case "dnat": {
      const to = `${v.addr ?? "(same address)"}${v.port === null ? "" : `:${v.port}`}`;
      const addr = v.addr === null ? null : ipNumber(v.addr);
      const sameAddr = addr === null ? v.addr === null : addr.family === w.packet.family && addr.value === w.packet.daddr;
      const samePort = v.port === null || v.port === w.listenerPort;
      if (w.follow !== null) {
        if (addr !== null && addr.family === w.packet.family && addr.value === w.follow.addr && (v.port ?? w.packet.dport) === w.follow.port) return { kind: "translated", by };
        return { kind: "dnat", by, source: table.source, to };
      }
      if (sameAddr && samePort) return ACCEPT;
      return { kind: "dnat", by, source: table.source, to };
    }
    default: return { kind: "depends", on: by, what: unknownText(rule) };
  }
}

/**
 * The outcome of one packet: through prerouting, then input (nat chains see only a connection's first packet).
 * With `follow` (a published port's path): a DNAT to the followed target sends the packet on, rewritten, to
 * the rest of prerouting and then the forward hook instead of input; its later packets are rewritten by
 * conntrack at the priority of destination NAT.
 */
export function walkPacket(ruleset: Ruleset, packet: Packet, follow: Follow | null = null): Outcome {
  const w: Walk = { ruleset, packet, forks: 0, listenerPort: packet.dport, follow };
  const translate = (p: Packet): Packet => ({ ...p, daddr: follow!.addr, dport: follow!.port, oif: follow!.oif, local: false });
  let translated = false;
  for (const hook of ["prerouting", "after-prerouting"]) {
    const now = hook === "prerouting" ? hook : translated ? "forward" : "input";
    if (follow !== null && now === "input") {
      // the connection was not sent on: conntrack has the later packets' translation from the first one
      if (packet.ct !== "established") return { kind: "untranslated" };
      packet = translate(packet); translated = true;
    }
    for (const { table, chain } of baseChains(ruleset, hook === "prerouting" ? hook : translated ? "forward" : "input", packet.family)) {
      if (follow !== null && !translated && packet.ct === "established" && hook === "prerouting" && chain.base!.priority > NAT_DST_PRIORITY) {
        packet = translate(packet); translated = true;
      }
      if (chain.base!.type === "nat" && packet.ct === "established") continue;
      // found by the kernel comparison: "ct state invalid drop" at priority raw (-300) drops every packet
      w.packet = hook === "prerouting" && chain.base!.priority < CONNTRACK_PRIORITY ? { ...packet, ct: "invalid" } : packet;
      const end = runChain(w, table, chain, 0, 0);
      if (end.kind === "translated") { packet = translate(packet); translated = true; continue; }
      if (end.kind === "accept") continue;
      if (end.kind === "return" || end.kind === "end") {
        if (chain.base!.policy === "drop") return { kind: "drop", by: ruleName(table, chain, null), source: table.source, reject: false };
        continue;
      }
      return end;
    }
  }
  return ACCEPT;
}

/**
 * The outcome of a new connection: its first packet (ct state new) and, for TCP, the client's next one
 * (established: the handshake's last ACK), which a rule such as "ct state established reject" stops
 * though the SYN got through (the kernel comparison found this).
 */
export function walkConnection(ruleset: Ruleset, packet: Packet, follow: Follow | null = null): Outcome {
  const first = walkPacket(ruleset, { ...packet, ct: "new" }, follow);
  if (first.kind !== "accept" || packet.proto !== "tcp") return first;
  return walkPacket(ruleset, { ...packet, ct: "established" }, follow);
}
