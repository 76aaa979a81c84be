import type { ProcessInfo } from "../model/process.js";
import { addHolder } from "./attribute.js";
import type { Collection } from "./collection.js";
import { scanFdShare } from "./fd-scan.js";
import { listPids } from "./namespaces.js";
import { createCollectSession, dumpsDigest, type CollectSession, type Dumps } from "./netlink-dumps.js";
import { newTerminal, type KnownRef } from "./process-details.js";
import type { Source } from "./tables.js";

// Watching (portwatch watch, serve): what one look learnt about owners, kept for the next look, so that
// a look at a steady host reads only new processes' fd tables, or nothing but the kernel's dumps.

/** What one look learnt about owners, for the next look (see CollectOptions.cache). */
export interface OwnerCache {
  holders: Map<number, number | number[]>;
  /** pid → the socket inodes in its fd table at its last scan. */
  byPid: Map<number, number[]>;
  processes: Map<number, ProcessInfo>;
  /** Ancestors of holders and processes near terminals below them (exe, uid, arguments): read once while their pid runs the same program. */
  refs: Map<number, KnownRef>;
  /** Processes whose fd table cannot be read (no root): not tried again. */
  denied: Set<number>;
  /**
   * Socket inodes no readable process held when every fd table was last read (kernel sockets, hidden
   * owners, but also a connection still in a listener's accept queue, or one made while the walk ran):
   * inode → when to look for it again (see ORPHAN_BACKOFF), so that an owner that turns up later is found.
   */
  orphans: Map<number, Orphan>;
  /** Looks taken with this cache (the orphans' clock). */
  looks: number;
  /**
   * Sockets still listed whose last holder closed them or exited since the look before (a process being
   * killed: its fds close while the kernel still lists its listener): inode → that holder, kept as the
   * owner for this one look, so that a closing socket does not turn into an ownerless new one.
   */
  kept: Map<number, number>;
  /** fd tables read in the last look (to measure how cheap it was). */
  lastScanned: number;
  /**
   * A digest of the last look's kernel dumps (netlink records and raw-socket text, per namespace: dumpsDigest)
   * and the collection made from them: when the next look's dumps are byte for byte the same and no socket changed hands,
   * that collection is the answer again (a steady host costs little more than the dumps).
   */
  previous: { digests: Map<number | null, string>; collection: Collection; inodes: InodeList; glances: ReadonlyMap<number | null, string> | null } | null;
  /**
   * Looks a glance alone (netlink-dumps.ts glanceNamespace: TCP's counters, listeners, UDP and raw sockets)
   * may still answer as the last look again before the dumps are compared in full: drawn anew at every full
   * comparison (glancesAfterFullComparison), for what a glance cannot see (parse/tcp-counters.ts).
   */
  glancesLeft: number;
  /** Looks a glance alone answered, in all. */
  glanced: number;
  /**
   * Keep no Socket of the last look (a watcher that needs only identities, see LookerOptions.lean): the
   * collection kept in `previous` has no sockets, so a steady host's look hands back an empty list
   * (marked `unchanged`) and the last look's sockets are garbage once its caller is done with them.
   */
  lean: boolean;
  /** What the looks so far taught about this kernel's dumps. */
  session: CollectSession;
  /**
   * The last deep look's ports nobody lists (watch --deep), a Source per namespace: carried into the looks
   * between deep looks, so they do not vanish and reappear with every deep look.
   */
  unlisted?: Source[];
  /** Held socket inodes no table lists that the third view found to be no TCP, UDP or raw socket (unix, netlink ...): not inspected again. */
  notInet: Set<number>;
  /** The next refresh belongs to the look that just refreshed (see readAgainInFull): it is not a new look. */
  sameLook?: boolean;
}

/**
 * Makes the next collection with `cache` read the host in full (no last look to hand back) as part of the
 * same look: a lean watcher's look whose steady host must be judged again (a selection, changed lists, a
 * moved firewall) reads it again. The holders kept for this look (OwnerCache.kept) stay kept in that
 * second read, and the orphans' clock does not move, or a listener whose holder is exiting would lose its
 * owner in the middle of its one look.
 */
