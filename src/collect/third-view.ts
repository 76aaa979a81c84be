import type { Proto, Socket } from "../model/socket.js";
import { inodeSlot, type HolderLookup } from "./attribute.js";
import type { SocketFds } from "./fd-walk.js";
import { findNamespaces, listPids, netBase, netnsPath, type NamespaceDirs } from "./namespaces.js";
import type { HeldSocket, NativeAddon } from "./native.js";
import { dumpNamespace, NETLINK_TABLES, type CollectSession, type Dumps } from "./netlink-dumps.js";
import { decodeSockDiag, eachInode, inodesOf as recordInodes } from "./parse/sock-diag.js";
import { readNamespaceTables } from "./proc-net-tables.js";
import type { Source } from "./tables.js";

// The fd tables as a third view of the sockets (issue 15). The fd walk sees every socket inode a visible
// process holds; the kernel's two table views (netlink, what ss reads; /proc/net, what netstat reads) list
// the TCP, UDP and raw sockets of each namespace dumped. A socket a process holds that no dumped table
// lists is one of:
//   - not a TCP, UDP or raw socket at all (unix, netlink, packet ...): most of them; sockfs names the
//     protocol (getxattr system.sockprotoname), so they are dropped at once;
//   - a TCP or UDP socket no table lists by design: never bound (port 0), or a TCP socket in CLOSE
//     state (not hashed: a failed connect, one not yet connected). Dropped;
//   - made after its namespace was dumped (the walk runs while the tables are read). The namespace is
//     dumped again, and /proc/net read again, while portwatch holds a copy of the socket's fd (so it
//     cannot go away meanwhile), and the socket is read once more after that: only one both views still
//     leave out, still bound or connected, is hidden;
//   - in a network namespace no process is in (a process made it there, then left with setns, or the
//     namespace's last process handed it over and exited): the socket tells its namespace (SIOCGSKNS),
//     which portwatch then dumps through it, so every socket of that namespace is listed, with a warning;
//   - hidden from both views in a namespace that was dumped: what a rootkit does.
// The last two are listed with `hiddenFrom: "both"` (rule hidden-socket). Kernel-held sockets (no
// process) are not seen by this view and stay as before.

/** Socket inodes: an open-addressing set over a Uint32Array (the listed sockets of a busy host: 100,000 in 1 MiB). */
class InodeSet {
  private keys: Uint32Array;
  private big = new Set<number>();
  private used = 0;
  constructor(expected: number) {
    let size = 1024;
    while (size < expected * 2) size *= 2;
    this.keys = new Uint32Array(size);
  }
  private slot(inode: number): number {
    const mask = this.keys.length - 1;
    let i = inodeSlot(inode, mask);
    while (this.keys[i] !== 0 && this.keys[i] !== inode) i = (i + 1) & mask;
    return i;
  }
  add(inode: number): void {
    if (inode <= 0) return;
    if (inode > 0xffffffff) { this.big.add(inode); return; }
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const i = this.slot(inode);
    if (this.keys[i] === 0) { this.keys[i] = inode; this.used++; }
  }
  /** add() for each of `inodes` (32-bit, so never beyond the typed array). */
  addAll(inodes: Uint32Array): void {
    while ((this.used + inodes.length) * 2 > this.keys.length) this.grow();
    for (let k = 0; k < inodes.length; k++) {
      const inode = inodes[k] as number;
      if (inode === 0) continue;
      const i = this.slot(inode);
      if (this.keys[i] === 0) { this.keys[i] = inode; this.used++; }
    }
  }
  private grow(): void {
    const old = this.keys;
    this.keys = new Uint32Array(old.length * 2);
    for (const k of old) if (k !== 0) this.keys[this.slot(k)] = k;
  }
  has(inode: number): boolean {
    if (inode > 0xffffffff) return this.big.has(inode);
    return inode > 0 && this.keys[this.slot(inode)] === inode;
  }
}

