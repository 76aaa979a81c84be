import { isIP } from "node:net";
import type { NetworkInterfaceInfo } from "node:os";
import { isLoopback, isWildcard } from "../model/address.js";
import { InputError } from "../model/errors.js";

/**
 * Checks the address to bind: an IP address or "localhost" (a name is not resolved: "127.foo" is no
 * loopback address), and one beyond loopback only when `exposed`.
 */
export function checkBind(host: string, exposed: boolean): void {
  if (host === "localhost") return;
  if (isIP(host) === 0) {
    throw new InputError(`Cannot serve on "${host}": --host takes an IP address (127.0.0.1, ::1, 0.0.0.0, or one of this host's addresses) or localhost`);
  }
  if (!isLoopback(host) && !exposed) {
    throw new InputError(`Refusing to serve on "${host}": that address is reachable from other machines; add --expose if you mean it`);
  }
}

/** Checks one --allow-host value: a host name or an IP address, without scheme or port. */
export function checkAllowedHost(name: string): string {
  const n = name.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (isIP(n) !== 0 || /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*\.?$/.test(n)) return n;
  throw new InputError(`Cannot use --allow-host "${name}": give a host name (dash.example.org) or an IP address, without scheme or port`);
}

const hostPart = (address: string) => (address.includes(":") ? `[${address}]` : address);

/**
 * The Host header values the server answers, and the URLs to print. Loopback names always; the bound
 * address; with a wildcard bind (0.0.0.0, ::) every address of this host's interfaces (an IP address in
 * the Host header cannot be rebound by DNS); and the names given with --allow-host. The URLs are those
 * other machines can use: the allowed names, else the non-loopback addresses, else the bound address.
 */
export function servedHosts(bind: string, port: number, allowHosts: readonly string[], interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): { allowed: Set<string>; urls: string[] } {
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${hostPart(bind)}:${port}`.toLowerCase()]);
  const addresses: string[] = [];
  if (isWildcard(bind)) {
    for (const list of Object.values(interfaces)) {
      for (const info of list ?? []) {
        if (bind === "0.0.0.0" && info.family !== "IPv4") continue;
        if (info.family === "IPv6" && info.scopeid !== undefined && info.scopeid !== 0) continue; // link-local: needs a zone
        if (!addresses.includes(info.address)) addresses.push(info.address);
      }
    }
  }
  for (const a of addresses) allowed.add(`${hostPart(a)}:${port}`.toLowerCase());
  for (const name of allowHosts) {
    allowed.add(`${hostPart(name)}:${port}`);
    if (port === 80) allowed.add(hostPart(name));
  }
  const outward = addresses.filter((a) => !isLoopback(a));
  const urlHosts = allowHosts.length > 0 ? [...allowHosts] : outward.length > 0 ? outward : [bind === "0.0.0.0" ? "127.0.0.1" : bind === "::" ? "::1" : bind];
  return { allowed, urls: urlHosts.map((h) => `http://${hostPart(h)}:${port}/`) };
}
