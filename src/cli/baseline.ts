import { baselineFromLook, diffWithBaseline, loadBaseline, portOfSeen, saveBaseline } from "../audit/baseline.js";
import type { Seen } from "../model/change.js";
import { InputError } from "../model/errors.js";
import { renderEventJson, renderEventLine } from "../report/render-events.js";
import { safeText } from "../report/safe-text.js";
import { formatEndpoint, ownerText, protoText, userText } from "../report/socket-text.js";
import { timeText } from "../report/time-text.js";
import { auditorOnce, stateOf, provenanceOf } from "./context.js";
import type { Output } from "./output.js";
import { readPolicy } from "./policy-file.js";
import { count } from "../model/words.js";

/** Options of `portwatch baseline save|diff`. */
export interface BaselineOptions {
  file?: string;
  procRoot?: string;
  policy?: string;
  stateDir?: string;
  json?: boolean;
  failOnChange?: boolean;
  /** baseline save: take the suspicious sockets of these rules ("irc-outbound") or ports (6667) in anyway. */
  accept?: readonly string[];
}

/** An --accept value: a port number, or a rule name as the table shows it in brackets. */
export function parseAccept(value: string): string | number {
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const port = Number(v);
    if (port > 65535) throw new InputError(`Cannot use --accept "${value}": ports go from 0 to 65535`);
    return port;
  }
  if (!/^[a-z][a-z0-9:._-]*$/i.test(v)) throw new InputError(`Cannot use --accept "${value}": expected a rule name as shown in brackets after a reason (irc-outbound) or a port number (6667)`);
  return v.toLowerCase();
}

/** How many identities a list shows before "... and N more". */
const SHOWN = 15;

/**
 * One identity in a line, as it is compared (program, port, user; never a pid or a client's port), with
 * the pid of the socket seen now: "listening tcp 127.0.0.1:631  cupsd (pid 812), user root", then, for
 * suspicious ones, the rules that fired in brackets.
 */
function seenLine(seen: Seen, rules: boolean): string {
  const s = seen.socket;
  const where = s.direction === "listening" ? `listening ${protoText(s)} ${formatEndpoint(s.local)}`
    : s.direction === "inbound" ? `inbound   ${protoText(s)} to port ${s.local.port}`
    : s.direction === "outbound" ? `outbound  ${protoText(s)} to ${formatEndpoint(s.remote)}${s.service ? ` (${safeText(s.service.name)})` : ""}`
    : `${s.state.toLowerCase().padEnd(9)} ${protoText(s)} port ${s.local.port}`;
  const why = rules ? ` [${safeText(s.reasons.filter((r) => r.verdict === "suspicious").map((r) => r.rule).join(", "))}]` : "";
  return `  ${where}  ${ownerText(s)}, user ${userText(s)}${why}\n`;
}

function listOf(list: readonly Seen[], rules: boolean): string {
  const more = list.length > SHOWN ? `  ... and ${list.length - SHOWN} more\n` : "";
  return list.slice(0, SHOWN).map((s) => seenLine(s, rules)).join("") + more;
}


async function look(options: BaselineOptions) {
  return auditorOnce().lookAtHost({
    ...(options.procRoot ? { procRoot: options.procRoot } : {}), policy: await readPolicy(options.policy), ...provenanceOf(options),
  });
}

/** `portwatch baseline save`: records what this host normally has, by identity. */
export async function runBaselineSave(options: BaselineOptions, io: Output): Promise<number> {
  const file = options.file ?? stateOf(options).baseline;
  const accept = (options.accept ?? []).map(parseAccept);
  const now = await look(options);
  const made = baselineFromLook(now, new Date().toISOString(), accept);
  saveBaseline(file, made.baseline);
  io.out(`Saved the baseline of ${safeText(now.hostname)}: ${count(made.identities, "identity", "identities")} from ${count(now.sockets.length, "socket")}, to ${safeText(file)}\n`);
  if (made.unknown.length > 0) io.out(`${count(made.unknown.length, "unknown identity", "unknown identities")} will count as expected from now on:\n${listOf(made.unknown, false)}`);
  if (made.accepted.length > 0) io.out(`${count(made.accepted.length, "suspicious identity", "suspicious identities")} taken in with --accept (still suspicious in audits; only no longer new to "baseline diff"):\n${listOf(made.accepted, true)}`);
  if (made.leftOut.length > 0) {
    const first = made.leftOut[0] as Seen;
    const rule = first.socket.reasons.find((r) => r.verdict === "suspicious")?.rule;
    io.out(`Left out ${count(made.leftOut.length, "suspicious identity", "suspicious identities")}: look at ${made.leftOut.length === 1 ? "it" : "them"} first ("portwatch --only suspicious --explain").\n${listOf(made.leftOut, true)}`);
    const byPort = `--accept ${portOfSeen(first)} (that port)`;
    io.out(`To take one in anyway, name its rule or its port: portwatch baseline save ${rule ? `--accept ${safeText(rule)} (every socket that rule fired on) or ${byPort}` : byPort}\n`);
  }
  for (const entry of made.unmatched) io.err(`warning: --accept ${safeText(String(entry))} named no suspicious socket of this host\n`);
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
    io.out(`Since the baseline of ${safeText(timeText(baseline.savedAt))} (${safeText(file)}):\n`);
    for (const e of events) io.out(`${renderEventLine(e)}\n`);
    const count = (t: string) => events.filter((e) => e.type === t).length;
    io.out(events.length === 0 ? "No change.\n" : `${count("appeared")} appeared, ${count("disappeared")} disappeared, ${count("verdict-changed")} changed verdict${count("network-changed") ? `, ${count("network-changed")} talk to a network they did not` : ""}\n`);
  }
  return options.failOnChange && events.length > 0 ? 1 : 0;
}
