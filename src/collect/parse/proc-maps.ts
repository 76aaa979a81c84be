import type { Problem } from "../../model/problem.js";

/*
 * What a process loaded, from three kinds of text (Linux 6.x, glibc 2.36):
 *
 *   /proc/<pid>/maps: one mapping a line, "address perms offset dev inode pathname"; the pathname is
 *   padded to a column, may hold spaces, and ends in " (deleted)" once the file is gone; memfd_create
 *   files read "/memfd:NAME (deleted)"; anonymous mappings have none, special ones a bracketed name:
 *     55d4c5a00000-55d4c5a28000 r--p 00000000 fe:00 260689                     /usr/bin/python3.11
 *     7f3e2c1d4000-7f3e2c1d5000 r-xp 00001000 00:1a 12                         /dev/shm/libx.so (deleted)
 *     7ffd5a9f0000-7ffd5aa11000 rw-p 00000000 00:00 0                          [stack]
 *     7f3e2c000000-7f3e2c021000 rw-p 00000000 00:00 0
 *   /proc/<pid>/environ: the environment the program started with, "NAME=value\0NAME=value\0"
 *   (readable by its user and root).
 *   LD_PRELOAD's value and /etc/ld.so.preload: library paths separated by white space or ':'
 *   (ld.so(8)); in /etc/ld.so.preload a '#' starts a comment that runs to the end of the line.
 */

/** One line of /proc/<pid>/maps. */
export interface Mapping {
  start: bigint;
  end: bigint;
  /** "r-xp": read, write, execute, private (p) or shared (s). */
  perms: string;
  offset: bigint;
  /** Device "major:minor", in hex as the kernel prints it. */
  dev: string;
  inode: number;
  /** The file or special name, without " (deleted)"; null for an anonymous mapping. */
  path: string | null;
  /** The kernel marked the file " (deleted)". */
  deleted: boolean;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)(?: +(.*))?$/;

/** The mappings of a maps file; a line that does not have the six fields is a problem. */
export function parseMaps(text: string, source: string): { records: Mapping[]; problems: Problem[] } {
  const records: Mapping[] = [];
  const problems: Problem[] = [];
  let n = 0;
  for (const line of text.split("\n")) {
    n++;
    if (line === "") continue;
    const m = MAPS_LINE.exec(line);
    if (m === null) { problems.push({ source, line: n, text: line, reason: "not \"address perms offset dev inode pathname\"" }); continue; }
    const raw = m[7] ?? "";
    const deleted = raw.endsWith(" (deleted)");
    const path = deleted ? raw.slice(0, -10) : raw;
    records.push({
      start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3] as string, offset: BigInt(`0x${m[4]}`),
      dev: m[5] as string, inode: Number(m[6]), path: path === "" ? null : path, deleted,
    });
  }
  return { records, problems };
}

/** The files mapped executable (code), once each in the order first mapped, with whether the kernel says deleted. */
export function executableFiles(mappings: readonly Mapping[]): { path: string; deleted: boolean }[] {
  const seen = new Map<string, { path: string; deleted: boolean }>();
  for (const m of mappings) {
    if (m.perms[2] !== "x" || m.path === null || !m.path.startsWith("/")) continue;
    const had = seen.get(m.path);
    if (had === undefined) seen.set(m.path, { path: m.path, deleted: m.deleted });
    else if (m.deleted) had.deleted = true;
  }
  return [...seen.values()];
}

/** The value of one variable in an environ file's text; null when it is not set. The first occurrence wins, as getenv's does. */
export function environValue(text: string, name: string): string | null {
  const prefix = `${name}=`;
  for (const entry of text.split("\0")) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return null;
}

/**
 * Files and folders of code that an interpreter's environment makes it load before or beside its program
 * (node(1) NODE_OPTIONS --require/-r/--import/--loader; ruby(1) RUBYOPT -r; bash(1) BASH_ENV and sh's ENV;
 * python(1) PYTHONSTARTUP and PYTHONPATH; perl(1) PERL5LIB and PERL5OPT -I; RUBYLIB, NODE_PATH): absolute
 * paths only, each once. `code from env`: `NODE_OPTIONS='--require /dev/shm/x.js' node app.js` runs x.js
 * though the command line shows only app.js.
 */
export function environCode(text: string): string[] {
  const out = new Set<string>();
  const add = (path: string | undefined) => { if (path !== undefined && path.startsWith("/")) out.add(path); };
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const name = entry.slice(0, eq), value = entry.slice(eq + 1);
    switch (name) {
      case "NODE_OPTIONS": case "RUBYOPT": case "PERL5OPT": {
        const words = value.split(/\s+/).filter((w) => w !== "");
        for (let i = 0; i < words.length; i++) {
          const m = /^(--require|--import|--loader|--experimental-loader|-r|-I)(=?)(.*)$/.exec(words[i] as string);
          if (m === null) continue;
          add(m[3] !== "" ? m[3] : words[++i]);
        }
        break;
      }
      case "BASH_ENV": case "ENV": case "PYTHONSTARTUP": add(value); break;
      case "PYTHONPATH": case "PERL5LIB": case "RUBYLIB": case "NODE_PATH":
        for (const dir of value.split(":")) add(dir);
        break;
    }
  }
  return [...out];
}

/** The library paths of an LD_PRELOAD value (white space or ':' between them). */
export function splitPreload(value: string): string[] {
  return value.split(/[\s:]+/).filter((p) => p !== "");
}

/** The library paths /etc/ld.so.preload lists (white space or ':' between them, '#' comments). */
export function parseLdSoPreload(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const hash = line.indexOf("#");
    return splitPreload(hash >= 0 ? line.slice(0, hash) : line);
  });
}
