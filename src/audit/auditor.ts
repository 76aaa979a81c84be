import {
  collectLinux, collectLinuxInParts, createOwnerCache, createProvenanceSession, readAgainInFull, type OwnerCache, type ProvenanceOptions, type ProvenanceSession,
} from "../collect/linux.js";
import { firewallsMoved, readFirewall, readFirewalls, type FirewallCache, type FirewallView } from "../collect/firewall.js";
import { readNameservers } from "../collect/resolvers.js";
import type { CaptureFormat } from "../collect/parse/capture-formats.js";
import { setPublished } from "../evaluate/published.js";
import { setReach } from "../evaluate/reach.js";
import { summarize } from "../evaluate/enrich.js";
import { JudgementMemo, type EvaluateOptions } from "../evaluate/evaluate.js";
import type { Origin } from "../evaluate/explain.js";
import type { Policy } from "../evaluate/policy.js";
import type { Selection } from "../evaluate/select.js";

export type { Selection };
import { createKnowledge, type Knowledge } from "../knowledge/knowledge.js";
import { createServiceRegistry, type ServiceRegistry } from "../knowledge/service-registry.js";
import type { Hiding } from "../model/hiding.js";
import { formatProblem, problemTotal, type Problem } from "../model/problem.js";
import { SCHEMA_VERSION, type Snapshot, type SnapshotSource } from "../model/snapshot.js";
import type { Socket } from "../model/socket.js";
import { phaseTimer } from "../model/timings.js";
import type { Baseline } from "../watch/baseline-store.js";
import {
  classifiedByCollector, classifyStage, collected, judgeStage, nameStage, selectStage, streamJudge, type Judged,
} from "./pipeline.js";
import { thisProcess, type ThisProcess } from "./this-process.js";
import type { LoadedLists } from "./lists.js";
import { count } from "../model/words.js";
import { timeText } from "../report/time-text.js";

/** How a look at a live host (or a captured proc tree) is taken and judged. */
export interface HostOptions {
  /** The proc tree to read: default /proc (a captured tree in tests). */
  procRoot?: string;
  /** Look up owners (the fd walk): default true. */
  owners?: boolean;
  /** The user's allow/deny rules. */
  policy?: Policy | null;
  /** Identities in the baseline are expected unless a rule calls them suspicious. */
  baseline?: Baseline | null;
  /** Keep only these sockets (-t/-u/-w/-l), before judging. */
  select?: Selection;
  /**
   * The enabled address lists (audit/lists.ts): a remote address on one makes its socket suspicious (rule
   * blocklist). A function is asked at every look (a watcher re-reads lists that `lists update` changed).
   */
  lists?: LoadedLists | (() => LoadedLists) | null;
  /**
   * Where the holders' code came from (packages, checksums, libraries; collect/provenance.ts): on for the live
   * host, off for a captured proc tree unless given, off with `false`. `cacheFile` keeps answers between runs.
   */
  provenance?: ProvenanceOptions | false;
  /**
   * Ports nobody lists (audit --deep): bind every TCP and UDP port of each visible network namespace and
   * report a port in use that no view lists as a suspicious socket (rule unlisted-port; needs the native
   * addon; seconds per namespace, 4 x 65,535 binds), and look for processes missing from /proc's listing
   * (collect/hidden-processes.ts).
   */
  deep?: boolean;
  /**
   * Read each namespace's firewall (nft, iptables-save) to set `reach` on listeners: on for the live host,
   * off for a captured proc tree unless given, off with `false`.
   */
  firewall?: boolean;
}

/** Whether a look reads the firewall (see HostOptions.firewall). */
function firewallOn(o: HostOptions): boolean {
  return o.firewall ?? (!o.procRoot || o.procRoot === "/proc");
}

