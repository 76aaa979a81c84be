import type { Problem } from "../../model/problem.js";
import type { NetworkOwner } from "../../model/socket.js";
import { parseIp, parseV4, parseV6 } from "./ip.js";
import { csvRow } from "./csv.js";

/*
 * Network owners: an IP-to-ASN table as ip-location-db publishes it (CC BY 4.0, from Route Views and
 * DB-IP): "start,end,asn,organisation" a line, no header, ranges inclusive and sorted, the organisation
 * CSV-quoted when it holds a comma or a quote:
 *   16777216,16777471,13335,"Cloudflare, Inc."          (asn-ipv4-num.csv: IPv4 bounds as numbers)
 *   1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."          (asn-ipv4.csv)
 *   2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project   (asn-ipv6.csv)
 *   42540528726795050063891204319802818560,42540528806023212578155541913346768895,2500,WIDE Project   (asn-ipv6-num.csv)
 * Text in, rows and problems out (AsnBuilder); the index is sorted typed arrays and a lookup is a binary
 * search: an IPv4 bound is one u32, an IPv6 bound four. Its compiled form (compileAsn/loadAsn: the state
 * directory's lists/asn.bin) is those arrays as bytes, and the organisations' names as one UTF-8 block
 * with offsets, so loading makes views and decodes the names only when a lookup first returns one.
 */

export type { NetworkOwner };

/** An IPv4 bound: digits (an unsigned number) or a dotted quad; null otherwise. */
function v4Bound(text: string): number | null {
  if (/^\d{1,10}$/.test(text)) { const n = Number(text); return n <= 0xffffffff ? n : null; }
  return parseV4(text);
}

/** An IPv6 address as four u32 words, most significant first; null when it is none. */
function v6Words(text: string): [number, number, number, number] | null {
  if (/^\d{1,39}$/.test(text)) {
    // asn-ipv6-num.csv: the address as one decimal number
    const n = BigInt(text);
    if (n >> 128n !== 0n) return null;
    return [96n, 64n, 32n, 0n].map((k) => Number((n >> k) & 0xffffffffn)) as [number, number, number, number];
  }
  const hex = parseV6(text);
  if (hex === null) return null;
  return [0, 8, 16, 24].map((i) => parseInt(hex.slice(i, i + 8), 16)) as [number, number, number, number];
}

/** -1, 0 or 1: the IPv6 address at words[i*4..] against `w`. */
function cmp6(words: Uint32Array, i: number, w: readonly number[]): number {
  for (let k = 0; k < 4; k++) {
    const a = words[i * 4 + k] as number, b = w[k] as number;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** The arrays of an index (see the file's comment). `orgStart` has one more entry than owners. */
interface AsnArrays {
  v4Start: Uint32Array; v4End: Uint32Array; v4Owner: Uint32Array;
  v6Start: Uint32Array; v6End: Uint32Array; v6Owner: Uint32Array;
  ownerAsn: Uint32Array; orgStart: Uint32Array; orgBytes: Uint8Array;
}

/** Anything that says who owns an address's network: an AsnIndex, or one loaded when first asked (watch/asn-store.ts). */
export interface OwnerLookup {
  lookup(address: string): NetworkOwner | null;
  /** Problems met reading the database at the first lookup (after an audit's notes were written): said at the end of the look. */
  late?: readonly string[];
}

/** Who owns which addresses: IPv4 and IPv6 ranges, sorted, and their owners. */
export class AsnIndex implements OwnerLookup {
  private readonly owners: (NetworkOwner | undefined)[];
  private readonly decoder = new TextDecoder();
  private names: string | undefined;
  constructor(private readonly a: AsnArrays) {
    this.owners = new Array<NetworkOwner | undefined>(a.ownerAsn.length);
  }

  /** How many ranges it has (IPv4 and IPv6). */
  get size(): number {
    return this.a.v4Start.length + this.a.v6Owner.length;
  }

  get sizes(): { v4: number; v6: number; owners: number } {
    return { v4: this.a.v4Start.length, v6: this.a.v6Owner.length, owners: this.a.ownerAsn.length };
  }

  /** Its arrays, for compileAsn. */
  arrays(): Readonly<AsnArrays> {
    return this.a;
  }

  private owner(i: number): NetworkOwner {
    let o = this.owners[i];
    if (o === undefined) {
      // Every name is decoded at once, at the first owner asked for (one call; a call per name costs more
      // than the lookup): orgStart counts UTF-16 code units of that text.
      const names = (this.names ??= this.decoder.decode(this.a.orgBytes));
      // offsets past the names (bytes damaged inside the names' block) give no name, not a wrong one
      const end = this.a.orgStart[i + 1] as number;
      const org = end <= names.length ? names.slice(this.a.orgStart[i], end) : "";
      o = { number: this.a.ownerAsn[i] as number, org: org === "" ? null : org };
      this.owners[i] = o;
    }
    return o;
  }

  /** Who owns `address` (IPv4, IPv4-mapped or IPv6), or null when no range holds it. */
  lookup(address: string): NetworkOwner | null {
    const ip = parseIp(address);
    if (ip === null) return null;
    if (ip.family === 4) {
      const v = ip.v4, starts = this.a.v4Start;
      let lo = 0, hi = starts.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if ((starts[mid] as number) <= v) lo = mid + 1; else hi = mid - 1;
      }
      // hi: the last range that starts at or before v.
      return hi >= 0 && v <= (this.a.v4End[hi] as number) ? this.owner(this.a.v4Owner[hi] as number) : null;
    }
    const w = [0, 8, 16, 24].map((i) => parseInt(ip.hex.slice(i, i + 8), 16));
    let lo = 0, hi = this.a.v6Owner.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp6(this.a.v6Start, mid, w) <= 0) lo = mid + 1; else hi = mid - 1;
    }
    return hi >= 0 && cmp6(this.a.v6End, hi, w) >= 0 ? this.owner(this.a.v6Owner[hi] as number) : null;
  }
}

