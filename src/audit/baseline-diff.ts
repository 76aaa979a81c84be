// "What changed since the baseline", written once for `portwatch baseline diff` and for the dashboard's
// "since the baseline" panel (serve/server.ts), so the two always agree.
//
// The two look at the host differently: `baseline diff` judges without the baseline (the baseline is what
// it compares with), while `portwatch serve` judges with it, so that a baselined socket reads "expected
// (baseline)" in its list. Compared as they are, every baselined socket that was unknown when the baseline
// was saved would read as a verdict change (unknown -> expected). So the comparison takes each socket's
// verdict *without the baseline*, which its reasons tell (evaluate/evaluate.ts, steps 3-5):
//   - a socket the policy decided (a "policy:allow" or "policy:deny" reason) has the policy's verdict,
//     with or without the baseline;
//   - otherwise the baseline only added its reason ("baseline", expected) and made the verdict expected:
//     the verdict without it is the worst of the other reasons, "unknown" when none is left;
//   - a connection to or from a listener of this computer carries that listener's verdict ("local-peer"),
//     which the baseline may have raised too: it is the listener's verdict without the baseline.
// A look judged without a baseline has no "baseline" reason, and every verdict stays as it is.
import { identityOf } from "../evaluate/identity.js";
import { isLoopback } from "../model/address.js";
import type { ChangeEvent, Seen } from "../model/change.js";
import { portKey } from "../model/protocol.js";
import type { Socket } from "../model/socket.js";
import { compareVerdicts, type Reason, type Verdict } from "../model/verdict.js";
import type { Baseline } from "../watch/baseline-store.js";
import { diff } from "../watch/diff.js";
import type { HostLook } from "./auditor.js";
import { unexplainedReason } from "../evaluate/evaluate.js";
import { createKnowledge, type Knowledge } from "../knowledge/knowledge.js";

/** What a socket of the look is without the baseline: its verdict, and its reasons when they differ. */
interface Unbaselined {
  verdict: Verdict;
  /** The reasons without the baseline's; null when they are the socket's own. */
  reasons: Reason[] | null;
}

const isPolicy = (r: Reason) => r.rule.startsWith("policy:");
/** The baseline's own reasons: "baseline", and "baseline-network" (a baselined identity talking to another network). */
const isBaselines = (r: Reason) => r.rule === "baseline" || r.rule === "baseline-network";

/** Worst first: the verdict of a list of reasons (evaluate's `worst`), "unknown" for none. */
function worstOf(reasons: readonly Reason[]): Verdict {
  let v: Verdict | null = null;
  for (const r of reasons) if (v === null || compareVerdicts(r.verdict, v) > 0) v = r.verdict;
  return v ?? "unknown";
}

/** Undoes the baseline's part in a look's judgement (see the top of this file). */
function unbaseliner(sockets: readonly Socket[]): (s: Socket) => Unbaselined {
  // A look judged without a baseline (`baseline diff`'s) is taken as it is.
  if (!sockets.some((s) => s.reasons.some(isBaselines))) return (s) => ({ verdict: s.verdict, reasons: null });
  /** A socket's own reasons and verdict without the baseline's (listeners have no "local-peer"). */
  const own = (s: Socket, reasons: readonly Reason[] = s.reasons): Unbaselined => {
    const without = reasons.filter((r) => !isBaselines(r));
    if (without.length === s.reasons.length && without.every((r, i) => r === s.reasons[i])) return { verdict: s.verdict, reasons: null };
    return { verdict: s.reasons.some(isPolicy) ? s.verdict : worstOf(without), reasons: without };
  };
  // The listener a connection's "local-peer" reason speaks of, as evaluate finds it without the baseline:
  // by namespace, protocol and port, the worst of the listeners there.
  const listeners = new Map<number | null, Map<number, { verdict: Verdict }>>();
  if (sockets.some((s) => s.direction !== "listening" && s.reasons.some((r) => r.rule === "local-peer"))) {
    for (const s of sockets) {
      if (s.direction !== "listening") continue;
      let m = listeners.get(s.netns);
      if (m === undefined) { m = new Map(); listeners.set(s.netns, m); }
      const k = portKey(s.local.port, s.proto), verdict = own(s).verdict;
      const had = m.get(k);
      if (had === undefined || compareVerdicts(verdict, had.verdict) > 0) m.set(k, { verdict });
    }
  }
  const peerVerdict = (s: Socket): Verdict | undefined => {
    if (s.remote === null) return undefined;
    const port = s.direction === "inbound" ? s.local.port : s.direction === "outbound" && isLoopback(s.remote.address) ? s.remote.port : null;
    return port === null ? undefined : listeners.get(s.netns)?.get(portKey(port, s.proto))?.verdict;
  };
  return (s) => {
    if (s.direction === "listening" || !s.reasons.some((r) => r.rule === "local-peer")) return own(s);
    const peer = peerVerdict(s);
    return own(s, s.reasons.map((r) => (r.rule !== "local-peer" || peer === undefined || r.verdict === peer
      ? r
      : { ...r, verdict: peer, message: r.message.replace(/which is \w+$/, `which is ${peer}`) })));
  };
}

