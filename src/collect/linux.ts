import { endianness } from "node:os";
import type { ProcessInfo } from "../model/process.js";
import { formatProblem, type Problem } from "../model/problem.js";
import { phaseTimer } from "../model/timings.js";
import type { Socket } from "../model/socket.js";
import { addHolder, attribute, InodeTable, type HolderLookup } from "./attribute.js";
import { classifyListeners, classifyOthers, isListening } from "./classify.js";
import { scanFdShare } from "./fd-scan.js";
import { fdWalkThreads, socketsInUse, walkFds, type FdWalk, type StartFdScanWorker } from "./fd-walk.js";
import { markHiddenListeners, netlinkListeners } from "./hidden-listeners.js";
import { nativeAddon, type NativeAddon } from "./native.js";
import { eachSourceInode, prefetchDumps, readTables, type Source, type TableReader } from "./tables.js";
import {
  createCollectSession, NETLINK_TABLES, sameDumps, type CollectSession, type Dumps,
} from "./netlink-dumps.js";
import { findNamespaces, listPids, namedNetnsWarnings, namespaceList } from "./namespaces.js";
import { tryRead, tryReadlink } from "./proc-files.js";
import { decodeSockDiag, recordCount } from "./parse/sock-diag.js";
import {
  parseCgroupContainerId, parseCmdline, parseComm, parseExeLink, parsePasswd, parseStatusUid,
} from "./parse/proc-pid.js";

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
}

export { DUMP_TRIES, dumpNamespace } from "./netlink-dumps.js";

/** What one look learnt about owners, for the next look (see CollectOptions.cache). */
export interface OwnerCache {
  holders: Map<number, number | number[]>;
  /** pid → the socket inodes in its fd table at its last scan. */
  byPid: Map<number, number[]>;
  processes: Map<number, ProcessInfo>;
  /** Processes whose fd table cannot be read (no root): not tried again. */
  denied: Set<number>;
  /** Socket inodes no readable process held at the last full read (kernel sockets, hidden owners): not looked for again. */
  orphans: Set<number>;
  /** fd tables read in the last look (to measure how cheap it was). */
  lastScanned: number;
  /**
   * The last look's kernel dumps (netlink records and raw-socket text, per namespace) and the collection
   * made from them: when the next look's dumps are byte for byte the same and no socket changed hands,
   * that collection is the answer again (a steady host costs little more than the dumps).
   */
  previous: { dumps: Map<number | null, Dumps>; collection: Collection } | null;
  /** What the last looks taught about this kernel's dumps. */
  session: CollectSession;
}

/** An empty owner cache. */
export function createOwnerCache(): OwnerCache {
  return { holders: new Map(), byPid: new Map(), processes: new Map(), denied: new Set(), orphans: new Set(), lastScanned: 0, previous: null, session: createCollectSession() };
}

function dropHolder(holders: Map<number, number | number[]>, inode: number, pid: number): void {
  const held = holders.get(inode);
  if (held === undefined) return;
  if (typeof held === "number") { if (held === pid) holders.delete(inode); return; }
  const rest = held.filter((p) => p !== pid);
  if (rest.length === 0) holders.delete(inode); else holders.set(inode, rest.length === 1 ? (rest[0] as number) : rest);
}

/**
 * The fd walk with a cache: forget processes that exited, read the fd tables of new processes, then
 * of the others (busiest first) only until every socket in the tables has an owner or all were read.
 */
