import type { ChangeEvent } from "../model/change.js";
import { VERDICT_RANK } from "../model/verdict.js";

/**
 * Which changes are alerts: a socket that appeared, or changed verdict, and is now unknown or
 * suspicious — each identity at most once per watch (a service that restarts is no new alert), and
 * again only when its verdict gets worse; and such a listener the firewall now lets in (reach-changed
 * to open or restricted).
 */
export function alertFilter(): (e: ChangeEvent) => boolean {
  const alerted = new Map<string, number>();
  return (e) => {
    if (e.type === "disappeared" || e.socket.verdict === "expected") return false;
    // the firewall opened a listener that is not expected: news even when its identity alerted before
    if (e.type === "reach-changed") return e.socket.reach?.kind === "open" || e.socket.reach?.kind === "restricted";
    const level = VERDICT_RANK[e.socket.verdict];
    const before = alerted.get(e.identity);
    if (before !== undefined && before >= level) return false;
    alerted.set(e.identity, level);
    return true;
  };
}
