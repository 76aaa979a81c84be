// Where a file lives, in the words the provenance rules use. Pure: paths only, no file system.

/** Folders anyone may write to (sticky or not): dropped malware lands here; no package installs here. */
export const WORLD_WRITABLE = /^\/(tmp|var\/tmp|dev\/shm|run\/shm|var\/crash|run\/lock|var\/lock|dev\/mqueue|var\/spool\/cron\/crontabs|var\/metrics)(\/|$)/;

/** Home directories: /root, /home/<user>, /var/home/<user> (Fedora Silverblue), /run/user/<uid> (the user's runtime folder). */
const HOME = /^\/(root|home\/[^/]+|var\/home\/[^/]+|run\/user\/\d+)(\/|$)/;

/**
 * Hidden folders that tools make on purpose outside home directories (a project's virtual environment,
 * pnpm's store): a library there is a program's own, not hidden from anyone.
 */
const TOOL_FOLDERS = new Set([".venv", ".pnpm", ".yarn", ".tox", ".nox"]);

/** A place no package installs to, from the most telling: memfd (fileless), world-writable, home, hidden; null for any other place. */
export type Place = "memfd" | "world-writable" | "home" | "hidden";

/** Where `path` lives (see Place). The kernel names memfd files "/memfd:NAME". */
export function placeOf(path: string): Place | null {
  if (path.startsWith("/memfd:")) return "memfd";
  if (WORLD_WRITABLE.test(path)) return "world-writable";
  if (HOME.test(path)) return "home";
  return hiddenComponent(path) === null ? null : "hidden";
}

/** The first component of `path` that starts with "." (a folder `ls` does not show), except tools' own (.venv, .pnpm…); null when none. */
export function hiddenComponent(path: string): string | null {
  for (const part of path.split("/")) {
    if (part.startsWith(".") && part !== "." && part !== ".." && !TOOL_FOLDERS.has(part)) return part;
  }
  return null;
}

/** The home directory `path` is in ("/home/alice", "/root"), or null. */
export function homeOf(path: string): string | null {
  const m = HOME.exec(path);
  return m ? `/${m[1]}` : null;
}

/** The home directory of a user by the usual convention: /root for uid 0, else /home/<name>. */
export function isOwnHome(home: string, user: { uid: number | null; user: string | null }): boolean {
  if (home === "/root") return user.uid === 0;
  if (home.startsWith("/run/user/")) return user.uid !== null && home === `/run/user/${user.uid}`;
  return user.user !== null && (home === `/home/${user.user}` || home === `/var/home/${user.user}`);
}

/** Folders packages install programs and libraries to. */
export const SYSTEM_DIRS = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|opt|snap|nix\/store)\//;

/** Places packages never install to (Debian policy; snaps and Nix have their own stores): no package database needs asking. */
export function noPackageCanOwn(path: string): boolean {
  const place = placeOf(path);
  return (place !== null && place !== "hidden") || /^\/(usr\/local|proc|sys|run|snap|nix\/store)\//.test(path) || !path.startsWith("/");
}
