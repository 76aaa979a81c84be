import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { identityOf } from "../evaluate/identity.js";
import { summarize } from "../evaluate/enrich.js";
import type { HistoryEntry, Seen } from "../model/change.js";
import type { HostLook } from "../audit/auditor.js";
import { diffWithBaseline } from "../audit/baseline-diff.js";
import type { LoopLook } from "../audit/look-loop.js";
import { SCHEMA_VERSION } from "../model/snapshot.js";
import { renderEventJson } from "../report/render-events.js";
import { renderJsonChunks, socketJson } from "../report/render-json.js";
import { APP_CSS, APP_JS, INDEX_HTML } from "./assets.js";
import { createEventHub, DEFAULT_LIMITS, guardConnections, pour, type ServeLimits } from "./limits.js";
import { admit, doorOf, listenAt, plain as plainTo, SECURITY_HEADERS, serverTimeouts } from "./gate.js";
import { createMetrics } from "./metrics.js";

/** One look at the host, as the server needs it. */
export type Look = Pick<HostLook, "sockets" | "hostname" | "hostNetns" | "warnings">;

/** Options of the dashboard server. */
export interface ServeOptions {
  /** Address to bind: default 127.0.0.1. Anything else needs `exposed: true`. */
  host?: string;
  /** Port: default 0 (the system picks one). */
  port?: number;
  /** The access token (default: 32 random hex digits). */
  token?: string;
  /** Binding beyond loopback was asked for explicitly. */
  exposed?: boolean;
  /** Host names (or addresses) other machines use to reach the server (--allow-host): accepted in Host and printed. */
  allowHosts?: string[];
  /** Caps and timeouts (default DEFAULT_LIMITS). */
  limits?: Partial<ServeLimits>;
  intervalMs: number;
  /** Takes the next look at the host and diffs it with the last (audit/look-loop.ts: the watcher's loop). */
  look: () => Promise<Pick<LoopLook, "seen" | "counts" | "events" | "at"> & { look: Look }>;
  /** The history of one identity, when a history database exists. */
  history?: (identity: string) => HistoryEntry | null;
  /** The baseline's identities and when it was saved, when one exists. */
  baseline?: () => { savedAt: string; entries: Seen[] } | null;
  /** A note for the user (a look that failed). */
  onProblem?: (message: string) => void;
}

