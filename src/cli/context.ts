import { existsSync } from "node:fs";
import { createAuditor, type Auditor } from "../audit/auditor.js";
import { loadBaseline, type Baseline } from "../audit/baseline.js";
import { statePaths, type StatePaths } from "../audit/state-dir.js";
import { etcServicesText } from "../audit/this-process.js";

let auditor: Auditor | undefined;
/** The auditor of this process (knowledge and service names made once; watch looks many times). */
export function auditorOnce(): Auditor {
  return (auditor ??= createAuditor({ etcServices: etcServicesText() }));
}

/** The state directory's paths for a command's --state-dir (else PORTWATCH_STATE_DIR, else the default). */
export function stateOf(options: { stateDir?: string }): StatePaths {
  return statePaths(options.stateDir);
}

/** The baseline to judge against: --baseline FILE, else the state directory's baseline when it exists. */
export function baselineFor(path: string | undefined, state: StatePaths): Baseline | null {
  if (path !== undefined) return loadBaseline(path);
  return existsSync(state.baseline) ? loadBaseline(state.baseline) : null;
}
