import type { PackageInfo, Provenance } from "./provenance.js";

/** A process that holds a socket (the fields are described in PROCESS_FIELDS, socket-fields.ts). */
export interface ProcessInfo {
  pid: number;
  name: string | null;
  /** A capture tool cut the name to its column (netstat's "pid/name" in 19 characters, lsof's 9): `name` is where the real one starts. */
  nameCut?: boolean;
  exe: string | null;
  exeDeleted: boolean;
  cmdline: string[] | null;
  uid: number | null;
  user: string | null;
  containerId: string | null;
  netns: number | null;
  /**
   * The installed package of the executable, or null when none owns it (or there is no package database:
   * `provenance.database` says). Live Linux only: absent when not looked up (captures, captured trees).
   */
  package?: PackageInfo | null;
  /** Where the process's code came from beyond its package (live Linux only; absent when not looked up). */
  provenance?: Provenance;
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

/**
 * A process in words, as messages name it: "sshd (pid 812, /usr/sbin/sshd)", or without the executable
 * "sshd (pid 812)"; "process 812" without a name; a name a capture cut ends in "…". Not escaped: a terminal
 * renderer passes it through safeText.
 */
export function ownerText(p: Pick<ProcessInfo, "pid" | "name" | "exe" | "nameCut">, options: { exe?: boolean } = {}): string {
  const exe = options.exe !== false && p.exe ? p.exe : null;
  if (p.name === null) return `process ${p.pid}${exe ? ` (${exe})` : ""}`;
  // A name the capture cut ends in "…": the reader sees it is not whole.
  return `${p.name}${p.nameCut ? "…" : ""} (pid ${p.pid}${exe ? `, ${exe}` : ""})`;
}

/** The executable path, else the name, else "?": what identifies a program across restarts. */
export function programOf(p: Pick<ProcessInfo, "name" | "exe"> | null): string {
  return p?.exe ?? p?.name ?? "?";
}
