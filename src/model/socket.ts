import type { ProcessInfo, SharedHolder } from "./process.js";
import type { Reason, Verdict } from "./verdict.js";

export type Proto = "tcp" | "udp" | "raw";
export type Family = 4 | 6;

/** TCP states with netstat's names, plus UNCONN for unconnected UDP and raw sockets. */
export type SocketState =
  | "ESTABLISHED" | "SYN_SENT" | "SYN_RECV" | "FIN_WAIT1" | "FIN_WAIT2" | "TIME_WAIT" | "CLOSE"
  | "CLOSE_WAIT" | "LAST_ACK" | "LISTEN" | "CLOSING" | "NEW_SYN_RECV" | "UNCONN";

export type Direction = "listening" | "inbound" | "outbound" | "unknown";
export type Exposure = "loopback" | "all-interfaces" | "interface" | "container";

/** One end of a socket. Ports are numbers, never service names. For raw sockets `port` is the IP protocol number. */
export interface Endpoint {
  address: string;
  port: number;
  /** Reverse-DNS or capture-given host name, when known. */
  host?: string;
}

/** The port that names the service, and the service's name. */
export interface Service {
  name: string;
  port: number;
}

/** One socket with everything portwatch knows about it (the JSON contract, see docs/json.md). */
export interface Socket {
  proto: Proto;
  family: Family;
  local: Endpoint;
  /** null when not connected. */
  remote: Endpoint | null;
  state: SocketState;
  direction: Direction;
  /** For listeners: who can reach it; null for connections. */
  exposure: Exposure | null;
  /** Network namespace inode; null when unknown (e.g. read from another tool's output). */
  netns: number | null;
  /** Socket inode (0 for TIME_WAIT and other sockets no longer held by a file); null when unknown. */
  inode: number | null;
  /** Owner uid of the socket as the kernel reports it; null when unknown. */
  uid: number | null;
  service: Service | null;
  process: ProcessInfo | null;
  /** Other holders; replaced, never pushed to (a fresh socket shares one frozen empty list). */
  sharedWith: readonly SharedHolder[];
  verdict: Verdict;
  /** Why the verdict; replaced, never pushed to. */
  reasons: readonly Reason[];
  explanation: string | null;
  /**
   * Set only when the kernel's two views of its socket tables disagree about this listener, look after
   * look: "proc" — netlink (what ss reads) shows it and /proc/net (what netstat reads) does not; "netlink" —
   * the reverse. Rootkits hide their ports from one view. Absent when the views agree or only one was read.
   */
  hiddenFrom?: "proc" | "netlink";
}

/** The empty list every new socket starts with for `sharedWith` and `reasons` (frozen: one allocation for all). */
export const NONE: readonly never[] = Object.freeze([]);
