import type { PackageInfo, Provenance } from "./provenance.js";

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
  /**
   * The installed package of the executable, or null when none owns it (or there is no package database:
   * `provenance.database` says). Live Linux only: absent when not looked up (captures, captured trees).
   */
  package?: PackageInfo | null;
  /** Where the process's code came from beyond its package (live Linux only; absent when not looked up). */
  provenance?: Provenance;
}

/** Another holder of the same socket (a forked server, a passed descriptor). */
export interface SharedHolder {
  pid: number;
  name: string | null;
}
