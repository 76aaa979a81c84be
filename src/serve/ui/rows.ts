// The list of the dashboard as data: its columns, the text of each cell, the filters and the order.
// Pure (no DOM), so test/serve/ui-rows.test.ts checks it against the terminal table. Every text comes
// from src/report/, the functions the table and the change lines use.
import type { Verdict } from "../../model/verdict.js";
import { safeText } from "../../report/safe-text.js";
import { compareSockets, groupIndex } from "../../report/socket-order.js";
import { formatEndpoint, processText, protoText, reachCell, reasonText, serviceText, userText } from "../../report/socket-text.js";
import type { IdentityRow } from "./api.js";

/** A column of the list: its head, and the class its cells get (c-<key>). */
export interface ListColumn {
  key: string;
  header: string;
  /** The head in a narrow window (dashboard.css), when `header` is too long for it. */
  short?: string;
  cell(row: IdentityRow): string;
}

/**
 * The columns: the terminal table's (src/report/render-table.ts), between the verdict and the number of
 * sockets, with the same text (Reach, the firewall's answer, always shown: empty for connections), but for two: the process reads "cupsd (pid 812)" as in the change lines,
 * where the table keeps netstat's "812/cupsd"; and a socket with no peer (a listener, an unconnected UDP
 * socket) has an empty Foreign Address, where the table keeps netstat's "*:*".
 */
export const LIST_COLUMNS: readonly ListColumn[] = [
  { key: "verdict", header: "Verdict", cell: (r) => r.verdict },
  { key: "proto", header: "Proto", cell: (r) => protoText(r.socket) },
  { key: "local", header: "Local Address", short: "Local", cell: (r) => formatEndpoint(r.socket.local) },
  { key: "remote", header: "Foreign Address", short: "Foreign", cell: (r) => (r.socket.remote === null ? "" : formatEndpoint(r.socket.remote)) },
  { key: "state", header: "State", cell: (r) => r.socket.state },
  { key: "service", header: "Service", cell: (r) => serviceText(r.socket) },
  { key: "process", header: "Process", cell: (r) => (r.socket.process ? processText(r.socket.process) : "-") },
  { key: "user", header: "User", cell: (r) => userText(r.socket) },
  { key: "reach", header: "Reach", cell: (r) => reachCell(r.socket) },
  { key: "sockets", header: "Sockets", cell: (r) => String(r.count) },
];

/** A cell's text in parts, and which part gives way first when the column is narrow. */
export interface CellParts {
  parts: [string] | [string, string];
  /** The index of the part that is cut (with "…") before the other. */
  cutFirst: 0 | 1;
}

/**
 * A cell's text in two parts, for narrow windows: an address gives way to its port ("127.0.0.1" cut before
 * ":631"), a pid to its program's name (" (pid 812)" cut before "cupsd"); other cells are one part.
 */
export function cellParts(key: string, text: string): CellParts {
  if (key === "local" || key === "remote") {
    const colon = text.lastIndexOf(":");
    if (colon > 0) return { parts: [text.slice(0, colon), text.slice(colon)], cutFirst: 0 };
  }
  if (key === "process") {
    const pid = text.lastIndexOf(" (pid ");
    if (pid > 0) return { parts: [text.slice(0, pid), text.slice(pid)], cutFirst: 1 };
  }
  return { parts: [text], cutFirst: 0 };
}

// A row object is replaced, never changed, when its identity changes: its texts are made once.
const cellCache = new WeakMap<IdentityRow, string[]>();
const searchCache = new WeakMap<IdentityRow, string>();

/** The cells of a row, in LIST_COLUMNS order. */
export function rowCells(row: IdentityRow): string[] {
  let cells = cellCache.get(row);
  if (cells === undefined) {
    cells = LIST_COLUMNS.map((c) => c.cell(row));
    cellCache.set(row, cells);
  }
  return cells;
}

/** What the search box looks through, lower case: the identity, the cells, the executable, the reasons. */
export function searchText(row: IdentityRow): string {
  let text = searchCache.get(row);
  if (text === undefined) {
    const s = row.socket;
    text = [safeText(row.identity), ...rowCells(row), safeText(s.process?.exe ?? ""), ...s.reasons.map(reasonText)].join(" ").toLowerCase();
    searchCache.set(row, text);
  }
  return text;
}

/** The filters of the page; "" means any. */
export interface Filter {
  verdict: Verdict | "";
  proto: string;
  direction: string;
  /** Part of the process text ("name (pid N)") or of the executable path; a socket without an owner never matches. */
  process: string;
  /** A local or remote port number. */
  port: string;
  /** Part of searchText. */
  search: string;
}

/** Whether a row passes the filters (text filters ignore case and surrounding spaces). */
export function matches(row: IdentityRow, f: Filter): boolean {
  const s = row.socket;
  if (f.verdict && row.verdict !== f.verdict) return false;
  if (f.proto && s.proto !== f.proto) return false;
  if (f.direction && s.direction !== f.direction) return false;
  const port = f.port.trim();
  if (port && String(s.local.port) !== port && (s.remote === null || String(s.remote.port) !== port)) return false;
  const proc = f.process.trim().toLowerCase();
  const p = s.process;
  if (proc && !(p && (processText(p).toLowerCase().includes(proc) || safeText(p.exe ?? "").toLowerCase().includes(proc)))) return false;
  const q = f.search.trim().toLowerCase();
  return !q || searchText(row).includes(q);
}

/** The table's order: worst verdict first, then listeners, protocol, port, address (compareSockets), then identity. */
export function compareRows(a: IdentityRow, b: IdentityRow): number {
  return groupIndex(a.verdict) - groupIndex(b.verdict) || compareSockets(a.socket, b.socket) ||
    (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0);
}
