import type { FleetLookReader } from "../watch/fleet-look-store.js";
import type { PgTarget } from "../watch/pg-pool-store.js";

// The door of cli/ to the dashboard's fleet view (serve --store): pg is loaded only when a store is given.

/** The fleet store as the dashboard reads it (hosts, one host's last look), read-only. */
export async function openFleetView(target: PgTarget): Promise<FleetLookReader> {
  const { FleetLookReader } = await import("../watch/fleet-look-store.js");
  return FleetLookReader.open(target);
}
