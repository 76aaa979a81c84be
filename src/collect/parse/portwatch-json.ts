import { addressProblem } from "../../model/address.js";
import { ProblemList } from "../../model/problem.js";
import type { ProcessInfo } from "../../model/process.js";
import { NONE, type Socket } from "../../model/socket.js";
import { quoteValue, readFields } from "../../model/read-fields.js";
import { SOCKET_FIELDS } from "../../model/socket-fields.js";
import type { CaptureOptions, LineReader } from "./capture-common.js";
import { lineProblem } from "./capture-common.js";

/*
 * portwatch's own output, read back: `portwatch audit --json` writes one socket per line between a
 * header and a footer, and --ndjson one socket per line, so both stream line by line:
 *
 *   {"schema":1,"host":{"hostname":"aspire","source":"live","collectedAt":"..."},"sockets":[
 *   {"proto":"tcp","family":4,"local":{"address":"127.0.0.1","port":631},...}
 *   ,{"proto":"udp",...}
 *   ],"warnings":[...],"summary":{...}}
 *
 * A JSON object on one line is also accepted whole, and so is the document pretty-printed (`jq .`, JSON.stringify
 * with indentation): a first line that is only "{" starts it, and it is read whole at the end. A --json
 * document whose list of sockets is never closed (a file cut short at a line's end) is read up to there,
 * and a problem says so.
 */

/** The fields collection gives: read back and checked. The others are worked out again on this host. */
const COLLECTED = SOCKET_FIELDS.filter((f) => f.setBy === "collect");

/**
 * One socket from a parsed JSON value: the fields collection gives are read back and checked; those
 * worked out afterwards (direction and exposure, service, verdict, reasons, explanation) start again from
 * their initial values, to be worked out on this host. `processes` hands out one object per distinct
 * process, as a live collection does, so a server's 10,000 connections share it.
 */
function readSocket(v: unknown, processes: Map<string, ProcessInfo>): { socket: Socket } | { reason: string } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { reason: "a JSON value that is not a portwatch socket object" };
  const r = readFields(COLLECTED, v);
  if (!r.ok) return { reason: r.reason };
  const out: Record<string, unknown> = {};
  for (const f of SOCKET_FIELDS) {
    if (f.setBy !== "collect") out[f.name] = f.initial;
    else if (Object.hasOwn(r.value, f.name)) out[f.name] = r.value[f.name];
  }
  const s = out as unknown as Socket;
  if (s.sharedWith.length === 0) s.sharedWith = NONE;
  if (s.process !== null) {
    const key = JSON.stringify(s.process);
    const had = processes.get(key);
    if (had === undefined) processes.set(key, s.process); else s.process = had;
  }
  return { socket: s };
}

/**
 * The host name of the header, checked as an address is (model/address.ts: no white space, control or
 * formatting characters), or the reason it cannot be used: `field "host.hostname" must be ...`.
 */
function readHostname(json: string): { name: string | null } | { reason: string } {
  let v: unknown;
  try { v = JSON.parse(json); } catch { return { reason: `field "host.hostname" is not a valid JSON string: ${quoteValue(json)}` }; }
  if (v === null) return { name: null };
  const bad = typeof v === "string" ? addressProblem(v) : "not text";
  return bad === null ? { name: v as string } : { reason: `field "host.hostname" must be a host name (${bad}), not ${quoteValue(v)}` };
}

/** JSON.parse's complaint with the column in the line, where it gives a position ("... at position 12" → "... at column 14"). */
function jsonError(e: unknown, offset: number): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\bat position (\d+)/, (_, p: string) => `at column ${Number(p) + offset + 1}`);
}

