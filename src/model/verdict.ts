/** Verdicts from best to worst; the verdict of a socket is the worst of its reasons. */
export const VERDICTS = ["expected", "unknown", "suspicious"] as const;

/** How portwatch judges a socket. */
export type Verdict = (typeof VERDICTS)[number];

/** Why a socket got its verdict: the rule that fired and a message that says why. */
export interface Reason {
  rule: string;
  verdict: Verdict;
  message: string;
}
