import { portKey } from "../model/protocol.js";
import type { Service, Socket } from "../model/socket.js";
import { serviceFor, type ServiceRegistry } from "../knowledge/service-registry.js";

/** Names each socket's service (the local port for listeners and inbound, the remote port for outbound), in place. */
export function enrich(sockets: Socket[], registry: ServiceRegistry): void {
  // One Service object per name and port, shared by every socket that has it.
  const shared = new Map<number, Service | null>();
  for (const s of sockets) {
    const found = serviceFor(registry, s);
    if (found === null) { s.service = null; continue; }
    const key = portKey(found.port, s.proto);
    let one = shared.get(key);
    if (one === undefined) { one = found; shared.set(key, one); }
    s.service = one;
  }
}

export { summarize } from "../model/summary.js";
