import type { Knowledge } from "../knowledge/knowledge.js";
import { NOTHING_HIDDEN, type Hiding } from "../model/hiding.js";
import type { ProcessInfo } from "../model/process.js";
import { isLoopback } from "../model/address.js";
import { portKey, PROTO_INDEX } from "../model/protocol.js";
import { DIRECTIONS, EXPOSURES, SOCKET_STATES, type NetworkOwner, type Socket } from "../model/socket.js";
import { compareVerdicts, VERDICT_RANK, type Reason, type Verdict } from "../model/verdict.js";
import { explainer, explainSocket, isFinished, type Origin } from "./explain.js";
import { holderFindings, sharedKey } from "./holders.js";
import { finishedServicePort, identityOf, isEphemeralPort } from "./identity.js";
import { isPublicAddress } from "./trust.js";
import { isNameserver } from "./rules-trust.js";
import type { Policy } from "./policy.js";
import { judgedPort, PROCESS_RULES, SOCKET_RULES, type RuleContext } from "./rules.js";
import { listMatcher, type AddressLists } from "./lists.js";
import { ownerMatcher, ownerNote, ownerWords } from "./owners.js";
import type { OwnerLookup } from "../knowledge/lists/asn.js";

/** What evaluation needs besides the sockets. */
export interface EvaluateOptions {
  knowledge: Knowledge;
  /** The DNS servers the live host's resolver asks (/etc/resolv.conf), as ipKey keys: DNS to them is an ordinary lookup. */
  nameservers?: readonly string[];
  mode: RuleContext["mode"];
  origin: Origin;
  policy?: Policy | null;
  /** portwatch's own pid on a live host: its sockets are expected. */
  selfPid?: number | null;
  /** What hides on a live host (processes kept out of /proc's view, namespaces no process is in): rules.ts reads it. */
  hiding?: Hiding;
  /** Kept by a caller that judges the same host again and again (watch): judgements carry over between looks. */
  memo?: JudgementMemo;
  /** Identities of the host's baseline: a match makes an unknown socket expected (reason "baseline"). */
  baseline?: {
    identities: ReadonlySet<string>; savedAt: string; hostNetns: number | null;
    /** Outbound identities saved with the networks (AS) they talked to: a connection to another network is not vouched for (rule baseline-network). */
    networks?: ReadonlyMap<string, readonly NetworkOwner[]>;
  } | null;
  /** The enabled address lists: a remote address on one is named in `remote.lists` and makes the socket suspicious (rule blocklist). */
  lists?: AddressLists | null;
  /** The network owners' database: every connection's remote end gets `remote.asn` (null when it knows no owner). */
  owners?: OwnerLookup | null;
  /**
   * Share work between like sockets (default true): connections that agree on everything the judgement
   * reads share one judgement (`memo`), and each process's findings, each explanation and each repeated
   * reason are made once. `false` judges every socket from scratch: much slower, and meant only as the
   * reference the tests hold the shortcuts to (test/evaluate/judge-memo.test.ts).
   */
  memoize?: boolean;
}

/** The worst verdict among reasons ("unknown" when there are none). */
export function worst(reasons: readonly Reason[]): Verdict {
  let v: Verdict | null = null;
  for (const r of reasons) if (v === null || compareVerdicts(r.verdict, v) > 0) v = r.verdict;
  return v ?? "unknown";
}


// A number per ProcessInfo object, stable for the life of the program, so judgements memoized in one
// look (or kept between looks by watch) never mix up two processes.
const processIds = new WeakMap<ProcessInfo, number>();
let nextProcessId = 1;
function idOf(p: ProcessInfo): number {
  let id = processIds.get(p);
  if (id === undefined) { id = nextProcessId++; processIds.set(p, id); }
  return id;
}

// Small numbers for the words of a socket's fields, to pack into one number: their positions in the value lists.
const positions = <T extends string>(values: readonly T[], from = 0) => Object.fromEntries(values.map((v, i) => [v, i + from])) as Record<T, number>;
const DIRECTION_BITS = positions(DIRECTIONS); // 2 bits
const STATE_BITS = positions(SOCKET_STATES); // 4 bits
const EXPOSURE_BITS = { none: 0, ...positions(EXPOSURES, 1) }; // 3 bits

