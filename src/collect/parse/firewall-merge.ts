import type { FirewallTable, NetInterface, Ruleset } from "../../model/firewall.js";
import type { IptablesParse } from "./iptables-save.js";
import type { NftParse } from "./nft-json.js";

/*
 * One ruleset from what each tool printed. nft lists every nf_tables table, including those iptables-nft
 * made; but it shows iptables' matches and targets as opaque "xt" expressions, so where iptables-save
 * (nf_tables backend) lists a table, its reading replaces nft's table of the same family and name
 * (unless iptables called it incompatible). Legacy x_tables tables are separate kernel tables that
 * nft does not see: they are added as they are.
 */
export function mergeFirewall(nft: NftParse | null, iptables: readonly IptablesParse[]): Ruleset {
  const replaced = new Set<string>();
  const tables: FirewallTable[] = [];
  for (const ipt of iptables) {
    for (const t of ipt.tables) {
      if (ipt.backend !== "legacy" && nft !== null) {
        if (ipt.incompatible.includes(t.name)) continue;
        replaced.add(`${t.family} ${t.name}`);
      }
      tables.push(t);
    }
  }
  const fromNft = (nft?.tables ?? []).filter((t) => !replaced.has(`${t.family} ${t.name}`));
  return { tables: [...fromNft, ...tables] };
}

/** `ip -j addr show`: each interface's name, whether it is a loopback and up, its addresses. */
export function parseIpAddrJson(text: string): NetInterface[] {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { return []; }
  if (!Array.isArray(doc)) return [];
  const out: NetInterface[] = [];
  for (const i of doc as { ifname?: unknown; flags?: unknown; addr_info?: unknown }[]) {
    if (typeof i?.ifname !== "string") continue;
    const flags = Array.isArray(i.flags) ? i.flags : [];
    const addrs = Array.isArray(i.addr_info) ? i.addr_info as { local?: unknown; prefixlen?: unknown }[] : [];
    const known = addrs.filter((a): a is { local: string; prefixlen?: unknown } => typeof a.local === "string");
    out.push({
      name: i.ifname,
      loopback: flags.includes("LOOPBACK"),
      up: flags.includes("UP"),
      addresses: known.map((a) => a.local),
      networks: known.filter((a) => typeof a.prefixlen === "number").map((a) => `${a.local}/${String(a.prefixlen)}`),
    });
  }
  return out;
}

/** One address as Node's os.networkInterfaces() gives it (the fields read here). */
export interface NodeInterfaceAddress { address: string; cidr: string | null; internal: boolean }

/**
 * Node's os.networkInterfaces() (getifaddrs: every interface with an address; `internal` is IFF_LOOPBACK) as
 * interfaces: the same as `ip -j addr show` gives for our own namespace, without starting a program.
 */
export function interfacesFromNode(map: Readonly<Record<string, readonly NodeInterfaceAddress[] | undefined>>): NetInterface[] {
  const out: NetInterface[] = [];
  for (const [name, addrs] of Object.entries(map)) {
    if (addrs === undefined || addrs.length === 0) continue;
    out.push({
      name,
      loopback: addrs.some((a) => a.internal),
      // libuv (os.networkInterfaces) leaves out interfaces that are not up and running
      up: true,
      addresses: addrs.map((a) => a.address),
      networks: addrs.flatMap((a) => (a.cidr === null ? [] : [a.cidr])),
    });
  }
  return out;
}

/** One row of the addon's getifaddrs list (NativeAddon.nftDump's `addrs`): name, IFF_* flags, family (0: the interface itself), address, prefix length. */
export type IfaddrsRow = readonly [string, number, 0 | 4 | 6, string | null, number | null];

/**
 * The addon's getifaddrs rows of a namespace as interfaces: what `ip -j addr show` gives there (every interface, in
 * the kernel's order, with IFF_LOOPBACK and IFF_UP, and its addresses with their prefix lengths), without running it.
 * An IPv4 address's label ("eth0:1") is its interface's.
 */
export function interfacesFromIfaddrs(rows: readonly IfaddrsRow[]): NetInterface[] {
  const byName = new Map<string, { name: string; loopback: boolean; up: boolean; addresses: string[]; networks: string[] }>();
  for (const [name, flags, family] of rows) {
    if (family === 0 && !byName.has(name)) byName.set(name, { name, loopback: (flags & 0x8) !== 0, up: (flags & 0x1) !== 0, addresses: [], networks: [] });
  }
  for (const [label, flags, family, address, prefix] of rows) {
    if (family === 0 || address === null) continue;
    const base = byName.get(label) ?? byName.get(label.split(":")[0]!);
    const i = base ?? { name: label, loopback: (flags & 0x8) !== 0, up: (flags & 0x1) !== 0, addresses: [], networks: [] };
    if (base === undefined) byName.set(label, i);
    i.addresses.push(address);
    if (prefix !== null) i.networks.push(`${address}/${prefix}`);
  }
  return [...byName.values()];
}

