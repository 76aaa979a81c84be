/*
 * Small files and links under /proc/<pid>/ (Linux 6.x), each parsed from its text:
 *
 *   fd/3 -> "socket:[20853]"                 a socket with inode 20853 (other fds: "/dev/null", "pipe:[..]", "anon_inode:[eventfd]")
 *   ns/net -> "net:[4026531840]"             the network namespace inode
 *   exe -> "/usr/sbin/cupsd"                 or "/tmp/x (deleted)" once the file is gone
 *   comm: "cupsd\n"                          the short name (at most 15 bytes; the process can change it)
 *   cmdline: "/usr/sbin/cupsd\0-l\0"         NUL-separated arguments; empty for kernel threads
 *   status: "Name:\tcupsd\n...Uid:\t0\t0\t0\t0\n..."   real, effective, saved, filesystem uid
 *   cgroup: "0::/system.slice/docker-3f1e...c2.scope\n" (v2) or "12:pids:/docker/3f1e...c2\n" (v1)
 *   stat: "22834 (we) ird (x) R 22832 22832 12581 34816 22832 4194304 ... 447851 ...\n"
 *         pid (comm) state ppid pgrp session tty_nr tpgid flags ... field 22 starttime (clock ticks after boot);
 *         comm is written as is, so it may hold spaces and parentheses: it ends at the last ")"
 */

