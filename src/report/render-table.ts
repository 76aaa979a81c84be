import type { Endpoint, Socket } from "../model/socket.js";
import { layoutColumns, type Column } from "./columns.js";
import { safeText } from "./safe-text.js";

/** How to draw the table. */
export interface TableOptions {
  /** Terminal width to fit into; absent when the output is not a terminal (nothing is cut). */
  width?: number;
  /** Colour functions; absent off a terminal (no colour). */
  paint?: { bold(s: string): string };
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

/** One row per socket, like `netstat -tunap` plus service and user, fitted to the terminal when there is one. */
export function renderTable(sockets: readonly Socket[], options: TableOptions = {}): string {
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
