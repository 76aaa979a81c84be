import { existsSync } from "node:fs";
import { safeText } from "../report/safe-text.js";
import { createOwnerCache } from "../collect/linux.js";
import type { Socket } from "../model/socket.js";
import { startDashboard } from "../serve/server.js";
import { defaultBaselinePath, loadBaseline } from "../watch/baseline-store.js";
import { lookAtHost } from "./audit.js";
import { defaultHistoryPath } from "./history.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";

/** Options of `portwatch serve`. */
export interface ServeCliOptions {
  host: string;
  port: number;
  expose: boolean;
  intervalMs: number;
  procRoot?: string;
  policy?: string;
  db?: string;
  baseline?: string;
  /** Stop after this many milliseconds (tests, demos); default: until interrupted. */
  forMs?: number;
}

/** `portwatch serve`: the dashboard, JSON API and /metrics on loopback, until interrupted. */
export async function runServe(options: ServeCliOptions, io: Output, signal: AbortSignal): Promise<number> {
  const policy = await readPolicy(options.policy);
  const cache = createOwnerCache();
  const memo = new Map<string, Socket>();
  const baselinePath = options.baseline ?? defaultBaselinePath();
  const baseline = existsSync(baselinePath) ? loadBaseline(baselinePath) : null;
  const dbPath = options.db ?? defaultHistoryPath();
  const history = existsSync(dbPath) ? new (await import("../watch/history-store.js")).HistoryStore(dbPath) : null;
  if (options.expose) io.err(`warning: serving on ${options.host}: other machines can reach this dashboard; keep the token secret\n`);
  const dashboard = await startDashboard({
    host: options.host, port: options.port, exposed: options.expose, intervalMs: options.intervalMs,
    look: async () => {
      const look = await lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy, baseline, cache, memo });
      return { sockets: look.sockets, hostname: look.hostname, hostNetns: look.hostNetns, warnings: look.warnings };
    },
    history: (id) => history?.get(id) ?? null,
    baseline: () => baseline,
    onProblem: (m) => io.err(`warning: ${safeText(m)}\n`),
  });
  io.out(`portwatch dashboard: ${dashboard.loginUrl}\n(open it in a browser; the token in it is the password. /metrics and /api/* take "Authorization: Bearer ${dashboard.token}")\n`);
  await new Promise<void>((ok) => {
    const timer = options.forMs !== undefined ? setTimeout(ok, options.forMs) : null;
    signal.addEventListener("abort", () => { if (timer) clearTimeout(timer); ok(); }, { once: true });
  });
  await dashboard.close();
  history?.close();
  return 0;
}
