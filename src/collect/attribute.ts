import { sharedHolder } from "../model/holders.js";
import type { ProcessInfo, SharedHolder } from "../model/process.js";
import type { Socket } from "../model/socket.js";

/** Socket inode → the pid(s) holding it: a Map, or an InodeTable for one big look. */
export interface HolderLookup {
  get(inode: number): number | number[] | undefined;
  has(inode: number): boolean;
  values(): Iterable<number | number[]>;
  /** Every inode with its holders (the third view looks for inodes no table lists: collect/third-view.ts). */
  entries(): Iterable<[number, number | number[]]>;
}

/**
 * An inode's first slot in a table of mask + 1 slots (a power of two, at least 1024). The kernel numbers
 * sockets in sequence, so a look's inodes come in runs: each aligned run of 64 keeps its order in 64
 * neighbouring slots, so walking a process's sockets reads a few cache lines instead of one per socket (a
 * table for 200,000 sockets is larger than the cache), while the runs are spread over the table.
 */
export function inodeSlot(inode: number, mask: number): number {
  return ((Math.imul(inode >>> 6, 0x9e3779b1) << 6) | (inode & 63)) & mask;
}

function addPids(out: Set<number>, held: number | number[]): void {
  if (typeof held === "number") out.add(held); else for (const p of held) out.add(p);
}

/** Every pid that holds a socket in `holders`. */
export function holderPids(holders: HolderLookup): Set<number> {
  if (holders instanceof InodeTable) return holders.pidSet();
  const out = new Set<number>();
  for (const held of holders.values()) addPids(out, held);
  return out;
}

/** Whether the pids holding sockets in `holders` are exactly `pids`. */
export function heldByExactly(holders: HolderLookup, pids: ReadonlySet<number>): boolean {
  const now = holderPids(holders);
  if (now.size !== pids.size) return false;
  for (const pid of now) if (!pids.has(pid)) return false;
  return true;
}

/**
 * An inode → holder table in two typed arrays (open addressing), for a one-off look at a busy host:
 * 200,000 socket fds cost 4 MiB here instead of about 15 MiB as a Map with boxed numbers.
 * Holds pids as in a Map (a number, or a list for a socket several processes share).
 */
export class InodeTable implements HolderLookup {
  private keys: Uint32Array;
  private pids: Int32Array;
  private lists: number[][] = [];
  private big = new Map<number, number | number[]>(); // inodes beyond 32 bits (not seen on Linux, kept safe)
  private used = 0;

  constructor(expected = 1024) {
    let size = 1024;
    while (size < expected * 2) size *= 2;
    this.keys = new Uint32Array(size);
    this.pids = new Int32Array(size);
  }

  private slot(inode: number): number {
    const mask = this.keys.length - 1;
    let i = inodeSlot(inode, mask);
    while (this.keys[i] !== 0 && this.keys[i] !== inode) i = (i + 1) & mask;
    return i;
  }

  /** Records that `pid` holds socket `inode` (inode 0 is never held). */
  add(inode: number, pid: number): void {
    if (inode <= 0) return;
    if (inode > 0xffffffff) { addHolder(this.big, inode, pid); return; }
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const i = this.slot(inode);
    if (this.keys[i] === 0) { this.keys[i] = inode; this.pids[i] = pid; this.used++; return; }
    const had = this.pids[i] as number;
    if (had >= 0) { if (had !== pid) { this.lists.push([had, pid]); this.pids[i] = -this.lists.length; } return; }
    const list = this.lists[-had - 1] as number[];
    if (!list.includes(pid)) list.push(pid);
  }

  get(inode: number): number | number[] | undefined {
    if (inode > 0xffffffff) return this.big.get(inode);
    if (inode <= 0) return undefined;
    const i = this.slot(inode);
    if (this.keys[i] === 0) return undefined;
    const v = this.pids[i] as number;
    return v >= 0 ? v : this.lists[-v - 1];
  }

  has(inode: number): boolean {
    return this.get(inode) !== undefined;
  }

