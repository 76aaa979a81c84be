import { endianness } from "node:os";
import type { HiddenProcess } from "../model/hiding.js";
import type { ProcessInfo } from "../model/process.js";
import type { Socket } from "../model/socket.js";
import { formatProblem, type Problem } from "../model/problem.js";
import { now as clock, phaseTimer } from "../model/timings.js";
import { addHolder, heldByExactly, holderPids, InodeTable, type HolderLookup } from "./attribute.js";
import type { Collection, CollectionParts, CollectOptions } from "./collection.js";
import { deepCheck } from "./deep-probe.js";
import { fdWalkThreads, socketsInUse, walkFds, type FdWalk, type SocketFds } from "./fd-walk.js";
import { joinInParts, type Gathered } from "./join.js";
import { findNamespaces, listPids, namedNetnsWarnings, namespaceList, type NamespaceDirs, type Namespaces } from "./namespaces.js";
import { nativeAddon, type NativeAddon } from "./native.js";
import { createCollectSession, netlinkRecordCount, type Dumps } from "./netlink-dumps.js";
import { fillOwnerCache, glancesAfterFullComparison, hasLastLook, lastLookAgain, refreshOwners, rememberLook, type OwnerCache, type OwnerRefresh } from "./owner-cache.js";
import { readProcessDetails } from "./process-details.js";
import { readProvenance } from "./provenance.js";
import { tryRead } from "./proc-files.js";
import { findHiddenProcesses } from "./hidden-processes.js";
import { thirdView } from "./third-view.js";
import { eachSourceInode, glanceAll, prefetchDumps, readTables, type Source, type TableReader, type Tables } from "./tables.js";
import { closedDuringScan, detailsKnown, unownedListeners } from "./unowned-recheck.js";

// The live collection of a Linux host, step by step (docs/architecture.md): this file runs the steps;
// the files it imports do them.

export type { Collection, CollectionParts, CollectOptions } from "./collection.js";
export { DUMP_TRIES, dumpNamespace } from "./netlink-dumps.js";
export { createOwnerCache, readAgainInFull, type OwnerCache } from "./owner-cache.js";
export { createProvenanceSession, type ProvenanceOptions, type ProvenanceSession } from "./provenance.js";

/**
 * Collects every TCP, UDP and raw socket (IPv4 and IPv6) of every network namespace of a Linux host,
 * with the processes that hold them. Reads only under `procRoot` (and the passwd file and netns dir).
 *
 * 1. List the pids; note each one's network namespace.
 * 2. Read each namespace's tables once (netlink sock_diag for the live host when the native addon is
 *    there, else /proc text: through "self" for ours, one of its pids for the others), while the fd walk
 *    (native threads, or worker threads on busy hosts) collects socket inodes; then help it.
 * 3. The fd tables as a third view: sockets processes hold that no table lists (third-view.ts); mounts over
 *    /proc/<pid> and, with `deep`, pids the /proc listing leaves out (hidden-processes.ts).
 * 4. Read the details of the pids that hold sockets only; join by inode; classify direction/exposure.
 */
export async function collectLinux(options: CollectOptions = {}): Promise<Collection> {
  const lap = phaseTimer(options.timings);
  const found = await gather(options, lap);
  if ("unchanged" in found) return found.unchanged;
  const parts = joinInParts(found, lap);
  const sockets = parts.listeners;
  for (const batch of parts.rest()) for (const s of batch) sockets.push(s);
  lap("join");
  const collection = wholeOf(parts, sockets);
  if (options.cache && found.wantOwners) remember(options.cache, found, collection);
  return collection;
}

/**
 * collectLinux in two passes (see CollectionParts): what `portwatch audit --json` streams, so its memory
 * stays flat however many connections the host has. With an owner cache (a lean watcher, OwnerCache.lean)
 * the last look may come back unchanged instead; a look in parts is kept for the next look's shortcut once
 * its last batch is out.
 */
