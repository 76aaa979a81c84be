import type { Problem } from "../../model/problem.js";

/*
 * The dpkg database (/var/lib/dpkg on Debian 12, dpkg 1.21), read as text:
 *
 *   info/<package>[:<arch>].list      every path the package installed, one a line, from "/." on
 *                                     (":<arch>" only for Multi-Arch: same packages, e.g. "libc6:amd64.list"):
 *     /.
 *     /usr/bin
 *     /usr/bin/python3.11
 *   info/<package>[:<arch>].md5sums   md5, two spaces, the path without its leading slash; files only
 *                                     (no directories, no conffiles):
 *     61b1600a764d9e2947a52ad348b2b0dd  usr/bin/python3.11
 *   status                            one stanza per package: "Field: value" lines (continuation lines
 *                                     start with a space), stanzas separated by a blank line:
 *     Package: python3.11-minimal
 *     Status: install ok installed
 *     Architecture: amd64
 *     Version: 3.11.2-6+deb12u6
 *   diversions                        three lines per diversion: the path the packages ship, where the
 *                                     diverted file lives instead, the diverting package (":" for a local one):
 *     /bin/sh
 *     /bin/sh.distrib
 *     dash
 */

/** A package's name and architecture from the stem of its info files ("libc6:amd64" → libc6, amd64). */
export function splitStem(stem: string): { name: string; arch: string | null } {
  const at = stem.indexOf(":");
  return at < 0 ? { name: stem, arch: null } : { name: stem.slice(0, at), arch: stem.slice(at + 1) };
}

/** The paths of a .list file; a line that is not an absolute path is a problem. */
export function parseDpkgList(text: string, source: string): { records: string[]; problems: Problem[] } {
  const records: string[] = [];
  const problems: Problem[] = [];
  eachLine(text, (line, n) => {
    if (line.startsWith("/")) records.push(line);
    else problems.push({ source, line: n, text: line, reason: "not an absolute path" });
  });
  return { records, problems };
}

/** Whether a .list file's text names `path` on a line of its own (without splitting the file). */
export function listHasPath(text: string, path: string): boolean {
  if (path === "") return false;
  let at = text.indexOf(path);
  while (at >= 0) {
    const end = at + path.length;
    if ((at === 0 || text[at - 1] === "\n") && (end === text.length || text[end] === "\n")) return true;
    at = text.indexOf(path, at + 1);
  }
  return false;
}

/** One line of a .md5sums file: the file (with its leading slash put back) and its recorded md5. */
export interface Md5Entry {
  path: string;
  md5: string;
}

const MD5_LINE = /^([0-9a-fA-F]{32}) [ *](.+)$/;

/** The entries of a .md5sums file (md5sum's output format; dpkg writes two spaces). */
export function parseMd5sums(text: string, source: string): { records: Md5Entry[]; problems: Problem[] } {
  const records: Md5Entry[] = [];
  const problems: Problem[] = [];
  eachLine(text, (line, n) => {
    const m = MD5_LINE.exec(line);
    if (m === null) { problems.push({ source, line: n, text: line, reason: "not \"<32 hex digits>  <path>\"" }); return; }
    const rel = m[2] as string;
    records.push({ path: rel.startsWith("/") ? rel : `/${rel}`, md5: (m[1] as string).toLowerCase() });
  });
  return { records, problems };
}

/** What portwatch needs of one stanza of dpkg's status file. */
export interface StatusEntry {
  package: string;
  architecture: string | null;
  version: string | null;
  /** "install ok installed" for an installed package. */
  status: string | null;
}

/** The stanzas of dpkg's status file (only the fields portwatch uses); a stanza without "Package:" is a problem. */
export function parseDpkgStatus(text: string, source: string): { records: StatusEntry[]; problems: Problem[] } {
  const records: StatusEntry[] = [];
  const problems: Problem[] = [];
  let entry: Partial<StatusEntry> = {};
  let first = 0;
  let any = false;
  const close = () => {
    if (any) {
      if (entry.package) records.push({ package: entry.package, architecture: entry.architecture ?? null, version: entry.version ?? null, status: entry.status ?? null });
      else problems.push({ source, line: first, text: null, reason: "a stanza without a Package field" });
    }
    entry = {};
    any = false;
  };
  eachLine(text, (line, n) => {
    if (line === "") { close(); return; }
    if (!any) { any = true; first = n; }
    if (line.startsWith(" ") || line.startsWith("\t")) return; // a continuation line (Description, Conffiles)
    const colon = line.indexOf(":");
    if (colon <= 0) { problems.push({ source, line: n, text: line, reason: "not \"Field: value\"" }); return; }
    const value = line.slice(colon + 1).trim();
    switch (line.slice(0, colon)) {
      case "Package": entry.package = value; break;
      case "Architecture": entry.architecture = value; break;
      case "Version": entry.version = value; break;
      case "Status": entry.status = value; break;
    }
  }, true);
  close();
  return { records, problems };
}

/** One diversion: packages ship `from`, the diverted file lives at `to`, and `by` (null: the administrator) diverted it. */
export interface Diversion {
  from: string;
  to: string;
  by: string | null;
}

/** The diversions file: groups of three lines; an incomplete group or a relative path is a problem. */
export function parseDiversions(text: string, source: string): { records: Diversion[]; problems: Problem[] } {
  const records: Diversion[] = [];
  const problems: Problem[] = [];
  const lines: [string, number][] = [];
  eachLine(text, (line, n) => { lines.push([line, n]); });
  for (let i = 0; i < lines.length; i += 3) {
    const [from, n] = lines[i] as [string, number];
    const to = lines[i + 1]?.[0];
    const by = lines[i + 2]?.[0];
    if (to === undefined || by === undefined) { problems.push({ source, line: n, text: from, reason: "an incomplete diversion (three lines each)" }); break; }
    if (!from.startsWith("/") || !to.startsWith("/")) { problems.push({ source, line: n, text: from, reason: "a diversion of a relative path" }); continue; }
    records.push({ from, to, by: by === ":" ? null : by });
  }
  return { records, problems };
}

/** Calls `each` with every line and its 1-based number, without the last empty line; `keepEmpty` also hands on empty lines. */
function eachLine(text: string, each: (line: string, n: number) => void, keepEmpty = false): void {
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    n++;
    const line = text.slice(start, end);
    if (line !== "" || keepEmpty) each(line, n);
    start = end + 1;
  }
}
