import type { Endpoint, Socket } from "../model/socket.js";
import { layoutColumns, type Column } from "./columns.js";
import { safeText } from "./safe-text.js";

/** How to draw the table. */
export interface TableOptions {
  /** Terminal width to fit into; absent when the output is not a terminal (nothing is cut). */
  width?: number;
  /** Colour functions; absent off a terminal (no colour). */
  paint?: { bold(s: string): string };
  /** The host's network namespace: when sockets come from several, they are grouped under a heading each, the host's first. */
  hostNetns?: number | null;
}

/** "127.0.0.1:631", "[::1]:631", "*:*" for no peer. */
export function formatEndpoint(e: Endpoint | null): string {
  if (e === null) return "*:*";
  const address = e.host ? safeText(e.host) : e.address;
  return e.address.includes(":") && !e.host ? `[${address}]:${e.port}` : `${address}:${e.port}`;
}

const COLUMNS: readonly Column[] = [
  { header: "Proto" },
  { header: "Local Address", min: 15, elide: "middle" },
  { header: "Foreign Address", min: 15, elide: "middle" },
  { header: "State", min: 6 },
  { header: "Service", min: 7 },
  { header: "PID/Program", min: 10 },
  { header: "User", min: 4 },
];

function owner(s: Socket): string {
  if (s.process === null) return "-";
  const more = s.sharedWith.length > 0 ? `+${s.sharedWith.length}` : "";
  return `${s.process.pid}/${safeText(s.process.name ?? "?")}${more}`;
}

function namespaceHeading(netns: number | null, group: readonly Socket[], hostNetns: number | null | undefined): string {
  if (netns === null) return "Network namespace unknown";
  const names = [...new Set(group.map((s) => s.process?.name).filter((n): n is string => !!n))].slice(0, 3).map(safeText);
  const who = netns === hostNetns ? " (the host's)" : names.length ? ` (${names.join(", ")})` : "";
  return `Network namespace ${netns}${who}`;
}

/** One row per socket, like `netstat -tunap` plus service and user, fitted to the terminal when there is one. */
export function renderTable(sockets: readonly Socket[], options: TableOptions = {}): string {
  const groups = new Map<number | null, Socket[]>();
  for (const s of sockets) {
    const g = groups.get(s.netns);
    if (g) g.push(s); else groups.set(s.netns, [s]);
  }
  if (groups.size > 1) {
    const host = options.hostNetns;
    const order = [...groups.keys()].sort((a, b) => (a === host ? -1 : b === host ? 1 : (a ?? 0) - (b ?? 0)));
    const ordered = order.flatMap((k) => groups.get(k) as Socket[]);
    const lines = renderRows(ordered, options).split("\n");
    const out = [lines[0] as string];
    let at = 1;
    for (const k of order) {
      const g = groups.get(k) as Socket[];
      out.push("", namespaceHeading(k, g, host), ...lines.slice(at, at + g.length));
      at += g.length;
    }
    return out.join("\n") + "\n";
  }
  return renderRows(sockets, options);
}

function renderRows(sockets: readonly Socket[], options: TableOptions): string {
  const rows = sockets.map((s) => [
    s.family === 6 ? `${s.proto}6` : s.proto,
    formatEndpoint(s.local),
    formatEndpoint(s.remote),
    s.state,
    s.service === null ? "-" : s.service.name,
    owner(s),
    s.process?.user != null ? safeText(s.process.user) : s.process?.uid != null ? String(s.process.uid) : s.uid !== null ? String(s.uid) : "-",
  ]);
  const { lines } = layoutColumns(COLUMNS, rows, options.width);
  const paint = options.paint;
  if (paint && lines.length > 0) lines[0] = paint.bold(lines[0] as string);
  return lines.join("\n") + "\n";
}

/** One line that counts what the table shows. */
export function renderCounts(sockets: readonly Socket[]): string {
  const by = { listening: 0, inbound: 0, outbound: 0, unknown: 0 };
  let owned = 0;
  for (const s of sockets) { by[s.direction]++; if (s.process !== null) owned++; }
  return `${sockets.length} sockets: ${by.listening} listening, ${by.inbound} inbound, ${by.outbound} outbound` +
    (by.unknown ? `, ${by.unknown} other` : "") + `; ${owned} with a known owner\n`;
}
