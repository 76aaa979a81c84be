import type { AddressLists } from "../evaluate/lists.js";
import type { OwnerLookup } from "../knowledge/lists/asn.js";
import { asnStamp, loadNetworkOwners } from "../watch/asn-store.js";
import { filesStamp, loadEnabledLists } from "../watch/list-store.js";
import type { StatePaths } from "./state-dir.js";

/**
 * The enabled address lists of the state directory, compiled, the network owners' database when it was
 * fetched (portwatch lists update asn), and notes on what was applied or skipped. No network.
 */
export interface LoadedLists {
  lists: AddressLists | null;
  /** Who owns which network (remote.asn), or null when the database was never fetched; read at its first lookup. */
  owners?: OwnerLookup | null;
  notes: string[];
}

/** The state directory's enabled address lists (portwatch lists) and network owners, for an audit. */
export function enabledLists(paths: StatePaths): LoadedLists {
  const lists = loadEnabledLists(paths.lists);
  const owners = loadNetworkOwners(paths.lists);
  return { lists: lists.lists, owners: owners.owners, notes: [...lists.notes, ...owners.notes] };
}

/**
 * The enabled lists for a watcher (watch, serve): read again when lists.json, a list's copy or the network
 * owners' files changed (lists update in another process), else the same object as the last look's. A few
 * stat calls a look.
 */
export function listsReloader(paths: StatePaths): () => LoadedLists {
  let last: LoadedLists | null = null;
  let lastKey = "";
  let names: string[] = [];
  const key = () => `${filesStamp(paths.lists, names)}#${asnStamp(paths.lists)}`;
  return () => {
    const now = key();
    if (last !== null && now === lastKey) return last;
    last = enabledLists(paths);
    names = last.lists?.lists.map((l) => l.name) ?? [];
    lastKey = key();
    return last;
  };
}