function refreshOwners(procRoot: string, pids: readonly number[], eachSocketInode: (each: (inode: number) => void) => void, cache: OwnerCache): { denied: number; changed: boolean } {
  const alive = new Set(pids);
  let changed = false;
  for (const [pid, inodes] of cache.byPid) {
    if (alive.has(pid)) continue;
    if (inodes.length > 0) changed = true;
    for (const inode of inodes) dropHolder(cache.holders, inode, pid);
    cache.byPid.delete(pid);
    cache.processes.delete(pid);
  }
  for (const pid of cache.denied) if (!alive.has(pid)) cache.denied.delete(pid);
  let denied = cache.denied.size, scanned = 0;
  const rescan = (pid: number) => {
    const found: number[] = [];
    let i = 0;
    const r = scanFdShare(procRoot, [pid], () => i++, (inode) => found.push(inode));
    scanned += r.scanned;
    if (r.denied > 0) { cache.denied.add(pid); denied++; }
    cache.processes.delete(pid); // it may have exec'd another program: read its details again
    const had = cache.byPid.get(pid) ?? [];
    if (had.length > 0 || found.length > 0) changed = true;
    for (const inode of had) dropHolder(cache.holders, inode, pid);
    for (const inode of found) addHolder(cache.holders, inode, pid);
    cache.byPid.set(pid, found);
  };
  for (const pid of pids) if (!cache.byPid.has(pid) && !cache.denied.has(pid)) rescan(pid);
  const live = new Set<number>();
  const unknown = new Set<number>();
  eachSocketInode((inode) => {
    if (!inode) return;
    live.add(inode);
    if (!cache.holders.has(inode) && !cache.orphans.has(inode)) unknown.add(inode);
  });
  if (unknown.size > 0) {
    const order = pids.filter((p) => (cache.byPid.get(p)?.length ?? 0) > 0).sort((a, b) => (cache.byPid.get(b)?.length ?? 0) - (cache.byPid.get(a)?.length ?? 0));
    const rest = pids.filter((p) => (cache.byPid.get(p)?.length ?? 0) === 0 && !cache.denied.has(p));
    for (const pid of [...order, ...rest]) {
      if (unknown.size === 0) break;
      rescan(pid);
      for (const inode of cache.byPid.get(pid) ?? []) unknown.delete(inode);
    }
    for (const inode of unknown) cache.orphans.add(inode); // every table was read: nobody we can see holds these
  }
  for (const inode of cache.orphans) if (!live.has(inode)) cache.orphans.delete(inode);
  for (const inode of cache.holders.keys()) if (!live.has(inode)) cache.holders.delete(inode);
  cache.lastScanned = scanned;
  return { denied, changed };
}


// Sockets per batch of the second pass. Small enough that a batch dies young: with 512, a young-generation
// collection often caught a batch in flight, and promoted sockets piled up in the old generation until
// a full collection (at 100k connections, every third audit peaked 30 MiB higher).
const BATCH = 128;

function sameDumpsByNamespace(a: ReadonlyMap<number | null, Dumps>, b: ReadonlyMap<number | null, Dumps>): boolean {
  if (a.size !== b.size) return false;
  for (const [netns, dumps] of a) {
    const before = b.get(netns);
    if (before === undefined || !sameDumps(dumps, before)) return false;
  }
  return true;
}

/** Reads what is known about one process; null when it exited meanwhile. */
function readProcess(procRoot: string, pid: number, netns: number | null, users: Map<number, string>): ProcessInfo | null {
  const dir = `${procRoot}/${pid}`;
  const status = tryRead(`${dir}/status`);
  if (status === null) return null;
  const comm = tryRead(`${dir}/comm`);
  const exeLink = tryReadlink(`${dir}/exe`);
  const exe = exeLink === null ? null : parseExeLink(exeLink);
  const cmdline = tryRead(`${dir}/cmdline`);
  const cgroup = tryRead(`${dir}/cgroup`);
  const uid = parseStatusUid(status);
  return {
    pid,
    name: comm === null ? null : parseComm(comm),
    exe: exe?.exe ?? null,
    exeDeleted: exe?.deleted ?? false,
    cmdline: cmdline === null ? null : parseCmdline(cmdline),
    uid,
    user: uid === null ? null : users.get(uid) ?? null,
    containerId: cgroup === null ? null : parseCgroupContainerId(cgroup),
    netns,
  };
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
}

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
  /**
   * True when this is the cached collection of the last look again (same dumps, same owners; see
   * OwnerCache.previous): the same Socket objects, already judged by the caller of the last look.
   */
  unchanged?: boolean;
}

/**
 * Collects every TCP, UDP and raw socket (IPv4 and IPv6) of every network namespace of a Linux host,
 * with the processes that hold them. Reads only under `procRoot` (and the passwd file and netns dir).
 *
 * 1. List the pids; note each one's network namespace.
 * 2. Read each namespace's tables once (netlink sock_diag for the live host when the native addon is
 *    there, else /proc text: through "self" for ours, one of its pids for the others), while the fd walk
 *    (native threads, or worker threads on busy hosts) collects socket inodes; then help it.
 * 3. Read the details of the pids that hold sockets only; join by inode; classify direction/exposure.
 */
