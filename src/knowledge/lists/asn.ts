import type { Problem } from "../../model/problem.js";
import { parseIp, parseV4 } from "./ip.js";
import { csvRow } from "./csv.js";

/*
 * Network owners: an IP-to-ASN table as ip-location-db publishes it (CC BY 4.0, from Route Views and
 * DB-IP): "start,end,asn,organisation" a line, no header, ranges inclusive and sorted, the organisation
 * CSV-quoted when it holds a comma or a quote. The bounds are IPv4 numbers ("-num" files) or addresses
 * (IPv4, or IPv6 in the v6 files). Text in, a range table and problems out; a lookup is a binary search.
 * Not yet wired into the audit (issue 16, item 4): this is the reader and the index.
 */

/** Who owns an address: the autonomous system and its organisation's name. */
export interface NetworkOwner {
  asn: number;
  org: string;
}

/** An IPv4 bound: digits (an unsigned number) or a dotted quad; null otherwise. */
function v4Bound(text: string): number | null {
  if (/^\d{1,10}$/.test(text)) { const n = Number(text); return n <= 0xffffffff ? n : null; }
  return parseV4(text);
}

/** The IPv4 ranges of an ASN table, sorted by start, and who owns each. */
export class AsnIndex {
  constructor(private readonly starts: Float64Array, private readonly ends: Float64Array, private readonly owners: readonly NetworkOwner[]) {}

  get size(): number {
    return this.owners.length;
  }

  /** Who owns `address` (IPv4, or IPv4-mapped), or null when no range holds it. */
  lookup(address: string): NetworkOwner | null {
    const ip = parseIp(address);
    if (ip === null || ip.family !== 4) return null;
    const v = ip.v4;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] as number) <= v) lo = mid + 1; else hi = mid - 1;
    }
    // hi: the last range that starts at or before v.
    return hi >= 0 && v <= (this.ends[hi] as number) ? (this.owners[hi] as NetworkOwner) : null;
  }
}

/** Reads an IPv4 ASN table (see the file's comment). IPv6 rows are skipped without a problem (another index's). */
export function parseAsnTable(text: string, source: string): { index: AsnIndex; problems: Problem[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  const owners: NetworkOwner[] = [];
  const problems: Problem[] = [];
  const orgs = new Map<string, NetworkOwner>(); // one object per owner: 2,000 rows, 823 owners in the excerpt
  let lineNo = 0;
  let sorted = true;
  for (const raw of text.split("\n")) {
    lineNo++;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || line.startsWith("#")) continue;
    const f = csvRow(line);
    const bad = (column: number, reason: string) => { if (problems.length < 100) problems.push({ source, line: lineNo, column, text: line.slice(0, 120), reason }); };
    if (f.length < 4) { bad(1, `${f.length} field(s): a row is start,end,asn,organisation`); continue; }
    if ((f[0] as string).includes(":")) continue;
    const start = v4Bound(f[0] as string);
    const end = v4Bound(f[1] as string);
    const asn = /^\d{1,10}$/.test(f[2] as string) ? Number(f[2]) : NaN;
    if (start === null) { bad(1, "the start is not an IPv4 address or number"); continue; }
    if (end === null || end < start) { bad((f[0] as string).length + 2, "the end is not an IPv4 address or number at or after the start"); continue; }
    if (!(asn >= 0 && asn <= 0xffffffff)) { bad((f[0] as string).length + (f[1] as string).length + 3, "the AS number is not a whole number"); continue; }
    const org = f.slice(3).join(",").trim();
    const key = `${asn}\u0000${org}`;
    let owner = orgs.get(key);
    if (owner === undefined) { owner = { asn, org }; orgs.set(key, owner); }
    if (starts.length > 0 && start <= (ends[ends.length - 1] as number)) sorted = false;
    starts.push(start);
    ends.push(end);
    owners.push(owner);
  }
  if (!sorted) {
    const order = starts.map((_, i) => i).sort((a, b) => (starts[a] as number) - (starts[b] as number));
    return { index: new AsnIndex(Float64Array.from(order, (i) => starts[i] as number), Float64Array.from(order, (i) => ends[i] as number), order.map((i) => owners[i] as NetworkOwner)), problems };
  }
  return { index: new AsnIndex(Float64Array.from(starts), Float64Array.from(ends), owners), problems };
}

/** An owner in words: "AS13335 Cloudflare, Inc.". */
export const ownerWords = (o: NetworkOwner): string => `AS${o.asn}${o.org ? ` ${o.org}` : ""}`;
