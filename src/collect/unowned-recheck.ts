import type { Socket } from "../model/socket.js";
import type { HolderLookup } from "./attribute.js";
import { isListening } from "./classify.js";
import { netlinkListeners } from "./hidden-listeners.js";
import type { NetlinkRecords } from "./netlink-dumps.js";

// A listener nobody was seen holding after the fd walk of a one-off look (docs/architecture.md, "Listeners
// nobody holds"): a kernel socket, a hidden process, or, far more often, a short-lived process that exited
// between the socket dump and the walk of its fd table, or made the listener after the walk had passed it.
// linux.ts walks the fd tables again and reads the namespace's tables again; these pure functions say
// which listeners to ask about and which of them closed meanwhile.

/** One namespace's sockets as the look read them (a tables.ts Source, or test data). */
export interface ListenerSource {
  netns: number | null;
  netlink: NetlinkRecords | null;
  made: readonly Socket[];
}

/**
 * The inodes of the TCP and UDP listeners of each source that no fd table holds (`holders`) and that are
 * not in `skip`. Raw sockets are left alone: the cross-check reads only TCP and UDP again.
 */
export function unownedListeners<S extends ListenerSource>(sources: readonly S[], holders: Pick<HolderLookup, "has">, skip: ReadonlySet<number> = new Set()): Map<S, number[]> {
  const out = new Map<S, number[]>();
  for (const src of sources) {
    const inodes: number[] = [];
    const consider = (s: Socket) => {
      if (s.proto === "raw" || !s.inode || holders.has(s.inode) || skip.has(s.inode)) return;
      inodes.push(s.inode);
    };
    for (const s of listenersOf(src)) consider(s);
    for (const s of src.made) if (isListening(s)) consider(s);
    if (inodes.length > 0) out.set(src, inodes);
  }
  return out;
}

// A namespace's netlink listeners, decoded once: settleUnowned asks about them several times, and finding
// them means reading every record (200,000 on a busy host).
const decoded = new WeakMap<NetlinkRecords, readonly Socket[]>();
function listenersOf(src: ListenerSource): readonly Socket[] {
  if (src.netlink === null) return [];
  let out = decoded.get(src.netlink);
  if (out === undefined) {
    out = netlinkListeners(src.netlink, src.netns);
    decoded.set(src.netlink, out);
  }
  return out;
}

/**
 * A namespace's netlink listeners for the join: those unownedListeners decoded, handed over once (the join
 * fills them in, so a later look never gets them again), else decoded now.
 */
export function takeListeners(src: ListenerSource): readonly Socket[] {
  if (src.netlink === null) return [];
  const out = decoded.get(src.netlink);
  if (out === undefined) return netlinkListeners(src.netlink, src.netns);
  decoded.delete(src.netlink);
  return out;
}

/**
 * For unownedListeners: false only for an inode whose holders all lack details (`processes`). A holder
 * that exited between the fd walk and the reading of its details leaves its socket with no process, as
 * if nobody held it; inodes nobody holds were asked about already (settleUnowned) and count as settled.
 */
export function detailsKnown(holders: HolderLookup, processes: ReadonlyMap<number, unknown>): Pick<HolderLookup, "has"> {
  return {
    has(inode) {
      const held = holders.get(inode);
      if (held === undefined) return true;
      return typeof held === "number" ? processes.has(held) : held.some((pid) => processes.has(pid));
    },
  };
}

/**
 * The listeners of `unowned` (inodes by source) that a fresh read of their namespace's tables (`readAgain`:
 * every socket inode it lists) no longer lists: they closed while the look ran. A namespace that cannot
 * be read again (null: its processes exited) keeps its listeners, since nothing says they closed.
 */
export function closedDuringScan<S>(unowned: ReadonlyMap<S, readonly number[]>, readAgain: (src: S, inodes: readonly number[]) => ReadonlySet<number> | null): Set<number> {
  const closed = new Set<number>();
  for (const [src, inodes] of unowned) {
    const present = readAgain(src, inodes);
    if (present === null) continue;
    for (const inode of inodes) if (!present.has(inode)) closed.add(inode);
  }
  return closed;
}

/** Removes the sockets whose inode is in `closed` from `sockets`, in place, from index `from` on. */
export function dropClosed(sockets: Socket[], closed: ReadonlySet<number>, from = 0): void {
  if (closed.size === 0) return;
  let kept = from;
  for (let i = from; i < sockets.length; i++) {
    const s = sockets[i] as Socket;
    if (s.inode === null || !closed.has(s.inode)) sockets[kept++] = s;
  }
  sockets.length = kept;
}