export async function collectLinuxInParts(options?: Omit<CollectOptions, "cache">): Promise<CollectionParts>;
export async function collectLinuxInParts(options: CollectOptions): Promise<CollectionParts | { unchanged: Collection }>;
export async function collectLinuxInParts(options: CollectOptions = {}): Promise<CollectionParts | { unchanged: Collection }> {
  const lap = phaseTimer(options.timings);
  const found = await gather(options, lap);
  if ("unchanged" in found) return found;
  const parts = joinInParts(found, lap);
  lap("join");
  const { cache } = options;
  if (!cache || !found.wantOwners) return parts;
  cache.previous = null; // until the last batch is out
  // The sockets' inodes, in one typed array of the size the sources give (no list that grows by doubling).
  const inodes = new Float64Array(found.sources.reduce((n, src) => n + (src.netlink ? netlinkRecordCount(src.netlink) : 0) + src.made.length, 0));
  let noted = 0, more = false; // (more sockets than the sources hold: none is remembered rather than some)
  const note = (sockets: readonly Socket[]) => { for (const s of sockets) if (s.inode !== null) { if (noted < inodes.length) inodes[noted++] = s.inode; else more = true; } };
  note(parts.listeners);
  const batches = parts.rest;
  return { ...parts, *rest() {
    for (const batch of batches()) { note(batch); yield batch; }
    if (!more) remember(cache, found, wholeOf(parts, []), inodes.subarray(0, noted));
  } };
}

/** A collection of `sockets` with what `parts` says of the look. */
const wholeOf = (p: CollectionParts, sockets: Socket[]): Collection => ({ sockets, hostname: p.hostname, hostNetns: p.hostNetns, problems: p.problems, warnings: p.warnings, readVia: p.readVia, hiding: p.hiding });

/** Keeps a look for the next one's shortcut (OwnerCache.previous); not one that found hidden sockets (its dumps do not show them changing). */
function remember(cache: OwnerCache, found: Read, collection: Collection, inodes?: Iterable<number>): void {
  if (found.hiddenSockets === 0) rememberLook(cache, found.dumps, found.namespaceCount, collection, inodes, found.glances);
  else cache.previous = null;
}

/** What gather read (see Gathered), and the dumps to keep for the next look (OwnerCache.previous). */
interface Read extends Gathered {
  /** Each namespace's dumps, when read through netlink. */
  dumps: Map<number | null, Dumps>;
  namespaceCount: number;
  /** Sockets the third view found hidden from both views (third-view.ts). */
  hiddenSockets: number;
  /** The glance taken before the look read the tables (see OwnerCache.glancesLeft). */
  glances: ReadonlyMap<number | null, string> | null;
}

/** One look in progress: what step 1 found, how to read the rest, and what went wrong so far. */
interface Look {
  options: CollectOptions;
  procRoot: string;
  wantOwners: boolean;
  cache: OwnerCache | undefined;
  pids: number[];
  namespaces: Namespaces;
  nsList: NamespaceDirs[];
  /** The addon for the fd walk (and, on the live host, the tables); null without it. */
  addon: NativeAddon | null;
  reader: TableReader;
  problems: Problem[];
  warnings: string[];
  lap: (phase: string) => void;
  /**
   * A watcher's glance at every namespace (netlink-dumps.ts glanceNamespace), taken before anything else is
   * read: kept with the look for the next one's shortcut. Null without a cache, the addon or owners.
   */
  glances: ReadonlyMap<number | null, string> | null;
}

