import type { Socket } from "../model/socket.js";
import type { Verdict } from "../model/verdict.js";
import { serviceFor, type ServiceRegistry } from "../knowledge/service-registry.js";

/** Names each socket's service (the local port for listeners and inbound, the remote port for outbound), in place. */
export function enrich(sockets: Socket[], registry: ServiceRegistry): void {
  for (const s of sockets) s.service = serviceFor(registry, s);
}

/** Counts sockets per verdict. */
export function summarize(sockets: readonly Socket[]): Record<Verdict, number> {
  const summary: Record<Verdict, number> = { expected: 0, unknown: 0, suspicious: 0 };
  for (const s of sockets) summary[s.verdict]++;
  return summary;
}
