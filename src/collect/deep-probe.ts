import { constants } from "node:os";
import type { Family, Socket } from "../model/socket.js";
import { count } from "../model/words.js";
import { netBase, netnsPath, type NamespaceDirs } from "./namespaces.js";
import type { NativeAddon } from "./native.js";
import { dumpNamespace, NETLINK_TABLES, type CollectSession } from "./netlink-dumps.js";
import { eachProcNetLocalPort } from "./parse/proc-net.js";
import { eachLocalPort } from "./parse/sock-diag.js";
import { errCode, readLines, vanished } from "./proc-files.js";
import type { Source } from "./tables.js";
import {
  addListed, addListedSockets, noListedPorts, stillUnlisted, unlistedPorts, unlistedSocket,
  type ListedPorts, type PortProbe, type ProbeProto, type UnlistedCandidate,
} from "./unlisted-ports.js";

// Ports nobody lists (portwatch audit --deep), as the live collection runs it: the addon's bind probe of
// every TCP and UDP port of each visible namespace, compared with every view of its socket tables
// (unlisted-ports.ts compares; this file probes and reads).
//
// The probe binds each port for a few microseconds (bind, then close at once): while it holds a port,
// another program's bind() of that port fails with "address in use", and its connect() skips that port
// for its ephemeral one. Run on a quiet moment, or accept that a program starting just then may fail.

/** How many times a port that binding says is in use and no view lists is checked again (a fresh table read and bind each time). */
export const UNLISTED_ROUNDS = 3;

const PROBES: readonly { proto: ProbeProto; family: Family; protocol: 6 | 17 }[] = [
  { proto: "tcp", family: 4, protocol: 6 }, { proto: "tcp", family: 6, protocol: 6 },
  { proto: "udp", family: 4, protocol: 17 }, { proto: "udp", family: 6, protocol: 17 },
];

/** What the deep check needs from the collection. */
export interface DeepCheck {
  /** The addon (its bindProbe); null when it is not built: the check then only says so. */
  addon: NativeAddon | null;
  procRoot: string;
  namespaces: readonly NamespaceDirs[];
  /** The collection's own sockets, by namespace: the snapshot's view. */
  sources: readonly Source[];
  session: CollectSession;
  /** Probe threads per (protocol, family): default 2. */
  threads?: number;
  /**
   * Reads one /proc/net table (netstat's view) and hands its text to `each`, in pieces: default readLines.
   * Tests pass one that leaves a planted port out, as a rootkit would.
   */
  readTable?: (path: string, each: (text: string) => void) => void;
}

/** What the deep check found: a Source of unlisted sockets per namespace that has any, and what it could not do. */
export interface DeepFound {
  sources: Source[];
  warnings: string[];
}

/** Why the deep check cannot run here, or null when it can. */
export function deepUnavailable(addon: NativeAddon | null, procRoot: string): string | null {
  if (procRoot !== "/proc") return `The deep check (--deep) probes the live host's ports, not a captured proc tree ("${procRoot}"): it did not run`;
  if (addon === null || typeof addon.bindProbe !== "function") {
    return "The deep check (--deep) needs portwatch's native addon (its bind probe), which is not built or is turned off here (PORTWATCH_NATIVE=0): it did not run. Reinstall with a C compiler (npm ci) to use it";
  }
  return null;
}

/** Probes every namespace of `check` in turn (see the head of this file). */
export async function deepCheck(check: DeepCheck): Promise<DeepFound> {
  const found: DeepFound = { sources: [], warnings: [] };
  const why = deepUnavailable(check.addon, check.procRoot);
  const probe = check.addon?.bindProbe?.bind(check.addon);
  if (why !== null || !check.addon || !probe) { found.warnings.push(why ?? "unreachable"); return found; }
  for (const [netns, dirs] of check.namespaces) {
    if (netns === null) continue;
    const sockets = await probeNamespace(check, { diag: check.addon, probe }, netns, dirs, found.warnings);
    if (sockets.length > 0) found.sources.push({ netns, netlink: null, made: sockets });
  }
  return found;
}

/** The addon's two doors the deep check uses: the netlink dumps and the bind probe. */
interface Doors {
  diag: NativeAddon;
  probe: NonNullable<NativeAddon["bindProbe"]>;
}

/**
 * One namespace, through the first of its directories whose process is still there: the probe, then the
 * comparison with the look's own sockets of it and netstat's view read now, then the re-checks.
 */
