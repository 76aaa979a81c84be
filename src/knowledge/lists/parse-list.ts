import type { Problem } from "../../model/problem.js";
import { parseNetwork, type Network } from "./ip.js";
import { csvRow } from "./csv.js";

/*
 * Address lists as people publish them, text in, entries and problems out (no I/O):
 * - FireHOL .netset/.ipset: one address or CIDR a line, a "#" header with "Category :", "List source URL :",
 *   "Source File Date:" lines, the list's name on the first words line;
 * - Spamhaus DROP/EDROP/DROPv6: "CIDR ; SBLnnn", a ";" header ("; Spamhaus DROP List 2016/03/23 ...",
 *   "; Last-Modified: ...");
 * - abuse.ch Feodo Tracker and SSLBL: the plain list ("#" header, one address a line) and the CSV
 *   (a quoted header row naming dst_ip or DstIP; "# Last updated: ..." in the banner);
 * - a plain list: one address or CIDR a line, "#" or ";" comments, blank lines.
 * IPv4 and IPv6 (an IPv4-mapped address is its IPv4 address). A line that is none of these is a problem
 * with its line and column, never a crash and never dropped without a word.
 */

/** What a list says about itself in its header (null when it does not say). */
export interface ListHeader {
  /** Its name as the header gives it ("firehol_level1", "Spamhaus DROP List"). */
  name: string | null;
  /** FireHOL's category ("attacks", "malware", "reputation"). */
  category: string | null;
  /** Where the list comes from, as the header names it. */
  source: string | null;
  /** When the data was made, as ISO 8601 when it can be read, else as the header wrote it. */
  date: string | null;
}

/** The formats read: how the list was recognised. */
export type ListFormat = "firehol" | "spamhaus" | "abusech-csv" | "plain";

export interface ParsedList {
  format: ListFormat;
  header: ListHeader;
  networks: Network[];
  problems: Problem[];
}

const MAX_PROBLEMS = 100;

