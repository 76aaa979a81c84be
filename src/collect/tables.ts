import { thousands } from "../model/words.js";
import type { Problem } from "../model/problem.js";
import type { Socket } from "../model/socket.js";
import { CROSS_CHECK_UP_TO, type CrossCheck } from "./hidden-listeners.js";
import { netBase, netnsPath, type NamespaceDirs } from "./namespaces.js";
import type { NativeAddon } from "./native.js";
import { dumpNamespace, DUMP_TRIES, glanceNamespace, listenersAndUdp, NETLINK_TABLES, netlinkRecordCount, type CollectSession, type Dumps, type NetlinkRecords } from "./netlink-dumps.js";
import { parseProcNet } from "./parse/proc-net.js";
import { eachInode } from "./parse/sock-diag.js";
import { errCode, vanished } from "./proc-files.js";
import { readNamespaceTables } from "./proc-net-tables.js";

// Step 2 of the live collection: each namespace's sockets, read once, from one of two sources: the
// kernel's netlink dumps (with the addon, on the live host) or the /proc/net text tables.

/** The sockets of one namespace: netlink records still to decode (null for a /proc-text source), and sockets already made (raw, or all from /proc text). */
export interface Source {
  netns: number | null;
  netlink: NetlinkRecords | null;
  made: Socket[];
  /** For a namespace read through netlink: how to cross-check its listeners against /proc/net (see hidden-listeners.ts). */
  crossCheck?: CrossCheck;
  /** Inodes of sockets processes hold in a namespace no process is in: marked `hiddenFrom: "both"` when joined (third-view.ts). */
  hidden?: ReadonlySet<number>;
  /**
   * Reads the namespace's tables again: the inodes of every TCP and UDP socket they list now (all of them
   * through netlink, the listeners from /proc text); null when that failed (see unowned-recheck.ts).
   */
  readAgain?: (wanted: readonly number[]) => ReadonlySet<number> | null;
}

/** How one collection reads the namespaces' socket tables. */
export interface TableReader {
  procRoot: string;
  /** The addon that dumps the tables through netlink; null to read the /proc text (no addon, or a captured tree). */
  diag: NativeAddon | null;
  session: CollectSession;
  littleEndian: boolean;
  /** Tables that kept changing while dumped, by namespace. */
  unsettled: Map<number | null, string[]>;
}

/** What readTables read. */
export interface Tables {
  sources: Source[];
  /** How each namespace's tables were read. */
  readVia: Map<number | null, "netlink" | "proc">;
  /** Each namespace's dumps, when read through netlink (for OwnerCache.previous). */
  dumps: Map<number | null, Dumps>;
}

/** Every namespace's dumps, by namespace; null when one could not be dumped (see eachNamespace). */
export function prefetchDumps(reader: TableReader, nsList: readonly NamespaceDirs[]): Map<number | null, Dumps> | null {
  return eachNamespace(reader, nsList, (diag, netns, dir) => dumpThrough(reader, diag, netns, dir));
}

/** A glance at every namespace (glanceNamespace), by namespace; null when one could not be glanced at (see eachNamespace). */
export function glanceAll(reader: TableReader, nsList: readonly NamespaceDirs[]): Map<number | null, string> | null {
  return eachNamespace(reader, nsList, (diag, _netns, dir) => glanceNamespace(diag, netnsPath(reader.procRoot, dir), netBase(reader.procRoot, dir), reader.session));
}

/** `read` of each namespace through the first of its directories that answers (a pid may exit meanwhile); null without the addon or when one namespace gave nothing. */
function eachNamespace<T>(reader: TableReader, nsList: readonly NamespaceDirs[], read: (diag: NativeAddon, netns: number | null, dir: string) => T | null): Map<number | null, T> | null {
  const diag = reader.diag;
  if (diag === null) return null;
  const out = new Map<number | null, T>();
  for (const [netns, dirs] of nsList) {
    let got: T | null = null;
    for (const dir of dirs) {
      try { got = read(diag, netns, dir); } catch { got = null; }
      if (got !== null) break;
    }
    if (got === null) return null;
    out.set(netns, got);
  }
  return out;
}

/**
 * Reads each namespace's tables once, through the first of its directories that answers (a pid may exit
 * meanwhile): its `prefetched` dumps, else netlink when there is an addon, else the /proc text.
 */
export function readTables(reader: TableReader, nsList: readonly NamespaceDirs[], prefetched: ReadonlyMap<number | null, Dumps> | null, problems: Problem[], warnings: string[]): Tables {
  const tables: Tables = { sources: [], readVia: new Map(), dumps: new Map() };
  for (const [netns, dirs] of nsList) {
    const read = dirs.some((dir) => readNamespace(reader, netns, dir, prefetched?.get(netns), tables, problems, warnings));
    if (!read) warnings.push(`The sockets of network namespace ${netns} could not be read: its processes exited or could not be read`);
  }
  return tables;
}

