import type { Selection } from "../audit/auditor.js";
import type { CaptureFormat } from "../audit/formats.js";
import { SCHEMA_VERSION, type Snapshot } from "../model/snapshot.js";
import type { Proto, Socket } from "../model/socket.js";
import { phaseTimer } from "../model/timings.js";
import { VERDICTS, type Verdict } from "../model/verdict.js";
import { renderJsonChunks, renderJsonHead, renderJsonSockets, renderJsonTail, renderNdjsonChunks } from "../report/render-json.js";
import { renderCounts, renderTableChunks } from "../report/render-table.js";
import { safeText } from "../report/safe-text.js";
import { summarize } from "../model/summary.js";
import { auditorOnce, baselineFor, listsOf, stateOf, provenanceOf } from "./context.js";
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
  /** The table's Network column: who owns each remote address's network (remote.asn). */
  remoteOwner?: boolean;
  /** Judge against this baseline file (default: the state directory's baseline, when it exists). */
  baseline?: string;
  stateDir?: string;
  /** Read this capture (a file, or "-" for stdin) instead of the live host. */
  from?: string;
  format?: CaptureFormat;
  /** What hides, the slow way: the bind probe of every TCP and UDP port of each namespace, and pids missing from /proc's listing (live host only). */
  deep?: boolean;
}

/** The -t/-u/-w/-l flags as a selection. */
function selection(options: AuditOptions): Selection {
  const protos: Proto[] = [];
  if (options.tcp) protos.push("tcp");
  if (options.udp) protos.push("udp");
  if (options.raw) protos.push("raw");
  return { protos, listening: options.listening ?? false };
}

const hostOptions = (options: AuditOptions) => ({
  ...(options.procRoot ? { procRoot: options.procRoot } : {}), owners: options.owners ?? true, deep: options.deep ?? false, ...provenanceOf(options), ...listsOf(options),
});

/** Builds the judged snapshot of another machine from its netstat, ss, lsof or portwatch output. */
async function auditCapture(options: AuditOptions & { from: string }): Promise<Snapshot & { hostNetns: number | null }> {
  const policy = await readPolicy(options.policy);
  const auditor = auditorOnce();
  const timings: Record<string, number> = {};
  const lap = phaseTimer(timings);
  const { readCapture } = await import("./read-capture.js");
  const capture = await readCapture(options.from, { ...(options.format ? { format: options.format } : {}), servicePort: (name, proto) => auditor.registry.port(name, proto) });
  lap("read");
  const snapshot = auditor.judgeCapture({ ...capture, format: capture.format as CaptureFormat, name: options.from === "-" ? "stdin" : options.from }, { policy, select: selection(options), ...listsOf(options) });
  lap("evaluate");
  reportTimings(timings);
  return { ...snapshot, hostNetns: null };
}

/** Builds the judged snapshot of this host (or of a captured proc tree). */
async function auditLive(options: AuditOptions): Promise<Snapshot & { hostNetns: number | null }> {
  const timings: Record<string, number> = {};
  const baseline = baselineFor(options.baseline, stateOf(options));
  const look = await auditorOnce().lookAtHost({ ...hostOptions(options), policy: await readPolicy(options.policy), baseline, select: selection(options) }, null, timings);
  reportTimings(timings);
  return {
    schema: SCHEMA_VERSION, host: { hostname: look.hostname, source: "live", collectedAt: new Date().toISOString() },
    sockets: look.sockets, warnings: look.warnings, summary: summarize(look.sockets), hostNetns: look.hostNetns,
  };
}

/**
 * `portwatch audit --json/--ndjson` of this host, streamed: listeners are judged and written first, then
 * the other sockets a batch at a time (Auditor.streamHost), so memory stays flat with 200,000
 * connections. The same sockets, verdicts and summary as the one-piece path, listeners first.
 */
async function streamLive(options: AuditOptions, io: Output): Promise<number> {
  const timings: Record<string, number> = { "start-up": process.uptime() * 1000 };
  const baseline = baselineFor(options.baseline, stateOf(options));
  const policy = await readPolicy(options.policy);
  const stream = await auditorOnce().streamHost({ ...hostOptions(options), policy, baseline, select: selection(options) }, timings);
  const lap = phaseTimer(timings);
  const only = options.only && options.only.length > 0 ? new Set(options.only) : null;
  const summary: Record<Verdict, number> = { expected: 0, unknown: 0, suspicious: 0 };
  let first = true;
  const emit = (batch: readonly Socket[]) => {
    const kept = only ? batch.filter((s) => only.has(s.verdict)) : batch;
    for (const s of kept) summary[s.verdict]++;
    if (kept.length === 0) return;
    if (options.json) for (const chunk of renderJsonSockets(kept, first)) io.out(chunk);
    else for (const chunk of renderNdjsonChunks(kept)) io.out(chunk);
    first = false;
  };
  const hold = io.hold?.();
  try {
    if (options.json) io.out(renderJsonHead({ schema: SCHEMA_VERSION, host: { hostname: stream.hostname, source: "live", collectedAt: new Date().toISOString() } }));
    emit(stream.listeners);
    for (const batch of stream.rest()) {
      emit(batch);
      const behind = hold?.drain();
      if (behind) await behind;
    }
    lap("judged and written");
    if (options.json) io.out(renderJsonTail({ warnings: stream.warnings, summary }));
  } finally {
    await hold?.release();
  }
  if (!options.json) for (const w of stream.warnings) io.err(`warning: ${safeText(w)}\n`);
  reportTimings(timings);
  return failOnCode(summary, options.failOn);
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
  if (options.only && options.only.length > 0) {
    const only = new Set(options.only);
    snapshot.sockets = snapshot.sockets.filter((s) => only.has(s.verdict));
    snapshot.summary = summarize(snapshot.sockets);
  }
  if (options.resolve) {
    const { resolveRemotes } = await import("./resolve.js"); // node:dns only when asked for
    const unnamed = await resolveRemotes(snapshot.sockets);
    if (unnamed > 0) snapshot.warnings.push(`${unnamed} remote addresses have no reverse-DNS name (or the lookup timed out)`);
  }
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
  for (const piece of renderTableChunks(snapshot.sockets, { ...(io.width ? { width: io.width } : {}), ...(paint ? { paint } : {}), hostNetns: snapshot.hostNetns, explain: options.explain ?? false, remoteOwner: options.remoteOwner ?? false })) io.out(piece);
  io.out(renderCounts(snapshot.sockets));
  for (const w of snapshot.warnings) io.err(`${pc ? pc.yellow("warning:") : "warning:"} ${safeText(w)}\n`);
  return code;
}
