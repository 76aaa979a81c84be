import type { Knowledge } from "../knowledge/knowledge.js";
import type { ProcessInfo } from "../model/process.js";
import type { Socket } from "../model/socket.js";
import { VERDICTS, type Reason, type Verdict } from "../model/verdict.js";
import { explainSocket, type Origin } from "./explain.js";
import type { Policy } from "./policy.js";
import { PROCESS_RULES, SOCKET_RULES, type RuleContext } from "./rules.js";

/** What evaluation needs besides the sockets. */
export interface EvaluateOptions {
  knowledge: Knowledge;
  mode: RuleContext["mode"];
  origin: Origin;
  policy?: Policy | null;
}

const rank = (v: Verdict) => VERDICTS.indexOf(v);

/** The worst verdict among reasons ("unknown" when there are none). */
export function worst(reasons: readonly Reason[]): Verdict {
  let v: Verdict | null = null;
  for (const r of reasons) if (v === null || rank(r.verdict) > rank(v)) v = r.verdict;
  return v ?? "unknown";
}

const isLoopback = (a: string) => a.startsWith("127.") || a === "::1" || a.startsWith("::ffff:127.");

/**
 * Gives every socket its verdict, reasons and explanation, in place.
 * 1. Process findings (deleted or temporary executable, kernel-thread disguise, shell with a socket) are
 *    computed once per process and put on each of its sockets.
 * 2. The socket rules add theirs; the verdict is the worst reason.
 * 3. Connections to or from a listener on this computer also carry the listener's verdict.
 * 4. The user's policy has the last word: deny makes a socket suspicious, allow makes it expected.
 * A socket nothing explains stays unknown, and its explanation says how to find out more.
 */
export function evaluate(sockets: readonly Socket[], options: EvaluateOptions): void {
  const ctx: RuleContext = { knowledge: options.knowledge, mode: options.mode };
  const perProcess = new WeakMap<ProcessInfo, Reason[]>();
  const listeners = new Map<string, Socket>();
  const key = (netns: number | null, proto: string, port: number) => `${netns ?? ""}/${proto}/${port}`;

  const judge = (s: Socket): void => {
    const reasons: Reason[] = [];
    if (s.process !== null) {
      let pr = perProcess.get(s.process);
      if (pr === undefined) {
        pr = [];
        for (const rule of PROCESS_RULES) { const r = rule.check(s, ctx); if (r) pr.push(r); }
        perProcess.set(s.process, pr);
      }
      reasons.push(...pr);
    }
    for (const rule of SOCKET_RULES) { const r = rule.check(s, ctx); if (r) reasons.push(r); }
    if (s.direction !== "listening" && s.remote !== null) {
      // A connection inside this computer: the other end's listener speaks for it too.
      const peer = s.direction === "inbound"
        ? listeners.get(key(s.netns, s.proto, s.local.port))
        : isLoopback(s.remote.address) ? listeners.get(key(s.netns, s.proto, s.remote.port)) : undefined;
      const decided = reasons.some((r) => r.verdict !== "unknown");
      if (peer && peer !== s && (peer.verdict === "suspicious" || !decided)) {
        const name = peer.process?.name ?? "a listener";
        reasons.push({ rule: "local-peer", verdict: peer.verdict, message: `${s.direction === "inbound" ? "A connection to" : "Talks to"} ${name} on port ${peer.local.port} of this computer, which is ${peer.verdict}` });
      }
    }
    const decision = options.policy?.decide(s) ?? null;
    if (decision) reasons.push({ rule: `policy:${decision.decision}`, verdict: decision.decision === "allow" ? "expected" : "suspicious", message: decision.message });
    if (reasons.length === 0) reasons.push({ rule: "unexplained", verdict: "unknown", message: "Nothing explains this socket: look at who holds it" });
    s.reasons = reasons;
    s.verdict = decision ? (decision.decision === "allow" ? "expected" : "suspicious") : worst(reasons);
    s.explanation = explainSocket(s, options.knowledge, options.origin);
  };

  // Listeners first, so the connections to them can take their verdict into account.
  for (const s of sockets) {
    if (s.direction !== "listening") continue;
    judge(s);
    const k = key(s.netns, s.proto, s.local.port);
    const had = listeners.get(k);
    if (had === undefined || rank(s.verdict) > rank(had.verdict)) listeners.set(k, s);
  }
  for (const s of sockets) if (s.direction !== "listening") judge(s);
}