const UNEXPLAINED: Reason = Object.freeze({ rule: "unexplained", verdict: "unknown", message: "Nothing explains this socket: look at who holds it" });

/**
 * The reason of a socket no rule had anything to say about: for a port portwatch knows, what it knows
 * and what is missing; else "Nothing explains this socket".
 */
export function unexplainedReason(s: Socket, knowledge: Knowledge): Reason {
  const port = judgedPort(s);
  const entry = port === null || s.proto === "raw" ? null : knowledge.port(port, s.proto);
  if (entry === null || port === null) return UNEXPLAINED;
  return {
    rule: "unexplained", verdict: "unknown",
    message: s.direction === "outbound"
      ? `A connection to port ${port}/${s.proto} (${entry.name}), but nothing says this program should make it: look at which program it is`
      : `Port ${port}/${s.proto} is ${entry.name}, but nothing here says who should hold it: look at who holds it`,
  };
}

/**
 * Judgements of connections by everything the judgement reads (see createJudge's `others`). The common
 * parts of that key are numbers, so the key is a path through maps keyed by numbers, with a text only for
 * what is rare (other holders, a finished connection, the exact addresses): a text built and hashed for
 * each of 200,000 connections was most of the judging time.
 */
export class JudgementMemo {
  private readonly root = new Map<number | null, Map<number, Map<number, Map<number, Map<string, Socket>>>>>();
  /** How many judgements it holds. */
  size = 0;
  get(netns: number | null, packed: number, pid: number, peerOwner: number, rest: string): Socket | undefined {
    return this.root.get(netns)?.get(packed)?.get(pid)?.get(peerOwner)?.get(rest);
  }
  set(netns: number | null, packed: number, pid: number, peerOwner: number, rest: string, s: Socket): void {
    const level = <K, V>(m: Map<K, V>, k: K, make: () => V): V => {
      let v = m.get(k);
      if (v === undefined) { v = make(); m.set(k, v); }
      return v;
    };
    const last = level(level(level(level(this.root, netns, () => new Map()), packed, () => new Map()), pid, () => new Map()), peerOwner, () => new Map<string, Socket>());
    if (!last.has(rest)) this.size++;
    last.set(rest, s);
  }
  clear(): void {
    this.root.clear();
    this.size = 0;
  }
}

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

/** Rule baseline-network: a baselined outbound identity that now talks to a network (AS) it did not talk to then. */
export function baselineNetworkReason(savedAt: string, had: readonly NetworkOwner[], now: NetworkOwner): Reason {
  const then = had.slice(0, 3).map(ownerWords).join(", ") + (had.length > 3 ? ` and ${had.length - 3} more` : "");
  return {
    rule: "baseline-network", verdict: "unknown",
    message: `This host had it when its baseline was saved (${savedAt.slice(0, 16).replace("T", " ")} UTC), but talking to ${then}; this connection goes to ${ownerWords(now)}, a network it did not talk to then`,
  };
}

