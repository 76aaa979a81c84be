import type { AddressRange } from "../../model/firewall.js";
import { addressRange } from "../../model/ip-number.js";

/*
 * Netlink attributes (struct nlattr: u16 length, u16 type, the payload padded to 4 bytes) and the values of
 * nf_tables' netlink data as nft prints them (nftables 1.0.6, src/datatype.c, src/segtree.c), for
 * parse/nft-netlink.ts: addresses as inet_ntop writes them, protocol names as /etc/protocols (netbase) has
 * them (nft asks getprotobynumber), conntrack states, and an interval set's elements (the kernel keeps a
 * start element and an end element one past the last value, `NFT_SET_ELEM_INTERVAL_END`) as nft lists them.
 */

/**
 * Netlink attributes of one level, read in place (no copies and no lists: a 1,000-rule dump has some 50,000, and
 * a level rarely more than eight): the type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits; when a type
 * repeats, get() gives the first and each() all of them in order. Reading stops at the first attribute whose
 * length does not fit (`truncated`). The host must be little-endian (nlattr's length and type are host order).
 */
export class Attrs {
  /** Where the attribute found last starts and ends (find's answer: no allocation per look-up). */
  private at: number;
  private end: number;
  /**
   * `w`: the same bytes as 32-bit words (netlink aligns every attribute to 4 bytes): one read gives an attribute's
   * length and type on a little-endian host. Made once for a dump and handed down; null when the bytes are not aligned.
   */
  constructor(readonly b: Uint8Array, readonly from: number, readonly to: number, readonly w: Uint32Array | null) {
    this.at = 0;
    this.end = 0;
  }
  /** The attributes of `b` (a nested attribute's payload, say) from `from` to `to`. */
  static of(b: Uint8Array, from = 0, to = b.length): Attrs {
    return new Attrs(b, from, to, b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2) : null);
  }
  /** Whether an attribute's length does not fit (the rest of this level is not read). */
  get truncated(): boolean {
    const b = this.b;
    let off = this.from;
    while (off + 4 <= this.to) {
      const len = b[off]! | (b[off + 1]! << 8);
      if (len < 4 || off + len > this.to) return true;
      off += (len + 3) & ~3;
    }
    return false;
  }
  /** Finds the first attribute of `type` (sets at/end); false when there is none. */
  private find(type: number): boolean {
    const w = this.w, to = this.to;
    let off = this.from;
    if (w !== null && (off & 3) === 0) {
      while (off + 4 <= to) {
        const h = w[off >> 2]!, len = h & 0xffff;
        if (len < 4 || off + len > to) return false;
        if (((h >>> 16) & 0x3fff) === type) { this.at = off + 4; this.end = off + len; return true; }
        off += (len + 3) & ~3;
      }
      return false;
    }
    const b = this.b;
    while (off + 4 <= to) {
      const len = b[off]! | (b[off + 1]! << 8);
      if (len < 4 || off + len > to) return false;
      if (((b[off + 2]! | (b[off + 3]! << 8)) & 0x3fff) === type) { this.at = off + 4; this.end = off + len; return true; }
      off += (len + 3) & ~3;
    }
    return false;
  }
  has(type: number): boolean { return this.find(type); }
  get(type: number): Uint8Array | undefined { return this.find(type) ? this.b.subarray(this.at, this.end) : undefined; }
  /** A nested attribute's attributes (none when it is missing). */
  nested(type: number): Attrs { return this.find(type) ? new Attrs(this.b, this.at, this.end, this.w) : new Attrs(this.b, 0, 0, this.w); }
  /** Each attribute of `type`, in order, as nested attributes (NFTA_LIST_ELEM lists). */
  each(type: number): Attrs[] {
    const b = this.b, out: Attrs[] = [];
    let off = this.from;
    while (off + 4 <= this.to) {
      const len = b[off]! | (b[off + 1]! << 8);
      if (len < 4 || off + len > this.to) break;
      if (((b[off + 2]! | (b[off + 3]! << 8)) & 0x3fff) === type) out.push(new Attrs(b, off + 4, off + len, this.w));
      off += (len + 3) & ~3;
    }
    return out;
  }
  /** NLA_U32 in network order; null when missing or short. */
  u32(type: number): number | null {
    if (!this.find(type) || this.end - this.at < 4) return null;
    const b = this.b, o = this.at;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  /** NLA_STRING: up to the first NUL. */
  str(type: number): string | null { return this.find(type) ? text(this.b, this.at, this.end) : null; }
  /** The NFTA_DATA_VALUE inside a nested nft_data attribute. */
  data(type: number): Uint8Array | null { return this.find(type) ? new Attrs(this.b, this.at, this.end, this.w).get(1) ?? null : null; }
}

