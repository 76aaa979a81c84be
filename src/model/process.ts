import type { PackageInfo, Provenance } from "./provenance.js";

/** A process that holds a socket (the fields are described in PROCESS_FIELDS, socket-fields.ts). */
export interface ProcessInfo {
  pid: number;
  name: string | null;
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
}

/** Another holder of the same socket (a forked server, a passed descriptor). */
export interface SharedHolder {
  pid: number;
  name: string | null;
}

/**
 * A process in words, as messages name it: "sshd (pid 812, /usr/sbin/sshd)", or without the executable
 * "sshd (pid 812)"; "?" for an unknown name. Not escaped: a terminal renderer passes it through safeText.
 */
export function ownerText(p: Pick<ProcessInfo, "pid" | "name" | "exe">, options: { exe?: boolean } = {}): string {
  return `${p.name ?? "?"} (pid ${p.pid}${options.exe !== false && p.exe ? `, ${p.exe}` : ""})`;
}

/** The executable path, else the name, else "?": what identifies a program across restarts. */
export function programOf(p: Pick<ProcessInfo, "name" | "exe"> | null): string {
  return p?.exe ?? p?.name ?? "?";
}
