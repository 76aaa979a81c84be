import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from "node:fs";
import { endianness } from "node:os";
import type { ProcessInfo } from "../model/process.js";
import { InputError } from "../model/errors.js";
import { formatProblem, type Problem } from "../model/problem.js";
import type { Family, Proto, Socket } from "../model/socket.js";
import { addHolder, attribute } from "./attribute.js";
import { classify } from "./classify.js";
import { parseProcNet } from "./parse/proc-net.js";
import {
  parseCgroupContainerId, parseCmdline, parseComm, parseExeLink, parseNetnsLink, parsePasswd, parseSocketLink, parseStatusUid,
} from "./parse/proc-pid.js";

/** Where and how to read a Linux host. */
export interface CollectOptions {
  /** Root of the proc file system: default "/proc" (a captured tree in tests). */
  procRoot?: string;
  /** The account database for user names: default "/etc/passwd". */
  passwdFile?: string;
  /** Named network namespaces (`ip netns add`): default "/run/netns". */
  netnsDir?: string;
  /** Look up owners (the /proc/<pid>/fd walk): default true. */
  owners?: boolean;
}

/** What the collector found: sockets with owners, direction and exposure, and what it could not read. */
export interface Collection {
  sockets: Socket[];
  hostname: string | null;
  /** The network namespace of pid 1 (the host's, outside containers). */
  hostNetns: number | null;
  problems: Problem[];
  /** Plain-words notes about incomplete results. */
  warnings: string[];
}

const TABLES: readonly { file: string; proto: Proto; family: Family }[] = [
  { file: "tcp", proto: "tcp", family: 4 }, { file: "tcp6", proto: "tcp", family: 6 },
  { file: "udp", proto: "udp", family: 4 }, { file: "udp6", proto: "udp", family: 6 },
  { file: "raw", proto: "raw", family: 4 }, { file: "raw6", proto: "raw", family: 6 },
];

function errCode(e: unknown): string {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
}

/** An error that means the process (or file) went away while we read it: skipped without noise. */
function vanished(e: unknown): boolean {
  const c = errCode(e);
  return c === "ENOENT" || c === "ESRCH" || c === "ENOTDIR";
}

function tryReadlink(path: string): string | null {
  try { return readlinkSync(path); } catch { return null; }
}

function tryRead(path: string, encoding: BufferEncoding = "utf8"): string | null {
  try { return readFileSync(path, encoding); } catch { return null; }
}

const CHUNK = 1 << 20;

/** Reads a proc table in 1 MiB chunks and hands whole lines to `each`, so a 30 MB table never sits in memory twice. */
function readLines(path: string, each: (text: string, firstLine: number) => void): void {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry = "";
    let line = 1;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const text = carry + buf.toString("latin1", 0, n);
      const cut = text.lastIndexOf("\n") + 1;
      if (cut === 0) { carry = text; continue; }
      each(cut === text.length ? text : text.slice(0, cut), line);
      for (let i = 0; i < cut; i++) if (text.charCodeAt(i) === 10) line++;
      carry = text.slice(cut);
    }
    if (carry !== "") each(carry, line);
  } finally {
    closeSync(fd);
  }
}

interface FdScan {
  holders: Map<number, number | number[]>;
  /** netns inode → pids in it (a few, to read its tables through). */
  namespaces: Map<number, string[]>;
  netnsOf: Map<number, number>;
  denied: number;
  scanned: number;
}

/** Walks every /proc/<pid>/fd once, keeping socket inodes, and notes each pid's network namespace. */
function scanFds(procRoot: string, pids: number[], wantOwners: boolean): FdScan {
  const holders = new Map<number, number | number[]>();
  const namespaces = new Map<number, string[]>();
  const netnsOf = new Map<number, number>();
  let denied = 0, scanned = 0;
  for (const pid of pids) {
    const dir = `${procRoot}/${pid}`;
    const ns = tryReadlink(`${dir}/ns/net`);
    const netns = ns === null ? null : parseNetnsLink(ns);
    if (netns !== null) {
      netnsOf.set(pid, netns);
      const list = namespaces.get(netns);
      if (list === undefined) namespaces.set(netns, [String(pid)]);
      else if (list.length < 3) list.push(String(pid));
    }
    if (!wantOwners) continue;
    let fds: string[];
    try { fds = readdirSync(`${dir}/fd`); } catch (e) {
      if (!vanished(e)) denied++;
      continue;
    }
    scanned++;
    const prefix = `${dir}/fd/`;
    for (const fd of fds) {
      let link: string;
      try { link = readlinkSync(prefix + fd); } catch { continue; } // closed meanwhile
      if (link.charCodeAt(0) !== 115 /* s */) continue;
      const inode = parseSocketLink(link);
      if (inode !== null) addHolder(holders, inode, pid);
    }
  }
  return { holders, namespaces, netnsOf, denied, scanned };
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
  };
}

