import { AsnBuilder } from "../knowledge/lists/asn.js";
import { parseList } from "../knowledge/lists/parse-list.js";
import { InputError } from "../model/errors.js";
import { formatProblem } from "../model/problem.js";
import { LIST_NAME, readListData, readListsConfig, writeListData, writeListsConfig, type ListEntry } from "../watch/list-store.js";
import { fetchList, type FetchLimits } from "../watch/list-update-store.js";
import { hasAsnData, readAsnConfig, writeAsnConfig, writeAsnData, type AsnConfig, type AsnSource } from "../watch/asn-store.js";
import type { StatePaths } from "./state-dir.js";

/*
 * `portwatch lists`: the address lists in the state directory (watch/list-store.ts). Adding a list or
 * enabling the defaults downloads nothing; `update` does, list by list, and keeps each list's previous
 * copy when the download fails, is cut short, or holds no address.
 */

/** The lists portwatch suggests, enabled by `lists enable-defaults` (downloaded only by `lists update`). */
export const DEFAULT_LISTS: readonly Omit<ListEntry, "enabled">[] = [
  { name: "firehol_level1", source: "https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset", category: "attacks" },
  { name: "feodo", source: "https://feodotracker.abuse.ch/downloads/ipblocklist.txt", category: "malware" },
  { name: "spamhaus_drop", source: "https://www.spamhaus.org/drop/drop.txt", category: "reputation" },
];

/**
 * Where `lists update asn` fetches the network owners' database by default: ip-location-db's "asn" data
 * (Route Views and DB-IP, CC BY 4.0), the IPv4 table with numeric bounds and the IPv6 one, from the
 * jsDelivr CDN as its README gives them.
 */
export const DEFAULT_ASN_SOURCES: readonly string[] = [
  "https://cdn.jsdelivr.net/npm/@ip-location-db/asn/asn-ipv4-num.csv",
  "https://cdn.jsdelivr.net/npm/@ip-location-db/asn/asn-ipv6.csv",
];

/** The name `lists update` takes for the network owners' database, which no list may have. */
export const ASN_NAME = "asn";

/** Adds a list (an https:// URL, or an absolute file path, whose copy is taken now). */
export async function addList(paths: StatePaths, name: string, source: string, category: string | null): Promise<string> {
  if (!LIST_NAME.test(name)) throw new InputError(`Cannot add the list "${name}": a name is letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)`);
  if (name === ASN_NAME) throw new InputError(`Cannot add the list "${name}": "${ASN_NAME}" is the network owners' database (portwatch lists update asn); choose another name`);
  if (category !== null && !/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$/.test(category)) throw new InputError(`Cannot add the list "${name}": the category "${category}" should be a word or two (letters, digits, " ._-", at most 32)`);
  const isFile = source.startsWith("/");
  if (!isFile && !source.startsWith("https://")) throw new InputError(`Cannot add the list "${name}": "${source}" is neither an https:// URL nor a file (lists are fetched over HTTPS only)`);
  const config = readListsConfig(paths.lists);
  if (config.lists.some((l) => l.name === name)) throw new InputError(`Cannot add the list "${name}": there is one by that name already (portwatch lists show); choose another name`);
  const entry: ListEntry = { name, source, category, enabled: true };
  config.lists.push(entry);
  if (!isFile) {
    writeListsConfig(paths.lists, config);
    return `Added "${name}" (${source}); nothing downloaded yet: run portwatch lists update`;
  }
  const line = await updateOne(paths, entry, {});
  writeListsConfig(paths.lists, config);
  if (entry.networks === undefined) throw new InputError(`Cannot add the list "${name}": ${entry.lastError ?? "its file holds no address"}`);
  return `Added "${name}" from ${source}: ${line}`;
}

/** Adds the default lists that are not there yet, enabled; downloads nothing. */
export function enableDefaults(paths: StatePaths): string[] {
  const config = readListsConfig(paths.lists);
  const out: string[] = [];
  for (const d of DEFAULT_LISTS) {
    const had = config.lists.find((l) => l.name === d.name);
    if (had) { had.enabled = true; out.push(`${d.name}: enabled (it was there already)`); continue; }
    config.lists.push({ ...d, enabled: true });
    out.push(`${d.name}: added and enabled (${d.source})`);
  }
  writeListsConfig(paths.lists, config);
  out.push("Nothing was downloaded: run portwatch lists update to fetch them.");
  return out;
}

/** Enables or disables a list by name. */
export function setEnabled(paths: StatePaths, name: string, enabled: boolean): string {
  const config = readListsConfig(paths.lists);
  const entry = config.lists.find((l) => l.name === name);
  if (!entry) throw new InputError(`There is no list "${name}" (portwatch lists show names them)`);
  entry.enabled = enabled;
  writeListsConfig(paths.lists, config);
  return `${name}: ${enabled ? "enabled" : "disabled"}`;
}

/**
 * Fetches the enabled lists (or those named), one by one, and the network owners' database when "asn" is
 * named or it was fetched before. `ok` is false when some fetch failed (its previous copy is kept).
 */
