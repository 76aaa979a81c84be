import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { migrateStore } from "../../src/watch/pg-schema-store.js";
import { postgresMissing, startPostgres, type TestPostgres } from "../helpers/postgres.js";

// `portwatch serve --store` through the built CLI against a throwaway PostgreSQL: a real watcher
// (`portwatch watch --store --count 1`, its own writer role) looks at the captured tree
// test/fixtures/proc/debian12-holders (see its CAPTURE.json); serve reads as the reader role. Every wait is bounded.

const main = fileURLToPath(new URL("../../bin/portwatch", import.meta.url));
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const roles = fileURLToPath(new URL("../../contrib/postgres/roles.sql", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-cli-serve-fleet-"));
const pass = "serve-fleet-password";
const passFile = join(dir, "password");
writeFileSync(passFile, `${pass}\n`, { mode: 0o600 });
const env = { ...process.env, NO_COLOR: "1", PORTWATCH_STORE: "", PGPASSWORD: "" };
let db: TestPostgres;
let admin: pg.Client;

/** Runs the built CLI to its end (bounded: 60 s). */
function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((ok) => {
    const child = spawn(main, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "", err = "";
    child.stdout.on("data", (d: Buffer) => { out += d; });
    child.stderr.on("data", (d: Buffer) => { err += d; });
    const timer = setTimeout(() => { if (child.pid) process.kill(child.pid, "SIGKILL"); }, 60_000);
    child.on("close", (code) => { clearTimeout(timer); ok({ code, out, err }); });
  });
}

function get(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => { let body = ""; res.on("data", (d) => { body += d; }); res.on("end", () => ok({ status: res.statusCode ?? 0, body })); });
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

before(async () => {
  if (postgresMissing) return;
  db = await startPostgres();
  admin = await db.client();
  await migrateStore({ url: db.url(), password: db.password });
  await admin.query(readFileSync(roles, "utf8"));
  await admin.query(`CREATE ROLE pw_host_x LOGIN PASSWORD '${pass}' IN ROLE portwatch_writer`);
  await admin.query("INSERT INTO fleet_host_roles (role, host_id) VALUES ('pw_host_x', 'host-x')");
  await admin.query(`CREATE ROLE pw_reader LOGIN PASSWORD '${pass}' IN ROLE portwatch_reader`);
});
after(async () => {
  await admin?.end();
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("portwatch serve --store (built CLI, a real PostgreSQL)", { skip: postgresMissing }, () => {
  it("portwatch serve --store serves the hosts a watcher wrote and that host's last look, with the token it prints", async () => {
    const w = await run(["watch", "--ndjson", "--count", "1", "--store", db.url("pw_host_x"), "--store-password-file", passFile, "--host-id", "host-x", "--state-dir", join(dir, "state"), "--proc-root", tree]);
    assert.equal(w.code, 0, w.err);
    const child = spawn(main, ["serve", "--store", db.url("pw_reader"), "--store-password-file", passFile, "--for", "30s"], { stdio: ["ignore", "pipe", "pipe"], env });
    try {
      let out = "", err = "";
      child.stderr.on("data", (d: Buffer) => { err += d; });
      const printed = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`serve printed no URL in 20 s: ${out}${err}`)), 20_000);
        child.stdout.on("data", (d: Buffer) => { out += d; if (out.includes("\n(")) { clearTimeout(timer); ok(out); } });
        child.on("close", (code) => { clearTimeout(timer); fail(new Error(`serve exited with ${code}: ${err}`)); });
      });
      const m = /portwatch dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\?token=([0-9a-f]+)/.exec(printed);
      assert.ok(m, printed);
      assert.match(printed, /\/api\/hosts and \/host\/ID\/api\/\* take "Authorization: Bearer /);
      const [, url, token] = m as unknown as [string, string, string];
      const hosts = JSON.parse((await get(`${url}api/hosts`, token)).body) as { hostId: string; counts: { suspicious: number } }[];
      assert.deepEqual(hosts.map((h) => [h.hostId, h.counts.suspicious]), [["host-x", 2]]);
      const ids = JSON.parse((await get(`${url}host/host-x/api/identities`, token)).body) as { identities: { socket: { explanation: string | null } }[] };
      assert.ok(ids.identities.length > 0 && ids.identities.every((i) => typeof i.socket.explanation === "string"));
      assert.equal((await get(`${url}api/hosts`, "0123456789abcdef0123456789abcdef")).status, 401);
    } finally {
      if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGTERM");
    }
  });

  it("portwatch serve --store refuses --policy, which the fleet view cannot apply, with exit code 2", async () => {
    const r = await run(["serve", "--store", db.url("pw_reader"), "--store-password-file", passFile, "--policy", join(dir, "policy.yaml"), "--for", "1s"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /Cannot use --policy with --store URL: the fleet view shows each host's last look as its watcher judged and wrote it/);
  });
});
