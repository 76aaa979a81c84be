import { isLoopback, isWildcard } from "../model/address.js";
import type { FirewallChain, FirewallTable, NetInterface, PortMapping, Ruleset } from "../model/firewall.js";
import { ruleName } from "../model/firewall.js";
import { addressRange, ipNumber } from "../model/ip-number.js";
import { ownerText } from "../model/process.js";
import type { Socket } from "../model/socket.js";
import { reachOf, type NamespaceFirewall } from "./reach.js";

/*
 * Published ports: a host port that a DNAT rule or a container runtime's proxy sends on to a socket
 * elsewhere, most often a container's, in its own network namespace. Shown both ways: the container's
 * listener gets `published` (which host port reaches it, and who can reach that port through the host's
 * firewall: the reach of the DNAT path, prerouting then forward), and the host's listener on that port
 * (docker-proxy, or a process the DNAT rule diverts connections away from) gets `publishes`. A DNAT rule
 * that no host process listens behind is named in one warning (no socket stands for it).
 * Pure: the rulesets, interfaces and listeners come from collect/ (collect/firewall.ts reads them).
 */

/** A DNAT rule as a port mapping: connections of `proto` to hostAddress (null: any local address):hostPort go to toAddress:toPort. */
export interface DnatRule {
  family: 4 | 6;
  proto: string;
  hostAddress: string | null;
  hostPort: number;
  toAddress: string;
  toPort: number;
  rule: string;
}

/** At most this many ports of one rule's port range are taken as mappings. */
const MAX_RANGE = 64;

/** The nat chains a new connection can reach from the prerouting and output nat base chains of a table (through jumps and gotos). */
function natChains(table: FirewallTable): FirewallChain[] {
  const byName = new Map(table.chains.map((c) => [c.name, c]));
  const seen = new Set<FirewallChain>();
  const todo = table.chains.filter((c) => c.base?.type === "nat" && (c.base.hook === "prerouting" || c.base.hook === "output"))
    .sort((a, b) => (a.base!.hook === b.base!.hook ? 0 : a.base!.hook === "prerouting" ? -1 : 1));
  const out: FirewallChain[] = [];
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (seen.has(c)) continue;
    seen.add(c); out.push(c);
    for (const r of c.rules) {
      if (r.verdict?.kind !== "jump" && r.verdict?.kind !== "goto") continue;
      const next = byName.get(r.verdict.target);
      if (next !== undefined && !seen.has(next)) todo.push(next);
    }
  }
  return out;
}

/** The port mappings the DNAT rules of a ruleset make (rules with a target address, a protocol and destination ports). */
export function dnatRules(ruleset: Ruleset): DnatRule[] {
  const out = new Map<string, DnatRule>();
  for (const table of ruleset.tables) {
    if (table.family !== "ip" && table.family !== "ip6" && table.family !== "inet") continue;
    for (const chain of natChains(table)) {
      for (const rule of chain.rules) {
        const v = rule.verdict;
        if (v?.kind !== "dnat" || v.addr === null) continue;
        const to = ipNumber(v.addr);
        if (to === null) continue;
        const protos = new Set<string>();
        let ports: number[] | null = null;
        let host: string | null = null;
        for (const m of rule.matches) {
          if (m.key === "l4proto" && m.op === "==") for (const p of m.protos) protos.add(p);
          else if (m.key === "dport" && m.op === "==") {
            if (m.proto !== null) protos.add(m.proto);
            ports = m.ranges.flatMap(([a, b]) => (b - a < MAX_RANGE ? Array.from({ length: b - a + 1 }, (_, k) => a + k) : []));
          } else if (m.key === "daddr" && m.op === "==" && m.ranges.length === 1 && m.ranges[0]!.first === m.ranges[0]!.last) {
            host = m.ranges[0]!.text.replace(/\/(32|128)$/, "");
          }
        }
        if (ports === null || protos.size === 0) continue;
        for (const proto of protos) {
          if (proto !== "tcp" && proto !== "udp") continue;
          for (const hostPort of ports) {
            const d: DnatRule = { family: to.family, proto, hostAddress: host, hostPort, toAddress: v.addr, toPort: v.port ?? hostPort, rule: ruleName(table, chain, rule) };
            const key = `${proto}|${host}|${hostPort}|${v.addr}|${d.toPort}`;
            if (!out.has(key)) out.set(key, d);
          }
        }
      }
    }
  }
  return [...out.values()];
}

