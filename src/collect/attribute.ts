import type { ProcessInfo } from "../model/process.js";
import type { Socket } from "../model/socket.js";

/** Who holds which socket inode, as found by the walk over /proc/<pid>/fd. */
export interface OwnerMap {
  /** Socket inode → the pids that hold it (ascending once `attribute` sorted them; usually one). */
  holders: Map<number, number | number[]>;
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
 * 4. Several pids can hold one socket (a forking server, an inherited descriptor): the lowest pid,
 *    usually the parent, becomes `process`, the others go to `sharedWith`.
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
    socket.process = owners.processes.get(held[0] as number) ?? null;
    socket.sharedWith = held.slice(1).map((pid) => ({ pid, name: owners.processes.get(pid)?.name ?? null }));
  }
  return unowned;
}
