import type { Endpoint, Socket } from "../model/socket.js";
import { layoutColumns, type Column } from "./columns.js";
import { safeText } from "./safe-text.js";

/** How to draw the table. */
export interface TableOptions {
  /** Terminal width to fit into; absent when the output is not a terminal (nothing is cut). */
  width?: number;
  /** Colour functions; absent off a terminal (no colour). */
  paint?: { bold(s: string): string; red(s: string): string; yellow(s: string): string; green(s: string): string };
  /** Show every reason and the plain-words explanation under each row. */
  explain?: boolean;
  /** The host's network namespace: sockets in another one say so under their row. */
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

const GROUPS = [
  { verdict: "suspicious", title: "SUSPICIOUS", paint: "red" },
  { verdict: "unknown", title: "UNKNOWN", paint: "yellow" },
  { verdict: "expected", title: "EXPECTED", paint: "green" },
] as const;

const DIRECTION_ORDER = { listening: 0, inbound: 1, outbound: 2, unknown: 3 } as const;

/** Listeners first, then by protocol, port and address: a stable, readable order within a group. */
function compareSockets(a: Socket, b: Socket): number {
  return DIRECTION_ORDER[a.direction] - DIRECTION_ORDER[b.direction] || a.proto.localeCompare(b.proto) ||
    a.local.port - b.local.port || a.local.address.localeCompare(b.local.address) || (a.remote?.port ?? 0) - (b.remote?.port ?? 0);
}

/**
 * The audit as a table grouped by verdict (suspicious, then unknown, then expected), each row followed
 * by its reasons when it is not expected, and by its explanation with `explain`.
 */
export function renderTable(sockets: readonly Socket[], options: TableOptions = {}): string {
  const groups = GROUPS.map((g) => ({ ...g, sockets: sockets.filter((s) => s.verdict === g.verdict).sort(compareSockets) }));
  const ordered = groups.flatMap((g) => g.sockets);
  const { lines } = layoutColumns(COLUMNS, ordered.map(row), options.width);
  const paint = options.paint;
  const out: string[] = [paint ? paint.bold(lines[0] as string) : (lines[0] as string)];
  const width = options.width;
  // Reasons are the point of the audit: on a terminal they wrap (at spaces) instead of being cut.
  const detail = (text: string) => {
    const t = safeText(text);
    if (width === undefined || t.length + 6 <= width) return `      ${t}`;
    const room = Math.max(20, width - 8);
    const lines: string[] = [];
    let rest = t;
    while (rest.length > room) {
      let cut = rest.lastIndexOf(" ", room);
      if (cut <= 0) cut = room;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut).trimStart();
    }
    lines.push(rest);
    return lines.map((l, i) => (i === 0 ? `      ${l}` : `        ${l}`)).join("\n");
  };
  let at = 1;
  for (const g of groups) {
    if (g.sockets.length === 0) continue;
    const heading = `${g.title} (${g.sockets.length})`;
    out.push(paint ? paint[g.paint](paint.bold(heading)) : heading);
    for (const s of g.sockets) {
      out.push(lines[at++] as string);
      const shown = options.explain ? s.reasons : s.reasons.filter((r) => r.verdict !== "expected");
      if (s.verdict === "expected" && !options.explain) continue;
      for (const r of shown) out.push(detail(`↳ ${r.message} [${r.rule}]`));
      if (s.netns !== null && options.hostNetns != null && s.netns !== options.hostNetns) out.push(detail(`↳ in network namespace ${s.netns}`));
      if (options.explain && s.explanation) out.push(detail(`= ${s.explanation}`));
    }
  }
  return out.join("\n") + "\n";
}

function row(s: Socket): string[] {
  return [
    s.family === 6 ? `${s.proto}6` : s.proto,
    formatEndpoint(s.local),
    formatEndpoint(s.remote),
    s.state,
    s.service === null ? "-" : s.service.name,
    owner(s),
    s.process?.user != null ? safeText(s.process.user) : s.process?.uid != null ? String(s.process.uid) : s.uid !== null ? String(s.uid) : "-",
  ];
}

/** One line that counts what the table shows: verdicts first, then directions and owners. */
export function renderCounts(sockets: readonly Socket[]): string {
  const by = { listening: 0, inbound: 0, outbound: 0, unknown: 0 };
  const verdicts = { suspicious: 0, unknown: 0, expected: 0 };
  let owned = 0;
  for (const s of sockets) { by[s.direction]++; verdicts[s.verdict]++; if (s.process !== null) owned++; }
  return `${sockets.length} sockets: ${verdicts.suspicious} suspicious, ${verdicts.unknown} unknown, ${verdicts.expected} expected; ` +
    `${by.listening} listening, ${by.inbound} inbound, ${by.outbound} outbound` + (by.unknown ? `, ${by.unknown} other` : "") + `; ${owned} with a known owner\n`;
}
