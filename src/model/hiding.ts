/*
 * What hides on a live host besides sockets (issue 15): processes kept out of /proc's view, and network
 * namespaces no process is in that hold sockets. The collection finds them (collect/hidden-processes.ts,
 * collect/third-view.ts); the rules read them (a listener without a visible owner is suspicious while a
 * process hides; a hidden socket in a namespace no process is in says so).
 */

/** A mount over a process's /proc directory (or below it), from /proc/self/mountinfo. */
export interface ProcMount {
  /** Where it is mounted: "/proc/1234" (or "/proc/1234/fd"). */
  mountPoint: string;
  /** The file system type ("ext4", "tmpfs") and its source ("/dev/vda", "tmpfs"). */
  fstype: string;
  source: string;
  /** The folder of that file system mounted there ("/tmp/empty" for a bind mount of it; "/" for a whole file system). */
  root: string;
}

/** A process portwatch cannot see, and how it was found. */
export interface HiddenProcess {
  pid: number;
  /**
   * "mount": something is mounted over /proc/<pid> (ps, lsof, ss -p and the fd walk see an empty folder);
   * "kill": it answers kill(pid, 0) but the /proc listing leaves it out (`--deep`);
   * "children": its parent's /proc/<ppid>/task/<tid>/children names it but the /proc listing leaves it out (`--deep`).
   */
  how: "mount" | "kill" | "children";
  /** For "mount": the mount. */
  mount?: ProcMount;
  /** For "children": the parent that names it. */
  parent?: number;
}

/** What hides on the host, as one look found it. */
export interface Hiding {
  processes: readonly HiddenProcess[];
  /** Network namespaces no process is in where processes hold sockets (their inodes). */
  emptyNamespaces: readonly number[];
}

/** Nothing hides (captures, and looks that did not check). */
export const NOTHING_HIDDEN: Hiding = Object.freeze({ processes: Object.freeze([]), emptyNamespaces: Object.freeze([]) });