/** What the third view needs from the look: the addon, how to read each namespace again, and the tables read. */
export interface ThirdViewLook {
  addon: NativeAddon;
  procRoot: string;
  /** The namespaces whose tables were read, with the directories to read them through. */
  nsList: readonly NamespaceDirs[];
  session: CollectSession;
  littleEndian: boolean;
  /** Every namespace's sources; sources for hidden sockets and for namespaces no process is in are added. */
  sources: Source[];
  holders: HolderLookup;
  /** Each socket's fd, when the addon walked every fd table: the candidates' fds are then read directly. */
  located: SocketFds | undefined;
  /** Kept by a watcher between looks: unlisted held inodes already found to be no TCP, UDP or raw socket (updated). */
  notInet: Set<number> | undefined;
  /**
   * A watcher's later looks (no full walk): each process's socket inodes at its last fd-table read
   * (OwnerCache.byPid), since its holder table keeps only listed sockets; `keep` puts a hidden socket's
   * holder back in it, so the join names the owner.
   */
  byPid?: ReadonlyMap<number, readonly number[]>;
  keep?: (inode: number, pid: number) => void;
  warnings: string[];
  /** Namespaces no process is in where processes hold sockets: each one found is added. */
  emptyNamespaces: number[];
}

/** The protocol numbers inspectHeld gives, as portwatch's protocol names. */
const PROTOS: Record<number, Proto> = { 6: "tcp", 17: "udp", 255: "raw" };

/** A socket a process holds and no table listed, as read from the socket itself. */
interface Candidate {
  held: HeldSocket;
  socket: Socket;
}

/**
 * Finds the sockets processes hold that no dumped table lists (see above) and adds them to `look.sources`:
 * each namespace no process is in that holds one is dumped whole; a socket both views of a dumped
 * namespace still leave out is made from what the socket itself says. Returns how many were found.
 */
export function thirdView(look: ThirdViewLook): number {
  const inspect = look.addon.inspectHeld;
  if (inspect === undefined) return 0;
  const triples = unlistedHeld(look);
  if (triples.length === 0) return 0;
  const held = inspect.call(look.addon, look.procRoot, triples);
  if (look.notInet) for (const h of held) if (h.record === undefined && h.error === undefined) look.notInet.add(h.inode);
  const copies: number[] = [];
  for (const h of held) {
    if (h.dup !== undefined) copies.push(h.dup);
    if (h.nsfd !== undefined) copies.push(h.nsfd);
  }
  try {
    return sortOut(look, held);
  } finally {
    look.addon.closeFds?.(copies);
  }
}

/**
 * [inode, pid, fd] triples (by pid) of the sockets held but listed by no source, one holder each: from
 * where the addon's walk found them (fd known), else from the holders (fd -1: the addon reads that fd
 * table again), leaving out those a watcher already knows are no TCP, UDP or raw socket.
 */
function unlistedHeld(look: ThirdViewLook): Float64Array {
  let expected = 0;
  for (const src of look.sources) expected += src.made.length + (src.netlink ? NETLINK_TABLES.reduce((n, t) => n + (src.netlink as Dumps)[t.name].length / 48, 0) : 0);
  const listed = new InodeSet(expected);
  // Straight from the records (a callback per inode, in code that runs once per look, costs 15-20 ms at 200,000).
  for (const src of look.sources) {
    if (src.netlink) for (const t of NETLINK_TABLES) listed.addAll(recordInodes(src.netlink[t.name]));
    for (const s of src.made) if (s.inode !== null) listed.add(s.inode);
  }
  const found: [number, number, number][] = [];
  const seen = new Set<number>();
  const { located, notInet } = look;
  if (located) {
    const { pairs, fds, count } = located;
    for (let k = 0; k < count; k++) {
      const inode = pairs[2 * k] as number;
      if (listed.has(inode) || seen.has(inode)) continue;
      seen.add(inode);
      found.push([inode, pairs[2 * k + 1] as number, fds[k] as number]);
    }
  } else if (look.byPid) {
    for (const [pid, inodes] of look.byPid) {
      for (const inode of inodes) {
        if (listed.has(inode) || seen.has(inode)) continue;
        seen.add(inode);
        if (!notInet?.has(inode)) found.push([inode, pid, -1]);
      }
    }
  } else {
    for (const [inode, pids] of look.holders.entries()) {
      if (listed.has(inode)) continue;
      seen.add(inode);
      if (!notInet?.has(inode)) found.push([inode, typeof pids === "number" ? pids : (pids[0] as number), -1]);
    }
  }
  // A watcher forgets what is no longer held unlisted.
  if (notInet) for (const inode of notInet) if (!seen.has(inode)) notInet.delete(inode);
  found.sort((a, b) => a[1] - b[1]);
  return Float64Array.from(found.flat());
}

