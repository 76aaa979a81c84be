import type { Socket } from "./socket.js";
import type { Verdict } from "./verdict.js";

/** Where the sockets came from. */
export type SnapshotSource = "live" | "netstat" | "ss" | "lsof" | "windows-netstat" | "bsd-netstat" | "portwatch-json";

export interface Host {
  hostname: string | null;
  source: SnapshotSource;
  /** ISO 8601 time of collection. */
  collectedAt: string;
}

/** Everything one audit produced. */
export interface Snapshot {
  schema: 1;
  host: Host;
  sockets: Socket[];
  /** Incomplete results, in plain words (unreadable processes, malformed lines, ...). */
  warnings: string[];
  summary: Record<Verdict, number>;
}

/** The JSON schema version of `Snapshot`. */
export const SCHEMA_VERSION = 1 as const;
