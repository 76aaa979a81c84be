import type { AddressLists } from "../evaluate/lists.js";
import { loadEnabledLists } from "../watch/list-store.js";
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