/** A running dashboard server. */
export interface Dashboard {
  url: string;
  /** The URL with the token: opening it logs the browser in. */
  loginUrl: string;
  /** Every URL other machines can use (one per address or allowed name; the first is `url`). */
  urls: string[];
  token: string;
  /** Takes a look now (tests; the timer does it every interval). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the dashboard, a JSON API and Prometheus metrics, safe by default: it binds to loopback
 * unless told otherwise; every request needs the token (in the login URL once, then a cookie; or an
 * `Authorization: Bearer` header for scripts and Prometheus); the Host header must name this server
 * (no DNS rebinding) and a cross-origin Origin is refused; the page escapes everything it shows.
 */
export async function startDashboard(options: ServeOptions): Promise<Dashboard> {
  const { bind, allowHosts, token } = doorOf(options, "startDashboard");
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = createMetrics();
  // `seq` numbers the looks: a change event carries its look's number and /api/identities the number of
  // the look it shows, so a page that reads the identities after its event stream opened applies only
  // the changes that came later, and misses none (a look between the two reads, or a reconnect).
  let current: { look: Look; seen: Map<string, Seen>; at: string; seq: number } | null = null;
  let seq = 0;
  const timeline: { at: string; expected: number; unknown: number; suspicious: number; sockets: number }[] = [];
  const clients = createEventHub(limits);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const heartbeat = setInterval(() => clients.send(": still here\n\n"), limits.heartbeatMs);
  heartbeat.unref();

  const refresh = async () => {
    const started = Date.now();
    let next: Awaited<ReturnType<ServeOptions["look"]>>;
    try { next = await options.look(); } catch (e) {
      metrics.scanError();
      options.onProblem?.(`a look at the host failed: ${(e as Error).message}`);
      return;
    }
    const { look, seen, counts, events, at } = next;
    seq++;
    current = { look, seen, at, seq };
    identityCounts = counts;
    metrics.update(look.sockets, (Date.now() - started) / 1000);
    const summary = { ...summarize(look.sockets), sockets: look.sockets.length, at };
    timeline.push(summary);
    if (timeline.length > 300) timeline.shift();
    // One write per client and look: its bytes are checked against the client's buffer limit first.
    let text = "";
    for (const e of events) text += `event: change\ndata: ${renderEventJson(e).slice(0, -1)},"count":${counts.get(e.identity) ?? 0},"seq":${seq}}\n\n`;
    clients.send(`${text}event: summary\ndata: ${JSON.stringify(summary)}\n\n`);
  };
  let identityCounts = new Map<string, number>();

  const tick = async () => {
    if (closed) return;
    await refresh();
    if (!closed) timer = setTimeout(() => void tick(), options.intervalMs);
  };

  const server: Server = createServer(serverTimeouts(limits), (req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
      res.end(`portwatch: internal error: ${(e as Error).message}\n`);
    });
  });

  // A connection with nothing sent or received for this long is closed (Node destroys it on "timeout").
  server.setTimeout(limits.idleTimeoutMs);
  const guard = guardConnections(server, limits.maxConnections);

  let allowedHosts: Set<string>;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const plain = (status: number, text: string, headers: Record<string, string> = {}) => plainTo(res, status, text, headers);
    const url = admit(req, res, allowedHosts, token, () => guard.trust(req.socket));
    if (url === null) return;
    const json = (data: unknown) => { res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS }); res.end(JSON.stringify(data)); };
    switch (url.pathname) {
      case "/": res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS }); res.end(INDEX_HTML); return;
      case "/app.js": res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", ...SECURITY_HEADERS }); res.end(APP_JS); return;
      case "/app.css": res.writeHead(200, { "content-type": "text/css; charset=utf-8", ...SECURITY_HEADERS }); res.end(APP_CSS); return;
      case "/metrics": res.writeHead(200, { "content-type": metrics.registry.contentType, ...SECURITY_HEADERS }); res.end(await metrics.registry.metrics()); return;
      case "/api/snapshot": {
        if (!current) await refresh();
        const look = (current as NonNullable<typeof current>).look;
        res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
        const snapshot = { schema: SCHEMA_VERSION, host: { hostname: look.hostname, source: "live" as const, collectedAt: (current as NonNullable<typeof current>).at }, sockets: look.sockets, warnings: look.warnings, summary: summarize(look.sockets) };
        await pour(res, renderJsonChunks(snapshot));
        return;
      }
      case "/api/identities": {
        if (!current) await refresh();
        const c = current as NonNullable<typeof current>;
        res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
        const counts = identityCounts;
        await pour(res, (function* () {
          yield `{"hostname":${JSON.stringify(c.look.hostname)},"at":"${c.at}","seq":${c.seq},"summary":${JSON.stringify({ ...summarize(c.look.sockets), sockets: c.look.sockets.length })},"timeline":${JSON.stringify(timeline)},"identities":[`;
          let first = true;
          for (const seen of [...c.seen.values()]) {
            yield `${first ? "" : ","}{"identity":${JSON.stringify(seen.identity)},"verdict":"${seen.verdict}","count":${counts.get(seen.identity) ?? 1},"socket":${socketJson(seen.socket)}}`;
            first = false;
          }
          yield "]}";
        })());
        return;
      }
      case "/api/identity": {
        const id = url.searchParams.get("id") ?? "";
        const c = current;
        const sockets = c ? c.look.sockets.filter((s) => identityOf(s, c.look.hostNetns) === id).slice(0, 200) : [];
        // The process behind it: its listeners and its connections, by identity.
        const pid = sockets[0]?.process?.pid;
        const mine = new Map<string, { identity: string; direction: string; verdict: string; count: number }>();
        if (c && pid !== undefined) {
          for (const s of c.look.sockets) {
            if (s.process?.pid !== pid) continue;
            const other = identityOf(s, c.look.hostNetns);
            const had = mine.get(other);
            if (had) had.count++; else mine.set(other, { identity: other, direction: s.direction, verdict: s.verdict, count: 1 });
            if (mine.size >= 500) break;
          }
        }
        res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
        res.end(`{"identity":${JSON.stringify(id)},"count":${identityCounts.get(id) ?? 0},"history":${JSON.stringify(options.history?.(id) ?? null)},"process":${JSON.stringify([...mine.values()])},"sockets":[${sockets.map(socketJson).join(",")}]}`);
        return;
      }
      case "/api/baseline-diff": {
        const b = options.baseline?.() ?? null;
        if (!b || !current) { json({ available: false }); return; }
        // The same comparison as `portwatch baseline diff`, though this look was judged with the baseline.
        const events = diffWithBaseline(b, current.look, current.at);
        res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
        res.end(`{"available":true,"savedAt":${JSON.stringify(b.savedAt)},"events":[${events.map(renderEventJson).join(",")}]}`);
        return;
      }
      case "/api/events": {
        if (clients.size() >= limits.maxEventClients) { plain(503, `portwatch: too many event streams open (${limits.maxEventClients}); close a dashboard tab`, { "retry-after": "10" }); return; }
        res.writeHead(200, { "content-type": "text/event-stream", ...SECURITY_HEADERS, connection: "keep-alive" });
        res.write("retry: 2000\n\n");
        clients.add(res);
        return;
      }
      default: plain(404, "portwatch: no such page");
    }
  };

  const served = await listenAt(server, options.port, bind, allowHosts);
  allowedHosts = served.allowed;
  const url = served.url;
  await tick();
  return {
    url,
    loginUrl: `${url}?token=${token}`,
    urls: served.urls,
    token,
    refresh,
    close: () => new Promise<void>((ok) => {
      closed = true;
      if (timer) clearTimeout(timer);
      clearInterval(heartbeat);
      clients.close();
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