export function readAgainInFull(cache: OwnerCache): void {
  cache.previous = null;
  cache.sameLook = true;
}

/** An empty owner cache; `lean`: keep no sockets between looks (see OwnerCache.lean). */
export function createOwnerCache(lean = false): OwnerCache {
  return { holders: new Map(), byPid: new Map(), processes: new Map(), refs: new Map(), denied: new Set(), orphans: new Map(), looks: 0, kept: new Map(), lastScanned: 0, previous: null, glancesLeft: 0, glanced: 0, session: createCollectSession(), notInet: new Set(), lean };
}

/**
 * The socket inodes of a look, sorted, in one typed array (8 bytes each, no object per socket): what a
 * steady host's next look needs of the last one to refresh owners, without walking 200,000 Socket objects
 * or building a Set of their inodes at every look.
 */
export class InodeList {
  private readonly sorted: Float64Array;
  /** `inodes` (0 left out); a Float64Array is taken as it is, sorted in place (a look in parts fills one). */
  constructor(inodes: Iterable<number>) {
    if (inodes instanceof Float64Array) {
      this.sorted = inodes.sort();
      let zeros = 0;
      while (zeros < this.sorted.length && this.sorted[zeros] === 0) zeros++;
      if (zeros > 0) this.sorted = this.sorted.subarray(zeros);
      return;
    }
    const all: number[] = [];
    for (const inode of inodes) if (inode) all.push(inode);
    this.sorted = Float64Array.from(all).sort();
  }
  has(inode: number): boolean {
    const a = this.sorted;
    let lo = 0, hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid] as number;
      if (v === inode) return true;
      if (v < inode) lo = mid + 1; else hi = mid - 1;
    }
    return false;
  }
  forEach(each: (inode: number) => void): void {
    for (const inode of this.sorted) each(inode);
  }
}

/** An inode nobody was seen to hold: how often every fd table was read for it, and the look to read them again. */
export interface Orphan {
  searches: number;
  nextLook: number;
}

/**
 * Looks to wait before an orphan is looked for again, after its n-th search: 1, 2, 4 … 64. A kernel
 * socket costs a full read of the fd tables at most once per 64 looks; a socket accepted or handed over
 * later (accept queue, a walk that read its process just before the socket was made) gets its owner at
 * the next look.
 */
export function orphanBackoff(searches: number): number {
  return Math.min(64, 2 ** Math.max(0, searches - 1));
}

function markOrphan(cache: OwnerCache, inode: number): void {
  const searches = (cache.orphans.get(inode)?.searches ?? 0) + 1;
  cache.orphans.set(inode, { searches, nextLook: cache.looks + orphanBackoff(searches) });
}

/** What refreshOwners found: fd tables it could not read, and whether any socket changed hands. */
export interface OwnerRefresh {
  denied: number;
  changed: boolean;
}

/** The most looks in a row a glance answers before the dumps are compared in full: 6 (14 s at the default interval). */
export const GLANCES_AT_MOST = 6;

/**
 * How many looks a glance may answer after a full comparison (OwnerCache.glancesLeft): 0 to GLANCES_AT_MOST
 * at random (3 on average: a full comparison every 4th look, 8 s at the default interval). Drawn anew at each
 * full comparison, also one a moved glance asked for, so no one can count on a change falling between two.
 */
export function glancesAfterFullComparison(random: () => number = Math.random): number {
  return Math.min(GLANCES_AT_MOST, Math.floor(random() * (GLANCES_AT_MOST + 1)));
}

/**
 * The steady-host shortcut: when every namespace's `dumps` are the bytes of the last look's (or its
 * `glances` the last look's glances), no socket changed hands and no new process is the first on a
 * terminal, the last look's collection is this one too (marked `unchanged`): nothing to decode, join or
 * judge. Otherwise what was learnt on the way: with the same dumps, the owners are already refreshed
 * (`refreshed`) and hold for the full look.
 */