/** A line reader for portwatch's --json and --ndjson output. */
export function portwatchJsonReader(options: CaptureOptions): LineReader & { hostname(): string | null } {
  const records: Socket[] = [];
  const problems = new ProblemList(options.source);
  const processes = new Map<string, ProcessInfo>();
  let hostname: string | null = null;
  const take = (v: unknown, n: number, text: string, at = "") => {
    const r = readSocket(v, processes);
    if ("reason" in r) problems.push(lineProblem(options.source, n, text, `${at}${r.reason}`));
    else records.push(r.socket);
  };
  const notJson = (n: number, raw: string, e: unknown, at: number) => problems.push(lineProblem(options.source, n, raw, `not valid JSON: ${jsonError(e, at)}`));
  // The document's shape as its lines show it: "lines" (--json, --ndjson), or "whole" (pretty-printed: kept to the end).
  let shape: "unknown" | "lines" | "whole" = "unknown";
  const whole: string[] = [];
  let firstLine = 0, lastLine = 0, lastText = "";
  // A --json header line opens the list of sockets; its footer ("],"warnings"...) closes it.
  let opened: { line: number } | null = null;
  let closed = false;
  const readDocument = (doc: unknown, n: number, text: string) => {
    const sockets = typeof doc === "object" && doc !== null && !Array.isArray(doc) ? (doc as { sockets?: unknown }).sockets : Array.isArray(doc) ? doc : undefined;
    // A whole document: a bad socket is named by its place in the list.
    if (Array.isArray(sockets)) sockets.forEach((s, i) => take(s, n, text, `sockets[${i}]: `));
    else problems.push(lineProblem(options.source, n, text, `field "sockets" must be a list, not ${quoteValue(sockets)}`));
    const h = typeof doc === "object" && doc !== null ? (doc as { host?: { hostname?: unknown } }).host?.hostname : undefined;
    if (typeof h === "string" || h === null) {
      const r = readHostname(JSON.stringify(h));
      if ("reason" in r) problems.push(lineProblem(options.source, n, text, r.reason)); else hostname = r.name;
    }
  };
  const finishWhole = () => {
    const text = whole.join("\n");
    let doc: unknown;
    try { doc = JSON.parse(text); } catch (e) {
      // JSON.parse names a position in the whole text: turn it into a line and a column
      const m = /at position (\d+)/.exec(e instanceof Error ? e.message : "");
      let line = firstLine, col = 0;
      if (m) { const before = text.slice(0, Number(m[1])); line = firstLine + before.split("\n").length - 1; col = Number(m[1]) - before.lastIndexOf("\n"); }
      const reason = (e instanceof Error ? e.message : String(e)).replace(/\s*\(line \d+ column \d+\)/, "").replace(/\bat position \d+/, `at line ${line}, column ${col}`);
      const kept = salvage(whole);
      problems.push(lineProblem(options.source, line, whole[line - firstLine] ?? "", `not valid JSON (pretty-printed portwatch JSON, read whole): ${reason}${kept === null ? "" : `; the ${kept.count} socket(s) complete before it are read`}`));
      if (kept !== null) readDocument(kept.doc, firstLine, whole[0] ?? "");
      return;
    }
    readDocument(doc, firstLine, whole[0] ?? "");
  };
  return {
    line(raw, n) {
      let t = raw.trim();
      if (shape === "whole") { whole.push(raw); return; }
      if (t === "") return;
      lastLine = n; lastText = raw;
      if (shape === "unknown") {
        if (t === "{" || t === "[" || /^\{\s*"schema"\s*:\s*\d+\s*,?$/.test(t) && !t.includes("sockets")) { shape = "whole"; firstLine = n; whole.push(raw); return; }
        shape = "lines";
      }
      if (t === "]," || t.startsWith("],\"warnings\"") || t === "]" || t === "}") { closed = true; return; }
      if (t.startsWith("{\"schema\"")) {
        const m = /"hostname":("(?:[^"\\]|\\.)*"|null)/.exec(t);
        if (m) {
          const h = readHostname(m[1] as string);
          if ("reason" in h) problems.push(lineProblem(options.source, n, raw, h.reason));
          else hostname = h.name;
        }
        if (/"sockets":\[$/.test(t)) { opened = { line: n }; return; } // the --json header: sockets follow, a line each
        // One line holding the whole document (or what is left of it, when it was cut short).
        let doc: unknown;
        try { doc = JSON.parse(t); } catch (e) { notJson(n, raw, e, raw.indexOf(t)); return; }
        readDocument(doc, n, t);
        return;
      }
      if (t.startsWith(",")) t = t.slice(1);
      if (t.endsWith(",")) t = t.slice(0, -1);
      let v: unknown;
      try { v = JSON.parse(t); } catch (e) { notJson(n, raw, e, raw.indexOf(t)); return; }
      take(v, n, raw);
    },
    finish: () => {
      if (shape === "whole") finishWhole();
      else if (opened !== null && !closed && lastLine > opened.line) {
        problems.push(lineProblem(options.source, lastLine, lastText, `the list of sockets opened on line ${opened.line} is never closed (no "],\"warnings\"..." line): the file looks cut short; the ${records.length} socket(s) before are read`));
      }
      return { records, problems: problems.list(), notes: [] };
    },
    hostname: () => hostname,
  };
}

/**
 * What can be kept of a pretty-printed document that does not parse (cut short, or damaged further on):
 * the sockets complete before the damage. The list's items sit two columns right of its key ("sockets": [),
 * each closed by a "}" or "}," at that indentation; the text up to the last one such, closed with "]}", is
 * parsed again. null when nothing can be kept that way.
 */
function salvage(lines: readonly string[]): { doc: unknown; count: number } | null {
  const key = lines.findIndex((l) => /^\s*"sockets":\s*\[\s*$/.test(l));
  if (key < 0) return null;
  const item = " ".repeat((/^\s*/.exec(lines[key] as string)?.[0].length ?? 0) + 2);
  for (let end = lines.length - 1; end > key; end--) {
    const l = lines[end] as string;
    if (!l.startsWith(`${item}}`) || !/^\s*\},?\s*$/.test(l)) continue;
    const text = `${[...lines.slice(0, end), l.replace(/,\s*$/, "")].join("\n")}\n]}`;
    try {
      const doc = JSON.parse(text) as { sockets?: unknown[] };
      return Array.isArray(doc.sockets) ? { doc, count: doc.sockets.length } : null;
    } catch {
      return null; // damaged before its last complete socket too: nothing is kept
    }
  }
  return null;
}