/** A socket from one record the addon read from a held socket; null for one no table would list (unbound, TCP CLOSE). */
function socketOf(record: Uint8Array, protocol: number, netns: number | null): Socket | null {
  const proto = PROTOS[protocol];
  if (proto === undefined) return null;
  const out: Socket[] = [];
  decodeSockDiag(record, proto, netns, out);
  const s = out[0];
  if (s === undefined) return null;
  if (proto === "tcp" && s.state === "CLOSE") return null; // not hashed: no table lists it on any host
  if (proto === "udp" && s.local.port === 0) return null; // never bound: likewise
  return s;
}

function sortOut(look: ThirdViewLook, held: readonly HeldSocket[]): number {
  // The inet sockets worth a second look, by namespace (null: their namespace could not be learnt).
  const byNetns = new Map<number | null, Candidate[]>();
  const nsfds = new Map<number, number>();
  const refused = held.filter((h) => h.error === "EPERM" || h.error === "EACCES" || h.error === "ENOSYS");
  if (refused.length > 0) {
    const pids = [...new Set(refused.map((h) => h.pid))].slice(0, 5).join(", ");
    look.warnings.push(`${refused.length} TCP, UDP or raw socket${refused.length > 1 ? "s" : ""} that processes hold (${pids}${refused.length > 5 ? " ..." : ""}) and no table lists could not be inspected ` +
      `(${refused[0]?.error === "ENOSYS" ? "this kernel lacks pidfd_getfd, Linux 5.6" : "pidfd_getfd was refused: run as root"}), so portwatch cannot tell whether they are hidden`);
  }
  for (const h of held) {
    if (h.record === undefined || h.protocol === undefined) continue;
    const netns = h.netns ?? null;
    const socket = socketOf(h.record, h.protocol, netns);
    if (socket === null) continue;
    let list = byNetns.get(netns);
    if (list === undefined) { list = []; byNetns.set(netns, list); }
    list.push({ held: h, socket });
    if (netns !== null && h.nsfd !== undefined && !nsfds.has(netns)) nsfds.set(netns, h.nsfd);
  }
  let hidden = 0;
  const dirsOf = new Map(look.nsList);
  // A namespace the listing did not show may have a process now (one that entered it during the look, as
  // `ip netns exec` does after portwatch read its ns link): the ns links are read again before calling it empty.
  const now = [...byNetns.keys()].some((n) => n !== null && !dirsOf.has(n)) ? findNamespaces(look.procRoot, listPids(look.procRoot)).namespaces : null;
  for (const [netns, candidates] of byNetns) {
    if (netns === null) { hidden += madeFromFacts(look, null, candidates, "its network namespace could not be told"); continue; }
    const dirs = dirsOf.get(netns);
    if (dirs !== undefined) { hidden += hiddenInDumped(look, netns, dirs, candidates); continue; }
    const entered = now?.get(netns);
    if (entered !== undefined) hidden += lateNamespace(look, netns, entered, candidates);
    else hidden += notReadNamespace(look, netns, nsfds.get(netns), candidates);
  }
  return hidden;
}

/**
 * A namespace a process entered during the look (not in the listing, but some process is in it now): its
 * tables are read like any other's, the held sockets compared with them as in a namespace read before.
 */
function lateNamespace(look: ThirdViewLook, netns: number, dirs: readonly string[], candidates: readonly Candidate[]): number {
  for (const dir of dirs) {
    try {
      const dumps = dumpNamespace(look.addon, netnsPath(look.procRoot, dir), netBase(look.procRoot, dir), [], look.session);
      if (dumps === null) continue;
      const { tcp, tcp6, udp, udp6 } = dumps;
      look.sources.push({ netns, netlink: { tcp, tcp6, udp, udp6 }, made: [] });
      return hiddenInDumped(look, netns, [dir], candidates);
    } catch {
      continue; // that process left: the next one
    }
  }
  return 0;
}

/** The inodes of one namespace's dumps (netlink records and raw text, already parsed into `made`). */
function inodesOf(dumps: Dumps, made: readonly Socket[]): Set<number> {
  const inodes = new Set<number>();
  for (const t of NETLINK_TABLES) eachInode(dumps[t.name], (i) => inodes.add(i));
  for (const s of made) if (s.inode) inodes.add(s.inode);
  return inodes;
}

/**
 * Sockets of a namespace that was dumped: dumped again and /proc/net read again (portwatch holds a copy
 * of each, so none can go away meanwhile), then each read once more from the socket itself. Those both
 * views still leave out, and that are still bound or connected, are hidden.
 */
