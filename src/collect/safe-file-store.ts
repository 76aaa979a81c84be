import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { InputError } from "../model/errors.js";

/*
 * Every file portwatch keeps (the baseline, the history, the webhook queue) is written and read here, so
 * that root never follows a link or reads a file another user planted:
 * - a folder is used only when it and every folder above it belong to root or to the user running
 *   portwatch, and none can be written by others or by a group other than root's or the user's own (unless it has the sticky bit, as /tmp does,
 *   where others cannot rename or remove what is not theirs); `private` folders (the queue, the history,
 *   whose files have fixed names) may not be writable by others at all, sticky or not;
 * - new files are made with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, under a random name, then renamed into
 *   place (atomic: a crash leaves the old file or the new one, never half of one);
 * - files are read with O_NOFOLLOW and only when they belong to root or to this user and no one else can
 *   write them.
 */

/** A folder or file portwatch refuses to use: the message says which, why and what to do. */
export class UnsafePlaceError extends InputError {
  override name = "InputError";
}

const me = (): number | undefined => process.getuid?.();
const trusted = (uid: number) => uid === 0 || uid === me();
const trustedGroup = (gid: number) => gid === 0 || gid === process.getgid?.();
const who = (uid: number) => (uid === 0 ? "root" : `user ${uid}`);
/** "root", or "root or user 1000 (you)": whom portwatch trusts. */
const trustedText = () => { const u = me(); return u === undefined || u === 0 ? "root" : `root or ${who(u)} (you)`; };
const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** Why one folder on the way cannot be trusted, or null. */
function folderProblem(path: string, st: Stats, last: boolean, privateFolder: boolean): string | null {
  if (st.isSymbolicLink()) {
    return trusted(st.uid) ? null : `"${path}" is a link that belongs to ${who(st.uid)}, not to ${trustedText()}: it could point anywhere; use the folder it points to, or choose another folder`;
  }
  if (!st.isDirectory()) return `"${path}" is not a folder`;
  if (!trusted(st.uid)) return `the folder "${path}" belongs to ${who(st.uid)}, not to ${trustedText()}: that user could put files there for portwatch to read or links for it to follow; remove it or choose another folder`;
  // Group write is others' write unless the group is root's or this user's own (umask 002 with one group per user).
  const othersWrite = (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && !trustedGroup(st.gid));
  const sticky = (st.mode & 0o1000) !== 0;
  if (othersWrite && (!sticky || (last && privateFolder))) {
    return `the folder "${path}" can be written by ${(st.mode & 0o002) !== 0 ? "every user" : "its group"} (mode ${octal(st.mode)}${sticky ? ", sticky" : ""}): others could put files there for portwatch to read or links for it to follow; make it private (chmod 700 "${path}") or choose another folder`;
  }
  return null;
}

/** The folders from `/` down to `dir` (an absolute path). */
function chain(dir: string): string[] {
  const parts = dir.split(sep).filter(Boolean);
  return [sep, ...parts.map((_, i) => sep + parts.slice(0, i + 1).join(sep))];
}

/**
 * Checks that portwatch may keep files in `dir` (see above) and, with `create`, makes what is missing of it
 * (mode 0700). `privateFolder`: the folder itself may not be writable by others even with the sticky bit.
 * Throws an UnsafePlaceError whose message names the folder and what to do.
 */
