/** Verdicts from best to worst; the verdict of a socket is the worst of its reasons. */
export const VERDICTS = ["expected", "unknown", "suspicious"] as const;

/** How portwatch judges a socket. */
export type Verdict = (typeof VERDICTS)[number];

/** How bad a verdict is: its position in VERDICTS (expected 0, unknown 1, suspicious 2). */
export const VERDICT_RANK = Object.freeze(Object.fromEntries(VERDICTS.map((v, i) => [v, i]))) as Readonly<Record<Verdict, number>>;

/** Orders verdicts from best to worst: negative when `a` is better than `b`, 0 when equal. Reverse the arguments for worst first. */
export function compareVerdicts(a: Verdict, b: Verdict): number {
  return VERDICT_RANK[a] - VERDICT_RANK[b];
}

/** Zero sockets of each verdict, keys in VERDICTS' order (the JSON summary's order). */
export function verdictCounts(): Record<Verdict, number> {
  return Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
}

/** Why a socket got its verdict: the rule that fired and a message that says why. */
export interface Reason {
  rule: string;
  verdict: Verdict;
  message: string;
}