export async function collectLinux(options: CollectOptions = {}): Promise<Collection> {
  const lap = phaseTimer(options.timings);
  const found = await gather(options, lap);
  if ("unchanged" in found) return found.unchanged;
  const parts = inParts(found, lap);
  const sockets = parts.listeners;
  for (const batch of parts.rest()) for (const s of batch) sockets.push(s);
  lap("join");
  const collection: Collection = { sockets, hostname: parts.hostname, hostNetns: parts.hostNetns, problems: parts.problems, warnings: parts.warnings, readVia: parts.readVia };
  const cache = options.cache;
  if (cache && found.wantOwners) cache.previous = found.dumps.size === found.namespaceCount ? { dumps: found.dumps, collection } : null;
  return collection;
}

/**
 * collectLinux in two passes (see CollectionParts): what `portwatch audit --json` streams, so its memory
 * stays flat however many connections the host has. Takes no owner cache (one look).
 */
export async function collectLinuxInParts(options: Omit<CollectOptions, "cache"> = {}): Promise<CollectionParts> {
  const lap = phaseTimer(options.timings);
  const { cache: _none, ...oneLook } = options as CollectOptions;
  const found = await gather(oneLook, lap);
  if ("unchanged" in found) throw new Error("unreachable: no cache, no unchanged look");
  const parts = inParts(found, lap);
  lap("join");
  return parts;
}

/** What gather read: the sockets' sources, and what is needed to join and classify them. */
interface Gathered {
  sources: Source[];
  holders: HolderLookup;
  processes: Map<number, ProcessInfo>;
  denied: number;
  pidCount: number;
  wantOwners: boolean;
  hostNetns: number | null;
  hostname: string | null;
  problems: Problem[];
  warnings: string[];
  readVia: Map<number | null, "netlink" | "proc">;
  /** Each namespace's dumps, when read through netlink (for OwnerCache.previous). */
  dumps: Map<number | null, Dumps>;
  namespaceCount: number;
}

/** Steps 1 and 2 of collectLinux, and the owners' details; or the last look again (see OwnerCache.previous). */
async function gather(options: CollectOptions, lap: (phase: string) => void): Promise<Gathered | { unchanged: Collection }> {
  const procRoot = options.procRoot ?? "/proc";
  const wantOwners = options.owners ?? true;
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const littleEndian = endianness() === "LE";

  const pids = listPids(procRoot);
  const found = findNamespaces(procRoot, pids);
  const { namespaces, netnsOf, hostNetns } = found;
  // The native path reads the kernel directly, so only for the live host, never for a captured tree.
  const addon = options.native === false ? null : typeof options.native === "object" ? options.native : nativeAddon();
  const diag = procRoot === "/proc" ? addon : null;
  lap("namespaces");

  const nsList = namespaceList(found);
  const cache = options.cache;
  const reader: TableReader = { procRoot, diag, session: cache?.session ?? createCollectSession(), littleEndian, unsettled: new Map() };

  // A steady host (watch, serve): when every namespace's dumps are the bytes of the last look and no
  // socket changed hands, the last look's collection is this one too: nothing to decode, join or judge.
  let prefetched: Map<number | null, Dumps> | null = null;
  let refreshed: { denied: number; changed: boolean } | null = null;
  if (diag && wantOwners && cache?.previous && cache.byPid.size > 0) {
    prefetched = prefetchDumps(reader, nsList);
    if (prefetched !== null && sameDumpsByNamespace(prefetched, cache.previous.dumps)) {
      const previous = cache.previous.collection;
      const inodes = (each: (inode: number) => void) => { for (const s of previous.sockets) if (s.inode !== null) each(s.inode); };
      refreshed = refreshOwners(procRoot, pids, inodes, cache);
      if (!refreshed.changed) {
        lap("tables");
        return { unchanged: { ...previous, unchanged: true } };
      }
      // Same sockets, new owners: the owners just refreshed hold for the full look below.
    }
  }

  let sources: Source[] = [];
  let readVia = new Map<number | null, "netlink" | "proc">();
  let dumps = new Map<number | null, Dumps>();
  const readAllTables = () => {
    ({ sources, readVia, dumps } = readTables(reader, nsList, prefetched, problems, warnings));
    lap("tables");
  };

  let holders: HolderLookup = new Map<number, number | number[]>();
  let denied = 0;
  if (wantOwners && cache && cache.byPid.size > 0) {
    readAllTables();
    ({ denied } = refreshed ?? refreshOwners(procRoot, pids, eachSourceInode(sources), cache));
    holders = cache.holders;
    lap("fds");
  } else if (wantOwners) {
    const inUse = socketsInUse(procRoot);
    const walk: FdWalk = { procRoot, pids, threads: fdWalkThreads(inUse, options.threads), meanwhile: readAllTables, addon, startWorker: options.startWorker };
    if (cache) {
      // The first look fills the cache from the full walk (a Map: later looks change it).
      const walked = await walkFds(walk, new Map<number, number | number[]>(), addHolder);
      const map = walked.holders;
      holders = map;
      denied = walked.denied;
      cache.holders = map;
      for (const pid of pids) cache.byPid.set(pid, []);
      for (const [inode, held] of map) for (const pid of typeof held === "number" ? [held] : held) cache.byPid.get(pid)?.push(inode);
      eachSourceInode(sources)((inode) => { if (inode && !map.has(inode)) cache.orphans.add(inode); });
      cache.lastScanned = pids.length;
    } else {
      ({ holders, denied } = await walkFds(walk, new InodeTable(inUse), (t, inode, pid) => t.add(inode, pid)));
    }
    lap("fds");
  } else {
    readAllTables();
  }

  warnings.push(...namedNetnsWarnings(options.netnsDir ?? "/run/netns", namespaces));

  const processes = new Map<number, ProcessInfo>();
  if (wantOwners) {
    const users = parsePasswd(tryRead(options.passwdFile ?? "/etc/passwd") ?? "");
    const ownerPids = new Set<number>();
    for (const held of holders.values()) {
      if (typeof held === "number") ownerPids.add(held); else for (const p of held) ownerPids.add(p);
    }
    for (const pid of ownerPids) {
      const info = cache?.processes.get(pid) ?? readProcess(procRoot, pid, netnsOf.get(pid) ?? null, users);
      if (info !== null) { processes.set(pid, info); cache?.processes.set(pid, info); }
    }
    if (denied > 0) {
      warnings.push(`Cannot read the open files of ${denied} of ${pids.length} processes: permission denied (run as root to see every owner)`);
    }
    lap("processes");
  }
  for (const p of problems.slice(0, 50)) warnings.push(`Skipped a malformed line: ${formatProblem(p)}`);
  if (problems.length > 50) warnings.push(`... and ${problems.length - 50} more malformed lines`);

  const hostname = tryRead(`${procRoot}/sys/kernel/hostname`)?.trim() || null;
  return { sources, holders, processes, denied, pidCount: pids.length, wantOwners, hostNetns, hostname, problems, warnings, readVia, dumps, namespaceCount: nsList.length };
}

