import type { ProcMount } from "../../model/hiding.js";
import type { Problem } from "../../model/problem.js";

/*
 * /proc/<pid>/mountinfo (proc(5), Linux 6.x), one mount per line:
 *
 *   43 22 254:0 /tmp/h15a-empty /proc/6510 rw,relatime - ext4 /dev/vda rw,discard
 *   (1)(2) (3)   (4)            (5)        (6)         (7)(8)  (9)     (10)
 *
 *   (1) mount id  (2) parent id  (3) major:minor  (4) root: the folder of the file system mounted here
 *   (5) mount point  (6) mount options  (7) optional fields ("shared:1", "master:2"), any number, ended by
 *   (8) "-"  (9) file system type  (10) source  (11) super block options.
 *   Paths escape space, tab, newline and backslash as octal: "\040", "\011", "\012", "\134".
 */

/** One mount of a mountinfo file. */
export interface MountRecord {
  id: number;
  parent: number;
  root: string;
  mountPoint: string;
  fstype: string;
  source: string;
}

const unescape = (path: string): string => path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** Parses a mountinfo file's text; a line that is not a mount becomes a problem. */
export function parseMountinfo(text: string, source = "/proc/self/mountinfo"): { records: MountRecord[]; problems: Problem[] } {
  const records: MountRecord[] = [];
  const problems: Problem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    const f = line.split(" ");
    const dash = f.indexOf("-", 6);
    const id = Number(f[0]), parent = Number(f[1]);
    if (f.length < 10 || dash < 0 || dash + 2 >= f.length || !Number.isInteger(id) || !Number.isInteger(parent)) {
      problems.push({ source, line: i + 1, text: line, reason: "not a mountinfo line (id, parent, major:minor, root, mount point, options, optional fields, -, type, source, options)" });
      continue;
    }
    records.push({ id, parent, root: unescape(f[3] as string), mountPoint: unescape(f[4] as string), fstype: f[dash + 1] as string, source: unescape(f[dash + 2] as string) });
  }
  return { records, problems };
}

/**
 * The mounts over a process's folder of a proc file system (or below it: /proc/<pid>/fd): they hide that
 * process from ps, lsof, ss -p and portwatch's fd walk, which then read the mounted folder instead.
 * The proc file systems are found in the same list (type "proc"), wherever they are mounted.
 */
export function procPidMounts(records: readonly MountRecord[]): { pid: number; mount: ProcMount }[] {
  const procs = records.filter((r) => r.fstype === "proc").map((r) => (r.mountPoint.endsWith("/") ? r.mountPoint : `${r.mountPoint}/`));
  const out: { pid: number; mount: ProcMount }[] = [];
  for (const r of records) {
    for (const p of procs) {
      if (!r.mountPoint.startsWith(p)) continue;
      const m = /^(\d+)(\/|$)/.exec(r.mountPoint.slice(p.length));
      if (m === null) continue;
      out.push({ pid: Number(m[1]), mount: { mountPoint: r.mountPoint, fstype: r.fstype, source: r.source, root: r.root } });
    }
  }
  return out;
}
