import type { ChangeEvent } from "../model/change.js";
import { ownerText } from "../model/process.js";
import { protoLabel } from "../model/protocol.js";
import { formatEndpoint } from "./render-table.js";
import { socketJson } from "./render-json.js";
import { safeText } from "./safe-text.js";

const MARK = { appeared: "+", disappeared: "-", "verdict-changed": "~" } as const;

/** One change as a line of text: "+ 15:10:02 tcp 127.0.0.1:8080 LISTEN node (pid 5): unknown". */
export function renderEventLine(e: ChangeEvent): string {
  const s = e.socket;
  const who = s.process ? safeText(ownerText(s.process, { exe: false })) : "no visible owner";
  const peer = s.remote ? ` -> ${formatEndpoint(s.remote)}` : "";
  const verdict = e.type === "verdict-changed" ? `${e.was} -> ${s.verdict}` : s.verdict;
  return `${MARK[e.type]} ${e.at.slice(11, 19)} ${e.type.padEnd(15)} ${protoLabel(s.proto, s.family)} ${formatEndpoint(s.local)}${peer} ${s.state} ${who}: ${verdict}`;
}

/** One change as a JSON line: {"type","identity","socket","at"} (and "was" for a verdict change). */
export function renderEventJson(e: ChangeEvent): string {
  const was = e.was ? `,"was":"${e.was}"` : "";
  return `{"type":"${e.type}","identity":${JSON.stringify(e.identity)},"socket":${socketJson(e.socket)}${was},"at":"${e.at}"}`;
}
