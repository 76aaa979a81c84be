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
 * A JSON object on one line is also accepted whole (pretty-printed JSON is not: re-run with --json).
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
  return {
    line(raw, n) {
      let t = raw.trim();
      if (t === "" || t === "]," || t.startsWith("],\"warnings\"") || t === "]" || t === "}") return;
      if (t.startsWith("{\"schema\"")) {
        const m = /"hostname":("(?:[^"\\]|\\.)*"|null)/.exec(t);
        if (m) {
          const h = readHostname(m[1] as string);
          if ("reason" in h) problems.push(lineProblem(options.source, n, raw, h.reason));
          else hostname = h.name;
        }
        if (t.endsWith("}")) {
          let doc: unknown;
          try { doc = JSON.parse(t); } catch (e) { notJson(n, raw, e, raw.indexOf(t)); return; }
          const sockets = typeof doc === "object" && doc !== null ? (doc as { sockets?: unknown }).sockets : undefined;
          // One line holding the whole document: a bad socket is named by its place in the list.
          if (Array.isArray(sockets)) sockets.forEach((s, i) => take(s, n, t, `sockets[${i}]: `));
          else problems.push(lineProblem(options.source, n, raw, `field "sockets" must be a list, not ${quoteValue(sockets)}`));
        }
        return;
      }
      if (t.startsWith(",")) t = t.slice(1);
      if (t.endsWith(",")) t = t.slice(0, -1);
      let v: unknown;
      try { v = JSON.parse(t); } catch (e) { notJson(n, raw, e, raw.indexOf(t)); return; }
      take(v, n, raw);
    },
    finish: () => ({ records, problems: problems.list(), notes: [] }),
    hostname: () => hostname,
  };
}