/** The sockets' sources and their owners, ready to join; or the last look again (see OwnerCache.previous). */
async function gather(options: CollectOptions, lap: (phase: string) => void): Promise<Read | { unchanged: Collection }> {
  const look = startLook(options, lap);
  const hidden = findHiddenProcesses({ procRoot: look.procRoot, pids: look.pids, deep: options.deep ?? false, addon: look.addon });
  lap("hidden processes");
  // The last look's judgement read which processes hid (rules.ts): reused only while that did not change.
  if (look.cache?.previous && hidingKey(look.cache.previous.collection.hiding.processes) !== hidingKey(hidden.processes)) look.cache.previous = null;
  // A deep look probes the ports, whatever the dumps say: never the last look again.
  const steady = options.deep ? { prefetched: null, refreshed: null } : steadyHost(look);
  if ("unchanged" in steady) return steady;
  const emptyNamespaces: number[] = [];
  const { tables, holders, denied, closed, hiddenSockets, early } = await tablesAndOwners(look, steady, emptyNamespaces);
  look.warnings.push(...hidden.warnings);
  if (options.deep) {
    // After the fd walk and the third view (whose sockets count as listed), so the probe's threads do not compete with the walk's.
    const deep = await deepCheck({ addon: look.addon, procRoot: look.procRoot, namespaces: look.nsList, sources: tables.sources, session: look.reader.session });
    tables.sources.push(...deep.sources);
    look.warnings.push(...deep.warnings);
    if (look.cache) look.cache.unlisted = deep.sources;
    lap("deep");
  } else if (look.cache?.unlisted) {
    tables.sources.push(...look.cache.unlisted); // the last deep look's findings stand until the next one
  }
  look.warnings.push(...namedNetnsWarnings(options.netnsDir ?? "/run/netns", look.namespaces.namespaces));
  const used = early !== undefined && heldByExactly(holders, early.pids) ? early : null; // the details read in the pause, and their warnings
  if (used) look.warnings.push(...used.warnings);
  const processes = used?.processes ?? (look.wantOwners ? ownerDetails(look, holders, denied) : new Map<number, ProcessInfo>());
  if (closed !== undefined) {
    // A holder that exited before its details were read leaves its listener with no process: read the
    // tables again for those too (see settleUnowned).
    const late = unownedListeners(tables.sources, detailsKnown(holders, processes), closed);
    for (const inode of closedDuringScan(late, (src, inodes) => src.readAgain?.(inodes) ?? null)) closed.add(inode);
  }
  malformedLineWarnings(look.problems, look.warnings);
  const hostname = tryRead(`${look.procRoot}/sys/kernel/hostname`)?.trim() || null;
  return {
    ...tables, holders, processes, denied, closed: closed ?? new Set(), wantOwners: look.wantOwners, hostNetns: look.namespaces.hostNetns, hostname,
    problems: look.problems, warnings: look.warnings, namespaceCount: look.nsList.length, hiddenSockets, hiding: { processes: hidden.processes, emptyNamespaces }, glances: look.glances,
  };
}

/** Which processes hide, and how, as one string (to compare two looks). */
function hidingKey(processes: readonly HiddenProcess[]): string {
  return processes.map((h) => `${h.pid}/${h.how}/${h.mount?.mountPoint ?? ""}`).join(",");
}

/** Step 1: the pids and their namespaces, and how this look reads the tables. */
function startLook(options: CollectOptions, lap: (phase: string) => void): Look {
  const procRoot = options.procRoot ?? "/proc";
  const pids = listPids(procRoot);
  const namespaces = findNamespaces(procRoot, pids);
  const addon = options.native === false ? null : typeof options.native === "object" ? options.native : nativeAddon();
  // The native path reads the kernel directly, so only for the live host, never for a captured tree.
  const diag = procRoot === "/proc" ? addon : null;
  const cache = options.cache;
  const reader: TableReader = { procRoot, diag, session: cache?.session ?? createCollectSession(), littleEndian: endianness() === "LE", unsettled: new Map() };
  const nsList = namespaceList(namespaces);
  const wantOwners = options.owners ?? true;
  lap("namespaces");
  // (a deep look is never the last look again: no glance)
  const glances = cache && wantOwners && !options.deep ? glanceAll(reader, nsList) : null;
  if (glances !== null) lap("glance");
  return { options, procRoot, wantOwners, cache, pids, namespaces, nsList, addon, reader, problems: [], warnings: [], lap, glances };
}