/** Sets `reach` on the listeners from their namespaces' firewalls, and the published ports (DNAT, docker-proxy) both ways; adds the warnings. */
async function reachStage(listeners: readonly Socket[], o: HostOptions, ownView: Promise<FirewallView> | null, warnings: string[], cache?: FirewallCache): Promise<void> {
  if (!firewallOn(o)) return;
  const views = await readFirewalls(listeners, o.procRoot ?? "/proc", ownView ?? undefined, cache);
  const warning = setReach(listeners, views);
  if (warning !== null) warnings.push(warning);
  warnings.push(...setPublished(listeners, views));
}

/**
 * What a caller that looks again and again (watch, serve) keeps between looks: the owner cache (only new
 * processes' fd tables are read) and the judgements of like connections. One per look loop.
 */
export interface LookSession {
  cache: OwnerCache;
  memo: JudgementMemo;
  /** Made by the first look that checks provenance, with that look's options. */
  provenance?: ProvenanceSession;
  /** The address lists the last look judged with: a look with others judges again even when the host did not change. */
  lists?: LoadedLists | null;
  /** The firewalls read by the last looks, with their nftables generations: read again only when one moved. */
  firewalls: FirewallCache;
  /**
   * Called when a look has read the host and is about to judge it (not in a look that hands back the last
   * one): the watcher's heap trimmer, so the collection's garbage (the decoded dumps, the package lists a
   * first look reads) is gone before the judgement adds its own.
   */
  beforeJudging?: () => void;
  /**
   * Judge each look in parts, as `audit --json` streams it, and hand every judged batch here, the listeners
   * first, with the host's network namespace (identities need it): the look then holds no socket (HostLook.sockets is empty; socketCount says how many were judged),
   * so a host's 200,000 judged sockets are never live at once (the agent). Only in a lean session.
   */
  judged?: (batch: Judged, hostNetns: number | null) => void;
}

/**
 * A new look session (see LookSession). `lean`: keep no sockets between looks (OwnerCache.lean): a look at
 * an unchanged host then hands back no sockets, only `unchanged` (for watchers that diff identities).
 */
export function createLookSession(options: { lean?: boolean; beforeJudging?: () => void; judged?: (batch: Judged, hostNetns: number | null) => void } = {}): LookSession {
  if (options.judged && !options.lean) throw new Error("a look session that hands out judged batches keeps no sockets: it must be lean");
  return {
    cache: createOwnerCache(options.lean ?? false), memo: new JudgementMemo(), firewalls: new Map(),
    ...(options.beforeJudging ? { beforeJudging: options.beforeJudging } : {}), ...(options.judged ? { judged: options.judged } : {}),
  };
}

/** What one look at this host gives: every socket judged (after any selection). */
export interface HostLook {
  sockets: Judged;
  /** How many sockets the look judged: those in `sockets`, or handed out in parts (LookSession.judged). */
  socketCount: number;
  hostname: string;
  hostNetns: number | null;
  /** The collector's warnings, led by which baseline and policy were applied. */
  warnings: string[];
  /**
   * True when the host did not change since the session's last look: `sockets` is that look's array again,
   * or empty in a lean session (see createLookSession). False also when only the firewall changed: then
   * `sockets` is that array again, with reach set and judged anew.
   */
  unchanged: boolean;
}

/** A look in two passes (the streamed audit): the listeners judged, then the other sockets batch by batch. */
export interface HostStream {
  hostname: string;
  hostNetns: number | null;
  listeners: Judged;
  /** The other sockets in judged batches; the generator is run once. */
  rest(): Generator<Judged>;
  /** The warnings: complete once `rest()` has been run to its end. */
  warnings: string[];
}

/** A capture read by a capture reader (cli/read-capture.ts streams it; `audit({ capture })` parses text). */
export interface ReadCapture {
  records: Socket[];
  problems: Problem[];
  notes: string[];
  format: CaptureFormat;
  hostname: string | null;
  /** The format was detected, not given. */
  detected: boolean;
  /** How to name the capture in warnings ("stdin", a file name). */
  name: string;
}

