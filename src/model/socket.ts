import type { PortMapping, Reach } from "./firewall.js";
import type { ProcessInfo, SharedHolder } from "./process.js";
import type { Reason, Verdict } from "./verdict.js";

/*
 * The Socket record. Each field is described once, in SOCKET_FIELDS (socket-fields.ts): its meaning, its
 * JSON form, whether a policy can match it and whether it is a metric label. The value lists below are
 * the only place the words of each enumerated field are written.
 */

/** Transport protocols, in protocol-index order (see protocol.ts). */
export const PROTOS = ["tcp", "udp", "raw"] as const;
export type Proto = (typeof PROTOS)[number];

export const FAMILIES = [4, 6] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * TCP states with netstat's names, in the kernel's order (TCP state code n, as /proc/net and sock_diag
 * print it, is SOCKET_STATES[n - 1]; include/net/tcp_states.h), plus UNCONN for unconnected UDP and raw sockets.
 */
export const SOCKET_STATES = [
  "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
  "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "UNCONN",
] as const;
export type SocketState = (typeof SOCKET_STATES)[number];

export const DIRECTIONS = ["listening", "inbound", "outbound", "unknown"] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const EXPOSURES = ["loopback", "all-interfaces", "interface", "container"] as const;
export type Exposure = (typeof EXPOSURES)[number];

/**
 * The kernel views a socket is missing from: "proc" (/proc/net, what netstat reads) or "netlink" (what ss
 * reads), read after read; or "both": a socket a process holds (its fd table shows socket:[inode]) that
 * neither view of any namespace portwatch reads through a process lists (collect/third-view.ts).
 */
export const HIDDEN_FROM = ["proc", "netlink", "both"] as const;
export type HiddenFrom = (typeof HIDDEN_FROM)[number];

/**
 * A port no view lists although binding it fails (portwatch audit --deep): which of the probe's binds
 * failed with "address in use": on the wildcard address and on loopback, or only on the wildcard (so the
 * port is held on another address of this computer).
 */
export const UNLISTED_BINDS = ["wildcard-and-loopback", "wildcard-only"] as const;
export type UnlistedBind = (typeof UNLISTED_BINDS)[number];

/** An address list that holds an address (portwatch lists): which list, what it says of itself, and the network that matched. */
export interface ListMatch {
  /** The list's name as the user enabled it ("firehol_level1", "feodo"). */
  name: string;
  /** Its category ("attacks", "malware", "reputation"), from the list's header or `lists add --category`. */
  category: string | null;
  /** The date of the list's data, from its header (ISO 8601 when it could be read). */
  date: string | null;
  /** The list's network that holds the address ("5.101.218.0/24", or the address itself). */
  network: string;
}

/** One end of a socket. */
export interface Endpoint {
  address: string;
  port: number;
  host?: string;
}

/** Who owns an address's network: its autonomous system (portwatch lists update asn). */
export interface NetworkOwner {
  /** The AS number (13335). */
  number: number;
  /** The organisation's name as the database spells it ("Cloudflare, Inc."); null when it gives none. */
  org: string | null;
}

/**
 * The other end of a socket: an endpoint, the enabled address lists that hold its address (only when some
 * does), and, when the network owners' database is present, who owns its network (null: no one it knows).
 */
export interface RemoteEndpoint extends Endpoint {
  lists?: readonly ListMatch[];
  asn?: NetworkOwner | null;
}

/** The port that names the service, and the service's name. */
export interface Service {
  name: string;
  port: number;
}

/** One socket with everything portwatch knows about it (the JSON contract: docs/json.md; the fields: SOCKET_FIELDS). */
export interface Socket {
  proto: Proto;
  family: Family;
  local: Endpoint;
  remote: RemoteEndpoint | null;
  state: SocketState;
  direction: Direction;
  exposure: Exposure | null;
  netns: number | null;
  inode: number | null;
  uid: number | null;
  service: Service | null;
  process: ProcessInfo | null;
  sharedWith: readonly SharedHolder[];
  verdict: Verdict;
  reasons: readonly Reason[];
  explanation: string | null;
  hiddenFrom?: HiddenFrom;
  unlisted?: UnlistedBind;
  /** Listeners of a live host whose firewall could be read: how reachable the firewall leaves them. */
  reach?: Reach;
  /** An IPv6 socket on "::" that is not connected: whether IPV6_V6ONLY is on (only IPv6) or off (IPv4 too); absent when not known. */
  v6only?: boolean;
  /** A listener a host port is published to (DNAT, docker-proxy): which host ports reach it, and from where. */
  published?: readonly PortMapping[];
  /** A host listener or proxy that sends its port on to a container's socket: where to. */
  publishes?: readonly PortMapping[];
}

/** The empty list every new socket starts with for `sharedWith` and `reasons` (frozen: one allocation for all). */
export const NONE: readonly never[] = Object.freeze([]);
