import type { Hiding } from "../model/hiding.js";
import type { Problem } from "../model/problem.js";
import type { Socket } from "../model/socket.js";

// What a live collection hands back: whole (collectLinux) or in two passes (collectLinuxInParts).

/** What collectLinux found: sockets with owners, direction and exposure, and what it could not read. */
export interface Collection {
  sockets: Socket[];
  hostname: string | null;
  /** The network namespace of pid 1 (the host's, outside containers), else our own. */
  hostNetns: number | null;
  problems: Problem[];
  /** Plain-words notes about incomplete results. */
  warnings: string[];
  /** How each network namespace's tables were read (by namespace inode): the kernel's netlink dump or the /proc text. */
  readVia: Map<number | null, "netlink" | "proc">;
  /** Processes hidden from /proc's view, and namespaces no process is in that hold sockets (the rules read them). */
  hiding: Hiding;
  /**
   * True when this is the cached collection of the last look again (same dumps, same owners; see
   * OwnerCache.previous): the same Socket objects, already judged by the caller of the last look.
   */
  unchanged?: boolean;
}

/**
 * A look at a Linux host in two passes, so a host with 200,000 connections never holds them all as
 * objects: every listener first (joined to its owner and classified), then the other sockets in
 * batches (decoded from the kernel's records only when asked for). See collectLinuxInParts.
 */
export interface CollectionParts {
  /** Every listening socket of every namespace, with owners, direction and exposure. */
  listeners: Socket[];
  /**
   * The other sockets, a batch at a time, with owners and direction. Once the last batch is out,
   * `warnings` also says how many sockets had no visible owner. One pass only.
   */
  rest(): Generator<Socket[]>;
  hostname: string | null;
  /** The network namespace of pid 1 (the host's, outside containers), else our own. */
  hostNetns: number | null;
  problems: Problem[];
  warnings: string[];
  readVia: Map<number | null, "netlink" | "proc">;
  hiding: Hiding;
}