/** What the auditor owns: built-in knowledge and service names, made once and shared by every look. */
export interface AuditorOptions {
  /** The text of /etc/services (service names beyond portwatch's own and IANA's); null for none. */
  etcServices?: string | null;
  knowledge?: Knowledge;
  /** Facts about the running process (tests pass their own). */
  self?: ThisProcess;
}

/** The pipeline as a library: one stage order for live (whole or streamed) and captured sockets. */
export interface Auditor {
  readonly knowledge: Knowledge;
  readonly registry: ServiceRegistry;
  /** One look at this host: collect, classify, name, select, judge. `session` carries caches between looks. */
  lookAtHost(options?: HostOptions, session?: LookSession | null, timings?: Record<string, number>): Promise<HostLook>;
  /** One look in two passes, so memory stays flat with 200,000 connections (no session: one look). */
  streamHost(options?: HostOptions, timings?: Record<string, number>): Promise<HostStream>;
  /** Judges another machine's sockets, read from its netstat, ss, lsof or portwatch output. */
  judgeCapture(capture: ReadCapture, options?: { policy?: Policy | null; select?: Selection; lists?: LoadedLists | null }): Snapshot;
}

const SOURCES: Record<CaptureFormat, SnapshotSource> = {
  netstat: "netstat", ss: "ss", lsof: "lsof", "windows-netstat": "windows-netstat", "bsd-netstat": "bsd-netstat", "portwatch-json": "portwatch-json",
};
const ORIGINS: Record<CaptureFormat, Origin> = {
  netstat: "linux-capture", ss: "linux-capture", lsof: "linux-capture", "windows-netstat": "windows-capture", "bsd-netstat": "bsd-capture", "portwatch-json": "linux-capture",
};

/** A live audit's warnings, led by which baseline and policy it applied. */
export function appliedNotes(policy: Policy | null | undefined, baseline: Baseline | null | undefined, lists?: LoadedLists | null): string[] {
  const notes: string[] = [];
  if (baseline) notes.push(`Baseline of ${timeText(baseline.savedAt)} applied (${count(baseline.entries.length, "identity", "identities")})`);
  if (policy) notes.push(`Policy "${policy.source}" applied (${policy.size} rules)`);
  if (lists) notes.push(...lists.notes);
  return notes;
}

/** The provenance session of a look: the LookSession's (made on its first look), or one for this look; none when off. */
function provenanceOf(o: HostOptions, session: LookSession | null): ProvenanceSession | null {
  const live = !o.procRoot || o.procRoot === "/proc";
  if (o.provenance === false || (o.provenance === undefined && !live) || o.owners === false) return null;
  if (session) return (session.provenance ??= createProvenanceSession(o.provenance ?? {}));
  return createProvenanceSession(o.provenance ?? {});
}

