import type { ProcessInfo, ProcessRef, TerminalBelow } from "../model/process.js";
import { holderPids, type HolderLookup } from "./attribute.js";
import {
  isPty, parseCgroupContainerId, parseCgroupUnit, parseCmdline, parseComm, parseExeLink, parseNetnsLink, parsePasswd, parsePtyCount, parseStat, parseStatusUid, ttyName,
  type StatRecord,
} from "./parse/proc-pid.js";
import { tryRead, tryReadlink, tryReadSmall } from "./proc-files.js";
import { ancestorPids, terminalsBelow, type ProcessTable, type TerminalPids } from "./process-tree.js";

// Step 4 of the live collection: comm, exe, cmdline, status and cgroup of the processes that hold
// sockets, and only of those; then their context from every process's stat (the process tree): who
// started each, its terminal, and the pseudo-terminals in use below it.

/** Where to read the holders' details, and what is already known. */
export interface DetailsSource {
  procRoot: string;
  /** The account database for user names. */
  passwdFile: string;
  /** pid → its network namespace (from step 1). */
  netnsOf: ReadonlyMap<number, number>;
  /** Every pid of the look (step 1): each one's stat is read once, for the process tree. */
  pids?: readonly number[];
  /** Details read in earlier looks (OwnerCache.processes): used, and filled with what is read now. */
  known?: Map<number, ProcessInfo> | undefined;
  /** Ancestors and processes near terminals read in earlier looks (OwnerCache.refs): used, and kept current. */
  refs?: Map<number, KnownRef> | undefined;
}

/** The stat fields of the look's processes: all of them (`complete`), or, while no pseudo-terminal is in use, only those read on demand. */
interface ProcessTree {
  table: Map<number, StatRecord>;
  complete: boolean;
}

/**
 * The process tree to start from: every process's stat when some pseudo-terminal is in use
 * (/proc/sys/kernel/pty/nr > 0: a terminal below a holder can only be found among them all; about 20 µs
 * a process), else an empty table that readProcessDetails fills with the holders and their ancestors.
 */
function startProcessTree(procRoot: string, pids: readonly number[]): ProcessTree {
  const table = new Map<number, StatRecord>();
  if (parsePtyCount(tryRead(`${procRoot}/sys/kernel/pty/nr`) ?? "") === 0) return { table, complete: false };
  for (const pid of pids) readStat(procRoot, pid, table);
  return { table, complete: true };
}

/** A ProcessRef read in an earlier look, valid while the pid's start time and name stay the same. */
export interface KnownRef {
  startTime: number;
  ref: ProcessRef;
  cmdline?: string[] | null;
}

/** The details of every process that `holders` names; processes that exited meanwhile are left out. */
export function readProcessDetails(holders: HolderLookup, from: DetailsSource): Map<number, ProcessInfo> {
  const users = parsePasswd(tryRead(from.passwdFile) ?? "");
  const ownerPids = holderPids(holders);
  const processes = new Map<number, ProcessInfo>();
  if (ownerPids.size === 0) return processes;
  const { table, complete } = startProcessTree(from.procRoot, from.pids ?? [...ownerPids]);
  for (const pid of ownerPids) {
    readChain(from.procRoot, pid, table);
    // (a pid the look's listing missed, a watcher's late owner, has its namespace read here)
    const info = from.known?.get(pid) ?? readProcess(from.procRoot, pid, from.netnsOf.get(pid) ?? parseNetnsLink(tryReadlink(`${from.procRoot}/${pid}/ns/net`) ?? ""), users);
    if (info !== null) processes.set(pid, info);
  }
  const refs = refReader(from, table, processes);
  const terminals = complete ? terminalsBelow(table, ownerPids) : new Map<number, TerminalPids[]>();
  for (const [pid, info] of processes) {
    const withContext = inContext(info, table, terminals.get(pid) ?? [], refs);
    processes.set(pid, withContext);
    from.known?.set(pid, withContext);
  }
  if (from.refs && from.pids) {
    const alive = new Set(from.pids);
    for (const pid of from.refs.keys()) if (!alive.has(pid)) from.refs.delete(pid);
  }
  return processes;
}

/**
 * Whether one of the pids that `known` does not know is the first process on a pseudo-terminal (one its
 * parent does not have): a new terminal may have put a shell below a socket holder without any socket
 * changing hands (a reverse shell upgraded to a pty after it connected), so the last look's judgement
 * no longer holds. Reads /proc/sys/kernel/pty/nr, then only new pids' stat (and their parents').
 */
export function newTerminal(procRoot: string, pids: readonly number[], known: (pid: number) => boolean): boolean {
  if (parsePtyCount(tryRead(`${procRoot}/sys/kernel/pty/nr`) ?? "") === 0) return false;
  const table = new Map<number, StatRecord>();
  for (const pid of pids) {
    if (known(pid)) continue;
    const r = readStat(procRoot, pid, table);
    if (r === null || !isPty(r.ttyNr)) continue;
    const parent = table.get(r.ppid) ?? readStat(procRoot, r.ppid, table);
    if (parent?.ttyNr !== r.ttyNr) return true;
  }
  return false;
}

