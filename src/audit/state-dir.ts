import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where portwatch keeps what outlives a run: the baseline, the watcher's history, the webhook queue and
 * (later) downloaded lists. One folder, decided here and nowhere else:
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
  /** Downloaded address lists. */
  lists: string;
  /** What the provenance check learnt (package answers, checksums by file identity): saves time only, safe to delete. */
  provenanceCache: string;
}

/** The state directory's paths; `stateDir` (the command line's --state-dir) wins over the environment. */
export function statePaths(stateDir?: string, env: Readonly<Record<string, string | undefined>> = process.env, uid: number | undefined = process.getuid?.()): StatePaths {
  const dir = stateDir || env["PORTWATCH_STATE_DIR"] || (uid === 0 ? "/var/lib/portwatch" : join(env["XDG_STATE_HOME"] || join(homedir(), ".local", "state"), "portwatch"));
  return { dir, baseline: join(dir, "baseline.json"), history: join(dir, "history.sqlite"), queue: join(dir, "queue"), lists: join(dir, "lists"), provenanceCache: join(dir, "cache", "provenance.json") };
}
