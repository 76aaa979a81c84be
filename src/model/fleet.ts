import type { HistoryEntry } from "./change.js";

// The fleet's records: one look of one host as the PostgreSQL store writes it (and the disk queue keeps it
// while the database is away), and the answers of the fleet queries (portwatch fleet hosts|find|changes).

/** One identity of a look, with what the fleet queries ask about (port, program, verdict, lists). */
export interface LookIdentity {
  identity: string;
  verdict: string;
  proto: string;
  /** The port that names it: the local port of a listener or inbound flow, the remote port of an outbound one. */
  port: number | null;
  direction: string;
  /** The holder's executable (or name), "-" when no holder is known. */
  program: string;
  /** The holder's process name, or null. */
  name: string | null;
  /** "address:port" of the local end. */
  local: string;
  /** "address:port" of the remote end, or null. */
  remote: string | null;
  /** The names of the address lists that hold the remote address (remote.lists). */
  lists: string[];
  /** How many sockets had this identity in the look (absent in a look queued by an older portwatch). */
  sockets?: number;
  /**
   * One of its sockets as the JSON contract has it (report/render-json.ts, socketJson): verdict, reasons,
   * explanation, holder. The dashboard's fleet view (serve --store) shows a host's last look from these.
   */
  socket?: unknown;
}

/** One change of a look. */
export interface LookEvent {
  at: string;
  type: string;
  identity: string;
  verdict: string;
  was: string | null;
}

/** One look of one host: written in one transaction, keyed by (hostId, at) so a replay writes nothing twice. */
export interface LookRecord {
  hostId: string;
  hostname: string;
  /** ISO time of the look. */
  at: string;
  /** The watcher's interval, so "not reporting" can be judged per host. */
  intervalMs: number;
  identities: LookIdentity[];
  events: LookEvent[];
}

/** Identities per verdict. */
export interface VerdictCounts {
  expected: number;
  unknown: number;
  suspicious: number;
}

/** One host of the fleet: its last look and what that look held. */
export interface FleetHost {
  hostId: string;
  hostname: string;
  /** ISO time of its last look. */
  lastLook: string;
  intervalMs: number;
  counts: VerdictCounts;
  /** Set to lastLook when that is older than the staleness limit: the host is not reporting since then. */
  notReportingSince: string | null;
}

/** What `fleet find` looks for (one criterion or several, all must hold). */
export interface FleetQuery {
  port?: number;
  /** A program's executable path or its base name, or the process name. */
  program?: string;
  verdict?: string;
  /** An address list's name (remote.lists). */
  list?: string;
}

/** One identity found on a host, as of that host's last look. */
export interface FleetFinding extends Omit<LookIdentity, "verdict"> {
  hostId: string;
  hostname: string;
  verdict: string;
  lastSeen: string;
}

/** One change on one host. */
export interface FleetChange extends LookEvent {
  hostId: string;
  hostname: string;
  program: string | null;
  port: number | null;
}

/** One host's last look as the dashboard's fleet view shows it: each identity with its socket and history. */
export interface FleetHostLook {
  host: FleetHost;
  identities: { identity: string; verdict: string; sockets: number; socket: unknown; history: HistoryEntry }[];
}
