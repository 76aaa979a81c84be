import { ProblemList, type Problem } from "../../model/problem.js";
import type { Socket } from "../../model/socket.js";
import { lineProblem, type CaptureOptions, type LineReader } from "./capture-common.js";
import { lsofReader } from "./lsof.js";
import { bsdNetstatReader } from "./netstat-bsd.js";
import { linuxNetstatReader } from "./netstat-linux.js";
import { windowsNetstatReader } from "./netstat-windows.js";
import { portwatchJsonReader } from "./portwatch-json.js";
import { ssReader } from "./ss.js";

import { CAPTURE_FORMATS, type CaptureFormat } from "./capture-formats.js";

export { CAPTURE_FORMATS, type CaptureFormat };

// What a line of each format looks like; the format whose signs most lines show wins.
const SIGNS: Record<CaptureFormat, RegExp[]> = {
  // pretty-printed (jq .) too: "schema": 1, and "proto": "tcp", each on a line of its own
  "portwatch-json": [/^\{"schema":\d/, /^,?\{"proto":"(tcp|udp|raw)"/, /^"schema":\s*\d+,?$/, /^"proto":\s*"(tcp|udp|raw)",?$/],
  lsof: [/^COMMAND\s+PID\s+.*\bNAME\s*$/, /^\S+\s+\d+\s+.*\s(IPv4|IPv6)\s+\S+\s+\S+\s+(TCP|UDP)\s+\S+/],
  ss: [/^(Netid\s+)?State\s+Recv-Q\s+Send-Q/, /^(tcp|udp|raw|mptcp|u_str|u_dgr|u_seq|p_raw|p_dgr|nl)\s+(ESTAB|UNCONN|LISTEN|TIME-WAIT|SYN-SENT|SYN-RECV|FIN-WAIT-[12]|CLOSE-WAIT|LAST-ACK|CLOSING|CLOSED|UNKNOWN)\s/, /^(ESTAB|UNCONN|LISTEN|TIME-WAIT)\s+\d+\s+\d+\s/, /users:\(\("/],
  "windows-netstat": [/^(TCP|UDP)\s+(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.%\w]*\]):(\d+|\*)\s+\S+/, /^\[[\w .-]+\.exe\]$/i, /^Can not obtain ownership information$/],
  "bsd-netstat": [/^(tcp4|tcp46|udp4|udp46|icm4|icm6)\s+\d+\s+\d+\s/, /^(tcp6?|udp6?)\s+\d+\s+\d+\s+\S+\.(\d+|\*|[a-z][\w-]*)\s+\S+\.(\d+|\*|[a-z][\w-]*)(\s|$)/, /\(state\)\s*$/],
  netstat: [/^(tcp6?|udp6?|raw6?|udpl6?)\s+\d+\s+\d+\s+\S+:\S+\s+\S+:\S+/, /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\s+State\s*($|\s+(User|PID\/Program|Timer))/, /^Active Internet connections \((servers and established|only servers|w\/o servers)\)/],
};

/** Guesses the format of a capture from its first lines; null when no format fits. Ties go to the earlier format. */
export function detectFormat(lines: readonly string[]): { format: CaptureFormat | null; scores: Record<CaptureFormat, number> } {
  const scores = Object.fromEntries(CAPTURE_FORMATS.map((f) => [f, 0])) as Record<CaptureFormat, number>;
  for (const raw of lines) {
    const t = raw.trim();
    if (t === "") continue;
    for (const f of CAPTURE_FORMATS) if (SIGNS[f].some((r) => r.test(t))) scores[f]++;
  }
  let best: CaptureFormat | null = null;
  for (const f of ["portwatch-json", "lsof", "ss", "windows-netstat", "bsd-netstat", "netstat"] as const) {
    if (scores[f] > 0 && (best === null || scores[f] > scores[best])) best = f;
  }
  return { format: best, scores };
}

function formatReader(format: CaptureFormat, options: CaptureOptions): LineReader & { hostname?(): string | null } {
  switch (format) {
    case "netstat": return linuxNetstatReader(options);
    case "ss": return ssReader(options);
    case "lsof": return lsofReader(options);
    case "windows-netstat": return windowsNetstatReader(options);
    case "bsd-netstat": return bsdNetstatReader(options);
    case "portwatch-json": return portwatchJsonReader(options);
  }
}

/**
 * A line reader for a format. The readers never throw on a line (each turns a bad one into a problem);
 * should one still fail on a line it did not foresee, that line becomes a problem too, with its place,
 * and the capture goes on: one hostile line never ends the run.
 */
export function captureReader(format: CaptureFormat, options: CaptureOptions): LineReader & { hostname?(): string | null } {
  const reader = formatReader(format, options);
  const failed = new ProblemList(options.source);
  let anyFailed = false;
  return {
    line(text, n) {
      try { reader.line(text, n); } catch (e) {
        anyFailed = true;
        failed.push(lineProblem(options.source, n, text, `portwatch could not read this line (${e instanceof Error ? e.message : String(e)}); please report it`));
      }
    },
    finish() {
      const r = reader.finish();
      if (!anyFailed) return r;
      failed.addAll(r.problems);
      return { ...r, problems: failed.list() };
    },
    ...(reader.hostname ? { hostname: reader.hostname.bind(reader) } : {}),
  };
}

/** What a capture gave: sockets, lines that were not, the tool's own notes, and the format read. */
export interface CaptureResult {
  records: Socket[];
  problems: Problem[];
  notes: string[];
  format: CaptureFormat | null;
  hostname: string | null;
}

/** Reads a whole capture held in a string (see the streaming use in cli/ for large files). */
export function parseCapture(text: string, options: CaptureOptions & { format?: CaptureFormat }): CaptureResult {
  const lines = text.split("\n");
  const format = options.format ?? detectFormat(lines.slice(0, 200)).format;
  if (format === null) return { records: [], problems: [], notes: [], format: null, hostname: null };
  const reader = captureReader(format, options);
  lines.forEach((line, i) => reader.line(line, i + 1));
  return { ...reader.finish(), format, hostname: reader.hostname?.() ?? null };
}
