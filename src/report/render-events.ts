import type { ChangeEvent } from "../model/change.js";
import { socketJson } from "./render-json.js";
import { jsonSafe } from "./safe-text.js";

export { renderEventLine } from "./event-line.js";

/**
 * One change as a JSON line: {"type","identity","socket","at"} (and "was" for a verdict change, "wasReach" for a
 * reach change, "networks", the baseline's, for a network change); the identity holds names and paths, escaped as the socket's are.
 */
export function renderEventJson(e: ChangeEvent): string {
  const was = e.was ? `,"was":"${e.was}"` : e.wasReach ? `,"wasReach":"${e.wasReach}"` : "";
  const networks = e.networks ? `,"networks":${jsonSafe(JSON.stringify(e.networks.map((n) => ({ number: n.number, org: n.org }))))}` : "";
  return `{"type":"${e.type}","identity":${jsonSafe(JSON.stringify(e.identity))},"socket":${socketJson(e.socket)}${was}${networks},"at":"${e.at}"}`;
}
