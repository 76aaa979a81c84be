import type { Socket } from "./socket.js";
import type { Verdict } from "./verdict.js";

/** Counts sockets per verdict. */
export function summarize(sockets: readonly Pick<Socket, "verdict">[]): Record<Verdict, number> {
  const summary: Record<Verdict, number> = { expected: 0, unknown: 0, suspicious: 0 };
  for (const s of sockets) summary[s.verdict]++;
  return summary;
}
