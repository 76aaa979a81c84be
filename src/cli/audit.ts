import { existsSync, readFileSync } from "node:fs";
import { safeText } from "../report/safe-text.js";
import { hostname } from "node:os";
import { collectLinux, collectLinuxInParts, type OwnerCache } from "../collect/linux.js";
import { createJudge, evaluate, type EvaluateOptions } from "../evaluate/evaluate.js";
import { enrich, summarize } from "../evaluate/enrich.js";
import { selectSockets, type Selection } from "../evaluate/select.js";
import { createKnowledge, type Knowledge } from "../knowledge/knowledge.js";
import { createServiceRegistry, type ServiceRegistry } from "../knowledge/service-registry.js";
import type { Policy } from "../evaluate/policy.js";
import { defaultBaselinePath, loadBaseline, type Baseline } from "../watch/baseline-store.js";
import type { Proto, Socket } from "../model/socket.js";
import { SCHEMA_VERSION, type Snapshot, type SnapshotSource } from "../model/snapshot.js";
import { formatProblem } from "../model/problem.js";
import { phaseTimer } from "../model/timings.js";
import { classify } from "../collect/classify.js";
import type { CaptureFormat } from "../collect/parse/capture-formats.js";
import type { Origin } from "../evaluate/explain.js";

import { VERDICTS, type Verdict } from "../model/verdict.js";
import { renderJsonChunks, renderJsonHead, renderJsonSockets, renderJsonTail, renderNdjsonChunks } from "../report/render-json.js";
import { renderCounts, renderTableChunks } from "../report/render-table.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";

/** Options of `portwatch audit`. */
export interface AuditOptions {
  json?: boolean;
  ndjson?: boolean;
  tcp?: boolean;
  udp?: boolean;
  raw?: boolean;
  listening?: boolean;
  owners?: boolean;
  procRoot?: string;
  policy?: string;
  only?: Verdict[];
  failOn?: Verdict;
  explain?: boolean;
  resolve?: boolean;
  /** Judge against this baseline file (default: the default baseline, when it exists). */
  baseline?: string;
  /** Read this capture (a file, or "-" for stdin) instead of the live host. */
  from?: string;
  format?: CaptureFormat;
}

const SOURCES: Record<CaptureFormat, SnapshotSource> = {
  netstat: "netstat", ss: "ss", lsof: "lsof", "windows-netstat": "windows-netstat", "bsd-netstat": "bsd-netstat", "portwatch-json": "portwatch-json",
};
const ORIGINS: Record<CaptureFormat, Origin> = {
  netstat: "linux-capture", ss: "linux-capture", lsof: "linux-capture", "windows-netstat": "windows-capture", "bsd-netstat": "bsd-capture", "portwatch-json": "linux-capture",
};

/** Builds the judged snapshot of another machine from its netstat, ss, lsof or portwatch output. */
export async function auditCapture(options: AuditOptions & { from: string }): Promise<Snapshot & { hostNetns: number | null }> {
  const policy = await readPolicy(options.policy);
  const registry = registryOnce();
  const timings: Record<string, number> = {};
  const lap = phaseTimer(timings);
  const { readCapture } = await import("./read-capture.js");
  const capture = await readCapture(options.from, { ...(options.format ? { format: options.format } : {}), servicePort: (name, proto) => registry.port(name, proto) });
  lap("read");
  const format = capture.format as CaptureFormat;
  const sockets0 = capture.records;
  classify(sockets0, null);
  enrich(sockets0, registry);
  let sockets = selectSockets(sockets0, selection(options));
  evaluate(sockets, { knowledge: knowledgeOnce(), mode: "capture", origin: ORIGINS[format], policy });
  lap("evaluate");
  reportTimings(timings);
  if (options.only && options.only.length > 0) {
    const only = new Set(options.only);
    sockets = sockets.filter((s) => only.has(s.verdict));
  }
  const name = options.from === "-" ? "stdin" : options.from;
  const warnings = [`Read "${name}" as ${format} output${capture.detected ? " (detected; --format overrides)" : ""}: ${capture.records.length} sockets`];
  if (policy) warnings.push(`Policy "${policy.source}" applied (${policy.size} rules)`);
  warnings.push(...capture.notes);
  for (const p of capture.problems.slice(0, 50)) warnings.push(`Skipped a line: ${formatProblem(p)}`);
  if (capture.problems.length > 50) warnings.push(`... and ${capture.problems.length - 50} more lines that are not sockets`);
  if (options.resolve) {
    const { resolveRemotes } = await import("./resolve.js"); // node:dns only when asked for
    const unnamed = await resolveRemotes(sockets);
    if (unnamed > 0) warnings.push(`${unnamed} remote addresses have no reverse-DNS name (or the lookup timed out)`);
  }
  return {
    schema: SCHEMA_VERSION,
    host: { hostname: capture.hostname, source: SOURCES[format], collectedAt: new Date().toISOString() },
    sockets, warnings, summary: summarize(sockets), hostNetns: null,
  };
}

