import type { Hiding } from "../model/hiding.js";
import type { Problem } from "../model/problem.js";
import type { Socket } from "../model/socket.js";
import type { StartFdScanWorker } from "./fd-walk.js";
import type { NativeAddon } from "./native.js";
import type { OwnerCache } from "./owner-cache.js";
import type { ProvenanceSession } from "./provenance.js";

// What a live collection (collect/linux.ts) is asked, and what it hands back: whole (collectLinux) or in two
// passes (collectLinuxInParts).

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

/** Where and how to read a Linux host. */
export interface CollectOptions {
  /** Root of the proc file system: default "/proc" (a captured tree in tests). */
  procRoot?: string;
  /** The account database for user names: default "/etc/passwd". */
  passwdFile?: string;
  /** Named network namespaces (`ip netns add`): default "/run/netns". */
  netnsDir?: string;
  /** Look up owners (the /proc/<pid>/fd walk): default true. */
  owners?: boolean;
  /** Threads for the fd walk: default 1 on small hosts, up to 4 (the cores) from 20,000 sockets on. */
  threads?: number;
  /**
   * Starts a worker thread of the fd walk (without the addon, on more than one thread): default the built
   * dist/collect/fd-scan-worker.js. Tests that run the sources through tsx pass a starter that loads tsx
   * in the worker (test/helpers/fd-scan-worker-from-source.ts).
   */
  startWorker?: StartFdScanWorker;
  /**
   * Use the native fast path (netlink sock_diag for the socket tables of the live host, the fd walk on
   * POSIX threads) when it was built: default true. False reads only /proc text, as on hosts without it.
   * An addon object is used instead of the built one (tests).
   */
  native?: boolean | NativeAddon;
  /** When given, receives the milliseconds each phase took. */
  timings?: Record<string, number>;
  /**
   * Kept by the caller between looks (portwatch watch): with it, only new processes' fd tables are read,
   * plus others only while some socket's owner is still unknown, so a look at a steady host costs little
   * more than reading the socket tables.
   */
  cache?: OwnerCache;
  /**
   * Where the holders' code came from (collect/provenance.ts): their executables' packages and checksums,
   * code from places no package installs to. Off without it; keep one session between looks (a watcher
   * pays once per binary).
   */
  provenance?: ProvenanceSession;
  /**
   * Ports nobody lists (audit --deep; collect/deep-probe.ts): bind every TCP and UDP port of each visible
   * namespace and report a port in use that no view lists as a socket with `unlisted` set. Needs the
   * native addon and the live host (a warning says so otherwise); as root for other namespaces. About a
   * second per namespace. Also the slow checks for processes hidden from the /proc listing: every id up to
   * pid_max with kill(id, 0), and every task's children (mounts over /proc/<pid> are checked always).
   */
  deep?: boolean;
}
