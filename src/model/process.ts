/** A process that holds a socket, as read from /proc/<pid>/* (or named by another tool's output). */
export interface ProcessInfo {
  /** Process id. */
  pid: number;
  /** Short name (/proc/<pid>/comm), or the name another tool printed. */
  name: string | null;
  /** Executable path (/proc/<pid>/exe); `deleted` is true when the kernel marks it "(deleted)". */
  exe: string | null;
  /** True when the executable was deleted or replaced after the process started. */
  exeDeleted: boolean;
  /** Arguments (/proc/<pid>/cmdline, NUL-separated); null when unreadable, [] for kernel threads. */
  cmdline: string[] | null;
  /** Real user id (/proc/<pid>/status "Uid:" first field). */
  uid: number | null;
  /** User name for `uid` from /etc/passwd; null when unknown. */
  user: string | null;
  /** Container id (64 hex digits) found in /proc/<pid>/cgroup, when the process runs in a container. */
  containerId: string | null;
  /** Network namespace inode (/proc/<pid>/ns/net). */
  netns: number | null;
  // Context, read on a live host only (absent for another tool's output; see docs/json.md):
  /** Who started it: its parent, the parent's parent, ... up to pid 1; null when its parent could not be read. */
  ancestry?: ProcessRef[] | null;
  /** Its controlling terminal ("pts/3", "tty1"; /proc/<pid>/stat tty_nr); null for none. */
  tty?: string | null;
  /** Its systemd service or scope ("cups.service", "session-3.scope"; /proc/<pid>/cgroup); null for none. */
  unit?: string | null;
  /** Pseudo-terminals in use below it other than its own: how each was reached and who runs on it ([] when none). */
  terminalsBelow?: TerminalBelow[];
}

/** A process named in another's context: an ancestor, or one between a holder and a terminal. */
export interface ProcessRef {
  pid: number;
  name: string | null;
  exe: string | null;
  uid: number | null;
}

/** A pseudo-terminal in use below a process (a descendant's controlling terminal that its parent does not share). */
export interface TerminalBelow {
  /** "pts/5". */
  tty: string;
  /** The processes between the one it is below and the first process on the terminal: that one's child first, the first process's parent last. */
  between: ProcessRef[];
  /** The first process on the terminal, then its descendants on the same terminal, breadth first (at most 4). */
  on: (ProcessRef & { cmdline: string[] | null })[];
}

/** Another holder of the same socket (a forked server, a passed descriptor). */
export interface SharedHolder {
  pid: number;
  name: string | null;
}
