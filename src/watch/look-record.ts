import type { ChangeEvent, Seen } from "../model/change.js";
import type { LookIdentity, LookRecord } from "../model/fleet.js";
import { programOf } from "../model/process.js";
import { socketJson } from "../report/render-json.js";

/**
 * One look as the fleet store writes it: each identity with its port, program, ends and lists, its socket
 * (as `audit --json` has it, for the dashboard's fleet view) and how many sockets had it (`counts`), and the changes.
 */
export function lookRecord(seen: ReadonlyMap<string, Seen>, events: readonly ChangeEvent[], at: string, host: { hostId: string; hostname: string; intervalMs: number },
  counts?: ReadonlyMap<string, number>): LookRecord {
  const identities: LookIdentity[] = [];
  for (const s of seen.values()) {
    const k = s.socket;
    const p = k.process;
    identities.push({
      identity: s.identity, verdict: s.verdict, proto: k.proto,
      // The same port the SQLite history keeps: the service's side of the flow.
      port: k.direction === "outbound" ? k.remote?.port ?? null : k.local.port,
      direction: k.direction, program: p ? programOf(p) : "-", name: p?.name ?? null,
      local: endpoint(k.local.address, k.local.port), remote: k.remote ? endpoint(k.remote.address, k.remote.port) : null,
      lists: (k.remote?.lists ?? []).map((l) => l.name),
      sockets: counts?.get(s.identity) ?? 1, socket: JSON.parse(socketJson(k)) as unknown,
    });
  }
  return {
    ...host, at, identities,
    events: events.map((e) => ({ at: e.at, type: e.type, identity: e.identity, verdict: e.socket.verdict, was: e.was ?? null })),
  };
}

/** "1.2.3.4:80", "[::1]:80". */
function endpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