/** Makes the auditor (see Auditor). Knowledge is validated by the build, so this is cheap. */
export function createAuditor(options: AuditorOptions = {}): Auditor {
  const knowledge = options.knowledge ?? createKnowledge();
  const registry = createServiceRegistry({ etcServices: options.etcServices ?? null });
  const self = options.self ?? thisProcess();

  /** How sockets of this host are judged: root or not, the policy, the baseline, portwatch's own pid. */
  const liveJudgement = (o: HostOptions & { lists?: LoadedLists | null }, hostNetns: number | null, hiding: Hiding, memo?: JudgementMemo): EvaluateOptions => {
    const baseline = o.baseline
      ? { identities: new Set(o.baseline.entries.map((e) => e.identity)), savedAt: o.baseline.savedAt, hostNetns, networks: new Map(o.baseline.entries.flatMap((e) => (e.networks ? [[e.identity, e.networks] as const] : []))) }
      : null;
    const ownProc = !o.procRoot || o.procRoot === "/proc";
    return {
      knowledge, mode: self.asRoot && o.owners !== false ? "live-root" : "live", origin: "live", policy: o.policy ?? null, baseline, lists: o.lists?.lists ?? null, owners: o.lists?.owners ?? null,
      ...(memo ? { memo } : {}), selfPid: ownProc ? self.pid : null, hiding,
      // The resolver's servers of the host whose /proc this is (a captured tree has none to read).
      nameservers: ownProc ? readNameservers() : [],
    };
  };
  const collectOptions = (o: HostOptions, timings: Record<string, number>, session: LookSession | null = null) => {
    const provenance = provenanceOf(o, session);
    return { ...(o.procRoot ? { procRoot: o.procRoot } : {}), owners: o.owners ?? true, deep: o.deep ?? false, timings, ...(provenance ? { provenance } : {}) };
  };

  /**
   * A look of a session that hands out judged batches (LookSession.judged): collected in parts, the listeners
   * judged, then each batch of the other sockets judged and handed out, so no more than a batch is live.
   */
  const lookInParts = async (o: HostOptions & { lists: LoadedLists | null }, session: LookSession, judged: (batch: Judged, hostNetns: number | null) => void, judgeAgain: () => boolean, timings: Record<string, number>): Promise<HostLook> => {
    const collect = () => collectLinuxInParts({ ...collectOptions(o, timings, session), cache: session.cache });
    let parts = await collect();
    if ("unchanged" in parts && judgeAgain()) {
      readAgainInFull(session.cache); // a lean session kept no sockets of the last look to judge again
      parts = await collect();
    }
    const applied = appliedNotes(o.policy, o.baseline, o.lists);
    if ("unchanged" in parts) {
      const { unchanged } = parts;
      return { sockets: [] as unknown as Judged, socketCount: 0, hostname: unchanged.hostname ?? self.hostname, hostNetns: unchanged.hostNetns, warnings: [...applied, ...unchanged.warnings], unchanged: true };
    }
    session.beforeJudging?.();
    const lap = phaseTimer(timings);
    const reach: string[] = [];
    await reachStage(parts.listeners, o, null, reach, session.firewalls);
    lap("firewall");
    const judge = streamJudge(liveJudgement(o, parts.hostNetns, parts.hiding, session.memo));
    const select = o.select ?? {};
    let socketCount = 0;
    const hand = (batch: Judged) => { socketCount += batch.length; judged(batch, parts.hostNetns); };
    hand(judge.listeners(nameStage(selectStage(classifiedByCollector(parts.listeners), select), registry)));
    for (const batch of parts.rest()) hand(judge.others(nameStage(selectStage(classifiedByCollector(batch), select), registry)));
    lap("evaluate");
    const warnings = [...applied, ...parts.warnings, ...reach, ...(o.lists?.owners?.late ?? [])];
    return { sockets: [] as unknown as Judged, socketCount, hostname: parts.hostname ?? self.hostname, hostNetns: parts.hostNetns, warnings, unchanged: false };
  };

  return {
    knowledge,
    registry,

    async lookAtHost(options = {}, session = null, timings = {}) {
      const o = { ...options, lists: typeof options.lists === "function" ? options.lists() : options.lists ?? null };
      const listsChanged = session !== null && (session.lists ?? null) !== o.lists;
      if (session !== null) session.lists = o.lists;
      // A steady host whose firewall moved (an nftables generation changed) is judged again: reach may differ.
      const judgeAgain = () => o.select !== undefined || listsChanged || (session !== null && firewallOn(o) && firewallsMoved(session.firewalls));
      if (session?.judged) return lookInParts(o, session, session.judged, judgeAgain, timings);
      // A one-off look reads its own namespace's firewall beside the collection (it needs no socket); a
      // session's look (watch, serve) only when the host changed, since an unchanged look judges nothing.
      const ownView = firewallOn(o) && session === null ? readFirewall() : null;
      const collect = () => collectLinux({ ...collectOptions(o, timings, session), ...(session ? { cache: session.cache } : {}) });
      let collection = await collect();
      const again = collection.unchanged === true && judgeAgain();
      if (again && session?.cache.lean) {
        // A lean session kept no sockets of the last look to judge again: this look reads them.
        readAgainInFull(session.cache);
        collection = await collect();
      }
      const hostname = collection.hostname ?? self.hostname;
      const warnings = [...appliedNotes(o.policy, o.baseline, o.lists), ...collection.warnings];
      if (collection.unchanged && !again) {
        // The session's last look again (a steady host, see OwnerCache.previous): judged then, with these same options.
        return { sockets: collection.sockets as Judged, socketCount: collection.sockets.length, hostname, hostNetns: collection.hostNetns, warnings, unchanged: true };
      }
      session?.beforeJudging?.();
      const lap = phaseTimer(timings);
      await reachStage(collection.sockets.filter((s) => s.direction === "listening"), o, ownView, warnings, session?.firewalls);
      lap("firewall");
      const named = nameStage(classifiedByCollector(collection.sockets), registry);
      lap("services");
      const sockets = judgeStage(o.select ? selectStage(named, o.select) : named, liveJudgement(o, collection.hostNetns, collection.hiding, session?.memo));
      lap("evaluate");
      warnings.push(...(o.lists?.owners?.late ?? []));
      return { sockets, socketCount: sockets.length, hostname, hostNetns: collection.hostNetns, warnings, unchanged: false };
    },

    async streamHost(options = {}, timings = {}) {
      const o = { ...options, lists: typeof options.lists === "function" ? options.lists() : options.lists ?? null };
      const ownView = firewallOn(o) ? readFirewall() : null;
      const parts = await collectLinuxInParts(collectOptions(o, timings));
      const judge = streamJudge(liveJudgement(o, parts.hostNetns, parts.hiding));
      const select = o.select ?? {};
      const warnings = appliedNotes(o.policy, o.baseline, o.lists);
      await reachStage(parts.listeners, o, ownView, warnings);
      const listeners = judge.listeners(selectStage(nameStage(classifiedByCollector(parts.listeners), registry), select));
      function* rest(): Generator<Judged> {
        for (const batch of parts.rest()) yield judge.others(nameStage(selectStage(classifiedByCollector(batch), select), registry));
        warnings.push(...parts.warnings, ...(o.lists?.owners?.late ?? []));
      }
      return { hostname: parts.hostname ?? self.hostname, hostNetns: parts.hostNetns, listeners, rest, warnings };
    },

    judgeCapture(capture, o = {}) {
      const timings: Record<string, number> = {};
      const lap = phaseTimer(timings);
      const named = nameStage(classifyStage(collected(capture.records), null), registry);
      const sockets = judgeStage(o.select ? selectStage(named, o.select) : named, { knowledge, mode: "capture", origin: ORIGINS[capture.format], policy: o.policy ?? null, lists: o.lists?.lists ?? null, owners: o.lists?.owners ?? null });
      lap("evaluate");
      const warnings = [`Read "${capture.name}" as ${capture.format} output${capture.detected ? " (detected; --format overrides)" : ""}: ${count(capture.records.length, "socket")}`];
      if (o.policy) warnings.push(`Policy "${o.policy.source}" applied (${o.policy.size} rules)`);
      if (o.lists) warnings.push(...o.lists.notes, ...(o.lists.owners?.late ?? []));
      warnings.push(...capture.notes);
      const shown = capture.problems.filter((p) => p.omitted === undefined).slice(0, 50);
      for (const p of shown) warnings.push(`Skipped a line: ${formatProblem(p)}`);
      const total = problemTotal(capture.problems);
      if (total > shown.length) warnings.push(`... and ${total - shown.length} more lines that are not sockets`);
      return {
        schema: SCHEMA_VERSION,
        host: { hostname: capture.hostname, source: SOURCES[capture.format], collectedAt: new Date().toISOString() },
        sockets, warnings, summary: summarize(sockets),
      };
    },
  };
}
