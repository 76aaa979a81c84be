import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import pc from "picocolors";
import { collectLinux } from "../collect/linux.js";
import { createServiceRegistry } from "../knowledge/service-registry.js";
import type { Proto } from "../model/socket.js";
import { SCHEMA_VERSION, type Snapshot } from "../model/snapshot.js";
import { enrich, summarize } from "../evaluate/enrich.js";
import { selectSockets } from "../evaluate/select.js";
import { renderJsonChunks, renderNdjsonChunks } from "../report/render-json.js";
import { renderCounts, renderTable } from "../report/render-table.js";
import type { Output } from "./output.js";

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
}

function readOptional(path: string): string | null {
  try { return readFileSync(path, "utf8"); } catch { return null; }
}

/** Builds the snapshot of this host (or of a captured proc tree). */
export async function auditLive(options: AuditOptions): Promise<Snapshot & { hostNetns: number | null }> {
  const collection = await collectLinux({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), owners: options.owners ?? true });
  const registry = createServiceRegistry({ etcServices: readOptional("/etc/services") });
  enrich(collection.sockets, registry);
  const protos: Proto[] = [];
  if (options.tcp) protos.push("tcp");
  if (options.udp) protos.push("udp");
  if (options.raw) protos.push("raw");
  const sockets = selectSockets(collection.sockets, { protos, listening: options.listening ?? false });
  return {
    schema: SCHEMA_VERSION,
    host: { hostname: collection.hostname ?? hostname(), source: "live", collectedAt: new Date().toISOString() },
    sockets,
    warnings: collection.warnings,
    summary: summarize(sockets),
    hostNetns: collection.hostNetns,
  };
}

/** `portwatch audit`: prints the inventory; returns the exit code. */
export async function runAudit(options: AuditOptions, io: Output): Promise<number> {
  const snapshot = await auditLive(options);
  if (options.json) {
    for (const chunk of renderJsonChunks(snapshot)) io.out(chunk);
    return 0;
  }
  if (options.ndjson) {
    for (const chunk of renderNdjsonChunks(snapshot.sockets)) io.out(chunk);
    for (const w of snapshot.warnings) io.err(`warning: ${w}\n`);
    return 0;
  }
  const paint = io.color ? { bold: pc.bold } : undefined;
  io.out(renderTable(snapshot.sockets, { ...(io.width ? { width: io.width } : {}), ...(paint ? { paint } : {}), hostNetns: snapshot.hostNetns }));
  io.out(renderCounts(snapshot.sockets));
  for (const w of snapshot.warnings) io.err(`${io.color ? pc.yellow("warning:") : "warning:"} ${w}\n`);
  return 0;
}
