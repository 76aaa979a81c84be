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
