import { createHash } from "node:crypto";
import type { Family, Proto } from "../model/socket.js";
import type { NativeAddon } from "./native.js";
import { recordCount } from "./parse/sock-diag.js";
import { tcpCounters } from "./parse/tcp-counters.js";
import { readIfThere } from "./proc-files.js";

/** One namespace's netlink record buffers (48-byte records, see parse/sock-diag.ts), one per table. */
export interface NetlinkRecords {
  tcp: Uint8Array;
  tcp6: Uint8Array;
  udp: Uint8Array;
  udp6: Uint8Array;
}

/**
 * One namespace's kernel dumps: the four netlink record buffers, and the raw and raw6 text of /proc/net
 * (small). When the kernel dumps TCP of both families at once, `tcp` holds both and `tcp6` is empty.
 */
export interface Dumps extends NetlinkRecords {
  raw: string;
  raw6: string;
}

/** The netlink tables, in the order their sockets are listed. */
export const NETLINK_TABLES: readonly { name: keyof NetlinkRecords; proto: Proto; family: Family; protocol: 6 | 17 }[] = [
  { name: "tcp", proto: "tcp", family: 4, protocol: 6 }, { name: "tcp6", proto: "tcp", family: 6, protocol: 6 },
  { name: "udp", proto: "udp", family: 4, protocol: 17 }, { name: "udp6", proto: "udp", family: 6, protocol: 17 },
];

/**
 * What dumping the socket tables taught about this kernel, for the next dumps: kept for one collection,
 * or between a watcher's looks (OwnerCache.session).
 */
export interface CollectSession {
  /** Whether the kernel answers the one-walk TCP dump of both families (sockDiag family 0); false once it refused. */
  tcpOfBothFamilies: boolean;
}

/** A session that knows nothing yet: it tries the one-walk TCP dump first. */
export function createCollectSession(): CollectSession {
  return { tcpOfBothFamilies: true };
}

/** How many times a table is dumped when the kernel says it changed during the dump. */
export const DUMP_TRIES = 3;

const NO_RECORDS = new Uint8Array(0);

/**
 * Dumps one namespace's TCP and UDP sockets through netlink sock_diag (our own namespace, or the one
 * `netnsPath` names) and reads its raw-socket tables (small) through `base` (none when null); null when the kernel
 * refused a dump (no sock_diag module, no right to enter the namespace), so the caller reads /proc text.
 * A table the kernel changed while dumping it (NLM_F_DUMP_INTR: a socket may be missing or listed twice)
 * is dumped again, up to DUMP_TRIES times; one that never came out whole is named in `unsettled`.
 */
export function dumpNamespace(addon: NativeAddon, netnsPath: string | undefined, base: string | null, unsettled: string[] = [], session: CollectSession = createCollectSession()): Dumps | null {
  const take = (family: 0 | 4 | 6, protocol: 6 | 17, name: string) => {
    const result = settledDump(addon, family, protocol, netnsPath);
    if (result.interrupted) unsettled.push(name);
    return result.records;
  };
  let records: NetlinkRecords;
  try {
    // TCP's IPv4 and IPv6 sockets share one hash table: one walk for both, where the kernel allows it.
    let tcpOfBoth: Uint8Array | null = null;
    let refused = false;
    if (session.tcpOfBothFamilies) {
      try { tcpOfBoth = take(0, 6, "tcp"); } catch { refused = true; }
    }
    const tcp = tcpOfBoth ?? take(4, 6, "tcp");
    const tcp6 = tcpOfBoth === null ? take(6, 6, "tcp6") : NO_RECORDS;
    records = { tcp, tcp6, udp: take(4, 17, "udp"), udp6: take(6, 17, "udp6") };
    // The per-family dumps worked where the one-walk dump did not: this kernel lacks it (not a namespace problem).
    if (refused) session.tcpOfBothFamilies = false;
  } catch {
    return null;
  }
  // "" where the kernel has no raw sockets table, or no /proc/net shows the namespace (base null: one no process is in).
  return { ...records, raw: base === null ? "" : readIfThere(`${base}/raw`), raw6: base === null ? "" : readIfThere(`${base}/raw6`) };
}

/** The sock_diag state mask of TCP's LISTEN state (10). */
export const LISTENING_TCP = 1 << 10;

