import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { homeOf, placeOf } from "../model/places.js";
import type { ProcessInfo } from "../model/process.js";
import type { ForeignCode, Provenance } from "../model/provenance.js";
import { findPackageDatabase, lookUpOwners, ownCopy, type DatabaseRoots, type DpkgAnswers, type PackageOwner } from "./package-db.js";
import { environCode, environValue, executableFiles, parseLdSoPreload, parseMaps, splitPreload } from "./parse/proc-maps.js";
import { splitStem } from "./parse/dpkg.js";
import { tryRead, tryReadlink } from "./proc-files.js";
import { readTrustedFile, writeFileAtomic } from "./safe-file-store.js";

// Step 4b of the live collection: where each socket holder's code came from. Once per process (its
// ProcessInfo keeps the answer between looks), never per socket: the package of its executable and
// whether the running bytes still match the package's checksum, who besides root could replace it, and
// code mapped or preloaded from places no package installs to.

/** Where to read provenance, and where to keep what it learnt between runs. */
export interface ProvenanceOptions {
  /** The file system root: /etc/ld.so.preload and, by default, the package databases are read under it. Default "/". */
  root?: string;
  /** dpkg's database: default <root>/var/lib/dpkg (tests point it at a copy whose paths name their own files). */
  dpkgRoot?: string;
  /** rpm's database folder: default <root>/var/lib/rpm. */
  rpmRoot?: string;
  /** A file that keeps the package answers and checksums between runs (the state directory's cache); null: memory only. */
  cacheFile?: string | null;
}

/** What provenance keeps between looks (in a LookSession) so a watcher pays once per binary. */
export interface ProvenanceSession {
  roots: DatabaseRoots;
  cacheFile: string | null;
  dpkg: DpkgAnswers;
  /** File identity (device, inode, size, modification and change times) → md5 of its bytes. */
  digests: Map<string, string>;
  /** The cache file was read (on the first look that needs it). */
  loaded: boolean;
  /** Something was learnt since the cache file was written. */
  dirty: boolean;
}

/** A new session (see ProvenanceSession). */
export function createProvenanceSession(options: ProvenanceOptions = {}): ProvenanceSession {
  const root = (options.root ?? "/").replace(/\/+$/, "");
  return {
    roots: { fsRoot: root, dpkgRoot: options.dpkgRoot ?? `${root}/var/lib/dpkg`, rpmRoot: options.rpmRoot ?? `${root}/var/lib/rpm` },
    cacheFile: options.cacheFile ?? null, dpkg: { stamp: null, owners: new Map() }, digests: new Map(), loaded: false, dirty: false,
  };
}

/**
 * Fills `package` and `provenance` of every process that has none yet, and adds this look's warnings:
 * no package database (once), a non-empty /etc/ld.so.preload, a cache that could not be saved.
 */
export function readProvenance(session: ProvenanceSession, processes: Iterable<ProcessInfo>, procRoot: string, warnings: string[]): void {
  const db = findPackageDatabase(session.roots);
  if (db.kind === "rpm") warnings.push(`This host's packages are in rpm's database (${db.path}), which portwatch does not read yet: programs are judged without package checks`);
  if (db.kind === null) warnings.push(`No package database (${session.roots.dpkgRoot}/status; Alpine or a container image?): programs are judged without package checks`);
  const preloadFile = `${session.roots.fsRoot}/etc/ld.so.preload`;
  const preload = parseLdSoPreload(tryRead(preloadFile) ?? "");
  if (preload.length > 0) {
    warnings.push(`${preloadFile} lists ${preload.join(", ")}: the dynamic linker loads ${preload.length === 1 ? "it" : "them"} into every program started since. Rootkits (Jynx, Azazel, Vlany) hide this way; if you did not put ${preload.length === 1 ? "it" : "them"} there, look at ${preload.length === 1 ? "it" : "them"}`);
  }
  const pending = [...processes].filter((p) => p.provenance === undefined);
  if (pending.length === 0) return;
  loadCache(session);
  const preloaded = new Set(preload.flatMap((path) => [path, realpath(path)]));
  const selfMnt = tryReadlink(`${procRoot}/self/ns/mnt`);
  const ours = (p: ProcessInfo) => selfMnt !== null && tryReadlink(`${procRoot}/${p.pid}/ns/mnt`) === selfMnt;
  // A process in a mount namespace of its own (unshare -m, ip netns exec) over our root directory runs files
  // of our package database: it is checked too, its bytes read through /proc/<pid>/exe. Skipping it let
  // a program bind-mounted over /usr/bin/apt-get in such a namespace pass for apt-get.
  const selfRoot = fileId(`${procRoot}/self/root`);
  const mine = new Set(pending.filter((p) => ours(p) || (selfRoot !== null && fileId(`${procRoot}/${p.pid}/root`) === selfRoot)));
  const sameMounts = new Set(pending.filter(ours));
  if (db.kind === "dpkg") {
    if (session.dpkg.stamp !== db.stamp) { session.dpkg = { stamp: db.stamp, owners: new Map() }; session.dirty = true; }
    const before = session.dpkg.owners.size;
    const knewFolders = session.dpkg.folders;
    lookUpOwners(session.roots, session.dpkg, [...mine].flatMap((p) => (p.exe === null ? [] : [p.exe])));
    if (session.dpkg.owners.size !== before || session.dpkg.folders !== knewFolders) session.dirty = true;
  }
  for (const p of pending) {
    const here = mine.has(p);
    const owner = db.kind === "dpkg" && here && p.exe !== null ? session.dpkg.owners.get(p.exe) ?? null : null;
    p.package = owner === null ? null : { name: splitStem(owner.stem).name, version: owner.version, verified: verify(session, procRoot, p, owner) };
    const provenance: Provenance = {
      database: db.kind === "dpkg" && here ? "dpkg" : null,
      writable: p.exe === null || p.exeDeleted ? null : writableBy(p.exe, sameMounts.has(p) ? "" : `${procRoot}/${p.pid}/root`),
      foreign: foreignCode(procRoot, p, preloaded),
    };
    p.provenance = provenance;
  }
  const failed = saveCache(session);
  if (failed) warnings.push(failed);
}

