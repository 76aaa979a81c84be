import { baselineFromLook, diffWithBaseline, loadBaseline, saveBaseline } from "../audit/baseline.js";
import { renderEventJson, renderEventLine } from "../report/render-events.js";
import { safeText } from "../report/safe-text.js";
import { auditorOnce, stateOf, provenanceOf } from "./context.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";

/** Options of `portwatch baseline save|diff`. */
export interface BaselineOptions {
  file?: string;
  procRoot?: string;
  policy?: string;
  stateDir?: string;
  json?: boolean;
  failOnChange?: boolean;
}

async function look(options: BaselineOptions) {
  return auditorOnce().lookAtHost({
    ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy: await readPolicy(options.policy), ...provenanceOf(options),
  });
}

/** `portwatch baseline save`: records what this host normally has, by identity. */
export async function runBaselineSave(options: BaselineOptions, io: Output): Promise<number> {
  const file = options.file ?? stateOf(options).baseline;
  const now = await look(options);
  const { baseline, identities } = baselineFromLook(now, new Date().toISOString());
  saveBaseline(file, baseline);
  io.out(`Saved the baseline of ${safeText(now.hostname)}: ${identities} identities from ${now.sockets.length} sockets, to ${safeText(file)}\n`);
  for (const w of now.warnings) io.err(`warning: ${safeText(w)}\n`);
  return 0;
}

/** `portwatch baseline diff`: what appeared, disappeared or changed verdict since the baseline. */
export async function runBaselineDiff(options: BaselineOptions, io: Output): Promise<number> {
  const file = options.file ?? stateOf(options).baseline;
  const baseline = loadBaseline(file);
  const events = diffWithBaseline(baseline, await look(options), new Date().toISOString());
  if (options.json) {
    for (const e of events) io.out(`${renderEventJson(e)}\n`);
  } else {
    io.out(`Since the baseline of ${safeText(baseline.savedAt)} (${safeText(file)}):\n`);
    for (const e of events) io.out(`${renderEventLine(e)}\n`);
    const count = (t: string) => events.filter((e) => e.type === t).length;
    io.out(events.length === 0 ? "No change.\n" : `${count("appeared")} appeared, ${count("disappeared")} disappeared, ${count("verdict-changed")} changed verdict\n`);
  }
  return options.failOnChange && events.length > 0 ? 1 : 0;
}