function hiddenInDumped(look: ThirdViewLook, netns: number | null, dirs: readonly string[], candidates: readonly Candidate[]): number {
  for (const dir of dirs) {
    const base = netBase(look.procRoot, dir);
    let listed: Set<number>;
    try {
      const dumps = dumpNamespace(look.addon, netnsPath(look.procRoot, dir), base, [], look.session);
      if (dumps === null) continue;
      const text: Socket[] = [];
      readNamespaceTables(base, netns, look.littleEndian, text, []);
      listed = inodesOf(dumps, text);
    } catch {
      continue; // that pid exited: the next one of the namespace
    }
    const still = candidates.filter((c) => !listed.has(c.held.inode)).flatMap((c) => stillThere(look.addon, c));
    return madeFromFacts(look, netns, still, null);
  }
  return 0; // the namespace's processes all exited: nothing to compare with
}

/** The candidate read again from portwatch's copy: [] when it is no longer bound or connected (closed, reset, disconnected). */
function stillThere(addon: NativeAddon, c: Candidate): Candidate[] {
  if (c.held.dup === undefined || addon.describeHeld === undefined) return [c];
  const again = addon.describeHeld(c.held.dup);
  if (again === null) return [];
  const socket = socketOf(again.record, again.protocol, c.socket.netns);
  return socket === null ? [] : [{ held: c.held, socket }];
}

/** Adds the hidden sockets as a source of their own, as the sockets themselves describe them. */
function madeFromFacts(look: ThirdViewLook, netns: number | null, candidates: readonly Candidate[], why: string | null): number {
  if (candidates.length === 0) return 0;
  for (const c of candidates) look.keep?.(c.held.inode, c.held.pid);
  const made = candidates.map((c) => ({ ...c.socket, hiddenFrom: "both" as const }));
  look.sources.push({ netns, netlink: null, made });
  if (why !== null) look.warnings.push(`${made.length} socket${made.length > 1 ? "s" : ""} that processes hold could not be compared with the kernel's tables: ${why}`);
  return made.length;
}

/**
 * A namespace no process is in (the socket named it, SIOCGSKNS): dumped through the socket's namespace
 * file, so every socket in it is listed; the held ones are marked hidden (no process's view shows them).
 */
function notReadNamespace(look: ThirdViewLook, netns: number, nsfd: number | undefined, candidates: readonly Candidate[]): number {
  const holders = [...new Set(candidates.map((c) => c.held.pid))].sort((a, b) => a - b);
  let dumps: Dumps | null = null;
  try {
    if (nsfd !== undefined) dumps = dumpNamespace(look.addon, `/proc/self/fd/${nsfd}`, null, [], look.session);
  } catch { dumps = null; }
  const who = `process${holders.length > 1 ? "es" : ""} ${holders.join(", ")}`;
  if (dumps === null) {
    look.emptyNamespaces.push(netns);
    look.warnings.push(`Network namespace ${netns} has no process in it, but ${who} hold${holders.length > 1 ? "" : "s"} sockets in it: portwatch could not read its tables, so only the held sockets are listed`);
    return madeFromFacts(look, netns, candidates, null);
  }
  look.emptyNamespaces.push(netns);
  const listed = inodesOf(dumps, []);
  const hiddenThere = new Set(candidates.filter((c) => listed.has(c.held.inode)).map((c) => c.held.inode));
  for (const c of candidates) if (hiddenThere.has(c.held.inode)) look.keep?.(c.held.inode, c.held.pid);
  const { tcp, tcp6, udp, udp6 } = dumps;
  look.sources.push({ netns, netlink: { tcp, tcp6, udp, udp6 }, made: [], hidden: hiddenThere });
  const count = [...NETLINK_TABLES].reduce((n, t) => n + dumps[t.name].length / 48, 0);
  look.warnings.push(
    `Network namespace ${netns} has no process in it, but ${who} hold${holders.length > 1 ? "" : "s"} sockets in it: ss and netstat, run in any process's namespace, ` +
    `do not show them, and "ip netns" lists it only if it was named. portwatch read its ${count} socket${count === 1 ? "" : "s"} through the held socket; ` +
    `see what ${who} ${holders.length > 1 ? "are" : "is"} with "ps -o pid,user,args -p ${holders.join(",")}" and "ls -l /proc/${holders[0]}/fd"`);
  // Held sockets its own dump leaves out too: hidden in that namespace as well.
  return hiddenThere.size + madeFromFacts(look, netns, candidates.filter((c) => !listed.has(c.held.inode)).flatMap((c) => stillThere(look.addon, c)), null);
}
