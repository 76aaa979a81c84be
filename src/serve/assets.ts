// The dashboard page: plain HTML, CSS and JavaScript, no framework and no inline script (the Content
// Security Policy forbids it). Every value from the host is put on the page with textContent, never as HTML.

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portwatch</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>portwatch <span id="host"></span></h1>
  <div id="counts"><span class="suspicious" id="n-suspicious">0</span> suspicious · <span class="unknown" id="n-unknown">0</span> unknown · <span class="expected" id="n-expected">0</span> expected · <span id="n-sockets">0</span> sockets</div>
  <svg id="timeline" width="360" height="60" role="img" aria-label="counts per verdict over time"></svg>
</header>
<nav id="filters">
  <select id="f-verdict" aria-label="verdict"><option value="">all verdicts</option><option>suspicious</option><option>unknown</option><option>expected</option></select>
  <select id="f-proto" aria-label="protocol"><option value="">all protocols</option><option>tcp</option><option>udp</option><option>raw</option></select>
  <select id="f-direction" aria-label="direction"><option value="">all directions</option><option>listening</option><option>inbound</option><option>outbound</option><option>unknown</option></select>
  <input id="f-process" type="search" placeholder="process" aria-label="process" size="12">
  <input id="f-port" type="search" placeholder="port" aria-label="port" size="6">
  <input id="f-search" type="search" placeholder="search: program, port, address, rule" aria-label="search">
  <span id="shown"></span>
</nav>
<main>
  <section id="list-wrap">
    <div class="row head"><span>verdict</span><span>proto</span><span>local</span><span>remote</span><span>state</span><span>program</span><span>sockets</span></div>
    <div id="list" tabindex="0"><div id="spacer"></div><div id="rows"></div></div>
  </section>
  <aside id="detail"><p class="hint">Click a row to see everything portwatch knows about it.</p></aside>
</main>
<section id="below">
  <div><h2>Changes</h2><ol id="feed"></ol></div>
  <div><h2>Since the baseline</h2><ol id="baseline"></ol></div>
