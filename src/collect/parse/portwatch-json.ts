import type { Problem } from "../../model/problem.js";
import type { ProcessInfo } from "../../model/process.js";
import { NONE, type Socket } from "../../model/socket.js";
import { describeType, SOCKET_FIELDS, type Field, type FieldType } from "../../model/socket-fields.js";
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

/** A value read back, or why it cannot be: the field's path and what it should have been. */
type Read = { ok: true; value: unknown } | { ok: false; reason: string };

const got = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/**
 * Reads one value as its field's table entry says (SOCKET_FIELDS), into a fresh value: an object gets
 * exactly the table's keys, in its order, so keys the input adds are dropped, never carried into the
 * output. An absent field reads as null when it may be null, false for true/false, [] for a list (what
 * portwatch's older output did not write yet); an absent "when-set" field stays absent.
 */
function readValue(t: FieldType, nullable: boolean, v: unknown, path: string): Read {
  if (v === null && nullable) return { ok: true, value: null };
  const bad = (): Read => ({ ok: false, reason: `field "${path}" must be ${describeType(t)}${nullable ? " or null" : ""}, not ${got(v)}` });
  switch (t.kind) {
    case "enum": return t.values.includes(v as string | number) ? { ok: true, value: v } : bad();
    case "int": return Number.isInteger(v) && (v as number) >= t.min && (v as number) <= t.max ? { ok: true, value: v } : bad();
    case "text": return typeof v === "string" && (t.pattern === undefined || t.pattern.test(v)) ? { ok: true, value: v } : bad();
    case "bool": return typeof v === "boolean" ? { ok: true, value: v } : bad();
    case "list": {
      if (!Array.isArray(v)) return bad();
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = readValue(t.of, false, v[i], `${path}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    case "object": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return bad();
      return readObject(t.fields, v as Record<string, unknown>, `${path}.`);
    }
  }
}

/** One field of an object: absent, it reads as null when it may be null, false for true/false, [] for a list; undefined when "when-set". */
function readField(f: Field, o: Record<string, unknown>, path: string): Read {
  const v = Object.hasOwn(o, f.name) ? o[f.name] : undefined;
  if (v !== undefined) return readValue(f.type, f.nullable, v, path);
  if (f.presence === "when-set") return { ok: true, value: undefined };
  if (f.nullable) return { ok: true, value: null };
  if (f.type.kind === "bool") return { ok: true, value: false };
  if (f.type.kind === "list") return { ok: true, value: [] };
  return { ok: false, reason: `field "${path}" is missing` };
}

function readObject(fields: readonly Field[], o: Record<string, unknown>, prefix: string): Read {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const r = readField(f, o, `${prefix}${f.name}`);
    if (!r.ok) return r;
    if (r.value !== undefined) out[f.name] = r.value;
  }
  return { ok: true, value: out };
}

/**
 * One socket from a parsed JSON value: the fields collection gives are read back and checked; those
 * worked out afterwards (direction and exposure, service, verdict, reasons, explanation) start again from
 * their initial values, to be worked out on this host. `processes` hands out one object per distinct
 * process, as a live collection does, so a server's 10,000 connections share it.
 */
function readSocket(v: unknown, processes: Map<string, ProcessInfo>): { socket: Socket } | { reason: string } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { reason: "a JSON value that is not a portwatch socket object" };
  const out: Record<string, unknown> = {};
  for (const f of SOCKET_FIELDS) {
    if (f.setBy !== "collect") { out[f.name] = f.initial; continue; }
    const r = readField(f, v as Record<string, unknown>, f.name);
    if (!r.ok) return { reason: r.reason };
    if (r.value !== undefined) out[f.name] = r.value;
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

/** A line reader for portwatch's --json and --ndjson output. */
export function portwatchJsonReader(options: CaptureOptions): LineReader & { hostname(): string | null } {
  const records: Socket[] = [];
  const problems: Problem[] = [];
  const processes = new Map<string, ProcessInfo>();
  let hostname: string | null = null;
  const take = (v: unknown, n: number, text: string) => {
    const r = readSocket(v, processes);
    if ("reason" in r) problems.push(lineProblem(options.source, n, text, r.reason));
    else records.push(r.socket);
  };
  return {
    line(raw, n) {
      let t = raw.trim();
      if (t === "" || t === "]," || t.startsWith("],\"warnings\"") || t === "]" || t === "}") return;
      if (t.startsWith("{\"schema\"")) {
        const m = /"hostname":("(?:[^"\\]|\\.)*"|null)/.exec(t);
        if (m) hostname = JSON.parse(m[1] as string) as string | null;
        if (t.endsWith("}")) {
          try {
            const sockets = (JSON.parse(t) as { sockets?: unknown }).sockets;
            if (Array.isArray(sockets)) for (const s of sockets) take(s, n, t);
            else problems.push(lineProblem(options.source, n, raw, `field "sockets" must be a list, not ${got(sockets)}`));
          } catch (e) { problems.push(lineProblem(options.source, n, raw, `not valid JSON: ${(e as Error).message}`)); }
        }
        return;
      }
      if (t.startsWith(",")) t = t.slice(1);
      if (t.endsWith(",")) t = t.slice(0, -1);
      try { take(JSON.parse(t), n, raw); } catch (e) {
        problems.push(lineProblem(options.source, n, raw, `not valid JSON: ${(e as Error).message}`));
      }
    },
    finish: () => ({ records, problems, notes: [] }),
    hostname: () => hostname,
  };
}
