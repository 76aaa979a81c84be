import { readdirSync, statSync } from "node:fs";
import { InputError } from "../model/errors.js";
import { parseNetnsLink } from "./parse/proc-pid.js";
import { errCode, tryReadlink } from "./proc-files.js";

// Step 1 of the live collection: the pids, and the network namespaces whose socket tables are to be read.

/** The numeric entries of the proc root (the pids), sorted. */
export function listPids(procRoot: string): number[] {
  let entries: string[];
  try { entries = readdirSync(procRoot); } catch (e) {
    throw new InputError(`Cannot read the process list in "${procRoot}": ${errCode(e) || String(e)} (is /proc mounted?)`);
  }
  const pids: number[] = [];
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) { const pid = Number(name); if (Number.isSafeInteger(pid)) pids.push(pid); }
  }
  return pids.sort((a, b) => a - b);
}

/** One network namespace (its inode; null when none could be told) and the directories to read its tables through. */
export type NamespaceDirs = readonly [netns: number | null, dirs: readonly string[]];

export interface Namespaces {
  /** netns inode → directories to read its tables through ("self" or pids; a few). */
  namespaces: Map<number, string[]>;
  netnsOf: Map<number, number>;
  /** The network namespace of pid 1 (the host's, outside containers), else our own. */
  hostNetns: number | null;
}

/** Notes each pid's network namespace (one readlink per pid), and ours. */
export function findNamespaces(procRoot: string, pids: readonly number[]): Namespaces {
  const namespaces = new Map<number, string[]>();
  const netnsOf = new Map<number, number>();
  for (const pid of pids) {
    const ns = tryReadlink(`${procRoot}/${pid}/ns/net`);
    const netns = ns === null ? null : parseNetnsLink(ns);
    if (netns === null) continue;
    netnsOf.set(pid, netns);
    const list = namespaces.get(netns);
    if (list === undefined) namespaces.set(netns, [String(pid)]);
    else if (list.length < 3) list.push(String(pid));
  }
  // Our own namespace is always readable, even when other processes' ns links are not (no root).
  const selfNs = parseNetnsLink(tryReadlink(`${procRoot}/self/ns/net`) ?? "");
  if (selfNs !== null) {
    const list = namespaces.get(selfNs);
    if (list === undefined) namespaces.set(selfNs, ["self"]); else list.unshift("self");
  }
  return { namespaces, netnsOf, hostNetns: netnsOf.get(1) ?? selfNs };
}

/** The namespaces to read, each with its directories; without any namespace link (a bare tree), the tables in `<procRoot>/net`. */
export function namespaceList({ namespaces }: Namespaces): NamespaceDirs[] {
  return namespaces.size > 0 ? [...namespaces] : [[null, [""]]];
}

/** The directory of a namespace's socket tables, read through `dir` ("self", a pid, or "" for `<procRoot>/net`). */
export function netBase(procRoot: string, dir: string): string {
  return dir === "" ? `${procRoot}/net` : `${procRoot}/${dir}/net`;
}

/** The namespace file that netlink enters to dump another namespace; undefined for our own. */
export function netnsPath(procRoot: string, dir: string): string | undefined {
  return dir === "self" || dir === "" ? undefined : `${procRoot}/${dir}/ns/net`;
}

/** Named namespaces (`ip netns add`) with no process in them cannot be read through /proc: a warning for each. */
export function namedNetnsWarnings(netnsDir: string, known: ReadonlyMap<number, unknown>): string[] {
  const warnings: string[] = [];
  let named: string[] = [];
  try { named = readdirSync(netnsDir); } catch { /* none */ }
  for (const name of named) {
    let ino: number;
    try { ino = statSync(`${netnsDir}/${name}`).ino; } catch { continue; }
    if (!known.has(ino)) {
      warnings.push(`Network namespace "${name}" has no process in it, so its sockets are not listed: run "ip netns exec ${name} portwatch" to see them`);
    }
  }
  return warnings;
}
