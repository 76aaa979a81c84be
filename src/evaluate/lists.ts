import type { ListInfo } from "../knowledge/lists/compiled.js";
import { networkText } from "../knowledge/lists/ip.js";
import type { PrefixIndex } from "../knowledge/lists/prefix-index.js";
import { isLoopback } from "../model/address.js";
import type { ListMatch, Socket } from "../model/socket.js";
import type { Reason } from "../model/verdict.js";
import { isPublicAddress } from "./trust.js";

/** The enabled address lists, compiled (audit/ loads them from the state directory; see knowledge/lists/). */
export interface AddressLists {
  lists: readonly ListInfo[];
  index: PrefixIndex;
}

/**
 * The lists that hold a socket's remote address, as the JSON shows them (`remote.lists`); null when none
 * does. Only addresses on the Internet are looked up: lists such as FireHOL level 1 include the private and
 * reserved ranges (as "bogons", to drop at a border), which say nothing about a peer on this computer's
 * own network.
 */
export function listMatcher(lists: AddressLists): (s: Socket) => readonly ListMatch[] | null {
  // Only the answers for listed addresses are kept (a busy host talks to the same listed peer again and
  // again); a miss costs one lookup, less than keeping it would.
  const listed = new Map<string, readonly ListMatch[]>();
  return (s) => {
    const r = s.remote;
    if (r === null || isLoopback(r.address) || !isPublicAddress(r.address)) return null;
    const had = listed.get(r.address);
    if (had !== undefined) return had;
    const hits = lists.index.lookup(r.address);
    if (hits === null) return null;
    const found = hits.map((h) => {
      const l = lists.lists[h.list];
      return { name: l?.name ?? `list ${h.list}`, category: l?.category ?? null, date: l?.date ?? null, network: networkText(h.network) };
    });
    if (listed.size >= 50_000) listed.clear();
    listed.set(r.address, found);
    return found;
  };
}

/** A list in words: "feodo (malware, dated 2015-10-23)". */
export function listWords(m: ListMatch): string {
  const about = [m.category, m.date === null ? null : `dated ${m.date.slice(0, 10)}`].filter((x) => x !== null);
  return `${m.name}${about.length ? ` (${about.join(", ")})` : ""}`;
}

/** Where the address sits on the lists: "on feodo (malware, dated 2015-10-23) and on firehol_level1 (attacks) as part of 5.101.218.0/24". */
export function listsText(address: string, lists: readonly ListMatch[]): string {
  return lists.map((m) => `on ${listWords(m)}${m.network === address || m.network === address.replace(/^::ffff:/, "") ? "" : ` as part of ${m.network}`}`).join(" and ");
}

/** Rule blocklist: the other end is on an enabled address list. */
export function blocklistReason(s: Socket): Reason | null {
  const r = s.remote;
  if (r === null || r.lists === undefined || r.lists.length === 0) return null;
  const where = listsText(r.address, r.lists);
  const message = s.direction === "inbound"
    ? `A connection from ${r.address}, which is ${where}: lists of addresses known for attacks or malware; look at what it does here`
    : `The other end, ${r.address}, is ${where}: lists of addresses known for attacks or malware; look at which program talks to it and why`;
  return { rule: "blocklist", verdict: "suspicious", message };
}
