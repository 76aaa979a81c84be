import type { Endpoint, Socket, SocketState } from "../model/socket.js";
import { verdictCounts } from "../model/verdict.js";
import { columnWidths, elide, formatLine, type Column } from "./columns.js";
import { safeText } from "./safe-text.js";
import { compareSockets, groupIndex, VERDICT_GROUPS } from "./socket-order.js";
import { closingKind, contextText, formatEndpoint, processUserText, protoText, reachCell, reasonText, serverEnd, serviceText } from "./socket-text.js";
import { count } from "../model/words.js";

export { formatEndpoint } from "./socket-text.js";

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
  /** A Network column after Foreign Address: who owns the remote address's network ("AS13335 Cloudflare, Inc."; remote.asn). */
  remoteOwner?: boolean;
}

// On a narrow terminal the addresses give up width first (their hosts are cut, their ports stay whole),
// then state, service and user; the program last, so it and the port stay readable at 80 columns.
const TABLE_COLUMNS: readonly Column[] = [
  { header: "Proto", min: 4, tier: 1 },
  { header: "Local Address", min: 8, elide: "address", tier: 0 },
  { header: "Foreign Address", min: 8, elide: "address", tier: 0 },
  { header: "State", min: 4, tier: 1 },
  { header: "Service", min: 3, tier: 1 },
  { header: "PID/Program", min: 10, tier: 2 },
  { header: "User", min: 2, tier: 1 },
];

/** The Reach column (last), shown when some listener has `reach` and the table has room (no width, or 100 columns and more). */
const REACH_COLUMN: Column = { header: "Reach", min: 5, tier: 1 };
const REACH_MIN_WIDTH = 100;

/** The Network column (audit --remote-owner), after Foreign Address: it gives width before the program does. */
const NETWORK_COLUMN: Column = { header: "Network", min: 7, tier: 0 };
/** A remote network's owner as the Network column shows it: "AS13335 Cloudflare, Inc.", "-" when unknown, "" without a remote end. */
const networkCell = (s: Socket): string => {
  const o = s.remote?.asn;
  if (s.remote === null) return "";
  return o == null ? "-" : safeText(`AS${o.number}${o.org ? ` ${o.org}` : ""}`);
};

/** Digits of a port number (0–65535). */
const digits = (n: number) => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5);

/** The length of formatEndpoint(e), without making the string. */
function endpointLength(e: Endpoint | null): number {
  if (e === null) return 3;
  if (e.host) return safeText(e.host).length + 1 + digits(e.port);
  return safeText(e.address).length + 1 + digits(e.port) + (e.address.includes(":") ? 2 : 0);
}

/** The cells of a row; what a process or a uid contributes is made once, not once per socket. */
function rowMaker(): { cells(s: Socket): string[]; lengths(s: Socket, into: number[]): number[] } {
  const owners = new Map<object, { owner: string; user: string }>();
  const uids = new Map<number | null, string>();
  const ofProcess = (p: NonNullable<Socket["process"]>) => {
    let o = owners.get(p);
    if (o === undefined) {
      o = { owner: `${p.pid}/${safeText(p.name ?? "?")}`, user: processUserText(p) ?? "" };
      owners.set(p, o);
    }
    return o;
  };
  const owner = (s: Socket) => {
    if (s.process === null) return "-";
    const base = ofProcess(s.process).owner;
    return s.sharedWith.length > 0 ? `${base}+${s.sharedWith.length}` : base;
  };
  const user = (s: Socket) => {
    if (s.process !== null) {
      const u = ofProcess(s.process).user;
      if (u !== "") return u;
    }
    // The kernel keeps a closing connection's uid as 0 once its program has let go: no user to show.
    if (closingKind(s) !== null) return "";
    let u = uids.get(s.uid);
    if (u === undefined) { u = s.uid !== null ? String(s.uid) : "-"; uids.set(s.uid, u); }
    return u;
  };
  return {
    cells: (s) => [
      protoText(s),
      formatEndpoint(s.local),
      formatEndpoint(s.remote),
      s.state,
      serviceText(s),
      owner(s),
      user(s),
      reachCell(s),
      networkCell(s),
    ],
    lengths(s, into) {
      into[0] = protoText(s).length;
      into[1] = endpointLength(s.local);
      into[2] = endpointLength(s.remote);
      into[3] = s.state.length;
      into[4] = serviceText(s).length;
      into[5] = owner(s).length;
      into[6] = user(s).length;
      into[7] = reachCell(s).length;
      into[8] = networkCell(s).length;
      return into;
    },
  };
}

