import type { Place } from "./places.js";

// Where a process's code came from (live Linux): its executable's package, who besides root can replace
// it, and code loaded from places no package installs to. Read by collect/provenance.ts, judged by
// evaluate/rules-provenance.ts. The fields are part of the JSON contract (docs/json.md).

/** The installed package an executable belongs to. */
export interface PackageInfo {
  /** Package name, without the architecture ("openssh-server", "libc6"). */
  name: string;
  /** The installed version, from the package database's status; null when it does not say. */
  version: string | null;
  /**
   * Whether the running executable's bytes match the checksum the package recorded: true, false (changed
   * since it was installed), or null when there is nothing to compare (no checksum recorded, the file was
   * replaced after the process started, or it could not be read).
   */
  verified: boolean | null;
}

/** How foreign code reached a process. */
export type LoadedVia = "mapped" | "LD_PRELOAD" | "ld.so.preload" | "environment";

/** Code in a process from a place no package installs to, or forced in by /etc/ld.so.preload. */
export interface ForeignCode {
  /** The file as the kernel or the environment names it, without " (deleted)". */
  path: string;
  /** Where it lives (see model/places.ts); null for an ordinary place (a deleted system library, a preload listed in /etc/ld.so.preload). */
  place: Place | null;
  /** The file was deleted (or replaced) after it was mapped. */
  deleted: boolean;
  /** "mapped": found in /proc/<pid>/maps; "LD_PRELOAD": named by the environment it started with; "ld.so.preload": listed in /etc/ld.so.preload; "environment": a script, module or folder an interpreter's environment names (NODE_OPTIONS, PYTHONPATH, BASH_ENV, …). */
  via: LoadedVia;
}

/** What portwatch found out about where a process's code came from. */
export interface Provenance {
  /**
   * The package database the executable was looked up in: "dpkg"; null when there is none portwatch reads
   * (Alpine, a container image, rpm for now) or the process runs under another root directory (a container,
   * whose files are not the host's). A mount namespace of its own over the host's root (unshare -m, ip netns
   * exec) is looked up: its bytes are read through /proc/<pid>/exe.
   */
  database: "dpkg" | null;
  /** Someone other than root can replace the executable: the file or folder they can write, and who ("anyone", "uid 1000", "gid 100"). null when only root can, or unknown. */
  writable: { path: string; by: string } | null;
  /** Code mapped or preloaded from world-writable, hidden, home or deleted places, or named in /etc/ld.so.preload; [] when none. */
  foreign: ForeignCode[];
}
