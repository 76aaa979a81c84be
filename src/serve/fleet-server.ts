import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FleetHost, FleetHostLook } from "../model/fleet.js";
import { jsonSafe } from "../report/safe-text.js";
import { APP_CSS, APP_JS, INDEX_HTML } from "./assets.js";
import { renderFleetPage } from "./fleet-page.js";
import { admit, doorOf, listenAt, plain, SECURITY_HEADERS, serverTimeouts } from "./gate.js";
import { createEventHub, DEFAULT_LIMITS, guardConnections } from "./limits.js";
import type { Dashboard, ServeOptions } from "./server.js";

/** What the fleet view reads: the store's hosts and one host's last look (watch/fleet-look-store.ts), read-only. */
export interface FleetSource {
  /** Where the store is, without its secrets. */
  readonly place: string;
  hosts(options?: { now?: Date }): Promise<FleetHost[]>;
  hostLook(hostId: string, now?: Date): Promise<FleetHostLook | null>;
}

/** Options of the fleet's dashboard: the server's (server.ts) without the look, and the store to read. */
export interface FleetServeOptions extends Pick<ServeOptions, "host" | "port" | "token" | "exposed" | "allowHosts" | "limits"> {
  fleet: FleetSource;
  /** The clock (tests); default: the real one. */
  now?: () => Date;
}

const HOST_PATH = /^\/host\/([^/]+)\/(.*)$/;

/**
 * The dashboard of a fleet (`portwatch serve --store postgres://…`), read-only: "/" lists the hosts of
 * the store (fleet-page.ts); "/host/ID/" is the dashboard's own page (ui/, the same views as for this
 * host) over that host's last look as its watcher wrote it: /host/ID/api/identities, api/identity,
 * api/baseline-diff (none: baselines stay on the hosts) and api/events (open, quiet: a look in the store
 * does not change, a reload reads a newer one). GET /api/hosts gives the hosts as JSON. The door is
 * server.ts's (gate.ts): loopback unless exposed, the token, the Host and Origin checks.
 */
export async function startFleetDashboard(options: FleetServeOptions): Promise<Dashboard> {
  const { bind, allowHosts, token } = doorOf(options, "startFleetDashboard");
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? (() => new Date());
  const clients = createEventHub(limits);
  const heartbeat = setInterval(() => clients.send(": still here\n\n"), limits.heartbeatMs);
  heartbeat.unref();

  const server: Server = createServer(serverTimeouts(limits), (req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
      res.end(`portwatch: cannot read the fleet store: ${(e as Error).message}\n`);
    });
  });
  server.setTimeout(limits.idleTimeoutMs);
  const guard = guardConnections(server, limits.maxConnections);

  let allowedHosts: Set<string>;
  const send = (res: ServerResponse, type: string, body: string) => { res.writeHead(200, { "content-type": type, ...SECURITY_HEADERS }); res.end(body); };
  const json = (res: ServerResponse, data: unknown) => send(res, "application/json", jsonSafe(JSON.stringify(data)));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = admit(req, res, allowedHosts, token, () => guard.trust(req.socket));
    if (url === null) return;
    switch (url.pathname) {
      case "/": send(res, "text/html; charset=utf-8", renderFleetPage(await options.fleet.hosts({ now: now() }), options.fleet.place)); return;
      case "/app.js": send(res, "text/javascript; charset=utf-8", APP_JS); return;
      case "/app.css": send(res, "text/css; charset=utf-8", APP_CSS); return;
      case "/api/hosts": json(res, await options.fleet.hosts({ now: now() })); return;
    }
    const m = HOST_PATH.exec(url.pathname);
    let hostId: string | null = null;
    try { hostId = m ? decodeURIComponent(m[1] as string) : null; } catch { /* a broken escape: no such page */ }
    if (m === null || hostId === null) { plain(res, 404, "portwatch: no such page"); return; }
    const page = m[2] as string;
    switch (page) {
      case "": send(res, "text/html; charset=utf-8", INDEX_HTML); return;
      case "api/events": {
        if (clients.size() >= limits.maxEventClients) { plain(res, 503, `portwatch: too many event streams open (${limits.maxEventClients}); close a dashboard tab`, { "retry-after": "10" }); return; }
        res.writeHead(200, { "content-type": "text/event-stream", ...SECURITY_HEADERS, connection: "keep-alive" });
        res.write("retry: 2000\n\n");
        clients.add(res);
        return;
      }
      case "api/baseline-diff": json(res, { available: false, note: "The fleet store keeps no baselines: run \"portwatch baseline diff\" on the host." }); return;
      case "api/identities":
      case "api/identity": break;
      default: plain(res, 404, "portwatch: no such page"); return;
    }
    const look = await options.fleet.hostLook(hostId, now());
    if (look === null) { plain(res, 404, `portwatch: no host "${hostId}" in the fleet store`); return; }
    if (page === "api/identities") { json(res, identitiesOf(look)); return; }
    json(res, identityOf(look, url.searchParams.get("id") ?? ""));
  };

  const served = await listenAt(server, options.port, bind, allowHosts);
  allowedHosts = served.allowed;
  const url = served.url;
  return {
    url, loginUrl: `${url}?token=${token}`, urls: served.urls, token,
    refresh: () => Promise.resolve(),
    close: () => new Promise<void>((ok) => {
      clearInterval(heartbeat);
      clients.close();
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

/** GET /host/ID/api/identities: the shape of server.ts's (ui/api.ts, IdentitiesResponse), from the store. */
export function identitiesOf(look: FleetHostLook) {
  const summary = { expected: 0, unknown: 0, suspicious: 0, sockets: 0, at: look.host.lastLook };
  for (const i of look.identities) {
    if (i.verdict === "expected" || i.verdict === "unknown" || i.verdict === "suspicious") summary[i.verdict] += i.sockets;
    summary.sockets += i.sockets;
  }
  return {
    hostname: look.host.hostname, at: look.host.lastLook, seq: 0, summary, timeline: [summary],
    identities: look.identities.map((i) => ({ identity: i.identity, verdict: i.verdict, count: i.sockets, socket: i.socket })),
    fleet: { hostId: look.host.hostId, lastLook: look.host.lastLook, notReportingSince: look.host.notReportingSince },
  };
}

/** GET /host/ID/api/identity?id=…: the identity's socket and history, and the other identities of its process (by pid, in that look). */
export function identityOf(look: FleetHostLook, id: string) {
  const found = look.identities.find((i) => i.identity === id);
  const pidOf = (socket: unknown) => (socket as { process?: { pid?: number } | null } | null)?.process?.pid;
  const pid = found ? pidOf(found.socket) : undefined;
  const process = pid === undefined ? [] : look.identities.filter((i) => pidOf(i.socket) === pid).slice(0, 500)
    .map((i) => ({ identity: i.identity, direction: (i.socket as { direction?: string }).direction ?? "unknown", verdict: i.verdict, count: i.sockets }));
  return { identity: id, count: found?.sockets ?? 0, history: found?.history ?? null, process, sockets: found ? [found.socket] : [] };
}
