// The order and colours of verdicts and the order of sockets within a verdict, shared by the terminal
// table and the dashboard (src/serve/ui/). Pure and free of Node.
import type { Socket } from "../model/socket.js";
import { VERDICT_RANK, VERDICTS, type Verdict } from "../model/verdict.js";

/** A colour of the terminal table (picocolors) and of the dashboard (CSS classes of the same names). */
export type VerdictColour = "red" | "yellow" | "green";

/** The verdicts as they are shown, worst first: the table's groups, the dashboard's order and colours. */
export const VERDICT_GROUPS: readonly { verdict: Verdict; title: string; colour: VerdictColour }[] = [
  { verdict: "suspicious", title: "SUSPICIOUS", colour: "red" },
  { verdict: "unknown", title: "UNKNOWN", colour: "yellow" },
  { verdict: "expected", title: "EXPECTED", colour: "green" },
];

/** The place of a verdict in VERDICT_GROUPS (0 = worst): the model's rank (VERDICT_RANK), turned around. */
export function groupIndex(v: Verdict): number {
  return VERDICTS.length - 1 - VERDICT_RANK[v];
}

/** The colour a verdict is shown in. */
export function verdictColour(v: Verdict): VerdictColour {
  return (VERDICT_GROUPS[groupIndex(v)] as (typeof VERDICT_GROUPS)[number]).colour;
}

const DIRECTION_ORDER = { listening: 0, inbound: 1, outbound: 2, unknown: 3 } as const;
const PROTO_ORDER = { raw: 0, tcp: 1, udp: 2 } as const;

/** Listeners first, then by protocol, port and address: a stable, readable order within a verdict (no locale: addresses are ASCII). */
export function compareSockets(a: Socket, b: Socket): number {
  return DIRECTION_ORDER[a.direction] - DIRECTION_ORDER[b.direction] || PROTO_ORDER[a.proto] - PROTO_ORDER[b.proto] ||
    a.local.port - b.local.port || (a.local.address < b.local.address ? -1 : a.local.address > b.local.address ? 1 : 0) ||
    (a.remote?.port ?? 0) - (b.remote?.port ?? 0);
}
