import type { AddressLists } from "../evaluate/lists.js";
import { filesStamp, loadEnabledLists } from "../watch/list-store.js";
import type { StatePaths } from "./state-dir.js";

/** The enabled address lists of the state directory, compiled, and notes on what was applied or skipped. No network. */
export interface LoadedLists {
  lists: AddressLists | null;
  notes: string[];
}

/** The state directory's enabled address lists (portwatch lists), for an audit. */
export function enabledLists(paths: StatePaths): LoadedLists {
  return loadEnabledLists(paths.lists);
}

/**
 * The enabled lists for a watcher (watch, serve): read again when lists.json or a list's copy changed
 * (lists update in another process), else the same object as the last look's. A few stat calls a look.
 */
export function listsReloader(paths: StatePaths): () => LoadedLists {
  let last: LoadedLists | null = null;
  let lastKey = "";
  let names: string[] = [];
  return () => {
    const key = filesStamp(paths.lists, names);
    if (last !== null && key === lastKey) return last;
    last = loadEnabledLists(paths.lists);
    names = last.lists?.lists.map((l) => l.name) ?? [];
    lastKey = filesStamp(paths.lists, names);
    return last;
  };
}