/**
 * Collects every TCP, UDP and raw socket (IPv4 and IPv6) of every network namespace of a Linux host,
 * with the processes that hold them. Reads only under `procRoot` (and the passwd file and netns dir).
 */
export function collectLinux(options: CollectOptions = {}): Collection {
  const procRoot = options.procRoot ?? "/proc";
  const wantOwners = options.owners ?? true;
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const littleEndian = endianness() === "LE";

  let entries: string[];
  try { entries = readdirSync(procRoot); } catch (e) {
    throw new InputError(`Cannot read the process list in "${procRoot}": ${errCode(e) || String(e)} (is /proc mounted?)`);
  }
  const pids: number[] = [];
  for (const name of entries) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) { const pid = Number(name); if (Number.isSafeInteger(pid)) pids.push(pid); }
  }
  pids.sort((a, b) => a - b);

  const scan = scanFds(procRoot, pids, wantOwners);
  // Our own namespace is always readable, even when other processes' ns links are not (no root).
  const selfNs = parseNetnsLink(tryReadlink(`${procRoot}/self/ns/net`) ?? "");
  if (selfNs !== null) {
    const list = scan.namespaces.get(selfNs);
    if (list === undefined) scan.namespaces.set(selfNs, ["self"]); else list.unshift("self");
  }
  const hostNetns = scan.netnsOf.get(1) ?? selfNs;

  // Read each namespace's tables once, through the first of its pids that is still there.
  const sockets: Socket[] = [];
  const nsList = scan.namespaces.size > 0 ? [...scan.namespaces] : [[null, [""]] as const];
  for (const [netns, dirs] of nsList) {
    let done = false;
    for (const dir of dirs) {
      const base = dir === "" ? `${procRoot}/net` : `${procRoot}/${dir}/net`;
      const before = sockets.length, problemsBefore = problems.length;
      try {
        for (const t of TABLES) {
          const source = `${base}/${t.file}`;
          try {
            readLines(source, (text, firstLine) => {
              parseProcNet(text, { proto: t.proto, family: t.family, source, netns, littleEndian, firstLine, records: sockets, problems });
            });
          } catch (e) {
            // Kernels without IPv6 or raw sockets have no such tables; tcp and udp must be there.
            if (errCode(e) === "ENOENT" && (t.family === 6 || t.proto === "raw")) continue;
            throw e;
          }
        }
        done = true;
        break;
      } catch (e) {
        sockets.length = before; problems.length = problemsBefore;
        if (!vanished(e)) warnings.push(`Cannot read the sockets of network namespace ${netns} through ${base}: ${errCode(e) || String(e)}`);
      }
    }
    if (!done) warnings.push(`The sockets of network namespace ${netns} could not be read: its processes exited or could not be read`);
  }

  // Named namespaces with no process in them cannot be read through /proc.
  const netnsDir = options.netnsDir ?? "/run/netns";
  let named: string[] = [];
  try { named = readdirSync(netnsDir); } catch { /* none */ }
  for (const name of named) {
    let ino: number;
    try { ino = statSync(`${netnsDir}/${name}`).ino; } catch { continue; }
    if (!scan.namespaces.has(ino)) {
      warnings.push(`Network namespace "${name}" has no process in it, so its sockets are not listed: run "ip netns exec ${name} portwatch" to see them`);
    }
  }

  const users = parsePasswd(tryRead(options.passwdFile ?? "/etc/passwd") ?? "");
  const processes = new Map<number, ProcessInfo>();
  if (wantOwners) {
    const ownerPids = new Set<number>();
    for (const held of scan.holders.values()) {
      if (typeof held === "number") ownerPids.add(held); else for (const p of held) ownerPids.add(p);
    }
    for (const pid of ownerPids) {
      const info = readProcess(procRoot, pid, scan.netnsOf.get(pid) ?? null, users);
      if (info !== null) processes.set(pid, info);
    }
    const unowned = attribute(sockets, { holders: scan.holders, processes });
    if (scan.denied > 0) {
      warnings.push(`Cannot read the open files of ${scan.denied} of ${pids.length} processes: permission denied (run as root to see every owner)`);
    }
    if (unowned > 0) {
      warnings.push(scan.denied > 0
        ? `${unowned} sockets have no visible owner: they belong to processes whose files could not be read, or to the kernel`
        : `${unowned} sockets have no owning process that portwatch can see: a kernel socket (NFS, WireGuard), a process outside this PID namespace, or one that exited during the scan`);
    }
  }
  classify(sockets, hostNetns);
  for (const p of problems.slice(0, 50)) warnings.push(`Skipped a malformed line: ${formatProblem(p)}`);
  if (problems.length > 50) warnings.push(`... and ${problems.length - 50} more malformed lines`);

  const hostname = tryRead(`${procRoot}/sys/kernel/hostname`)?.trim() || null;
  return { sockets, hostname, hostNetns, problems, warnings };
}