export function lastLookAgain(cache: OwnerCache, procRoot: string, pids: readonly number[], seen: { dumps: ReadonlyMap<number | null, Dumps> } | { glances: ReadonlyMap<number | null, string> }): { unchanged: Collection } | { refreshed: OwnerRefresh | null } {
  const last = cache.previous;
  if (last === null || !("dumps" in seen ? sameDumpsByNamespace(seen.dumps, last.digests) : last.glances !== null && sameGlances(seen.glances, last.glances))) return { refreshed: null };
  // A new terminal may have put a shell below a holder (rule reverse-shell): the context is read again.
  if (newTerminal(procRoot, pids, (pid) => cache.byPid.has(pid) || cache.denied.has(pid))) return { refreshed: null };
  const previous = last.collection;
  // The same dumps list the same socket inodes as the last look (kept as one typed array, not its sockets).
  const { inodes } = last;
  const refreshed = refreshOwners(procRoot, pids, (each) => inodes.forEach(each), cache, inodes);
  // Same sockets, new owners: the owners just refreshed hold for the full look.
  return refreshed.changed ? { refreshed } : { unchanged: { ...previous, unchanged: true } };
}

/** Whether lastLookAgain may answer: a last look to compare with, and owners from it. */
export function hasLastLook(cache: OwnerCache): boolean {
  return cache.previous !== null && cache.byPid.size > 0;
}

/**
 * Keeps this look's dumps and collection for the next look's shortcut, when every namespace was dumped (none
 * read as /proc text). `inodes`: its sockets' inodes (given apart by a look handed out in parts, whose
 * collection holds no sockets).
 */
export function rememberLook(cache: OwnerCache, dumps: Map<number | null, Dumps>, namespaceCount: number, collection: Collection, socketInodes?: Iterable<number>, glances: ReadonlyMap<number | null, string> | null = null): void {
  if (dumps.size !== namespaceCount) { cache.previous = null; return; }
  const inodes = new InodeList(socketInodes ?? (function* () { for (const s of collection.sockets) if (s.inode !== null) yield s.inode; })());
  const digests = new Map<number | null, string>();
  for (const [netns, d] of dumps) digests.set(netns, dumpsDigest(d));
  cache.previous = { digests, collection: cache.lean ? { ...collection, sockets: [] } : collection, inodes, glances };
}

function sameGlances(a: ReadonlyMap<number | null, string>, before: ReadonlyMap<number | null, string>): boolean {
  if (a.size !== before.size) return false;
  for (const [netns, glance] of a) if (before.get(netns) !== glance) return false;
  return true;
}

function sameDumpsByNamespace(a: ReadonlyMap<number | null, Dumps>, before: ReadonlyMap<number | null, string>): boolean {
  if (a.size !== before.size) return false;
  for (const [netns, dumps] of a) if (before.get(netns) !== dumpsDigest(dumps)) return false;
  return true;
}

/**
 * Fills an empty cache from the first look's full fd walk: `holders` becomes the cache's (later looks
 * change it), every pid's socket inodes are noted, and sockets nobody held are orphans.
 */
export function fillOwnerCache(cache: OwnerCache, pids: readonly number[], holders: Map<number, number | number[]>, eachSocketInode: (each: (inode: number) => void) => void): void {
  cache.holders = holders;
  for (const pid of pids) cache.byPid.set(pid, []);
  for (const [inode, held] of holders) for (const pid of typeof held === "number" ? [held] : held) cache.byPid.get(pid)?.push(inode);
  eachSocketInode((inode) => { if (inode && !holders.has(inode)) markOrphan(cache, inode); });
  cache.lastScanned = pids.length;
}

