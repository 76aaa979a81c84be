import { existsSync, lstatSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildIndex, compileLists, loadCompiled, type ListInfo } from "../knowledge/lists/compiled.js";
import { parseList } from "../knowledge/lists/parse-list.js";
import { MAX_LISTS } from "../knowledge/lists/prefix-index.js";
import type { AddressLists } from "../evaluate/lists.js";
import { InputError } from "../model/errors.js";
import { formatProblem } from "../model/problem.js";
import { readTrustedBytes, readTrustedFile, UnsafePlaceError, writeFileAtomic } from "../collect/safe-file-store.js";

/*
 * The address lists in the state directory's lists/ folder (audit/state-dir.ts), written and read through
 * safe-file-store.ts:
 *   lists.json   which lists there are: name, source (an https URL or a file), category, enabled, and
 *                what the last download said (ETag, Last-Modified, when);
 *   NAME.txt     the last good copy of each list (a download that fails or holds no address keeps it);
 *   index.bin    the enabled lists compiled (knowledge/lists/compiled.ts), remade when a list changes.
 * An audit only reads: nothing here touches the network (list-update-store.ts downloads).
 */

/** One list the user added. */
export interface ListEntry {
  name: string;
  /** An https:// URL, or an absolute file path. */
  source: string;
  /** The user's category (lists add --category); else the list's header says. */
  category: string | null;
  enabled: boolean;
  etag?: string;
  lastModified?: string;
  /** When the copy in NAME.txt was fetched (ISO 8601). */
  fetchedAt?: string;
  /** How many networks the copy holds. */
  networks?: number;
  /** The last update's failure, in words, when the last try failed (the copy is the one before). */
  lastError?: string;
}

export interface ListsConfig {
  version: 1;
  lists: ListEntry[];
}

/** A list's name: letters, digits, ".", "_" and "-", as a file name it is safe to be. */
export const LIST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const configPath = (dir: string) => join(dir, "lists.json");
export const dataPath = (dir: string, name: string) => join(dir, `${name}.txt`);
const indexPath = (dir: string) => join(dir, "index.bin");

/** The lists the user added (none when lists.json is missing). */
export function readListsConfig(dir: string): ListsConfig {
  const path = configPath(dir);
  if (!existsSync(path)) return { version: 1, lists: [] };
  let data: unknown;
  try {
    data = JSON.parse(readTrustedFile(path));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`Cannot read the lists' file "${path}": ${(e as Error).message}; remove it and add the lists again (portwatch lists add)`);
  }
  const lists = (data as { lists?: unknown }).lists;
  if (!Array.isArray(lists) || !lists.every((l) => typeof l === "object" && l !== null && typeof l.name === "string" && LIST_NAME.test(l.name) && typeof l.source === "string" && typeof l.enabled === "boolean")) {
    throw new InputError(`The lists' file "${path}" is not one portwatch wrote (each list needs a name, a source and enabled); remove it and add the lists again (portwatch lists add)`);
  }
  return { version: 1, lists: lists as ListEntry[] };
}

export function writeListsConfig(dir: string, config: ListsConfig): void {
  writeFileAtomic(configPath(dir), `${JSON.stringify(config, null, 2)}\n`);
}

/** The last good copy of a list, or null when there is none yet. */
export function readListData(dir: string, name: string): string | null {
  const path = dataPath(dir, name);
  if (!existsSync(path)) return null;
  return readTrustedFile(path);
}

export function writeListData(dir: string, name: string, text: string): void {
  writeFileAtomic(dataPath(dir, name), text);
}

/**
 * The enabled lists, compiled, for an audit: from index.bin when it was made from the same copies (names,
 * categories, sizes, times), else parsed and compiled again (and index.bin rewritten when the folder allows).
 * null when no list is enabled. `notes` say what was applied and what was skipped.
 */
export function loadEnabledLists(dir: string): { lists: AddressLists | null; notes: string[] } {
  const notes: string[] = [];
  const config = readListsConfig(dir);
  let enabled = config.lists.filter((l) => l.enabled);
  if (enabled.length === 0) return { lists: null, notes };
  if (enabled.length > MAX_LISTS) {
    notes.push(`Only the first ${MAX_LISTS} enabled address lists are used (${enabled.length} are enabled): disable some with portwatch lists disable NAME`);
    enabled = enabled.slice(0, MAX_LISTS);
  }
  const present: { entry: ListEntry; stamp: string }[] = [];
  for (const entry of enabled) {
    try {
      const st = lstatSync(dataPath(dir, entry.name));
      present.push({ entry, stamp: `${entry.name}|${entry.category ?? ""}|${st.size}|${st.mtimeMs}|${st.ino}` });
    } catch {
      notes.push(`The address list "${entry.name}" has no copy yet: run portwatch lists update`);
    }
  }
  if (present.length === 0) return { lists: null, notes };
  const stamp = present.map((p) => p.stamp).join("\n");
  try {
    const compiled = existsSync(indexPath(dir)) ? loadCompiled(readTrustedBytes(indexPath(dir)), stamp) : null;
    if (compiled !== null) return { lists: compiled, notes: [...notes, appliedNote(compiled.lists)] };
  } catch (e) {
    if (e instanceof UnsafePlaceError) throw e;
  }
  const parsed = present.map(({ entry }) => {
    const r = parseList(readTrustedFile(dataPath(dir, entry.name)), dataPath(dir, entry.name));
    if (r.problems.length) notes.push(`The address list "${entry.name}" has ${r.problems.length >= 100 ? "100 or more" : r.problems.length} line(s) that are not addresses, skipped (the first: ${formatProblem(r.problems[0]!)})`);
    const info: ListInfo = { name: entry.name, category: entry.category ?? r.header.category, date: r.header.date ?? entry.fetchedAt ?? null, source: entry.source, count: r.networks.length };
    return { info, networks: r.networks };
  });
  const index = buildIndex(parsed);
  const lists = parsed.map((p) => p.info);
  try {
    writeFileAtomic(indexPath(dir), compileLists({ stamp, lists, index }));
  } catch {
    // A read-only state folder: the audit works without the cache, only slower.
  }
  return { lists: { lists, index }, notes: [...notes, appliedNote(lists)] };
}

function appliedNote(lists: readonly ListInfo[]): string {
  return `Address lists applied: ${lists.map((l) => `${l.name} (${l.count} network${l.count === 1 ? "" : "s"}${l.date ? `, ${l.date.slice(0, 10)}` : ""})`).join(", ")}`;
}

/** What lists.json and the named lists' copies are now (size, time, inode): a change means reading them again. */
export function filesStamp(dir: string, names: readonly string[]): string {
  const stamp = (path: string) => { try { const st = statSync(path); return `${st.size}/${st.mtimeMs}/${st.ino}`; } catch { return "-"; } };
  return [configPath(dir), ...names.map((n) => dataPath(dir, n))].map(stamp).join("|");
}
