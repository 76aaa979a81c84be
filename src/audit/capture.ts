import { captureReader, detectFormat, parseCapture, type CaptureResult } from "../collect/parse/capture.js";
import { CAPTURE_FORMATS, type CaptureFormat } from "../collect/parse/capture-formats.js";
import type { ServicePort } from "../collect/parse/capture-common.js";
import { InputError } from "../model/errors.js";
import type { Auditor, ReadCapture } from "./auditor.js";

export { captureReader, detectFormat, CAPTURE_FORMATS, type CaptureFormat, type CaptureResult, type ServicePort };

/** The error for a capture in no known format (or empty), with what to do next. */
export function unknownFormatError(name: string, empty: boolean): InputError {
  return new InputError(`Cannot read capture "${name}": ${empty ? "it is empty" : `it is in no format portwatch knows (tried: ${CAPTURE_FORMATS.join(", ")})`}; give --format if it is one of them`);
}

/** Reads a whole capture given as text (the library's `audit({ capture })`; the command line streams files). */
export function readCaptureText(auditor: Auditor, text: string, options: { format?: CaptureFormat; name?: string } = {}): ReadCapture {
  const name = options.name ?? "capture";
  const format = options.format ?? detectFormat(text.split("\n", 200)).format;
  if (format === null) throw unknownFormatError(name, text.trim() === "");
  const r = parseCapture(text, { format, source: name, servicePort: (n, proto) => auditor.registry.port(n, proto) });
  return { records: r.records, problems: r.problems, notes: r.notes, format, hostname: r.hostname, detected: options.format === undefined, name };
}
