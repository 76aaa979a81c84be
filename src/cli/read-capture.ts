import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { captureReader, detectFormat, unknownFormatError, type CaptureFormat, type CaptureResult, type ServicePort } from "../audit/capture.js";
import { InputError } from "../model/errors.js";

/**
 * Reads a capture from a file or stdin ("-") as a stream, line by line: the first 200 lines decide the
 * format (unless one is given), then every line goes to that format's reader, so a million-line capture
 * never sits in memory as text.
 */
export async function readCapture(path: string, options: { format?: CaptureFormat; servicePort: ServicePort }): Promise<CaptureResult & { detected: boolean }> {
  const source = path === "-" ? "stdin" : path;
  const input = path === "-" ? process.stdin : createReadStream(path);
  const opened = new Promise<void>((ok, fail) => {
    if (path === "-") { ok(); return; }
    input.once("open", () => ok());
    input.once("error", (e: NodeJS.ErrnoException) => fail(new InputError(`Cannot read capture "${path}": ${e.code ?? e.message}${e.code === "ENOENT" ? " (no such file)" : ""}`)));
  });
  await opened;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const head: string[] = [];
  let reader: ReturnType<typeof captureReader> | null = null;
  let format: CaptureFormat | null = options.format ?? null;
  let n = 0;
  const start = () => {
    if (format === null) format = detectFormat(head).format;
    if (format === null) throw unknownFormatError(source, head.length === 0);
    reader = captureReader(format, { source, servicePort: options.servicePort });
    head.forEach((l, i) => reader?.line(l, i + 1));
  };
  // Progress on a terminal for long captures: a line on stderr, redrawn in place, cleared at the end.
  const progress = process.stderr.isTTY === true;
  for await (const line of lines) {
    n++;
    if (progress && n % 100_000 === 0) process.stderr.write(`\rreading ${source}: ${n.toLocaleString("en")} lines…`);
    if (reader === null) {
      head.push(line);
      if (head.length >= 200) start();
      continue;
    }
    (reader as ReturnType<typeof captureReader>).line(line, n);
  }
  if (progress && n >= 100_000) process.stderr.write("\r\u001b[K");
  if (reader === null) start();
  const r = reader as unknown as ReturnType<typeof captureReader>;
  return { ...r.finish(), format, hostname: r.hostname?.() ?? null, detected: options.format === undefined };
}
