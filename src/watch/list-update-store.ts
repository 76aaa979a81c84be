import { readFileSync, statSync } from "node:fs";
import { request } from "node:https";
import { isAbsolute } from "node:path";

/*
 * Fetching one address list for `portwatch lists update`: over HTTPS only (a list decides what is called
 * suspicious, so it is never read from a connection anyone on the path could change), with the last
 * answer's ETag and Last-Modified (a list that did not change costs a 304), a size limit and a time limit,
 * at most 3 redirects (HTTPS too). A list added from a file is read from that file. Nothing is written
 * here: the caller keeps the previous copy unless the new one is good (audit/lists-admin.ts).
 */

export interface FetchLimits {
  /** Largest body accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** The whole download's time limit, in ms (default 60 s). */
  timeoutMs?: number;
}

export type FetchResult =
  | { kind: "new"; text: string; etag: string | null; lastModified: string | null }
  | { kind: "not-modified" }
  | { kind: "failed"; reason: string };

const DEFAULT_MAX = 64 * 1024 * 1024;

/** Fetches a list from `source` (an https:// URL or an absolute file path), asking only for a change since `previous`. */
export async function fetchList(source: string, previous: { etag?: string | undefined; lastModified?: string | undefined }, limits: FetchLimits = {}): Promise<FetchResult> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX;
  if (isAbsolute(source)) {
    try {
      const st = statSync(source);
      if (!st.isFile()) return { kind: "failed", reason: `"${source}" is not a file` };
      if (st.size > maxBytes) return { kind: "failed", reason: `"${source}" is larger than ${maxBytes} bytes` };
      return { kind: "new", text: readFileSync(source, "utf8"), etag: null, lastModified: null };
    } catch (e) {
      return { kind: "failed", reason: `cannot read "${source}": ${(e as Error).message}` };
    }
  }
  let url: URL;
  try { url = new URL(source); } catch { return { kind: "failed", reason: `"${source}" is neither an https:// URL nor an absolute file path` }; }
  if (url.protocol !== "https:") return { kind: "failed", reason: `"${source}" is not an https:// URL: lists are fetched over HTTPS only` };
  const deadline = Date.now() + (limits.timeoutMs ?? 60_000);
  for (let hop = 0; hop <= 3; hop++) {
    const r = await get(url, previous, maxBytes, deadline);
    if (r.kind !== "redirect") return r;
    let next: URL;
    try { next = new URL(r.location, url); } catch { return { kind: "failed", reason: `a redirect to "${r.location}", which is no URL` }; }
    if (next.protocol !== "https:") return { kind: "failed", reason: `a redirect to "${next.href}", which is not HTTPS` };
    url = next;
  }
  return { kind: "failed", reason: "more than 3 redirects" };
}

function get(url: URL, previous: { etag?: string | undefined; lastModified?: string | undefined }, maxBytes: number, deadline: number): Promise<FetchResult | { kind: "redirect"; location: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { "user-agent": "portwatch (lists update)", accept: "text/plain, text/csv, */*" };
    if (previous.etag) headers["if-none-match"] = previous.etag;
    if (previous.lastModified) headers["if-modified-since"] = previous.lastModified;
    let done = false;
    const finish = (r: FetchResult | { kind: "redirect"; location: string }) => { if (!done) { done = true; clearTimeout(timer); req.destroy(); resolve(r); } };
    const left = Math.max(1, deadline - Date.now());
    const timer = setTimeout(() => finish({ kind: "failed", reason: `no complete answer within the time limit (${Math.round(left / 1000)} s)` }), left);
    const req = request(url, { method: "GET", headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) { res.resume(); finish({ kind: "not-modified" }); return; }
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) { res.resume(); finish({ kind: "redirect", location: res.headers.location }); return; }
      if (status !== 200) { res.resume(); finish({ kind: "failed", reason: `the server answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ""}` }); return; }
      const declared = Number(res.headers["content-length"] ?? NaN);
      if (declared > maxBytes) { finish({ kind: "failed", reason: `the list is ${declared} bytes, more than the limit of ${maxBytes}` }); return; }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) finish({ kind: "failed", reason: `the list is more than the limit of ${maxBytes} bytes` });
        else chunks.push(c);
      });
      res.on("aborted", () => finish({ kind: "failed", reason: `the download broke off after ${size} bytes` }));
      res.on("error", (e) => finish({ kind: "failed", reason: `the download broke off after ${size} bytes (${e.message})` }));
      res.on("end", () => {
        if (!res.complete || (!Number.isNaN(declared) && size !== declared)) { finish({ kind: "failed", reason: `the download broke off after ${size} of ${Number.isNaN(declared) ? "?" : declared} bytes` }); return; }
        const etag = typeof res.headers.etag === "string" ? res.headers.etag : null;
        const lastModified = typeof res.headers["last-modified"] === "string" ? res.headers["last-modified"] : null;
        finish({ kind: "new", text: Buffer.concat(chunks).toString("utf8"), etag, lastModified });
      });
    });
    req.on("error", (e) => finish({ kind: "failed", reason: `cannot fetch ${url.href}: ${e.message}` }));
    req.end();
  });
}
