import { fstatSync, writeSync } from "node:fs";
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
   * For one long burst of output (`audit --json` of 200,000 sockets): stdout gathers in a 1 MiB buffer
   * and goes out a full buffer at a time, until the returned function is called (it writes what is left).
   * Each write to a pipe or socket wakes its reader; 250 MB in 128 KiB pieces is 2,000 wake-ups, a
   * tenth of the audit's time on a 2-core VM. Absent where output is not a file descriptor (tests).
   */
  hold?(): () => void;
}

class BrokenPipe extends Error {}

// One buffer for all output: big outputs (100 MB of JSON) are written through it in pieces, so no
// per-piece Buffer is left for the garbage collector.
const scratch = Buffer.allocUnsafe(1 << 18);
const encoder = new TextEncoder();

// What `hold` gathers for stdout: bytes [0, held.used) of held.buf, or null when output is not held.
let held: { buf: Buffer; used: number } | null = null;
const HOLD_BYTES = 1 << 20;

function writeBytes(fd: number, bytes: Uint8Array): void {
  let buf = bytes;
  while (buf.length > 0) {
    let n: number;
    try { n = writeSync(fd, buf); } catch (e) {
      if ((e as { code?: string }).code === "EAGAIN") continue; // a non-blocking pipe that is full: try again
      throw e;
    }
    buf = buf.subarray(n);
  }
}

function writeAll(fd: number, text: string): void {
  try {
    if (fd === 1 && held !== null) return holdText(held, text);
    if (fd === 2) flushHeld(); // what stdout held goes out before a warning
    for (let rest = text; rest.length > 0;) {
      const { read, written } = encoder.encodeInto(rest, scratch);
      writeBytes(fd, scratch.subarray(0, written));
      rest = read >= rest.length ? "" : rest.slice(read);
    }
  } catch (e) {
    if ((e as { code?: string }).code === "EPIPE") throw new BrokenPipe("stdout closed");
    throw e;
  }
}

/** Appends `text` to what stdout holds, writing the buffer out each time it fills. */
function holdText(h: { buf: Buffer; used: number }, text: string): void {
  for (let rest = text; rest.length > 0;) {
    const { read, written } = encoder.encodeInto(rest, h.buf.subarray(h.used));
    h.used += written;
    rest = read >= rest.length ? "" : rest.slice(read);
    // Full (encodeInto stops before a character that does not fit whole): out with it.
    if (rest.length > 0 || h.used > h.buf.length - 4) {
      writeBytes(1, h.buf.subarray(0, h.used));
      h.used = 0;
    }
  }
}

/** Writes out what stdout holds. */
function flushHeld(): void {
  if (held === null || held.used === 0) return;
  const bytes = held.buf.subarray(0, held.used);
  held.used = 0;
  try {
    writeBytes(1, bytes);
  } catch (e) {
    if ((e as { code?: string }).code === "EPIPE") throw new BrokenPipe("stdout closed");
    throw e;
  }
}

/** Output.hold for stdout (see there). */
function holdStdout(): () => void {
  if (held !== null) return () => {};
  held = { buf: Buffer.allocUnsafe(HOLD_BYTES), used: 0 };
  return () => {
    try {
      flushHeld();
    } finally {
      held = null;
    }
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
