import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { identityOf } from "../evaluate/identity.js";
import { summarize } from "../evaluate/enrich.js";
import type { HistoryEntry, Seen } from "../model/change.js";
import type { HostLook } from "../audit/auditor.js";
import { diffWithBaseline } from "../audit/baseline-diff.js";
import type { LoopLook } from "../audit/look-loop.js";
import { isLoopback } from "../model/address.js";
import { InputError } from "../model/errors.js";
import { SCHEMA_VERSION } from "../model/snapshot.js";
import { renderEventJson } from "../report/render-events.js";
import { renderJsonChunks, socketJson } from "../report/render-json.js";
import { APP_CSS, APP_JS, INDEX_HTML } from "./assets.js";
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
  token: string;
  /** Takes a look now (tests; the timer does it every interval). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

function same(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  const m = /(?:^|;\s*)portwatch_token=([0-9a-f]+)/.exec(req.headers.cookie ?? "");
  return m ? (m[1] as string) : null;
}

/**
 * Serves the dashboard, a JSON API and Prometheus metrics, safe by default: it binds to loopback
 * unless told otherwise; every request needs the token (in the login URL once, then a cookie; or an
 * `Authorization: Bearer` header for scripts and Prometheus); the Host header must name this server
 * (no DNS rebinding) and a cross-origin Origin is refused; the page escapes everything it shows.
 */
export async function startDashboard(options: ServeOptions): Promise<Dashboard> {
  const bind = options.host ?? "127.0.0.1";
  if (!isLoopback(bind) && bind !== "localhost" && !options.exposed) {
    throw new InputError(`Refusing to serve on "${bind}": that address is reachable from other machines; add --expose if you mean it`);
  }
  const token = options.token ?? randomBytes(16).toString("hex");
  const metrics = createMetrics();
  // `seq` numbers the looks: a change event carries its look's number and /api/identities the number of
  // the look it shows, so a page that reads the identities after its event stream opened applies only
  // the changes that came later, and misses none (a look between the two reads, or a reconnect).
  let current: { look: Look; seen: Map<string, Seen>; at: string; seq: number } | null = null;
  let seq = 0;
  const timeline: { at: string; expected: number; unknown: number; suspicious: number; sockets: number }[] = [];
  const clients = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const send = (event: string, data: string) => {
    for (const res of clients) res.write(`event: ${event}\ndata: ${data}\n\n`);
  };

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
    for (const e of events) send("change", `${renderEventJson(e).slice(0, -1)},"count":${counts.get(e.identity) ?? 0},"seq":${seq}}`);
    send("summary", JSON.stringify(summary));
  };
  let identityCounts = new Map<string, number>();

  const tick = async () => {
    if (closed) return;
    await refresh();
    if (!closed) timer = setTimeout(() => void tick(), options.intervalMs);
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
      res.end(`portwatch: internal error: ${(e as Error).message}\n`);
    });
  });

  let allowedHosts: Set<string>;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS, ...headers });
      res.end(`${text}\n`);
    };
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends "Host: evil.example".
    if (!allowedHosts.has((req.headers.host ?? "").toLowerCase())) { plain(403, "portwatch: this Host is not allowed (open the URL portwatch printed)"); return; }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts.has(origin.replace(/^https?:\/\//, "").toLowerCase())) { plain(403, "portwatch: cross-origin requests are refused"); return; }
    if (req.method !== "GET" && req.method !== "HEAD") { plain(405, "portwatch: only GET", { allow: "GET, HEAD" }); return; }
    const url = new URL(req.url ?? "/", "http://portwatch.invalid");
    const bearer = /^Bearer ([0-9a-f]+)$/.exec(req.headers.authorization ?? "")?.[1];
    const given = url.searchParams.get("token") ?? bearer ?? cookieToken(req);
    if (given === null || !same(given, token)) { plain(401, "portwatch: a token is needed: open the URL with ?token=… that portwatch serve printed", { "www-authenticate": "Bearer" }); return; }
    if (url.searchParams.has("token") && url.pathname === "/") {
      // Trade the token in the URL for a cookie, and drop it from the address bar and history.
      res.writeHead(303, { location: "/", "set-cookie": `portwatch_token=${token}; HttpOnly; SameSite=Strict; Path=/`, ...SECURITY_HEADERS });
      res.end();
      return;
    }
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
        for (const chunk of renderJsonChunks(snapshot)) res.write(chunk);
        res.end();
        return;
      }
      case "/api/identities": {
        if (!current) await refresh();
        const c = current as NonNullable<typeof current>;
        res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
        res.write(`{"hostname":${JSON.stringify(c.look.hostname)},"at":"${c.at}","seq":${c.seq},"summary":${JSON.stringify({ ...summarize(c.look.sockets), sockets: c.look.sockets.length })},"timeline":${JSON.stringify(timeline)},"identities":[`);
        let first = true;
        for (const seen of c.seen.values()) {
          res.write(`${first ? "" : ","}{"identity":${JSON.stringify(seen.identity)},"verdict":"${seen.verdict}","count":${identityCounts.get(seen.identity) ?? 1},"socket":${socketJson(seen.socket)}}`);
          first = false;
        }
        res.end("]}");
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
        res.writeHead(200, { "content-type": "text/event-stream", ...SECURITY_HEADERS, connection: "keep-alive" });
        res.write("retry: 2000\n\n");
        clients.add(res);
        req.on("close", () => clients.delete(res));
        return;
      }
      default: plain(404, "portwatch: no such page");
    }
  };

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, bind, () => ok());
  });
  const port = (server.address() as { port: number }).port;
  const hostText = bind.includes(":") ? `[${bind}]` : bind;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${hostText}:${port}`.toLowerCase()]);
  await tick();
  return {
    url: `http://${hostText}:${port}/`,
    loginUrl: `http://${hostText}:${port}/?token=${token}`,
    token,
    refresh,
    close: () => new Promise<void>((ok) => {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const res of clients) res.end();
      clients.clear();
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