/** A docker-proxy's mapping, from its command line: -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80. */
export function dockerProxyArgs(cmdline: readonly string[] | null, name: string | null): { proto: string; hostAddress: string; hostPort: number; containerAddress: string; containerPort: number } | null {
  if (cmdline === null) return null;
  const base = (t: string | undefined): string => (t ?? "").slice((t ?? "").lastIndexOf("/") + 1);
  if (name !== "docker-proxy" && base(cmdline[0]) !== "docker-proxy" && base(cmdline[1]) !== "docker-proxy") return null;
  const arg = (flag: string): string | null => {
    const i = cmdline.findIndex((w) => w === `-${flag}` || w === `--${flag}`);
    if (i >= 0) return cmdline[i + 1] ?? null;
    const eq = cmdline.find((w) => w.startsWith(`-${flag}=`) || w.startsWith(`--${flag}=`));
    return eq === undefined ? null : eq.slice(eq.indexOf("=") + 1);
  };
  const port = (t: string | null): number | null => (t !== null && /^\d{1,5}$/.test(t) && Number(t) <= 65535 ? Number(t) : null);
  const proto = arg("proto") ?? "tcp";
  const hostAddress = arg("host-ip") ?? "0.0.0.0", containerAddress = arg("container-ip");
  const hostPort = port(arg("host-port")), containerPort = port(arg("container-port"));
  if (containerAddress === null || ipNumber(containerAddress) === null || hostPort === null || containerPort === null) return null;
  return { proto, hostAddress, hostPort, containerAddress, containerPort };
}

/** The interface a packet to `address` leaves by: the longest prefix of the namespace's networks that holds it. */
export function routeOut(address: string, interfaces: readonly NetInterface[]): string | undefined {
  const ip = ipNumber(address);
  if (ip === null) return undefined;
  let best: { name: string; size: bigint } | null = null;
  for (const i of interfaces) {
    for (const n of i.networks ?? []) {
      const r = addressRange(n);
      if (r === null || r.family !== ip.family || ip.value < r.first || ip.value > r.last) continue;
      const size = r.last - r.first;
      if (best === null || size < best.size) best = { name: i.name, size };
    }
  }
  return best?.name;
}

interface Space { netns: number | null; fw: NamespaceFirewall; listeners: Socket[] }

const listensOn = (s: Socket, proto: string, family: 4 | 6, address: string, port: number): boolean =>
  s.proto === proto && s.local.port === port
  && (s.local.address === address || (isWildcard(s.local.address) && (s.family === family || (s.local.address === "::" && s.v6only !== true))));

/** The listener a mapping's target names: in a namespace whose interfaces hold the address (bound to it or to every address). */
function targetOf(spaces: readonly Space[], proto: string, address: string, port: number): Socket | null {
  const ip = ipNumber(address);
  if (ip === null) return null;
  for (const sp of spaces) {
    if (!sp.fw.interfaces.some((i) => i.addresses.some((a) => a === address))) continue;
    const hit = sp.listeners.find((s) => listensOn(s, proto, ip.family, address, port));
    if (hit !== undefined) return hit;
  }
  return null;
}

const add = (list: readonly PortMapping[] | undefined, m: PortMapping): PortMapping[] => [...(list ?? []), m];
const wildcardOf = (family: 4 | 6): string => (family === 4 ? "0.0.0.0" : "::");
const holderText = (s: Socket): string => (s.process !== null ? ownerText(s.process) : "no process portwatch can see");

/**
 * Sets `published` on the listeners host ports are published to and `publishes` on the host listeners
 * that send them on (docker-proxy, or a listener a DNAT rule diverts), from each namespace's firewall and
 * interfaces (keyed by netns inode as readFirewalls gives them) and the docker-proxy processes' command
 * lines. Returns the warnings: DNAT rules no host process listens behind.
 */