/** Collects the rows of one or more tables (the IPv4 file and the IPv6 file) into one index. */
export class AsnBuilder {
  private readonly v4: { start: number; end: number; owner: number }[] = [];
  private readonly v6: { start: number[]; end: number[]; owner: number }[] = [];
  private readonly ownerIds = new Map<string, number>();
  private readonly ownerList: { asn: number; org: string }[] = [];

  /** How many ranges it holds so far. */
  get size(): number {
    return this.v4.length + this.v6.length;
  }

  private ownerId(asn: number, org: string): number {
    const key = `${asn}\u0000${org}`;
    let id = this.ownerIds.get(key);
    if (id === undefined) { id = this.ownerList.length; this.ownerIds.set(key, id); this.ownerList.push({ asn, org }); }
    return id;
  }

  /** Reads a table's text (see the file's comment); returns its problems (at most 100) and how many rows it added. */
  add(text: string, source: string): { rows: number; problems: Problem[]; lines: number } {
    const problems: Problem[] = [];
    let lineNo = 0, rows = 0, lines = 0;
    for (const raw of text.split("\n")) {
      lineNo++;
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line === "" || line.startsWith("#")) continue;
      lines++;
      const f = csvRow(line);
      const bad = (column: number, reason: string) => { if (problems.length < 100) problems.push({ source, line: lineNo, column, text: line.slice(0, 120), reason }); };
      if (f.length < 4) { bad(1, `${f.length} field(s): a row is start,end,asn,organisation`); continue; }
      const [a, b, n] = f as [string, string, string];
      const asn = /^\d{1,10}$/.test(n) ? Number(n) : NaN;
      const asnColumn = a.length + b.length + 3;
      const org = f.slice(3).join(",").trim();
      // IPv6 by its colons, or as a number past IPv4's (asn-ipv6-num.csv: every IPv6 range there starts beyond 2^32)
      if (a.includes(":") || (/^\d+$/.test(a) && (a.length > 10 || Number(a) > 0xffffffff))) {
        const start = v6Words(a), end = v6Words(b);
        if (start === null) { bad(1, "the start is not an IPv6 address"); continue; }
        if (end === null || compareWords(end, start) < 0) { bad(a.length + 2, "the end is not an IPv6 address at or after the start"); continue; }
        if (!(asn <= 0xffffffff)) { bad(asnColumn, "the AS number is not a whole number"); continue; }
        this.v6.push({ start, end, owner: this.ownerId(asn, org) });
      } else {
        const start = v4Bound(a), end = v4Bound(b);
        if (start === null) { bad(1, "the start is not an IPv4 address or number"); continue; }
        if (end === null || end < start) { bad(a.length + 2, "the end is not an IPv4 address or number at or after the start"); continue; }
        if (!(asn <= 0xffffffff)) { bad(asnColumn, "the AS number is not a whole number"); continue; }
        this.v4.push({ start, end, owner: this.ownerId(asn, org) });
      }
      rows++;
    }
    return { rows, problems, lines };
  }

  /** The index of every row added, sorted by start. */
  build(): AsnIndex {
    const v4 = this.v4.slice().sort((x, y) => x.start - y.start);
    const v6 = this.v6.slice().sort((x, y) => compareWords(x.start, y.start));
    // The names as one text (UTF-8 in the file), each at its offset in UTF-16 code units.
    const orgStart = new Uint32Array(this.ownerList.length + 1);
    this.ownerList.forEach((o, i) => { orgStart[i + 1] = (orgStart[i] as number) + o.org.length; });
    const orgBytes = new TextEncoder().encode(this.ownerList.map((o) => o.org).join(""));
    return new AsnIndex({
      v4Start: Uint32Array.from(v4, (r) => r.start), v4End: Uint32Array.from(v4, (r) => r.end), v4Owner: Uint32Array.from(v4, (r) => r.owner),
      v6Start: Uint32Array.from(v6.flatMap((r) => r.start)), v6End: Uint32Array.from(v6.flatMap((r) => r.end)), v6Owner: Uint32Array.from(v6, (r) => r.owner),
      ownerAsn: Uint32Array.from(this.ownerList, (o) => o.asn), orgStart, orgBytes,
    });
  }
}

