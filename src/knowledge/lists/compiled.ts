import type { Network } from "./ip.js";
import { PrefixIndex, PrefixIndexBuilder, type LengthTable } from "./prefix-index.js";

/*
 * The compiled form of the enabled lists (the state directory's lists/index.bin): made once after an
 * update, loaded by every audit. Bytes, no I/O here:
 *   "PWL1", u32 n (little-endian), n bytes of JSON header, zero padding to a multiple of 4,
 *   the /16 summary (65,536 u32), then for each IPv4 prefix length the header names: its keys (i32 each,
 *   sorted), then their list bits (i32 each).
 * The header holds the lists, the stamp of the files it was made from, the IPv6 networks (few) and the
 * IPv4 lengths with their counts. Loading makes typed-array views of the bytes and reads nothing
 * else: 100,000 networks in about a millisecond, with no loop a fresh process would run slowly.
 * The file is the state directory's own (written 0600 by portwatch), so its contents are trusted as far
 * as their shape: sizes are checked, the order of the keys is not.
 */

/** What portwatch tells of a list in a reason: its name, category, date and source. */
export interface ListInfo {
  name: string;
  category: string | null;
  /** The data's date (ISO 8601 when the header's date could be read). */
  date: string | null;
  source: string | null;
  /** How many networks it has. */
  count: number;
}

/** A compiled index with the lists it was made from, in bit order. */
export interface CompiledLists {
  /** What it was made from (the lists' files); a different stamp means it is out of date. */
  stamp: string;
  lists: ListInfo[];
  index: PrefixIndex;
}

interface Header {
  stamp: string;
  lists: ListInfo[];
  v4: [number, number][];
  v6: [number, string, number][];
}

const MAGIC = [0x50, 0x57, 0x4c, 0x31]; // "PWL1"
const SUMMARY = 65536;

/** The bytes of a compiled index (see the file's comment). */
export function compileLists(c: CompiledLists): Uint8Array {
  const tables = c.index.tablesV4();
  const header: Header = { stamp: c.stamp, lists: c.lists, v4: tables.map((t) => [t.len, t.keys.length]), v6: c.index.v6Entries() };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((8 + json.length) % 4)) % 4;
  const body = SUMMARY + header.v4.reduce((n, [, count]) => n + count * 2, 0);
  const bytes = new Uint8Array(8 + json.length + pad + body * 4);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  const words = new Int32Array(bytes.buffer, 8 + json.length + pad, body);
  words.set(new Int32Array(c.index.summary.buffer, c.index.summary.byteOffset, SUMMARY), 0);
  let at = SUMMARY;
  for (const t of tables) {
    words.set(t.keys, at);
    words.set(t.lists, at + t.keys.length);
    at += t.keys.length * 2;
  }
  return bytes;
}

/** Reads compiled bytes; null when they are not a compiled index, are damaged, or are of another `stamp` (when given). */
export function loadCompiled(bytes: Uint8Array, stamp?: string): CompiledLists | null {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(4, true);
  if (8 + n > bytes.length) return null;
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Header;
  } catch {
    return null;
  }
  if (typeof header.stamp !== "string" || !Array.isArray(header.lists) || !Array.isArray(header.v4) || !Array.isArray(header.v6)) return null;
  if (stamp !== undefined && header.stamp !== stamp) return null;
  const start = 8 + n + ((4 - ((8 + n) % 4)) % 4);
  const body = SUMMARY + header.v4.reduce((s, [, count]) => s + count * 2, 0);
  if (start + body * 4 !== bytes.length) return null;
  // A Uint32Array needs a 4-aligned offset: copy when the bytes sit elsewhere in their buffer.
  const aligned = (bytes.byteOffset + start) % 4 === 0 ? bytes : bytes.slice();
  const words = new Int32Array(aligned.buffer, aligned.byteOffset + start, body);
  const tables: LengthTable[] = [];
  let at = SUMMARY;
  for (const [len, count] of header.v4) {
    if (!(len >= 1 && len <= 32) || !(count >= 0)) return null;
    tables.push({ len, keys: words.subarray(at, at + count), lists: words.subarray(at + count, at + count * 2) });
    at += count * 2;
  }
  const summary = new Uint32Array(words.buffer, words.byteOffset, SUMMARY);
  return { stamp: header.stamp, lists: header.lists, index: new PrefixIndex(tables, header.v6, summary) };
}

/** Builds the index of parsed lists, in the order given (list i is bit i). */
export function buildIndex(lists: readonly { info: ListInfo; networks: readonly Network[] }[]): PrefixIndex {
  const builder = new PrefixIndexBuilder();
  lists.forEach((l, i) => { for (const net of l.networks) builder.add(net, i); });
  return builder.build();
}
