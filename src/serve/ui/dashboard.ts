// The dashboard of `portwatch serve` (bundled by scripts/build-ui.mjs into /app.js). It reads the
// identities once, then follows the server's events: `change` (an identity appeared, disappeared or
// changed verdict) and `summary` (the counts of each look). Only the rows in view exist in the page, so
// 100,000 identities scroll as fast as 100. Its requests are relative ("api/identities"): the same page
// shows this host at "/" (server.ts) and one host of a fleet at "/host/ID/" (fleet-server.ts).
import type { ChangeEvent } from "../../model/change.js";
import type { Verdict } from "../../model/verdict.js";
import { renderEventLine } from "../../report/event-line.js";
import { VERDICT_GROUPS, verdictColour } from "../../report/socket-order.js";
import { safeText } from "../../report/safe-text.js";
import type { BaselineDiffResponse, IdentitiesResponse, IdentityResponse, IdentityRow, LiveChange, Summary } from "./api.js";
import { getJson } from "./api.js";
import { renderDetail } from "./detail.js";
import { byId, el, valueOf } from "./dom.js";
import { cellParts, compareRows, LIST_COLUMNS, matches, rowCells, type Filter } from "./rows.js";
import { drawTimeline } from "./timeline.js";
import { clockText, timeText } from "../../report/time-text.js";

/** Height of a row in pixels (dashboard.css says the same). */
const ROW = 24;
/** Lines kept in each change list, and points in the timeline. */
const FEED_MAX = 200;
const TIMELINE_MAX = 300;
/** Lines shown in the "since the baseline" panel. */
const BASELINE_MAX = 1000;

const state = {
  rows: new Map<string, IdentityRow>(),
  shown: [] as IdentityRow[],
  selected: null as string | null,
  timeline: [] as Summary[],
};

const list = byId("list"), rowsBox = byId("rows"), spacer = byId("spacer");

function filter(): Filter {
  return {
    verdict: valueOf("f-verdict") as Verdict | "",
    proto: valueOf("f-proto"),
    direction: valueOf("f-direction"),
    process: valueOf("f-process"),
    port: valueOf("f-port"),
    search: valueOf("f-search"),
  };
}

// Many changes arrive together (one look): filter and sort once for all of them. (A filter the user
// changes applies at once.)
let pending: ReturnType<typeof setTimeout> | null = null;

/** Filters and sorts the identities again, then draws the rows in view. */
function refilter(): void {
  if (pending !== null) { clearTimeout(pending); pending = null; }
  const f = filter();
  state.shown = [...state.rows.values()].filter((r) => matches(r, f)).sort(compareRows);
  spacer.style.height = `${state.shown.length * ROW}px`;
  byId("shown").textContent = `${state.shown.length} of ${state.rows.size} shown`;
  draw();
}

/** refilter, a moment later, once for all the changes of one look. */
function refilterSoon(): void {
  pending ??= setTimeout(() => { pending = null; refilter(); }, 30);
}

function draw(): void {
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 10);
  const last = Math.min(state.shown.length, first + Math.ceil(list.clientHeight / ROW) + 20);
  rowsBox.style.transform = `translateY(${first * ROW}px)`;
  rowsBox.replaceChildren(...state.shown.slice(first, last).map((r) => {
    const row = el("div", undefined, r.identity === state.selected ? "row selected" : "row");
    row.dataset["identity"] = r.identity;
    const cells = rowCells(r);
    row.append(...LIST_COLUMNS.map((c, i) => {
      const text = cells[i] ?? "";
      const className = c.key === "verdict" ? `c-${c.key} ${verdictColour(r.verdict)}` : `c-${c.key}`;
      // An address is cut before its port, a pid before its program's name (rows.ts, cellParts).
      const { parts, cutFirst } = cellParts(c.key, text);
      const cell = parts.length === 1 ? el("span", text, className) : el("span", undefined, `${className} split`);
      if (parts.length === 2) cell.append(...parts.map((p, k) => el("span", p, k === cutFirst ? "give" : "hold")));
      cell.title = text;
      return cell;
    }));
    return row;
  }));
}