/** A judge that keeps what it learnt (listeners, shared reasons, judgements of like connections) between calls. */
export function createJudge(options: EvaluateOptions): Judge {
  const ctx: RuleContext = { knowledge: options.knowledge, mode: options.mode, selfPid: options.selfPid ?? null, hiding: options.hiding ?? NOTHING_HIDDEN, nameservers: new Set(options.nameservers ?? []) };
  const fast = options.memoize !== false;
  const findings = holderFindings(PROCESS_RULES, ctx);
  // Listeners by namespace, then by portKey(port, protocol): numbers, no string built per socket.
  const listenerIndex = new Map<number | null, Map<number, Socket>>();
  const listeners = {
    get: (netns: number | null, proto: Socket["proto"], port: number) => listenerIndex.get(netns)?.get(portKey(port, proto)),
    set(s: Socket) {
      let m = listenerIndex.get(s.netns);
      if (m === undefined) { m = new Map(); listenerIndex.set(s.netns, m); }
      const k = portKey(s.local.port, s.proto);
      const had = m.get(k);
      if (had === undefined || compareVerdicts(s.verdict, had.verdict) > 0) m.set(k, s);
    },
  };
  const lists = new ReasonLists();
  // Reasons that repeat (the same message for the same peer or policy rule) are made once.
  const peerReasons = new Map<string, Reason>();
  const policyReasons = new Map<string, Reason>();
  const networkReasons = new Map<string, Reason>();
  // A judged socket's explanation before its owner note, for the connections that take its judgement.
  const explanationBase = new WeakMap<Socket, string>();
  // Each explanation with each owner note, made once: 200,000 connections to a few networks share a few
  // strings (one per socket would be a copy of the text each, flattened by the JSON writer).
  const noted = new Map<string, Map<string, string>>();
  const withOwner = (base: string | null, s: Socket): string | null => {
    const note = ownerNote(s);
    if (note === "" || base === null) return base;
    let m = noted.get(base);
    if (m === undefined) { if (noted.size >= 10_000) noted.clear(); noted.set(base, m = new Map()); }
    let text = m.get(note);
    if (text === undefined) { text = base + note; m.set(note, text); }
    return text;
  };
  const shared = (cache: Map<string, Reason>, k: string, make: () => Reason) => {
    if (!fast) return make();
    let r = cache.get(k);
    if (r === undefined) { r = make(); cache.set(k, r); }
    return r;
  };

  const explain = fast ? explainer(options.knowledge, options.origin, options.hiding) : (s: Socket) => explainSocket(s, options.knowledge, options.origin, options.hiding);
  let baselineReason: Reason | undefined;
  /** The listener on this computer a connection belongs to: the one that accepted it, or the one it talks to over loopback. */
  const peerOf = (s: Socket): Socket | undefined => {
    if (s.direction === "listening" || s.remote === null) return undefined;
    if (s.direction === "inbound") return listeners.get(s.netns, s.proto, s.local.port);
    return isLoopback(s.remote.address) ? listeners.get(s.netns, s.proto, s.remote.port) : undefined;
  };
  // No rule had anything to say (unexplainedReason), shared by port.
  const unexplainedByPort = new Map<string, Reason>();
  const unexplained = (s: Socket): Reason => {
    const port = judgedPort(s);
    if (port === null || s.proto === "raw" || options.knowledge.port(port, s.proto) === null) return UNEXPLAINED;
    return shared(unexplainedByPort, `${s.direction === "outbound" ? "o" : "l"}/${port}/${s.proto}`, () => unexplainedReason(s, options.knowledge));
  };
  const judge = (s: Socket, peer: Socket | undefined = peerOf(s)): void => {
    // Every holder is judged (holders.ts): the process findings of each, the holder named when it is not the owner.
    const reasons: Reason[] = [...findings.of(s)];
    for (const rule of SOCKET_RULES) { const r = rule.check(s, ctx); if (r) reasons.push(r); }
    // A reason for "expected" is not listed beside one that makes the socket suspicious: it would argue the other way.
    if (reasons.some((r) => r.verdict === "suspicious")) for (let i = reasons.length - 1; i >= 0; i--) if ((reasons[i] as Reason).verdict === "expected") reasons.splice(i, 1);
    // A connection inside this computer: the other end's listener speaks for it too.
    if (peer && peer !== s && (peer.verdict === "suspicious" || !reasons.some((r) => r.verdict !== "unknown"))) {
      const name = peer.process?.name ?? "a listener";
      const verb = s.direction === "inbound" ? "A connection to" : "Talks to";
      reasons.push(shared(peerReasons, `${verb}/${name}/${peer.local.port}/${peer.verdict}`, () =>
        ({ rule: "local-peer", verdict: peer.verdict, message: `${verb} ${name} on port ${peer.local.port} of this computer, which is ${peer.verdict}` })));
    }
    const decision = options.policy?.decide(s) ?? null;
    if (decision) {
      reasons.push(shared(policyReasons, `${decision.decision}/${decision.index}`, () =>
        ({ rule: `policy:${decision.decision}`, verdict: decision.decision === "allow" ? "expected" : "suspicious", message: decision.message })));
    }
    let verdict = worst(reasons);
    const baseline = options.baseline;
    const id = baseline && verdict !== "suspicious" ? identityOf(s, baseline.hostNetns) : null;
    if (baseline && id !== null && baseline.identities.has(id)) {
      const had = baseline.networks?.get(id);
      const owner = s.remote?.asn;
      if (had !== undefined && owner != null && !had.some((n) => n.number === owner.number)) {
        // The program and its service are the baseline's, the network is not: worth a look.
        reasons.push(shared(networkReasons, `${id}\u0000${owner.number}`, () => baselineNetworkReason(baseline.savedAt, had, owner)));
      } else {
        reasons.push(baselineReason ??= { rule: "baseline", verdict: "expected", message: `This host had it when its baseline was saved (${baseline.savedAt.slice(0, 16).replace("T", " ")} UTC)` });
        verdict = "expected";
      }
    }
    if (reasons.length === 0) reasons.push(unexplained(s));
    s.reasons = lists.intern(reasons);
    s.verdict = decision ? (decision.decision === "allow" ? "expected" : "suspicious") : verdict;
    // The other end's network owner closes the explanation (the database present): added per socket, so
    // connections that share a judgement but not a network each name their own.
    const base = explain(s);
    s.explanation = withOwner(base, s);
    if (s.explanation !== base) explanationBase.set(s, base);
  };

  /**
   * For the memo: a finished connection whose two ports say nothing (both in the ephemeral range, no
   * service, knowledge entry or indicator for either: 45700 is a mining pool's, 54321 Back Orifice's) while
   * no baseline reads its service port.
   */
  const unknownPort = (port: number, proto: Socket["proto"]): boolean =>
    isEphemeralPort(port) && options.knowledge.port(port, proto) === null && options.knowledge.indicators(port, proto).length === 0;
  const meaningless = (s: Socket): boolean =>
    options.baseline == null && s.remote !== null && s.service === null && unknownPort(s.local.port, s.proto) && unknownPort(s.remote.port, s.proto);

  // Connections: sockets that agree on everything the rules, the policy, the baseline and the explanation
  // look at get the same judgement, so each kind is judged once (a server's 10,000 clients: once).
  const memo = options.memo ?? new JudgementMemo();
  const withPolicy = options.policy != null;
  const listsOf = options.lists ? listMatcher(options.lists) : null;
  const ownerOf = options.owners ? ownerMatcher(options.owners) : null;
  const byNetwork = (options.baseline?.networks?.size ?? 0) > 0;
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
        // The lists that hold the other end: a new remote object, as the collector's may be shared.
        const onLists = listsOf === null ? null : listsOf(s);
        if (onLists !== null && s.remote !== null) s.remote = { ...s.remote, lists: onLists };
        else if (s.remote?.lists !== undefined) { const { lists: _old, ...rest } = s.remote; s.remote = rest; } // read back from JSON: judged again
        // Who owns the other end's network (the database present): always said, null when it knows no owner.
        // Set on the remote object itself: the owner follows from the address alone, so sockets that share
        // the object (the collector may share it) get the same value, and copying 200,000 objects would cost
        // more than the rest of the judgement of a loopback-heavy host.
        if (s.remote !== null) {
          if (ownerOf !== null) s.remote.asn = ownerOf(s.remote.address);
          else if (s.remote.asn !== undefined) { const { asn: _old, ...rest } = s.remote; s.remote = rest; }
        }
        // A listed peer is judged on its own: its reason names its address, so no other connection shares it.
        if (!fast || onLists !== null) { judge(s); continue; }
        const pid = s.process === null ? 0 : idOf(s.process);
        const port = (s.direction === "outbound" ? s.remote?.port : s.local.port) ?? 0;
        // The listener a connection belongs to speaks for it (local-peer): its verdict, and its owner, whose
        // name the reason gives (a memo kept between looks may have judged this connection when another
        // program held that port).
        const peer = peerOf(s);
        const peerOwner = peer?.process ? idOf(peer.process) : 0;
        // A port one of the kernel's two views hides (hidden-port), or both (hidden-socket): rare, and their messages name the local port (hidden-socket also the inode).
        const hidden = s.hiddenFrom === undefined ? 0 : s.hiddenFrom === "proc" ? 1 : s.hiddenFrom === "netlink" ? 2 : 3;
        // Everything the judgement reads, packed in one number (the service follows from port, protocol and
        // direction); the namespace, the owners and, rarely, addresses and ports are added as text.
        const bits = DIRECTION_BITS[s.direction] | (PROTO_INDEX[s.proto] << 2) | (STATE_BITS[s.state] << 4) | (EXPOSURE_BITS[s.exposure ?? "none"] << 8) |
          ((s.inode === 0 ? 1 : 0) << 11) | ((isLoopback(s.local.address) ? 1 : 0) << 12) | ((s.remote !== null && isLoopback(s.remote.address) ? 1 : 0) << 13) |
          ((peer ? VERDICT_RANK[peer.verdict] + 1 : 0) << 14);
        // Without an owner the explanation names the local port (how to find the owner), except for a
        // finished connection, which no program holds (its state is in the bits). A policy reads addresses,
        // ports and, for a process.user rule on a socket without a known owner uid, the socket's uid.
        const exact = withPolicy || (pid === 0 && !isFinished(s)) || s.direction === "unknown" || hidden !== 0;
        // Every holder is judged (holders.ts): the others are part of the key too. Whether the far end is on the Internet (rules-trust.ts: direct DNS, unpackaged programs calling out).
        // Only outbound rules read it; loopback peers (most connections of a busy server) are decided at once.
        // 2: a public DNS server the host's resolver is set up to ask (direct-dns reads it).
        const away = s.direction === "outbound" && s.remote !== null && !isLoopback(s.remote.address) && isPublicAddress(s.remote.address) ? (isNameserver(ctx, s) ? 2 : 1) : 0;
        // A finished connection's identity (the baseline's key) is the port of its service end, read from both ports.
        const finishedAt = finishedServicePort(s) ?? 0;
        // A finished connection between two ports that mean nothing (TIME_WAIT between a client's and a
        // server's random ports, by the ten thousand on a busy host): its judgement does not read the
        // ports, only its explanation names one, so one judgement serves them all and each gets its own text.
        const anyPorts = finishedAt !== 0 && !exact && !peer && meaningless(s);
        // bits < 2^17, port < 2^16, hidden < 4, away < 3: under 2^37, an exact number.
        const packed = ((away * 4 + hidden) * 65_536 + (anyPorts ? 0 : port)) * 2 ** 17 + bits;
        const others = sharedKey(s);
        const rest = anyPorts ? `~${others}` : finishedAt === 0 && others === "" && !exact ? "" : `${finishedAt}${others}` +
          (exact ? `|${s.local.address}|${s.remote?.address ?? ""}|${s.local.port}/${s.remote?.port}${withPolicy ? `|${s.uid}` : ""}${hidden === 3 ? `|${s.inode}` : ""}` : "");
        // A baseline saved with networks weighs the other end's network owner (baseline-network): its AS is then part of the key.
        const owner = s.remote?.asn;
        const key = owner == null || !byNetwork ? rest : `${rest}|AS${owner.number}`;
        const same = memo.get(s.netns, packed, pid, peerOwner, key);
        if (same !== undefined) {
          s.reasons = same.reasons;
          s.verdict = same.verdict;
          s.explanation = withOwner(anyPorts ? explain(s) : explanationBase.get(same) ?? same.explanation, s);
          continue;
        }
        judge(s, peer);
        if (memo.size >= 20_000) memo.clear(); // many unlike connections (a capture of a busy host): keep memory flat
        memo.set(s.netns, packed, pid, peerOwner, key, s);
      }
    },
  };
}