/** One dump, taken again while the kernel calls it inconsistent (NLM_F_DUMP_INTR), up to DUMP_TRIES times; the last one. */
function settledDump(addon: NativeAddon, family: 0 | 4 | 6, protocol: 6 | 17, netnsPath: string | undefined, states?: number): { records: Uint8Array; interrupted: boolean } {
  const dump = () => (states !== undefined ? addon.sockDiag(family, protocol, netnsPath, states) : netnsPath !== undefined ? addon.sockDiag(family, protocol, netnsPath) : addon.sockDiag(family, protocol));
  let result = dump();
  for (let i = 1; i < DUMP_TRIES && result.interrupted; i++) result = dump();
  return result;
}

/**
 * One namespace's TCP listeners (one walk for both families where the kernel allows it), then its UDP sockets
 * of each family, each dump handed whole to `each` (which returns false to stop there): what a look reads
 * again without the 200,000 connections. False when a dump never came out whole or the kernel refused one.
 */
export function listenersAndUdp(addon: NativeAddon, netnsPath: string | undefined, session: CollectSession, each: (records: Uint8Array, table: string) => boolean): boolean {
  const tcp: readonly (readonly [0 | 4 | 6, 6 | 17, number, string])[] = session.tcpOfBothFamilies ? [[0, 6, LISTENING_TCP, "tcp"]] : [[4, 6, LISTENING_TCP, "tcp"], [6, 6, LISTENING_TCP, "tcp6"]];
  const dumps = [...tcp, [4, 17, ~0 >>> 0, "udp"] as const, [6, 17, ~0 >>> 0, "udp6"] as const];
  try {
    for (const [family, protocol, states, table] of dumps) {
      const d = settledDump(addon, family, protocol, netnsPath, states);
      if (d.interrupted) return false;
      if (!each(d.records, table)) return true;
    }
  } catch {
    return false;
  }
  return true;
}

/**
 * A glance at one namespace's sockets: its TCP counters (parse/tcp-counters.ts), its TCP listeners and UDP
 * sockets (dumped whole: few, or what must be seen exactly), and its raw sockets, as one digest; null when one
 * could not be read (a namespace no /proc/net shows, a dump the kernel refused or kept changing). Two equal
 * glances, the first taken before a full dump, mean that dump still lists the same sockets (but see
 * tcpCounters for states that count nowhere): a watcher's look at a steady host with 200,000 connections
 * costs a glance, not their dump (OwnerCache.previous).
 */
export function glanceNamespace(addon: NativeAddon, netnsPath: string | undefined, base: string | null, session: CollectSession): string | null {
  if (base === null) return null;
  const counters = tcpCounters(readIfThere(`${base}/snmp`), readIfThere(`${base}/sockstat`), readIfThere(`${base}/sockstat6`));
  if (counters === null) return null;
  const hash = createHash("sha256").update(`${counters}\n`);
  if (!listenersAndUdp(addon, netnsPath, session, (records, table) => { hash.update(`${table} ${records.byteLength}\n`).update(records); return true; })) return null;
  for (const file of ["raw", "raw6"]) { const text = readIfThere(`${base}/${file}`); hash.update(`raw ${Buffer.byteLength(text)}\n`).update(text); }
  return hash.digest("base64");
}

/** How many sockets the netlink records of one namespace hold. */
export function netlinkRecordCount(records: NetlinkRecords): number {
  return NETLINK_TABLES.reduce((n, t) => n + recordCount(records[t.name]), 0);
}

const digests = new WeakMap<Dumps, string>();

/**
 * A digest of one namespace's dumps (SHA-256 of every table, each with its length): what a watcher keeps
 * of the last look's dumps to tell whether the next ones are the same, instead of their bytes (48 bytes a
 * socket: 10 MiB at 200,000 sockets); about 7 ms for those 10 MiB. Made once per Dumps object.
 */
export function dumpsDigest(dumps: Dumps): string {
  const known = digests.get(dumps);
  if (known !== undefined) return known;
  const hash = createHash("sha256");
  for (const t of NETLINK_TABLES) hash.update(`${t.name} ${dumps[t.name].byteLength}\n`).update(dumps[t.name]);
  for (const text of [dumps.raw, dumps.raw6]) hash.update(`raw ${Buffer.byteLength(text)}\n`).update(text);
  const digest = hash.digest("base64");
  digests.set(dumps, digest);
  return digest;
}