/** Step 3 of collectLinux, in two passes: listeners now, the other sockets in batches (see CollectionParts). */
function inParts(found: Gathered, lap?: (phase: string) => void): CollectionParts {
  const { sources, hostNetns, warnings } = found;
  const owners = { holders: found.holders, processes: found.processes };
  let unowned = 0;
  const join = (batch: Socket[]) => { if (found.wantOwners) unowned += attribute(batch, owners); };

  const listeners: Socket[] = [];
  for (const src of sources) {
    const from = listeners.length;
    netlinkListeners(src.netlink, src.netns, listeners);
    if (src.crossCheck) markHiddenListeners(listeners, from, src.crossCheck, src.netns);
    for (const s of src.made) if (isListening(s)) listeners.push(s);
  }
  lap?.("listeners and cross-check");
  join(listeners);
  const index = classifyListeners(listeners, hostNetns);

  function* rest(): Generator<Socket[]> {
    for (const src of sources) {
      if (src.netlink) for (const t of NETLINK_TABLES) {
        const records = src.netlink[t.name];
        for (let from = 0, n = recordCount(records); from < n; from += BATCH) {
          const batch: Socket[] = [];
          decodeSockDiag(records, t.proto, src.netns, batch, "other", from, from + BATCH);
          if (batch.length === 0) continue;
          join(batch);
          classifyOthers(batch, index);
          yield batch;
        }
      }
      const others = src.made.filter((s) => !isListening(s));
      for (let from = 0; from < others.length; from += BATCH) {
        const batch = others.slice(from, from + BATCH);
        join(batch);
        classifyOthers(batch, index);
        yield batch;
      }
    }
    if (unowned > 0) {
      warnings.push(found.denied > 0
        ? `${unowned} sockets have no visible owner: they belong to processes whose files could not be read, or to the kernel`
        : `${unowned} sockets have no owning process that portwatch can see: a kernel socket (NFS, WireGuard), a process outside this PID namespace, or one that exited during the scan`);
    }
  }

  return { listeners, rest, hostname: found.hostname, hostNetns, problems: found.problems, warnings, readVia: found.readVia };
}
