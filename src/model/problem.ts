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
  /** Only on the summary that closes a bounded list (moreProblems): how many problems it stands for. */
  omitted?: number;
}

/** Renders a problem as one warning line: `source:line: reason: "text"`. */
export function formatProblem(p: Problem): string {
  const place = p.line === null ? p.source : `${p.source}:${p.line}${p.column === undefined ? "" : `:${p.column}`}`;
  const text = p.text === null ? "" : `: "${p.text.length > 120 ? `${p.text.slice(0, 117)}...` : p.text}"`;
  return `${place}: ${p.reason}${text}`;
}

/** Of one capture's problems, the first this many are kept with their text; the rest are only counted. */
export const KEPT_PROBLEMS = 100;

/** The summary that closes a list of problems when more were found than kept: "and N more problems". */
export function moreProblems(source: string, omitted: number): Problem {
  return { source, line: null, text: null, reason: `and ${omitted} more problem${omitted === 1 ? "" : "s"} (not kept)`, omitted };
}

/** How many problems a list stands for: those it holds, plus those its summaries (moreProblems) count. */
export function problemTotal(problems: readonly Problem[]): number {
  let total = 0;
  for (const p of problems) total += p.omitted ?? 1;
  return total;
}

/**
 * A bounded list of problems: keeps the first KEPT_PROBLEMS, counts the rest, and hands back the kept ones
 * in line order with one closing summary (moreProblems) when some were not kept. Memory stays flat
 * however many lines of a capture are bad.
 */
export class ProblemList {
  private readonly kept: Problem[] = [];
  private omitted = 0;
  constructor(private readonly source: string) {}

  push(p: Problem): void {
    if (p.omitted !== undefined) this.omitted += p.omitted;
    else if (this.kept.length < KEPT_PROBLEMS) this.kept.push(keptProblem(p));
    else this.omitted++;
  }

  /** Adds every problem of `list` (its summaries' counts too). */
  addAll(list: readonly Problem[]): void {
    for (const p of list) this.push(p);
  }

  /** The kept problems by line, then the summary of the others, if any. */
  list(): Problem[] {
    const out = [...this.kept].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    if (this.omitted > 0) out.push(moreProblems(this.source, this.omitted));
    return out;
  }
}

/** The longest excerpt of a line a kept problem holds, and the longest reason. */
const EXCERPT_CHARS = 200;
const REASON_CHARS = 400;

/**
 * A problem as a list keeps it: its excerpt (trimmed) and reason as copies of at most EXCERPT_CHARS and
 * REASON_CHARS characters. A slice of the line (or a reason quoting a word of it) would keep the whole line,
 * and through it the whole input when the line is a slice of it, alive for as long as the problem.
 */
export function keptProblem(p: Problem): Problem {
  return { ...p, text: p.text === null ? null : detachedText(p.text.trim(), EXCERPT_CHARS), reason: detachedText(p.reason, REASON_CHARS) };
}

/**
 * At most `max` characters of `text` (with "..." when cut), as a string of its own: V8 makes a slice of 13
 * or more characters a view of its parent, and joining single characters makes a fresh flat string.
 */
export function detachedText(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return cut.length < 13 ? cut : cut.split("").join("");
}

/** Two bounded lists of problems of one source as one (see ProblemList). */
export function mergeProblems(source: string, a: readonly Problem[], b: readonly Problem[]): Problem[] {
  const all = new ProblemList(source);
  all.addAll(a);
  all.addAll(b);
  return all.list();
}
