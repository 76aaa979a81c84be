import { readdirSync, readlinkSync } from "node:fs";
import { parseSocketLink } from "./parse/proc-pid.js";

/**
 * Walks the fd tables of pids handed out by `next()` (an index into `pids`, -1 or past the end to stop)
 * and calls `found(inode, pid)` for every "socket:[inode]" link. Returns how many fd tables could not be
 * read for lack of permission; processes that exit meanwhile are skipped without a word.
 * Shared by the main thread and the fd-scan workers, which take pids from one shared counter.
 */
export function scanFdShare(procRoot: string, pids: ArrayLike<number>, next: () => number, found: (inode: number, pid: number) => void): { denied: number; scanned: number } {
  let denied = 0, scanned = 0;
  for (let i = next(); i >= 0 && i < pids.length; i = next()) {
    const pid = pids[i] as number;
    const prefix = `${procRoot}/${pid}/fd/`;
    let fds: string[];
    try { fds = readdirSync(prefix); } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "ENOENT" && code !== "ESRCH" && code !== "ENOTDIR") denied++;
      continue;
    }
    scanned++;
    for (const fd of fds) {
      let link: string;
      try { link = readlinkSync(prefix + fd); } catch { continue; } // closed meanwhile
      if (link.charCodeAt(0) !== 115 /* "s" */) continue; // not a socket: skip the parse
      const inode = parseSocketLink(link);
      if (inode !== null) found(inode, pid);
    }
  }
  return { denied, scanned };
}