/** What the steady-host shortcut learnt when it could not answer: dumps already read, owners already refreshed. */
interface Prefetched {
  prefetched: Map<number | null, Dumps> | null;
  refreshed: OwnerRefresh | null;
}

/**
 * A steady host (watch, serve): when every namespace's dumps are the bytes of the last look and no
 * socket changed hands, the last look's collection is this one too (see lastLookAgain).
 */
function steadyHost(look: Look): Prefetched | { unchanged: Collection } {
  const { cache, glances } = look;
  if (!look.reader.diag || !look.wantOwners || !cache || !hasLastLook(cache)) return { prefetched: null, refreshed: null };
  // A glance like the last look's (its TCP counters, listeners, UDP and raw sockets): the same sockets, without
  // their dump; but only for as many looks as were drawn at the last full comparison (OwnerCache.glancesLeft).
  if (glances !== null && cache.glancesLeft > 0) {
    const again = lastLookAgain(cache, look.procRoot, look.pids, { glances });
    if ("unchanged" in again) {
      cache.glancesLeft--;
      cache.glanced++;
      look.lap("tables");
      return again;
    }
    // New owners: the look is taken in full, its dumps compared as always. The refresh just made belongs to it,
    // but does not stand for it: a glance is no proof of the same sockets (a socket made in repair mode moves no
    // counter), and that refresh looked for owners of the last look's sockets only.
    if (again.refreshed !== null) cache.sameLook = true;
  }
  cache.glancesLeft = glancesAfterFullComparison(); // the dumps are compared in full now
  const prefetched = prefetchDumps(look.reader, look.nsList);
  if (prefetched === null) return { prefetched, refreshed: null };
  const again = lastLookAgain(cache, look.procRoot, look.pids, { dumps: prefetched });
  if ("unchanged" in again) {
    // The same dumps after a glance that moved (a connection came and went): this glance stands for them now.
    if (cache.previous) cache.previous.glances = glances;
    look.lap("tables");
    return again;
  }
  return { prefetched, refreshed: again.refreshed };
}

/** The tables and, unless owners are off, who holds each socket inode. */
interface TablesAndOwners {
  tables: Tables;
  holders: HolderLookup;
  /** fd tables that could not be read (no root). */
  denied: number;
  /** Inodes of listeners that closed while the look ran (see settleUnowned). */
  closed?: Set<number>;
  /** Sockets the third view found hidden from both views (third-view.ts). */
  hiddenSockets: number;
  early?: { processes: Map<number, ProcessInfo>; pids: ReadonlySet<number>; warnings: string[] }; // the holders' details, read in settleUnowned's pause
}

/**
 * Steps 2 and 3: the tables, read while the fd walk runs, or before the owner cache's refresh; then the
 * third view (a one-off look runs it between its re-checks of listeners nobody holds, see settleUnowned).
 */
async function tablesAndOwners(look: Look, steady: Prefetched, emptyNamespaces: number[]): Promise<TablesAndOwners> {
  if (!look.wantOwners) return { tables: readAllTables(look, steady.prefetched), holders: new Map(), denied: 0, hiddenSockets: 0 };
  if (look.cache && look.cache.byPid.size > 0) {
    const refreshed = refreshedOwners(look, look.cache, steady);
    return { ...refreshed, hiddenSockets: runThirdView(look, refreshed.tables, refreshed.holders, undefined, emptyNamespaces) };
  }
  return walkedOwners(look, steady.prefetched, emptyNamespaces);
}

/** The fd tables as a third view (third-view.ts), when owners are read through the addon; how many sockets hide. */
function runThirdView(look: Look, tables: Tables, holders: HolderLookup, located: SocketFds | undefined, emptyNamespaces: number[]): number {
  if (!look.reader.diag) return 0;
  const hidden = thirdView({
    addon: look.reader.diag, procRoot: look.procRoot, nsList: look.nsList, session: look.reader.session, littleEndian: look.reader.littleEndian,
    sources: tables.sources, holders, located, notInet: look.cache?.notInet, warnings: look.warnings, emptyNamespaces,
    ...(look.cache && located === undefined ? { byPid: look.cache.byPid, keep: (inode: number, pid: number) => addHolder((look.cache as OwnerCache).holders, inode, pid) } : {}),
  });
  look.lap("third view");
  return hidden;
}