/** The -t/-u/-w/-l flags as a selection. */
function selection(options: AuditOptions): Selection {
  const protos: Proto[] = [];
  if (options.tcp) protos.push("tcp");
  if (options.udp) protos.push("udp");
  if (options.raw) protos.push("raw");
  return { protos, listening: options.listening ?? false };
}

function readOptional(path: string): string | null {
  try { return readFileSync(path, "utf8"); } catch { return null; }
}

/** Builds the judged snapshot of this host (or of a captured proc tree). */
/** What one look at this host gives: every socket judged, before any -t/-u/-l or --only selection. */
export interface HostLook {
  sockets: Socket[];
  hostname: string;
  hostNetns: number | null;
  warnings: string[];
  policy: Policy | null;
}

/**
 * Collects this host's sockets (or a captured proc tree's), names their services and judges them, with
 * the policy and, when `baseline` is given, the baseline. Shared by audit, baseline and watch.
 * A `cache` belongs to one caller that looks again and again with the same options (watch, serve): when
 * the host did not change, the last look's judged sockets (the same array) come back.
 */
export async function lookAtHost(options: { procRoot?: string; owners?: boolean; policy?: Policy | null; baseline?: Baseline | null; select?: Selection; cache?: OwnerCache; memo?: Map<string, Socket> }, timings: Record<string, number> = {}): Promise<HostLook> {
  const collection = await collectLinux({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), owners: options.owners ?? true, timings, ...(options.cache ? { cache: options.cache } : {}) });
  const lap = phaseTimer(timings);
  if (collection.unchanged && !options.select) {
    // The last look's sockets again (a steady host, see OwnerCache.previous), judged then with these same options.
    return { sockets: collection.sockets, hostname: collection.hostname ?? hostname(), hostNetns: collection.hostNetns, warnings: collection.warnings, policy: options.policy ?? null };
  }
  enrich(collection.sockets, registryOnce());
  lap("services");
  const sockets = options.select ? selectSockets(collection.sockets, options.select) : collection.sockets;
  evaluate(sockets, liveJudgement(options, collection.hostNetns));
  lap("evaluate");
  return { sockets, hostname: collection.hostname ?? hostname(), hostNetns: collection.hostNetns, warnings: collection.warnings, policy: options.policy ?? null };
}

/** A live audit's warnings, led by which baseline and policy it applied. */
function withAppliedNotes(warnings: readonly string[], policy: Policy | null, baseline: Baseline | null): string[] {
  const notes: string[] = [];
  if (baseline) notes.push(`Baseline of ${baseline.savedAt} applied (${baseline.entries.length} identities)`);
  if (policy) notes.push(`Policy "${policy.source}" applied (${policy.size} rules)`);
  return [...notes, ...warnings];
}

/** How sockets of this host are judged: the rules' mode (root or not), the policy, the baseline, portwatch's own pid. */
function liveJudgement(options: { procRoot?: string; owners?: boolean; policy?: Policy | null; baseline?: Baseline | null; memo?: Map<string, Socket> }, hostNetns: number | null): EvaluateOptions {
  const asRoot = process.getuid?.() === 0;
  const baseline = options.baseline
    ? { identities: new Set(options.baseline.entries.map((e) => e.identity)), savedAt: options.baseline.savedAt, hostNetns }
    : null;
  return {
    knowledge: knowledgeOnce(), mode: asRoot && options.owners !== false ? "live-root" : "live", origin: "live", policy: options.policy ?? null, baseline,
    ...(options.memo ? { memo: options.memo } : {}), selfPid: options.procRoot && options.procRoot !== "/proc" ? null : process.pid,
  };
}

/**
 * `portwatch audit --json/--ndjson` of this host, streamed: listeners are judged and written first, then
 * the other sockets a batch at a time (collectLinuxInParts), so memory stays flat with 200,000
 * connections. The same sockets, verdicts and summary as the one-piece path, listeners first.
 */
async function streamLive(options: AuditOptions, io: Output): Promise<number> {
  const timings: Record<string, number> = { "start-up": process.uptime() * 1000 };
  const baseline = baselineFor(options.baseline);
  const policy = await readPolicy(options.policy);
  const owners = options.owners ?? true;
  const parts = await collectLinuxInParts({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), owners, timings });
  const lap = phaseTimer(timings);
  const registry = registryOnce();
  const judge = createJudge(liveJudgement({ ...options, owners, policy, baseline }, parts.hostNetns));
  const select = selection(options);
  const only = options.only && options.only.length > 0 ? new Set(options.only) : null;
  const summary: Record<Verdict, number> = { expected: 0, unknown: 0, suspicious: 0 };
  let first = true;
  const emit = (batch: Socket[]) => {
    const kept = only ? batch.filter((s) => only.has(s.verdict)) : batch;
    for (const s of kept) summary[s.verdict]++;
    if (kept.length === 0) return;
    if (options.json) for (const chunk of renderJsonSockets(kept, first)) io.out(chunk);
    else for (const chunk of renderNdjsonChunks(kept)) io.out(chunk);
    first = false;
  };
  if (options.json) io.out(renderJsonHead({ schema: SCHEMA_VERSION, host: { hostname: parts.hostname ?? hostname(), source: "live", collectedAt: new Date().toISOString() } }));
  enrich(parts.listeners, registry);
  judge.listeners(parts.listeners);
  emit(selectSockets(parts.listeners, select));
  for (const batch of parts.rest()) {
    const wanted = selectSockets(batch, select);
    enrich(wanted, registry);
    judge.others(wanted);
    emit(wanted);
  }
  lap("judged and written");
  const warnings = withAppliedNotes(parts.warnings, policy, baseline);
  if (options.json) io.out(renderJsonTail({ warnings, summary }));
  else for (const w of warnings) io.err(`warning: ${safeText(w)}\n`);
  reportTimings(timings);
  return failOnCode(summary, options.failOn);
}

