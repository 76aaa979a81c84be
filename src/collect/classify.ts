import { isLoopback, isWildcard } from "../model/address.js";
import type { Exposure, Socket } from "../model/socket.js";


/** Strips the v4-mapped prefix, so "::ffff:10.0.0.1" and "10.0.0.1" compare equal. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

const PROTO_INDEX = { tcp: 0, udp: 1, raw: 2 } as const;

/** Listener addresses by namespace, then by protocol and port (a number key: no string building per socket). */
class ListenerIndex {
  private readonly byNs = new Map<number | null, Map<number, string[]>>();
  add(s: Socket): void {
    let ports = this.byNs.get(s.netns);
    if (ports === undefined) { ports = new Map(); this.byNs.set(s.netns, ports); }
    const key = s.local.port * 4 + PROTO_INDEX[s.proto];
    const list = ports.get(key);
    if (list) list.push(plain(s.local.address)); else ports.set(key, [plain(s.local.address)]);
  }
  get(s: Socket): string[] | undefined {
    return this.byNs.get(s.netns)?.get(s.local.port * 4 + PROTO_INDEX[s.proto]);
  }
}

/** Whether the socket waits for others: TCP LISTEN, or an unconnected UDP or raw socket bound to a port. */
export function isListening(s: Socket): boolean {
  if (s.proto === "tcp") return s.state === "LISTEN";
  return s.remote === null && (s.proto === "raw" || s.local.port !== 0);
}

/**
 * Sets `direction` and `exposure` on every socket, in place.
 * - listening: TCP LISTEN; an unconnected UDP or raw socket bound to a port (it receives from anyone).
 * - inbound: connected, and its local port is a listener's (same namespace and protocol, on the same
 *   address or the wildcard; a v6 wildcard listener also takes v4 connections).
 * - outbound: connected otherwise. unknown: neither (e.g. a TCP socket bound but not listening).
 * Exposure (listeners only): "container" outside the host's namespace, else from the bind address.
 */
export function classify(sockets: Socket[], hostNetns: number | null): void {
  const listeners = classifyListeners(sockets.filter(isListening), hostNetns);
  classifyOthers(sockets, listeners);
}

/** Where the host's listeners are, for classifyOthers. */
export type Listeners = ListenerIndex;

/** Marks `listeners` (sockets isListening says yes to) as listening with their exposure; returns their index. */
export function classifyListeners(listeners: readonly Socket[], hostNetns: number | null): Listeners {
  const index = new ListenerIndex();
  for (const s of listeners) {
    s.direction = "listening";
    index.add(s);
    s.exposure = exposureOf(s, hostNetns);
  }
  return index;
}

/** Sets the direction of the sockets that are not listeners: inbound to one of `listeners`, outbound, or unknown. */
export function classifyOthers(sockets: readonly Socket[], listeners: Listeners): void {
  for (const s of sockets) {
    if (s.direction === "listening") continue;
    if (s.remote === null) { s.direction = "unknown"; continue; }
    const list = listeners.get(s);
    const local = plain(s.local.address);
    s.direction = list !== undefined && list.some((a) => a === local || isWildcard(a)) ? "inbound" : "outbound";
  }
}

function exposureOf(s: Socket, hostNetns: number | null): Exposure {
  if (hostNetns !== null && s.netns !== null && s.netns !== hostNetns) return "container";
  const address = s.local.address;
  if (isLoopback(address)) return "loopback";
  if (isWildcard(address)) return "all-interfaces";
  return "interface";
}
