import { ownerWords, type OwnerLookup } from "../knowledge/lists/asn.js";
import { isLoopback } from "../model/address.js";
import type { NetworkOwner, Socket } from "../model/socket.js";
import { isPublicAddress } from "./trust.js";

/**
 * Who owns a remote address's network, from the network owners' database (knowledge/lists/asn.ts): a
 * binary search per address. Loopback, private and reserved addresses are nobody's network on the
 * Internet (no published table has them): null without a lookup, so a host that talks only to itself and
 * its own network never reads the database (the state directory's copy is read at the first lookup).
 */
export function ownerMatcher(index: OwnerLookup): (address: string) => NetworkOwner | null {
  return (address) => (isLoopback(address) || !isPublicAddress(address) ? null : index.lookup(address));
}

export { ownerWords };

/** The owner of the other end in words, for explanations: "; the other end is in AS16276 OVH SAS's network". */
export function ownerNote(s: Socket): string {
  const o = s.remote?.asn;
  if (o == null) return "";
  // Made once per owner object (the index hands out one per owner) and direction.
  let notes = noteCache.get(o);
  if (notes === undefined) noteCache.set(o, notes = [`; it comes from ${ownerWords(o)}'s network`, `; the other end is in ${ownerWords(o)}'s network`]);
  return notes[s.direction === "inbound" ? 0 : 1] as string;
}

const noteCache = new WeakMap<NetworkOwner, [string, string]>();