/** Reads one namespace's tables through `dir` into `tables`; false when that failed. */
function readNamespace(reader: TableReader, netns: number | null, dir: string, prefetched: Dumps | undefined, tables: Tables, problems: Problem[], warnings: string[]): boolean {
  const base = netBase(reader.procRoot, dir);
  const problemsBefore = problems.length;
  try {
    const diag = reader.diag;
    const dumps = diag && (prefetched ?? dumpThrough(reader, diag, netns, dir));
    if (diag && dumps) {
      tables.sources.push(netlinkSource(reader, diag, netns, dir, dumps, problems, warnings));
      tables.dumps.set(netns, dumps);
      tables.readVia.set(netns, "netlink");
    } else {
      const made: Socket[] = [];
      readNamespaceTables(base, netns, reader.littleEndian, made, problems);
      tables.sources.push({ netns, netlink: null, made, readAgain: () => procListenerInodes(base, netns, reader.littleEndian) });
      tables.readVia.set(netns, "proc");
    }
    return true;
  } catch (e) {
    // That pid exited mid-read: drop what it gave and try the next pid of the namespace.
    problems.length = problemsBefore;
    if (!vanished(e)) warnings.push(`Cannot read the sockets of network namespace ${netns} through ${base}: ${errCode(e) || String(e)}`);
    return false;
  }
}

/** A namespace's dumps through `dir` (see dumpNamespace), noting the tables that kept changing. */
function dumpThrough(reader: TableReader, diag: NativeAddon, netns: number | null, dir: string): Dumps | null {
  let unsettled = reader.unsettled.get(netns);
  if (unsettled === undefined) { unsettled = []; reader.unsettled.set(netns, unsettled); }
  return dumpNamespace(diag, netnsPath(reader.procRoot, dir), netBase(reader.procRoot, dir), unsettled, reader.session);
}

/**
 * A Source from one namespace's dumps: the raw-socket text is parsed now (a few lines), the records later;
 * with how to cross-check its listeners, unless it has too many sockets for that. Warns of tables that
 * kept changing while dumped.
 */
function netlinkSource(reader: TableReader, diag: NativeAddon, netns: number | null, dir: string, dumps: Dumps, problems: Problem[], warnings: string[]): Source {
  const base = netBase(reader.procRoot, dir);
  const made: Socket[] = [];
  for (const [file, family] of [["raw", 4], ["raw6", 6]] as const) {
    const text = dumps[file];
    if (text !== "") parseProcNet(text, { proto: "raw", family, source: `${base}/${file}`, netns, littleEndian: reader.littleEndian, records: made, problems });
  }
  const { tcp, tcp6, udp, udp6 } = dumps;
  const netlink: NetlinkRecords = { tcp, tcp6, udp, udp6 };
  const path = netnsPath(reader.procRoot, dir);
  const source: Source = { netns, netlink, made, readAgain: (wanted) => netlinkInodes(diag, path, reader.session, wanted) };
  const count = netlinkRecordCount(netlink);
  if (count > CROSS_CHECK_UP_TO) {
    warnings.push(`The check for ports hidden from one of the kernel's two views (netlink, /proc/net) was skipped in network namespace ${netns}: reading /proc/net for its ${thousands(count)} sockets would slow the audit down`);
  } else {
    source.crossCheck = { base, littleEndian: reader.littleEndian, dumpAgain: () => dumpNamespace(diag, path, base, [], reader.session) };
  }
  const unsettled = reader.unsettled.get(netns) ?? [];
  if (unsettled.length > 0) {
    warnings.push(`The kernel's ${unsettled.join(", ")} socket table${unsettled.length > 1 ? "s" : ""} of network namespace ${netns} kept changing while portwatch read ${unsettled.length > 1 ? "them" : "it"} (${DUMP_TRIES} tries): a socket may be missing or listed twice; run portwatch again`);
  }
  return source;
}

/** Calls `each` with the inode of every socket in `sources` (0 for sockets no fd holds, such as TIME_WAIT). */
export function eachSourceInode(sources: readonly Source[]): (each: (inode: number) => void) => void {
  return (each) => {
    for (const src of sources) {
      if (src.netlink) for (const t of NETLINK_TABLES) eachInode(src.netlink[t.name], each);
      for (const s of src.made) if (s.inode !== null) each(s.inode);
    }
  };
}

/** Every TCP and UDP socket inode of a fresh netlink dump of one namespace; null when it failed. */
function netlinkInodes(diag: NativeAddon, path: string | undefined, session: CollectSession, wanted: readonly number[]): Set<number> | null {
  // TCP's listeners only (a host with 200,000 connections is not dumped again whole), and, unless those
  // hold every `wanted` inode, every UDP socket (one that was unconnected may have connected meanwhile). A dump
  // that never came out whole proves nothing (null).
  const inodes = new Set<number>();
  const read = listenersAndUdp(diag, path, session, (records, table) => {
    eachInode(records, (inode) => inodes.add(inode));
    return table.startsWith("udp") || !wanted.every((inode) => inodes.has(inode)); // every one still listed: no need for UDP's
  });
  return read ? inodes : null;
}

/** The inodes of the TCP and UDP listeners of a fresh read of one namespace's /proc text; null when it failed. */
function procListenerInodes(base: string, netns: number | null, littleEndian: boolean): Set<number> | null {
  const listeners: Socket[] = [];
  try { readNamespaceTables(base, netns, littleEndian, listeners, [], true); } catch { return null; }
  return new Set(listeners.map((s) => s.inode ?? 0));
}
