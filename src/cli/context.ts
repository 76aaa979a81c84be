import { existsSync } from "node:fs";
import { createAuditor, type Auditor } from "../audit/auditor.js";
import { loadBaseline, type Baseline } from "../audit/baseline.js";
import { provenanceCacheFile, statePaths, type StatePaths } from "../audit/state-dir.js";
import { etcServicesText } from "../audit/this-process.js";
import { enabledLists, type LoadedLists } from "../audit/lists.js";

/** The state directory's enabled address lists (portwatch lists): read, never downloaded. */
export function listsOf(options: { stateDir?: string | undefined }): { lists: LoadedLists } {
  return { lists: enabledLists(stateOf(options)) };
}

let auditor: Auditor | undefined;
/** The auditor of this process (knowledge and service names made once; watch looks many times). */
export function auditorOnce(): Auditor {
  return (auditor ??= createAuditor({ etcServices: etcServicesText() }));
}

/** The state directory's paths for a command's --state-dir (else PORTWATCH_STATE_DIR, else the default). */
export function stateOf(options: { stateDir?: string | undefined }): StatePaths {
  return statePaths(options.stateDir);
}

/** The provenance check's cache in the state directory, for a look at the live host (a captured proc tree gets none: its programs are another host's). */
export function provenanceOf(options: { procRoot?: string | undefined; stateDir?: string | undefined }): { provenance?: { cacheFile: string } } {
  return options.procRoot && options.procRoot !== "/proc" ? {} : { provenance: { cacheFile: provenanceCacheFile(stateOf(options)) } };
}

/** The baseline to judge against: --baseline FILE, else the state directory's baseline when it exists. */
export function baselineFor(path: string | undefined, state: StatePaths): Baseline | null {
  if (path !== undefined) return loadBaseline(path);
  return existsSync(state.baseline) ? loadBaseline(state.baseline) : null;
}
