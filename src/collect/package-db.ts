import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { basename } from "node:path";
import { noPackageCanOwn } from "../model/places.js";
import { listHasPath, parseDiversions, parseDpkgStatus, parseMd5sums, splitStem, type Diversion } from "./parse/dpkg.js";

// The host's package database, asked which package installed a file and what checksum it recorded.
// dpkg only (Debian, Ubuntu): its lists are searched for just the paths asked about, never indexed whole,
// and the answers are kept for as long as the database does not change (see DpkgAnswers.stamp).

/** What the package database says of one file. */
export interface PackageOwner {
  /** The stem of the package's info files: "python3.11-minimal", or "libc6:amd64" for a Multi-Arch: same package. */
  stem: string;
  /** The installed version (dpkg's status file); null when it does not say. */
  version: string | null;
  /** The md5 dpkg recorded for the file; null when none (a conffile, a file made by a maintainer script). */
  md5: string | null;
}

/** The package database found under the roots: dpkg's (with a stamp that changes when it does), rpm's (not read yet), or none. */
export type PackageDatabase = { kind: "dpkg"; stamp: string } | { kind: "rpm"; path: string } | { kind: null };

/** Where the databases live; `fsRoot` is where /bin, /sbin and /lib are looked at (the /usr merge). */
export interface DatabaseRoots {
  fsRoot: string;
  dpkgRoot: string;
  rpmRoot: string;
}

/** Answers of dpkg's database so far, valid while its stamp is `stamp` (kept between looks and, by provenance.ts, between runs). */
export interface DpkgAnswers {
  stamp: string | null;
  /** File path → its package, or null when no package owns it. */
  owners: Map<string, PackageOwner | null>;
  /**
   * The folders packages install to, to two levels ("/usr/bin", "/opt/google", "/etc"), once one search
   * has read every list: a path elsewhere (/work/app/bin/x, /srv/x) is no package's without reading them
   * again. null until then.
   */
  folders?: Set<string> | null;
}

/** The first two levels of a file's folder: /usr/lib/x86_64-linux-gnu/libc.so.6 → /usr/lib; /bin/sh → /bin; /x → /. */
export function topFolders(path: string): string {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir === "") return "/";
  const second = dir.indexOf("/", 1);
  if (second < 0) return dir;
  const third = dir.indexOf("/", second + 1);
  return third < 0 ? dir : dir.slice(0, third);
}

const mtime = (path: string): string => {
  try { const s = statSync(path); return `${s.mtimeMs}/${s.size}`; } catch { return "-"; }
};

/**
 * Which package database the host has. dpkg's stamp is the modification times and sizes of its status
 * file, its info folder (a package installed, upgraded or removed rewrites its .list there) and its
 * diversions: when none changed, earlier answers hold.
 */
export function findPackageDatabase(roots: DatabaseRoots): PackageDatabase {
  const status = `${roots.dpkgRoot}/status`;
  if (existsSync(status)) return { kind: "dpkg", stamp: [status, `${roots.dpkgRoot}/info`, `${roots.dpkgRoot}/diversions`].map(mtime).join(" ") };
  for (const name of ["rpmdb.sqlite", "Packages.db", "Packages"]) {
    const path = `${roots.rpmRoot}/${name}`;
    if (existsSync(path)) return { kind: "rpm", path };
  }
  return { kind: null };
}

/** How one path is looked for in the lists: as which paths, and which packages may own it. */
interface Search {
  path: string;
  /** The path and its /usr-merge aliases, as a .list may spell it; the file found under the first that matches. */
  keys: string[];
  /** A diverted file belongs to a package other than the diverting one. */
  notBy: string | null;
  /** The path a diversion moved: only the diverting package ships it there (null: a local diversion, no package). */
  onlyBy?: string | null;
  found: { stem: string; key: string } | null;
}

/**
 * Answers `paths` that `answers` does not know yet: searches the .list files, packages whose name looks
 * like a file's name first, and stops once every path is found (a path no package owns costs one pass over
 * every list, once per database change). Paths no package can own (home, /tmp, /usr/local, memfd), and
 * once one pass has read every list, paths outside the folders packages install to, are answered
 * without looking.
 */
