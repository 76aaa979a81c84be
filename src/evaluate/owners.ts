import { ownerWords, type AsnIndex } from "../knowledge/lists/asn.js";
import { isLoopback } from "../model/address.js";
import type { NetworkOwner, Socket } from "../model/socket.js";

/**
 * Who owns a remote address's network, from the network owners' database (knowledge/lists/asn.ts): a
 * binary search per address. Loopback is nobody's network; private and reserved ranges are in no
 * published table, so they come back null too.
 */
export function ownerMatcher(index: AsnIndex): (address: string) => NetworkOwner | null {
  return (address) => (isLoopback(address) ? null : index.lookup(address));
}

export { ownerWords };

/** The owner of the other end in words, for explanations: "; the other end is in AS16276 OVH SAS's network". */
export function ownerNote(s: Socket): string {
  const o = s.remote?.asn;
  if (o == null) return "";
  return s.direction === "inbound" ? `; it comes from ${ownerWords(o)}'s network` : `; the other end is in ${ownerWords(o)}'s network`;
}