/** A directory's device and inode ("dev:ino"), following links (/proc/<pid>/root); null when it cannot be read. */
function fileId(path: string): string | null {
  try { const st = statSync(path); return `${st.dev}:${st.ino}`; } catch { return null; }
}

/** Whether the bytes the process runs (read through /proc/<pid>/exe) match the package's md5; null when there is nothing to compare. */
function verify(session: ProvenanceSession, procRoot: string, p: ProcessInfo, owner: PackageOwner): boolean | null {
  if (owner.md5 === null || p.exeDeleted) return null; // no checksum, or the file at the path is no longer the one running
  const digest = md5Of(session, `${procRoot}/${p.pid}/exe`);
  return digest === null ? null : digest === owner.md5;
}

/** The md5 of a file, from the session when the same file (device, inode, size, times) was hashed before; read at most its size. */
function md5Of(session: ProvenanceSession, path: string): string | null {
  let fd: number;
  try { fd = openSync(path, "r"); } catch { return null; }
  try {
    const st = fstatSync(fd, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const known = session.digests.get(key);
    if (known !== undefined) return known;
    const hash = createHash("md5");
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let left = Number(st.size); left > 0;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      left -= n;
    }
    const digest = hash.digest("hex");
    session.digests.set(key, digest);
    session.dirty = true;
    return digest;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Someone other than root who can replace `path`: its owner, or a folder's owner on the way up, when not
 * root (an owner can always chmod); a group or everyone with write permission on the file, or on a folder
 * without the sticky bit. `statRoot` is /proc/<pid>/root for a process in another mount namespace.
 */
function writableBy(path: string, statRoot: string): { path: string; by: string } | null {
  for (let cur = path; ; cur = dirname(cur)) {
    let st;
    try { st = statSync(statRoot + cur); } catch { return null; }
    const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0;
    const where = st.isDirectory() && cur !== "/" ? `${cur}/` : cur;
    if ((st.mode & 0o002) !== 0 && !sticky) return { path: where, by: "anyone" };
    if (st.uid !== 0) return { path: where, by: `uid ${st.uid}` };
    if ((st.mode & 0o020) !== 0 && st.gid !== 0 && !sticky) return { path: where, by: `gid ${st.gid}` };
    if (cur === "/" || cur === ".") return null;
  }
}

/**
 * Code in the process from where no package installs (world-writable, home, hidden folders, memfd, or
 * deleted files), or listed in /etc/ld.so.preload: its executable mappings (the executable itself and the
 * program's own folder excepted), LD_PRELOAD in the environment it started with, and the code an interpreter's
 * environment names from world-writable places or memory (environCode).
 */
function foreignCode(procRoot: string, p: ProcessInfo, preloaded: ReadonlySet<string>): ForeignCode[] {
  const found = new Map<string, ForeignCode>();
  const maps = tryRead(`${procRoot}/${p.pid}/maps`);
  const mapped = maps === null ? [] : executableFiles(parseMaps(maps, "maps").records);
  const own = ownFolder(p.exe);
  const dotnet = mapped.some((m) => m.path.endsWith("/libcoreclr.so"));
  for (const m of mapped) {
    if (m.path === p.exe) continue;
    if (preloaded.has(m.path)) { found.set(m.path, { path: ownCopy(m.path), place: placeOf(m.path), deleted: m.deleted, via: "ld.so.preload" }); continue; }
    const place = placeOf(m.path);
    if (place !== null && own !== null && m.path.startsWith(own)) continue; // the program's own files
    if (place === "memfd" && dotnet && m.path === "/memfd:doublemapper") continue; // .NET maps its generated code twice through one memfd
    if (place !== null || m.deleted) found.set(m.path, { path: ownCopy(m.path), place, deleted: m.deleted, via: "mapped" });
  }
  const environ = tryRead(`${procRoot}/${p.pid}/environ`);
  const value = environ === null ? null : environValue(environ, "LD_PRELOAD");
  for (const lib of value === null ? [] : splitPreload(value)) {
    const place = placeOf(lib);
    if (place === null || found.get(lib)?.via === "ld.so.preload") continue;
    found.set(lib, { path: ownCopy(lib), place, deleted: found.get(lib)?.deleted ?? false, via: "LD_PRELOAD" });
  }
  // Code an interpreter's environment names (NODE_OPTIONS=--require …, PYTHONPATH, BASH_ENV): only from where
  // anyone can write or from memory (a home directory on PYTHONPATH is a developer's everyday set-up).
  for (const path of environ === null ? [] : environCode(environ)) {
    const place = placeOf(path);
    if ((place === "world-writable" || place === "memfd") && !found.has(path)) found.set(path, { path: ownCopy(path), place, deleted: false, via: "environment" });
  }
  return [...found.values()];
}

/** The folder whose files are the program's own: its first folder in a home directory (~/.vscode-server/), else its own folder. */
function ownFolder(exe: string | null): string | null {
  if (exe === null) return null;
  const home = homeOf(exe);
  if (home !== null) {
    const rest = exe.slice(home.length + 1);
    const first = rest.indexOf("/");
    return first < 0 ? null : `${home}/${rest.slice(0, first)}/`;
  }
  return `${dirname(exe)}/`;
}

function realpath(path: string): string {
  try { return realpathSync(path); } catch { return path; }
}

// --- the cache file: answers and checksums kept between runs (safe to delete) ---

const MAX_ENTRIES = 4096;

interface CacheFile {
  v: 1;
  dpkg: { stamp: string; owners: Record<string, PackageOwner | null>; folders?: string[] } | null;
  digests: Record<string, string>;
}

function loadCache(session: ProvenanceSession): void {
  if (session.loaded || session.cacheFile === null) return;
  session.loaded = true;
  let data: unknown;
  // None yet, unreadable, or not trusted (a link, another user's file: safe-file-store.ts): start afresh.
  try { data = JSON.parse(readTrustedFile(session.cacheFile, { privateFolder: true })); } catch { return; }
  if (!isCacheFile(data)) return;
  for (const [k, v] of Object.entries(data.digests)) if (!session.digests.has(k)) session.digests.set(k, v);
  if (data.dpkg !== null && session.dpkg.owners.size === 0) {
    const { stamp, owners, folders } = data.dpkg;
    session.dpkg = { stamp, owners: new Map(Object.entries(owners)), folders: folders ? new Set(folders) : null };
  }
}

/**
 * Writes the cache file when something was learnt, as every kept file is written (safe-file-store.ts: a
 * checked private folder, a new file under a random name made with O_EXCL|O_NOFOLLOW and mode 0600, renamed
 * over the old); a warning when it cannot.
 */
function saveCache(session: ProvenanceSession): string | null {
  if (!session.dirty || session.cacheFile === null) return null;
  const keep = <T>(m: Map<string, T>) => Object.fromEntries([...m].slice(-MAX_ENTRIES));
  const data: CacheFile = {
    v: 1, digests: keep(session.digests),
    dpkg: session.dpkg.stamp === null ? null : { stamp: session.dpkg.stamp, owners: keep(session.dpkg.owners), ...(session.dpkg.folders ? { folders: [...session.dpkg.folders] } : {}) },
  };
  try {
    writeFileAtomic(session.cacheFile, JSON.stringify(data), { privateFolder: true });
    session.dirty = false;
    return null;
  } catch (e) {
    const file = session.cacheFile;
    session.cacheFile = null; // say it once
    return `Cannot save the provenance cache "${file}": ${(e as Error).message} (the next run checks the programs again)`;
  }
}

const isOwner = (v: unknown): v is PackageOwner | null => v === null || (typeof v === "object" && typeof (v as PackageOwner).stem === "string" &&
  ((v as PackageOwner).version === null || typeof (v as PackageOwner).version === "string") && ((v as PackageOwner).md5 === null || typeof (v as PackageOwner).md5 === "string"));

function isCacheFile(v: unknown): v is CacheFile {
  if (typeof v !== "object" || v === null || (v as CacheFile).v !== 1) return false;
  const { dpkg, digests } = v as CacheFile;
  if (typeof digests !== "object" || digests === null || !Object.values(digests).every((d) => typeof d === "string" && /^[0-9a-f]{32}$/.test(d))) return false;
  if (dpkg === null) return true;
  return typeof dpkg === "object" && typeof dpkg.stamp === "string" && typeof dpkg.owners === "object" && dpkg.owners !== null && Object.values(dpkg.owners).every(isOwner) &&
    (dpkg.folders === undefined || (Array.isArray(dpkg.folders) && dpkg.folders.every((f) => typeof f === "string")));
}
