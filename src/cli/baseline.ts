import { identityOf } from "../evaluate/identity.js";
import { safeText } from "../report/safe-text.js";
import { renderEventJson, renderEventLine } from "../report/render-events.js";
import { baselineOf, defaultBaselinePath, loadBaseline, saveBaseline } from "../watch/baseline-store.js";
import { byIdentity, diff } from "../watch/diff.js";
import { lookAtHost } from "./audit.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";

/** Options of `portwatch baseline save|diff`. */
export interface BaselineOptions {
  file?: string;
  procRoot?: string;
  policy?: string;
  json?: boolean;
  failOnChange?: boolean;
}

/** `portwatch baseline save`: records what this host normally has, by identity. */
export async function runBaselineSave(options: BaselineOptions, io: Output): Promise<number> {
  const file = options.file ?? defaultBaselinePath();
  const look = await lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy: await readPolicy(options.policy) });
  const seen = byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns));
  saveBaseline(file, baselineOf(seen, look.hostname, new Date().toISOString()));
  io.out(`Saved the baseline of ${look.hostname}: ${seen.size} identities from ${look.sockets.length} sockets, to ${file}\n`);
  for (const w of look.warnings) io.err(`warning: ${safeText(w)}\n`);
  return 0;
}

/** `portwatch baseline diff`: what appeared, disappeared or changed verdict since the baseline. */
export async function runBaselineDiff(options: BaselineOptions, io: Output): Promise<number> {
  const file = options.file ?? defaultBaselinePath();
  const baseline = loadBaseline(file);
  const look = await lookAtHost({ ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy: await readPolicy(options.policy) });
  const before = new Map(baseline.entries.map((e) => [e.identity, e]));
  const now = byIdentity(look.sockets, (s) => identityOf(s, look.hostNetns));
  const events = diff(before, now, new Date().toISOString());
  if (options.json) {
    for (const e of events) io.out(`${renderEventJson(e)}\n`);
  } else {
    io.out(`Since the baseline of ${baseline.savedAt} (${file}):\n`);
    for (const e of events) io.out(`${renderEventLine(e)}\n`);
    const count = (t: string) => events.filter((e) => e.type === t).length;
    io.out(events.length === 0 ? "No change.\n" : `${count("appeared")} appeared, ${count("disappeared")} disappeared, ${count("verdict-changed")} changed verdict\n`);
  }
  return options.failOnChange && events.length > 0 ? 1 : 0;
}
