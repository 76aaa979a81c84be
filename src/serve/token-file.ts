import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { InputError } from "../model/errors.js";

/** The characters a token may have: they go unchanged into a URL, a cookie and a Bearer header. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

/**
 * Reads the dashboard's token from `path` (--token-file), so it stays the same across restarts (a
 * Prometheus scrape keeps working). The file must be a regular file owned by this user that no one else
 * can write or read, in a folder no one else can write; it is opened without following a symbolic link.
 * When it does not exist it is created (mode 600) with a new random token.
 */
export function readTokenFile(path: string): { token: string; created: boolean } {
  const where = `token file "${path}"`;
  const uid = process.getuid?.();
  let folder;
  try { folder = statSync(dirname(path)); } catch (e) {
    throw new InputError(`Cannot read ${where}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (its folder must exist)`);
  }
  if ((folder.mode & 0o022) !== 0 && (folder.mode & 0o1000) === 0) {
    throw new InputError(`Refusing ${where}: its folder "${dirname(path)}" can be written by other users (put the token file in a folder only you can write, such as the state directory)`);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { token: createTokenFile(path, where), created: true };
    if (code === "ELOOP") throw new InputError(`Refusing ${where}: it is a symbolic link (name the file itself)`);
    throw new InputError(`Cannot read ${where}: ${code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError(`Refusing ${where}: it is not a regular file`);
    if (uid !== undefined && st.uid !== uid) throw new InputError(`Refusing ${where}: it belongs to uid ${st.uid}, not to this user (uid ${uid}); another user could have chosen the token`);
    if ((st.mode & 0o022) !== 0) throw new InputError(`Refusing ${where}: other users can write it (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
    if ((st.mode & 0o004) !== 0) throw new InputError(`Refusing ${where}: every user can read it (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const lines = buf.subarray(0, n).toString("utf8").split("\n");
    const token = (lines[0] ?? "").trim();
    if (!TOKEN_PATTERN.test(token) || lines.slice(1).some((l) => l.trim() !== "")) {
      throw new InputError(`Cannot use ${where}: line 1: expected one token of 16 to 256 letters, digits, ".", "_", "~" or "-" on one line`);
    }
    return { token, created: false };
  } finally {
    closeSync(fd);
  }
}

function createTokenFile(path: string, where: string): string {
  const token = randomBytes(16).toString("hex");
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new InputError(`Cannot create ${where}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try { writeSync(fd, `${token}\n`); } finally { closeSync(fd); }
  return token;
}
