import type { CaptureFormat } from "../collect/parse/capture-formats.js";
import type { Policy } from "../evaluate/policy.js";
import type { Selection } from "../evaluate/select.js";
import type { ChangeEvent } from "../model/change.js";
import { SCHEMA_VERSION, type Snapshot } from "../model/snapshot.js";
import { summarize } from "../evaluate/enrich.js";
import type { Baseline } from "../watch/baseline-store.js";
import { createAuditor, type Auditor } from "./auditor.js";
import { readCaptureText } from "./capture.js";
import { createLooker, lookLoop, type LoopLook } from "./look-loop.js";
import { parsePolicy } from "./policy.js";
import { etcServicesText } from "./this-process.js";

/** What `audit()` looks at and how it judges. */
export interface AuditRequest {
  /** A proc tree to read instead of /proc (a captured one). Ignored with `capture`. */
  procRoot?: string;
  /** Another machine's netstat, ss, lsof or portwatch output, as text (the format is detected unless given). */
  capture?: string | { text: string; format?: CaptureFormat; name?: string };
  /** Allow/deny rules: a loaded Policy, or the YAML text of one. */
  policy?: Policy | string | null;
  /** Identities in this baseline are expected (live audits only). */
  baseline?: Baseline | null;
  /** Keep only these protocols / listeners. */
  select?: Selection;
  /** Look up owners (default true; live audits only). */
  owners?: boolean;
  /**
   * The slower checks for what hides (`portwatch audit --deep`): every TCP and UDP port is bound to find ports in
   * use that no view lists (live host, root, native addon), and processes missing from /proc's listing are looked for.
   */
  deep?: boolean;
  /** Reuse an auditor (its knowledge and service names) across calls. */
  auditor?: Auditor;
}

/** The judged snapshot, and the host's network namespace (to tell containers' sockets from the host's). */
export type AuditResult = Snapshot & { hostNetns: number | null };

let shared: Auditor | undefined;
/** One auditor per process for callers that do not bring their own. */
function defaultAuditor(): Auditor {
  return (shared ??= createAuditor({ etcServices: etcServicesText() }));
}

async function policyOf(policy: AuditRequest["policy"]): Promise<Policy | null> {
  if (policy === undefined || policy === null) return null;
  return typeof policy === "string" ? parsePolicy(policy, "policy") : policy;
}

/**
 * Audits this host (or a captured proc tree, or a capture's text): every socket with its owner, service,
 * verdict, reasons and explanation, as `portwatch audit --json` prints it.
 *
 *   const snapshot = await audit();
 *   for (const s of snapshot.sockets) if (s.verdict === "suspicious") console.log(s.local.port, s.reasons);
 */
export async function audit(request: AuditRequest = {}): Promise<AuditResult> {
  const auditor = request.auditor ?? defaultAuditor();
  const policy = await policyOf(request.policy);
  if (request.capture !== undefined) {
    const c = typeof request.capture === "string" ? { text: request.capture } : request.capture;
    const read = readCaptureText(auditor, c.text, { ...(c.format ? { format: c.format } : {}), ...(c.name ? { name: c.name } : {}) });
    return { ...auditor.judgeCapture(read, { policy, ...(request.select ? { select: request.select } : {}) }), hostNetns: null };
  }
  const look = await auditor.lookAtHost({
    ...(request.procRoot ? { procRoot: request.procRoot } : {}), owners: request.owners ?? true, deep: request.deep ?? false, policy,
    baseline: request.baseline ?? null, ...(request.select ? { select: request.select } : {}),
  });
  return {
    schema: SCHEMA_VERSION, host: { hostname: look.hostname, source: "live", collectedAt: new Date().toISOString() },
    sockets: look.sockets, warnings: look.warnings, summary: summarize(look.sockets), hostNetns: look.hostNetns,
  };
}

/** What `watch()` looks at, how often, and until when. */
export interface WatchRequest {
  /** Time between looks (default 2000 ms). */
  intervalMs?: number;
  /** Stop after this many looks (default: until `signal`). */
  count?: number;
  signal?: AbortSignal;
  procRoot?: string;
  policy?: Policy | string | null;
  baseline?: Baseline | null;
  /** Every this many looks (from the first), also look for ports nobody lists (`watch --deep-every`); default never. */
  deepEvery?: number;
  auditor?: Auditor;
}

/** One look of `watch()`: the judged sockets and what changed since the last look. */
export interface WatchLook {
  at: string;
  hostname: string;
  sockets: LoopLook["look"]["sockets"];
  warnings: string[];
  /** Appeared, disappeared or changed verdict, by identity (never on the first look). */
  changes: ChangeEvent[];
}

/**
 * Watches this host: yields a look every interval with the changes since the last (a restarted daemon or a
 * client's new port is no change). Steady hosts cost little: only new processes are read.
 *
 *   for await (const look of watch({ intervalMs: 5000 })) for (const c of look.changes) console.log(c.type, c.identity);
 */
export async function* watch(request: WatchRequest = {}): AsyncGenerator<WatchLook> {
  const auditor = request.auditor ?? defaultAuditor();
  const policy = await policyOf(request.policy);
  const looker = createLooker(auditor, { ...(request.procRoot ? { procRoot: request.procRoot } : {}), policy, baseline: request.baseline ?? null, ...(request.deepEvery ? { deepEvery: request.deepEvery } : {}) });
  const timing = { intervalMs: request.intervalMs ?? 2000, ...(request.count !== undefined ? { count: request.count } : {}), ...(request.signal ? { signal: request.signal } : {}) };
  for await (const l of lookLoop(looker, timing)) {
    yield { at: l.at, hostname: l.look.hostname, sockets: l.look.sockets, warnings: l.look.warnings, changes: l.events };
  }
}
