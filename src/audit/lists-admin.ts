import { parseList } from "../knowledge/lists/parse-list.js";
import { InputError } from "../model/errors.js";
import { formatProblem } from "../model/problem.js";
import { LIST_NAME, readListData, readListsConfig, writeListData, writeListsConfig, type ListEntry } from "../watch/list-store.js";
import { fetchList, type FetchLimits } from "../watch/list-update-store.js";
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

/** Adds a list (an https:// URL, or an absolute file path, whose copy is taken now). */
export async function addList(paths: StatePaths, name: string, source: string, category: string | null): Promise<string> {
  if (!LIST_NAME.test(name)) throw new InputError(`Cannot add the list "${name}": a name is letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)`);
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

/** Fetches the enabled lists (or those named), one by one. `ok` is false when some fetch failed (its previous copy is kept). */
export async function updateLists(paths: StatePaths, names: readonly string[], limits: FetchLimits): Promise<{ lines: string[]; ok: boolean }> {
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
  if (config.lists.length === 0) return [`No address lists in ${paths.lists}. Add one with portwatch lists add NAME URL|FILE, or the defaults with portwatch lists enable-defaults.`];
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
  return out;
}
