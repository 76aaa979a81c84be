import type { PoolClient } from "pg";
import { InputError } from "../model/errors.js";
import { redactUrl } from "../model/redact-url.js";
import { pgPool, pgReason, type PgTarget } from "./pg-pool-store.js";

/*
 * The fleet's tables in PostgreSQL, made and changed by portwatch itself: each migration runs once, in
 * order, in its own transaction, and is recorded in schema_migrations. Starters that race (fifty agents
 * after a deploy) take pg_advisory_lock(MIGRATION_LOCK) first, so one migrates and the others find it done.
 * Row-level security: a host's writer role (mapped to its host_id in fleet_host_roles, which only the
 * owner can change) sees and writes only its own host's rows; members of portwatch_reader read every row.
 * The roles themselves are made by contrib/postgres/roles.sql (docs/architecture.md, README).
 */

/** The advisory lock key of the migrations ("portwatc" as a number). */
export const MIGRATION_LOCK = 0x706f7274776174;

const OWN_HOST = "host_id = (SELECT r.host_id FROM fleet_host_roles r WHERE r.role = current_user)";
const READER = "EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'portwatch_reader' AND pg_has_role(current_user, g.oid, 'MEMBER'))";
const secured = (table: string) => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  CREATE POLICY ${table}_own_host ON ${table} USING (${OWN_HOST}) WITH CHECK (${OWN_HOST});
  CREATE POLICY ${table}_reader ON ${table} FOR SELECT USING (${READER});`;

/** The migrations, in order; a released one is never edited, only followed by another. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1, name: "fleet tables with row-level security", sql: `
    CREATE TABLE fleet_host_roles (role name PRIMARY KEY, host_id text NOT NULL UNIQUE);
    CREATE TABLE fleet_hosts (
      host_id text PRIMARY KEY, hostname text NOT NULL, first_look timestamptz NOT NULL, last_look timestamptz NOT NULL,
      interval_ms integer NOT NULL, expected integer NOT NULL, unknown integer NOT NULL, suspicious integer NOT NULL);
    CREATE TABLE fleet_looks (
      host_id text NOT NULL, at timestamptz NOT NULL, hostname text NOT NULL, identities integer NOT NULL,
      expected integer NOT NULL, unknown integer NOT NULL, suspicious integer NOT NULL, written_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (host_id, at));
    CREATE TABLE fleet_identities (
      host_id text NOT NULL, identity text NOT NULL, hostname text NOT NULL, first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL,
      times_seen integer NOT NULL, owners jsonb NOT NULL, last_verdict text NOT NULL, proto text NOT NULL, port integer, direction text NOT NULL,
      program text NOT NULL, name text, local text NOT NULL, remote text, lists text[] NOT NULL DEFAULT '{}',
      PRIMARY KEY (host_id, identity));
    CREATE INDEX fleet_identities_port ON fleet_identities (port);
    CREATE INDEX fleet_identities_program ON fleet_identities (program);
    CREATE INDEX fleet_identities_lists ON fleet_identities USING gin (lists);
    CREATE TABLE fleet_events (
      host_id text NOT NULL, at timestamptz NOT NULL, type text NOT NULL, identity text NOT NULL, hostname text NOT NULL,
      verdict text NOT NULL, was text, PRIMARY KEY (host_id, at, type, identity));
    CREATE INDEX fleet_events_at ON fleet_events (at);
    ${secured("fleet_hosts")}${secured("fleet_looks")}${secured("fleet_identities")}${secured("fleet_events")}`,
  },
  {
    // Each identity's socket of its host's last look (the JSON contract: verdict, reasons, explanation,
    // holder) and how many sockets had it: the dashboard's fleet view (serve --store) shows one host from them.
    version: 2, name: "each identity's last socket for the dashboard's fleet view", sql: `
    ALTER TABLE fleet_identities ADD COLUMN sockets integer, ADD COLUMN socket jsonb;`,
  },
];

/** The newest schema this portwatch knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** The schema version the database has (0: none yet). */
export async function schemaVersion(client: PoolClient): Promise<number> {
  const there = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!there.rows[0]?.t) return 0;
  const r = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
  return r.rows[0]?.v ?? 0;
}

/** Why the schema cannot be used as it is, or null: a newer one than this portwatch knows. */
export function versionProblem(version: number): string | null {
  return version > SCHEMA_VERSION ? `its fleet schema is version ${version}, newer than this portwatch knows (${SCHEMA_VERSION}): upgrade portwatch` : null;
}

/**
 * Brings the schema up to SCHEMA_VERSION: nothing when it is there already (a writer role, which may not
 * create tables, only reads the version); else under the advisory lock, each missing migration in its own
 * transaction. Returns the migrations applied. Errors are pg's, for the caller to word.
 */
export async function migrate(client: PoolClient): Promise<number[]> {
  const before = await schemaVersion(client);
  if (before >= SCHEMA_VERSION) return [];
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
  const applied: number[] = [];
  try {
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const now = await schemaVersion(client); // another starter may have migrated while this one waited
    for (const m of MIGRATIONS) {
      if (m.version <= now) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      }
      applied.push(m.version);
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
  }
  return applied;
}

/** `portwatch fleet init`: connects as a role that may create tables and migrates; returns the versions applied. Problems are InputErrors. */
export async function migrateStore(target: PgTarget): Promise<{ applied: number[]; version: number }> {
  const pool = pgPool(target);
  try {
    const client = await pool.connect();
    try {
      const applied = await migrate(client);
      const version = await schemaVersion(client);
      const problem = versionProblem(version);
      if (problem !== null) throw new InputError(`Cannot use the fleet store ${redactUrl(target.url)}: ${problem}`);
      return { applied, version };
    } finally { client.release(); }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`Cannot prepare the fleet store ${redactUrl(target.url)}: ${pgReason(e, target.url)}`);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
