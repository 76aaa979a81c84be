// Issue 14, "Injection and forgery": names an unprivileged process chooses for itself (an escape sequence,
// a newline, a right-to-left override that makes "\u202edhss" read "sshd") reach no terminal and no page
// raw, in any of portwatch's views: the table with --explain, `portwatch explain`, the change lines, the
// dashboard's list and detail, and watch's live screen.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Output } from "../../src/cli/output.js";
import { runWatch } from "../../src/cli/watch.js";
import { collectLinux } from "../../src/collect/linux.js";
import type { ProcessInfo } from "../../src/model/process.js";
import type { Socket } from "../../src/model/socket.js";
import { renderEventLine } from "../../src/report/event-line.js";
import { renderEventJson } from "../../src/report/render-events.js";
import { renderExplain } from "../../src/report/render-explain.js";
import { renderTable } from "../../src/report/render-table.js";
import { LIST_COLUMNS } from "../../src/serve/ui/rows.js";

/** What no view may print raw: controls other than its own line breaks, invisible formatting characters, U+2028/2029. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;
const NAMES = ["\u202edhss", "ev\u001b[2Jil", "two\nlines", "\u2066x\u2069\u200f"];

const tree = new URL("../fixtures/proc/debian12-holders/", import.meta.url).pathname;
const c = await collectLinux({ procRoot: tree, passwdFile: `${tree}etc-passwd`, netnsDir: "/nonexistent" });
const base = c.sockets.find((s) => s.process !== null) as Socket;
const hostileProcess = (name: string): ProcessInfo => ({
  ...(base.process as ProcessInfo), name, exe: `/tmp/${name}`, cmdline: [name, "-l"], user: name, unit: `${name}.service`, tty: name,
  ancestry: [{ pid: 1, name, exe: "/sbin/init", uid: 0 }],
});
const hostile = (name: string): Socket => ({
  ...base, local: { address: "127.0.0.1", port: 47111 }, remote: { address: "203.0.113.9", port: 443, host: `${name}.example` },
  direction: "outbound", process: hostileProcess(name), sharedWith: [{ pid: 9, name }], verdict: "suspicious",
  reasons: [{ rule: "r", verdict: "suspicious", message: `runs from /tmp/${name}` }], explanation: `${name} (pid 1) is connected`,
  service: { name, port: 443 },
});

function assertClean(what: string, text: string, name: string): void {
  assert.doesNotMatch(text, RAW, `${what} printed ${JSON.stringify(name)} raw: ${JSON.stringify(text)}`);
}

// The detail view is browser code (DOM types): loaded by a path the type checker does not follow, run on fakeDocument.
const detailModule = "../../src/serve/ui/detail.js";
const { renderDetail } = (await import(detailModule)) as { renderDetail(data: unknown): unknown[] };

/** A minimal document for the dashboard's detail view: elements with text, class and children. */
function fakeDocument(): void {
  type Node = { tag: string; textContent: string; className: string; children: Node[]; append(...n: Node[]): void };
  const make = (tag: string): Node => ({ tag, textContent: "", className: "", children: [], append(...n) { this.children.push(...n); } });
  (globalThis as { document?: unknown }).document = { createElement: make };
}
const allText = (nodes: unknown[]): string => nodes.map((n) => {
  const e = n as { textContent: string; children: unknown[] };
  return `${e.textContent}\n${allText(e.children)}`;
}).join("\n");

describe("hostile process names in every view", () => {
  for (const name of NAMES) {
    const s = hostile(name);
    it(`renderTable with explain shows ${JSON.stringify(name)} escaped`, () => {
      const text = renderTable([s], { explain: true });
      assertClean("the table", text, name);
      assert.equal(text.split("\n").length, renderTable([hostile("plain")], { explain: true }).split("\n").length, "no extra line");
    });
    it(`renderExplain shows ${JSON.stringify(name)} escaped`, () => {
      assertClean("explain", renderExplain([{ port: 47111, proto: "tcp", serviceName: name, entry: null, indicators: [] }], [s]), name);
    });
    it(`renderEventLine shows ${JSON.stringify(name)} escaped`, () => {
      assertClean("a change line", renderEventLine({ type: "appeared", identity: "x", socket: s, at: "2026-12-01T10:00:00.000Z" }), name);
    });
    it(`renderEventJson (watch --ndjson, alerts) keeps ${JSON.stringify(name)} escaped in the identity and the socket, one line`, () => {
      const line = renderEventJson({ type: "appeared", identity: `L|tcp|47111|/tmp/${name}|${name}|host`, socket: s, at: "2026-12-01T10:00:00.000Z" });
      assertClean("a change as JSON", line, name);
      assert.equal(JSON.parse(line).identity, `L|tcp|47111|/tmp/${name}|${name}|host`);
    });
    it(`the dashboard's list cells show ${JSON.stringify(name)} escaped`, () => {
      for (const col of LIST_COLUMNS) assertClean(`the ${col.key} cell`, col.cell({ identity: name, verdict: s.verdict, count: 1, socket: s }), name);
    });
    it(`the dashboard's detail view shows ${JSON.stringify(name)} escaped, its JSON too`, () => {
      fakeDocument();
      const nodes = renderDetail({
        identity: `O|tcp|${name}`, count: 1, sockets: [s], process: [{ identity: `L|tcp|1|${name}`, direction: "listening", verdict: "unknown", count: 1 }],
        history: { identity: name, firstSeen: "2026-12-01", lastSeen: "2026-12-01", timesSeen: 1, lastVerdict: "unknown", owners: [name] },
      });
      assertClean("the detail", allText(nodes).replace(/\n/g, " "), name);
    });
  }

  it("watch's screen on a terminal shows a process's own name escaped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portwatch-hostile-"));
    try {
      const proc = join(dir, "proc");
      cpSync(tree, proc, { recursive: true, verbatimSymlinks: true });
      writeFileSync(join(proc, "2494", "comm"), "\u202edhss\u001b[2J\n");
      let out = "";
      const io: Output = { out: (t) => { out += t; }, err: () => {}, width: 120, color: false };
      const code = await runWatch({ intervalMs: 100, count: 1, procRoot: proc, db: null, stateDir: join(dir, "state") }, io, new AbortController().signal);
      assert.equal(code, 0);
      assert.match(out, /\\u202edhss\\x1b\[2J/);
      // The screen's own clear-and-home sequence is the only escape it writes.
      assertClean("watch's screen", out.replace("\u001b[H\u001b[2J", "").replace(/\n/g, " "), "\u202edhss");
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
