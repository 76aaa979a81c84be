import { readdirSync } from "node:fs";
import type { HiddenProcess } from "../model/hiding.js";
import { listPids } from "./namespaces.js";
import type { NativeAddon } from "./native.js";
import { parseMountinfo, procPidMounts } from "./parse/mountinfo.js";
import { tryRead } from "./proc-files.js";

// Processes that hide from /proc's view (issue 15, item 3): a mount over /proc/<pid> (every look), and,
// with `deep`, processes that answer kill(pid, 0) or that a parent names as its child while the /proc
// listing leaves them out (what unhide's brute and proc tests do).

/** Where to look for hidden processes. */
export interface HiddenProcessCheck {
  procRoot: string;
  /** The pids the look listed. */
  pids: readonly number[];
  /** Also the slower checks: every id up to pid_max with kill(id, 0), and every task's children. */
  deep: boolean;
  /** For the kill(id, 0) scan (live host only). */
  addon: NativeAddon | null;
}

/** The hidden processes, each with a warning that says how it was seen and what to do. */
export function findHiddenProcesses(check: HiddenProcessCheck): { processes: HiddenProcess[]; warnings: string[] } {
  const processes: HiddenProcess[] = [];
  const text = tryRead(`${check.procRoot}/self/mountinfo`);
  if (text !== null) for (const { pid, mount } of procPidMounts(parseMountinfo(text).records)) processes.push({ pid, how: "mount", mount });
  if (check.deep) processes.push(...missingFromListing(check));
  return { processes, warnings: processes.map(hiddenProcessWarning) };
}

/** One hidden process in plain words: how it was seen, and what to do next. */
export function hiddenProcessWarning(h: HiddenProcess): string {
  if (h.how === "mount" && h.mount) {
    const m = h.mount;
    const what = m.root === "/" ? `${m.fstype} ${m.source}` : `folder ${m.root} of ${m.fstype} ${m.source}`;
    return `Process ${h.pid} is hidden: ${what} is mounted over ${m.mountPoint}, so ps, lsof, ss -p and portwatch see that folder instead of its files and sockets; ` +
      `see the mount with "grep ${m.mountPoint} /proc/self/mountinfo", undo it with "umount ${m.mountPoint}", then run portwatch again`;
  }
  const seen = h.how === "children" ? `process ${h.parent} names it as its child (/proc/${h.parent}/task/*/children)` : `it answers kill(${h.pid}, 0)`;
  return `Process ${h.pid} is hidden: ${seen}, but the /proc listing leaves it out (rootkits hide processes this way); ` +
    `its folder can still be read by name: "cat /proc/${h.pid}/status", "ls -l /proc/${h.pid}/exe /proc/${h.pid}/fd"; check /etc/ld.so.preload and the kernel modules ("cat /proc/modules")`;
}

/**
 * `--deep`: ids that answer kill(id, 0) (native scan up to pid_max) or that a task names as its child, but
 * that are neither listed in /proc nor a thread of a listed process. Each is checked again after a second
 * listing, so a process or thread born during the scan is not reported, nor one that exited.
 */
function missingFromListing(check: HiddenProcessCheck): HiddenProcess[] {
  const { procRoot } = check;
  const listed = new Set(check.pids);
  const tids = new Set<number>();
  const found = new Map<number, HiddenProcess>();
  for (const pid of check.pids) {
    let tasks: string[];
    try { tasks = readdirSync(`${procRoot}/${pid}/task`); } catch { continue; }
    for (const t of tasks) {
      tids.add(Number(t));
      for (const k of (tryRead(`${procRoot}/${pid}/task/${t}/children`) ?? "").split(" ")) {
        const child = Number(k);
        if (k !== "" && k !== "\n" && Number.isSafeInteger(child) && !listed.has(child)) found.set(child, { pid: child, how: "children", parent: pid });
      }
    }
  }
  if (procRoot === "/proc" && check.addon?.liveTids) {
    const max = Number(tryRead(`${procRoot}/sys/kernel/pid_max`)?.trim()) || 32768;
    for (const id of check.addon.liveTids(Math.min(max, 1 << 22))) if (!listed.has(id) && !tids.has(id) && !found.has(id)) found.set(id, { pid: id, how: "kill" });
  }
  if (found.size === 0) return [];
  const again = new Set(listPids(procRoot));
  return [...found.values()].filter((h) => !again.has(h.pid) && !threadOfListed(procRoot, h.pid, again) && stillThere(h.pid));
}

/** Whether `id` is a thread of a listed process (its status names another thread group). */
function threadOfListed(procRoot: string, id: number, listed: ReadonlySet<number>): boolean {
  const m = /^Tgid:\s*(\d+)/m.exec(tryRead(`${procRoot}/${id}/status`) ?? "");
  return m !== null && Number(m[1]) !== id && listed.has(Number(m[1]));
}

function stillThere(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as { code?: string }).code === "EPERM"; }
}
