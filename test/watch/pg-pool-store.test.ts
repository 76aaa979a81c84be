import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAway, pgConfig, pgPool, pgReason } from "../../src/watch/pg-pool-store.js";
import { postgresMissing, startPostgres, type TestPostgres } from "../helpers/postgres.js";

// How portwatch reaches the fleet's PostgreSQL: the URL's settings (sslmode as libpq means it), the
// password apart from the URL, and TLS against a real server with a self-signed certificate.

const dir = mkdtempSync(join(tmpdir(), "pw-pgpool-"));
let db: TestPostgres;
before(async () => { if (!postgresMissing) db = await startPostgres({ tls: true }); });
after(async () => { await db?.destroy(); rmSync(dir, { recursive: true, force: true }); });

/** Connects once with `url` (and the superuser's password); the error's message, or "ok". */
async function attempt(url: string): Promise<string> {
  const pool = pgPool({ url, password: db.password });
  try { const r = await pool.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"); return r.rows[0]?.ssl ? "ok with TLS" : "ok without TLS"; } catch (e) {
    return pgReason(e, url);
  } finally { await pool.end(); }
}

describe("pgConfig", () => {
  it("pgConfig takes the password given apart from the URL over the URL's (empty) one, and keeps the URL's when none is given", () => {
    assert.equal(pgConfig({ url: "postgres://pw@db.example.org/fleet", password: "from-file" }).password, "from-file");
    assert.equal(pgConfig({ url: "postgres://pw:in-url@db.example.org/fleet" }).password, "in-url");
    assert.equal("password" in pgConfig({ url: "postgres://pw@db.example.org/fleet" }), false, "none: pg reads PGPASSWORD, then PGPASSFILE");
    assert.deepEqual([pgConfig({ url: "postgres://pw@db.example.org:6543/fleet" }).host, pgConfig({ url: "postgres://pw@db.example.org:6543/fleet" }).port], ["db.example.org", "6543"]);
  });

  it("pgConfig gives sslmode libpq's meaning: disable is no TLS, require does not check the certificate, verify-full does", () => {
    assert.equal(pgConfig({ url: "postgres://pw@db/fleet?sslmode=disable" }).ssl, false);
    assert.equal((pgConfig({ url: "postgres://pw@db/fleet?sslmode=require" }).ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized, false);
    const full = pgConfig({ url: "postgres://pw@db/fleet?sslmode=verify-full" }).ssl as { rejectUnauthorized?: boolean };
    assert.notEqual(full.rejectUnauthorized, false);
  });

  it("pgConfig refuses a URL whose sslrootcert cannot be read, naming the file and hiding the secrets", () => {
    assert.throws(() => pgConfig({ url: `postgres://pw:hush@db/fleet?sslmode=verify-full&sslrootcert=${join(dir, "missing.pem")}` }),
      (e: Error) => e.name === "InputError" && e.message.includes("missing.pem") && !e.message.includes("hush"));
  });
});

describe("pgPool against a PostgreSQL with TLS", { skip: postgresMissing }, () => {
  it("pgPool connects with sslmode=verify-full and the server's CA as sslrootcert, and refuses a certificate another CA signed", async () => {
    assert.equal(await attempt(`${db.url()}?sslmode=verify-full&sslrootcert=${db.certificate}`), "ok with TLS");
    assert.equal(await attempt(`${db.url()}?sslmode=disable`), "ok without TLS");
    assert.equal(await attempt(`${db.url()}?sslmode=require`), "ok with TLS", "require: encrypted, certificate not checked (libpq)");
    const other = await startPostgres({ tls: true }); // another self-signed certificate: not the CA of the first
    try {
      assert.match(await attempt(`${db.url()}?sslmode=verify-full&sslrootcert=${other.certificate}`), /self[- ]signed|certificate/i);
    } finally { await other.destroy(); }
    writeFileSync(join(dir, "not-a-cert.pem"), "not a certificate\n");
    assert.notEqual(await attempt(`${db.url()}?sslmode=verify-full&sslrootcert=${join(dir, "not-a-cert.pem")}`), "ok with TLS");
  });

  it("isAway tells a database that does not answer from one that refuses", async () => {
    const pool = pgPool({ url: "postgres://postgres@127.0.0.1:1/postgres", password: "x" });
    const refused = await pool.query("SELECT 1").catch((e: unknown) => e);
    await pool.end();
    assert.equal(isAway(refused), true);
    const wrong = pgPool({ url: db.url(), password: "wrong" });
    const denied = await wrong.query("SELECT 1").catch((e: unknown) => e);
    await wrong.end();
    assert.equal(isAway(denied), false);
    assert.match(pgReason(denied, db.url()), /password authentication failed.*--store-password-file/);
  });
});