/** Closing connections that no program holds, alike in kind, protocol, end, namespace and judgement: one line of the table. */
interface Quiet {
  first: Socket;
  count: number;
  kind: "finished" | "closing";
  states: SocketState[];
}

/**
 * The rows of one verdict group, in order: a socket, or in place of the first of several alike closing
 * connections nobody holds, their one line ("12 finished connections to 127.0.0.1:3000"). A single one
 * stays a row.
 */
function withQuietLines(sorted: readonly Socket[]): (Socket | Quiet)[] {
  const reasonIds = new Map<object, number>();
  const keys: (string | null)[] = [];
  const count = new Map<string, number>();
  for (const s of sorted) {
    const kind = closingKind(s);
    if (kind === null) { keys.push(null); continue; }
    let r = reasonIds.get(s.reasons);
    if (r === undefined) reasonIds.set(s.reasons, r = reasonIds.size);
    const end = serverEnd(s);
    const key = `${kind}|${s.direction}|${s.family}|${end.host ?? end.address}|${end.port}|${s.netns}|${r}|${s.explanation ?? ""}`;
    keys.push(key);
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const items: (Socket | Quiet)[] = [];
  const lines = new Map<string, Quiet>();
  sorted.forEach((s, i) => {
    const key = keys[i];
    if (key == null || (count.get(key) as number) < 2) { items.push(s); return; }
    const q = lines.get(key);
    if (q === undefined) {
      const line: Quiet = { first: s, count: count.get(key) as number, kind: closingKind(s) as Quiet["kind"], states: [s.state] };
      lines.set(key, line);
      items.push(line);
    } else if (!q.states.includes(s.state)) q.states.push(s.state);
  });
  return items;
}

const isQuiet = (item: Socket | Quiet): item is Quiet => "first" in item;

/** Rows per piece of output. */
const PIECE = 256;

/**
 * The audit as a table grouped by verdict (suspicious, then unknown, then expected), each row followed
 * by its reasons when it is not expected, and by its explanation with `explain`; in pieces of a few
 * hundred rows, so 200,000 sockets never sit in memory as one string. Column widths come from a first
 * pass over the lengths of the cells, so the cells themselves are made once, as each piece is written.
 * Closing connections that no program holds any more are one line per kind and end (withQuietLines).
 */
export function* renderTableChunks(sockets: readonly Socket[], options: TableOptions = {}): Generator<string> {
  const buckets = VERDICT_GROUPS.map(() => [] as Socket[]);
  for (const s of sockets) buckets[groupIndex(s.verdict)]?.push(s);
  const groups = VERDICT_GROUPS.map((g, i) => {
    const list = buckets[i] as Socket[];
    list.sort(compareSockets);
    return { ...g, count: list.length, items: withQuietLines(list) };
  });
  buckets.length = 0;
  const rows = rowMaker();
  const scratch: number[] = [];
  const withReach = (options.width === undefined || options.width >= REACH_MIN_WIDTH) && sockets.some((s) => s.reach !== undefined);
  // The cells come in a fixed order (rowMaker); the columns shown pick from them.
  const shown = [0, 1, 2, ...(options.remoteOwner ? [8] : []), 3, 4, 5, 6, ...(withReach ? [7] : [])];
  const ALL = [...TABLE_COLUMNS, REACH_COLUMN, NETWORK_COLUMN];
  const COLUMNS = shown.map((i) => ALL[i] as Column);
  // Without the Network column the shown cells are the first ones, in order: no copy per row.
  const inOrder = !options.remoteOwner;
  const picked: number[] = [];
  const lengthsOf = (s: Socket) => {
    const all = rows.lengths(s, scratch);
    if (inOrder) return all;
    for (let i = 0; i < shown.length; i++) picked[i] = all[shown[i] as number] as number;
    return picked;
  };
  const cellsOf = (s: Socket) => { const all = rows.cells(s); return inOrder ? all : shown.map((i) => all[i] as string); };
  const quietLengths = COLUMNS.map(() => 0);
  const widths = columnWidths(COLUMNS, (function* () {
    for (const g of groups) {
      for (const item of g.items) {
        if (!isQuiet(item)) { yield lengthsOf(item); continue; }
        quietLengths[0] = protoText(item.first).length;
        yield quietLengths;
      }
    }
  })(), options.width);
  const paint = options.paint;
  const header = formatLine(COLUMNS, widths, COLUMNS.map((c) => c.header));
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
  // A reason list is shared by many sockets (see evaluate): its lines are made once.
  const details = new WeakMap<readonly object[], string>();
  const contexts = new WeakMap<object, string>();
  let out = `${paint ? paint.bold(header) : header}\n`;
  let n = 0;
  const quietLine = (q: Quiet) => {
    const s = q.first;
    const service = s.service ? `${safeText(s.service.name)}, ` : "";
    const line = `${protoText(s).padEnd(widths[0] as number)}  ${q.count} ${q.kind} connections to ${formatEndpoint(serverEnd(s))} (${service}${q.states.join(", ")})`;
    return width === undefined ? line : elide(line, width);
  };
  for (const g of groups) {
    if (g.count === 0) continue;
    const heading = `${g.title} (${g.count})`;
    out += `${paint ? paint[g.colour](paint.bold(heading)) : heading}\n`;
    for (const item of g.items) {
      const s = isQuiet(item) ? item.first : item;
      out += `${isQuiet(item) ? quietLine(item) : formatLine(COLUMNS, widths, cellsOf(s))}\n`;
      if (s.verdict !== "expected" || options.explain) {
        let reasons = details.get(s.reasons);
        if (reasons === undefined) {
          reasons = "";
          for (const r of s.reasons) if (options.explain || r.verdict !== "expected") reasons += `${detail(`↳ ${reasonText(r)}`)}\n`;
          details.set(s.reasons, reasons);
        }
        out += reasons;
        if (s.netns !== null && options.hostNetns != null && s.netns !== options.hostNetns) out += `${detail(`↳ in network namespace ${s.netns}`)}\n`;
        if (options.explain && s.explanation) out += `${detail(`= ${s.explanation}`)}\n`;
        if (options.explain && s.process) {
          // Who started the owner, its unit and terminal: made once per process.
          let context = contexts.get(s.process);
          if (context === undefined) { const c = contextText(s.process); contexts.set(s.process, context = c === null ? "" : `${detail(c)}\n`); }
          out += context;
        }
      }
      if (++n % PIECE === 0) {
        yield out;
        out = "";
      }
    }
  }
  if (out !== "") yield out;
}

/** renderTableChunks as one string. */
export function renderTable(sockets: readonly Socket[], options: TableOptions = {}): string {
  let out = "";
  for (const piece of renderTableChunks(sockets, options)) out += piece;
  return out;
}

/** One line that counts what the table shows: verdicts first, then directions and owners. */
export function renderCounts(sockets: readonly Socket[]): string {
  const by = { listening: 0, inbound: 0, outbound: 0, unknown: 0 };
  const verdicts = verdictCounts();
  let owned = 0;
  for (const s of sockets) { by[s.direction]++; verdicts[s.verdict]++; if (s.process !== null) owned++; }
  return `${count(sockets.length, "socket")}: ${verdicts.suspicious} suspicious, ${verdicts.unknown} unknown, ${verdicts.expected} expected; ` +
    `${by.listening} listening, ${by.inbound} inbound, ${by.outbound} outbound` + (by.unknown ? `, ${by.unknown} other` : "") + `; ${owned} with a known owner\n`;
}
