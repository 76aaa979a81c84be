/*
 * Payload loads as nft names them (nftables 1.0.6, src/proto.c): the header's protocol from the table family or the
 * rule's dependencies, the field by offset and length, and nft's merged loads of adjacent fields split again.
 * For parse/nft-delinearize.ts.
 */

/** A payload load: its header's protocol and field as nft names them (null: not named), where it loads, and the context it was read in. */
export interface Payload {
  t: "payload";
  proto: string | null;
  field: string | null;
  /** For saddr and daddr: the address's width in bytes (a shorter load is a prefix); 0 otherwise. */
  addrWidth: number;
  base: number;
  off: number;
  len: number;
  net: string | null;
  trans: number | null;
}

/** Transport headers nft names after a dependency on this protocol number, with their fields by [offset, length]. */
export const PORTS: Record<string, string> = { "0,2": "sport", "2,2": "dport" };
const TRANSPORT: Record<number, [string, Record<string, string>]> = {
  6: ["tcp", { ...PORTS, "4,4": "sequence", "8,4": "ackseq", "13,1": "flags", "14,2": "window", "16,2": "checksum", "18,2": "urgptr" }],
  17: ["udp", { ...PORTS, "4,2": "length", "6,2": "checksum" }], 136: ["udplite", { ...PORTS, "6,2": "checksum" }],
  132: ["sctp", { ...PORTS, "4,4": "vtag", "8,4": "checksum" }], 33: ["dccp", { ...PORTS, "8,1": "type" }],
  1: ["icmp", { "0,1": "type", "1,1": "code", "2,2": "checksum" }], 58: ["icmpv6", { "0,1": "type", "1,1": "code", "2,2": "checksum" }],
};
const NETWORK: Record<string, Record<string, string>> = {
  ip: { "2,2": "length", "4,2": "id", "8,1": "ttl", "9,1": "protocol", "10,2": "checksum" },
  ip6: { "4,2": "length", "6,1": "nexthdr", "7,1": "hoplimit" },
};
/** Where the addresses are in each network header: [saddr offset, daddr offset, width in bytes]. */
const ADDRESSES: Record<string, [number, number, number]> = { ip: [12, 16, 4], ip6: [8, 24, 16] };

export function payloadSrc(base: number, off: number, len: number, net: string | null, trans: number | null): Payload {
  const p = fieldOf(base, off, len, net, trans);
  return { t: "payload", proto: p.proto, field: p.field, addrWidth: p.addrWidth, base, off, len, net, trans };
}

/** A load nft cannot name, as nft writes it: "@th,16,16" (base, offset and length in bits). */
export function rawText(p: Payload): string {
  return `@${["ll", "nh", "th", "ih"][p.base] ?? String(p.base)},${p.off * 8},${p.len * 8}`;
}

/** The protocol and field nft names a payload load by (its header's protocol from the table family or the rule's dependencies). */
function fieldOf(base: number, off: number, len: number, net: string | null, trans: number | null): { proto: string | null; field: string | null; addrWidth: number } {
  if (base === 1 && net !== null) {
    const [s, d, width] = ADDRESSES[net]!;
    if ((off === s || off === d) && len >= 1 && len <= width) return { proto: net, field: off === s ? "saddr" : "daddr", addrWidth: width };
    return { proto: net, field: NETWORK[net]![`${off},${len}`] ?? null, addrWidth: 0 };
  }
  if (base === 2) {
    const t = trans === null ? undefined : TRANSPORT[trans];
    if (t === undefined) return { proto: trans === null ? "th" : null, field: trans === null ? PORTS[`${off},${len}`] ?? null : null, addrWidth: 0 };
    return { proto: t[0], field: t[1][`${off},${len}`] ?? null, addrWidth: 0 };
  }
  return { proto: null, field: null, addrWidth: 0 };
}

/**
 * nft merges equality matches of adjacent header fields into one load ("udp sport 443 udp dport 53" is one 4-byte
 * load and compare at transport header + 0) and splits them again when it lists the rule: the fields that tile the
 * load exactly, each with its part of the value; null when they do not.
 */
export function splitMerged(left: Payload, data: Uint8Array): [Payload, Uint8Array][] | null {
  const { base, off, net, trans } = left;
  if (data.length !== left.len) return null;
  const out: [Payload, Uint8Array][] = [];
  for (let pos = off; pos < off + left.len;) {
    let found: Payload | null = null;
    for (let l = off + left.len - pos; l >= 1 && found === null; l--) {
      const f = fieldOf(base, pos, l, net, trans);
      if (f.field !== null && (f.addrWidth === 0 || l === f.addrWidth)) found = payloadSrc(base, pos, l, net, trans);
    }
    if (found === null) return null;
    out.push([found, data.subarray(pos - off, pos - off + found.len)]);
    pos += found.len;
  }
  return out.length > 1 ? out : null;
}