function readAllTables(look: Look, prefetched: ReadonlyMap<number | null, Dumps> | null): Tables {
  const tables = readTables(look.reader, look.nsList, prefetched, look.problems, look.warnings);
  look.lap("tables");
  return tables;
}

/** A later look of a watcher: the tables, then only the fd tables that may have changed (refreshOwners). */
function refreshedOwners(look: Look, cache: OwnerCache, steady: Prefetched): Omit<TablesAndOwners, "hiddenSockets"> {
  const tables = readAllTables(look, steady.prefetched);
  const { denied } = steady.refreshed ?? refreshOwners(look.procRoot, look.pids, eachSourceInode(tables.sources), cache);
  look.lap("fds");
  return { tables, holders: cache.holders, denied };
}

/** A one-off look, or a watcher's first: the full fd walk, reading the tables meanwhile. */
async function walkedOwners(look: Look, prefetched: ReadonlyMap<number | null, Dumps> | null, emptyNamespaces: number[]): Promise<TablesAndOwners> {
  const inUse = socketsInUse(look.procRoot);
  let tables: Tables | null = null;
  const walk: FdWalk = {
    procRoot: look.procRoot, pids: look.pids, threads: fdWalkThreads(inUse, look.options.threads), addon: look.addon,
    startWorker: look.options.startWorker, meanwhile: () => { tables = readAllTables(look, prefetched); },
  };
  const cache = look.cache;
  let owners: { holders: HolderLookup; denied: number; located?: SocketFds };
  if (cache) {
    // The first look fills the cache from the full walk (a Map: later looks change it).
    const walked = await walkFds(walk, new Map<number, number | number[]>(), addHolder);
    fillOwnerCache(cache, look.pids, walked.holders, eachSourceInode(tablesRead(tables).sources));
    owners = walked;
  } else {
    const walked = await walkFds(walk, new InodeTable(inUse), (t, inode, pid) => t.add(inode, pid));
    look.lap("fds");
    const read = tablesRead(tables);
    let hiddenSockets = 0, early: TablesAndOwners["early"];
    const third = () => { // the third view, then the holders' details (their warnings kept apart): they fill settleUnowned's pause
      hiddenSockets = runThirdView(look, read, walked.holders, walked.located, emptyNamespaces);
      if (look.wantOwners && walked.denied === 0) { const warnings: string[] = []; early = { pids: holderPids(walked.holders), processes: ownerDetails({ ...look, warnings }, walked.holders, 0), warnings }; }
    };
    const closed = walked.denied === 0 ? await settleUnowned(look, read.sources, walked.holders, inUse, third) : (third(), new Set<number>());
    look.lap("unowned listeners");
    return { tables: read, holders: walked.holders, denied: walked.denied, closed, hiddenSockets, ...(early ? { early } : {}) };
  }
  look.lap("fds");
  const read = tablesRead(tables);
  return { tables: read, holders: owners.holders, denied: owners.denied, hiddenSockets: runThirdView(look, read, owners.holders, owners.located, emptyNamespaces) };
}

/** Fd walks and table reads after the first, for listeners nobody was seen holding (see settleUnowned). */
const SETTLE_ROUNDS = 2;
/** Sockets held by processes, beyond which settleUnowned walks again only the fd tables of new pids. */
const FULL_REWALK_UP_TO = 50_000;
/** Between those rounds: a process being killed closes its fds a little before the kernel drops its listener. */
const SETTLE_PAUSE_MS = 20;

