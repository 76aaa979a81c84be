import { existsSync } from "node:fs";
import { openHistory } from "../audit/alerting.js";
import { createLooker } from "../audit/look-loop.js";
import { safeText } from "../report/safe-text.js";
import { InputError } from "../model/errors.js";
import { checkBind } from "../serve/addresses.js";
import { startDashboard } from "../serve/server.js";
import { readTokenFile } from "../serve/token-file.js";
import { listsReloader } from "../audit/lists.js";
import { auditorOnce, baselineFor, stateOf, provenanceOf } from "./context.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";
import { storeTargetOf, type StoreFlags } from "./store.js";
import { openFleetView } from "../audit/fleet-view.js";
import { startFleetDashboard } from "../serve/fleet-server.js";
import type { Dashboard } from "../serve/server.js";

/** Options of `portwatch serve`. */
export interface ServeCliOptions extends Pick<StoreFlags, "store" | "storePasswordFile"> {
  host: string;
  port: number;
  expose: boolean;
  /** --allow-host: names other machines use to reach this host (with --expose). */
  allowHosts?: string[];
  /** --token-file: the token, kept across restarts. */
  tokenFile?: string;
  intervalMs: number;
  procRoot?: string;
  policy?: string;
  db?: string;
  baseline?: string;
  stateDir?: string;
  /** Stop after this many milliseconds (tests, demos); default: until interrupted. */
  forMs?: number;
}

/**
 * `portwatch serve`: the dashboard, JSON API and /metrics on loopback, until interrupted; with --store (or
 * PORTWATCH_STORE), the fleet's dashboard instead: its hosts, then one host's last look, read-only.
 */
export async function runServe(options: ServeCliOptions, io: Output, signal: AbortSignal): Promise<number> {
  checkBind(options.host, options.expose); // before anything is opened: a mistake exits 2 at once
  if ((options.allowHosts ?? []).length > 0 && !options.expose) throw new InputError("Cannot use --allow-host without --expose: on loopback only this computer's own names are answered");
  // --db FILE on the command line wins over PORTWATCH_STORE in the environment (as for history); with --store it is a conflict.
  const target = options.db !== undefined && options.store === undefined ? undefined : storeTargetOf(options, (m) => io.err(`warning: ${safeText(m)}\n`));
  if (target !== undefined) {
    const mixed = (["db", "policy", "baseline"] as const).filter((k) => options[k] !== undefined);
    if (mixed.length > 0) throw new InputError(`Cannot use --${mixed[0]} with --store URL: the fleet view shows each host's last look as its watcher judged and wrote it`);
  }
  const fromFile = options.tokenFile !== undefined ? readTokenFile(options.tokenFile) : null;
  if (target !== undefined) {
    const fleet = await openFleetView(target);
    try {
      const dashboard = await startFleetDashboard({
        host: options.host, port: options.port, exposed: options.expose, fleet,
        ...(options.allowHosts ? { allowHosts: options.allowHosts } : {}), ...(fromFile ? { token: fromFile.token } : {}),
      });
      return await served(dashboard, options, fromFile?.created ?? false, io, signal, "/api/hosts and /host/ID/api/* take");
    } finally { await fleet.close(); }
  }
  const policy = await readPolicy(options.policy);
  const state = stateOf(options);
  const baseline = baselineFor(options.baseline, state);
  const dbPath = options.db ?? state.history;
  // Read-only, as `portwatch history` reads it: serve never creates, changes or converts the watcher's file.
  const history = existsSync(dbPath) ? await openHistory(dbPath, { readonly: true }) : null;
  if (history === null) io.err(`portwatch: no history database at ${safeText(dbPath)} (run "portwatch watch" to record one, or give it with --db FILE); the detail view shows no history\n`);
  const looker = createLooker(auditorOnce(), { ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy, baseline, ...provenanceOf(options), lists: listsReloader(state) });
  const dashboard = await startDashboard({
    host: options.host, port: options.port, exposed: options.expose, intervalMs: options.intervalMs,
    ...(options.allowHosts ? { allowHosts: options.allowHosts } : {}), ...(fromFile ? { token: fromFile.token } : {}),
    look: () => looker.next(),
    history: (id) => history?.get(id) ?? null,
    baseline: () => baseline,
    onProblem: (m) => io.err(`warning: ${safeText(m)}\n`),
  });
  try {
    return await served(dashboard, options, fromFile?.created ?? false, io, signal);
  } finally { history?.close(); }
}

/** Prints the dashboard's address and serves until interrupted (or --for); then closes it. */
async function served(dashboard: Dashboard, options: ServeCliOptions, created: boolean, io: Output, signal: AbortSignal, api = "/metrics and /api/* take"): Promise<number> {
  if (options.expose) io.err(`warning: serving on ${safeText(options.host)}: other machines can reach this dashboard; keep the token secret\n`);
  if (created) io.err(`portwatch: wrote a new token to ${safeText(options.tokenFile ?? "")}\n`);
  if (options.tokenFile !== undefined) {
    // The token stays in its file: it is not printed (a service's output goes to the journal).
    const urls = dashboard.urls.map((u) => `portwatch dashboard: ${u}?token=TOKEN\n`).join("");
    io.out(`${urls}(TOKEN is the content of ${safeText(options.tokenFile)}; open the URL with it in a browser. ${api} "Authorization: Bearer TOKEN")\n`);
  } else {
    const urls = dashboard.urls.map((u) => `portwatch dashboard: ${u}?token=${dashboard.token}\n`).join("");
    io.out(`${urls}(open it in a browser; the token in it is the password. ${api} "Authorization: Bearer ${dashboard.token}")\n`);
  }
  await new Promise<void>((ok) => {
    const timer = options.forMs !== undefined ? setTimeout(ok, options.forMs) : null;
    signal.addEventListener("abort", () => { if (timer) clearTimeout(timer); ok(); }, { once: true });
  });
  await dashboard.close();
  return 0;
}
