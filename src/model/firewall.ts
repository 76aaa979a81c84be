/*
 * The host firewall as portwatch reads it (nftables JSON, iptables-save text), in one model: tables, chains
 * (base chains with their hook, priority and policy), rules as lists of matches and one verdict. Matches
 * portwatch does not understand are kept as "other" with the rule's text, so the evaluator can say
 * "depends on rule X" instead of guessing. Built by collect/parse/nft-json.ts and iptables-save.ts,
 * read by evaluate/reach.ts.
 */

/** Where a table was read from. */
export type FirewallSource = "nftables" | "iptables" | "iptables-legacy";

/** An address range as two big integers of the same family: a prefix, a single address or a range. */
export interface AddressRange { family: 4 | 6; first: bigint; last: bigint; text: string }

export type MatchOp = "==" | "!=";

export type FirewallMatch =
  /** Interface by index (iif) or name (iifname); a name ending in "*" (iptables "+") is a prefix. */
  | { key: "iif"; op: MatchOp; names: readonly string[] }
  /** The interface a forwarded packet leaves by (oif, oifname, iptables -o), as iif. */
  | { key: "oif"; op: MatchOp; names: readonly string[] }
  /** The destination is an address of this namespace (iptables -m addrtype --dst-type LOCAL, nft fib daddr type local). */
  | { key: "daddr-local"; op: MatchOp }
  /** Source or destination address; `family`: the packet must be of that family whatever `op` (nft's "ip saddr"). */
  | { key: "saddr" | "daddr"; op: MatchOp; ranges: readonly AddressRange[]; family: 4 | 6 | null }
  /** The layer-4 protocol by name ("tcp", "udp", "icmp"…). */
  | { key: "l4proto"; op: MatchOp; protos: readonly string[] }
  /** Ports as [first, last] ranges; `proto` when the match also requires that protocol (nft's "tcp dport"). */
  | { key: "dport" | "sport"; op: MatchOp; proto: string | null; ranges: readonly (readonly [number, number])[] }
  /** Conntrack states ("new", "established"…). */
  | { key: "ct-state"; op: MatchOp; states: readonly string[] }
  /** The address family of the packet (nft's meta nfproto, or a table family that implies it). */
  | { key: "nfproto"; op: MatchOp; families: readonly (4 | 6)[] }
  /** Anything else: the evaluator does not know whether it matches. */
  | { key: "other"; text: string };

export type FirewallVerdict =
  | { kind: "accept" | "drop" | "reject" | "return" }
  | { kind: "jump" | "goto"; target: string }
  /** Destination NAT: the packet goes to addr:port instead (either may be missing). */
  | { kind: "dnat"; addr: string | null; port: number | null }
  /** A verdict portwatch does not understand (e.g. a REDIRECT or an xt target). */
  | { kind: "other"; text: string };

export interface FirewallRule {
  /** Position in its chain, from 1. */
  number: number;
  /** nftables' rule handle, when read from nft. */
  handle: number | null;
  matches: readonly FirewallMatch[];
  /** null: no verdict (a counter or log only): the packet goes on to the next rule. */
  verdict: FirewallVerdict | null;
}

export interface FirewallChain {
  name: string;
  /** Base chains: the hook, priority and policy; null for regular chains (reached by jump or goto). */
  base: { hook: string; priority: number; policy: "accept" | "drop"; type: string } | null;
  rules: readonly FirewallRule[];
}

export interface FirewallTable {
  /** nftables family: "ip", "ip6", "inet", "arp", "bridge", "netdev". */
  family: string;
  name: string;
  source: FirewallSource;
  chains: readonly FirewallChain[];
}

export interface Ruleset { tables: readonly FirewallTable[] }

/**
 * A network interface of a namespace and its addresses (from `ip -j addr`, or os.networkInterfaces() for our own);
 * `up`: set administratively up (it can take packets); `networks`: the addresses with their prefix lengths ("172.17.0.1/16").
 */
export interface NetInterface { name: string; loopback: boolean; up: boolean; addresses: readonly string[]; networks?: readonly string[] }

/** How reachable a listener is, after the firewall: see REACH_KINDS. */
export const REACH_KINDS = ["loopback-only", "blocked", "restricted", "open", "unknown"] as const;
export type ReachKind = (typeof REACH_KINDS)[number];

export interface Reach {
  kind: ReachKind;
  /** In plain words: from where, which rule blocks it, or why it is not known. */
  detail: string;
}

/** A rule in words: "rule 7 of chain input in table inet filter"; a chain's policy: "the policy of chain INPUT in table ip filter". */
export function ruleName(table: FirewallTable, chain: FirewallChain, rule: FirewallRule | null): string {
  const where = `chain ${chain.name} in table ${table.family} ${table.name}`;
  return rule === null ? `the policy of ${where}` : `rule ${rule.number} of ${where}`;
}

/**
 * A host port published to a socket elsewhere (a container's, in its own network namespace): by a DNAT rule
 * of the host's firewall, or by a container runtime's proxy (docker-proxy) that listens on the host port.
 */
export interface PortMapping {
  /** The host's address the port is published on; "0.0.0.0" or "::" for every address. */
  hostAddress: string;
  hostPort: number;
  /** Where connections go: the container's address and port. */
  containerAddress: string;
  containerPort: number;
  /** The host's network namespace (inode), null when it is portwatch's own and not known. */
  hostNetns: number | null;
  via: "dnat" | "docker-proxy";
  /** The DNAT rule in words ("rule 3 of chain DOCKER in table ip nat"), or the proxy ("docker-proxy, pid 812"). */
  rule: string;
  /** Who can reach the host port along this path, through the host's firewall; null when not known. */
  reach: Reach | null;
}