/** A socket as a look without the baseline shows it (a copy, when it differs). */
function withoutBaseline(s: Socket, u: Unbaselined, knowledge: () => Knowledge): Socket {
  if (u.reasons === null && u.verdict === s.verdict) return s;
  const reasons = u.reasons ?? s.reasons;
  // Nothing but the baseline explained it: say so, as the look without it would (evaluate's "unexplained").
  return { ...s, verdict: u.verdict, reasons: reasons.length > 0 ? reasons : [unexplainedReason(s, knowledge())] };
}

/**
 * What appeared, disappeared or changed verdict since `baseline`, in diff's stable order (disappeared,
 * appeared, verdict-changed, each by identity), then network-changed: a connection of an outbound identity
 * the baseline keeps with its networks (AS) to a network it did not have, one per identity and network. `look` may have been judged with this baseline (the
 * dashboard's looks) or without it (`baseline diff`): the events are the same, their sockets and verdicts
 * those of a look without the baseline.
 */
export function diffWithBaseline(baseline: Pick<Baseline, "entries">, look: Pick<HostLook, "sockets" | "hostNetns">, at: string, knowledgeGiven?: Knowledge): ChangeEvent[] {
  // What portwatch knows of a port, for the reason of a socket only the baseline explained (made when needed).
  let made: Knowledge | undefined = knowledgeGiven;
  const knowledge = () => (made ??= createKnowledge());
  const before = new Map(baseline.entries.map((e) => [e.identity, e]));
  const unbaselined = unbaseliner(look.sockets);
  // Each identity's worst verdict without the baseline stands for it (watch/diff.ts's byIdentity).
  const after = new Map<string, Seen & { u: Unbaselined }>();
  // Outbound identities the baseline keeps with their networks (AS): connections to other networks now.
  const newNetworks = new Map<string, { socket: Socket; u: Unbaselined }>();
  for (const s of look.sockets) {
    const id = identityOf(s, look.hostNetns);
    const u = unbaselined(s);
    const owner = s.remote?.asn;
    const nets = owner == null ? undefined : before.get(id)?.networks;
    if (nets !== undefined && owner != null && !nets.some((n) => n.number === owner.number)) {
      const key = `${id}\u0000${String(owner.number).padStart(10, "0")}`;
      if (!newNetworks.has(key)) newNetworks.set(key, { socket: s, u });
    }
    const had = after.get(id);
    if (had === undefined || compareVerdicts(u.verdict, had.verdict) > 0) after.set(id, { identity: id, verdict: u.verdict, socket: s, u });
  }
  const events = diff(before, after, at).map((e) => {
    const now = e.type === "disappeared" ? undefined : after.get(e.identity);
    return now === undefined ? e : { ...e, socket: withoutBaseline(now.socket, now.u, knowledge) };
  });
  // After the others, by identity and AS number: one event per new network of a baselined identity.
  for (const key of [...newNetworks.keys()].sort()) {
    const { socket, u } = newNetworks.get(key)!;
    const identity = key.slice(0, key.indexOf("\u0000"));
    events.push({ type: "network-changed", identity, socket: withoutBaseline(socket, u, knowledge), networks: before.get(identity)?.networks ?? [], at });
  }
  return events;
}