export function lookUpOwners(roots: DatabaseRoots, answers: DpkgAnswers, paths: Iterable<string>): void {
  const searches: Search[] = [];
  const asked = new Set<string>();
  let diversions: Diversion[] | null = null;
  for (const path of paths) {
    if (answers.owners.has(path) || asked.has(path)) continue;
    asked.add(path);
    if (noPackageCanOwn(path)) { answers.owners.set(path, null); continue; }
    diversions ??= parseDiversions(readOr(`${roots.dpkgRoot}/diversions`), "diversions").records;
    const search = searchFor(path, diversions, mergedDirs(roots.fsRoot));
    const folders = answers.folders;
    if (folders && !search.keys.some((k) => folders.has(topFolders(k)))) { answers.owners.set(path, null); continue; }
    searches.push(search);
  }
  if (searches.length === 0) return;
  const info = `${roots.dpkgRoot}/info`;
  let stems: string[];
  try { stems = readdirSync(info).filter((f) => f.endsWith(".list")).map((f) => f.slice(0, -5)); } catch { stems = []; }
  let left = searches.length;
  let read = 0;
  const folders = new Set<string>();
  for (const stem of likelyFirst(stems, searches)) {
    const { name } = splitStem(stem);
    const text = readOr(`${info}/${stem}.list`);
    read++;
    addFolders(text, folders);
    for (const s of searches) {
      if (s.found !== null || name === s.notBy || (s.onlyBy !== undefined && name !== s.onlyBy)) continue;
      const key = s.keys.find((k) => listHasPath(text, k));
      if (key !== undefined) { s.found = { stem, key }; left--; }
    }
    if (left === 0) break;
  }
  if (read === stems.length && stems.length > 0) answers.folders = folders;
  const versions = left < searches.length ? installedVersions(roots.dpkgRoot) : new Map<string, string | null>();
  for (const s of searches) {
    if (s.found === null) { answers.owners.set(s.path, null); continue; }
    const { stem, key } = s.found;
    const { name, arch } = splitStem(stem);
    const sums = parseMd5sums(readOr(`${info}/${stem}.md5sums`), `${stem}.md5sums`).records;
    const version = versions.get(`${name}:${arch ?? ""}`) ?? versions.get(`${name}:`) ?? null;
    const md5 = sums.find((e) => e.path === key)?.md5 ?? null;
    answers.owners.set(s.path, { stem: ownCopy(stem), version: version === null ? null : ownCopy(version), md5: md5 === null ? null : ownCopy(md5) });
  }
}

/** A package's installed version by "name:arch" and by "name:" (the last stanza of that name). */
function installedVersions(dpkgRoot: string): Map<string, string | null> {
  const versions = new Map<string, string | null>();
  for (const e of parseDpkgStatus(readOr(`${dpkgRoot}/status`), "status").records) {
    if (e.status !== null && /(not-installed|config-files)$/.test(e.status)) continue; // no files on disk
    versions.set(`${e.package}:${e.architecture ?? ""}`, e.version);
    versions.set(`${e.package}:`, e.version);
  }
  return versions;
}

/**
 * How to look for `path`. A diverted file (the diversion's "to") is listed under the path packages ship
 * ("from"), by a package other than the diverting one; the diverted path itself ("from") now holds the
 * diverting package's file.
 */
function searchFor(path: string, diversions: readonly Diversion[], merged: ReadonlyMap<string, string>): Search {
  const keys = aliases(path, merged);
  const moved = diversions.find((d) => keys.includes(d.to));
  if (moved) return { path, keys: aliases(moved.from, merged), notBy: moved.by, found: null };
  const diverted = diversions.find((d) => keys.includes(d.from));
  return diverted ? { path, keys, notBy: null, onlyBy: diverted.by, found: null } : { path, keys, notBy: null, found: null };
}

/**
 * The /usr merge (Debian 12): /bin is a link to usr/bin, so the kernel names /usr/bin/dash a program that
 * dash.list calls /bin/dash. The path, then the other spelling, where the host's top folder is such a link.
 */
function aliases(path: string, merged: ReadonlyMap<string, string>): string[] {
  const out = [path];
  for (const [top, usr] of merged) {
    if (path.startsWith(`${usr}/`)) out.push(top + path.slice(usr.length));
    else if (path.startsWith(`${top}/`)) out.push(usr + path.slice(top.length));
  }
  return out;
}

/** The top folders that are links into /usr on this host (/bin → /usr/bin ...). */
function mergedDirs(fsRoot: string): Map<string, string> {
  const merged = new Map<string, string>();
  for (const top of ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    try {
      if (!lstatSync(`${fsRoot}/${top}`).isSymbolicLink()) continue;
      const target = readlinkSync(`${fsRoot}/${top}`).replace(/^\/+/, "").replace(/\/+$/, "");
      if (target === `usr/${top}`) merged.set(`/${top}`, `/usr/${top}`);
    } catch { /* not there */ }
  }
  return merged;
}

/** The stems in search order: packages named like one of the files first ("nodejs" for node, "python3.11-minimal" for python3.11). */
function likelyFirst(stems: readonly string[], searches: readonly Search[]): string[] {
  const names = searches.map((s) => basename(s.keys[0] ?? s.path).toLowerCase()).filter((b) => b.length >= 3);
  const likely = (stem: string) => {
    const { name } = splitStem(stem);
    return name.length >= 3 && names.some((b) => name.startsWith(b) || b.startsWith(name));
  };
  return [...stems.filter(likely), ...stems.filter((s) => !likely(s))];
}

/** Adds the top folders (see topFolders) of every path a .list text names. */
function addFolders(text: string, folders: Set<string>): void {
  for (let start = 0; start < text.length;) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) folders.add(topFolders(text.slice(start, end)));
    start = end + 1;
  }
}

/**
 * A copy of a piece of a parsed file that does not keep the file's text alive, one byte per character
 * when it is ASCII. A slice of dpkg's status (UTF-8 text with maintainers' names, so two bytes per
 * character in V8) would otherwise make every string built from it two-byte: a version in 21,000
 * explanations made the JSON output's encoding three times slower (bench/RESULTS-provenance.md).
 */
export function ownCopy(piece: string): string {
  return Buffer.from(piece, "utf8").toString("utf8");
}

function readOr(path: string): string {
  try { return readFileSync(path, "utf8"); } catch { return ""; }
}
