import { randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, lstatSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { readTrustedFile, UnsafePlaceError } from "../collect/safe-file-store.js";
import { InputError } from "../model/errors.js";

/** The characters a token may have: they go unchanged into a URL, a cookie and a Bearer header. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

/**
 * Reads the dashboard's token from `path` (--token-file), so it stays the same across restarts (a
 * Prometheus scrape keeps working). It is read as every file portwatch reads as root from a folder
 * (collect/safe-file-store.ts, readTrustedFile): the folder and every folder above it belong to root or
 * this user and no one else can write them (a sticky folder such as /tmp may hold it), the file is opened
 * without following a link and must be a regular file of root or this user that no one else can write;
 * besides, not every user may read it. When it does not exist it is created (mode 600) with a new random token.
 */
export function readTokenFile(path: string): { token: string; created: boolean } {
  const where = `token file "${path}"`;
  let text: string;
  try {
    text = readTrustedFile(path);
  } catch (e) {
    if (e instanceof UnsafePlaceError) throw new InputError(`Refusing ${where}: ${e.message}`);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && existsSync(dirname(path))) return { token: createTokenFile(path, where), created: true };
    throw new InputError(`Cannot read ${where}: ${code ?? (e as Error).message}${code === "ENOENT" ? " (its folder must exist)" : ""}`);
  }
  const mode = lstatSync(path).mode;
  if ((mode & 0o004) !== 0) throw new InputError(`Refusing ${where}: every user can read it (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  const lines = text.slice(0, 1024).split("\n");
  const token = (lines[0] ?? "").trim();
  if (text.length > 1024 || !TOKEN_PATTERN.test(token) || lines.slice(1).some((l) => l.trim() !== "")) {
    throw new InputError(`Cannot use ${where}: line 1: expected one token of 16 to 256 letters, digits, ".", "_", "~" or "-" on one line`);
  }
  return { token, created: false };
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