/**
 * The fd walk with a cache: forget processes that exited, read the fd tables of new processes, then
 * of the others (busiest first) only until every socket in the tables has an owner or all were read.
 *
 * After a refresh every listed socket inode has a holder or is an orphan, and the holders are listed ones.
 * So when the tables list the very inodes of the last look (`sameAsLast`: a steady host, whose dumps did not
 * change), only the inodes that lost a holder since (a process that exited or was read again, a holder kept
 * for one look) and the orphans can need an owner, and only the holders this refresh added can be unlisted:
 * the refresh costs in proportion to what changed, not to the 200,000 sockets (`eachSocketInode` is then not
 * called).
 */
export function refreshOwners(procRoot: string, pids: readonly number[], eachSocketInode: (each: (inode: number) => void) => void, cache: OwnerCache, sameAsLast?: InodeList): OwnerRefresh {
  const sameLook = cache.sameLook === true;
  cache.sameLook = false;
  if (!sameLook) cache.looks++;
  const keptBefore = sameLook ? new Map<number, number>() : cache.kept;
  for (const [inode, pid] of keptBefore) dropHolder(cache.holders, inode, pid); // kept one look only
  const dropped = new Map<number, number>();
  const { changed, exited } = forgetExited(cache, new Set(pids), dropped);
  const rescan: Rescan = { procRoot, cache, scanned: 0, denied: cache.denied.size, changed, dropped, added: sameAsLast ? [] : null };
  for (const pid of pids) if (!cache.byPid.has(pid) && !cache.denied.has(pid)) rescanFds(rescan, pid);
  const unknown = new Set<number>();
  const consider = (inode: number) => {
    if (!inode || cache.holders.has(inode)) return;
    const orphan = cache.orphans.get(inode);
    if (orphan === undefined || orphan.nextLook <= cache.looks) unknown.add(inode);
  };
  let live: { has(inode: number): boolean };
  if (sameAsLast) {
    live = sameAsLast;
    for (const inodes of [keptBefore.keys(), dropped.keys(), cache.orphans.keys()]) for (const inode of inodes) if (sameAsLast.has(inode)) consider(inode);
  } else {
    const all = new Set<number>();
    eachSocketInode((inode) => { if (inode) { all.add(inode); consider(inode); } });
    live = all;
  }
  if (unknown.size > 0) findOwners(rescan, pids, unknown);
  keepLastHolders(cache, dropped, live, exited, sameLook);
  for (const inode of cache.orphans.keys()) if (!live.has(inode) || cache.holders.has(inode)) cache.orphans.delete(inode);
  for (const inode of rescan.added ?? cache.holders.keys()) if (!live.has(inode)) cache.holders.delete(inode);
  cache.lastScanned = rescan.scanned;
  return { denied: rescan.denied, changed: rescan.changed };
}

/**
 * Forgets the processes that are no longer `alive` (their details only after keepLastHolders); says
 * whether one of them held a socket, and which exited.
 */
function forgetExited(cache: OwnerCache, alive: ReadonlySet<number>, dropped: Map<number, number>): { changed: boolean; exited: number[] } {
  let changed = false;
  const exited: number[] = [];
  for (const [pid, inodes] of cache.byPid) {
    if (alive.has(pid)) continue;
    if (inodes.length > 0) changed = true;
    for (const inode of inodes) dropHolder(cache.holders, inode, pid, dropped);
    cache.byPid.delete(pid);
    exited.push(pid);
  }
  for (const pid of cache.denied) if (!alive.has(pid)) cache.denied.delete(pid);
  return { changed, exited };
}

/**
 * A socket still listed whose last holder just let go of it (closed it, or exited with the kernel still
 * listing it) and that nobody else was found holding: that holder stays its owner for this look (see
 * OwnerCache.kept), with the details read before. Then the exited processes' details are forgotten.
 */
