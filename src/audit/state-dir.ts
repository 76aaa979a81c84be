import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { InputError } from "../model/errors.js";
import { checkFolder, UnsafePlaceError } from "../collect/safe-file-store.js";

/**
 * Where portwatch keeps what outlives a run: the baseline, the watcher's history, the webhook queue and
 * the address lists (lists/, portwatch lists). One folder, decided here and nowhere else:
 * 1. `--state-dir DIR` (the `stateDir` option),
 * 2. else `PORTWATCH_STATE_DIR`,
 * 3. else /var/lib/portwatch for root, `$XDG_STATE_HOME/portwatch` (default ~/.local/state/portwatch) for others.
 */
export interface StatePaths {
  dir: string;
  /** What this host normally has (portwatch baseline save). */
  baseline: string;
  /** The watcher's history (SQLite). */
  history: string;
  /** Webhook alerts that wait for delivery. */
  queue: string;
  /** Looks that wait for the fleet's PostgreSQL (watch --store), one file each. */
  fleetQueue: string;
  /** Downloaded address lists. */
  lists: string;
  /** What the provenance check learnt (package answers, checksums by file identity): saves time only, safe to delete. */
  provenanceCache: string;
}

/** The state directory's paths; `stateDir` (the command line's --state-dir) wins over the environment. */
export function statePaths(stateDir?: string, env: Readonly<Record<string, string | undefined>> = process.env, uid: number | undefined = process.getuid?.()): StatePaths {
  const dir = stateDir || env["PORTWATCH_STATE_DIR"] || (uid === 0 ? "/var/lib/portwatch" : join(env["XDG_STATE_HOME"] || join(homedir(), ".local", "state"), "portwatch"));
  return { dir, baseline: join(dir, "baseline.json"), history: join(dir, "history.sqlite"), queue: join(dir, "queue"), fleetQueue: join(dir, "fleet-queue"), lists: join(dir, "lists"), provenanceCache: join(dir, "cache", "provenance.json") };
}

/**
 * The provenance cache's file, once its folder is checked and made (watch/safe-file-store.ts): what the
 * cache says decides whether a program's bytes are its package's, so it is never read from, or written
 * to, a folder another user could change; such a state folder is an InputError that names it. A folder
 * that cannot be made (no rights, a read-only disk) is left to the provenance check, which warns.
 */
export function provenanceCacheFile(paths: StatePaths): string {
  try {
    checkFolder(dirname(paths.provenanceCache), { create: true, privateFolder: true });
  } catch (e) {
    if (e instanceof UnsafePlaceError) throw new InputError(`Cannot use the state folder "${paths.dir}": ${e.message} (or give another with --state-dir DIR or PORTWATCH_STATE_DIR)`);
  }
  return paths.provenanceCache;
}