export function checkFolder(dir: string, options: { create?: boolean; privateFolder?: boolean } = {}): void {
  const target = resolve(dir);
  const folders = chain(target);
  for (const [i, f] of folders.entries()) {
    let st: Stats;
    try { st = lstatSync(f); } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT" || !options.create) throw e;
      mkdirSync(f, { mode: 0o700 }); // fails on a link or file made meanwhile (EEXIST): never through one
      st = lstatSync(f);
    }
    const problem = folderProblem(f, st, i === folders.length - 1, options.privateFolder ?? false);
    if (problem !== null) throw new UnsafePlaceError(problem);
  }
  // A link on the way was made by root or this user; the folders it leads to must be sound too.
  const real = realpathSync(target);
  if (real !== target) {
    const realFolders = chain(real);
    for (const [i, f] of realFolders.entries()) {
      const problem = folderProblem(f, lstatSync(f), i === realFolders.length - 1, options.privateFolder ?? false);
      if (problem !== null) throw new UnsafePlaceError(problem);
    }
  }
}

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Why an opened (or looked-at) file cannot be trusted, or null. */
function fileProblem(path: string, st: Stats): string | null {
  if (st.isSymbolicLink()) return `"${path}" is a link: portwatch does not follow links to the files it keeps; remove it`;
  if (!st.isFile()) return `"${path}" is not a regular file`;
  if (!trusted(st.uid)) return `"${path}" belongs to ${who(st.uid)}, not to ${trustedText()}: portwatch reads only its own files; remove it`;
  if ((st.mode & 0o022) !== 0) return `"${path}" can be written by ${(st.mode & 0o002) !== 0 ? "every user" : "its group"} (mode ${octal(st.mode)}): make it private (chmod 600 "${path}")`;
  return null;
}

/**
 * Writes `text` to `path` atomically and safely: the folder is checked (and made), the text goes to a new
 * file under a random name (O_EXCL|O_NOFOLLOW, mode 0600), which is then renamed over `path`.
 */
export function writeFileAtomic(path: string, text: string | Uint8Array, options: { privateFolder?: boolean } = {}): void {
  const dir = dirname(resolve(path));
  checkFolder(dir, { create: true, ...options });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(8).toString("hex")}.tmp`);
  const fd = openSync(tmp, NEW_FILE, 0o600);
  try {
    try { if (typeof text === "string") writeSync(fd, text); else writeSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* renamed, or gone */ }
    throw e;
  }
}

/**
 * Makes sure `path` can hold one of portwatch's files: its folder is checked (and made, with `create`);
 * a missing file is made empty with mode 0600 (O_EXCL|O_NOFOLLOW) when `create`; an existing one must be a
 * regular file of root or this user that no one else can write. Returns whether the file is there now.
 */
export function prepareFile(path: string, options: { create: boolean; privateFolder?: boolean }): boolean {
  try {
    checkFolder(dirname(resolve(path)), { create: options.create, ...(options.privateFolder !== undefined ? { privateFolder: options.privateFolder } : {}) });
  } catch (e) {
    if (!options.create && (e as { code?: string }).code === "ENOENT") return false; // no folder, so no file
    throw e;
  }
  let st: Stats;
  try { st = lstatSync(path); } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") throw e;
    if (!options.create) return false;
    closeSync(openSync(path, NEW_FILE, 0o600));
    return true;
  }
  const problem = fileProblem(path, st);
  if (problem !== null) throw new UnsafePlaceError(problem);
  return true;
}

/**
 * Reads one of portwatch's files: its folder is checked, the file opened without following a link, and
 * read only when it belongs to root or this user and no one else can write it. ENOENT and other system
 * errors are thrown as they are (with their `code`), for the caller's message.
 */
export function readTrustedFile(path: string, options: { privateFolder?: boolean } = {}): string {
  return readTrusted(path, options).toString("utf8");
}

/** readTrustedFile's bytes, not decoded (a compiled index). */
export function readTrustedBytes(path: string, options: { privateFolder?: boolean } = {}): Buffer {
  return readTrusted(path, options);
}

function readTrusted(path: string, options: { privateFolder?: boolean }): Buffer {
  checkFolder(dirname(resolve(path)), options);
  let fd: number;
  try { fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK); } catch (e) {
    if ((e as { code?: string }).code === "ELOOP") throw new UnsafePlaceError(fileProblem(path, lstatSync(path)) ?? `"${path}" is a link`);
    throw e;
  }
  try {
    const problem = fileProblem(path, fstatSync(fd));
    if (problem !== null) throw new UnsafePlaceError(problem);
    return readFileSync(fd);
  } finally { closeSync(fd); }
}
