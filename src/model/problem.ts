/** One line or item a parser or collector could not use: where it was, what it was, and why. */
export interface Problem {
  /** File or source the line came from, e.g. "/proc/net/tcp" or "capture.txt". */
  source: string;
  /** 1-based line number, when the problem is about a line. */
  line: number | null;
  /** 1-based column where the bad part starts, when known. */
  column?: number;
  /** The raw text (trimmed to a sane length), when there is one. */
  text: string | null;
  /** Why it could not be used, in plain words. */
  reason: string;
}

/** Renders a problem as one warning line: `source:line: reason: "text"`. */
export function formatProblem(p: Problem): string {
  const place = p.line === null ? p.source : `${p.source}:${p.line}${p.column === undefined ? "" : `:${p.column}`}`;
  const text = p.text === null ? "" : `: "${p.text.length > 120 ? `${p.text.slice(0, 117)}...` : p.text}"`;
  return `${place}: ${p.reason}${text}`;
}