export function setPublished(listeners: readonly Socket[], firewalls: ReadonlyMap<number | null, NamespaceFirewall>): string[] {
  const spaces: Space[] = [];
  const seenViews = new Set<NamespaceFirewall>();
  for (const [netns, fw] of [...firewalls].sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : 0))) {
    if (seenViews.has(fw)) continue;
    seenViews.add(fw);
    spaces.push({ netns, fw, listeners: [] });
  }
  const own = spaces.find((sp) => sp.netns === null) ?? null;
  for (const s of listeners) {
    if (s.direction !== "listening" || s.proto === "raw") continue;
    delete s.published; delete s.publishes;
    (spaces.find((sp) => sp.netns !== null && sp.netns === s.netns) ?? own)?.listeners.push(s);
  }
  const unheld: string[] = [];
  for (const sp of spaces) {
    if (sp.fw.ruleset === null) continue;
    for (const d of dnatRules(sp.fw.ruleset)) {
      const target = targetOf(spaces, d.proto, d.toAddress, d.toPort);
      const hostAddress = d.hostAddress ?? wildcardOf(d.family);
      const reach = reachOf({ proto: d.proto, family: d.family, address: hostAddress, port: d.hostPort }, { ruleset: sp.fw.ruleset, interfaces: sp.fw.interfaces },
        { addr: ipNumber(d.toAddress)!.value, port: d.toPort, oif: routeOut(d.toAddress, sp.fw.interfaces) });
      const m: PortMapping = { hostAddress, hostPort: d.hostPort, containerAddress: d.toAddress, containerPort: d.toPort, hostNetns: sp.netns, via: "dnat", rule: d.rule, reach };
      if (target !== null && target.local.port === d.hostPort && sp.listeners.includes(target)) continue;   // a DNAT to this namespace's own listener on that port: no mapping
      if (target !== null) target.published = add(target.published, m);
      const host = sp.listeners.filter((s) => listensOn(s, d.proto, d.family, hostAddress, d.hostPort) || (d.hostAddress === null && s.proto === d.proto && s.local.port === d.hostPort));
      for (const h of host) if (h !== target) h.publishes = add(h.publishes, m);
      if (host.length === 0) {
        unheld.push(`${d.hostPort}/${d.proto}${d.hostAddress === null ? "" : ` on ${d.hostAddress}`} to ${d.toAddress}:${d.toPort} (${target === null ? "where no listener portwatch can see listens" : `held by ${holderText(target)}`}; ${d.rule})`);
      }
    }
  }
  for (const sp of spaces) {
    for (const s of sp.listeners) {
      const p = s.process === null ? null : dockerProxyArgs(s.process.cmdline, s.process.name);
      if (p === null || p.proto !== s.proto || p.hostPort !== s.local.port) continue;
      const target = targetOf(spaces, p.proto, p.containerAddress, p.containerPort);
      const m: PortMapping = { hostAddress: p.hostAddress, hostPort: p.hostPort, containerAddress: p.containerAddress, containerPort: p.containerPort, hostNetns: s.netns, via: "docker-proxy", rule: `docker-proxy, pid ${s.process!.pid}`, reach: s.reach ?? null };
      s.publishes = add(s.publishes, m);
      if (target !== null) target.published = add(target.published, m);
    }
  }
  if (unheld.length === 0) return [];
  const shown = unheld.slice(0, 10);
  return [`Host ports published by DNAT that no host process listens on (their connections go on to the address named): ${shown.join("; ")}${unheld.length > shown.length ? `; and ${unheld.length - shown.length} more` : ""}`];
}

/** The mappings that carry a listener's port beyond this computer: on a host address outside loopback, and not blocked on the way. */
export function exposingMappings(s: Socket): PortMapping[] {
  return [...(s.published ?? []), ...(s.publishes ?? [])].filter((m) => !isLoopback(m.hostAddress) && (m.reach === null || (m.reach.kind !== "blocked" && m.reach.kind !== "loopback-only")));
}

/** A mapping in words: "host port 0.0.0.0:8080 (DNAT: rule 3 of chain DOCKER in table ip nat)". */
export function mappingText(m: PortMapping): string {
  const host = m.hostAddress.includes(":") ? `[${m.hostAddress}]:${m.hostPort}` : `${m.hostAddress}:${m.hostPort}`;
  return `host port ${host} (${m.via === "dnat" ? `DNAT: ${m.rule}` : m.rule})`;
}

/** What to do about a published port that should not face the network: publish it on loopback only. */
export function publishAdvice(m: PortMapping): string {
  const local = m.hostAddress.includes(":") ? "[::1]" : "127.0.0.1";
  return `publish it on ${local} only (docker run -p ${local}:${m.hostPort}:${m.containerPort}, or "${local}:${m.hostPort}:${m.containerPort}" under ports: in compose), or remove the mapping`;
}