  /** Every pid holding a socket here: a plain loop over the table (a generator step per inode costs 20 ms at 200,000). */
  pidSet(): Set<number> {
    const out = new Set<number>();
    const { keys, pids } = this;
    let last = -1;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      const v = pids[i] as number;
      if (v === last) continue;
      if (v >= 0) { out.add(v); last = v; } else for (const p of this.lists[-v - 1] as number[]) out.add(p);
    }
    for (const v of this.big.values()) addPids(out, v);
    return out;
  }

  *values(): Generator<number | number[]> {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === 0) continue;
      const v = this.pids[i] as number;
      yield v >= 0 ? v : (this.lists[-v - 1] as number[]);
    }
    yield* this.big.values();
  }

  *entries(): Generator<[number, number | number[]]> {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === 0) continue;
      const v = this.pids[i] as number;
      yield [this.keys[i] as number, v >= 0 ? v : (this.lists[-v - 1] as number[])];
    }
    yield* this.big.entries();
  }

  private grow(): void {
    const { keys, pids } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.pids = new Int32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      const j = this.slot(keys[i] as number);
      this.keys[j] = keys[i] as number;
      this.pids[j] = pids[i] as number;
    }
  }
}

/** Who holds which socket inode, as found by the walk over /proc/<pid>/fd. */
export interface OwnerMap {
  /** Socket inode → the pids that hold it (ascending once `attribute` sorted them; usually one). */
  holders: HolderLookup;
  /** Details of the pids that hold at least one socket. */
  processes: Map<number, ProcessInfo>;
}

/** Records that `pid` holds socket `inode` in an OwnerMap's holder table. */
export function addHolder(holders: Map<number, number | number[]>, inode: number, pid: number): void {
  const had = holders.get(inode);
  if (had === undefined) holders.set(inode, pid);
  else if (typeof had === "number") { if (had !== pid) holders.set(inode, [had, pid]); }
  else if (!had.includes(pid)) had.push(pid);
}

/**
 * Joins sockets to the processes that hold them, in place; returns how many sockets that a file
 * still holds (inode > 0) found no owner.
 *
 * How the join works, step by step:
 * 1. Each socket line of /proc/net/{tcp,udp,raw}{,6} carries the inode of the socket's file.
 *    Inode 0 means no file holds it any more (TIME_WAIT, half-open requests): it has no owner to find.
 * 2. The collector listed every /proc/<pid>/fd/<n> link; a socket fd reads "socket:[<inode>]".
 *    Those links went into one Map, inode → pid(s), built once for the whole host (O(fds)).
 * 3. Here each socket looks its inode up in that Map (O(1)), so the join is linear in sockets,
 *    unlike ss/netstat -p whose small fixed hash tables make it quadratic at 100k sockets.
 * 4. Several pids can hold one socket (a forking server, an inherited descriptor): the eldest holder,
 *    the one none of whose ancestors holds it too (usually the parent), becomes `process`; among
 *    unrelated holders, the lowest pid. The others go to `sharedWith`, their full details beside each
 *    entry (model/holders.ts), since every holder is judged. A pid number never decides which of a
 *    parent and its child is `process` (pids wrap around, and a descriptor can be passed to anyone).
 * 5. Socket inodes are unique across network namespaces, so one Map serves every namespace.
 * A socket whose inode is in no readable fd table keeps `process: null` (an owner we could not see,
 * or a kernel socket such as the NFS or WireGuard ones).
 */
export function attribute(sockets: Socket[], owners: OwnerMap): number {
  let unowned = 0;
  for (const socket of sockets) {
    const inode = socket.inode;
    if (inode === null || inode === 0) continue;
    const held = owners.holders.get(inode);
    if (held === undefined) { unowned++; continue; }
    if (typeof held === "number") {
      socket.process = owners.processes.get(held) ?? null;
      continue;
    }
    held.sort((a, b) => a - b);
    const first = eldest(held, owners.processes);
    socket.process = owners.processes.get(first) ?? null;
    const others: SharedHolder[] = [];
    for (const pid of held) {
      if (pid === first) continue;
      const p = owners.processes.get(pid);
      others.push(p === undefined ? { pid, name: null } : sharedHolder(p));
    }
    socket.sharedWith = others;
  }
  return unowned;
}

/** The first of `held` (ascending pids) whose ancestry has no other holder of the socket. */
function eldest(held: readonly number[], processes: ReadonlyMap<number, ProcessInfo>): number {
  for (const pid of held) {
    const ancestry = processes.get(pid)?.ancestry;
    if (!ancestry?.some((a) => a.pid !== pid && held.includes(a.pid))) return pid;
  }
  return held[0] as number;
}
