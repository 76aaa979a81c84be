import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { APP_CSS, APP_JS, INDEX_HTML } from "../../src/serve/assets.js";
import { startDashboard } from "../../src/serve/server.js";

// The dashboard's files (src/serve/ui/) as the build embeds them (scripts/build-ui.mjs).
const root = fileURLToPath(new URL("../../", import.meta.url));

function get(url: string, token: string): Promise<{ status: number; type: string; csp: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { body += d; });
      res.on("end", () => ok({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), csp: String(res.headers["content-security-policy"]), body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("dashboard assets", () => {
  it("build-ui --check finds the embedded assets made from the current src/serve/ui/ (else: npm run build)", () => {
    const r = spawnSync(process.execPath, [`${root}scripts/build-ui.mjs`, "--check"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
  });

  it("INDEX_HTML loads only /app.css and /app.js, with no inline script, style or event handler (the CSP forbids them)", () => {
    assert.deepEqual([...INDEX_HTML.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]), ["/app.css", "/app.js"]);
    assert.doesNotMatch(INDEX_HTML, /<script(?![^>]*\ssrc=)|<style|\son\w+=|style=/i);
  });

  it("APP_JS puts text in the page, never HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval", () => {
    assert.doesNotMatch(APP_JS, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
    assert.match(APP_JS, /textContent/);
  });

  it("APP_JS is the terminal's own text functions, bundled: safeText, formatEndpoint, renderEventLine, compareSockets", () => {
    for (const name of ["safeText", "formatEndpoint", "processText", "renderEventLine", "compareSockets"]) assert.match(APP_JS, new RegExp(`function ${name}\\(`), name);
    assert.doesNotMatch(APP_JS, /require\(|from "node:|process\.env/);
  });

  it("the CLI bundle dist/portwatch.cjs embeds the page, its style and its script", () => {
    const bundle = `${root}dist/portwatch.cjs`;
    assert.ok(existsSync(bundle), "dist/portwatch.cjs is missing: npm run build");
    const text = readFileSync(bundle, "latin1");
    for (const piece of ["Click a row to see everything portwatch knows about it.", "grid-template-columns", "dashboard: index.html has no #"]) assert.ok(text.includes(piece), piece);
  });

  it("startDashboard serves the embedded page, style and script with their types and the Content Security Policy", async () => {
    const dashboard = await startDashboard({ intervalMs: 60_000, look: async () => ({ look: { sockets: [] as never, hostname: "h", hostNetns: null, warnings: [] }, seen: new Map(), counts: new Map(), events: [], at: new Date(0).toISOString() }) });
    try {
      for (const [path, type, body] of [["", "text/html", INDEX_HTML], ["app.css", "text/css", APP_CSS], ["app.js", "text/javascript", APP_JS]] as const) {
        const res = await get(`${dashboard.url}${path}`, dashboard.token);
        assert.equal(res.status, 200, path);
        assert.ok(res.type.startsWith(type), `${path}: ${res.type}`);
        assert.match(res.csp, /script-src 'self'; style-src 'self'/);
        assert.equal(res.body, body, path);
      }
    } finally {
      await dashboard.close();
    }
  });
});
