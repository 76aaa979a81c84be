import { identityOf } from "../evaluate/identity.js";
import type { ChangeEvent, Seen } from "../model/change.js";
import type { Socket } from "../model/socket.js";
import { byIdentity, diff } from "../watch/diff.js";
import { createLookSession, type Auditor, type HostLook, type HostOptions } from "./auditor.js";

/** One look of a loop: the judged sockets, grouped by identity, and what changed since the loop's last look. */
export interface LoopLook {
  look: HostLook;
  /** The look's identities (the worst verdict of each stands for it). */
  seen: Map<string, Seen>;
  /** How many sockets each identity has. */
  counts: Map<string, number>;
  /** Changes since the last look; none on the first. */
  events: ChangeEvent[];
  /** ISO time of the look. */
  at: string;
  /** 0 for the first look. */
  tick: number;
}

/** Takes looks one after another with one session (owner cache, judgement memo) and diffs each with the last. */
export interface Looker {
  /** Takes the next look now. `timings`, when given, receives each phase's milliseconds. */
  next(timings?: Record<string, number>): Promise<LoopLook>;
}

/** How a looker looks: the host options of every look, and how often a look is a deep one. */
export interface LookerOptions extends HostOptions {
  /**
   * Every this many looks, from the first, a look also runs the deep check (ports nobody lists: the bind
   * probe of audit --deep, seconds per look); the looks between carry its findings. 0 (default): never.
   * `deep` itself is ignored here: this says when.
   */
  deepEvery?: number;
  /**
   * Keep no socket between looks, only identities (the agent: `watch` without its terminal view): a look
   * at an unchanged host yields `look.sockets` empty (`look.unchanged`), with the last look's `seen` and
   * `counts`; so 200,000 judged sockets are not held from one look to the next. A look that judges hands its
   * sockets out batch by batch (LookSession.judged) and yields `look.sockets` empty too: they are not all
   * held even within the look. Default false.
   */
  lean?: boolean;
  /** Called in each look that judges, between reading the host and judging it (LookSession.beforeJudging). */
  beforeJudging?: () => void;
  /** Called after each batch a lean looker's look judged (see `lean`): the watcher's heap trimmer. */
  whileJudging?: () => void;
}

/**
 * A looker for `auditor` with `options` (see Looker). On a steady host the collector hands back the last
 * look's sockets unchanged: then the identities are the last look's too, and there is nothing to diff.
 */
export function createLooker(auditor: Auditor, options: LookerOptions = {}, now: () => Date = () => new Date(), lingerMs = CONNECTION_LINGER_MS): Looker {
  const { deepEvery = 0, deep: _deep, lean = false, beforeJudging, whileJudging, ...plain } = options;
  // A lean looker's looks hand out their judged sockets batch by batch (LookSession.judged): each batch's
  // identities are noted here, and the batch is garbage before the next one is decoded.
  let seen = new Map<string, Seen>(), counts = new Map<string, number>();
  const judged = lean ? (batch: readonly Socket[], hostNetns: number | null) => { byIdentity(batch, (s) => identityOf(s, hostNetns), counts, seen); whileJudging?.(); } : undefined;
  const session = createLookSession({ lean, ...(beforeJudging ? { beforeJudging } : {}), ...(judged ? { judged } : {}) });
  const deepLook = { ...plain, deep: true };
  let before: { seen: Map<string, Seen>; counts: Map<string, number>; sockets: HostLook["sockets"] | null } | null = null;
  const lastSeen = new Map<string, number>();
  let tick = 0;
  return {
    async next(timings = {}) {
      seen = new Map(); counts = new Map();
      // Every deepEvery-th look, from the first, also probes the ports (see LookerOptions.deepEvery).
      const look = await auditor.lookAtHost(deepEvery > 0 && tick % deepEvery === 0 ? deepLook : plain, session, timings);
      const clock = now();
      const at = clock.toISOString();
      // (the same array judged again, when only the firewall changed, is diffed: reach may have moved)
      if (before !== null && look.unchanged && (look.sockets === before.sockets || lean)) {
        return { look, seen: before.seen, counts: before.counts, events: [], at, tick: tick++ };
      }
      byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns), counts, seen);
      for (const id of seen.keys()) if (!isListener(id)) lastSeen.set(id, clock.getTime());
      if (before !== null) linger(before.seen, seen, lastSeen, clock.getTime() - lingerMs);
      const events = before === null ? [] : diff(before.seen, seen, at);
      before = { seen, counts, sockets: lean ? null : look.sockets };
      return { look, seen, counts, events, at, tick: tick++ };
    },
  };
}

/**
 * How long a connection's identity outlives its last socket: short connections that come and go (a
 * client polling a local server, a monitoring check) are one steady thing, not an "appeared" and a
 * "disappeared" at every look. Listeners are never kept: a listener that closes is news at once.
 */
export const CONNECTION_LINGER_MS = 30_000;

const isListener = (identity: string) => identity.startsWith("L|");

/** Keeps in `seen` the connection identities of `before` last seen after `since` (see CONNECTION_LINGER_MS); forgets older ones. */
function linger(before: ReadonlyMap<string, Seen>, seen: Map<string, Seen>, lastSeen: Map<string, number>, since: number): void {
  for (const [id, was] of before) {
    if (seen.has(id) || isListener(id)) continue;
    if ((lastSeen.get(id) ?? 0) > since) seen.set(id, was);
    else lastSeen.delete(id);
  }
}

/** When to take looks: every `intervalMs` (measured from the start of each look), until `signal` or `count`. */
export interface LoopTiming {
  intervalMs: number;
  /** Stop after this many looks (default: until the signal). */
  count?: number;
  signal?: AbortSignal;
  /** Waits `ms` or until the signal, whichever comes first (tests pass a fake clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock (tests pass a fake one). */
  now?: () => number;
}

/** Waits `ms`, or less when `signal` fires; one abort listener per wait, removed when the wait ends. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((ok) => {
    if (signal?.aborted) { ok(); return; }
    const done = () => { clearTimeout(timer); signal?.removeEventListener("abort", done); ok(); };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * The look loop of `watch` (and of the library's `watch()`): looks at the host every interval and yields
 * each look with what changed. `timingsOf(tick)` may hand a record to receive each look's phases.
 */
export async function* lookLoop(looker: Looker, timing: LoopTiming, timingsOf?: (tick: number) => Record<string, number> | undefined): AsyncGenerator<LoopLook> {
  const wait = timing.sleep ?? sleep;
  const clock = timing.now ?? Date.now;
  for (let tick = 0; timing.count === undefined || tick < timing.count; tick++) {
    if (timing.signal?.aborted) return;
    const started = clock();
    yield await looker.next(timingsOf?.(tick));
    if (timing.count !== undefined && tick + 1 >= timing.count) return;
    await wait(Math.max(0, timing.intervalMs - (clock() - started)), timing.signal);
  }
}