/** The stat fields of `pid` and of its parents up to pid 1, into `table` (those already there are not read again). */
function readChain(procRoot: string, pid: number, table: Map<number, StatRecord>): void {
  for (let p = pid, n = 0; p > 0 && n < 4096; n++) {
    const had = table.get(p);
    if (had !== undefined) { if (p !== pid) return; p = had.ppid; continue; }
    const r = readStat(procRoot, p, table);
    if (r === null) return;
    p = r.ppid;
  }
}

function readStat(procRoot: string, pid: number, table: Map<number, StatRecord>): StatRecord | null {
  const text = tryReadSmall(`${procRoot}/${pid}/stat`);
  const r = text === null ? null : parseStat(text);
  if (r === null || r.pid !== pid) return null;
  table.set(pid, r);
  return r;
}

/** Reads what is known about one process; null when it exited meanwhile. */
function readProcess(procRoot: string, pid: number, netns: number | null, users: Map<number, string>): ProcessInfo | null {
  const dir = `${procRoot}/${pid}`;
  const status = tryRead(`${dir}/status`);
  if (status === null) return null;
  const comm = tryRead(`${dir}/comm`);
  const exeLink = tryReadlink(`${dir}/exe`);
  const exe = exeLink === null ? null : parseExeLink(exeLink);
  const cmdline = tryRead(`${dir}/cmdline`);
  const cgroup = tryRead(`${dir}/cgroup`);
  const uid = parseStatusUid(status);
  return {
    pid,
    name: comm === null ? null : parseComm(comm),
    exe: exe?.exe ?? null,
    exeDeleted: exe?.deleted ?? false,
    cmdline: cmdline === null ? null : parseCmdline(cmdline),
    uid,
    user: uid === null ? null : users.get(uid) ?? null,
    containerId: cgroup === null ? null : parseCgroupContainerId(cgroup),
    netns,
    unit: cgroup === null ? null : parseCgroupUnit(cgroup),
  };
}

/** pid → ProcessRef (and arguments, when asked), each read once per look, and across looks through DetailsSource.refs. */
type RefReader = (pid: number, withCmdline?: boolean) => KnownRef | null;

function refReader(from: DetailsSource, table: ProcessTable, holders: ReadonlyMap<number, ProcessInfo>): RefReader {
  const cache = from.refs ?? new Map<number, KnownRef>();
  return (pid, withCmdline = false) => {
    const stat = table.get(pid);
    if (stat === undefined) return null;
    let known = cache.get(pid);
    if (known === undefined || known.startTime !== stat.startTime || known.ref.name !== stat.name) {
      const h = holders.get(pid);
      let ref: ProcessRef;
      if (h !== undefined) ref = { pid, name: h.name, exe: h.exe, uid: h.uid };
      else {
        const link = tryReadlink(`${from.procRoot}/${pid}/exe`);
        const status = tryRead(`${from.procRoot}/${pid}/status`);
        ref = { pid, name: stat.name, exe: link === null ? null : parseExeLink(link).exe, uid: status === null ? null : parseStatusUid(status) };
      }
      known = { startTime: stat.startTime, ref };
      cache.set(pid, known);
    }
    if (withCmdline && known.cmdline === undefined) {
      const h = holders.get(pid);
      const text = h === undefined ? tryRead(`${from.procRoot}/${pid}/cmdline`) : null;
      known.cmdline = h !== undefined ? h.cmdline : text === null ? null : parseCmdline(text);
    }
    return known;
  };
}

/**
 * The process with this look's context: its ancestry, terminal and the terminals below it. The same
 * object when nothing changed since an earlier look (the judgement's memo keys by object), else a new one.
 */
function inContext(info: ProcessInfo, table: ProcessTable, terminals: readonly TerminalPids[], refs: RefReader): ProcessInfo {
  const stat = table.get(info.pid);
  const up = ancestorPids(table, info.pid);
  const ancestry = up === null ? null : up.map((p) => refs(p)?.ref).filter((r): r is ProcessRef => r !== undefined);
  const below: TerminalBelow[] = [];
  for (const t of terminals) {
    const between = t.between.map((p) => refs(p)?.ref).filter((r): r is ProcessRef => r !== undefined);
    const on: TerminalBelow["on"] = [];
    for (const p of t.on) {
      const k = refs(p, true);
      if (k) on.push({ ...k.ref, cmdline: k.cmdline ?? null });
    }
    below.push({ tty: ttyName(t.ttyNr) ?? "?", between, on });
  }
  const tty = stat === undefined ? null : ttyName(stat.ttyNr);
  const unit = info.unit ?? null;
  if (info.ancestry !== undefined && sameContext(info, ancestry, tty, below)) return info;
  // Field order is the JSON order (docs/json.md).
  return {
    pid: info.pid, name: info.name, exe: info.exe, exeDeleted: info.exeDeleted, cmdline: info.cmdline, uid: info.uid, user: info.user,
    containerId: info.containerId, netns: info.netns, ancestry, tty, unit, terminalsBelow: below,
  };
}

function sameContext(info: ProcessInfo, ancestry: ProcessRef[] | null, tty: string | null, below: TerminalBelow[]): boolean {
  return info.tty === tty && JSON.stringify(info.ancestry) === JSON.stringify(ancestry) && JSON.stringify(info.terminalsBelow) === JSON.stringify(below);
}
