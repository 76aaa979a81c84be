import type { Knowledge } from "../knowledge/knowledge.js";
import type { ProcessInfo } from "../model/process.js";
import { isLoopback } from "../model/address.js";
import type { Socket } from "../model/socket.js";
import { VERDICTS, type Reason, type Verdict } from "../model/verdict.js";
import { explainer, isFinished, type Origin } from "./explain.js";
import { holderFindings, sharedKey } from "./holders.js";
import { identityOf } from "./identity.js";
import type { Policy } from "./policy.js";
import { PROCESS_RULES, SOCKET_RULES, type RuleContext } from "./rules.js";

/** What evaluation needs besides the sockets. */
export interface EvaluateOptions {
  knowledge: Knowledge;
  mode: RuleContext["mode"];
  origin: Origin;
  policy?: Policy | null;
  /** portwatch's own pid on a live host: its sockets are expected. */
  selfPid?: number | null;
  /** Kept by a caller that judges the same host again and again (watch): judgements carry over between looks. */
  memo?: Map<string, Socket>;
  /** Identities of the host's baseline: a match makes an unknown socket expected (reason "baseline"). */
  baseline?: { identities: ReadonlySet<string>; savedAt: string; hostNetns: number | null } | null;
}

const rank = (v: Verdict) => VERDICTS.indexOf(v);

/** The worst verdict among reasons ("unknown" when there are none). */
export function worst(reasons: readonly Reason[]): Verdict {
  let v: Verdict | null = null;
  for (const r of reasons) if (v === null || rank(r.verdict) > rank(v)) v = r.verdict;
  return v ?? "unknown";
}


// A number per ProcessInfo object, stable for the life of the program, so judgements memoized in one
// look (or kept between looks by watch) never mix up two processes.
const processIds = new WeakMap<ProcessInfo, number>();
let nextProcessId = 1;

const DIRECTION_BITS = { listening: 0, inbound: 1, outbound: 2, unknown: 3 } as const;
const STATE_BITS: Record<Socket["state"], number> = {
  ESTABLISHED: 0, SYN_SENT: 1, SYN_RECV: 2, FIN_WAIT1: 3, FIN_WAIT2: 4, TIME_WAIT: 5, CLOSE: 6, CLOSE_WAIT: 7,
  LAST_ACK: 8, LISTEN: 9, CLOSING: 10, NEW_SYN_RECV: 11, UNCONN: 12,
};
const EXPOSURE_BITS = { none: 0, loopback: 1, "all-interfaces": 2, interface: 3, container: 4 } as const;

const UNEXPLAINED: Reason = Object.freeze({ rule: "unexplained", verdict: "unknown", message: "Nothing explains this socket: look at who holds it" });

/**
 * Shares equal reasons and equal reason lists between sockets (by content): a server with 10,000
 * connections gives each the same list, so memory and JSON output grow with what differs, not with
 * the number of sockets.
 */
class ReasonLists {
  private readonly reasons = new Map<string, Reason>();
  private readonly lists = new Map<string, readonly Reason[]>();
  intern(list: Reason[]): readonly Reason[] {
    let key = "";
    for (let i = 0; i < list.length; i++) {
      const r = list[i] as Reason;
      const k = `${r.rule}\u0000${r.verdict}\u0000${r.message}`;
      const had = this.reasons.get(k);
      if (had === undefined) this.reasons.set(k, r); else list[i] = had;
      key += `${k}\u0001`;
    }
    const had = this.lists.get(key);
    if (had) return had;
    this.lists.set(key, list);
    return list;
  }
}

/**
 * Gives every socket its verdict, reasons and explanation, in place.
 * 1. Process findings (deleted or temporary executable, kernel-thread disguise, shell with a socket) are
 *    computed once per process and put on each of its sockets, for every holder of a shared socket.
 * 2. The socket rules add theirs; the verdict is the worst reason.
 * 3. Connections to or from a listener on this computer also carry the listener's verdict.
 * 4. A socket whose identity is in the host's baseline is expected unless a rule calls it suspicious.
 * 5. The user's policy has the last word: deny makes a socket suspicious, allow makes it expected.
 * A socket nothing explains stays unknown, and its explanation says how to find out more.
 */
export function evaluate(sockets: readonly Socket[], options: EvaluateOptions): void {
  const judge = createJudge(options);
  judge.listeners(sockets);
  judge.others(sockets);
}

/** Judges a look in parts (see evaluate): every listener first, then the other sockets, in as many calls as wanted. */
export interface Judge {
  /** Judges the listening sockets among `sockets` (the others are skipped). Call before `others`. */
  listeners(sockets: readonly Socket[]): void;
  /** Judges the sockets among `sockets` that are not listening, with the listeners judged before. */
  others(sockets: readonly Socket[]): void;
}