export async function updateLists(paths: StatePaths, names: readonly string[], limits: FetchLimits, asnUrls: readonly string[] = []): Promise<{ lines: string[]; ok: boolean }> {
  const wantsAsn = names.includes(ASN_NAME) || asnUrls.length > 0;
  const asnLines: string[] = [];
  let asnOk = true;
  if (wantsAsn || (names.length === 0 && readAsnConfig(paths.lists) !== null)) {
    const r = await updateAsn(paths, asnUrls, limits);
    asnLines.push(...r.lines);
    asnOk = r.ok;
  }
  const listNames = names.filter((n) => n !== ASN_NAME);
  if (wantsAsn && listNames.length === 0) return { lines: asnLines, ok: asnOk };
  // A plain update of a folder with only the network owners' database says nothing of address lists.
  if (listNames.length === 0 && asnLines.length > 0 && !readListsConfig(paths.lists).lists.some((l) => l.enabled)) return { lines: asnLines, ok: asnOk };
  const r = await updateAddressLists(paths, listNames, limits);
  return { lines: [...r.lines, ...asnLines], ok: r.ok && asnOk };
}

async function updateAddressLists(paths: StatePaths, names: readonly string[], limits: FetchLimits): Promise<{ lines: string[]; ok: boolean }> {
  const config = readListsConfig(paths.lists);
  for (const n of names) if (!config.lists.some((l) => l.name === n)) throw new InputError(`There is no list "${n}" (portwatch lists show names them)`);
  const chosen = config.lists.filter((l) => (names.length ? names.includes(l.name) : l.enabled));
  if (chosen.length === 0) return { lines: ["No list is enabled: add one with portwatch lists add, or portwatch lists enable-defaults"], ok: true };
  const lines: string[] = [];
  let ok = true;
  for (const entry of chosen) {
    const line = await updateOne(paths, entry, limits);
    if (entry.lastError !== undefined) ok = false;
    lines.push(`${entry.name}: ${line}`);
    writeListsConfig(paths.lists, config); // after each list: a later failure loses nothing done
  }
  return { lines, ok };
}

/** Fetches one list into its copy, unless the new one is no good; updates `entry` in place and says what happened. */
async function updateOne(paths: StatePaths, entry: ListEntry, limits: FetchLimits): Promise<string> {
  const had = readListData(paths.lists, entry.name) !== null;
  const keep = had ? "the previous copy is kept" : "there is no copy yet";
  const r = await fetchList(entry.source, had ? { etag: entry.etag, lastModified: entry.lastModified } : {}, limits);
  if (r.kind === "not-modified") { delete entry.lastError; return `not changed since ${entry.fetchedAt?.slice(0, 16).replace("T", " ") ?? "the last download"} (${entry.networks ?? "?"} networks)`; }
  if (r.kind === "failed") { entry.lastError = r.reason; return `FAILED: ${r.reason}; ${keep}`; }
  const parsed = parseList(r.text, entry.source);
  const lines = r.text.split("\n").filter((l) => l.trim() !== "").length;
  if (parsed.networks.length === 0) {
    entry.lastError = `the new copy holds no address${parsed.problems.length ? ` (${formatProblem(parsed.problems[0]!)})` : ""}`;
    return `FAILED: ${entry.lastError}; ${keep}`;
  }
  // A copy cut short or mangled on the way shows as lines that are not addresses: more than 1% of them, and it is refused.
  if (parsed.problems.length > Math.max(2, lines / 100)) {
    entry.lastError = `the new copy has ${parsed.problems.length >= 100 ? "100 or more" : parsed.problems.length} lines that are not addresses (the first: ${formatProblem(parsed.problems[0]!)})`;
    return `FAILED: ${entry.lastError}; ${keep}`;
  }
  writeListData(paths.lists, entry.name, r.text);
  if (r.etag) entry.etag = r.etag; else delete entry.etag;
  if (r.lastModified) entry.lastModified = r.lastModified; else delete entry.lastModified;
  entry.fetchedAt = new Date().toISOString();
  entry.networks = parsed.networks.length;
  delete entry.lastError;
  const skipped = parsed.problems.length ? `, ${parsed.problems.length} line(s) skipped (the first: ${formatProblem(parsed.problems[0]!)})` : "";
  return `${parsed.networks.length} networks${parsed.header.date ? `, dated ${parsed.header.date.slice(0, 10)}` : ""}${skipped}`;
}