async function showDetail(identity: string): Promise<void> {
  state.selected = identity;
  draw();
  const box = byId("detail");
  box.replaceChildren(el("p", "Loading…", "hint"));
  let data: IdentityResponse;
  try {
    data = await getJson<IdentityResponse>(`api/identity?id=${encodeURIComponent(identity)}`);
  } catch (e) {
    if (state.selected === identity) box.replaceChildren(el("p", `Cannot load the detail: ${(e as Error).message}`, "hint"));
    return;
  }
  if (state.selected === identity) box.replaceChildren(...renderDetail(data)); // not if another row was clicked meanwhile
}

function showCounts(summary: Summary): void {
  for (const g of VERDICT_GROUPS) byId(`n-${g.verdict}`).textContent = String(summary[g.verdict]);
  byId("n-sockets").textContent = String(summary.sockets);
}

function showTimeline(): void {
  drawTimeline(byId<SVGSVGElement>("timeline"), state.timeline);
}

/** Adds a line at the top of a change list, in the verdict's colour. */
function feedLine(target: HTMLElement, text: string, verdict?: Verdict): void {
  target.prepend(el("li", text, verdict ? verdictColour(verdict) : undefined));
  while (target.children.length > FEED_MAX) target.lastElementChild?.remove();
}

/** The parts of the page made from VERDICT_GROUPS and LIST_COLUMNS, so they follow the rows. */
function layout(): void {
  const counts = byId("counts");
  const count = (id: string, className: string) => { const n = el("span", "0", className); n.id = id; return n; };
  for (const g of VERDICT_GROUPS) counts.append(count(`n-${g.verdict}`, `count ${g.colour}`), ` ${g.verdict} · `);
  counts.append(count("n-sockets", "count"), " sockets");
  byId("f-verdict").append(...VERDICT_GROUPS.map((g) => el("option", g.verdict)));
  byId("head").append(...LIST_COLUMNS.map((c) => {
    if (c.short === undefined) return el("span", c.header, `c-${c.key}`);
    const head = el("span", undefined, `c-${c.key}`);
    head.append(el("span", c.header, "long"), el("span", c.short, "short"));
    head.title = c.header;
    return head;
  }));
}

/**
 * The identities, read again each time the event stream (re)opens: changes that arrive before they are
 * read wait, and those of looks the read already shows (`seq`) are not applied twice. So a look between
 * the two reads, or while the stream was lost, is never missed.
 */
const sync = { seq: null as number | null, waiting: [] as LiveChange[] };

async function readIdentities(): Promise<void> {
  sync.seq = null;
  const ids = await getJson<IdentitiesResponse>("api/identities");
  byId("host").textContent = safeText(ids.hostname);
  if (ids.fleet) showFleetHost(ids.fleet);
  state.rows.clear();
  for (const r of ids.identities) state.rows.set(r.identity, r);
  showCounts(ids.summary);
  state.timeline = ids.timeline;
  showTimeline();
  sync.seq = ids.seq;
  for (const e of sync.waiting.splice(0)) applyChange(e);
  refilter();
}

/** One host of a fleet: a way back to the hosts, and how old the look shown is. */
function showFleetHost(fleet: NonNullable<IdentitiesResponse["fleet"]>): void {
  if (document.getElementById("fleet-back") === null) {
    const back = el("a", "all hosts");
    back.id = "fleet-back";
    back.href = "/";
    byId("host").after(" · ", back);
  }
  byId("status").textContent = fleet.notReportingSince !== null
    ? `not reporting since ${timeText(fleet.notReportingSince)}: its last look, as the store has it`
    : `its last look in the fleet store, ${timeText(fleet.lastLook)} (read-only; reload for a newer one)`;
}

