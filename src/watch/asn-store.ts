import { existsSync, lstatSync, statSync } from "node:fs";
import { join } from "node:path";
import { AsnBuilder, compileAsn, loadAsn, type AsnIndex, type OwnerLookup } from "../knowledge/lists/asn.js";
import { InputError } from "../model/errors.js";
import { readTrustedBytes, readTrustedFile, UnsafePlaceError, writeFileAtomic } from "../collect/safe-file-store.js";

/*
 * The network owners' database (an IP-to-ASN table, ip-location-db's "asn" dataset) in the state
 * directory's lists/ folder, beside the address lists (list-store.ts), written and read through
 * safe-file-store.ts:
 *   asn.json     where it comes from (https URLs, by default ip-location-db's IPv4 and IPv6 CSVs) and what
 *                each last download said (ETag, Last-Modified, when, how many ranges, the last failure);
 *   asn-N.csv    the last good copy of source N;
 *   asn.bin      the copies compiled (knowledge/lists/asn.ts), remade when a copy changes.
 * Only `portwatch lists update asn` makes asn.json; without it an audit names no network owner.
 */

/** One source of the database. */
export interface AsnSource {
  url: string;
  etag?: string;
  lastModified?: string;
  fetchedAt?: string;
  /** How many ranges the copy holds. */
  ranges?: number;
  /** The last update's failure, in words (the copy is the one before). */
  lastError?: string;
}

export interface AsnConfig {
  version: 1;
  sources: AsnSource[];
}

export const asnConfigPath = (dir: string) => join(dir, "asn.json");
export const asnDataPath = (dir: string, i: number) => join(dir, `asn-${i}.csv`);
const asnIndexPath = (dir: string) => join(dir, "asn.bin");

/** The database's sources, or null when it was never asked for (no asn.json). */
export function readAsnConfig(dir: string): AsnConfig | null {
  const path = asnConfigPath(dir);
  if (!existsSync(path)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readTrustedFile(path));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`Cannot read the network owners' file "${path}": ${(e as Error).message}; remove it and run portwatch lists update asn again`);
  }
  const sources = (data as { sources?: unknown }).sources;
  if (!Array.isArray(sources) || !sources.every((s) => typeof s === "object" && s !== null && typeof s.url === "string")) {
    throw new InputError(`The network owners' file "${path}" is not one portwatch wrote (each source needs a url); remove it and run portwatch lists update asn again`);
  }
  return { version: 1, sources: sources as AsnSource[] };
}

export function writeAsnConfig(dir: string, config: AsnConfig): void {
  writeFileAtomic(asnConfigPath(dir), `${JSON.stringify(config, null, 2)}\n`);
}

export function hasAsnData(dir: string, i: number): boolean {
  return existsSync(asnDataPath(dir, i));
}

export function writeAsnData(dir: string, i: number, text: string): void {
  writeFileAtomic(asnDataPath(dir, i), text);
}

/** The names of the files a watcher stats to see the database change. */
export function asnFiles(dir: string): string[] {
  const config = existsSync(asnConfigPath(dir)) ? (() => { try { return readAsnConfig(dir); } catch { return null; } })() : null;
  return [asnConfigPath(dir), ...(config?.sources.map((_, i) => asnDataPath(dir, i)) ?? [])];
}

/** What the files are now (size, time, inode), for a watcher: a change means reading them again. */
export function asnStamp(dir: string): string {
  return asnFiles(dir).map((p) => { try { const st = statSync(p); return `${st.size}/${st.mtimeMs}/${st.ino}`; } catch { return "-"; } }).join("|");
}

/**
 * The database for an audit, read at its first lookup (ownerMatcher asks only for Internet addresses, so an
 * audit of a host that talks only to itself and its own network reads nothing): from asn.bin when it was
 * made from the same copies, else parsed from them (and asn.bin rewritten when the folder allows). null
 * when it was never fetched; `notes` say what is used, from asn.json (what lists update counted).
 */
export function loadNetworkOwners(dir: string): { owners: OwnerLookup | null; notes: string[] } {
  const config = readAsnConfig(dir);
  if (config === null) return { owners: null, notes: [] };
  const present: { i: number; stamp: string; source: AsnSource }[] = [];
  config.sources.forEach((source, i) => {
    try {
      const st = lstatSync(asnDataPath(dir, i));
      present.push({ i, source, stamp: `${i}|${st.size}|${st.mtimeMs}|${st.ino}` });
    } catch { /* not fetched yet */ }
  });
  if (present.length === 0) return { owners: null, notes: ["The network owners' database has no copy yet: run portwatch lists update asn"] };
  const dated = present.map((p) => p.source.fetchedAt?.slice(0, 10)).filter((d) => d !== undefined).sort().pop();
  const counted = present.every((p) => p.source.ranges !== undefined) ? `${present.reduce((n, p) => n + (p.source.ranges ?? 0), 0)} ranges from ` : "";
  const note = `Network owners: ${counted}${present.length} file(s) of ip-location-db's asn data${dated ? `, fetched ${dated}` : ""} (CC BY 4.0, Route Views and DB-IP)`;
  let index: OwnerLookup | undefined;
  const stamp = present.map((p) => p.stamp).join("\n");
  const late: string[] = [];
  // Read at the first lookup, in the middle of an audit: a file that cannot be read then (removed, made
  // unsafe meanwhile) must not end the audit. It is said in `late`, and no owner is named.
  const load = (): OwnerLookup => {
    try {
      return readIndex(dir, present.map((p) => p.i), stamp);
    } catch (e) {
      late.push(`The network owners' database could not be read, so no remote.asn is given: ${(e as Error).message}; run portwatch lists update asn`);
      return { lookup: () => null };
    }
  };
  return { owners: { lookup: (address) => (index ??= load()).lookup(address), late }, notes: [note] };
}

/** The compiled index if it matches `stamp`, else the copies parsed (lines that are not ranges skipped) and compiled again. */
function readIndex(dir: string, copies: readonly number[], stamp: string): AsnIndex {
  try {
    const compiled = existsSync(asnIndexPath(dir)) ? loadAsn(readTrustedBytes(asnIndexPath(dir)), stamp) : null;
    if (compiled !== null) return compiled;
  } catch (e) {
    if (e instanceof UnsafePlaceError) throw e;
  }
  const builder = new AsnBuilder();
  for (const i of copies) builder.add(readTrustedFile(asnDataPath(dir, i)), asnDataPath(dir, i));
  const index = builder.build();
  try {
    writeFileAtomic(asnIndexPath(dir), compileAsn(index, stamp));
  } catch {
    // A read-only state folder: the audit works without the cache, only slower.
  }
  return index;
}
