import { fstatSync } from "node:fs";
import { HeldOutput, writeAllSync } from "./held-output.js";
import { InputError } from "../model/errors.js";
import { createRequire } from "node:module";

/** Where a command writes: stdout and stderr, with what is known about the terminal. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Terminal width of stdout, or undefined when stdout is not a terminal. */
  width: number | undefined;
  /** Whether to use colour on stdout. */
  color: boolean;
  /**
   * For one long burst of output (`audit --json` of 200,000 sockets): stdout is written in 1 MiB pieces by
   * a background thread while the caller goes on (cli/held-output.ts), until `release`; what goes to stderr
   * meanwhile follows stdout's rest. Absent where output is not a file descriptor (tests).
   */
  hold?(): Hold;
}

/** A burst of held output (Output.hold). Both promises reject with the broken-pipe error when the reader went away. */
export interface Hold {
  /** Undefined while little waits to be written; else a promise to await before producing more. */
  drain(): Promise<void> | undefined;
  /** Writes what is left (stdout, then what stderr got meanwhile). */
  release(): Promise<void>;
}

class BrokenPipe extends Error {}

// One buffer for all output: big outputs (100 MB of JSON) are written through it in pieces, so no
// per-piece Buffer is left for the garbage collector.
const scratch = Buffer.allocUnsafe(1 << 18);
const encoder = new TextEncoder();

// While stdout is held (Output.hold): the writer, and what stderr got meanwhile.
let held: { out: HeldOutput; err: string[] } | null = null;

function writeAll(fd: number, text: string): void {
  try {
    if (fd === 1 && held !== null) return held.out.out(text);
    if (fd === 2 && held !== null) { held.err.push(text); return; } // after stdout's rest, in order
    for (let rest = text; rest.length > 0;) {
      const { read, written } = encoder.encodeInto(rest, scratch);
      writeAllSync(fd, scratch.subarray(0, written));
      rest = read >= rest.length ? "" : rest.slice(read);
    }
  } catch (e) {
    throw writeFailure(e, fd);
  }
}

// What a failed write means to the user, by its errno code (ENOSPC: a full disk, EIO, EFBIG, EDQUOT ...).
const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: "no space is left on the device; free some, or write the output elsewhere",
  EDQUOT: "the disk quota is used up; free some space, or write the output elsewhere",
  EFBIG: "the file would grow beyond what its file system or the process's limit (ulimit -f) allows",
  EIO: "the device reported an input/output error",
  EROFS: "the file system is read-only",
};

/**
 * A write that failed: the reader went away (EPIPE: `| head`, not an error), or the output cannot be
 * written (a full disk): an InputError naming the cause, not a crash.
 */
function writeFailure(e: unknown, fd: number): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === "EPIPE") return new BrokenPipe("stdout closed");
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return e;
  const why = WRITE_FAILURES[code] ?? (e instanceof Error ? e.message : code);
  return new InputError(`Cannot write the output to ${fd === 2 ? "stderr" : "stdout"}: ${why} (${code})`);
}

const stdoutFailure = (e: unknown): unknown => writeFailure(e, 1);

/** Output.hold for stdout (see there). */
function holdStdout(): Hold {
  if (held !== null) return { drain: () => undefined, release: async () => {} };
  const h = { out: new HeldOutput(1), err: [] as string[] };
  held = h;
  return {
    drain: () => h.out.drain()?.catch((e: unknown) => { throw stdoutFailure(e); }),
    release: async () => {
      try {
        await h.out.release();
      } catch (e) {
        throw stdoutFailure(e);
      } finally {
        held = null;
        for (const text of h.err) writeAll(2, text);
      }
    },
  };
}

/** True for the error thrown when the reader of our output went away (`portwatch | head`). */
export function isBrokenPipe(e: unknown): boolean {
  return e instanceof BrokenPipe;
}

/**
 * Whether `fd` is a terminal, without making Node's stdout stream (output goes through writeSync): a pipe
 * or a file is not, which fstat says in one call; node:tty, which loads Node's net and stream modules,
 * only decides between a terminal and another character device such as /dev/null.
 */
function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return (createRequire(import.meta.url)("node:tty") as typeof import("node:tty")).isatty(fd);
}

/** The process's real stdout/stderr; colour only on a terminal unless NO_COLOR/FORCE_COLOR say otherwise. */
export function processOutput(colorFlag?: boolean): Output {
  const tty = isTerminal(1);
  const env = process.env;
  const color = colorFlag ?? (env["NO_COLOR"] ? false : env["FORCE_COLOR"] ? env["FORCE_COLOR"] !== "0" : tty);
  return {
    out: (t) => writeAll(1, t),
    err: (t) => writeAll(2, t),
    width: tty ? process.stdout.columns || 80 : undefined,
    color,
    hold: holdStdout,
  };
}