</section>
<script src="/app.js"></script>
</body>
</html>
`;

export const APP_CSS = `
:root { --bg:#fafafa; --fg:#222; --muted:#777; --red:#b3261e; --yellow:#8a6d00; --green:#1e6b35; }
* { box-sizing: border-box; }
body { margin:0; font: 13px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:24px; align-items:center; padding:8px 16px; border-bottom:1px solid #ddd; }
h1 { font-size:18px; margin:0; } h1 span { color:var(--muted); font-weight:normal; }
h2 { font-size:14px; margin:8px 0; }
.suspicious { color:var(--red); font-weight:600; } .unknown { color:var(--yellow); font-weight:600; } .expected { color:var(--green); }
nav { display:flex; gap:8px; padding:8px 16px; align-items:center; } nav #f-search { flex:1; max-width:420px; }
main { display:grid; grid-template-columns: 1fr 420px; gap:12px; padding:0 16px; }
#list { height:55vh; overflow-y:auto; position:relative; border:1px solid #ddd; background:#fff; }
#spacer { width:1px; }
#rows { position:absolute; top:0; left:0; right:0; }
.row { display:grid; grid-template-columns: 90px 50px 1.2fr 1.2fr 100px 1fr 60px; gap:8px; height:24px; align-items:center; padding:0 8px; white-space:nowrap; overflow:hidden; cursor:pointer; font-family: ui-monospace, monospace; font-size:12px; }
.row span { overflow:hidden; text-overflow:ellipsis; }
.row:hover { background:#eef3ff; } .row.selected { background:#dde7ff; }
.row.head { font-family: system-ui, sans-serif; font-weight:600; cursor:default; border:1px solid #ddd; border-bottom:none; background:#f0f0f0; }
aside { border:1px solid #ddd; background:#fff; padding:8px; height:calc(55vh + 24px); overflow:auto; }
aside pre { white-space:pre-wrap; word-break:break-all; font-size:12px; }
aside dt { font-weight:600; margin-top:6px; } aside dd { margin:0 0 0 8px; }
.hint { color:var(--muted); }
#below { display:grid; grid-template-columns: 1fr 1fr; gap:12px; padding:8px 16px; }
#below ol { font-family: ui-monospace, monospace; font-size:12px; max-height:20vh; overflow:auto; padding-left:20px; }
`;

export const APP_JS = `"use strict";
// portwatch dashboard. Values from the host go in with textContent only.
const ROW = 24;
const state = { rows: new Map(), list: [], selected: null, timeline: [] };
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
const ep = (e) => e ? (e.address.includes(":") ? "[" + e.address + "]:" + e.port : e.address + ":" + e.port) : "*:*";
const program = (s) => s.process ? (s.process.name || "?") + " (" + s.process.pid + ")" : "-";

function matches(r) {
  const v = $("f-verdict").value, p = $("f-proto").value, d = $("f-direction").value, q = $("f-search").value.trim().toLowerCase();
  const proc = $("f-process").value.trim().toLowerCase(), port = $("f-port").value.trim();
  const s = r.socket;
  if (proc && !program(s).toLowerCase().includes(proc) && !(s.process && (s.process.exe || "").toLowerCase().includes(proc))) return false;
  if (port && String(s.local.port) !== port && String(s.remote ? s.remote.port : "") !== port) return false;
  if (v && r.verdict !== v) return false;
  if (p && s.proto !== p) return false;
  if (d && s.direction !== d) return false;
  if (q) {
    const hay = [r.identity, program(s), ep(s.local), ep(s.remote), s.service ? s.service.name : "", ...(s.reasons || []).map((x) => x.rule + " " + x.message)].join(" ").toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}
const RANK = { suspicious: 0, unknown: 1, expected: 2 };
function refilter() {
  state.list = [...state.rows.values()].filter(matches).sort((a, b) => RANK[a.verdict] - RANK[b.verdict] || (a.identity < b.identity ? -1 : 1));
  $("spacer").style.height = state.list.length * ROW + "px";
  $("shown").textContent = state.list.length + " of " + state.rows.size + " shown";
  draw();
}
// Only the rows in view exist in the page, so 100,000 sockets scroll as fast as 100.
function draw() {
  const box = $("list"), rows = $("rows");
  const first = Math.max(0, Math.floor(box.scrollTop / ROW) - 10);
  const last = Math.min(state.list.length, first + Math.ceil(box.clientHeight / ROW) + 20);
  rows.style.transform = "translateY(" + first * ROW + "px)";
  rows.replaceChildren(...state.list.slice(first, last).map((r) => {
    const s = r.socket;
    const row = el("div", undefined, "row" + (r.identity === state.selected ? " selected" : ""));
    row.dataset.identity = r.identity;
    row.append(el("span", r.verdict, r.verdict), el("span", s.family === 6 ? s.proto + "6" : s.proto), el("span", ep(s.local)),
      el("span", s.remote ? ep(s.remote) + (s.service ? " " + s.service.name : "") : (s.service ? s.service.name : "")), el("span", s.state), el("span", program(s)), el("span", String(r.count)));
    return row;
  }));
}
async function detail(identity) {
  state.selected = identity;
  draw();
  const box = $("detail");
  box.replaceChildren(el("p", "Loading…", "hint"));
  const res = await fetch("/api/identity?id=" + encodeURIComponent(identity));
  const data = await res.json();
  const s = data.sockets[0];
  const dl = el("dl");
  const add = (k, v) => { dl.append(el("dt", k), el("dd", v)); };
  add("Verdict", s ? s.verdict : "gone");
  add("Identity", identity);
  if (s) {
    add("Explanation", s.explanation || "");
    for (const r of s.reasons) add("Reason: " + r.rule, r.message + " (" + r.verdict + ")");
    add("Local", ep(s.local)); add("Remote", ep(s.remote)); add("State", s.state); add("Direction", s.direction); add("Exposure", String(s.exposure));
    if (s.process) { add("Process", program(s)); add("Executable", (s.process.exe || "?") + (s.process.exeDeleted ? " (deleted)" : "")); add("Command line", (s.process.cmdline || []).join(" ")); add("User", String(s.process.user ?? s.process.uid)); }
    add("Sockets with this identity", String(data.count));
  }
  if (data.process && data.process.length) {
    const listening = data.process.filter((x) => x.direction === "listening"), other = data.process.filter((x) => x.direction !== "listening");
    add("This process listens on", listening.map((x) => x.identity.split("|").slice(1, 3).join(" ") + " (" + x.verdict + ")").join(", ") || "nothing");
    add("This process's connections", other.map((x) => x.identity + " ×" + x.count + " (" + x.verdict + ")").join("; ") || "none");
  }
  if (data.history) add("History", "first seen " + data.history.firstSeen + ", last seen " + data.history.lastSeen + ", seen " + data.history.timesSeen + " times, owners: " + data.history.owners.join(", "));
  const pre = el("pre", JSON.stringify(s, null, 2));
  box.replaceChildren(dl, el("h2", "JSON"), pre);
}
function counts(summary) {
  for (const v of ["suspicious", "unknown", "expected"]) $("n-" + v).textContent = String(summary[v]);
  $("n-sockets").textContent = String(summary.sockets);
}
function timeline(points) {
  const svg = $("timeline"), W = 360, H = 60, NS = "http://www.w3.org/2000/svg";
  const max = Math.max(1, ...points.map((p) => p.unknown + p.suspicious + p.expected));
  svg.replaceChildren(...["expected", "unknown", "suspicious"].map((v) => {
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", v === "suspicious" ? "#b3261e" : v === "unknown" ? "#c79a00" : "#1e6b35");
    line.setAttribute("points", points.map((p, i) => (i * W / Math.max(1, points.length - 1)).toFixed(1) + "," + (H - 2 - (p[v] / max) * (H - 4)).toFixed(1)).join(" "));
    return line;
  }));
}
function feedLine(list, text) {
  list.prepend(el("li", text));
  while (list.children.length > 200) list.lastChild.remove();
}
const describe = (e) => e.at.slice(11, 19) + " " + e.type + " " + e.socket.verdict + " " + e.socket.proto + " " + ep(e.socket.local) + (e.socket.remote ? " -> " + ep(e.socket.remote) : "") + " " + program(e.socket);

async function start() {
  const [ids, diff] = await Promise.all([fetch("/api/identities").then((r) => r.json()), fetch("/api/baseline-diff").then((r) => r.json())]);
  $("host").textContent = ids.hostname || "";
  for (const r of ids.identities) state.rows.set(r.identity, r);
  counts(ids.summary);
  state.timeline = ids.timeline; timeline(state.timeline);
  if (!diff.available) $("baseline").append(el("li", "No baseline saved: run \\"portwatch baseline save\\"."));
  else if (diff.events.length === 0) $("baseline").append(el("li", "No change since the baseline of " + diff.savedAt + "."));
  else for (const e of diff.events) feedLine($("baseline"), describe(e));
  refilter();
  const events = new EventSource("/api/events");
  events.addEventListener("change", (m) => {
    const e = JSON.parse(m.data);
    if (e.type === "disappeared") state.rows.delete(e.identity);
    else state.rows.set(e.identity, { identity: e.identity, verdict: e.socket.verdict, count: e.count || 1, socket: e.socket });
    feedLine($("feed"), describe(e));
    refilter();
  });
  events.addEventListener("summary", (m) => {
    const s = JSON.parse(m.data);
    counts(s);
    state.timeline.push(s); if (state.timeline.length > 300) state.timeline.shift();
    timeline(state.timeline);
  });
}
$("list").addEventListener("scroll", draw);
$("list").addEventListener("click", (ev) => { const row = ev.target.closest(".row"); if (row && row.dataset.identity) detail(row.dataset.identity); });
for (const id of ["f-verdict", "f-proto", "f-direction", "f-process", "f-port", "f-search"]) $(id).addEventListener("input", refilter);
window.addEventListener("resize", draw);
start();
`;
