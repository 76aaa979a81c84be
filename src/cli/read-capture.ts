import { createReadStream } from "node:fs";
import { captureReader, detectFormat, unknownFormatError, type CaptureFormat, type CaptureResult, type ServicePort } from "../audit/capture.js";
import { InputError } from "../model/errors.js";
import { KEPT_PROBLEMS, mergeProblems, moreProblems, type Problem } from "../model/problem.js";

/** The longest capture line read (1 MiB): a longer one is skipped, as a problem with its place. */
export const MAX_LINE_BYTES = 1 << 20;
/** The first lines decide the format: at most this many, and at most this many bytes of them. */
const HEAD_LINES = 200;
const HEAD_BYTES = 4 << 20;

/**
 * Splits a byte stream into lines as readline does (at "\n", "\r\n" or a lone "\r"), without ever holding
 * more than `max` bytes of one line: a longer line is skipped and handed to `tooLong` with its length and
 * its start. Each line is decoded on its own (a fresh string: what a reader keeps of it holds nothing else).
 */
export function lineSplitter(max: number, line: (text: string) => void, tooLong: (bytes: number, start: string) => void): { push(chunk: Buffer): void; end(): void } {
  let parts: Buffer[] = [];
  let size = 0;
  let skipped = -1; // bytes of a line being skipped, or -1
  let start = "";
  let pendingCR = false; // the last chunk ended in "\r": a "\n" first in the next one belongs to it
  const take = (buf: Buffer, from: number, to: number) => {
    if (to <= from) return;
    if (skipped >= 0) { skipped += to - from; return; }
    if (size + (to - from) > max) {
      const all = Buffer.concat([...parts, buf.subarray(from, Math.min(to, from + 120))]);
      start = all.subarray(0, 120).toString("utf8");
      skipped = size + (to - from);
      parts = []; size = 0;
      return;
    }
    parts.push(buf.subarray(from, to)); // a view: copied once, when the line ends
    size += to - from;
  };
  const finishLine = () => {
    if (skipped >= 0) { tooLong(skipped, start); skipped = -1; start = ""; return; }
    const text = parts.length === 1 ? (parts[0] as Buffer).toString("utf8") : Buffer.concat(parts, size).toString("utf8");
    parts = []; size = 0;
    line(text);
  };
  return {
    push(buf) {
      let i = 0;
      if (pendingCR) { pendingCR = false; if (buf[0] === 10) i = 1; }
      let lf = buf.indexOf(10, i), cr = buf.indexOf(13, i);
      while (lf >= 0 || cr >= 0) {
        const at = cr >= 0 && (lf < 0 || cr < lf) ? cr : lf;
        take(buf, i, at);
        finishLine();
        i = at + 1;
        if (at === cr) {
          if (i === buf.length) pendingCR = true;
          else if (buf[i] === 10) i++;
          cr = buf.indexOf(13, i);
        }
        if (lf >= 0 && lf < i) lf = buf.indexOf(10, i);
      }
      take(buf, i, buf.length);
    },
    end() {
      if (size > 0 || skipped >= 0) finishLine();
    },
  };
}

/**
 * Reads a capture from a file or stdin ("-") as a stream, line by line: the first 200 lines decide the
 * format (unless one is given), then every line goes to that format's reader, so a million-line capture
 * never sits in memory as text, and no line is held beyond MAX_LINE_BYTES (a longer one is a problem).
 */
export async function readCapture(path: string, options: { format?: CaptureFormat; servicePort: ServicePort }): Promise<CaptureResult & { detected: boolean }> {
  const source = path === "-" ? "stdin" : path;
  const input = path === "-" ? process.stdin : createReadStream(path);
  const failed = (e: NodeJS.ErrnoException) => new InputError(`Cannot read capture "${path}": ${e.code ?? e.message}${e.code === "ENOENT" ? " (no such file)" : e.code === "EISDIR" ? " (a folder, not a file)" : ""}`);
  const opened = new Promise<void>((ok, fail) => {
    if (path === "-") { ok(); return; }
    input.once("open", () => ok());
    input.once("error", (e: NodeJS.ErrnoException) => fail(failed(e)));
  });
  await opened;
  const head: string[] = [];
  let headBytes = 0;
  let reader: ReturnType<typeof captureReader> | null = null;
  let format: CaptureFormat | null = options.format ?? null;
  let n = 0;
  const skipped: Problem[] = [];
  let skippedMore = 0;
  const start = () => {
    if (format === null) format = detectFormat(head).format;
    if (format === null && skipped.length > 0 && head.every((l) => l.trim() === "")) {
      const first = skipped[0] as Problem;
      throw new InputError(`Cannot read capture "${source}": line ${first.line}: ${first.reason}, and no line before it is a capture's (is it a capture? give --format if it is)`);
    }
    if (format === null) throw unknownFormatError(source, head.length === 0);
    reader = captureReader(format, { source, servicePort: options.servicePort });
    head.forEach((l, i) => reader?.line(l, i + 1));
  };
  // Progress on a terminal for long captures: a line on stderr, redrawn in place, cleared at the end.
  const progress = process.stderr.isTTY === true;
  const lines = lineSplitter(MAX_LINE_BYTES, (line) => {
    n++;
    if (progress && n % 100_000 === 0) process.stderr.write(`\rreading ${source}: ${n.toLocaleString("en")} lines…`);
    if (reader === null) {
      head.push(line);
      headBytes += line.length;
      if (head.length >= HEAD_LINES || headBytes >= HEAD_BYTES) start();
      return;
    }
    (reader as ReturnType<typeof captureReader>).line(line, n);
  }, (bytes, text) => {
    n++;
    // At most one per MiB of input, and only the first KEPT_PROBLEMS kept (the rest counted), like the readers' problems.
    if (skipped.length >= KEPT_PROBLEMS) { skippedMore++; return; }
    skipped.push({ source, line: n, text, reason: `the line is ${bytes.toLocaleString("en")} bytes long, more than a capture line may be (${MAX_LINE_BYTES.toLocaleString("en")}); skipped` });
  });
  try {
    for await (const chunk of input) lines.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk as Buffer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw failed(e as NodeJS.ErrnoException);
    throw e;
  }
  lines.end();
  if (progress && n >= 100_000) process.stderr.write("\r\u001b[K");
  if (reader === null) start();
  const r = reader as unknown as ReturnType<typeof captureReader>;
  const result = r.finish();
  if (skippedMore > 0) skipped.push(moreProblems(source, skippedMore));
  const problems = skipped.length === 0 ? result.problems : mergeProblems(source, result.problems, skipped);
  return { ...result, problems, format, hostname: r.hostname?.() ?? null, detected: options.format === undefined };
}