/** Inode of a "socket:[N]" fd link; null for every other kind of fd. */
export function parseSocketLink(link: string): number | null {
  if (!link.startsWith("socket:[") || !link.endsWith("]")) return null;
  const n = Number(link.slice(8, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Inode of a "net:[N]" namespace link; null when the text is not one. */
export function parseNetnsLink(link: string): number | null {
  if (!link.startsWith("net:[") || !link.endsWith("]")) return null;
  const n = Number(link.slice(5, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Path of an exe link, and whether the kernel marked it " (deleted)". */
export function parseExeLink(link: string): { exe: string; deleted: boolean } {
  const deleted = link.endsWith(" (deleted)");
  return { exe: deleted ? link.slice(0, -10) : link, deleted };
}

/** The comm file without its trailing newline; null when empty. */
export function parseComm(text: string): string | null {
  const name = text.endsWith("\n") ? text.slice(0, -1) : text;
  return name === "" ? null : name;
}

/** Splits a NUL-separated cmdline; a process that rewrote its title with spaces stays one argument. */
export function parseCmdline(text: string): string[] {
  if (text === "") return [];
  const parts = text.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** Real uid from a status file's "Uid:" line; null when absent. */
export function parseStatusUid(text: string): number | null {
  const at = text.indexOf("\nUid:");
  const start = at >= 0 ? at + 5 : text.startsWith("Uid:") ? 4 : -1;
  if (start < 0) return null;
  const m = /^\s*(\d+)/.exec(text.slice(start, start + 40));
  return m ? Number(m[1]) : null;
}

const CONTAINER_ID = /(?:docker|libpod|crio|cri-containerd|containerd|lxc|kubepods)[^\n]*?[/-]([0-9a-f]{64})(?:\.scope)?(?:\/|$)/m;

/** A container id (64 hex digits) named in a cgroup file by Docker, Podman, CRI-O, containerd or Kubernetes; null otherwise. */
export function parseCgroupContainerId(text: string): string | null {
  const m = CONTAINER_ID.exec(text);
  return m ? (m[1] as string) : null;
}

/** The fields of /proc/<pid>/stat that place a process in the process tree. */
export interface StatRecord {
  pid: number;
  /** comm, as in the comm file (at most 15 bytes; may hold spaces and parentheses). */
  name: string;
  ppid: number;
  /** Field 7: the controlling terminal's device number (0: none). */
  ttyNr: number;
  /** Field 22: when the process started, in clock ticks after boot: with the pid, tells a reused pid from the old process. */
  startTime: number;
}

/**
 * Reads a stat line; null when it is not one. The name is taken between the first "(" and the last ")",
 * since a process may call itself "we) ird (x" (the kernel does not escape it).
 */
export function parseStat(text: string): StatRecord | null {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open));
  // After ") ": f0 state, f1 ppid, f2 pgrp, f3 session, f4 tty_nr, ... f19 starttime. Runs for every
  // process on every look, so the fields are found by their spaces rather than by splitting all 52.
  let ppid = NaN, ttyNr = NaN, startTime = NaN;
  for (let f = 0, at = close + 2; f <= 19; f++) {
    let end = text.indexOf(" ", at);
    if (end < 0) end = text.length;
    if (f === 1) ppid = Number(text.slice(at, end));
    else if (f === 4) ttyNr = Number(text.slice(at, end));
    else if (f === 19) { if (end === text.length || at >= end) return null; startTime = Number(text.slice(at, end)); }
    if (end >= text.length) return null;
    at = end + 1;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(ppid) || ppid < 0 || !Number.isSafeInteger(ttyNr) || !Number.isSafeInteger(startTime)) return null;
  return { pid, name: text.slice(open + 2, close), ppid, ttyNr, startTime };
}

/**
 * A tty_nr as the device's name, as ps prints it: major 136 to 143 are the pseudo-terminals (pts/N, N =
 * (major - 136) * 256 + minor), major 4 the virtual consoles (tty1..tty63) and serial ports (ttyS0 from
 * minor 64), 5:1 the console; other devices as "major:minor"; null for 0 (no terminal). The kernel packs
 * the number as (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12).
 */
export function ttyName(ttyNr: number): string | null {
  if (ttyNr === 0) return null;
  const major = (ttyNr >>> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >>> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return "console";
  return `${major}:${minor}`;
}

/** Whether a tty_nr is a pseudo-terminal (major 136 to 143): what terminal emulators, sshd, tmux and pty.spawn make. */
export function isPty(ttyNr: number): boolean {
  const major = (ttyNr >>> 8) & 0xfff;
  return major >= 136 && major <= 143;
}

/*
 * /proc/sys/kernel/pty/nr: "3\n", the pseudo-terminals in use on the whole system (every devpts instance,
 * containers' too). 0 means no process has a pty as its controlling terminal.
 */
/** The number in /proc/sys/kernel/pty/nr; null when the text is not one. */
export function parsePtyCount(text: string): number | null {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/*
 * cgroup, the systemd unit (v2: the "0::" line; v1: the "name=systemd" line):
 *   0::/system.slice/cups.service                                                 → cups.service
 *   0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope → app-gnome-firefox-4242.scope
 *   0::/user.slice/user-1000.slice/session-3.scope                                → session-3.scope
 *   0::/user.slice/user-1000.slice/user@1000.service/init.scope                   → user@1000.service (the user's service manager)
 *   0::/                                                                          → null (no unit: no systemd, or the root)
 */
const UNIT = /^[^/.][^/]*\.(service|scope)$/;

/** The innermost systemd service or scope a cgroup file names; null when there is none. */
export function parseCgroupUnit(text: string): string | null {
  let v1: string | null = null;
  for (const line of text.split("\n")) {
    let path: string;
    if (line.startsWith("0::")) path = line.slice(3);
    else if (v1 === null && /^\d+:name=systemd:/.test(line)) { v1 = line.slice(line.indexOf(":/") + 1); continue; }
    else continue;
    const unit = innermostUnit(path);
    if (unit !== null) return unit;
  }
  return v1 === null ? null : innermostUnit(v1);
}

function innermostUnit(path: string): string | null {
  const parts = path.split("/");
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i] as string;
    if (!UNIT.test(p)) continue;
    // The user's own service manager lives in init.scope under user@UID.service: name it by the service.
    if (p === "init.scope" && i > 0 && /^user@\d+\.service$/.test(parts[i - 1] as string)) return parts[i - 1] as string;
    return p;
  }
  return null;
}

/*
 * /etc/passwd, one account per line:  name:password:uid:gid:gecos:home:shell
 *   root:x:0:0:root:/root:/bin/bash
 */
/** Maps uid to user name; the first entry for a uid wins, as getpwuid does. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    const uid = Number(f[2]);
    if (f.length >= 3 && f[0] && Number.isSafeInteger(uid) && f[2] !== "" && !users.has(uid)) users.set(uid, f[0]);
  }
  return users;
}