/**
 * A one-off look as root: the listeners nobody was seen holding after the fd walk are asked about again
 * (collect/unowned-recheck.ts). The fd tables are walked again for them (every one in the first round: a
 * process may have made its listener after the walk had read its table; in the next, only those of pids
 * that appeared meanwhile), and a holder found is added to `holders`; then the namespace's tables are read
 * again through the view they came from: a listener they no longer list closed during the scan (its holder
 * exited) and is returned, to be left out. What is still there and still unheld keeps no owner. Up to
 * SETTLE_ROUNDS times; nothing is done when every listener has a holder.
 */
async function settleUnowned(look: Look, sources: readonly Source[], holders: InodeTable, held: number, between: () => void): Promise<Set<number>> {
  const closed = new Set<number>();
  let unowned = unownedListeners(sources, holders);
  const walked = new Set(look.pids);
  let betweenDone = false;
  for (let round = 0; round < SETTLE_ROUNDS && unowned.size > 0; round++) {
    if (round > 0) {
      // The pause runs from the end of the last round; `between` (the third view) fills it.
      const from = clock();
      between();
      betweenDone = true;
      const left = SETTLE_PAUSE_MS - (clock() - from);
      if (left > 0) await new Promise((done) => setTimeout(done, left));
    }
    const wanted = new Set<number>();
    for (const inodes of unowned.values()) for (const inode of inodes) wanted.add(inode);
    // The first round walks every fd table (a process already walked may have made its listener since) on
    // a host of ordinary size; the next, and every round on a host whose processes hold more than
    // FULL_REWALK_UP_TO sockets (where walking them all again would cost as much as the look), only those
    // of pids that appeared meanwhile.
    const now = listPids(look.procRoot);
    const fresh = round === 0 && held <= FULL_REWALK_UP_TO ? now : now.filter((pid) => !walked.has(pid));
    for (const pid of fresh) walked.add(pid);
    if (fresh.length > 0) {
      look.pids = now;
      const walk: FdWalk = { procRoot: look.procRoot, pids: fresh, threads: fdWalkThreads(held, look.options.threads), addon: look.addon, startWorker: look.options.startWorker, meanwhile: () => {} };
      await walkFds(walk, holders, (t, inode, pid) => { if (wanted.has(inode)) t.add(inode, pid); });
      unowned = unownedListeners(sources, holders, closed);
    }
    for (const inode of closedDuringScan(unowned, (src, inodes) => src.readAgain?.(inodes) ?? null)) closed.add(inode);
    unowned = unownedListeners(sources, holders, closed);
  }
  if (!betweenDone) between();
  return closed;
}

/** The tables the fd walk read meanwhile (it always calls `meanwhile`). */
function tablesRead(tables: Tables | null): Tables {
  if (tables === null) throw new Error("unreachable: the fd walk reads the tables meanwhile");
  return tables;
}

/** Step 4: the details of the processes that hold sockets, and a warning for fd tables that could not be read. */
function ownerDetails(look: Look, holders: HolderLookup, denied: number): Map<number, ProcessInfo> {
  const processes = readProcessDetails(holders, {
    procRoot: look.procRoot, passwdFile: look.options.passwdFile ?? "/etc/passwd", netnsOf: look.namespaces.netnsOf, pids: look.pids,
    known: look.cache?.processes, refs: look.cache?.refs,
  });
  if (look.options.provenance) {
    look.lap("processes");
    readProvenance(look.options.provenance, processes.values(), look.procRoot, look.warnings);
    look.lap("provenance");
  }
  if (denied > 0) {
    look.warnings.push(`Cannot read the open files of ${denied} of ${look.pids.length} processes: permission denied (run as root to see every owner)`);
  }
  look.lap("processes");
  return processes;
}

/** The first 50 malformed table lines, as warnings. */
function malformedLineWarnings(problems: readonly Problem[], warnings: string[]): void {
  for (const p of problems.slice(0, 50)) warnings.push(`Skipped a malformed line: ${formatProblem(p)}`);
  if (problems.length > 50) warnings.push(`... and ${problems.length - 50} more malformed lines`);
}