/** A judge that keeps what it learnt (listeners, shared reasons, judgements of like connections) between calls. */
export function createJudge(options: EvaluateOptions): Judge {
  const ctx: RuleContext = { knowledge: options.knowledge, mode: options.mode, selfPid: options.selfPid ?? null };
  const findings = holderFindings(PROCESS_RULES, ctx);
  // Listeners by namespace, then by port * 4 + protocol: numbers, no string built per socket.
  const listenerIndex = new Map<number | null, Map<number, Socket>>();
  const PROTO = { tcp: 0, udp: 1, raw: 2 } as const;
  const listeners = {
    get: (netns: number | null, proto: Socket["proto"], port: number) => listenerIndex.get(netns)?.get(port * 4 + PROTO[proto]),
    set(s: Socket) {
      let m = listenerIndex.get(s.netns);
      if (m === undefined) { m = new Map(); listenerIndex.set(s.netns, m); }
      const k = s.local.port * 4 + PROTO[s.proto];
      const had = m.get(k);
      if (had === undefined || rank(s.verdict) > rank(had.verdict)) m.set(k, s);
    },
  };
  const lists = new ReasonLists();
  // Reasons that repeat (the same message for the same peer or policy rule) are made once.
  const peerReasons = new Map<string, Reason>();
  const policyReasons = new Map<string, Reason>();
  const shared = (cache: Map<string, Reason>, k: string, make: () => Reason) => {
    let r = cache.get(k);
    if (r === undefined) { r = make(); cache.set(k, r); }
    return r;
  };

  const explain = explainer(options.knowledge, options.origin);
  let baselineReason: Reason | undefined;
  const judge = (s: Socket): void => {
    const reasons: Reason[] = [...findings.of(s)];
    for (const rule of SOCKET_RULES) { const r = rule.check(s, ctx); if (r) reasons.push(r); }
    if (s.direction !== "listening" && s.remote !== null) {
      // A connection inside this computer: the other end's listener speaks for it too.
      const peer = s.direction === "inbound"
        ? listeners.get(s.netns, s.proto, s.local.port)
        : isLoopback(s.remote.address) ? listeners.get(s.netns, s.proto, s.remote.port) : undefined;
      const decided = reasons.some((r) => r.verdict !== "unknown");
      if (peer && peer !== s && (peer.verdict === "suspicious" || !decided)) {
        const name = peer.process?.name ?? "a listener";
        const verb = s.direction === "inbound" ? "A connection to" : "Talks to";
        reasons.push(shared(peerReasons, `${verb}/${name}/${peer.local.port}/${peer.verdict}`, () =>
          ({ rule: "local-peer", verdict: peer.verdict, message: `${verb} ${name} on port ${peer.local.port} of this computer, which is ${peer.verdict}` })));
      }
    }
    const decision = options.policy?.decide(s) ?? null;
    if (decision) {
      reasons.push(shared(policyReasons, `${decision.decision}/${decision.index}`, () =>
        ({ rule: `policy:${decision.decision}`, verdict: decision.decision === "allow" ? "expected" : "suspicious", message: decision.message })));
    }
    let verdict = worst(reasons);
    const baseline = options.baseline;
    if (baseline && verdict !== "suspicious" && baseline.identities.has(identityOf(s, baseline.hostNetns))) {
      reasons.push(baselineReason ??= { rule: "baseline", verdict: "expected", message: `This host had it when its baseline was saved (${baseline.savedAt.slice(0, 16).replace("T", " ")} UTC)` });
      verdict = "expected";
    }
    if (reasons.length === 0) reasons.push(UNEXPLAINED);
    s.reasons = lists.intern(reasons);
    s.verdict = decision ? (decision.decision === "allow" ? "expected" : "suspicious") : verdict;
    s.explanation = explain(s);
  };

  // Connections: sockets that agree on everything the rules, the policy, the baseline and the explanation
  // look at get the same judgement, so each kind is judged once (a server's 10,000 clients: once).
  const memo = options.memo ?? new Map<string, Socket>();
  const withPolicy = options.policy != null;
  return {
    // Listeners first, so the connections to them can take their verdict into account.
    listeners(sockets) {
      for (const s of sockets) {
        if (s.direction !== "listening") continue;
        judge(s);
        listeners.set(s);
      }
    },
    others(sockets) {
      for (const s of sockets) {
        if (s.direction === "listening") continue;
        let pid = 0;
        if (s.process !== null) {
          pid = processIds.get(s.process) ?? 0;
          if (pid === 0) { pid = nextProcessId++; processIds.set(s.process, pid); }
        }
        const port = (s.direction === "outbound" ? s.remote?.port : s.local.port) ?? 0;
        // The verdict of the listener a connection belongs to is part of its judgement (local-peer).
        const peer = s.direction === "inbound" ? listeners.get(s.netns, s.proto, s.local.port)
          : s.remote !== null && isLoopback(s.remote.address) ? listeners.get(s.netns, s.proto, s.remote.port) : undefined;
        // Everything the judgement reads, packed in one number (the service follows from port, protocol and
        // direction); the namespace and, rarely, addresses and ports are added as text.
        const bits = DIRECTION_BITS[s.direction] | (PROTO[s.proto] << 2) | (STATE_BITS[s.state] << 4) | (EXPOSURE_BITS[s.exposure ?? "none"] << 8) |
          ((s.inode === 0 ? 1 : 0) << 11) | ((isLoopback(s.local.address) ? 1 : 0) << 12) | ((s.remote !== null && isLoopback(s.remote.address) ? 1 : 0) << 13) |
          ((peer ? rank(peer.verdict) + 1 : 0) << 14);
        // Without an owner the explanation names the local port (how to find the owner), except for a
        // finished connection, which no program holds (its state is in the bits).
        const exact = withPolicy || (pid === 0 && !isFinished(s)) || s.direction === "unknown";
        // Every holder is judged (holders.ts): the others are part of the key too.
        const k = `${s.netns}|${port * 65_536 + bits}|${pid}${sharedKey(s)}${exact ? `|${s.local.address}|${s.remote?.address ?? ""}|${s.local.port}/${s.remote?.port}` : ""}`;
        const same = memo.get(k);
        if (same !== undefined) {
          s.reasons = same.reasons;
          s.verdict = same.verdict;
          s.explanation = same.explanation;
          continue;
        }
        judge(s);
        if (memo.size >= 20_000) memo.clear(); // many unlike connections (a capture of a busy host): keep memory flat
        memo.set(k, s);
      }
    },
  };
}