const UTF8 = new TextDecoder();

/** Names met before, by length, first and last byte: a dump repeats each table, chain and expression name thousands of times. */
const interned = new Map<number, string[]>();

/** Bytes up to the first NUL as text: a name met before without a new string (kept small: it runs for every name of a dump). */
export function text(b: Uint8Array, from = 0, to = b.length): string {
  let end = from;
  while (end < to && b[end] !== 0) end++;
  const n = end - from;
  if (n === 0) return "";
  const known = interned.get(n * 65536 + b[from]! * 256 + b[end - 1]!);
  if (known !== undefined) for (const s of known) if (sameText(s, b, from, n)) return s;
  return newText(b, from, end);
}

function sameText(s: string, b: Uint8Array, from: number, n: number): boolean {
  for (let i = 1; i < n - 1; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}

/** A name not met before: decoded (UTF-8), and kept when it is ASCII. */
function newText(b: Uint8Array, from: number, end: number): string {
  const s = UTF8.decode(b.subarray(from, end));
  if (s.length !== end - from) return s;
  const key = s.length * 65536 + b[from]! * 256 + b[end - 1]!;
  const known = interned.get(key);
  if (known === undefined) { if (interned.size < 4096) interned.set(key, [s]); } else if (known.length < 8) known.push(s);
  return s;
}

/** A value of a match or a set: one value, or an inclusive range of two (both as the kernel's bytes). */
export type NftValue = { kind: "value"; data: Uint8Array } | { kind: "range"; from: Uint8Array; to: Uint8Array };

/** A big-endian number of bytes (network order: addresses, ports, interface names). */
export function beNumber(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** A big-endian value of 1 to 16 bytes as a bigint, with as few bigint steps as can be (an address of a rule). */
export function bigOf(b: Uint8Array): bigint {
  if (b.length === 4) return BigInt(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
  let v = 0n;
  for (let i = 0; i < b.length; i += 4) {
    let w = 0, n = 0;
    for (let j = i; j < i + 4 && j < b.length; j++, n++) w = w * 256 + b[j]!;
    v = (v << BigInt(n * 8)) | BigInt(w);
  }
  return v;
}

/** Orders two values as numbers: of network order (bytes from the first), or of host order (from the last); shorter first. */
export function compareBytes(a: Uint8Array, b: Uint8Array, hostOrder = false): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let k = 0; k < a.length; k++) {
    const i = hostOrder ? a.length - 1 - k : k;
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}

/** A host-order (little-endian, as on the machines portwatch runs on) number: meta iif, ct state, marks. */
export function hostNumber(b: Uint8Array): number {
  let v = 0;
  for (let i = Math.min(b.length, 4) - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
}

/** IPv4 dotted; IPv6 as glibc's inet_ntop: the first longest run of two or more zero groups as "::", ::ffff:a.b.c.d and ::a.b.c.d for IPv4 in IPv6. */
export function addressText(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) { if (i === best) out += ":"; continue; }
    if (i > 0) out += ":";
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) { out += Array.from(b.subarray(12)).join("."); break; }
    out += w[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) out += ":";
  return out;
}

/** The number of leading one bits of a mask when the rest are zeros; null when it is not a prefix mask. */
export function prefixBits(mask: Uint8Array): number | null {
  const v = beNumber(mask), bits = mask.length * 8;
  let n = 0;
  while (n < bits && ((v >> BigInt(bits - 1 - n)) & 1n) === 1n) n++;
  return (v & ((1n << BigInt(bits - n)) - 1n)) === 0n ? n : null;
}

/** A prefix of `bits` (the full width: the address alone), as nft prints it ("10.0.0.0/8", "fd00::/8", "10.0.0.1"). */
export function prefixText(addr: Uint8Array, bits: number): string {
  return bits === addr.length * 8 ? addressText(addr) : `${addressText(addr)}/${bits}`;
}

/** An address range as nft lists it: one address, a prefix when the range is exactly one, or "first-last". */
export function addressRangeText(from: Uint8Array, to: Uint8Array): string {
  const a = beNumber(from), b = beNumber(to), width = from.length * 8;
  if (a === b) return addressText(from);
  for (let host = 1; host <= width; host++) {
    const size = 1n << BigInt(host);
    if (b - a + 1n === size && a % size === 0n) return prefixText(from, width - host);
  }
  return `${addressText(from)}-${addressText(to)}`;
}

/** /etc/protocols (Debian netbase 6.4), by number: nft -j names a protocol the way getprotobynumber does. */
const PROTOCOLS: Record<number, string> = {
  0: "ip", 1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 5: "st", 6: "tcp", 8: "egp", 9: "igp", 12: "pup", 17: "udp", 20: "hmp",
  22: "xns-idp", 27: "rdp", 29: "iso-tp4", 33: "dccp", 36: "xtp", 37: "ddp", 38: "idpr-cmtp", 41: "ipv6", 43: "ipv6-route",
  44: "ipv6-frag", 45: "idrp", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah", 57: "skip", 58: "ipv6-icmp", 59: "ipv6-nonxt",
  60: "ipv6-opts", 73: "rspf", 81: "vmtp", 88: "eigrp", 89: "ospf", 93: "ax.25", 94: "ipip", 97: "etherip", 98: "encap", 103: "pim",
  108: "ipcomp", 112: "vrrp", 115: "l2tp", 124: "isis", 132: "sctp", 133: "fc", 135: "mobility-header", 136: "udplite",
  137: "mpls-in-ip", 138: "manet", 139: "hip", 140: "shim6", 141: "wesp", 142: "rohc", 143: "ethernet",
};

/** A layer-4 protocol's name as nft prints it, or its number when /etc/protocols has none. */
export function protocolName(n: number): string | number {
  return PROTOCOLS[n] ?? n;
}

/** Conntrack state bits (nf_conntrack_common.h: NF_CT_STATE_BIT, NF_CT_STATE_INVALID_BIT, NF_CT_STATE_UNTRACKED_BIT) in nft's words. */
const CT_STATES: [number, string][] = [[1, "invalid"], [2, "established"], [4, "related"], [8, "new"], [64, "untracked"]];

/** The state names of a bit mask, lowest bit first (nft's order); null when it has a bit nft has no name for. */
export function ctStateNames(mask: number): string[] | null {
  const out: string[] = [];
  let left = mask;
  for (const [bit, name] of CT_STATES) if (mask & bit) { out.push(name); left &= ~bit; }
  return left === 0 ? out : null;
}

/** A set element as the kernel dumps it: its key, the key of a range's end (NFTA_SET_ELEM_KEY_END), its flags. */
export interface NftElement { key: Uint8Array; keyEnd: Uint8Array | null; flags: number }

const INTERVAL_END = 1;

/** One past a big-endian value, or null at the top (all ones). */
function minusOne(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  for (let i = out.length - 1; i >= 0; i--) { if (out[i]! > 0) { out[i]!--; return out; } out[i] = 0xff; }
  return out;
}

/**
 * The elements of an interval set as inclusive ranges, lowest first: each start element runs to the end element after
 * it (exclusive), or to the top of the key's range when no end element follows (nft leaves out an end that would
 * wrap); end elements with no start before them (the kernel's marker at 0) are skipped.
 */
export function intervals(elements: readonly NftElement[]): NftValue[] {
  // an end before a start at the same key
  const cmp = (a: NftElement, b: NftElement): number => compareBytes(a.key, b.key) || (b.flags & INTERVAL_END) - (a.flags & INTERVAL_END);
  const sorted = [...elements].sort(cmp);
  const out: NftValue[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (e.flags & INTERVAL_END) continue;
    if (e.keyEnd !== null) { out.push(rangeOrValue(e.key, e.keyEnd)); continue; }
    const next = sorted[i + 1];
    const to = next !== undefined && (next.flags & INTERVAL_END) ? minusOne(next.key) : new Uint8Array(e.key.length).fill(0xff);
    out.push(rangeOrValue(e.key, to));
  }
  return out;
}

function rangeOrValue(from: Uint8Array, to: Uint8Array): NftValue {
  return compareBytes(from, to) === 0 ? { kind: "value", data: from } : { kind: "range", from, to };
}

/** Port values as ranges, as parseNftJson's portRanges: comparisons (<, >=…) become one range. */
export function portRanges(cmp: string, values: NftValue[]): [number, number][] | null {
  const port = (b: Uint8Array): number | null => (b.length === 2 ? (b[0]! << 8) | b[1]! : null);
  const out: [number, number][] = [];
  for (const v of values) {
    if (v.kind === "range") {
      const a = port(v.from), b = port(v.to);
      if (a === null || b === null) return null;
      out.push([a, b]);
      continue;
    }
    const p = port(v.data);
    if (p === null) return null;
    if (cmp === "<") out.push([0, p - 1]); else if (cmp === "<=") out.push([0, p]);
    else if (cmp === ">") out.push([p + 1, 65535]); else if (cmp === ">=") out.push([p, 65535]);
    else out.push([p, p]);
  }
  return out;
}

/** An interface name as the kernel compares it: a full IFNAMSIZ value up to its NUL, or a shorter one (no NUL) that is a prefix: "eth*". */
export function ifnameText(b: Uint8Array): string | undefined {
  const end = b.indexOf(0);
  const name = text(b, 0, end < 0 ? b.length : end);
  return end < 0 ? `${name}*` : name;
}

/** An IPv4-mapped IPv6 address ("::ffff:1.2.3.4"), which addressRange() reads as IPv4, as parseNftJson's reading does. */
const mapped = (text: string): boolean => text.startsWith("::ffff:") && text.includes(".");

const rangeCache = new WeakMap<NftValue, AddressRange | null>();
/** The host part of a prefix of `len` bits of `width` bytes as a mask, made once for each. */
const hostMasks = new Map<number, bigint>();
function hostMask(width: number, len: number): bigint {
  let m = hostMasks.get(width * 256 + len);
  if (m === undefined) hostMasks.set(width * 256 + len, m = (1n << BigInt(width * 8 - len)) - 1n);
  return m;
}

/**
 * An address value of an address `width` bytes wide, of which `len` were loaded, as nft prints it, as the range
 * addressRange() makes of that text (built from the bytes, not parsed again): a load of fewer bytes than the
 * address, or a mask (`bits`), is a prefix; a set's range is a prefix when it is one; a rule's range is "first-last".
 */
export function addressValue(v: NftValue, width: number, len: number, bits: number | null, fromSet: boolean): AddressRange | null {
  if (!fromSet) return addressValueOf(v, width, len, bits, false);
  // a set's values are the same objects for every rule that names the set: read each once
  let r = rangeCache.get(v);
  if (r === undefined) rangeCache.set(v, r = addressValueOf(v, width, len, bits, true));
  return r;
}

function addressValueOf(v: NftValue, width: number, loaded: number, bits: number | null, fromSet: boolean): AddressRange | null {
  const family = width === 4 ? 4 : 6;
  const full = (b: Uint8Array): Uint8Array | null => {
    if (b.length > width) return null;
    if (b.length === width) return b;
    const out = new Uint8Array(width);
    out.set(b);
    return out;
  };
  if (v.kind === "range") {
    const from = full(v.from), to = full(v.to);
    if (from === null || to === null || v.from.length !== width) return null;
    const text = fromSet ? addressRangeText(from, to) : `${addressText(from)}-${addressText(to)}`;
    return mapped(text) ? addressRange(text) : { family, first: bigOf(from), last: bigOf(to), text };
  }
  const addr = full(v.data.subarray(0, loaded));
  if (addr === null) return null;
  const len = bits ?? loaded * 8, text = prefixText(addr, len);
  if (mapped(text)) return addressRange(text);
  const host = hostMask(width, len), first = bigOf(addr) & ~host;
  return { family, first, last: first | host, text };
}
