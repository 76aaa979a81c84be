import { maskV4, parseIp, parseV4, prefixV6, type Network } from "./ip.js";

/*
 * Which lists hold an address. For each prefix length, the networks of that length as their masked
 * address (IPv4: a signed 32-bit number in a sorted Int32Array, beside an Int32Array of the bit masks of
 * the lists that hold each; IPv6: the prefix's hex digits in a Map, as IPv6 lists are short). A lookup
 * tries only the lengths some list uses, longest first: at most 33 (IPv4) or 129 (IPv6) probes, each a
 * binary search or a Map lookup: O(address bits), whatever the number of networks. Sorted typed arrays
 * load from the compiled cache (compiled.ts) as views of its bytes, with nothing to rebuild.
 * IPv4 also has a summary: for each /16, which lengths from /16 to /32 have a network inside it (a bit
 * each), so an address tries only those lengths and the lengths shorter than /16.
 * Each list is a bit, so at most MAX_LISTS lists.
 */

/** How many lists one index holds (one bit each in a 32-bit number). */
export const MAX_LISTS = 31;

const MASKS4 = Int32Array.from({ length: 33 }, (_, len) => maskV4(len) | 0);

/** One list an address is on, and the longest of its networks that holds the address. */
export interface IndexHit {
  /** The list's position (its bit). */
  list: number;
  network: Network;
}

/** The IPv4 networks of one prefix length: sorted keys (signed), and the lists of each. */
export interface LengthTable {
  len: number;
  keys: Int32Array;
  lists: Int32Array;
}

export class PrefixIndex {
  private readonly tables4: (LengthTable | undefined)[] = new Array(33);
  private readonly long4: number;
  private readonly short4: number[];
  /** By the first 16 bits of an address: bit (len - 16) set when a network of length len (16 to 32) lies inside that /16. */
  readonly summary: Uint32Array;
  private readonly v6: (Map<string, number> | undefined)[] = new Array(129);
  private readonly lengths6: number[];
  /** How many networks it holds (a network on two lists counts once). */
  readonly size: number;

  /** Made by PrefixIndexBuilder.build() or loadCompiled (compiled.ts). */
  /** `summary`, when given, is the one an index of these tables had (a compiled cache keeps it); else it is worked out. */
  constructor(tables4: readonly LengthTable[], v6: readonly [number, string, number][], summary?: Uint32Array) {
    let size = 0;
    let long = 0;
    this.summary = summary ?? new Uint32Array(65536);
    for (const t of tables4) {
      this.tables4[t.len] = t;
      size += t.keys.length;
      if (t.len >= 16) {
        long |= 1 << (t.len - 16);
        if (summary !== undefined) continue;
        const bit = 1 << (t.len - 16);
        const made = this.summary;
        for (let i = 0; i < t.keys.length; i++) { const top = (t.keys[i] as number) >>> 16; made[top] = (made[top] as number) | bit; }
      }
    }
    this.long4 = long;
    this.short4 = tables4.map((t) => t.len).filter((len) => len < 16).sort((a, b) => b - a);
    for (const [len, key, lists] of v6) {
      let m = this.v6[len];
      if (m === undefined) { m = new Map(); this.v6[len] = m; }
      if (!m.has(key)) size++;
      m.set(key, (m.get(key) ?? 0) | lists);
    }
    this.lengths6 = [];
    for (let len = 128; len >= 0; len--) if (this.v6[len] !== undefined) this.lengths6.push(len);
    this.size = size;
  }

  /** The lists that hold `address` (text as the kernel prints it), each with its longest network; null when none does or it is no IP address. */
  lookup(address: string): IndexHit[] | null {
    if (!address.includes(":")) {
      const v = parseV4(address);
      return v === null ? null : this.lookupV4(v);
    }
    const ip = parseIp(address);
    if (ip === null) return null;
    if (ip.family === 4) return this.lookupV4(ip.v4);
    let seen = 0;
    let hits: IndexHit[] | null = null;
    for (const len of this.lengths6) {
      const key = prefixV6(ip.hex, len);
      const lists = (this.v6[len] as Map<string, number>).get(key);
      if (lists === undefined || (lists & ~seen) === 0) continue;
      hits = addHits(hits, lists & ~seen, { family: 6, hex: key.padEnd(32, "0"), len });
      seen |= lists;
    }
    return hits;
  }

  /** The lists that hold an IPv4 address (an unsigned number), as `lookup`. */
  lookupV4(v: number): IndexHit[] | null {
    let seen = 0;
    let hits: IndexHit[] | null = null;
    // /32 to /16, only the lengths the summary names for this /16; then the short ones.
    let bits = (this.summary[v >>> 16] as number) & this.long4;
    const short = this.short4;
    let i = 0;
    for (;;) {
      let len: number;
      if (bits !== 0) { const b = 31 - Math.clz32(bits); bits ^= 1 << b; len = b + 16; }
      else if (i < short.length) len = short[i++] as number;
      else break;
      const key = v & (MASKS4[len] as number);
      const t = this.tables4[len] as LengthTable;
      const at = search(t.keys, key);
      if (at < 0) continue;
      const lists = t.lists[at] as number;
      if ((lists & ~seen) === 0) continue;
      hits = addHits(hits, lists & ~seen, { family: 4, v4: key >>> 0, len });
      seen |= lists;
    }
    return hits;
  }

  /** The IPv4 tables, longest length first. */
  tablesV4(): LengthTable[] {
    return this.tables4.filter((t): t is LengthTable => t !== undefined).reverse();
  }

  /** Every IPv6 network: [length, prefix hex digits, lists]. */
  v6Entries(): [number, string, number][] {
    const out: [number, string, number][] = [];
    for (const len of this.lengths6) for (const [k, lists] of this.v6[len] as Map<string, number>) out.push([len, k, lists]);
    return out;
  }
}

/** Where `key` is in sorted `keys`, or -1. */
function search(keys: Int32Array, key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid] as number;
    if (k < key) lo = mid + 1;
    else if (k > key) hi = mid - 1;
    else return mid;
  }
  return -1;
}

function addHits(hits: IndexHit[] | null, bits: number, network: Network): IndexHit[] {
  const out = hits ?? [];
  for (let list = 0; list < MAX_LISTS; list++) if ((bits & (1 << list)) !== 0) out.push({ list, network });
  return out;
}

/** Collects networks list by list, then builds the index. */
export class PrefixIndexBuilder {
  private readonly v4: (Map<number, number> | undefined)[] = new Array(33);
  private readonly v6: [number, string, number][] = [];

  /** Adds a network of list `list` (0 to MAX_LISTS - 1). */
  add(net: Network, list: number): this {
    if (list < 0 || list >= MAX_LISTS) throw new RangeError(`list ${list} is outside 0..${MAX_LISTS - 1}`);
    const bit = 1 << list;
    if (net.family === 6) { this.v6.push([net.len, prefixV6(net.hex, net.len), bit]); return this; }
    let m = this.v4[net.len];
    if (m === undefined) { m = new Map(); this.v4[net.len] = m; }
    const key = net.v4 | 0;
    m.set(key, (m.get(key) ?? 0) | bit);
    return this;
  }

  build(): PrefixIndex {
    const tables: LengthTable[] = [];
    this.v4.forEach((m, len) => {
      if (m === undefined) return;
      const keys = Int32Array.from(m.keys()).sort();
      const lists = new Int32Array(keys.length);
      for (let i = 0; i < keys.length; i++) lists[i] = m.get(keys[i] as number) as number;
      tables.push({ len, keys, lists });
    });
    return new PrefixIndex(tables, this.v6);
  }
}