function applyChange(e: LiveChange): void {
  if (sync.seq === null) { sync.waiting.push(e); return; }
  if (e.seq <= sync.seq) return;
  if (e.type === "disappeared") {
    state.rows.delete(e.identity);
    if (e.identity === state.selected) byId("detail").prepend(el("p", `Gone since ${clockText(e.at)}: what follows is the last look that had it.`, "hint"));
  } else state.rows.set(e.identity, { identity: e.identity, verdict: e.socket.verdict, count: e.count ?? 1, socket: e.socket });
  refilterSoon();
}

async function start(): Promise<void> {
  layout();
  const status = byId("status");
  const events = new EventSource("api/events");
  events.addEventListener("open", () => {
    status.textContent = "";
    readIdentities().catch((e: unknown) => { status.textContent = `Cannot load the identities: ${(e as Error).message}`; });
  });
  events.addEventListener("error", () => { status.textContent = "connection lost: retrying…"; });
  events.addEventListener("change", (m: MessageEvent<string>) => {
    const e = JSON.parse(m.data) as LiveChange;
    feedLine(byId("feed"), renderEventLine(e), e.socket.verdict);
    applyChange(e);
    showBaselineDiffSoon();
  });
  events.addEventListener("summary", (m: MessageEvent<string>) => {
    const s = JSON.parse(m.data) as Summary;
    showCounts(s);
    state.timeline.push(s);
    if (state.timeline.length > TIMELINE_MAX) state.timeline.shift();
    showTimeline();
  });
  baselineRead = Date.now();
  await showBaselineDiff();
}

/**
 * The "since the baseline" panel: what `portwatch baseline diff` prints for the look the server has (the
 * same function makes both, audit/baseline-diff.ts), in its order, with its count line. Read at the start
 * and again after a look that changed something.
 */
async function showBaselineDiff(): Promise<void> {
  const diff = await getJson<BaselineDiffResponse>("api/baseline-diff");
  const baseline = byId("baseline"), note = byId("baseline-note");
  if (!diff.available) {
    note.textContent = diff.note ?? "No baseline saved: run \"portwatch baseline save\".";
    baseline.replaceChildren();
    return;
  }
  note.textContent = `Since the baseline of ${timeText(diff.savedAt)}:`;
  const count = (t: ChangeEvent["type"]) => diff.events.filter((e) => e.type === t).length;
  const lines = diff.events.slice(0, BASELINE_MAX).map((e) => el("li", renderEventLine(e), verdictColour(e.socket.verdict)));
  if (diff.events.length > BASELINE_MAX) lines.push(el("li", `… and ${diff.events.length - BASELINE_MAX} more (portwatch baseline diff lists them all)`, "hint"));
  lines.push(el("li", diff.events.length === 0 ? "No change." : `${count("appeared")} appeared, ${count("disappeared")} disappeared, ${count("verdict-changed")} changed verdict${count("network-changed") ? `, ${count("network-changed")} talk to a network they did not` : ""}`, "total"));
  baseline.replaceChildren(...lines);
}

let baselineTimer: ReturnType<typeof setTimeout> | null = null;
let baselineRead = 0;
/** showBaselineDiff, a moment after the changes of one look, and at most every 5 seconds (the server diffs the whole look). */
function showBaselineDiffSoon(): void {
  baselineTimer ??= setTimeout(() => {
    baselineTimer = null;
    baselineRead = Date.now();
    showBaselineDiff().catch((e: unknown) => { byId("baseline-note").textContent = `Cannot load the changes since the baseline: ${(e as Error).message}`; });
  }, Math.max(500, baselineRead + 5000 - Date.now()));
}

list.addEventListener("scroll", draw);
list.addEventListener("click", (ev) => {
  const row = (ev.target as Element | null)?.closest<HTMLElement>(".row");
  const identity = row?.dataset["identity"];
  if (identity !== undefined) void showDetail(identity);
});
for (const id of ["f-verdict", "f-proto", "f-direction", "f-process", "f-port", "f-search"]) byId(id).addEventListener("input", refilter);
window.addEventListener("resize", draw);
start().catch((e: unknown) => { byId("status").textContent = `Cannot load the dashboard: ${(e as Error).message}`; });
