import type { ProcessInfo } from "../model/process.js";
import type { HolderLookup } from "./attribute.js";
import {
  parseCgroupContainerId, parseCmdline, parseComm, parseExeLink, parsePasswd, parseStatusUid,
} from "./parse/proc-pid.js";
import { tryRead, tryReadlink } from "./proc-files.js";

// Step 4 of the live collection: comm, exe, cmdline, status and cgroup of the processes that hold
// sockets, and only of those.

/** Where to read the holders' details, and what is already known. */
export interface DetailsSource {
  procRoot: string;
  /** The account database for user names. */
  passwdFile: string;
  /** pid → its network namespace (from step 1). */
  netnsOf: ReadonlyMap<number, number>;
  /** Details read in earlier looks (OwnerCache.processes): used, and filled with what is read now. */
  known?: Map<number, ProcessInfo> | undefined;
}

/** The details of every process that `holders` names; processes that exited meanwhile are left out. */
export function readProcessDetails(holders: HolderLookup, from: DetailsSource): Map<number, ProcessInfo> {
  const users = parsePasswd(tryRead(from.passwdFile) ?? "");
  const ownerPids = new Set<number>();
  for (const held of holders.values()) {
    if (typeof held === "number") ownerPids.add(held); else for (const p of held) ownerPids.add(p);
  }
  const processes = new Map<number, ProcessInfo>();
  for (const pid of ownerPids) {
    const info = from.known?.get(pid) ?? readProcess(from.procRoot, pid, from.netnsOf.get(pid) ?? null, users);
    if (info !== null) { processes.set(pid, info); from.known?.set(pid, info); }
  }
  return processes;
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