function compareWords(x: readonly number[], y: readonly number[]): number {
  for (let k = 0; k < 4; k++) if (x[k] !== y[k]) return (x[k] as number) < (y[k] as number) ? -1 : 1;
  return 0;
}

/** Reads one ASN table (IPv4 and IPv6 rows alike) into an index. */
export function parseAsnTable(text: string, source: string): { index: AsnIndex; problems: Problem[] } {
  const b = new AsnBuilder();
  const { problems } = b.add(text, source);
  return { index: b.build(), problems };
}

/** An owner in words: "AS13335 Cloudflare, Inc.". */
export const ownerWords = (o: NetworkOwner): string => `AS${o.number}${o.org ? ` ${o.org}` : ""}`;

// --- The compiled form: "PWA2", u32 n, n bytes of JSON header, padding to 4, then the arrays in the
// header's order (u32 each), then the organisations' UTF-8 bytes. -------------------------------------

const MAGIC = [0x50, 0x57, 0x41, 0x32]; // "PWA2" (names' offsets in UTF-16 code units)
const ORDER = ["v4Start", "v4End", "v4Owner", "v6Start", "v6End", "v6Owner", "ownerAsn", "orgStart"] as const;

/** The bytes of an index, with the stamp of the files it was made from. */
export function compileAsn(index: AsnIndex, stamp: string): Uint8Array {
  const a = index.arrays();
  const lengths = ORDER.map((k) => a[k].length);
  const json = new TextEncoder().encode(JSON.stringify({ stamp, lengths, orgBytes: a.orgBytes.length }));
  const pad = (4 - ((8 + json.length) % 4)) % 4;
  const words = lengths.reduce((x, y) => x + y, 0);
  const bytes = new Uint8Array(8 + json.length + pad + words * 4 + a.orgBytes.length);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  let at = 8 + json.length + pad;
  for (const k of ORDER) { bytes.set(new Uint8Array(a[k].buffer, a[k].byteOffset, a[k].byteLength), at); at += a[k].byteLength; }
  bytes.set(a.orgBytes, at);
  return bytes;
}

/** The index in `bytes` (views, no copy when aligned), or null when it is not one or was made from other files than `stamp`. */
export function loadAsn(bytes: Uint8Array, stamp?: string): AsnIndex | null {
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) return null;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (8 + n > bytes.length) return null;
  let header: { stamp: string; lengths: number[]; orgBytes: number };
  try { header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))); } catch { return null; }
  if (stamp !== undefined && header.stamp !== stamp) return null;
  if (!Array.isArray(header.lengths) || header.lengths.length !== ORDER.length || !header.lengths.every((x) => Number.isInteger(x) && x >= 0)) return null;
  let at = 8 + n + ((4 - ((8 + n) % 4)) % 4);
  const words = header.lengths.reduce((x, y) => x + y, 0);
  if (at + words * 4 + header.orgBytes !== bytes.length) return null;
  // Typed-array views need 4-byte alignment: a Buffer from readFileSync may start anywhere in its pool.
  const body = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const base = body.byteOffset; // `at` is a multiple of 4 from the file's start
  const arrays: Partial<AsnArrays> = {};
  ORDER.forEach((k, i) => {
    const len = header.lengths[i] as number;
    arrays[k] = new Uint32Array(body.buffer, base + at, len);
    at += len * 4;
  });
  arrays.orgBytes = new Uint8Array(body.buffer, base + at, header.orgBytes);
  const a = arrays as AsnArrays;
  if (a.v4End.length !== a.v4Start.length || a.v4Owner.length !== a.v4Start.length || a.v6Start.length !== a.v6Owner.length * 4 || a.v6End.length !== a.v6Start.length || a.orgStart.length !== a.ownerAsn.length + 1) return null;
  return wellFormed(a) ? new AsnIndex(a) : null;
}

/**
 * Whether damaged bytes that kept a valid header still make an index whose answers are ranges it holds:
 * every range's owner is one of the owners, the IPv4 ranges are in order with start <= end, and the
 * names' offsets only grow. (About 2 ms for 500,000 ranges; a file that fails is remade from the copies.)
 */
function wellFormed(a: AsnArrays): boolean {
  const owners = a.ownerAsn.length;
  for (let i = 0; i < a.v4Owner.length; i++) {
    if ((a.v4Owner[i] as number) >= owners || (a.v4Start[i] as number) > (a.v4End[i] as number)) return false;
    if (i > 0 && (a.v4Start[i] as number) < (a.v4Start[i - 1] as number)) return false;
  }
  for (let i = 0; i < a.v6Owner.length; i++) if ((a.v6Owner[i] as number) >= owners) return false;
  for (let i = 1; i < a.orgStart.length; i++) if ((a.orgStart[i] as number) < (a.orgStart[i - 1] as number)) return false;
  return true;
}