/** The lists, for `lists show`. */
export function showLists(paths: StatePaths): string[] {
  const config = readListsConfig(paths.lists);
  if (config.lists.length === 0) return [`No address lists in ${paths.lists}. Add one with portwatch lists add NAME URL|FILE, or the defaults with portwatch lists enable-defaults.`, ...showAsn(paths)];
  const out: string[] = [];
  for (const l of config.lists) {
    const text = readListData(paths.lists, l.name);
    const header = text === null ? null : parseList(text, l.name).header;
    out.push(`${l.name} (${l.enabled ? "enabled" : "disabled"})${l.category ?? header?.category ? `, ${l.category ?? header?.category}` : ""}`);
    out.push(`  source: ${l.source}`);
    out.push(text === null ? "  no copy yet: run portwatch lists update"
      : `  ${l.networks ?? "?"} networks${header?.date ? `, dated ${header.date.slice(0, 10)}` : ""}, fetched ${l.fetchedAt?.slice(0, 16).replace("T", " ") ?? "?"} UTC`);
    if (l.lastError) out.push(`  last update FAILED: ${l.lastError}`);
  }
  return [...out, ...showAsn(paths)];
}

/**
 * Fetches the network owners' database (DEFAULT_ASN_SOURCES, or `urls`: https only), file by file, with
 * the same rules as a list: conditional requests, size and time limits, and each new copy written
 * atomically only when it is good (some ranges, at most 1% of lines that are not); else the previous copy stays.
 */
export async function updateAsn(paths: StatePaths, urls: readonly string[], limits: FetchLimits): Promise<{ lines: string[]; ok: boolean }> {
  for (const u of urls) if (!u.startsWith("https://")) throw new InputError(`Cannot use --asn-url "${u}": the network owners' database is fetched over HTTPS only (an https:// URL)`);
  const had = readAsnConfig(paths.lists);
  const wanted = urls.length > 0 ? urls : had?.sources.map((x) => x.url) ?? DEFAULT_ASN_SOURCES;
  // A source keeps what its last download said only while it is the same URL at the same place.
  const config: AsnConfig = { version: 1, sources: wanted.map((url, i) => (had?.sources[i]?.url === url ? had.sources[i] as AsnSource : { url })) };
  const lines: string[] = [];
  let ok = true;
  for (const [i, source] of config.sources.entries()) {
    const line = await updateAsnSource(paths, i, source, limits);
    if (source.lastError !== undefined) ok = false;
    lines.push(`asn (${source.url}): ${line}`);
    writeAsnConfig(paths.lists, config);
  }
  lines.push("Network owners: ip-location-db asn data, CC BY 4.0 (Route Views, https://www.routeviews.org/, and DB-IP, https://db-ip.com)");
  return { lines, ok };
}

async function updateAsnSource(paths: StatePaths, i: number, source: AsnSource, limits: FetchLimits): Promise<string> {
  const had = hasAsnData(paths.lists, i);
  const keep = had ? "the previous copy is kept" : "there is no copy yet";
  const r = await fetchList(source.url, had ? { etag: source.etag, lastModified: source.lastModified } : {}, limits);
  if (r.kind === "not-modified") { delete source.lastError; return `not changed since ${source.fetchedAt?.slice(0, 16).replace("T", " ") ?? "the last download"} (${source.ranges ?? "?"} ranges)`; }
  if (r.kind === "failed") { source.lastError = r.reason; return `FAILED: ${r.reason}; ${keep}`; }
  const parsed = new AsnBuilder().add(r.text, source.url);
  if (parsed.rows === 0) {
    source.lastError = `the new copy holds no range${parsed.problems.length ? ` (${formatProblem(parsed.problems[0]!)})` : ""}`;
    return `FAILED: ${source.lastError}; ${keep}`;
  }
  if (parsed.problems.length > Math.max(2, parsed.lines / 100)) {
    source.lastError = `the new copy has ${parsed.problems.length >= 100 ? "100 or more" : parsed.problems.length} lines that are not ranges (the first: ${formatProblem(parsed.problems[0]!)})`;
    return `FAILED: ${source.lastError}; ${keep}`;
  }
  writeAsnData(paths.lists, i, r.text);
  if (r.etag) source.etag = r.etag; else delete source.etag;
  if (r.lastModified) source.lastModified = r.lastModified; else delete source.lastModified;
  source.fetchedAt = new Date().toISOString();
  source.ranges = parsed.rows;
  delete source.lastError;
  return `${parsed.rows} ranges${parsed.problems.length ? `, ${parsed.problems.length} line(s) skipped (the first: ${formatProblem(parsed.problems[0]!)})` : ""}`;
}

/** The network owners' database, for `lists show`. */
export function showAsn(paths: StatePaths): string[] {
  const config = readAsnConfig(paths.lists);
  if (config === null) return ["asn (network owners): not fetched; portwatch lists update asn downloads ip-location-db's asn data (CC BY 4.0)"];
  const out = ["asn (network owners, ip-location-db asn data, CC BY 4.0: Route Views and DB-IP)"];
  for (const [i, s] of config.sources.entries()) {
    out.push(`  source: ${s.url}`);
    out.push(hasAsnData(paths.lists, i) ? `    ${s.ranges ?? "?"} ranges, fetched ${s.fetchedAt?.slice(0, 16).replace("T", " ") ?? "?"} UTC` : "    no copy yet: run portwatch lists update asn");
    if (s.lastError) out.push(`    last update FAILED: ${s.lastError}`);
  }
  return out;
}
