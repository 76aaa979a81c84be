import type pg from "pg";
import { InputError } from "../model/errors.js";
import type { FleetHostLook } from "../model/fleet.js";
import { redactUrl } from "../model/redact-url.js";
import { FleetReader } from "./fleet-reader-store.js";
import { pgPool, pgReason, type PgTarget } from "./pg-pool-store.js";
import { schemaVersion } from "./pg-schema-store.js";

/** The most identities of one host the fleet view reads (a host with more shows these, by identity). */
export const HOST_LOOK_LIMIT = 100_000;

/**
 * The dashboard's fleet view of the PostgreSQL store, read-only (portwatch_reader suffices): the hosts
 * (FleetReader.hosts) and one host's last look, each identity with the socket the watcher stored with
 * it (schema version 2) and its history. It never writes and never migrates.
 */
export class FleetLookReader {
  readonly place: string;

  private constructor(private readonly pool: pg.Pool, private readonly target: PgTarget, private readonly reader: FleetReader) {
    this.place = reader.place;
  }

  /** Connects (FleetReader.open's checks) and checks the store has the sockets (version 2); else an InputError that says what to do. */
  static async open(target: PgTarget): Promise<FleetLookReader> {
    const reader = await FleetReader.open(target);
    const pool = pgPool(target);
    const view = new FleetLookReader(pool, target, reader);
    try {
      const version = await view.run(async () => {
        const client = await pool.connect();
        try { return await schemaVersion(client); } finally { client.release(); }
      });
      if (version < 2) throw new InputError(`Cannot show the fleet store ${view.place}: its fleet schema is version ${version}, which keeps no sockets for the dashboard (run "portwatch fleet init --store URL" as the database's owner, or restart a watcher of this portwatch with --store)`);
    } catch (e) { await view.close(); throw e; }
    return view;
  }

  hosts(options: { now?: Date; staleMs?: number } = {}) {
    return this.reader.hosts(options);
  }

  /** One host's last look (null: no such host); identities without a stored socket (written by an older watcher) are left out. */
  async hostLook(hostId: string, now = new Date()): Promise<FleetHostLook | null> {
    const host = (await this.hosts({ now })).find((h) => h.hostId === hostId);
    if (host === undefined) return null;
    const r = await this.run(() => this.pool.query(`SELECT i.* FROM fleet_identities i JOIN fleet_hosts h ON h.host_id = i.host_id AND i.last_seen = h.last_look
      WHERE i.host_id = $1 AND i.socket IS NOT NULL ORDER BY i.identity LIMIT $2`, [hostId, HOST_LOOK_LIMIT]));
    return {
      host,
      identities: r.rows.map((i: Record<string, unknown>) => ({
        identity: i["identity"] as string, verdict: i["last_verdict"] as string, sockets: (i["sockets"] as number | null) ?? 1, socket: i["socket"],
        history: {
          identity: i["identity"] as string, firstSeen: (i["first_seen"] as Date).toISOString(), lastSeen: (i["last_seen"] as Date).toISOString(),
          timesSeen: i["times_seen"] as number, owners: i["owners"] as string[], lastVerdict: i["last_verdict"] as string, proto: i["proto"] as string,
          port: i["port"] as number | null, direction: i["direction"] as string,
        },
      })),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.reader.close(), this.pool.end().catch(() => undefined)]);
  }

  /** Runs a query; a database error is an InputError that names the store (without its secrets). */
  private async run<T>(q: () => Promise<T>): Promise<T> {
    try { return await q(); } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`Cannot read the fleet store ${redactUrl(this.target.url)}: ${pgReason(e, this.target.url)}`);
    }
  }
}
