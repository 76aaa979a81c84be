import { identityOf } from "../evaluate/identity.js";
import type { Seen } from "../model/change.js";
import type { NetworkOwner } from "../model/socket.js";
import { baselineOf, type Baseline } from "../watch/baseline-store.js";
import { byIdentity } from "../watch/diff.js";
import type { HostLook } from "./auditor.js";

export { loadBaseline, saveBaseline, type Baseline } from "../watch/baseline-store.js";
export { diffWithBaseline } from "./baseline-diff.js";

/** What a baseline took in and what it refused, beside the baseline itself. */
export interface BaselineMade {
  baseline: Baseline;
  /** How many identities the baseline holds. */
  identities: number;
  /** The unknown identities it took in: from now on they count as expected. */
  unknown: Seen[];
  /** The suspicious identities it took in because `accept` named their rule or port. */
  accepted: Seen[];
  /** The suspicious identities it left out: they keep showing in `baseline diff` until accepted or gone. */
  leftOut: Seen[];
  /** The `accept` entries that named no suspicious identity (a typo, or nothing of that kind now). */
  unmatched: (string | number)[];
}

/** The port a person would name for an identity: the remote one of an outbound flow, else the local one. */
export function portOfSeen(seen: Seen): number {
  const s = seen.socket;
  return s.direction === "outbound" && s.remote ? s.remote.port : s.local.port;
}

/** Whether `entry` (a rule name such as "irc-outbound", or a port number) names this suspicious identity. */
function names(entry: string | number, seen: Seen): boolean {
  if (typeof entry === "number") return portOfSeen(seen) === entry;
  return seen.socket.reasons.some((r) => r.verdict === "suspicious" && r.rule === entry);
}

/**
 * A baseline of one look: its identities (program, port, user; never a pid or a client port). Suspicious
 * identities are left out, so a baseline never makes what looks like an intrusion part of "normal",
 * unless `accept` names them by a rule that fired on them or by their port (`portwatch baseline save
 * --accept irc-outbound --accept 6667`). They stay suspicious in audits either way (evaluate.ts never lets
 * a baseline outweigh a suspicious rule; a policy allow rule does): accepting only keeps them out of
 * `baseline diff`.
 */
export function baselineFromLook(look: Pick<HostLook, "sockets" | "hostname" | "hostNetns">, savedAt: string, accept: readonly (string | number)[] = []): BaselineMade {
  const seen = byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns));
  // An outbound identity keeps the networks (AS) its connections went to, when the database named them.
  const networks = new Map<string, Map<number, NetworkOwner>>();
  for (const s of look.sockets) {
    const owner = s.direction === "outbound" ? s.remote?.asn : null;
    if (owner == null) continue;
    const id = identityOf(s, look.hostNetns);
    let m = networks.get(id);
    if (m === undefined) networks.set(id, m = new Map());
    if (!m.has(owner.number)) m.set(owner.number, { number: owner.number, org: owner.org });
  }
  const withNetworks = (id: string, s: Seen): Seen => {
    const m = networks.get(id);
    return m === undefined ? s : { ...s, networks: [...m.values()].sort((a, b) => a.number - b.number) };
  };
  const kept = new Map<string, Seen>();
  const unknown: Seen[] = [], accepted: Seen[] = [], leftOut: Seen[] = [];
  const used = new Set<string | number>();
  for (const [id, s] of seen) {
    if (s.verdict === "suspicious") {
      const by = accept.filter((entry) => names(entry, s));
      for (const entry of by) used.add(entry);
      if (by.length === 0) { leftOut.push(s); continue; }
      accepted.push(s);
    } else if (s.verdict === "unknown") unknown.push(s);
    kept.set(id, withNetworks(id, s));
  }
  const order = (a: Seen, b: Seen) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0);
  return {
    baseline: baselineOf(kept, look.hostname, savedAt), identities: kept.size,
    unknown: unknown.sort(order), accepted: accepted.sort(order), leftOut: leftOut.sort(order),
    unmatched: accept.filter((entry) => !used.has(entry)),
  };
}
