import { closeSync, openSync, readFileSync, readlinkSync, readSync } from "node:fs";

// Fault-tolerant reading of proc files: processes exit while we read them, so most reads here may fail
// and say so with null (or with an error the caller sorts out with errCode and vanished).

/** How much of a proc table is read before it is decoded and parsed (see readLines). */
export const CHUNK = 1 << 20;

/** The errno name of a file-system error ("ENOENT", "EACCES", ...), or "" for anything else. */
export function errCode(e: unknown): string {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "";
}

/** An error that means the process (or file) went away while we read it: skipped without noise. */
export function vanished(e: unknown): boolean {
  const c = errCode(e);
  return c === "ENOENT" || c === "ESRCH" || c === "ENOTDIR";
}

/** A symbolic link's target, or null when it cannot be read (gone, no right). */
export function tryReadlink(path: string): string | null {
  try { return readlinkSync(path); } catch { return null; }
}

/** A whole file, or null when it cannot be read (gone, no right). */
export function tryRead(path: string, encoding: BufferEncoding = "utf8"): string | null {
  try { return readFileSync(path, encoding); } catch { return null; }
}

const small = Buffer.allocUnsafe(4096);

/**
 * A small proc file (stat: under 400 bytes) as UTF-8 text, as the comm file is read, or null when it cannot be read: one open, one
 * read and one close into a shared buffer, about a third of tryRead's cost (no fstat, no new buffer), for
 * the files read once per process on every look.
 */
export function tryReadSmall(path: string): string | null {
  let fd: number;
  try { fd = openSync(path, "r"); } catch { return null; }
  try { return small.toString("utf8", 0, readSync(fd, small, 0, small.length, 0)); } catch { return null; } finally { closeSync(fd); }
}

/** A whole file as latin1 text, or "" when there is no such file (a table this kernel lacks); other errors are thrown. */
export function readIfThere(path: string): string {
  try { return readFileSync(path, "latin1"); } catch (e) {
    if (errCode(e) !== "ENOENT") throw e;
    return "";
  }
}

/**
 * Reads a proc table in chunks of about 1 MiB and hands whole lines to `each`, so a 30 MB table never
 * sits in memory twice. The kernel answers a read of /proc/net/tcp with one page at a time, so the
 * buffer is filled by many reads before it is decoded and parsed once. With a small `chunk`, each page
 * is handed on at once; `each` returns true when it has read enough.
 */
export function readLines(path: string, each: (text: string, firstLine: number) => boolean | void, chunk = CHUNK): void {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(chunk);
    let carry = "";
    let line = 1;
    for (let eof = false; !eof;) {
      let filled = 0;
      while (filled === 0 || filled < chunk - 65536) {
        const n = readSync(fd, buf, filled, chunk - filled, null);
        if (n === 0) { eof = true; break; }
        filled += n;
      }
      if (filled === 0) break;
      const text = carry + buf.toString("latin1", 0, filled);
      const cut = text.lastIndexOf("\n") + 1;
      if (cut === 0) { carry = text; continue; }
      if (each(cut === text.length ? text : text.slice(0, cut), line) === true) return; // the reader has what it wanted
      for (let i = text.indexOf("\n"); i >= 0 && i < cut; i = text.indexOf("\n", i + 1)) line++;
      carry = text.slice(cut);
    }
    if (carry !== "") each(carry, line);
  } finally {
    closeSync(fd);
  }
}
