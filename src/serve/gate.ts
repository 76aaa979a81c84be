import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from "node:http";
import { networkInterfaces } from "node:os";
import { checkAllowedHost, checkBind, servedHosts } from "./addresses.js";
import { TOKEN_PATTERN } from "./token-file.js";

/** The headers of every answer: nothing inline, nothing framed, nothing cached, no referrer. */
export const SECURITY_HEADERS = {
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
  const m = /(?:^|;\s*)portwatch_token=([A-Za-z0-9._~-]+)/.exec(req.headers.cookie ?? "");
  return m ? (m[1] as string) : null;
}

/** A plain-text answer; a refused request does not keep its connection (a stranger's slot is free again at once). */
export function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (status === 401 || status === 403 || status === 503) headers = { ...headers, connection: "close" };
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS, ...headers });
  res.end(`${text}\n`);
}

/**
 * The door of both dashboards (server.ts, fleet-server.ts): the Host header must name this server (no
 * DNS rebinding), a cross-origin Origin is refused, only GET and HEAD, and the token is needed (in the
 * login URL once, then a cookie; or `Authorization: Bearer`). The login URL is traded for a cookie and a
 * redirect to "/". Returns the request's URL when it may pass, else null (the answer is sent).
 */
export function admit(req: IncomingMessage, res: ServerResponse, allowedHosts: ReadonlySet<string>, token: string, trust: () => void): URL | null {
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends "Host: evil.example".
  if (!allowedHosts.has((req.headers.host ?? "").toLowerCase())) { plain(res, 403, "portwatch: this Host is not allowed (open the URL portwatch printed)"); return null; }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.has(origin.replace(/^https?:\/\//, "").toLowerCase())) { plain(res, 403, "portwatch: cross-origin requests are refused"); return null; }
  if (req.method !== "GET" && req.method !== "HEAD") { plain(res, 405, "portwatch: only GET", { allow: "GET, HEAD" }); return null; }
  const url = new URL(req.url ?? "/", "http://portwatch.invalid");
  const bearer = /^Bearer ([A-Za-z0-9._~-]+)$/.exec(req.headers.authorization ?? "")?.[1];
  const given = url.searchParams.get("token") ?? bearer ?? cookieToken(req);
  if (given === null || !same(given, token)) { plain(res, 401, "portwatch: a token is needed: open the URL with ?token=… that portwatch serve printed", { "www-authenticate": "Bearer" }); return null; }
  trust();
  if (url.searchParams.has("token") && url.pathname === "/") {
    // Trade the token in the URL for a cookie, and drop it from the address bar and history.
    res.writeHead(303, { location: "/", "set-cookie": `portwatch_token=${token}; HttpOnly; SameSite=Strict; Path=/`, ...SECURITY_HEADERS });
    res.end();
    return null;
  }
  return url;
}

/** The HTTP server's timeouts from the dashboard's limits (both dashboards). */
export function serverTimeouts(limits: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number }): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often the two timeouts above are checked (Node's default, 30 s, would let a slow request live 40 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/**
 * The door of a dashboard (both of them), checked before anything listens: where it binds (loopback unless
 * `exposed`), the extra Host names it answers to, and its token (a random one when none is given). `who`
 * names the caller in the error a bad token gives.
 */
export function doorOf(options: { host?: string; exposed?: boolean; allowHosts?: string[]; token?: string }, who: string): { bind: string; allowHosts: string[]; token: string } {
  const bind = options.host ?? "127.0.0.1";
  checkBind(bind, options.exposed ?? false);
  const allowHosts = (options.allowHosts ?? []).map(checkAllowedHost);
  const token = options.token ?? randomBytes(16).toString("hex");
  if (!TOKEN_PATTERN.test(token)) throw new Error(`${who}: the token must be 16 to 256 letters, digits, '.', '_', '~' or '-'`);
  return { bind, allowHosts, token };
}

/** Listens on `bind` (`port`, or a free one), then gives its URLs (the first to print) and the Host headers the door lets in. */
export async function listenAt(server: Server, port: number | undefined, bind: string, allowHosts: readonly string[]): Promise<{ url: string; urls: string[]; allowed: Set<string> }> {
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port ?? 0, bind, () => ok());
  });
  const served = servedHosts(bind, (server.address() as { port: number }).port, allowHosts, networkInterfaces());
  return { url: served.urls[0] as string, urls: served.urls, allowed: served.allowed };
}
