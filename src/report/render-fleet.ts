import type { FleetChange, FleetFinding, FleetHost } from "../model/fleet.js";
import { layoutColumns, type Column } from "./columns.js";
import { safeText } from "./safe-text.js";
import { timeText } from "./time-text.js";

/** Colour functions for a terminal; absent off one (no colour). */
export interface FleetPaint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
}

// `portwatch fleet hosts|find|changes` as aligned tables. Colour is laid on whole lines after the columns
// are aligned (escape codes would count as width otherwise): red for a suspicious finding or a host with
// suspicious sockets, yellow for unknown or a host that is not reporting.

function table(columns: readonly Column[], rows: readonly string[][], colours: readonly (keyof FleetPaint | null)[], width?: number, paint?: FleetPaint): string {
  const { lines } = layoutColumns(columns, rows.map((r) => r.map(safeText)), width);
  return `${lines.map((l, i) => { const c = i === 0 ? null : colours[i - 1] ?? null; return c && paint ? paint[c](l) : l; }).join("\n")}\n`;
}

const verdictColour = (v: string): keyof FleetPaint | null => (v === "suspicious" ? "red" : v === "unknown" ? "yellow" : null);

/** The hosts: name, id, last look, identities per verdict, and "not reporting since …" for the stale ones. */
export function renderFleetHosts(hosts: readonly FleetHost[], options: { width?: number; paint?: FleetPaint } = {}): string {
  if (hosts.length === 0) return "No host has written to this fleet store yet.\n";
  const rows = hosts.map((h) => [h.hostname, h.hostId, timeText(h.lastLook), String(h.counts.suspicious), String(h.counts.unknown), String(h.counts.expected),
    h.notReportingSince ? `not reporting since ${timeText(h.notReportingSince)}` : "reporting"]);
  const colours = hosts.map((h) => (h.counts.suspicious > 0 ? "red" : h.notReportingSince ? "yellow" : null) as keyof FleetPaint | null);
  const stale = hosts.filter((h) => h.notReportingSince).length;
  return `${table([{ header: "Host", min: 8 }, { header: "Host id", min: 8, elide: "middle" }, { header: "Last look" }, { header: "Suspicious", right: true },
    { header: "Unknown", right: true }, { header: "Expected", right: true }, { header: "Status" }], rows, colours, options.width, options.paint)}${hosts.length} host(s), ${stale} not reporting\n`;
}

/** What `fleet find` found, host by host, as of each host's last look. */
export function renderFleetFind(found: readonly FleetFinding[], options: { width?: number; paint?: FleetPaint } = {}): string {
  if (found.length === 0) return "No host's last look has such a socket.\n";
  const rows = found.map((f) => [f.hostname, f.verdict, f.proto, f.direction, f.port === null ? "-" : String(f.port), f.local, f.remote ?? "-", f.program, f.lists.join(",") || "-"]);
  const hosts = new Set(found.map((f) => f.hostId)).size;
  return `${table([{ header: "Host", min: 8 }, { header: "Verdict" }, { header: "Proto" }, { header: "Direction" }, { header: "Port", right: true },
    { header: "Local", min: 12, elide: "address" }, { header: "Remote", min: 12, elide: "address" }, { header: "Program", min: 10, elide: "middle" }, { header: "Lists", min: 6 }],
  rows, found.map((f) => verdictColour(f.verdict)), options.width, options.paint)}${found.length} socket identit${found.length === 1 ? "y" : "ies"} on ${hosts} host(s)\n`;
}

/** The fleet's changes, oldest first. */
export function renderFleetChanges(changes: readonly FleetChange[], options: { width?: number; paint?: FleetPaint } = {}): string {
  if (changes.length === 0) return "No changes on any host in that time.\n";
  const rows = changes.map((c) => [timeText(c.at), c.hostname, c.type, c.was ? `${c.was} -> ${c.verdict}` : c.verdict, c.port === null ? "-" : String(c.port), c.program ?? "-", c.identity]);
  return table([{ header: "When" }, { header: "Host", min: 8 }, { header: "Change" }, { header: "Verdict" }, { header: "Port", right: true },
    { header: "Program", min: 10, elide: "middle" }, { header: "Identity", min: 20, elide: "middle" }], rows, changes.map((c) => verdictColour(c.verdict)), options.width, options.paint);
}
