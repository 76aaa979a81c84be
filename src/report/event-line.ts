// One change as a line of text, for `watch`, `baseline diff` and the dashboard's change lists (pure,
// free of Node: the dashboard bundles it). render-events.ts re-exports it with the JSON form.
import type { ChangeEvent } from "../model/change.js";
import { formatEndpoint, ownerText, protoText } from "./socket-text.js";
import { clockText } from "./time-text.js";
import { safeText } from "./safe-text.js";

const MARK = { appeared: "+", disappeared: "-", "verdict-changed": "~", "reach-changed": "~", "network-changed": "*" } as const;

const asText = (o: { number: number; org: string | null }) => `AS${o.number}${o.org ? ` ${o.org}` : ""}`;

/** One change as a line of text, its time local with its offset: "+ 15:10:02 +01:00 appeared        tcp 127.0.0.1:8080 LISTEN node (pid 5): unknown". */
export function renderEventLine(e: ChangeEvent): string {
  const s = e.socket;
  const peer = s.remote ? ` -> ${formatEndpoint(s.remote)}` : "";
  const now = s.remote?.asn;
  const verdict = e.type === "verdict-changed" ? `${e.was} -> ${s.verdict}`
    : e.type === "reach-changed" ? `${s.verdict}, reach ${e.wasReach} -> ${s.reach?.kind ?? "not known"}`
    : e.type === "network-changed" && now ? `${s.verdict}, to ${safeText(asText(now))}, not one of its baseline's ${safeText((e.networks ?? []).slice(0, 3).map(asText).join(", "))}${(e.networks?.length ?? 0) > 3 ? ", ..." : ""}`
    : s.verdict;
  return `${MARK[e.type]} ${clockText(e.at)} ${e.type.padEnd(15)} ${protoText(s)} ${formatEndpoint(s.local)}${peer} ${s.state} ${ownerText(s)}: ${verdict}`;
}