/** A header date as ISO 8601 ("Fri Nov 13 17:17:05 UTC 2015", "Tue, 22 Mar 2016 18:59:56 GMT", "2021-08-17 15:00:42 UTC"). */
function isoDate(text: string): string {
  const t = text.trim();
  const ymd = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(?: ?(?:UTC|GMT|Z))?$/.exec(t);
  if (ymd) return `${ymd[1]}-${ymd[2]}-${ymd[3]}T${ymd[4] ?? "00"}:${ymd[5] ?? "00"}:${ymd[6] ?? "00"}Z`;
  const ms = /\b(UTC|GMT)\b/.test(t) ? Date.parse(t.replace(/\bUTC\b/, "GMT")) : NaN;
  return Number.isNaN(ms) ? t : new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Splits one CSV row (quotes, doubled quotes inside them), each field trimmed. */
function csvFields(line: string): string[] {
  return csvRow(line).map((f) => f.trim());
}

const IP_COLUMN = /^(dst_?ip|dstip|ip_?address|ip)$/i;

/**
 * Reads a list's text. `source` names it in problems (a file name or URL). The format is recognised from
 * the text: a Spamhaus header or "; SBL" notes, an abuse.ch CSV header row, a FireHOL header, else plain.
 */
export function parseList(text: string, source: string): ParsedList {
  const header: ListHeader = { name: null, category: null, source: null, date: null };
  const networks: Network[] = [];
  const problems: Problem[] = [];
  let format: ListFormat = "plain";
  let csvColumn = -1;
  let commentLines = 0;
  let sawData = false;
  let dropped = 0;
  const problem = (line: number, column: number, reason: string, raw: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ source, line, column, text: raw.length > 120 ? `${raw.slice(0, 117)}...` : raw, reason });
    else dropped++;
  };

  let start = 0;
  let lineNo = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start <= n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (end === n && line === "") break;
    const lead = line.length - line.trimStart().length;
    const body = line.trim();
    if (body === "") continue;
    const c0 = body.charCodeAt(0);
    if (c0 === 35 /* # */ || c0 === 59 /* ; */) {
      if (!sawData) readHeaderLine(body, c0 === 59, ++commentLines, header, (f) => { if (format === "plain") format = f; });
      // SSLBL's CSV puts its column names in a comment ("# Firstseen,DstIP,DstPort").
      if (csvColumn < 0 && c0 === 35 && body.includes(",")) {
        const cols = csvFields(body.slice(1).trim());
        const at = cols.findIndex((c) => IP_COLUMN.test(c));
        if (at >= 0 && cols.length > 1) { csvColumn = at; format = "abusech-csv"; }
      }
      continue;
    }
    if (c0 === 34 /* " */ || (csvColumn >= 0 && body.includes(","))) {
      const cols = csvFields(body);
      if (csvColumn < 0 && !sawData) {
        const at = cols.findIndex((c) => IP_COLUMN.test(c));
        if (at >= 0) { csvColumn = at; format = "abusech-csv"; continue; }
      }
      if (csvColumn < 0) { problem(lineNo, lead + 1, "a CSV row, but no header row named its address column (dst_ip)", body); continue; }
      sawData = true;
      const value = cols[csvColumn];
      if (value === undefined) { problem(lineNo, lead + 1, `a CSV row with ${cols.length} field(s), and no field ${csvColumn + 1} for the address`, body); continue; }
      const net = parseNetwork(value);
      if (typeof net === "string") problem(lineNo, lead + 1 + Math.max(0, body.indexOf(value)), net, body);
      else networks.push(net);
      continue;
    }
    sawData = true;
    // The entry is the first word; what follows must be a comment ("; SBL123", "# note").
    let cut = 0;
    while (cut < body.length) {
      const c = body.charCodeAt(cut);
      if (c === 32 || c === 9 || c === 59 || c === 35) break;
      cut++;
    }
    const entry = body.slice(0, cut);
    const after = body.slice(cut).trimStart();
    const net = parseNetwork(entry);
    if (typeof net === "string") {
      const slash = entry.indexOf("/");
      problem(lineNo, lead + 1 + (net.startsWith("not a prefix length") ? slash + 1 : 0), net, body);
      continue;
    }
    if (after !== "" && after[0] !== ";" && after[0] !== "#") {
      problem(lineNo, lead + 1 + body.length - after.length, "more than one word on the line: a list has one address or CIDR a line, then only a comment (# or ;)", body);
      continue;
    }
    if (after.startsWith(";") && /^;\s*SBL\d+/.test(after)) format = "spamhaus";
    networks.push(net);
  }
  if (dropped > 0) problems.push({ source, line: null, text: null, reason: `and ${dropped} more line(s) that are not addresses` });
  return { format, header, networks, problems };
}

/** Reads what a comment line of the header says (see parseList). */
function readHeaderLine(body: string, semicolon: boolean, nth: number, header: ListHeader, saw: (f: ListFormat) => void): void {
  const words = body.replace(/^[#;]+/, "").replace(/#+\s*$/, "").trim();
  if (words === "") return;
  if (semicolon) {
    const sh = /^(Spamhaus [A-Za-z0-9 ]*?List)\s+(\d{4}\/\d{2}\/\d{2})?/.exec(words);
    if (sh) { saw("spamhaus"); header.name ??= (sh[1] as string); if (sh[2]) header.date ??= isoDate(sh[2]); return; }
    const lm = /^Last-Modified:\s*(.+)$/i.exec(words);
    if (lm) { header.date = isoDate(lm[1] as string); return; }
    if (/^https?:\/\/\S+$/.test(words)) { header.source ??= words; return; }
    return;
  }
  const kv = /^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$/.exec(words);
  if (kv && !/^https?$/i.test(kv[1] as string)) {
    const key = (kv[1] as string).toLowerCase();
    const value = (kv[2] as string).trim();
    if (key === "category") { saw("firehol"); if (value) header.category = value; }
    else if (key === "list source url") { saw("firehol"); if (value) header.source = value; }
    else if (key === "source file date") { if (value) header.date = isoDate(value); }
    else if (key === "this file date") { if (value) header.date ??= isoDate(value); }
    else if (key === "last updated") { if (value) header.date = isoDate(value); }
    return;
  }
  // The first line of words is the name: "firehol_level1", "abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)".
  if (nth <= 3 && header.name === null) header.name = words;
}
