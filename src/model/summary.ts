import type { Socket } from "./socket.js";
import { verdictCounts, type Verdict } from "./verdict.js";

/** Counts sockets per verdict. */
export function summarize(sockets: readonly Pick<Socket, "verdict">[]): Record<Verdict, number> {
  const summary = verdictCounts();
  for (const s of sockets) summary[s.verdict]++;
  return summary;
}
