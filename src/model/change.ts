import type { ReachKind } from "./firewall.js";
import type { NetworkOwner, Socket } from "./socket.js";
import type { Verdict } from "./verdict.js";

/** What portwatch remembers of one identity: enough to describe it when it disappears. */
export interface Seen {
  identity: string;
  verdict: Verdict;
  /** One socket that had this identity (the first seen), as evidence. */
  socket: Socket;
  /** That socket's reach when it was seen (the socket's own field may change in place later). */
  reach?: ReachKind;
  /**
   * Outbound identities in a baseline saved with the network owners' database: the networks (AS) its
   * connections went to, by number. Absent when none was known (and in baselines saved before).
   */
  networks?: NetworkOwner[];
}

/** A change between two looks at the host. */
export interface ChangeEvent {
  /**
   * reach-changed: the same verdict, but the firewall moved the listener's reach (open → blocked…) with no socket change;
   * network-changed: an outbound identity of the baseline now talks to a network (AS) it did not then.
   */
  type: "appeared" | "disappeared" | "verdict-changed" | "reach-changed" | "network-changed";
  identity: string;
  socket: Socket;
  /** For verdict-changed: the verdict before. */
  was?: Verdict;
  /** For reach-changed: the reach before. */
  wasReach?: ReachKind;
  /** For network-changed: the networks the baseline had for this identity (the socket's remote.asn is the new one). */
  networks?: NetworkOwner[];
  at: string;
  /**
   * The change happened while no watcher ran: the time of the last look the history knows (the first
   * look after a start is compared with it).
   */
  unwatchedSince?: string;
}


/** One identity as history remembers it. */
export interface HistoryEntry {
  identity: string;
  firstSeen: string;
  lastSeen: string;
  timesSeen: number;
  owners: string[];
  lastVerdict: string;
  proto: string;
  port: number | null;
  direction: string;
}