function keepLastHolders(cache: OwnerCache, dropped: ReadonlyMap<number, number>, live: { has(inode: number): boolean }, exited: readonly number[], sameLook: boolean): void {
  // (a second read within the same look adds to what the first kept: see readAgainInFull)
  const kept = new Map<number, number>();
  if (sameLook) for (const [inode, pid] of cache.kept) if (live.has(inode) && cache.holders.has(inode)) kept.set(inode, pid);
  for (const [inode, pid] of dropped) {
    if (!live.has(inode) || cache.holders.has(inode) || (!sameLook && cache.kept.has(inode)) || !cache.processes.has(pid)) continue;
    addHolder(cache.holders, inode, pid);
    kept.set(inode, pid);
  }
  cache.kept = kept;
  const keep = new Set(kept.values());
  for (const pid of exited) if (!keep.has(pid)) cache.processes.delete(pid);
}

/** fd tables read again during one refresh, and what that found. */
interface Rescan {
  procRoot: string;
  cache: OwnerCache;
  scanned: number;
  denied: number;
  changed: boolean;
  /** Inodes that lost their last holder in this refresh → that holder (see keepLastHolders). */
  dropped: Map<number, number>;
  /** When noted (refreshOwners with sameAsLast): the inodes the fd tables read in this refresh hold. */
  added: number[] | null;
}

/** Reads one process's fd table again into the cache. */
function rescanFds(rescan: Rescan, pid: number): void {
  const { cache } = rescan;
  const found: number[] = [];
  let i = 0;
  const r = scanFdShare(rescan.procRoot, [pid], () => i++, (inode) => found.push(inode));
  rescan.scanned += r.scanned;
  if (r.denied > 0) { cache.denied.add(pid); rescan.denied++; }
  // It may have exec'd another program: its details are read again, unless it holds no socket now. A process
  // being killed has closed its fds while the kernel may still list a socket of it (the dumps were taken
  // before this read): keepLastHolders keeps it as that socket's owner for one look, with these details.
  if (found.length > 0) cache.processes.delete(pid);
  const had = cache.byPid.get(pid) ?? [];
  if (had.length > 0 || found.length > 0) rescan.changed = true;
  for (const inode of had) dropHolder(cache.holders, inode, pid, rescan.dropped);
  for (const inode of found) addHolder(cache.holders, inode, pid);
  if (rescan.added) for (const inode of found) rescan.added.push(inode);
  cache.byPid.set(pid, found);
}

/** Reads the fd tables of known processes, busiest first, then the rest, until every `unknown` socket has an owner. */
function findOwners(rescan: Rescan, pids: readonly number[], unknown: Set<number>): void {
  const { cache } = rescan;
  const held = (pid: number) => cache.byPid.get(pid)?.length ?? 0;
  const order = pids.filter((p) => held(p) > 0).sort((a, b) => held(b) - held(a));
  const rest = pids.filter((p) => held(p) === 0 && !cache.denied.has(p));
  const read = (pid: number) => {
    rescanFds(rescan, pid);
    for (const inode of cache.byPid.get(pid) ?? []) unknown.delete(inode);
  };
  for (const pid of [...order, ...rest]) {
    if (unknown.size === 0) break;
    read(pid);
  }
  // A process started after this look listed the pids may have made a socket the dumps (taken after the
  // listing) show: its table is read too, or its socket would be nobody's until the next look found it
  // (an ownerless identity that appears, then gives way to the owned one).
  if (unknown.size > 0) for (const pid of listPids(rescan.procRoot)) if (!cache.byPid.has(pid) && !cache.denied.has(pid)) read(pid);
  for (const inode of unknown) markOrphan(cache, inode); // every table was read: nobody we can see holds these, for now
}

/** Takes `pid` off the holders of `inode`; notes in `dropped` an inode it was the last holder of. */
function dropHolder(holders: Map<number, number | number[]>, inode: number, pid: number, dropped?: Map<number, number>): void {
  const held = holders.get(inode);
  if (held === undefined) return;
  if (typeof held === "number") { if (held === pid) { holders.delete(inode); dropped?.set(inode, pid); } return; }
  const rest = held.filter((p) => p !== pid);
  if (rest.length === 0) holders.delete(inode); else holders.set(inode, rest.length === 1 ? (rest[0] as number) : rest);
}
