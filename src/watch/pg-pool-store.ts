import pg from "pg";
import { parse } from "pg-connection-string";
import { InputError } from "../model/errors.js";
import { redactUrl, redactUrlIn } from "../model/redact-url.js";

/** How to reach the fleet's PostgreSQL: a postgres:// URL (sslmode, sslrootcert… as libpq reads them) and, apart from it, the password. */
export interface PgTarget {
  url: string;
  /** From --store-password-file; absent: pg's own PGPASSWORD, then PGPASSFILE (~/.pgpass). */
  password?: string;
}

/**
 * The URL as pg's connection settings, with libpq's meaning of sslmode (disable, prefer, require,
 * verify-ca, verify-full; sslrootcert, sslcert and sslkey are files read now), and the password from
 * `target.password` when given: pg would otherwise take the URL's (empty) password over it. Without one,
 * pg reads PGPASSWORD, then PGPASSFILE or ~/.pgpass. A URL pg cannot use is an InputError.
 */
export function pgConfig(target: PgTarget): pg.ClientConfig {
  let parsed: ReturnType<typeof parse>;
  try { parsed = parse(target.url, { useLibpqCompat: true }); } catch (e) {
    throw new InputError(`Cannot use the fleet store ${redactUrl(target.url)}: ${redactUrlIn((e as Error).message, target.url)}`);
  }
  const { password, ...rest } = parsed;
  const config = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined)) as pg.ClientConfig;
  if (target.password !== undefined) config.password = target.password;
  else if (password) config.password = password;
  return config;
}

/**
 * A small pool (the watcher writes one look at a time, the fleet queries run one after another) with
 * bounded waits: 5 s to connect, 60 s per query. An idle connection that the server drops (a restart) is
 * an 'error' event of the pool, which would end the process if nobody listened: it is passed to `onIdleError`.
 */
export function pgPool(target: PgTarget, onIdleError: (message: string) => void = () => undefined): pg.Pool {
  const pool = new pg.Pool({
    ...pgConfig(target),
    max: 2, connectionTimeoutMillis: 5000, query_timeout: 60_000, idleTimeoutMillis: 30_000, application_name: "portwatch",
  });
  pool.on("error", (e) => onIdleError(pgReason(e, target.url)));
  return pool;
}

/** Error codes of a database that is away (as opposed to a refusal that waiting will not cure). */
const AWAY_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);

/** Whether `e` says the database is away for now (down, restarting, unreachable), so a look should wait on disk. */
export function isAway(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  if (code !== undefined && AWAY_CODES.has(code)) return true;
  const m = (e as Error).message ?? "";
  return /timeout|terminated|Connection terminated|not queryable|ECONNREFUSED/i.test(m) && !/password|permission|authentication/i.test(m);
}

/** A pg error in plain words, without the URL's secrets; what to do when it is a refusal. */
export function pgReason(e: unknown, url: string): string {
  const err = e as { code?: string; message?: string; errors?: { message?: string }[] };
  const code = err.code ?? "";
  // Node gives a refused connection to "localhost" as an AggregateError (IPv6, then IPv4) with an empty message.
  const text = err.message || err.errors?.map((x) => x.message).join("; ") || code || String(e);
  const message = redactUrlIn(text, url);
  if (code === "28P01" || code === "28000") return `${message} (give the password with --store-password-file FILE, PGPASSFILE or PGPASSWORD, never in the URL)`;
  if (code === "42501") return `${message} (this role may not do that: see "A fleet in PostgreSQL" in the README for the roles)`;
  if (code === "3D000") return `${message} (create the database first: createdb)`;
  if (code === "ECONNREFUSED" || (e instanceof AggregateError)) return `${message || "connection refused"} (is PostgreSQL running at ${redactUrl(url)}?)`;
  return message;
}