let registry: ServiceRegistry | undefined;
let knowledge: Knowledge | undefined;
/** The service registry, built once per process (watch looks many times). */
export function registryOnce(): ServiceRegistry {
  return (registry ??= createServiceRegistry({ etcServices: readOptional("/etc/services") }));
}
/** The knowledge base, validated once per process. */
export function knowledgeOnce(): Knowledge {
  return (knowledge ??= createKnowledge());
}

/** The baseline to judge against: --baseline FILE, else the default file when it exists. */
function baselineFor(path: string | undefined): Baseline | null {
  if (path !== undefined) return loadBaseline(path);
  const dflt = defaultBaselinePath();
  return existsSync(dflt) ? loadBaseline(dflt) : null;
}

/** Builds the judged snapshot of this host (or of a captured proc tree). */
export async function auditLive(options: AuditOptions): Promise<Snapshot & { hostNetns: number | null }> {
  const timings: Record<string, number> = {};
  const baseline = baselineFor(options.baseline);
  const look = await lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), owners: options.owners ?? true, policy: await readPolicy(options.policy), baseline, select: selection(options) }, timings);
  reportTimings(timings);
  let sockets = look.sockets;
  if (options.only && options.only.length > 0) {
    const only = new Set(options.only);
    sockets = sockets.filter((s) => only.has(s.verdict));
  }
  const warnings = withAppliedNotes(look.warnings, look.policy, baseline);
  if (options.resolve) {
    const { resolveRemotes } = await import("./resolve.js"); // node:dns only when asked for
    const unnamed = await resolveRemotes(sockets);
    if (unnamed > 0) warnings.push(`${unnamed} remote addresses have no reverse-DNS name (or the lookup timed out)`);
  }
  return {
    schema: SCHEMA_VERSION,
    host: { hostname: look.hostname, source: "live", collectedAt: new Date().toISOString() },
    sockets,
    warnings,
    summary: summarize(sockets),
    hostNetns: look.hostNetns,
  };
}

/** PORTWATCH_TIMINGS=1 prints where the time went and the peak memory so far (for the benchmark), on stderr. */
function reportTimings(timings: Record<string, number>): void {
  if (!process.env["PORTWATCH_TIMINGS"]) return;
  const phases = Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  process.stderr.write(`timings (ms): ${phases}; ${(process.uptime() * 1000).toFixed(1)} since the process started; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
}

/** Exit code 1 when a socket is at least as bad as `failOn`. */
export function failOnCode(summary: Record<Verdict, number>, failOn: Verdict | undefined): number {
  if (!failOn) return 0;
  const from = VERDICTS.indexOf(failOn);
  return VERDICTS.slice(from).some((v) => summary[v] > 0) ? 1 : 0;
}

/** `portwatch audit`: prints the judged inventory; returns the exit code. */
export async function runAudit(options: AuditOptions, io: Output): Promise<number> {
  if ((options.json || options.ndjson) && options.from === undefined && !options.resolve) return streamLive(options, io);
  const snapshot = options.from !== undefined ? await auditCapture({ ...options, from: options.from }) : await auditLive(options);
  const code = failOnCode(snapshot.summary, options.failOn);
  if (options.json) {
    const { hostNetns: _, ...plain } = snapshot;
    for (const chunk of renderJsonChunks(plain)) io.out(chunk);
    return code;
  }
  if (options.ndjson) {
    for (const chunk of renderNdjsonChunks(snapshot.sockets)) io.out(chunk);
    for (const w of snapshot.warnings) io.err(`warning: ${safeText(w)}\n`);
    return code;
  }
  // picocolors looks at process.stdout when it loads, which sets up the stdout stream: only on a terminal.
  const pc = io.color ? (await import("picocolors")).default : null;
  const paint = pc ? { bold: pc.bold, red: pc.red, yellow: pc.yellow, green: pc.green } : undefined;
  for (const piece of renderTableChunks(snapshot.sockets, { ...(io.width ? { width: io.width } : {}), ...(paint ? { paint } : {}), hostNetns: snapshot.hostNetns, explain: options.explain ?? false })) io.out(piece);
  io.out(renderCounts(snapshot.sockets));
  for (const w of snapshot.warnings) io.err(`${pc ? pc.yellow("warning:") : "warning:"} ${safeText(w)}\n`);
  return code;
}