async function probeNamespace(check: DeepCheck, addon: Doors, netns: number, dirs: readonly string[], warnings: string[]): Promise<Socket[]> {
  let last = "";
  for (const dir of dirs) {
    const view: View = { addon, path: netnsPath(check.procRoot, dir), base: netBase(check.procRoot, dir), session: check.session, readTable: check.readTable ?? readTable };
    try {
      const probes = await probeAll(addon.probe, view.path, check.threads ?? 2, warnings, netns);
      const listed = noListedPorts();
      for (const src of check.sources) if (src.netns === netns) addSource(listed, src);
      readProcView(listed, view);
      let candidates = unlistedPorts(probes, listed);
      for (let round = 0; round < UNLISTED_ROUNDS && candidates.length > 0; round++) candidates = await recheck(view, candidates);
      return candidates.map((c) => unlistedSocket(c, netns));
    } catch (e) {
      last = errCode(e) || String(e);
      if (!vanished(e)) break;
    }
  }
  warnings.push(`Cannot probe the ports of network namespace ${netns} (--deep): ${last}${last === "EPERM" ? " (run as root)" : ""}`);
  return [];
}

/** Where one namespace's views are read. */
interface View {
  addon: Doors;
  /** Its ns/net file (undefined: ours). */
  path: string | undefined;
  /** Its /proc/<dir>/net. */
  base: string;
  session: CollectSession;
  readTable: NonNullable<DeepCheck["readTable"]>;
}

/**
 * One more round for the candidates: every view read afresh, each candidate port bound again, and the
 * views read once more; a candidate stays only when the bind still fails and neither read lists the port.
 */
async function recheck(view: View, candidates: readonly UnlistedCandidate[]): Promise<UnlistedCandidate[]> {
  const listed = noListedPorts();
  readFreshViews(listed, view);
  const again: PortProbe[] = [];
  for (const p of PROBES) {
    const ports = candidates.filter((c) => c.proto === p.proto && c.family === p.family).map((c) => c.port);
    if (ports.length === 0) continue;
    const r = await view.addon.probe(p.protocol, p.family, view.path ?? null, 1, Uint16Array.from(ports));
    again.push({ proto: p.proto, family: p.family, inUse: r.inUse });
  }
  readFreshViews(listed, view);
  return stillUnlisted(candidates, again, listed);
}

/** The four probes of one namespace (all ports), with a warning for each reason other than "in use" that some ports could not be bound for. */
async function probeAll(probe: Doors["probe"], path: string | undefined, threads: number, warnings: string[], netns: number): Promise<PortProbe[]> {
  const probes: PortProbe[] = [];
  const failed = new Map<number, { ports: number; tables: string[] }>();
  for (const p of PROBES) {
    const r = await probe(p.protocol, p.family, path ?? null, threads);
    probes.push({ proto: p.proto, family: p.family, inUse: r.inUse });
    for (const e of r.errors) {
      if ((e >>> 31) !== 0) continue; // the loopback bind (e.g. no loopback address in this namespace): the wildcard's answer stands
      const errno = (e >>> 16) & 0x7fff;
      const entry = failed.get(errno) ?? { ports: 0, tables: [] };
      entry.ports++;
      const table = `${p.proto}${p.family === 6 ? "6" : ""}`;
      if (!entry.tables.includes(table)) entry.tables.push(table);
      failed.set(errno, entry);
    }
  }
  for (const [errno, { ports, tables }] of failed) {
    const name = errnoName(errno);
    warnings.push(`In network namespace ${netns}, ${count(ports, "port")} (${tables.join(", ")}) could not be probed (--deep): bind failed with ${name}, not "address in use"${name === "EACCES" ? " (run as root to probe ports below 1024)" : ""}`);
  }
  return probes;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const errnoName = (n: number) => ERRNO_NAMES.get(n) ?? `errno ${n}`;

/** The snapshot's sockets of one namespace: its netlink records (every state, even those not decoded) and its other sockets. */
function addSource(listed: ListedPorts, src: Source): void {
  if (src.netlink) {
    for (const t of NETLINK_TABLES) {
      if (t.proto === "tcp" || t.proto === "udp") eachLocalPort(src.netlink[t.name], (port, family) => addListed(listed, t.proto as ProbeProto, family, port));
    }
  }
  addListedSockets(listed, src.made);
}

/** ss's view (a fresh netlink dump, when the kernel answers) and netstat's (/proc/net), every state. */
function readFreshViews(listed: ListedPorts, view: View): void {
  const dumps = dumpNamespace(view.addon.diag, view.path, view.base, [], view.session);
  if (dumps) addSource(listed, { netns: null, netlink: dumps, made: [] });
  readProcView(listed, view);
}

/** netstat's view: the local port of every line of the namespace's four TCP and UDP tables. */
function readProcView(listed: ListedPorts, view: View): void {
  for (const p of PROBES) {
    const path = `${view.base}/${p.proto}${p.family === 6 ? "6" : ""}`;
    try {
      view.readTable(path, (text) => { eachProcNetLocalPort(text, (port) => addListed(listed, p.proto, p.family, port)); });
    } catch (e) {
      if (errCode(e) === "ENOENT" && p.family === 6) continue; // no IPv6 in this kernel
      throw e;
    }
  }
}

function readTable(path: string, each: (text: string) => void): void {
  readLines(path, (text) => { each(text); });
}
