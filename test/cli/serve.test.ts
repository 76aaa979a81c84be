import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const TOKEN = "0123456789abcdef0123456789abcdef";

const run = (...args: string[]) => spawnSync(main, args, { encoding: "utf8", timeout: 30_000 });

/** Starts `portwatch serve` (on loopback, for at most 30 s) and waits for the lines it prints at start. */
function serve(...args: string[]): Promise<{ child: ChildProcess; out: string; port: number }> {
  const child = spawn(main, ["serve", "--proc-root", tree, "--interval", "10m", "--for", "30s", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((ok, fail) => {
    let out = "", err = "";
    const timer = setTimeout(() => { stop(child); fail(new Error(`portwatch serve printed no URL within 20 s: ${out}${err}`)); }, 20_000);
    child.stderr?.on("data", (d: Buffer) => { err += d.toString(); });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^portwatch dashboard: http:\/\/[^/]+:(\d+)\/.*\n\(.*\)\n$/s.exec(out);
      if (m) { clearTimeout(timer); ok({ child, out, port: Number(m[1]) }); }
    });
    child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`portwatch serve exited ${code}: ${err}`)); });
  });
}

const stop = (child: ChildProcess) => { if (child.pid && child.exitCode === null) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } } };

function get(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers, timeout: 10_000 }, (res) => { res.resume(); res.on("end", () => ok(res.statusCode ?? 0)); });
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", fail);
    req.end();
  });
}

describe("portwatch serve", () => {
  it("portwatch serve exits 2 with what to do for a --host that is no IP address, or not loopback without --expose", () => {
    const cases: [string[], RegExp][] = [
      [["--host", "127.foo"], /^portwatch: Cannot serve on "127\.foo": --host takes an IP address/],
      [["--host", "127.foo", "--expose"], /^portwatch: Cannot serve on "127\.foo": --host takes an IP address/],
      [["--host", "0.0.0.0"], /^portwatch: Refusing to serve on "0\.0\.0\.0": .*add --expose if you mean it\n$/],
      [["--allow-host", "dash.example.org"], /^portwatch: Cannot use --allow-host without --expose/],
      [["--expose", "--allow-host", "dash:8080"], /^portwatch: Cannot use --allow-host "dash:8080"/],
    ];
    for (const [args, message] of cases) {
      const r = run("serve", "--for", "1s", "--proc-root", tree, ...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    }
  });

  it("portwatch serve --token-file uses the file's token across restarts, does not print it, and refuses a file others can read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pw-serve-"));
    chmodSync(dir, 0o700);
    const path = join(dir, "serve.token");
    try {
      writeFileSync(path, `${TOKEN}\n`, { mode: 0o644 });
      chmodSync(path, 0o644);
      const refused = run("serve", "--for", "1s", "--proc-root", tree, "--token-file", path);
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, /^portwatch: Refusing token file ".*serve\.token": every user can read it \(mode 644\); run: chmod 600 /);
      chmodSync(path, 0o600);
      for (let start = 0; start < 2; start++) {
        const { child, out, port } = await serve("--token-file", path);
        try {
          assert.ok(!out.includes(TOKEN), out);
          assert.match(out, /token=TOKEN/);
          assert.equal(await get(port, "/metrics", { authorization: `Bearer ${TOKEN}` }), 200);
          assert.equal(await get(port, "/metrics", { authorization: "Bearer 00000000000000000000000000000000" }), 401);
        } finally { stop(child); }
      }
    } finally { rmSync(dir, { recursive: true }); }
  });

  it("portwatch serve --expose --allow-host answers requests that name the host, prints its URL, and still refuses other names", async () => {
    const { child, out, port } = await serve("--host", "127.0.0.1", "--expose", "--allow-host", "dash.example.org");
    try {
      const token = /token=([0-9a-f]+)/.exec(out)?.[1] ?? "";
      assert.match(out, new RegExp(`^portwatch dashboard: http://dash\\.example\\.org:${port}/\\?token=`));
      assert.equal(await get(port, "/metrics", { host: `dash.example.org:${port}`, authorization: `Bearer ${token}` }), 200);
      assert.equal(await get(port, "/metrics", { host: `DASH.example.org:${port}`, authorization: `Bearer ${token}` }), 200);
      assert.equal(await get(port, "/metrics", { host: `evil.example:${port}`, authorization: `Bearer ${token}` }), 403);
    } finally { stop(child); }
  });
});
